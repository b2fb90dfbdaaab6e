"""A self-contained HTML report: one file, inline CSS and SVG charts, no scripts, no external
resources, so it can be attached to a CI run or e-mailed to a reviewer and opened offline.

Everything inserted is escaped by Jinja2's autoescape; the report holds no raw values anyway
(masked examples and fingerprints only).
"""
from __future__ import annotations

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from scrubber.check.report import VERDICT_TEXT

BAR_H = 18
CHART_W = 640
LABEL_W = 190

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                   lstrip_blocks=True)

_TEMPLATE = _ENV.from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Release check: {{ r.verdict }}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
.verdict{padding:.6em 1em;border-radius:4px;font-weight:600}
.pass{background:#e6f4ea;color:#137333}.fail{background:#fce8e6;color:#a50e0e}.error{background:#fef7e0;color:#8a5300}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f6f6f6} td.num{text-align:right;font-variant-numeric:tabular-nums}
.s-fail{color:#a50e0e;font-weight:600}.s-warn{color:#8a5300}.s-ok{color:#137333}
code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
.muted{color:#666;font-size:.9em}
</style></head><body>
<h1>Release check</h1>
<p class="verdict {{ r.verdict }}">{{ verdict_text }}</p>
<p>{{ s.files }} file(s), {{ s.records }} record(s), {{ s.bytes }} bytes. Policy <code>{{ st.policy }}</code>
({{ st.policy_source }}), k = {{ st.k }}, NER <code>{{ st.ner }}</code>, user field <code>{{ st.user_field or "-" }}</code>.
Exit code {{ r.exit_code }}.{% if r.timestamp %} Checked at {{ r.timestamp }}.{% endif %}</p>
<p class="muted">Fingerprints: {{ r.fingerprints.note }}. Examples are masked; no raw value appears in this report.</p>

<h2>Violations</h2>
{% if r.violations %}
<table><tr><th>severity</th><th>check</th><th>rule</th><th>what</th></tr>
{% for v in r.violations %}<tr><td class="{{ 's-fail' if v.fatal else 's-warn' }}">{{ "fatal" if v.fatal else "warning" }}</td>
<td>{{ v.check }}</td><td><code>{{ v.rule }}</code></td><td>{{ v.message }}</td></tr>
{% endfor %}</table>
{% else %}<p>None.</p>{% endif %}

<h2>Findings by entity</h2>
{{ entity_chart | safe }}
{% if r.entities %}
<table><tr><th>entity</th><th>kind</th><th>findings</th><th>baselined</th><th>records</th><th>rate</th><th>limit</th><th>status</th><th>masked examples</th></tr>
{% for name, e in r.entities.items() %}<tr><td><code>{{ name }}</code></td><td>{{ e.kind }}</td><td class="num">{{ e.count }}</td>
<td class="num">{{ e.baselined }}</td><td class="num">{{ e.records }}</td><td class="num">{{ "%.4f%%" % (100 * e.rate) }}</td>
<td>{{ e.limit }}</td><td class="s-{{ e.status }}">{{ e.status }}</td><td>{% for x in e.examples %}<code>{{ x }}</code> {% endfor %}</td></tr>
{% endfor %}</table>
{% else %}<p>No findings.</p>{% endif %}

<h2>Findings by field</h2>
{{ field_chart | safe }}

<h2>Rare values (issued by fewer than k users)</h2>
{{ risk(r.rare_values, [("k","k"),("values of the query fields","occurrences"),("distinct values","distinct_values"),("rare values","rare_values"),("records holding them","records_affected"),("baselined","baselined"),("release action","action")]) }}
{% if r.rare_values.suppress %}<p class="muted">To suppress, by fingerprint (first {{ r.rare_values.suppress[:50]|length }}):
{% for x in r.rare_values.suppress[:50] %}<code>{{ x.fingerprint }}</code> {% endfor %}</p>{% endif %}

<h2>Users combining a name with quasi-identifiers</h2>
{{ risk(r.user_combinations, [("users","users"),("users flagged","users_flagged"),("their records","records_affected"),("baselined","baselined"),("release action","action")]) }}
{% if r.user_combinations.combinations %}<table><tr><th>entities combined</th><th>users</th></tr>
{% for k, v in r.user_combinations.combinations.items() %}<tr><td>{{ k }}</td><td class="num">{{ v }}</td></tr>{% endfor %}</table>{% endif %}

<h2>k-anonymity</h2>
{% if r.k_anonymity.groups %}
<p>k = {{ r.k_anonymity.k }}, records in classes below k: {{ r.k_anonymity.records_below_k }}
(<span class="s-{{ r.k_anonymity.status }}">{{ r.k_anonymity.status }}</span>), release action: {{ r.k_anonymity.action }}.</p>
<table><tr><th>columns</th><th>records</th><th>classes</th><th>smallest class</th><th>classes below k</th><th>records below k</th></tr>
{% for g in r.k_anonymity.groups %}<tr><td>{{ g.columns|join(", ") }}</td><td class="num">{{ g.records }}</td><td class="num">{{ g.classes }}</td>
<td class="num">{{ g.min_k }}</td><td class="num">{{ g.classes_below_k }}</td><td class="num">{{ g.records_below_k }}</td></tr>{% endfor %}</table>
{% else %}<p>{{ r.k_anonymity.status }}: {{ r.k_anonymity.reason }}</p>{% endif %}

{% for key, title in [("input_errors", "Input errors"), ("scan_failures", "Records that could not be scanned")] %}
{% if r[key].count %}<h2>{{ title }} ({{ r[key].count }})</h2>
<table><tr><th>file</th><th>line</th><th>reason</th></tr>
{% for i in r[key]["items"][:100] %}<tr><td>{{ i.file }}</td><td class="num">{{ i.line }}</td><td>{{ i.reason }}</td></tr>{% endfor %}</table>{% endif %}
{% endfor %}

{% if r.release %}<h2>Release</h2>
<p>Written to <code>{{ r.release.dir }}</code> with scrub policy <code>{{ r.release.scrub_policy }}</code>.</p>
<ul>{% for k, v in r.release.actions.items() %}<li>{{ k }}: {{ v }}</li>{% endfor %}</ul>
<table>{% for k, v in r.release.totals.items() %}<tr><td>{{ k }}</td><td class="num">{{ v }}</td></tr>{% endfor %}</table>
{% endif %}
</body></html>
""")

_RISK = _ENV.from_string("""{% if sec.status in ("skipped", "disabled", "not_applicable") %}<p>{{ sec.status }}: {{ sec.reason or "disabled by the policy" }}</p>
{% else %}<p>Status: <span class="s-{{ sec.status }}">{{ sec.status }}</span></p>
<table>{% for label, key in rows %}<tr><td>{{ label }}</td><td class="num">{{ sec[key] }}</td></tr>{% endfor %}</table>{% endif %}""")


def bar_chart(items: list[tuple[str, int, str]], title: str) -> str:
    """Horizontal bars as inline SVG: (label, value, css colour). Escaped labels."""
    from markupsafe import escape
    if not items:
        return "<p class=\"muted\">Nothing to chart.</p>"
    top = max(v for _, v, _ in items) or 1
    height = BAR_H * len(items) + 24
    span = CHART_W - LABEL_W - 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" style="font:12px sans-serif">']
    parts.append(f'<text x="0" y="12" font-weight="600">{escape(title)}</text>')
    for i, (label, value, colour) in enumerate(items):
        y = 20 + i * BAR_H
        w = max(1, round(span * value / top)) if value else 0
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end">{escape(label[:28])}</text>'
                     f'<rect x="{LABEL_W}" y="{y + 2}" width="{w}" height="{BAR_H - 5}" fill="{colour}"/>'
                     f'<text x="{LABEL_W + w + 4}" y="{y + 13}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


_COLOURS = {"secret": "#a50e0e", "direct": "#d93025", "quasi": "#f29900", "context": "#9aa0a6"}


def to_html(report: dict) -> str:
    ents = report["entities"]
    entity_items = [(n, e["count"] + e["baselined"], _COLOURS.get(e["kind"], "#5f6368"))
                    for n, e in sorted(ents.items(), key=lambda kv: (-(kv[1]["count"] + kv[1]["baselined"]), kv[0]))]
    field_items = [(f, sum(c.values()), "#1a73e8")
                   for f, c in sorted(report["fields"].items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))][:30]

    def risk(sec: dict, rows: list) -> str:
        return Markup(_RISK.render(sec=sec, rows=rows))  # noqa: S704 - rendered with autoescape

    return _TEMPLATE.render(
        r=report, s=report["summary"], st=report["settings"], verdict_text=VERDICT_TEXT[report["verdict"]],
        entity_chart=bar_chart(entity_items, "findings per entity (incl. baselined)"),
        field_chart=bar_chart(field_items, "findings per field"), risk=risk)
