"""Rendering the check report: JSON (machines), Markdown (pull requests), console summary (CI logs).

All renderers read the one report dict built by ``scrubber.check.runner``; none of them sees a raw
value, only counts, masked examples and keyed fingerprints. Output is deterministic: keys and
rows are sorted, and nothing time-dependent appears unless ``--timestamp`` put it in the report.
"""
from __future__ import annotations

import json
from typing import Any

MD_ROWS = 50


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _md_cell(value: Any) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out


VERDICT_TEXT = {"pass": "PASS: safe to publish under this policy",
                "fail": "FAIL: the policy is violated, do not publish",
                "error": "ERROR: some input could not be read, the check is incomplete"}


def to_markdown(report: dict) -> str:
    s = report["summary"]
    st = report["settings"]
    lines = [f"# Release check: {VERDICT_TEXT[report['verdict']]}", ""]
    if "timestamp" in report:
        lines += [f"Checked at {report['timestamp']}.", ""]
    lines += [f"{s['files']} file(s), {s['records']} record(s), {s['bytes']} bytes. Policy `{st['policy']}` "
              f"({st['policy_source']}), k={st['k']}, NER `{st['ner']}`, user field "
              f"`{st['user_field'] or '-'}`. Exit code {report['exit_code']}.", ""]
    lines += [f"Fingerprints: {report['fingerprints']['note']}.", ""]
    lines += ["## Violations", ""]
    if report["violations"]:
        lines += _table(["severity", "check", "rule", "what"],
                        [["fatal" if v["fatal"] else "warning", v["check"], v["rule"], v["message"]]
                         for v in report["violations"]])
    else:
        lines.append("None.")
    lines += ["", "## Identifiers by entity", ""]
    ents = report["entities"]
    if ents:
        lines += _table(["entity", "kind", "findings", "baselined", "records", "rate", "limit", "status", "masked examples"],
                        [[n, e["kind"], e["count"], e["baselined"], e["records"], f"{e['rate']:.4%}", e["limit"],
                          e["status"], e["examples"]] for n, e in ents.items()])
    else:
        lines.append("No findings.")
    if report["fields"]:
        lines += ["", "## Findings by field", ""]
        lines += _table(["field", "findings"],
                        [[f, ", ".join(f"{k}={v}" for k, v in c.items())] for f, c in report["fields"].items()])
    located = [(n, loc) for n, locs in report["locations"].items() for loc in locs[:10] if not loc["baselined"]]
    if located:
        lines += ["", "## Where (first 10 per entity, not baselined)", ""]
        lines += _table(["entity", "file", "line", "record id", "field", "masked"],
                        [[n, loc["file"], loc["line"], loc.get("id") or "", loc["field"], loc["example"]]
                         for n, loc in located])
    lines += ["", "## Re-identification risk: rare values", ""]
    lines += _risk_lines(report["rare_values"], [
        ("k", "k"), ("values of the query fields", "occurrences"), ("distinct values", "distinct_values"),
        ("values issued by fewer than k users", "rare_values"), ("records holding them", "records_affected"),
        ("accepted by baseline", "baselined"), ("release action", "action")])
    rv = report["rare_values"]
    if rv.get("suppress"):
        lines += ["", f"To suppress (first {min(len(rv['suppress']), MD_ROWS)} of {rv['rare_values']}, by fingerprint):", ""]
        lines += _table(["fingerprint", "field", "users", "records"],
                        [[r["fingerprint"], r["field"], r["users"], r["records"]] for r in rv["suppress"][:MD_ROWS]])
    lines += ["", "## Re-identification risk: users combining a name with quasi-identifiers", ""]
    uc = report["user_combinations"]
    lines += _risk_lines(uc, [("users", "users"), ("users flagged", "users_flagged"),
                              ("their records", "records_affected"), ("accepted by baseline", "baselined"),
                              ("release action", "action")])
    if uc.get("combinations"):
        lines += ["", *_table(["entities combined", "users"], [[k, v] for k, v in uc["combinations"].items()])]
    if uc.get("suppress"):
        lines += ["", "To suppress (users by fingerprint):", ""]
        lines += _table(["user fingerprint", "entities", "records"],
                        [[r["fingerprint"], r["entities"], r["records"]] for r in uc["suppress"][:MD_ROWS]])
    lines += ["", "## k-anonymity of quasi-identifier columns", ""]
    ka = report["k_anonymity"]
    if ka.get("groups"):
        lines += [f"k = {ka['k']}; records in classes below k: {ka['records_below_k']}; status: {ka['status']}; "
                  f"release action: {ka['action']}.", ""]
        lines += _table(["columns", "records", "classes", "smallest class", "classes below k", "records below k"],
                        [[g["columns"], g["records"], g["classes"], g["min_k"], g["classes_below_k"],
                          g["records_below_k"]] for g in ka["groups"]])
    else:
        lines.append(f"{ka['status']}: {ka.get('reason', '')}".rstrip(": "))
    for key, title in (("input_errors", "Input errors"), ("scan_failures", "Records that could not be scanned")):
        sec = report[key]
        if sec["count"]:
            lines += ["", f"## {title} ({sec['count']})", ""]
            lines += _table(["file", "line", "reason"], [[i["file"], i["line"], i["reason"]] for i in sec["items"][:MD_ROWS]])
    if report["inputs"]["skipped"]:
        lines += ["", "## Files not checked (not a data format)", ""] + [f"- `{p}`" for p in report["inputs"]["skipped"]]
    if "release" in report:
        rel = report["release"]
        lines += ["", "## Release", "", f"Written to `{rel['dir']}` with scrub policy `{rel['scrub_policy']}` "
                  f"({rel['scrub_policy_fingerprint']}).", ""]
        lines += [f"- {k}: {v}" for k, v in rel["actions"].items()]
        lines += ["", *_table(["outcome", "records"], [[k, v] for k, v in rel["totals"].items()])]
    return "\n".join(lines) + "\n"


