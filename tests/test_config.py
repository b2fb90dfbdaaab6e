import pytest

from detectors.yamlconf import ConfigError
from scrubber.config import load_topics, parse_topics

GOOD = """
routes:
  - name: q
    input: raw.q
    output: clean.q
    format: text
"""


def test_repo_topics_yaml_is_valid():
    cfg = load_topics("topics.yaml")
    assert {r.name for r in cfg.resolved_routes()} >= {"queries", "chats"}


def test_defaults_fill_routes():
    route = parse_topics(GOOD).resolved_routes()[0]
    assert route.group == "scrubber-q" and route.policy.name == "stream" and route.guarantee == "exactly_once"


@pytest.mark.parametrize("text, expected", [
    ("routes:\n  - name: q\n    input: a\n    output: b\n    polcy: stream\n", "topics.yaml:5: routes[0].polcy"),
    ("routes:\n  - name: q\n    input: a\n    output: b\n    policy: strcit\n", "topics.yaml:5: routes[0].policy: unknown policy 'strcit'"),
    ("routes:\n  - name: q\n    input: a\n    output: a\n", "routes[0].output"),
    ("routes:\n  - name: q\n    output: b\n", "exactly one of 'input' or 'input_pattern'"),
    ("routes: [\n", "invalid YAML"),
    ("defaults:\n  batch:\n    max_messages: 0\n", "topics.yaml:3: defaults.batch.max_messages"),
])
def test_errors_point_at_line_and_key(text, expected):
    with pytest.raises(ConfigError) as exc:
        parse_topics(text)
    assert expected in str(exc.value)


def test_policies_extend_and_cycles_are_reported():
    cfg = parse_topics(GOOD + "policies:\n  mine:\n    extends: release\n    entities: {PERSON: pseudonym}\n")
    mine = cfg.all_policies()["mine"]
    assert mine.action_for("PERSON").action == "pseudonym" and mine.min_score == 0.3
    with pytest.raises(ConfigError, match="cyclic"):
        parse_topics(GOOD + "policies:\n  a: {extends: b}\n  b: {extends: a}\n")
