"""``input_pattern`` routes for Faust, whose aiokafka driver cannot subscribe by regex
(``faust/transport/drivers/aiokafka.py``: "XXX pattern does not work"; a pattern Topic silently
empties the whole subscription, for every route).

So the pattern is resolved against the broker's topic list: once at start-up, then every
``refresh_s`` seconds; when new matching topics appear, they are added to the route's Topic and
Faust's conductor is told its subscription changed (a rebalance follows, as with a regex
subscription in librdkafka): a new topic is consumed within about two refresh intervals. Topics that disappear stay subscribed until the next restart.
Internal topics (``__consumer_offsets``...) and topics of the route's own outputs never match.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import faust
from confluent_kafka.admin import AdminClient

log = logging.getLogger(__name__)

REFRESH_S = 30.0


class WatchedTopic(faust.Topic):
    """A Topic whose clones (the agent's stream channel is one) share its list of names, so
    adding a name in place reaches the channel Faust's conductor subscribes with. faust.Topic
    replaces an empty list by a new one (``topics or []``), which would break the sharing."""

    def __init__(self, *args: Any, topics: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, topics=topics, **kwargs)
        if topics is not None:
            self.topics = topics


def list_topics(admin_conf: dict[str, str | int | bool], timeout: float = 10.0) -> set[str]:
    """The broker's topic names, through an admin client with the service's connection settings
    (``scrubber.kafka.admin.admin_config``), so a secured cluster can be listed too."""
    return set(AdminClient(admin_conf).list_topics(timeout=timeout).topics)


def matching(pattern: str, topics: set[str], exclude: set[str]) -> list[str]:
    rx = re.compile(pattern)
    return sorted(t for t in topics if rx.match(t) and not t.startswith("__") and t not in exclude)


class PatternWatcher:
    """Keeps the Topics of pattern routes in step with the broker."""

    def __init__(self, app: Any, admin_conf: dict[str, str | int | bool], refresh_s: float = REFRESH_S) -> None:
        self.app = app
        self.admin_conf = admin_conf
        self.refresh_s = refresh_s
        self.watched: list[tuple[str, str, Any, set[str]]] = []   # (route, pattern, topic, exclude)

    def initial(self, pattern: str, exclude: set[str]) -> list[str]:
        return matching(pattern, list_topics(self.admin_conf), exclude)

    def watch(self, route: str, pattern: str, topic: Any, exclude: set[str]) -> None:
        self.watched.append((route, pattern, topic, exclude))

    async def refresh(self) -> bool:
        if not self.watched:
            return False
        loop = asyncio.get_running_loop()
        try:
            existing = await loop.run_in_executor(None, list_topics, self.admin_conf)
        except Exception as exc:   # broker away: try again next time
            log.warning("pattern refresh failed", extra={"exc_kind": type(exc).__name__})
            return False
        changed = False
        for route, pattern, topic, exclude in self.watched:
            new = [t for t in matching(pattern, existing, exclude) if t not in topic.topics]
            if new:
                topic.topics.extend(new)   # in place: shared with the agent's channel (WatchedTopic)
                log.info("pattern route: new input topics", extra={"route": route, "topics": new})
                changed = True
        if changed:
            # Faust does not commit on revocation (at-least-once): commit what is acked now, so
            # the rebalance below replays as little as possible.
            try:
                await self.app.consumer.commit()
            except Exception as exc:
                log.warning("commit before re-subscribing failed", extra={"exc_kind": type(exc).__name__})
            # Faust's conductor re-subscribes (a rebalance) after its resubscribe lock, 45 s by
            # default, meant to coalesce changes; the refresh interval already does that.
            self.app.topics._resubscribe_sleep_lock_seconds = min(45.0, self.refresh_s)
            self.app.topics._flag_changes()
        return changed

    def install(self) -> None:
        if not self.watched:
            return

        @self.app.timer(interval=self.refresh_s)
        async def refresh_patterns() -> None:
            await self.refresh()
