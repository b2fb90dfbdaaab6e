"""The service's Kafka connection settings, translated for Faust.

Faust talks to Kafka through aiokafka, which takes no librdkafka properties, yet the cluster and
its credentials come from the same topics.yaml and ``SCRUBBER_KAFKA_*`` environment as for
``scrubber run``: the bootstrap servers (``SCRUBBER_KAFKA_BOOTSTRAP_SERVERS`` applies) and the
connection properties of ``kafka.consumer`` / ``kafka.producer`` (``KafkaSettings.connection``;
one Faust app has one set of credentials for all its clients, so the two sections must agree).
They become Faust's ``broker_credentials``:

================================================================  ==============================
librdkafka                                                        Faust / aiokafka
================================================================  ==============================
``security.protocol`` PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL    the credentials' protocol
``sasl.mechanism(s)`` PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 with    ``SASLCredentials``
``sasl.username`` and ``sasl.password``
``sasl.mechanism(s)`` GSSAPI (librdkafka's default), optional     ``GSSAPICredentials``
``sasl.kerberos.service.name``
``ssl.ca.location`` (file or folder; ``probe``), ``ssl.ca.pem``   SSL context: trusted CAs
``ssl.certificate.location``, ``ssl.key.location``,               SSL context: client certificate
``ssl.key.password``
``ssl.endpoint.identification.algorithm`` https / none            ``check_hostname``
``enable.ssl.certificate.verification``                           ``verify_mode`` (false: none)
================================================================  ==============================

Anything else that says how to connect (OAUTHBEARER, Kerberos keytabs, inline client keys, cipher
lists, an SSL property with a PLAINTEXT protocol...) stops the start with a FaustConfigError
naming the property and where it came from: a dropped credential means connecting without it.
Tuning properties (``fetch.max.bytes``...) have no aiokafka meaning either: set through the
environment, which is this deployment's own, they are refused the same way; in the file, which
``scrubber run`` shares, they are left aside with a warning naming them (``SCRUBBER_FAUST_OPTIONS``
holds Faust's tuning). Messages and logs name properties and sources, never values.
"""
from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import TypeVar

from faust.auth import Credentials, GSSAPICredentials, SASLCredentials, SSLCredentials

from scrubber.config import CLIENT_ENV_PREFIXES, KafkaSettings, is_connection_property
from scrubber.faust.settings import FaustConfigError

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
PASSWORD_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
MECHANISM_PROPS = ("sasl.mechanism", "sasl.mechanisms")   # librdkafka's name and its alias
SSL_PROPS = frozenset({"ssl.ca.location", "ssl.ca.pem", "ssl.certificate.location", "ssl.key.location",
                       "ssl.key.password", "ssl.endpoint.identification.algorithm",
                       "enable.ssl.certificate.verification"})
SASL_PROPS = {"GSSAPI": frozenset({*MECHANISM_PROPS, "sasl.kerberos.service.name"}),
              **{m: frozenset({*MECHANISM_PROPS, "sasl.username", "sasl.password"}) for m in PASSWORD_MECHANISMS}}
Settings = dict[str, str | int | bool]
T = TypeVar("T")


def broker_credentials(kafka: KafkaSettings) -> Credentials | None:
    """Faust's ``broker_credentials`` for the service's cluster (None: PLAINTEXT, no auth), or
    FaustConfigError naming what cannot be translated."""
    try:
        props = kafka.connection()
    except ValueError as exc:   # consumer and producer disagree: one Faust app has one identity
        raise FaustConfigError(f"{exc} (the Faust runner uses one set of credentials for all its clients)") from None
    protocol = _protocol(kafka, props)
    mechanism = _mechanism(kafka, props) if protocol.startswith("SASL") else None
    usable = {"security.protocol"} | (SSL_PROPS if protocol.endswith("SSL") else set()) | SASL_PROPS.get(mechanism, set())
    _refuse(kafka, sorted(set(props) - usable), f"security.protocol {protocol}" + _mechanism_text(props, mechanism))
    context = _ssl_context(kafka, props) if protocol.endswith("SSL") else None
    if mechanism is None:
        return SSLCredentials(context) if context is not None else None
    if mechanism == "GSSAPI":
        return GSSAPICredentials(kerberos_service_name=str(props.get("sasl.kerberos.service.name", "kafka")),
                                 ssl_context=context)
    missing = [p for p in ("sasl.username", "sasl.password") if p not in props]
    if missing:
        raise FaustConfigError(f"sasl.mechanism {mechanism} needs {' and '.join(missing)}: not set in kafka.consumer, "
                               "kafka.producer or SCRUBBER_KAFKA_{CONSUMER,PRODUCER}_...")
    return SASLCredentials(username=str(props["sasl.username"]), password=str(props["sasl.password"]),
                           mechanism=mechanism, ssl_context=context)


def ignored_file_settings(kafka: KafkaSettings) -> list[str]:
    """The tuning properties of the topics.yaml sections, which the Faust runner leaves aside (the
    caller warns); FaustConfigError for ones set through the environment (see the module doc)."""
    tuning = [(client, prop) for client in CLIENT_ENV_PREFIXES for prop in sorted(getattr(kafka, client))
              if not is_connection_property(prop)]
    from_env = [f"kafka.{c}.{p} (from {kafka.origin(f'{c}.{p}')})" for c, p in tuning if _from_env(kafka, c, p)]
    if from_env:
        raise FaustConfigError(f"the Faust runner cannot apply librdkafka settings: {', '.join(from_env)}; "
                               "unset them (Faust settings go in SCRUBBER_FAUST_OPTIONS) or use `scrubber run`")
    return [f"kafka.{c}.{p}" for c, p in tuning]


