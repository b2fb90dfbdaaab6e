import logging

import pytest
from typer.testing import CliRunner

from detectors.yamlconf import ConfigError
from scrubber.cli import app
from scrubber.config import is_connection_property, load_topics, parse_topics

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


# --- environment overrides -------------------------------------------------------------------

BOOTSTRAP = "SCRUBBER_KAFKA_BOOTSTRAP_SERVERS"


def test_bootstrap_servers_come_from_the_file_by_default():
    cfg = parse_topics(GOOD + "kafka: {bootstrap_servers: 'file:9092'}\n", env={})
    assert cfg.kafka.bootstrap_servers == "file:9092" and cfg.kafka.origin("bootstrap_servers") == "topics.yaml"
    assert parse_topics(GOOD, env={}).kafka.origin("bootstrap_servers") == "default"


def test_env_overrides_bootstrap_servers_after_the_file_is_validated():
    cfg = parse_topics(GOOD + "kafka: {bootstrap_servers: 'file:9092'}\n", env={BOOTSTRAP: " a:9092,b:9092\n"})
    assert cfg.kafka.bootstrap_servers == "a:9092,b:9092"
    assert cfg.kafka.origin("bootstrap_servers") == BOOTSTRAP
    with pytest.raises(ConfigError, match="routes\\[0\\].polcy"):
        parse_topics("routes:\n  - {name: q, input: a, output: b, polcy: x}\n", env={BOOTSTRAP: "a:9092"})


def test_load_topics_reads_the_process_environment(monkeypatch):
    """What `scrubber run`, its --workers children (spawned: they inherit the environment and
    call load_topics) and the Faust app get."""
    monkeypatch.setenv(BOOTSTRAP, "kafka:9092")
    cfg = load_topics("topics.yaml")
    assert cfg.kafka.bootstrap_servers == "kafka:9092" and cfg.kafka.origin("bootstrap_servers") == BOOTSTRAP


@pytest.mark.parametrize("value", ["", "  ", "\n"])
def test_empty_bootstrap_override_is_a_config_error(value):
    with pytest.raises(ConfigError) as exc:
        parse_topics(GOOD, env={BOOTSTRAP: value})
    assert str(exc.value) == (f"topics.yaml: {BOOTSTRAP}: empty: give host:port[,host:port...], "
                              "or unset it to use kafka.bootstrap_servers")


def test_empty_bootstrap_servers_in_the_file_is_located():
    with pytest.raises(ConfigError, match="topics.yaml:2: kafka.bootstrap_servers: .*empty"):
        parse_topics("kafka:\n  bootstrap_servers: ''\n" + GOOD, env={})


def test_load_settings_ignores_the_kafka_environment(monkeypatch, tmp_path):
    """The offline tools never connect: a broken service override must not stop an audit."""
    from scrubber.config import load_settings
    path = tmp_path / "settings.yaml"
    path.write_text("kafka: {bootstrap_servers: 'file:9092'}\n")
    monkeypatch.setenv(BOOTSTRAP, "")
    assert load_settings(path).kafka.bootstrap_servers == "file:9092"


