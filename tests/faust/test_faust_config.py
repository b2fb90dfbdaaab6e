"""Guarantee resolution and refusals of the Faust runner (no broker needed)."""
from __future__ import annotations

import pytest

from scrubber.config import parse_topics
from scrubber.faust.app import check_guarantee
from scrubber.faust.settings import FaustConfigError, FaustSettings, route_guarantees

BASE = """
version: 1
{defaults}
routes:
  - {{name: a, input: in.a, output: out.a{ga}}}
  - {{name: b, input: in.b, output: out.b{gb}}}
"""


def cfg(defaults: str = "", ga: str = "", gb: str = ""):
    return parse_topics(BASE.format(defaults=defaults, ga=ga, gb=gb))


def test_unset_guarantee_is_at_least_once_for_faust():
    assert route_guarantees(cfg()) == {"a": "at_least_once", "b": "at_least_once"}
    assert check_guarantee(cfg()) == "at_least_once"


def test_exactly_once_is_refused_with_the_reason_and_the_alternative():
    with pytest.raises(FaustConfigError, match=r"refused by the Faust runner.*scrubber run"):
        check_guarantee(cfg("defaults: {guarantee: exactly_once}"), env={})


def test_exactly_once_can_be_evaluated_behind_an_explicit_opt_in():
    opt_in = {"SCRUBBER_FAUST_EXPERIMENTAL_EXACTLY_ONCE": "1"}
    assert check_guarantee(cfg("defaults: {guarantee: exactly_once}"), env=opt_in) == "exactly_once"


def test_mixed_guarantees_are_refused_with_the_routes_named():
    with pytest.raises(FaustConfigError, match=r"a=exactly_once, b=at_least_once"):
        check_guarantee(cfg("defaults: {guarantee: exactly_once}", gb=", guarantee: at_least_once"), env={})


def test_settings_from_env():
    s = FaustSettings.from_env({"SCRUBBER_CONFIG": "x.yaml", "SCRUBBER_FAUST_WEB_PORT": "7001",
                                "SCRUBBER_FAUST_OPTIONS": '{"broker_session_timeout": 6}'}, app_id="custom")
    assert (s.config_path, s.web_port, s.app_id, s.extra) == ("x.yaml", 7001, "custom", {"broker_session_timeout": 6})