def _from_env(kafka: KafkaSettings, client: str, prop: str) -> bool:
    return kafka.origin(f"{client}.{prop}").startswith(CLIENT_ENV_PREFIXES[client])


def _refuse(kafka: KafkaSettings, props: list[str], setup: str) -> None:
    """FaustConfigError naming ``props``, which have no aiokafka counterpart with ``setup``."""
    if props:
        named = ", ".join(f"{p} (from {kafka.sources(p)})" for p in props)
        raise FaustConfigError(f"the Faust runner cannot apply the Kafka connection properties {named} with {setup} "
                               "(aiokafka has no such setting, or it does not apply there): remove them or use "
                               "`scrubber run`")


def _mechanism_text(props: Settings, mechanism: str | None) -> str:
    if mechanism is None:
        return ""
    default = "" if any(p in props for p in MECHANISM_PROPS) else " (librdkafka's default: none is set)"
    return f" and sasl.mechanism {mechanism}{default}"


def _protocol(kafka: KafkaSettings, props: Settings) -> str:
    protocol = str(props.get("security.protocol", "PLAINTEXT")).upper()
    if protocol not in PROTOCOLS:
        raise FaustConfigError(f"security.protocol (from {kafka.sources('security.protocol')}): not one of "
                               f"{', '.join(PROTOCOLS)}")
    return protocol


def _mechanism(kafka: KafkaSettings, props: Settings) -> str:
    """The SASL mechanism; GSSAPI when none is set, as in librdkafka."""
    given = [p for p in MECHANISM_PROPS if p in props]
    values = {str(props[p]).upper() for p in given}
    where = ", ".join(f"{p} (from {kafka.sources(p)})" for p in given)
    if len(values) > 1:
        raise FaustConfigError(f"{where}: different SASL mechanisms; keep one")
    mechanism = values.pop() if values else "GSSAPI"
    if mechanism == "OAUTHBEARER":
        raise FaustConfigError(f"{where}: OAUTHBEARER needs a token provider, which cannot be built from librdkafka "
                               "settings; use `scrubber run`")
    if mechanism not in SASL_PROPS:
        raise FaustConfigError(f"{where}: not one of {', '.join(sorted(SASL_PROPS))}")
    return mechanism


def _ssl_context(kafka: KafkaSettings, props: Settings) -> ssl.SSLContext:
    """A client SSL context like librdkafka's: system CAs unless ``ssl.ca.*`` says otherwise,
    hostname verification on unless switched off."""
    ca = str(props.get("ssl.ca.location", "probe"))
    cafile = capath = None
    if ca != "probe":
        cafile, capath = (None, ca) if os.path.isdir(ca) else (ca, None)
    context = _load(kafka, ("ssl.ca.location", "ssl.ca.pem"), ssl.create_default_context, cafile=cafile,
                    capath=capath, cadata=props.get("ssl.ca.pem"))
    _client_certificate(kafka, props, context)
    verify = _flag(kafka, props, "enable.ssl.certificate.verification")
    context.check_hostname = verify and _hostname_check(kafka, props)
    if not verify:
        context.verify_mode = ssl.CERT_NONE
    return context


def _hostname_check(kafka: KafkaSettings, props: Settings) -> bool:
    name = "ssl.endpoint.identification.algorithm"
    algorithm = str(props.get(name, "https")).lower()
    if algorithm not in ("https", "none"):
        raise FaustConfigError(f"{name} (from {kafka.sources(name)}): not https or none")
    return algorithm == "https"


def _client_certificate(kafka: KafkaSettings, props: Settings, context: ssl.SSLContext) -> None:
    cert, key = props.get("ssl.certificate.location"), props.get("ssl.key.location")
    if key is not None and cert is None:
        raise FaustConfigError(f"ssl.key.location (from {kafka.sources('ssl.key.location')}) needs "
                               "ssl.certificate.location")
    if "ssl.key.password" in props and key is None:
        raise FaustConfigError(f"ssl.key.password (from {kafka.sources('ssl.key.password')}) needs ssl.key.location")
    if cert is not None:
        password = props.get("ssl.key.password")
        _load(kafka, ("ssl.certificate.location", "ssl.key.location", "ssl.key.password"), context.load_cert_chain,
              str(cert), None if key is None else str(key), None if password is None else str(password))


def _load(kafka: KafkaSettings, names: tuple[str, ...], load: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``load(*args, **kwargs)``; a file that cannot be read or parsed becomes a FaustConfigError
    naming the properties involved and the reason, never a value (a password, a PEM)."""
    try:
        return load(*args, **kwargs)
    except (OSError, ValueError) as exc:   # ssl.SSLError is an OSError
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or "unreadable"
        given = ", ".join(f"{n} (from {kafka.sources(n)})" for n in names if kafka.sources(n))
        raise FaustConfigError(f"{given}: cannot load ({type(exc).__name__}: {reason})") from None


def _flag(kafka: KafkaSettings, props: Settings, name: str) -> bool:
    """A librdkafka boolean (true by default), from the file (a YAML bool) or the environment."""
    value = str(props.get(name, True)).lower()
    if value not in ("true", "false"):
        raise FaustConfigError(f"{name} (from {kafka.sources(name)}): not true or false")
    return value == "true"
