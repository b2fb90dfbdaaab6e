"""The Faust runner connects with the service's Kafka settings: bootstrap servers and SASL/TLS
properties from topics.yaml and the SCRUBBER_KAFKA_* environment, translated to Faust's
broker_credentials, or refused by name (no broker needed)."""
from __future__ import annotations

import datetime
import logging
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faust.auth import GSSAPICredentials, SASLCredentials, SSLCredentials

from scrubber.config import parse_topics
from scrubber.faust.connection import broker_credentials, ignored_file_settings
from scrubber.faust.settings import FaustConfigError

ROUTES = """
detectors: {ner: {mode: "off"}, names: false}
routes:
  - {name: q, input: raw.q, output: clean.q, format: text, guarantee: at_least_once}
"""
SECRET = "hunter2"
CONSUMER = "SCRUBBER_KAFKA_CONSUMER_"


def kafka(env: dict[str, str], file_kafka: str = ""):  # noqa: ANN201
    return parse_topics(ROUTES + file_kafka, env=env).kafka


def refusal(env: dict[str, str], file_kafka: str = "") -> str:
    """The FaustConfigError message for these settings; it never holds the secret."""
    with pytest.raises(FaustConfigError) as exc:
        broker_credentials(kafka(env, file_kafka))
    message = str(exc.value)
    assert SECRET not in message
    return message


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed certificate and its key, encrypted with SECRET."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kafka.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    files = {"cert": folder / "client.pem", "key": folder / "client.key"}
    files["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.BestAvailableEncryption(SECRET.encode())))
    return files


# --- what is translated ------------------------------------------------------------------------

def test_no_connection_properties_means_plaintext_without_credentials():
    assert broker_credentials(kafka({}, "kafka:\n  consumer: {fetch.max.bytes: 1000}\n")) is None


def test_sasl_scram_credentials_come_from_the_environment_and_secret_files(tmp_path: Path):
    password = tmp_path / "pw"
    password.write_text(SECRET + "\n")
    creds = broker_credentials(kafka({f"{CONSUMER}SASL_PASSWORD_FILE": str(password),
                                      f"{CONSUMER}SASL_USERNAME": "scrubber"},
                                     "kafka:\n  consumer: {security.protocol: SASL_PLAINTEXT, "
                                     "sasl.mechanism: SCRAM-SHA-512}\n"))
    assert isinstance(creds, SASLCredentials)
    assert (creds.protocol.value, creds.mechanism.value, creds.username, creds.password, creds.ssl_context) == \
        ("SASL_PLAINTEXT", "SCRAM-SHA-512", "scrubber", SECRET, None)


def test_sasl_ssl_gets_a_verifying_ssl_context():
    creds = broker_credentials(kafka({f"{CONSUMER}SECURITY_PROTOCOL": "SASL_SSL", f"{CONSUMER}SASL_MECHANISMS": "PLAIN",
                                      f"{CONSUMER}SASL_USERNAME": "u", f"{CONSUMER}SASL_PASSWORD": SECRET}))
    assert isinstance(creds, SASLCredentials) and creds.protocol.value == "SASL_SSL"
    assert creds.ssl_context.verify_mode == ssl.CERT_REQUIRED and creds.ssl_context.check_hostname


def test_both_clients_sections_are_used_together():
    """One Faust app has one identity: the consumer's and the producer's properties combine."""
    creds = broker_credentials(kafka({"SCRUBBER_KAFKA_PRODUCER_SASL_PASSWORD": SECRET, f"{CONSUMER}SASL_PASSWORD": SECRET},
                                     "kafka:\n  consumer: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: PLAIN}\n"
                                     "  producer: {sasl.username: u}\n"))
    assert (creds.username, creds.password) == ("u", SECRET)


def test_gssapi_takes_the_kerberos_service_name():
    creds = broker_credentials(kafka({f"{CONSUMER}SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                                      f"{CONSUMER}SASL_KERBEROS_SERVICE_NAME": "kafka-prod"}))
    assert isinstance(creds, GSSAPICredentials) and creds.kerberos_service_name == "kafka-prod"


def test_ssl_loads_the_ca_and_the_client_certificate_with_its_key_password(tls_files: dict[str, Path]):
    creds = broker_credentials(kafka({f"{CONSUMER}SECURITY_PROTOCOL": "SSL",
                                      f"{CONSUMER}SSL_CA_LOCATION": str(tls_files["cert"]),
                                      f"{CONSUMER}SSL_CERTIFICATE_LOCATION": str(tls_files["cert"]),
                                      f"{CONSUMER}SSL_KEY_LOCATION": str(tls_files["key"]),
                                      f"{CONSUMER}SSL_KEY_PASSWORD": SECRET}))
    assert isinstance(creds, SSLCredentials) and creds.protocol.value == "SSL"
    assert [c["subject"] for c in creds.context.get_ca_certs()] == [((("commonName", "kafka.test"),),)]


def test_certificate_verification_can_be_switched_off():
    creds = broker_credentials(kafka({}, "kafka:\n  consumer: {security.protocol: SSL, "
                                         "enable.ssl.certificate.verification: false}\n"))
    assert (creds.context.verify_mode, creds.context.check_hostname) == (ssl.CERT_NONE, False)


def test_hostname_check_can_be_switched_off_alone():
    creds = broker_credentials(kafka({f"{CONSUMER}SECURITY_PROTOCOL": "SSL",
                                      f"{CONSUMER}SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "none"}))
    assert (creds.context.verify_mode, creds.context.check_hostname) == (ssl.CERT_REQUIRED, False)


# --- what is refused, by name --------------------------------------------------------------------

def test_a_property_aiokafka_cannot_take_is_refused_with_its_source():
    message = refusal({f"{CONSUMER}SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                       f"{CONSUMER}SASL_KERBEROS_KEYTAB": "/etc/krb5.keytab"})
    assert f"sasl.kerberos.keytab (from {CONSUMER}SASL_KERBEROS_KEYTAB)" in message


def test_ssl_properties_with_a_plaintext_protocol_are_refused():
    message = refusal({f"{CONSUMER}SSL_CA_LOCATION": "/ca.pem"})
    assert "ssl.ca.location (from" in message and "security.protocol PLAINTEXT" in message


def test_password_with_gssapi_the_librdkafka_default_is_refused():
    message = refusal({f"{CONSUMER}SECURITY_PROTOCOL": "SASL_SSL", f"{CONSUMER}SASL_PASSWORD": SECRET,
                       f"{CONSUMER}SASL_USERNAME": "u"})
    assert "sasl.password (from" in message and "sasl.mechanism GSSAPI" in message


def test_oauthbearer_is_refused_by_name():
    message = refusal({f"{CONSUMER}SECURITY_PROTOCOL": "SASL_SSL", f"{CONSUMER}SASL_MECHANISM": "OAUTHBEARER"})
    assert f"sasl.mechanism (from {CONSUMER}SASL_MECHANISM): OAUTHBEARER" in message


def test_a_missing_password_is_refused():
    message = refusal({f"{CONSUMER}SECURITY_PROTOCOL": "SASL_SSL", f"{CONSUMER}SASL_MECHANISM": "PLAIN",
                       f"{CONSUMER}SASL_USERNAME": "u"})
    assert "needs sasl.password" in message


def test_clients_with_different_credentials_are_refused_without_values():
    message = refusal({f"{CONSUMER}SASL_PASSWORD": SECRET, "SCRUBBER_KAFKA_PRODUCER_SASL_PASSWORD": "other"})
    assert "other" not in message and "one set of credentials" in message
    assert "SCRUBBER_KAFKA_PRODUCER_SASL_PASSWORD" in message


@pytest.mark.parametrize("prop, value", [("SECURITY_PROTOCOL", SECRET), ("SASL_MECHANISM", SECRET)])
def test_unknown_values_are_refused_without_echoing_them(prop: str, value: str):
    env = {f"{CONSUMER}SECURITY_PROTOCOL": "SASL_PLAINTEXT", f"{CONSUMER}{prop}": value}
    assert f"(from {CONSUMER}{prop}): not one of" in refusal(env)


def test_a_wrong_key_password_is_refused_naming_the_properties(tls_files: dict[str, Path]):
    message = refusal({f"{CONSUMER}SECURITY_PROTOCOL": "SSL",
                       f"{CONSUMER}SSL_CERTIFICATE_LOCATION": str(tls_files["cert"]),
                       f"{CONSUMER}SSL_KEY_LOCATION": str(tls_files["key"]),
                       f"{CONSUMER}SSL_KEY_PASSWORD": "wrong-" + SECRET})
    assert f"ssl.key.password (from {CONSUMER}SSL_KEY_PASSWORD): cannot load (SSLError" in message
    assert "wrong-" not in message


def test_an_unreadable_ca_file_is_refused_naming_the_property(tmp_path: Path):
    message = refusal({f"{CONSUMER}SECURITY_PROTOCOL": "SSL", f"{CONSUMER}SSL_CA_LOCATION": str(tmp_path / "no.pem")})
    assert f"ssl.ca.location (from {CONSUMER}SSL_CA_LOCATION): cannot load (FileNotFoundError" in message


def test_a_verification_flag_that_is_not_boolean_is_refused():
    message = refusal({f"{CONSUMER}SECURITY_PROTOCOL": "SSL", f"{CONSUMER}ENABLE_SSL_CERTIFICATE_VERIFICATION": "no"})
    assert "enable.ssl.certificate.verification (from" in message and "not true or false" in message


# --- tuning properties ---------------------------------------------------------------------------

def test_tuning_from_the_shared_file_is_named_for_the_warning():
    assert ignored_file_settings(kafka({}, "kafka:\n  consumer: {fetch.max.bytes: 1000, security.protocol: SSL}\n")) \
        == ["kafka.consumer.fetch.max.bytes"]


def test_tuning_from_the_environment_is_refused_by_name():
    with pytest.raises(FaustConfigError, match=r"kafka.producer.linger.ms \(from SCRUBBER_KAFKA_PRODUCER_LINGER_MS\)"):
        ignored_file_settings(kafka({"SCRUBBER_KAFKA_PRODUCER_LINGER_MS": "5"}))


# --- the app ------------------------------------------------------------------------------------

def test_the_app_gets_the_overridden_servers_and_credentials(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    from scrubber.faust.app import build_app
    from scrubber.faust.settings import FaustSettings
    cfg = parse_topics(ROUTES + "kafka:\n  consumer: {fetch.max.bytes: 1000}\n",
                       env={"SCRUBBER_KAFKA_BOOTSTRAP_SERVERS": "k1:9093,k2:9093",
                            f"{CONSUMER}SECURITY_PROTOCOL": "SASL_SSL", f"{CONSUMER}SASL_MECHANISM": "SCRAM-SHA-256",
                            f"{CONSUMER}SASL_USERNAME": "svc", f"{CONSUMER}SASL_PASSWORD": SECRET})
    with caplog.at_level(logging.INFO):
        app = build_app(FaustSettings(datadir=str(tmp_path)), cfg)
    assert [str(u) for u in app.conf.broker] == ["kafka://k1:9093", "kafka://k2:9093"]
    creds = app.conf.broker_credentials
    assert (creds.protocol.value, creds.mechanism.value, creds.username) == ("SASL_SSL", "SCRAM-SHA-256", "svc")
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "scrubber.faust.app"]
    assert warning.settings == ["kafka.consumer.fetch.max.bytes"]
    assert all(SECRET not in str(vars(r)) for r in caplog.records)
