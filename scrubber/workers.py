"""``scrubber run --workers N``: N worker processes per route on one machine, each with its own
consumer and transactional producer, all in the route's consumer group (Kafka spreads the
partitions). Processes rather than threads because detection is CPU-bound Python.

The parent only supervises: it forwards SIGTERM/SIGINT to the children and waits for them; a child
that dies abnormally (non-zero exit, killed) is restarted after a backoff, a child that exits 0
(stopped, ``--max-messages``, idle) or 2 (bad configuration or key: a restart cannot help) is not. Children are *spawned*, not forked: librdkafka's
threads do not survive fork, and a spawned child starts from a clean interpreter.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

from scrubber.app import RunOptions

log = logging.getLogger("scrubber.workers")

RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
EXIT_CONFIG = 2


@dataclass(frozen=True)
class WorkerSpec:
    config_path: str
    route: str
    index: int
    options: RunOptions


def worker_main(spec: WorkerSpec) -> None:
    """Entry point of a child process: its own logging, config, app; exits with the app's code."""
    import sys

    from scrubber.app import ScrubberApp
    from scrubber.config import load_topics
    from scrubber.logs import setup_logging

    from detectors.yamlconf import ConfigError
    from scrubber.keys import KeyConfigError

    setup_logging(static={"worker": spec.index})
    try:
        config = load_topics(spec.config_path)
        code = ScrubberApp(config, spec.route, spec.options).run()
    except (ConfigError, KeyConfigError) as exc:
        # Restarting cannot fix a bad config or a missing key: say so once and stay down.
        logging.getLogger("scrubber.workers").error("configuration error", extra={"error": type(exc).__name__,
                                                                               "detail": str(exc)})
        code = EXIT_CONFIG
    sys.exit(code)


def run_workers(config_path: str | Path, routes: list[str], workers: int, options: RunOptions) -> int:
    """Start ``workers`` processes for each route and supervise them until they all exit.
    Worker ``i`` of the whole set serves metrics on ``metrics_port + i`` (when a port is given).
    Returns 0 if every worker ended with 0 after a stop request or a bounded run, else 1."""
    ctx = mp.get_context("spawn")
    specs: list[WorkerSpec] = []
    for r_i, route in enumerate(routes):
        for w in range(workers):
            n = r_i * workers + w
            port = None if options.metrics_port is None else options.metrics_port + n
            specs.append(WorkerSpec(str(config_path), route, w,
                                    replace(options, worker_index=w, metrics_port=port,
                                            instance_id=None if options.instance_id is None
                                            else f"{options.instance_id}-{w}")))
    stopping = False
    procs: dict[int, mp.process.BaseProcess] = {}
    restarts: dict[int, int] = {i: 0 for i in range(len(specs))}
    restart_at: dict[int, float] = {}
    failed = False

    def start(i: int) -> None:
        p = ctx.Process(target=worker_main, args=(specs[i],), name=f"scrubber-{specs[i].route}-{specs[i].index}")
        p.start()
        procs[i] = p
        log.info("worker started", extra={"route": specs[i].route, "worker": specs[i].index, "pid": p.pid})

    def forward(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for p in procs.values():
            if p.is_alive() and p.pid is not None:
                try:
                    os.kill(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    old_term = signal.signal(signal.SIGTERM, forward)
    old_int = signal.signal(signal.SIGINT, forward)
    try:
        for i in range(len(specs)):
            start(i)
        while procs or restart_at:
            time.sleep(0.2)
            for i, p in list(procs.items()):
                if p.is_alive():
                    continue
                p.join()
                del procs[i]
                code = p.exitcode
                spec = specs[i]
                if code == 0:
                    log.info("worker exited", extra={"route": spec.route, "worker": spec.index, "exit_code": 0})
                    continue
                if stopping or code == EXIT_CONFIG:
                    failed = True
                    log.warning("worker exited abnormally while stopping",
                                extra={"route": spec.route, "worker": spec.index, "exit_code": code})
                    continue
                delay = RESTART_BACKOFF_S[min(restarts[i], len(RESTART_BACKOFF_S) - 1)]
                restarts[i] += 1
                restart_at[i] = time.monotonic() + delay
                log.error("worker died: restarting", extra={"route": spec.route, "worker": spec.index,
                                                            "exit_code": code, "restart_in_s": delay})
            for i, when in list(restart_at.items()):
                if stopping:
                    del restart_at[i]
                elif time.monotonic() >= when:
                    del restart_at[i]
                    start(i)
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)
    return 1 if failed else 0
