"""Real HTTP servers standing in for Rasa and the action server in the gateway's unit tests.

``FakeRasa`` speaks Rasa's REST-channel protocol (``POST /webhooks/rest/webhook`` → a JSON list
of bot messages, ``GET /status``, ``GET /``); each test scripts its replies. The real Rasa
end-to-end test lives elsewhere. Servers run uvicorn in a thread on a free 127.0.0.1 port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """Run an ASGI app with uvicorn in a background thread until :meth:`stop`."""

    def __init__(self, app: Any, *, lifespan: Literal["auto", "on", "off"] = "off") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan=lifespan, ws="none"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LocalServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("local test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def envelope(
    text: str,
    *,
    event: str = "answer",
    topic: str | None = None,
    intent: str | None = None,
    confidence: float | None = None,
    buttons: list[dict[str, str]] | None = None,
    sources: list[dict[str, Any]] | None = None,
    handoff: dict[str, Any] | None = None,
    unanswered: dict[str, Any] | None = None,
    recipient_id: str = "x",
) -> dict[str, Any]:
    """One bot message as our Rasa project sends it: a custom payload carrying the envelope."""
    return {
        "recipient_id": recipient_id,
        "custom": {
            "text": text,
            "buttons": buttons or [],
            "sources": sources or [],
            "topic": topic,
            "intent": intent if intent is not None else topic,
            "confidence": confidence,
            "event": event,
            "handoff": handoff,
            "unanswered": unanswered,
        },
    }


Responder = Callable[[dict[str, Any]], Any]


class FakeRasa:
    """Rasa's REST channel with scripted replies and a record of what it received.

    ``reply`` is a list of bot messages (returned for every request) or a callable taking the
    request body. ``status_code``/``delay`` simulate failures and slowness.
    """

    def __init__(self) -> None:
        self.reset()
        self.app = self._build()

    def reset(self) -> None:
        """Back to a healthy Rasa that greets; forget what was received."""
        self.received: list[dict[str, Any]] = []
        self.reply: list[dict[str, Any]] | Responder = [
            envelope("您好，请问有什么可以帮您？", event="smalltalk", topic="greet")
        ]
        self.status_code = 200
        self.delay = 0.0
        self.model_loaded = True
        self.in_flight = 0
        self.max_in_flight = 0
        """How many webhook requests were being answered at once, now and at most."""

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/rest/webhook")
        async def webhook(request: Request) -> Any:
            body = await request.json()
            self.received.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.delay:
                    import asyncio

                    await asyncio.sleep(self.delay)
                reply = self.reply(body) if callable(self.reply) else self.reply
            finally:
                self.in_flight -= 1
            return JSONResponse(reply, status_code=self.status_code)

        @app.get("/status")
        async def status() -> Any:
            return {
                "model_file": "models/20261127-nlu-core.tar.gz" if self.model_loaded else None,
                "num_active_training_jobs": 0,
            }

        @app.get("/")
        async def root() -> Any:
            return PlainTextResponse("Hello from Rasa: 3.6.21")

        return app


def actions_app(healthy: bool = True) -> FastAPI:
    """The action server's ``GET /health``."""
    app = FastAPI()

    @app.get("/health")
    async def health() -> Any:
        return JSONResponse({"status": "ok"} if healthy else {"status": "error"}, status_code=200 if healthy else 500)

    return app
