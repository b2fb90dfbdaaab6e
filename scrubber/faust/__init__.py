"""The Faust runner: the scrubbing service as faust-streaming agents, for teams that already run Faust.

One agent per ``topics.yaml`` route; every decision (decode, detect, policy, headers, quarantine)
is made by :class:`scrubber.pipeline.RoutePipeline`, exactly as in the confluent-kafka runner.

Modules: ``settings`` (environment and guarantee resolution), ``agents`` (event -> InMessage ->
OutMessage -> produce), ``web`` (/metrics, /healthz, consumer lag), ``app`` (builds the App).
The entry point for ``faust -A`` is :mod:`scrubber.faust_app`.
"""
