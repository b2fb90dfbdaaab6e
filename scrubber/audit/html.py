"""The self-contained HTML audit report: one file, inline CSS, inline SVG bar charts, no script
and no external resource, so it can be mailed, archived or opened offline and renders the same
everywhere. It is rendered from the report dict (``report.build_report``) with autoescaping on,
so field names and masked examples cannot inject markup.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

TEMPLATE = "audit.html.j2"
#: Charts show the largest rows only: past this a bar chart is no longer readable, and the
#: tables below carry every row anyway.
MAX_BARS = 25
LABEL_WIDTH = 220
BAR_WIDTH = 380
ROW_HEIGHT = 22


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int
    css_class: str = "bar"
    label_width: int = LABEL_WIDTH
    bar_width: int = BAR_WIDTH

    @property
    def width(self) -> int:
        return self.label_width + self.bar_width + 120  # room for "100.0% (123456)"


def bar_chart(title: str, rows: list[dict[str, Any]], label_key: str, css_class: str = "bar") -> Chart:
    """Horizontal bars of each row's ``share`` (0..1), geometry computed here so the template
    only places numbers."""
    rows = rows[:MAX_BARS]
    bars = [Bar(label=_shorten(str(r[label_key])), value=f"{r['share'] * 100:.1f}% ({r['records']})",
                y=i * ROW_HEIGHT, width=round(max(0.0, min(1.0, r["share"])) * BAR_WIDTH, 1))
            for i, r in enumerate(rows)]
    return Chart(title=title, bars=bars, height=max(len(bars), 1) * ROW_HEIGHT, css_class=css_class)


def _shorten(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else "…" + label[-(limit - 1):]


def _environment() -> Environment:
    return Environment(loader=PackageLoader("scrubber", "templates"),
                       autoescape=select_autoescape(["html", "j2"], default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML document."""
    fields_with_pii = [f for f in report["fields_stats"] if f["records"]]
    charts = [
        bar_chart("Records with each PII entity", report["entities"], "entity"),
        bar_chart("Records with PII, per field", fields_with_pii, "field"),
    ]
    if report["context"]["entities"]:
        charts.append(bar_chart("Context entities (not PII by default)", report["context"]["entities"], "entity",
                                "ctx"))
    return _environment().get_template(TEMPLATE).render(r=report, charts=charts, max_bars=MAX_BARS)
