"""The Faust runner: the scrubbing service as faust-streaming agents, for teams that already run Faust.

One agent per ``topics.yaml`` route; every decision (decode, detect, policy, headers, quarantine)
is made by :class:`scrubber.pipeline.RoutePipeline`, exactly as in the confluent-kafka runner.

Modules: ``settings`` (environment, guarantee resolution), ``connection`` (Kafka credentials),
``agents`` (event -> InMessage -> OutMessage -> produce -> ack/commit), ``patterns``
(``input_pattern`` routes), ``web`` (/metrics, /healthz, /readyz, consumer lag), ``app`` (builds
the App; exactly-once notes). The entry point for ``faust -A`` is :mod:`scrubber.faust_app`.

Which runner to choose (README text)
------------------------------------
Both runners read the same ``topics.yaml`` and push every message through the same
``RoutePipeline``: outputs, ``scrubber.*`` headers, quarantine envelopes and reason codes are
identical, and both export the same Prometheus metrics (``scrubber_messages_in_total``, ...).

Use ``scrubber run`` (confluent-kafka, the default) unless you already operate Faust. It is the
exactly-once runner and the faster one (2x the Faust runner's throughput with at-least-once, on
the benchmark workload with the default detectors: ``python -m scrubber.bench.runner_compare``),
commits a transaction per batch, gives each
route its own consumer group and process (``--route``, ``--workers``), honours the librdkafka
settings of ``kafka.consumer`` / ``kafka.producer``, and counts aborted transactions.

Use the Faust runner when your team already runs Faust workers and wants the scrubber as agents
in that deployment, with Faust's web server and tooling:
``faust -A scrubber.faust_app worker -l info`` (config from ``SCRUBBER_CONFIG``, default
``./topics.yaml``) or ``scrubber run --runner faust -c topics.yaml [--metrics-port N]``.
What differs:

- One Faust app is one consumer group: ``SCRUBBER_FAUST_APP_ID`` (default ``scrubber-faust``);
  a route's ``group`` is not used. ``/metrics``, ``/healthz`` and ``/readyz`` are served by
  Faust's web server (``SCRUBBER_FAUST_WEB_PORT``, default 6066; ``--metrics-port``).
- Guarantee: at-least-once; ``exactly_once`` is refused (see :mod:`scrubber.faust.app` for the
  evidence: aiokafka transactions work on Kafka 3.9.1, but one kill -9 run let a batch through
  twice); all routes must ask for the same guarantee. At-least-once commits after every batch:
  a crash replays at most the batch in flight. Faust does not commit on partition revocation,
  so an at-least-once rebalance can also replay what was processed since the last commit.
- ``input_pattern`` routes: Faust's aiokafka driver cannot subscribe by regex, so the pattern is
  matched against the broker's topic list at start and every ``SCRUBBER_FAUST_PATTERN_REFRESH_S``
  (30) seconds; a new topic is picked up within about two refreshes.
- Kafka credentials: the SASL/TLS properties of ``kafka.consumer`` / ``kafka.producer`` (and their
  ``SCRUBBER_KAFKA_*`` overrides) become Faust's ``broker_credentials`` (``connection``), one set
  for the whole app; what cannot be translated stops the start, naming the property.
- librdkafka tuning settings do not apply (a warning names the file's, the environment's are
  refused); Faust settings go in ``SCRUBBER_FAUST_OPTIONS`` (JSON), e.g.
  ``{"broker_session_timeout": 10}`` for a faster fail-over than Faust's 60 s default.
- ``scrubber_transactions_aborted_total`` stays 0 (Faust aborts implicitly, by fencing).
- Logs are Faust's text logs plus the scrubber's own records, not only JSON lines.
"""
