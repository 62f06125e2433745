"""A webhook consumer for the tests, run as its own process on 127.0.0.1.

Every POST to /hook is verified with the ``standardwebhooks`` library against each configured
secret and parsed with the ``cloudevents`` library, then recorded; the answer follows the
script the test sets through POST /_control:

    {"secrets": ["whsec_…", …],          verify against each of these
     "default": 200,                      the status when the plan is used up
     "plan": [[500, {}], [429, {"Retry-After": "2"}], …],   the next answers, in order
     "delay": 0.0}                        seconds to wait before answering

GET /_log returns the records (JSON list). Usage: python receiver.py PORT [SECRET…]"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook

STATE: dict[str, Any] = {"secrets": [], "default": 200, "plan": [], "delay": 0.0, "log": []}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        with LOCK:
            body = json.dumps(STATE["log"]).encode()
        self._reply(200, body, {"Content-Type": "application/json"})

    def do_POST(self) -> None:
        body = self._body()
        if self.path == "/_control":
            with LOCK:
                STATE.update(json.loads(body))
            self._reply(200, b"{}")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        record: dict[str, Any] = {
            "received_at": time.time(),
            "path": self.path,
            "webhook_id": headers.get("webhook-id"),
            "signature": headers.get("webhook-signature"),
        }
        with LOCK:
            secrets = list(STATE["secrets"])
            plan = STATE["plan"]
            status, extra = plan.pop(0) if plan else (STATE["default"], {})
            delay = STATE["delay"]
        record["verified"] = []
        for secret in secrets:
            try:
                Webhook(secret).verify(body, headers)
                record["verified"].append(True)
            except Exception:
                record["verified"].append(False)
        try:
            event = from_http_event(HTTPMessage(headers=headers, body=body))
            attributes = event.get_attributes()
            record.update(
                ce_id=event.get_id(),
                type=event.get_type(),
                subject=event.get_subject(),
                source=event.get_source(),
                sequence=attributes.get("sequence"),
                replay=attributes.get("replay", False),
                data=event.get_data(),
                content_type=headers.get("content-type"),
            )
        except Exception as exc:
            record["parse_error"] = repr(exc)
            status = 400
        if secrets and not any(record["verified"]):
            status = 401
        record["answered"] = status
        with LOCK:
            STATE["log"].append(record)
        if delay:
            time.sleep(delay)
        self._reply(status, f"status {status}".encode(), extra)

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1])
    STATE["secrets"] = sys.argv[2:]
    ThreadingHTTPServer.request_queue_size = (
        128  # the default backlog of 5 drops concurrent connections (1 s SYN retries)
    )
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
