"""An OpenAI-compatible HTTP server on 127.0.0.1: scripted answers, recorded requests. The
autointerp tests drive the real `openai` client against it, and `bench/autointerp.py` uses it
as an LLM with a fixed latency (here, not in tests/, so the bench runs without pytest).

It speaks the parts of the API the `openai` client uses here: `POST /v1/chat/completions`,
`GET /v1/models` and OpenRouter's `GET /v1/key`. Each chat request takes the next scripted
`Reply` (or, when the script is empty, asks `default` for one); every request is recorded with
its path, `Authorization` header and JSON body, so tests can read the prompts a worker sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One answer: `content` as the assistant message, or a raw `status`/`body`; `delay` first."""

    content: str | None = None
    status: int = 200
    body: str | None = None
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    authorization: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages", []))

    @property
    def last_user(self) -> str:
        return self.messages[-1]["content"] if self.messages else ""


@dataclass
class FakeLLM:
    url: str = ""
    valid_keys: set[str] = field(default_factory=lambda: {"sk-good"})
    script: deque[Reply] = field(default_factory=deque)
    default: Callable[[Recorded], Reply] = lambda _r: Reply(content="fine")
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.script.clear()
            self.requests.clear()
            self.default = lambda _r: Reply(content="fine")

    def queue(self, *replies: Reply) -> None:
        with self.lock:
            self.script.extend(replies)

    def chats(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self, recorded: Recorded) -> Reply:
        with self.lock:
            self.requests.append(recorded)
            if self.script:
                return self.script.popleft()
        return self.default(recorded)


def completion(content: str) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    )


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do
        # TCP_NODELAY, as real endpoints (uvicorn, nginx) set it. Without it Nagle's algorithm
        # holds the body (a second small send after the headers) until the client ACKs the
        # headers, and on a kept-alive connection Linux delays that ACK ~40 ms: every answer
        # took 44 ms instead of 1 ms (bench/README.md, "Autointerp").
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("retry-after-ms", "20")  # keeps the client's retries quick
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return key in fake.valid_keys

        def do_GET(self) -> None:
            with fake.lock:
                fake.requests.append(Recorded(self.path, self.headers.get("Authorization", ""), {}))
            if not self._authorized():
                self._send(401, json.dumps({"error": {"message": "bad key"}}))
            elif self.path.endswith("/models"):
                self._send(200, json.dumps({"object": "list", "data": []}))
            elif self.path.endswith("/key"):
                self._send(200, json.dumps({"data": {"label": "test"}}))
            else:
                self._send(404, "{}")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            recorded = Recorded(self.path, self.headers.get("Authorization", ""), body)
            if not self._authorized():
                with fake.lock:
                    fake.requests.append(recorded)
                self._send(401, json.dumps({"error": {"message": "bad key"}}))
                return
            reply = fake._next(recorded)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.content is not None:
                self._send(reply.status, completion(reply.content))
            else:
                self._send(reply.status, reply.body or "{}")

    return Handler


def start() -> tuple[FakeLLM, ThreadingHTTPServer]:
    fake = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    return fake, server
