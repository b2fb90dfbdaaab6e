"""A Faust worker whose pipeline raises (a stand-in for a bug): used by test_faust_runner to check
that the runner fails closed. ``python tests/faust/crashing_worker.py`` with the usual
SCRUBBER_* environment; the exception message is payload-like on purpose."""
from __future__ import annotations

import os

from scrubber import pipeline


def boom(self, batch):
    raise KeyError("payload-canary@example.com")


pipeline.RoutePipeline.process = boom

if __name__ == "__main__":
    from scrubber.faust_app import run_worker
    run_worker(os.environ["SCRUBBER_CONFIG"])
