"""``scrubber eval GOLD.jsonl``: span-level precision, recall, F1 and F2 of the detector stack
against a labelled corpus (the format of ``shared/data/dev/*.jsonl``; see scrubber.evaluate for
the matching rules and label sets).

Unlike ``audit``, a broken gold file stops the run: scores over a silently shortened corpus would
be wrong numbers that look right. Every bad record is listed with its line number first.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from scrubber.cli.app import ConfigOption, NerOption, app, detector_settings, fail, load_config
from scrubber.readers import read_records

BATCH = 256
#: Bad gold records listed before giving up: enough to see the pattern, not a flood.
MAX_LISTED = 20


@app.command("eval")
def eval_command(
    gold: Path = typer.Argument(..., exists=True, dir_okay=False, help="labelled JSONL: id, text, spans"),
    matching: str = typer.Option("overlap", "--matching", help="overlap | overlap-1to1 | exact"),
    labels: Optional[str] = typer.Option(None, "--labels",
                                         help="comma-separated categories or entity names to score "
                                              "(e.g. PERSON,EMAIL,PHONE), or 'target' for the project's "
                                              "target set; default: the labels the gold file uses"),
    text_field: str = typer.Option("text", "--text-field", help="the field holding the text"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the report as JSON here"),
    config: Optional[Path] = ConfigOption,
    ner: Optional[str] = NerOption,
) -> None:
    """Score the detectors against a labelled JSONL corpus (precision, recall, F1, F2 per label)."""
    from scrubber.evaluate import MATCHINGS, evaluate, format_report

    if matching not in MATCHINGS:
        raise fail(f"--matching must be one of {', '.join(MATCHINGS)}")
    label_set = parse_labels(labels)
    cfg = load_config(config)
    settings = detector_settings(cfg, ner)
    records = load_gold_records(gold, text_field)
    stack = build_eval_stack(settings)
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    with _progress(err, len(records)) as advance:
        preds = detect(stack, [r[text_field] for r in records], advance)
    # evaluate() reads the text under "text" (for its error analysis); give it that view.
    view = records if text_field == "text" else [{**r, "text": r[text_field]} for r in records]
    report = evaluate(view, preds, matching=matching, labels=label_set)  # type: ignore[arg-type]
    typer.echo(format_report(report))
    if report.failed_records:
        err.print(f"{report.failed_records} record(s) failed detection (scored as no predictions)")
    if json_out is not None:
        doc = {"gold": str(gold), "ner": settings.ner.mode, "text_field": text_field, **report.to_dict()}
        json_out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def build_eval_stack(settings: Any) -> Any:
    """The detector stack under evaluation (a seam for tests, which swap in fixed detectors)."""
    from detectors.registry import build_stack
    return build_stack(settings)  # warmed up: first records are not charged for model loading


def parse_labels(labels: Optional[str]) -> Optional[tuple[str, ...]]:
    """``None`` (the gold file's own labels), the target set, or validated names: an unknown name
    would otherwise be mapped to ID_NUMBER and quietly score the wrong thing."""
    if labels is None:
        return None
    from detectors.entities import ENTITIES
    from scrubber.evaluate import CATEGORIES, TARGET_LABELS

    if labels.strip().lower() == "target":
        return TARGET_LABELS
    names = tuple(x.strip() for x in labels.split(",") if x.strip())
    unknown = [n for n in names if n not in CATEGORIES and n not in ENTITIES]
    if not names or unknown:
        raise fail(f"--labels: unknown label(s) {', '.join(unknown) or '(none given)'}; "
                   f"known categories: {', '.join(sorted(CATEGORIES))} (or entity names, or 'target')")
    return names


def load_gold_records(path: Path, text_field: str) -> list[dict[str, Any]]:
    """The gold records, each checked: an object with a string text and well-formed spans.
    Problems are reported by line number and reason only (gold text is corpus data)."""
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    for rec in read_records(path, "jsonl"):
        problem = str(rec.error) if rec.error is not None else _gold_problem(rec.value, text_field)
        if problem:
            problems.append(f"{path}:{rec.line}: {problem}")
        else:
            records.append(rec.value)
    if problems:
        shown = problems[:MAX_LISTED]
        more = f"\n... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise fail("\n".join(shown) + more + f"\n{len(problems)} bad gold record(s): fix the file and rerun")
    if not records:
        raise fail(f"{path}: no gold records")
    return records


def _gold_problem(value: Any, text_field: str) -> str | None:
    if not isinstance(value, Mapping):
        return "not_an_object"
    text = value.get(text_field)
    if not isinstance(text, str):
        return f"missing_field: {text_field}" if text is None else f"not_text: {text_field}"
    spans = value.get("spans", [])
    if not isinstance(spans, list):
        return "spans: not a list"
    for i, span in enumerate(spans):
        if not isinstance(span, Mapping) or "label" not in span:
            return f"spans[{i}]: needs start, end and label"
        start, end = span.get("start"), span.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)):
            return f"spans[{i}]: start/end out of range for the text"
    return None


def detect(stack: Any, texts: Sequence[str], advance: Callable[[int], None] | None) -> list[list | None]:
    """Predictions per text in batches; ``None`` where detection failed (fail closed)."""
    from scrubber.evaluate import detect_all

    out: list[list | None] = []
    for i in range(0, len(texts), BATCH):
        batch = texts[i:i + BATCH]
        out.extend(detect_all(stack, batch, batch_size=BATCH))
        if advance is not None:
            advance(len(batch))
    return out


class _progress:
    """A progress bar on stderr when it is a terminal (NER over a corpus takes minutes)."""

    def __init__(self, console: Console, total: int) -> None:
        self.console, self.total = console, total
        self.progress: Progress | None = None

    def __enter__(self) -> Callable[[int], None] | None:
        if not self.console.is_terminal:
            return None
        self.progress = Progress(TextColumn("detecting"), BarColumn(), MofNCompleteColumn(), TextColumn("records"),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=True)
        self.progress.start()
        task = self.progress.add_task("eval", total=self.total)
        progress = self.progress
        return lambda n: progress.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
