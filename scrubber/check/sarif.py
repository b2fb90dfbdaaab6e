"""SARIF 2.1.0 output, for code-scanning tools (GitHub code scanning, GitLab, Azure DevOps).

One rule per entity (``pii/EMAIL_ADDRESS``, ``secret/API_KEY``) and per risk check
(``risk/rare-value``, ``risk/user-combination``, ``risk/k-anonymity``), plus ``input/error``.
Results carry file + line locations (the row number for Parquet/Arrow), the masked example in
the message and, when the key is stable, the keyed fingerprint as a partial fingerprint so the
code-scanning tool can track a finding across runs. Baselined findings are emitted with an
external suppression, as the spec intends for accepted results.
"""
from __future__ import annotations

import json
from pathlib import Path

from detectors.entities import ENTITIES, Kind, kind_of

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RISK_TEXT = {
    "rare-value": "A value of a query field issued by fewer than k distinct users (AOL-style re-identification).",
    "user-combination": "A user whose records combine a person name with quasi-identifiers.",
    "k-anonymity": "Records whose quasi-identifier columns put them in an equivalence class smaller than k.",
    "scan-failure": "Records the detectors could not finish scanning; they may hold anything.",
    "input-error": "Records or file parts that could not be read.",
}


def rule_id(entity: str) -> str:
    return ("secret/" if kind_of(entity) is Kind.SECRET else "pii/") + entity


def to_sarif(report: dict) -> str:
    rules: dict[str, dict] = {}
    results: list[dict] = []

    def add_rule(rid: str, name: str, text: str, level: str) -> None:
        rules.setdefault(rid, {"id": rid, "name": name, "shortDescription": {"text": text},
                               "defaultConfiguration": {"level": level}})

    for name, ent in report["entities"].items():
        rid = rule_id(name)
        level = "error" if ent["fatal"] else ("warning" if ent["limit"] != "no limit" else "note")
        desc = ENTITIES[name].description if name in ENTITIES else name
        add_rule(rid, name, f"{desc} ({ent['kind']} identifier)", level)
        res_level = "error" if ent["status"] == "fail" else ("warning" if ent["status"] == "warn" else "note")
        for loc in report["locations"].get(name, []):
            result = {
                "ruleId": rid, "level": res_level,
                "message": {"text": f"{name} in field {loc['field']}" + (f" of record {loc['id']}" if loc.get("id") else "")
                                    + f": {loc['example']}"},
                "locations": [_location(loc["file"], loc["line"])],
            }
            if loc.get("fingerprint"):
                result["partialFingerprints"] = {"scrubberValue/v1": loc["fingerprint"]}
            if loc.get("baselined"):
                result["suppressions"] = [{"kind": "external", "justification": "accepted in the baseline"}]
            results.append(result)

    for key, rid in (("rare_values", "rare-value"), ("user_combinations", "user-combination"),
                     ("k_anonymity", "k-anonymity")):
        sec = report[key]
        if sec.get("status") not in ("fail", "warn"):
            continue
        level = "error" if sec["status"] == "fail" else "warning"
        add_rule(f"risk/{rid}", rid, RISK_TEXT[rid], level)
        msg = next((v["message"] for v in report["violations"] if v["rule"] == rid), rid)
        files = [f["path"] for f in report["inputs"]["files"] if not f["copy_only"]]
        results.append({"ruleId": f"risk/{rid}", "level": level, "message": {"text": msg},
                        "locations": [_location(f) for f in files[:20]]})

    for key, rid in (("input_errors", "input-error"), ("scan_failures", "scan-failure")):
        items = report[key]["items"]
        if items:
            add_rule(f"input/{rid}", rid, RISK_TEXT[rid], "error")
        for item in items:
            results.append({"ruleId": f"input/{rid}", "level": "error", "message": {"text": item["reason"]},
                            "locations": [_location(item["file"], item["line"])]})

    ordered = sorted(rules)
    index = {rid: i for i, rid in enumerate(ordered)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "scrubber check",
                                "rules": [rules[r] for r in ordered]}},
            "results": results,
            "properties": {"verdict": report["verdict"], "exitCode": report["exit_code"],
                           "summary": report["summary"]},
        }],
    }
    return json.dumps(sarif, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _location(file: str, line: int | None = None) -> dict:
    # Relative paths (as CI passes them) stay relative to the checkout, which is what code-scanning
    # tools resolve against; absolute ones become file:// URIs, as SARIF requires.
    uri = Path(file).as_uri() if Path(file).is_absolute() else file
    phys: dict = {"artifactLocation": {"uri": uri}}
    if line:
        phys["region"] = {"startLine": int(line)}
    return {"physicalLocation": phys}
