"""``scrubber audit``: what PII a file holds, where, and how much.

* ``stats``: the accumulator (pure: detections in, counts out; holds masked examples only);
* ``run``: reading, sampling and detecting a file record by record into the accumulator;
* ``report``: the JSON report and the console summary;
* ``html``: the self-contained HTML report.

Nothing in this package ever stores or prints a raw detected value: the accumulator masks each
example as it sees it, and errors carry line numbers and reason codes only.
"""
