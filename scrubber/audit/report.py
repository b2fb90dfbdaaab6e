"""The audit report as a JSON-ready dict (``--json``; also what the HTML renderer reads) and as
a rich console summary.

The dict is the one representation every output is built from, so the console, the JSON file
and the HTML page can never disagree. It holds counts, field paths, reason codes, line numbers
and masked examples: nothing that was not already masked by the accumulator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from detectors.entities import category_of
from scrubber.audit.stats import AuditStats, EntityStats, FieldStats

REPORT_VERSION = 1


@dataclass(frozen=True)
class AuditMeta:
    """How the audit was run: recorded so a report can be reproduced."""

    file: str
    format: str
    fields: list[str]
    sample: int | None = None
    seed: int | None = None
    ner: str = "gated"


def _entity_dict(stats: AuditStats, e: EntityStats) -> dict[str, Any]:
    return {
        "entity": e.entity,
        "category": category_of(e.entity),
        "kind": e.kind.value,
        "records": e.records,
        "share": round(stats.share(e.records), 4),
        "count": e.count,
        "mean_score": round(e.mean_score, 4),
        "detectors": dict(sorted(e.detectors.items())),
        "fields": dict(sorted(e.fields.items(), key=lambda kv: (-kv[1], kv[0]))),
        "examples": list(e.examples),
    }


def _field_dict(stats: AuditStats, f: FieldStats) -> dict[str, Any]:
    return {
        "field": f.field,
        "present": f.present,
        "records": f.records,
        "share": round(stats.share(f.records), 4),
        "count": f.count,
        "entities": dict(sorted(f.entities.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def build_report(stats: AuditStats, meta: AuditMeta) -> dict[str, Any]:
    """The complete report. Shares are fractions (0..1) of analyzed records."""
    return {
        "version": REPORT_VERSION,
        "file": meta.file,
        "format": meta.format,
        "fields": meta.fields,
        "sample": ({"size": meta.sample, "seed": meta.seed,
                    "method": "first" if meta.seed is None else "reservoir"}
                   if meta.sample is not None else None),
        "ner": meta.ner,
        "min_score": stats.min_score,
        "records": {
            "read": stats.records_read,
            "analyzed": stats.analyzed,
            "with_pii": stats.with_pii,
            "share_with_pii": round(stats.share(stats.with_pii), 4),
            "failed": stats.failed,
            "unreadable": stats.unreadable,
        },
        "entities": [_entity_dict(stats, e) for e in stats.pii_entities()],
        "context": {
            "note": "context, not PII by default",
            "entities": [_entity_dict(stats, e) for e in stats.context_entities()],
        },
        "fields_stats": [_field_dict(stats, f) for f in stats.pii_fields()],
        "below_min_score": dict(sorted(stats.below_threshold.items())),
        "errors": {
            "total": stats.errors_total,
            "by_reason": dict(sorted(stats.errors_by_reason.items())),
            "items": [{"line": e.line, "kind": e.kind, "reason": e.reason, "detail": e.detail}
                      for e in stats.errors],
            "truncated": stats.errors_total > len(stats.errors),
        },
    }


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _entity_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("entity")
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    table.add_column("count", justify="right")
    table.add_column("mean score", justify="right")
    table.add_column("detectors")
    table.add_column("examples (masked)")
    for row in rows:
        # Text cells: field names and masked examples contain brackets rich would read as markup.
        table.add_row(Text(row["entity"]), str(row["records"]), _pct(row["share"]), str(row["count"]),
                      f"{row['mean_score']:.2f}", Text(", ".join(row["detectors"])),
                      Text("  ".join(row["examples"])))
    return table


def print_summary(report: dict[str, Any], console: Console, max_fields: int = 20) -> None:
    """The console summary: totals, entities, fields, context entities and error counts."""
    rec = report["records"]
    console.print(f"[bold]{escape(report['file'])}[/bold]: {rec['read']} records read, {rec['analyzed']} analyzed, "
                  f"{rec['with_pii']} with PII ({_pct(rec['share_with_pii'])}), "
                  f"{rec['failed']} failed, {rec['unreadable']} unreadable "
                  f"(min score {report['min_score']})", highlight=False)
    if report["sample"]:
        s = report["sample"]
        console.print(f"sample: {s['size']} records ({s['method']}"
                      + (f", seed {s['seed']}" if s["seed"] is not None else "") + ")", highlight=False)
    if report["entities"]:
        console.print(_entity_table("PII entities", report["entities"]))
    else:
        console.print("no PII found at this threshold")
    fields = [f for f in report["fields_stats"] if f["records"]]
    if fields:
        table = Table(title="fields with PII", title_justify="left")
        table.add_column("field")
        table.add_column("records", justify="right")
        table.add_column("share", justify="right")
        table.add_column("count", justify="right")
        table.add_column("entities")
        for f in fields[:max_fields]:
            table.add_row(Text(f["field"]), str(f["records"]), _pct(f["share"]), str(f["count"]),
                          Text(", ".join(f"{k} {v}" for k, v in f["entities"].items())))
        console.print(table)
        if len(fields) > max_fields:
            console.print(f"... and {len(fields) - max_fields} more fields (see the JSON or HTML report)")
    if report["context"]["entities"]:
        console.print(_entity_table(report["context"]["note"], report["context"]["entities"]))
    errors = report["errors"]
    if errors["total"]:
        console.print(f"[yellow]{errors['total']} record(s) not counted[/yellow]: "
                      + escape(", ".join(f"{k} {v}" for k, v in errors["by_reason"].items())), highlight=False)