def test_client_settings_from_env_and_files_override_the_file(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    env = {"SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD_FILE": str(secret),
           "SCRUBBER_KAFKA_CONSUMER_SECURITY_PROTOCOL": "SASL_SSL",
           "SCRUBBER_KAFKA_PRODUCER_SASL_USERNAME": "scrubber"}
    cfg = parse_topics(GOOD + "kafka:\n  consumer: {security.protocol: PLAINTEXT, fetch.max.bytes: 1000}\n", env=env)
    assert cfg.kafka.consumer == {"security.protocol": "SASL_SSL", "fetch.max.bytes": 1000, "sasl.password": "s3cret"}
    assert cfg.kafka.producer == {"sasl.username": "scrubber"}
    assert cfg.kafka.origin("consumer.sasl.password") == "SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD_FILE"
    assert cfg.kafka.origin("consumer.security.protocol") == "SCRUBBER_KAFKA_CONSUMER_SECURITY_PROTOCOL"
    assert cfg.kafka.origin("consumer.fetch.max.bytes") == "topics.yaml"


@pytest.mark.parametrize("env, expected", [
    ({"SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD": ""}, "SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD: empty"),
    ({"SCRUBBER_KAFKA_PRODUCER_SASL_PASSWORD_FILE": "/nonexistent/pw"},
     "SCRUBBER_KAFKA_PRODUCER_SASL_PASSWORD_FILE: cannot read /nonexistent/pw: FileNotFoundError"),
    ({"SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD": "hunter2", "SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD_FILE": "/x"},
     "both set sasl.password"),
    ({"SCRUBBER_KAFKA_CONSUMER_": "hunter2"}, "no librdkafka property"),
])
def test_unusable_client_overrides_are_config_errors_without_values(env, expected):
    with pytest.raises(ConfigError) as exc:
        parse_topics(GOOD, env=env)
    assert expected in str(exc.value) and "hunter2" not in str(exc.value)


def test_empty_secret_file_is_an_error(tmp_path):
    empty = tmp_path / "pw"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD_FILE: empty file"):
        parse_topics(GOOD, env={"SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD_FILE": str(empty)})


@pytest.mark.parametrize("prop, connection", [
    ("security.protocol", True), ("sasl.password", True), ("sasl.mechanisms", True), ("ssl.ca.location", True),
    ("enable.ssl.certificate.verification", True), ("https.ca.location", True),
    ("fetch.max.bytes", False), ("linger.ms", False), ("session.timeout.ms", False), ("client.id", False),
])
def test_connection_properties_are_the_auth_and_tls_ones(prop, connection):
    assert is_connection_property(prop) is connection


def test_connection_merges_both_clients_without_their_tuning():
    cfg = parse_topics(GOOD + "kafka:\n  consumer: {security.protocol: SSL, fetch.max.bytes: 1000}\n"
                       "  producer: {ssl.ca.location: /ca.pem, linger.ms: 5}\n", env={})
    assert cfg.kafka.connection() == {"security.protocol": "SSL", "ssl.ca.location": "/ca.pem"}


def test_connection_takes_a_value_both_clients_agree_on():
    cfg = parse_topics(GOOD + "kafka:\n  producer: {enable.ssl.certificate.verification: false}\n",
                       env={"SCRUBBER_KAFKA_CONSUMER_ENABLE_SSL_CERTIFICATE_VERIFICATION": "false"})
    assert cfg.kafka.connection() == {"enable.ssl.certificate.verification": "false"}


# --- the commands and the runner use the overrides ---------------------------------------------

SERVICE = """
detectors: {ner: {mode: "off"}, names: false}
routes:
  - {name: q, input: raw.q, output: clean.q, format: text}
"""
SERVICE_ENV = {BOOTSTRAP: "cluster:9092", "SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD": "hunter2"}


@pytest.fixture
def service_config(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text(SERVICE)
    return path


def test_topics_check_shows_the_effective_kafka_settings_and_their_sources_but_no_secret(service_config):
    res = CliRunner().invoke(app, ["topics", "check", str(service_config)], env=SERVICE_ENV)
    assert res.exit_code == 0, res.output
    assert f"kafka.bootstrap_servers: cluster:9092 (from {BOOTSTRAP})" in res.output
    assert "kafka.consumer: sasl.password (from SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD)" in res.output
    assert "hunter2" not in res.output


def test_topics_check_fails_on_an_empty_override(service_config):
    res = CliRunner().invoke(app, ["topics", "check", str(service_config)], env={BOOTSTRAP: ""})
    assert res.exit_code == 2 and f"{BOOTSTRAP}: empty" in res.output


def test_topics_create_connects_to_the_overridden_servers(service_config, monkeypatch):
    calls = []
    monkeypatch.setattr("scrubber.kafka.admin.create_route_topics",
                        lambda kafka, *a: calls.append(kafka.bootstrap_servers) or [])
    res = CliRunner().invoke(app, ["topics", "create", "--config", str(service_config)], env=SERVICE_ENV)
    assert res.exit_code == 0, res.output
    assert calls == ["cluster:9092"] and f"cluster:9092 (from {BOOTSTRAP})" in res.output


class RecordingAdmin:
    """confluent_kafka's AdminClient, recording its config; every topic is created."""
    configs: list[dict] = []

    def __init__(self, conf: dict) -> None:
        RecordingAdmin.configs.append(conf)

    def create_topics(self, topics: list, **_: object) -> dict:
        from concurrent.futures import Future
        futures = {t.topic: Future() for t in topics}
        for future in futures.values():
            future.set_result(None)
        return futures


SASL_ENV = {**SERVICE_ENV, "SCRUBBER_KAFKA_CONSUMER_SECURITY_PROTOCOL": "SASL_SSL",
            "SCRUBBER_KAFKA_CONSUMER_SASL_MECHANISM": "SCRAM-SHA-512",
            "SCRUBBER_KAFKA_CONSUMER_SASL_USERNAME": "scrubber",
            "SCRUBBER_KAFKA_CONSUMER_FETCH_MAX_BYTES": "1000"}


def test_topics_create_authenticates_like_the_service(service_config, monkeypatch):
    monkeypatch.setattr("scrubber.kafka.admin.AdminClient", RecordingAdmin)
    RecordingAdmin.configs = []
    res = CliRunner().invoke(app, ["topics", "create", "--config", str(service_config)], env=SASL_ENV)
    assert res.exit_code == 0, res.output
    assert RecordingAdmin.configs == [{"bootstrap.servers": "cluster:9092", "security.protocol": "SASL_SSL",
                                       "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "scrubber",
                                       "sasl.password": "hunter2"}]
    assert "sasl.password (from SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD)" in res.output
    assert "hunter2" not in res.output and "clean.q: created" in res.output


def test_topics_create_without_auth_settings_gets_only_the_servers(service_config, monkeypatch):
    monkeypatch.setattr("scrubber.kafka.admin.AdminClient", RecordingAdmin)
    RecordingAdmin.configs = []
    res = CliRunner().invoke(app, ["topics", "create", "--config", str(service_config)],
                             env={BOOTSTRAP: "cluster:9092", "SCRUBBER_KAFKA_PRODUCER_LINGER_MS": "5"})
    assert res.exit_code == 0, res.output
    assert RecordingAdmin.configs == [{"bootstrap.servers": "cluster:9092"}]
    assert "kafka connection" not in res.output


def test_topics_create_refuses_clients_that_disagree_on_credentials(service_config, monkeypatch):
    monkeypatch.setattr("scrubber.kafka.admin.AdminClient", RecordingAdmin)
    RecordingAdmin.configs = []
    env = {**SERVICE_ENV, "SCRUBBER_KAFKA_PRODUCER_SASL_PASSWORD": "other-secret"}
    res = CliRunner().invoke(app, ["topics", "create", "--config", str(service_config)], env=env)
    assert res.exit_code == 2 and RecordingAdmin.configs == []
    assert ("kafka.consumer.sasl.password (from SCRUBBER_KAFKA_CONSUMER_SASL_PASSWORD) and "
            "kafka.producer.sasl.password (from SCRUBBER_KAFKA_PRODUCER_SASL_PASSWORD) differ") in res.output
    assert "hunter2" not in res.output and "other-secret" not in res.output


def test_run_hands_the_overridden_config_to_the_runner(service_config, monkeypatch):
    seen = []

    class Recorder:
        def __init__(self, cfg, route, options):  # noqa: ANN001
            seen.append((cfg.kafka.bootstrap_servers, dict(cfg.kafka.consumer), route))

        def run(self) -> int:
            return 0

    monkeypatch.setattr("scrubber.app.ScrubberApp", Recorder)
    monkeypatch.setattr("scrubber.logs.setup_logging", lambda *a, **k: None)
    monkeypatch.setattr("faulthandler.register", lambda *a, **k: None)   # CliRunner's stderr has no fd
    res = CliRunner().invoke(app, ["run", "--config", str(service_config)], env=SERVICE_ENV)
    assert res.exit_code == 0, res.output
    assert seen == [("cluster:9092", {"sasl.password": "hunter2"}, "q")]


def test_runner_builds_its_kafka_clients_from_the_overrides_and_logs_the_source(
        service_config, monkeypatch, caplog):
    """ScrubberApp.run with recording clients: the consumer and producer get the overridden
    bootstrap servers and settings; the start-up log names the source, never a setting's value."""
    from confluent_kafka import TopicPartition

    from scrubber.app import RunOptions, ScrubberApp
    from scrubber.keys import KeyRing
    clients = {}

    class Consumer:
        def __init__(self, servers, group, subscription, *, overrides, on_assign, **_):  # noqa: ANN001
            clients["consumer"] = (servers, overrides)
            self.assignment = [TopicPartition("raw.q", 0)]
            self._on_assign = on_assign

        def subscribe(self) -> None:
            self._on_assign(self.assignment)

        def consume_batch(self, *a, **k) -> list:  # noqa: ANN002, ANN003
            return []

        def lags(self) -> list:
            return []

        def close(self) -> None:
            pass

    class Producer:
        in_transaction = False

        def __init__(self, servers, *, overrides, **_):  # noqa: ANN001
            clients["producer"] = (servers, overrides)

        def init(self, timeout: float) -> None:
            pass

        def close(self, timeout: float = 0) -> None:
            pass

    monkeypatch.setattr("scrubber.app.BatchConsumer", Consumer)
    monkeypatch.setattr("scrubber.app.OutputProducer", Producer)
    cfg = load_topics(service_config, env={**SERVICE_ENV, "SCRUBBER_KAFKA_PRODUCER_SASL_USERNAME": "svc"})
    scrubber = ScrubberApp(cfg, "q", RunOptions(idle_exit_seconds=0.1, install_signal_handlers=False),
                           keys=KeyRing(), processor=object())
    with caplog.at_level(logging.INFO, logger="scrubber.app"):
        assert scrubber.run() == 0
    assert clients == {"consumer": ("cluster:9092", {"sasl.password": "hunter2"}),
                       "producer": ("cluster:9092", {"sasl.username": "svc"})}
    (start,) = [r for r in caplog.records if r.getMessage() == "starting"]
    assert (start.bootstrap_servers, start.bootstrap_servers_from) == ("cluster:9092", BOOTSTRAP)
    assert all("hunter2" not in str(vars(r)) for r in caplog.records)
