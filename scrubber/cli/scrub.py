"""``scrubber scrub FILE -o OUT``: rewrite a file under a policy, keeping its format.

Text files are scrubbed line by line; JSONL by field paths (``--scan``, ``--skip``, ``--pii``);
CSV/TSV by columns. A record that cannot be read or scanned is never copied through: it is
written as a placeholder (``[REDACTED]`` line, ``{"scrubber_error": ...}`` object, or a row of
``[REDACTED]`` cells) and reported on stderr with its line number."""
from __future__ import annotations

import csv
import json
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Optional

import typer

from scrubber.cli.app import ConfigOption, NerOption, app, detector_settings, fail, key_ring, load_config
from scrubber.cli.policy_option import resolve_policy
from scrubber.engine import Engine
from scrubber.fields import FieldSpec
from scrubber.operators import REDACTED
from scrubber.readers import Record, detect_format, read_records

BATCH = 256


def _parse_pii(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        path, sep, entity = pair.partition("=")
        if not sep or not entity.isupper():
            raise fail(f"--pii takes PATH=ENTITY, e.g. user.email=EMAIL_ADDRESS (got {pair!r})")
        out[path] = entity
    return out


@app.command()
def scrub(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    output: Path = typer.Option(..., "-o", "--output"),
    policy: str = typer.Option("stream", "--policy", "-p", help="built-in name, config policy, or policy .yaml"),
    fmt: str = typer.Option("auto", "--format", help="auto | text | jsonl | csv | tsv"),
    scan: list[str] = typer.Option([], "--scan", help="JSON path or CSV column to scan (repeatable; default all)"),
    skip: list[str] = typer.Option([], "--skip", help="JSON path or CSV column never scanned"),
    pii: list[str] = typer.Option([], "--pii", help="PATH=ENTITY: the field is PII by name"),
    config: Optional[Path] = ConfigOption,
    ner: Optional[str] = NerOption,
) -> None:
    """Scrub a text, JSONL or CSV file into OUT under a policy."""
    cfg = load_config(config)
    fields = FieldSpec(scan=scan or ["**"], skip=skip, pii=_parse_pii(pii))
    kind = detect_format(file) if fmt == "auto" else fmt
    if kind not in ("text", "jsonl", "csv", "tsv"):
        raise fail("--format must be auto, text, jsonl, csv or tsv")
    from scrubber.keys import KeyConfigError
    try:
        engine = Engine.build(detector_settings(cfg, ner), resolve_policy(policy, cfg), key_ring(), fields)
    except KeyConfigError as exc:
        raise fail(str(exc)) from None
    totals, failed, dropped = Counter(), 0, 0
    with output.open("w", encoding="utf-8", newline="") as out:
        writer = _Writer(out, kind)
        records = read_records(file, kind)  # type: ignore[arg-type]
        while chunk := list(islice(records, BATCH)):
            good = [r for r in chunk if r.error is None]
            outcomes = iter(engine.scrub_values([r.value for r in good]))
            for rec in chunk:
                if rec.error is not None:
                    failed += 1
                    typer.echo(f"{file}:{rec.line}: {rec.error}", err=True)
                    writer.placeholder(rec, rec.error.reason)
                    continue
                outcome = next(outcomes)
                totals.update(outcome.counts)
                if outcome.failure:
                    failed += 1
                    typer.echo(f"{file}:{rec.line}: {outcome.failure}: {outcome.detail}", err=True)
                    writer.placeholder(rec, outcome.failure)
                elif outcome.dropped:
                    dropped += 1
                else:
                    writer.write(outcome.value)
    summary = ", ".join(f"{e}={n}" for e, n in totals.most_common()) or "nothing"
    typer.echo(f"rewrote: {summary}; records withheld (unreadable or failed): {failed}; dropped by policy: {dropped}",
               err=True)


class _Writer:
    def __init__(self, out, kind: str) -> None:
        self.out, self.kind = out, kind
        self.csv = None
        self.header: list[str] | None = None

    def write(self, value) -> None:
        if self.kind == "text":
            self.out.write(value + "\n")
        elif self.kind == "jsonl":
            self.out.write(json.dumps(value, ensure_ascii=False) + "\n")
        else:
            self._csv_row(value)

    def placeholder(self, rec: Record, reason: str) -> None:
        if self.kind == "text":
            self.out.write(REDACTED + "\n")
        elif self.kind == "jsonl":
            self.out.write(json.dumps({"scrubber_error": reason, "line": rec.line}) + "\n")
        elif self.header is not None:
            self.csv.writerow([REDACTED] * len(self.header))

    def _csv_row(self, row: dict) -> None:
        if self.csv is None:
            self.csv = csv.writer(self.out, delimiter="\t" if self.kind == "tsv" else ",")
            self.header = list(row)
            self.csv.writerow(self.header)
        self.csv.writerow([row.get(h, "") for h in self.header])
