"""``scrubber audit FILE``: what PII is in a file, where, and how much.

Reads text, JSONL or CSV/TSV (optionally gzip/zstd), detects every record, and reports per
entity and per field the share of records with PII, counts, mean scores, detectors and masked
examples: a rich summary on stdout, ``--json OUT`` and a self-contained ``--html OUT``.

Bad records (invalid UTF-8, not JSON, too large, too deep, missing fields) are reported with
their line number on stderr and in the reports, and never stop the run. A record whose detection
fails (time budget, detector error) is counted as failed and never looked into.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from scrubber.audit.report import AuditMeta, build_report, print_summary
from scrubber.audit.run import ProgressCallback, audit_records, build_audit_engine, field_spec, select_records
from scrubber.audit.stats import DEFAULT_MIN_SCORE, AuditStats, ErrorEntry
from scrubber.cli.app import ConfigOption, NerOption, app, detector_settings, fail, load_config
from scrubber.readers import detect_format, open_binary, read_records

FORMATS = ("text", "jsonl", "csv", "tsv")


@app.command()
def audit(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="text lines, JSONL, CSV or TSV (.gz/.zst ok)"),
    fmt: str = typer.Option("auto", "--format", help="auto | text | jsonl | csv | tsv"),
    text_field: Optional[str] = typer.Option(None, "--text-field",
                                             help="JSONL: scan only this top-level field (default: every leaf)"),
    fields: list[str] = typer.Option([], "--fields",
                                     help="JSON paths or CSV columns to scan, comma-separated or repeated "
                                          "(e.g. messages[].text); records without them are reported"),
    sample: Optional[int] = typer.Option(None, "--sample", help="audit N records: the first N, or with --seed a reservoir sample"),
    seed: Optional[int] = typer.Option(None, "--seed", help="with --sample: seed of the reservoir sample"),
    min_score: float = typer.Option(DEFAULT_MIN_SCORE, "--min-score", help="count findings with at least this score"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the JSON report here"),
    html_out: Optional[Path] = typer.Option(None, "--html", help="write the self-contained HTML report here"),
    config: Optional[Path] = ConfigOption,
    ner: Optional[str] = NerOption,
) -> None:
    """Report what PII a file holds: per entity and per field, with masked examples."""
    kind = detect_format(file) if fmt == "auto" else fmt
    if kind not in FORMATS:
        raise fail("--format must be auto, text, jsonl, csv or tsv")
    if sample is not None and sample < 1:
        raise fail("--sample must be at least 1")
    if seed is not None and sample is None:
        raise fail("--seed needs --sample N")
    if not 0.0 <= min_score <= 1.0:
        raise fail("--min-score must be between 0 and 1")
    if (text_field is not None or fields) and kind == "text":
        raise fail("--text-field and --fields apply to JSONL or CSV, not to plain text (each line is scanned whole)")
    cfg = load_config(config)
    settings = detector_settings(cfg, ner)
    spec = field_spec(text_field, fields)
    engine = build_audit_engine(settings, spec)
    stats = AuditStats(min_score=min_score)
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)

    def on_error(entry: ErrorEntry) -> None:
        # Reason codes and positions only: DecodeError and detector failures never carry content.
        err.print(f"{file}:{entry.line}: {entry.reason}" + (f": {entry.detail}" if entry.detail else ""))

    records = select_records(read_records(file, kind), sample, seed)  # type: ignore[arg-type]
    with _progress(err, file, sample) as on_progress:
        audit_records(records, engine, stats, on_error=on_error, on_progress=on_progress)

    meta = AuditMeta(file=str(file), format=kind, fields=list(spec.scan) if spec.required else [],
                     sample=sample, seed=seed, ner=settings.ner.mode)
    report = build_report(stats, meta)
    if json_out is not None:
        json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if html_out is not None:
        from scrubber.audit.html import render_html
        html_out.write_text(render_html(report), encoding="utf-8")
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    print_summary(report, out)
    if stats.errors_total:
        err.print(f"{stats.errors_total} record(s) could not be audited (see above)")


@contextmanager
def _progress(console: Console, file: Path, sample: int | None) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr, only when stderr is a terminal (never in pipes, logs or CI).

    A full audit is measured in input lines, which every format has, against a quick newline
    count; a sample is measured in records, since it ends after N records, not at the end of
    the file."""
    if not console.is_terminal:
        yield None
        return
    total = sample if sample is not None else _count_lines(file)
    unit = "records" if sample is not None else "lines"
    columns = [TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
               TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("audit", total=total or None)

        def advance(records_done: int, line: int) -> None:
            progress.update(task, completed=records_done if sample is not None else min(line, total))

        yield advance


def _count_lines(file: Path) -> int:
    """Newlines in the (decompressed) file: cheap next to detection, and exact for text/JSONL."""
    n = 0
    with open_binary(file) as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return n