def _risk_lines(sec: dict, rows: list[tuple[str, str]]) -> list[str]:
    if sec.get("status") in ("skipped", "disabled", "not_applicable"):
        return [f"{sec['status']}: {sec.get('reason', 'disabled by the policy')}"]
    out = [f"Status: **{sec['status']}**", ""]
    out += _table(["", ""], [[label, sec.get(key)] for label, key in rows])
    return out


def console_summary(report: dict) -> str:
    """A few lines for CI logs: verdict, counts, each violation."""
    s = report["summary"]
    lines = [VERDICT_TEXT[report["verdict"]],
             f"  {s['files']} file(s), {s['records']} record(s): {s['findings']} finding(s) "
             f"({s['baselined']} baselined), {s['fatal_violations']} fatal violation(s), {s['warnings']} warning(s), "
             f"{s['input_errors']} input error(s)"]
    for name, e in report["entities"].items():
        if e["count"] or e["baselined"]:
            ex = f" e.g. {', '.join(e['examples'][:2])}" if e["examples"] else ""
            lines.append(f"  {e['status']:>4} {name}: {e['count']} (+{e['baselined']} baselined){ex}")
    for key, label in (("rare_values", "rare values"), ("user_combinations", "identifiable users"),
                       ("k_anonymity", "k-anonymity")):
        sec = report[key]
        detail = {"rare_values": lambda x: f"{x.get('rare_values', 0)} value(s) below k={x.get('k')}",
                  "user_combinations": lambda x: f"{x.get('users_flagged', 0)} user(s) flagged",
                  "k_anonymity": lambda x: f"{x.get('records_below_k', 0)} record(s) below k={x.get('k')}"}[key]
        if sec.get("status") in ("ok", "fail", "warn"):
            lines.append(f"  {sec['status']:>4} {label}: {detail(sec)}")
        else:
            lines.append(f"  {sec.get('status'):>4} {label}: {sec.get('reason', '')}")
    for v in report["violations"]:
        lines.append(f"  {'FATAL' if v['fatal'] else 'warn'} [{v['rule']}] {v['message']}")
    for item in report["input_errors"]["items"][:10]:
        lines.append(f"  {item['file']}:{item['line']}: {item['reason']}")
    if not report["fingerprints"]["stable"]:
        lines.append("  note: " + report["fingerprints"]["note"])
    return "\n".join(lines)
