"""A small client of Rasa's REST channel (``POST {RASA_URL}/webhooks/rest/webhook``).

Any way the bot can fail — connection refused, timeout, HTTP error, a body that is not a JSON
list — becomes :class:`BotUnavailable`, so the chat service has exactly one failure to handle
(store the question, tell the citizen, queue it for an agent).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

WEBHOOK_PATH = "/webhooks/rest/webhook"


class BotUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer usefully. The message names the
    failure class only: never the citizen's text."""


@dataclass(frozen=True)
class RasaReply:
    """Rasa's raw list of messages and how long the round trip took."""

    messages: list[Any]
    latency_ms: int


class RasaClient:
    """Sends one citizen message to Rasa and returns its reply. Thread-safe (one pooled
    ``httpx.Client``); create once per application and :meth:`close` at shutdown."""

    def __init__(self, base_url: str, *, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def send(self, *, sender: str, message: str, channel: str = "web") -> RasaReply:
        """POST the message; raises :class:`BotUnavailable` on any failure."""
        body = {"sender": sender, "message": message, "metadata": {"channel": channel}}
        started = time.perf_counter()
        try:
            response = self._client.post(WEBHOOK_PATH, json=body)
        except httpx.TimeoutException as exc:
            raise BotUnavailable("timeout") from exc
        except httpx.HTTPError as exc:
            raise BotUnavailable(f"connection failed: {exc.__class__.__name__}") from exc
        latency_ms = int((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BotUnavailable(f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise BotUnavailable("reply is not JSON") from exc
        if not isinstance(data, list):
            raise BotUnavailable("reply is not a list")
        return RasaReply(messages=data, latency_ms=latency_ms)

    def close(self) -> None:
        self._client.close()
