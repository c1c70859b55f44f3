"""A fake OpenAI-compatible chat server on 127.0.0.1 for tests and benchmarks.

Faults are scripted per prompt: the n-th attempt for a prompt can answer 429, 500, or stall
past the client's timeout before a normal answer. Every request is counted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Fault = str  # "401", "403", "429", "500", "stall", "garbled" (a 200 whose body is not JSON), or "ok"


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 drops connects under concurrency 32


class FakeOpenAI:
    def __init__(
        self,
        reply: Callable[[list[dict[str, str]]], str] = lambda messages: "答案：B",
        faults: Callable[[str, int], Fault] = lambda prompt_id, attempt: "ok",
        latency_s: float = 0.0,
        stall_s: float = 2.0,
        reply_by_model: Callable[[str, list[dict[str, str]]], str] | None = None,
        message_extra: dict[str, Any] | None = None,
    ) -> None:
        self.reply, self.faults, self.latency_s, self.stall_s = reply, faults, latency_s, stall_s
        self.reply_by_model = reply_by_model  # when the answer depends on the model asked
        self.attempts: Counter[str] = Counter()
        self.outcomes: Counter[Fault] = Counter()
        self.headers_seen: list[dict[str, str]] = []
        self.requests_seen: list[tuple[str, dict[str, Any]]] = []  # (path with query, JSON body)
        self.arrived_at: list[float] = []  # time.perf_counter() as each request arrived
        self.answered_at: list[float] = []  # ... and as each answer was sent
        self.message_extra = message_extra or {}  # more fields of the answer's message
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real API servers do
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                arrived = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                messages = body["messages"]
                prompt_id = hashlib.sha1(json.dumps(messages, ensure_ascii=False).encode()).hexdigest()
                with fake.lock:
                    fake.attempts[prompt_id] += 1
                    attempt = fake.attempts[prompt_id]
                    fake.headers_seen.append(dict(self.headers))
                    fake.requests_seen.append((self.path, body))
                    fake.arrived_at.append(arrived)
                fault = fake.faults(prompt_id, attempt)
                with fake.lock:
                    fake.outcomes[fault] += 1
                if fault == "stall":
                    time.sleep(fake.stall_s)
                if fault in ("401", "403", "429", "500"):
                    self._send(
                        int(fault), {"error": {"message": f"injected {fault}"}}, {"retry-after-ms": "20"}
                    )
                    return
                time.sleep(fake.latency_s)
                if fault == "garbled":
                    self._send_bytes(200, b"<html>Bad gateway</html>")
                    return
                if fake.reply_by_model is not None:
                    content = fake.reply_by_model(body["model"], messages)
                else:
                    content = fake.reply(messages)
                with fake.lock:
                    fake.answered_at.append(time.perf_counter())
                self._send(
                    200,
                    {
                        "id": "fake",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content} | fake.message_extra,
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                self._send_bytes(status, json.dumps(payload).encode(), headers)

            def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) before we answered

        return Handler


def one_prompt_always_fails() -> Callable[[str, int], Fault]:
    """Faults that answer 500 to every attempt at the first prompt seen, and ok to all others."""
    broken: set[str] = set()

    def faults(prompt_id: str, attempt: int) -> Fault:
        if not broken or prompt_id in broken:
            broken.add(prompt_id)
            return "500"
        return "ok"

    return faults
