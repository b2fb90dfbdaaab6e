"""A tiny HTTP server thread for orchestration: ``/metrics`` (Prometheus text format),
``/healthz`` (liveness: the main loop is turning) and ``/readyz`` (readiness: partitions assigned
and the transactional producer initialised).

Liveness is a heartbeat rather than "the process exists" because the failure worth restarting for
is a wedged loop; a broker outage is not one (the loop keeps turning while librdkafka retries), so
it does not fail liveness and does not cause a restart storm.
"""
from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)


class HealthState:
    """Written by the runner's loop, read by the HTTP thread; plain attributes are enough (GIL)."""

    def __init__(self, stale_after_s: float = 120.0) -> None:
        self.stale_after_s = stale_after_s
        self.last_beat = time.monotonic()
        self.assigned = False
        self.producer_ready = False

    def beat(self) -> None:
        self.last_beat = time.monotonic()

    @property
    def live(self) -> bool:
        return time.monotonic() - self.last_beat < self.stale_after_s

    @property
    def ready(self) -> bool:
        return self.live and self.assigned and self.producer_ready


class HealthServer:
    """Serves the three endpoints on ``host:port`` from a daemon thread. ``port=0`` picks a free port
    (tests); the chosen one is in ``.port``."""

    def __init__(self, registry: CollectorRegistry, state: HealthState, port: int, host: str = "0.0.0.0") -> None:
        self.registry = registry
        self.state = state
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    ok = server.state.live
                    self._send(200 if ok else 503, b"ok\n" if ok else b"stale\n")
                elif path == "/readyz":
                    ok = server.state.ready
                    self._send(200 if ok else 503, b"ready\n" if ok else b"not ready\n")
                else:
                    self._send(404, b"not found\n")

            def _send(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - scrapes are not news
                return

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="scrubber-health", daemon=True)

    def start(self) -> "HealthServer":
        self.thread.start()
        log.info("health server listening", extra={"port": self.port})
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
