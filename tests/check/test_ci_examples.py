"""The CI examples in deploy/ci stay valid: the policy loads, the workflow and hook parse and
call options the command has."""
from __future__ import annotations

from pathlib import Path

import yaml

from scrubber.check.policy import CheckPolicy, load_check_policy

CI = Path(__file__).resolve().parents[2] / "deploy" / "ci"


def test_example_policy_loads() -> None:
    policy = load_check_policy(CI / "policy.example.yaml")
    assert policy.rule_for("URL").max_rate == 0.02
    assert policy.rule_for("API_KEY").fatal  # secrets stay fatal whatever the kinds say


def test_strict_defaults() -> None:
    p = CheckPolicy()
    assert p.k == 5 and p.rule_for("EMAIL_ADDRESS").max_count == 0 and p.rule_for("EMAIL_ADDRESS").fatal
    assert not p.rule_for("LOCATION").fatal and not p.rule_for("DATE_TIME").fatal


def test_workflow_and_hook_parse() -> None:
    workflow = yaml.safe_load((CI / "release-check.yml").read_text())
    run = " ".join(s.get("run", "") for s in workflow["jobs"]["check"]["steps"])
    for opt in ("--policy", "--baseline", "--user-field", "--sarif", "--html", "--jobs"):
        assert opt in run
    (hook,) = yaml.safe_load((CI / "pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "scrubber-check" and hook["entry"].startswith("scrubber check")
