"""``scrubber check``: the pre-release check for dataset publication.

inputs (files, folders, formats) -> scan (detectors, fingerprints; worker processes) -> runner
(merge in order, risk counters, verdict) -> report / html / sarif renderers, and release (the
scrubbed, k-suppressed copy). See scrubber/cli/check.py for the command and check/policy.py for
the strict defaults.
"""
