"""``scrubber run``: the always-on Kafka service, and ``scrubber topics create`` for its topics."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from detectors.yamlconf import ConfigError
from scrubber.cli.app import app, fail, topics_app
from scrubber.cli.topics import bootstrap_line, connection_line
from scrubber.config import TopicsFile, load_topics


def _load(config: Path) -> TopicsFile:
    try:
        return load_topics(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None


@app.command("run")
def run(
    config: Path = typer.Option(Path("topics.yaml"), "--config", "-c", help="the routes file"),
    route: Optional[str] = typer.Option(None, "--route", "-r", help="run only this route (default: all)"),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="worker processes per route"),
    metrics_port: Optional[int] = typer.Option(
        None, "--metrics-port", help="serve /metrics /healthz /readyz here (worker i of the run: port + i)"),
    max_messages: Optional[int] = typer.Option(
        None, "--max-messages", min=1, help="exit after this many input messages per worker (tests, demos)"),
    idle_exit_seconds: Optional[float] = typer.Option(
        None, "--idle-exit-seconds", min=0.1, help="exit after this long without input (tests, demos)"),
    instance_id: Optional[str] = typer.Option(
        None, "--instance-id", help="stable worker identity for the transactional.id (default: <host>-<n>)"),
    runner: str = typer.Option("confluent", "--runner", help="confluent (exactly-once capable) or faust"),
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING, ERROR"),
) -> None:
    """Consume, scrub and produce: exactly-once per route (transactions), fail-closed to quarantine.

    Logs are JSON lines on stderr with counts, topics, offsets and reasons only. Stop with SIGTERM
    or Ctrl-C: the current batch is finished and committed, exit code 0."""
    import faulthandler
    import signal

    from scrubber.logs import setup_logging

    setup_logging(log_level)
    faulthandler.register(signal.SIGUSR1, all_threads=True)   # `kill -USR1 <pid>`: stacks of a wedged worker
    cfg = _load(config)
    if runner == "faust":
        unsupported = [flag for flag, value in (("--route", route), ("--workers", workers != 1),
                                                ("--max-messages", max_messages),
                                                ("--idle-exit-seconds", idle_exit_seconds),
                                                ("--instance-id", instance_id)) if value]
        if unsupported:
            raise fail(f"{', '.join(unsupported)}: not supported with --runner faust (one Faust app runs "
                       "every route; scale with more Faust workers)")
        from scrubber.faust_app import FaustConfigError, run_worker
        try:
            run_worker(str(config), web_port=metrics_port, loglevel=log_level.lower())
        except FaustConfigError as exc:
            raise fail(str(exc)) from None
        return
    if runner != "confluent":
        raise fail(f"--runner must be confluent or faust, not {runner!r}")

    from scrubber.app import RunOptions, ScrubberApp, resolve_route
    from scrubber.keys import KeyConfigError

    names = [r.name for r in cfg.resolved_routes()]
    if route is not None:
        try:
            resolve_route(cfg, route)
        except ValueError as exc:
            raise fail(str(exc)) from None
        names = [route]
    options = RunOptions(max_messages=max_messages, idle_exit_seconds=idle_exit_seconds,
                         metrics_port=metrics_port, instance_id=instance_id)
    if workers == 1 and len(names) == 1:
        # In-process: no supervisor in the way of a container's own restart policy.
        try:
            code = ScrubberApp(cfg, names[0], options).run()
        except KeyConfigError as exc:
            raise fail(str(exc)) from None
        raise typer.Exit(code)
    from scrubber.workers import run_workers
    raise typer.Exit(run_workers(config, names, workers, options))


@topics_app.command("create")
def create(
    config: Path = typer.Option(Path("topics.yaml"), "--config", "-c", help="the routes file"),
    partitions: int = typer.Option(6, "--partitions", "-p", min=1, help="partitions of each new topic"),
    replication_factor: int = typer.Option(1, "--replication-factor", min=1),
) -> None:
    """Create every route's input, output and quarantine topic (inputs of pattern routes are
    skipped). Existing topics are left as they are. The admin client connects like the service:
    the bootstrap servers and the SASL/TLS properties of kafka.consumer / kafka.producer, with the
    SCRUBBER_KAFKA_* environment overrides applied."""
    from scrubber.kafka.admin import create_route_topics

    cfg = _load(config)
    try:
        connection = cfg.kafka.connection()
    except ValueError as exc:   # the consumer and producer disagree: the admin needs one value
        raise fail(str(exc)) from None
    for line in (bootstrap_line(cfg.kafka), connection_line(cfg.kafka, list(connection))):
        if line:
            typer.echo(line)
    results = create_route_topics(cfg.kafka, cfg.resolved_routes(), partitions, replication_factor)
    for r in results:
        typer.echo(f"{r.topic}: {r.status}{' (' + r.detail + ')' if r.detail else ''}")
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)
