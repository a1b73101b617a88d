"""The client of Rasa's REST channel (``POST {RASA_URL}/webhooks/rest/webhook``) for async code.

**At most ``RASA_MAX_CONNECTIONS`` turns talk to Rasa at once, over kept-alive connections; the
rest wait here, first come first served.** Measured with the real bot (``bench/chat_latency.py``):
Rasa is bound to about one core, so a handful of turns in flight already keeps it fully busy
(10 sessions get the same throughput as 50), and Rasa serves a request that arrives on a *new*
connection while it is saturated long after the others — up to 10 s at 50 sessions, while requests
on kept-alive connections were answered in about 1.5 s. A small, reused pool avoids both: no new
connections under load, and queueing where it is fair.

**The call itself runs on its own threads** (as many as connections, apart from the server's
thread pool) with httpx's synchronous client: measured, httpx's async client costs about 2.5 ms
of CPU per call against 1.7 ms for the sync one in a worker thread (httpcore's async locks also
try to import the optional ``sniffio`` on every use) — CPU the gateway shares with Rasa on the
same cores. The endpoint stays async; no server worker thread waits for Rasa.

Any way the bot can fail — no free connection within ``RASA_TIMEOUT``, connection refused,
timeout, HTTP error, a body that is not a JSON list — becomes :class:`BotUnavailable`, so the
chat service has exactly one failure to handle (store the question, tell the citizen, queue it
for an agent).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import httpx

WEBHOOK_PATH = "/webhooks/rest/webhook"


class BotUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer usefully. The message names the
    failure class only: never the citizen's text."""


@dataclass(frozen=True)
class RasaReply:
    """Rasa's raw list of messages and how long the round trip took (excluding the wait for a
    free connection)."""

    messages: list[Any]
    latency_ms: int


class RasaClient:
    """Sends one citizen message to Rasa and returns its reply. Building it does no I/O and needs
    no event loop; create one per application and :meth:`aclose` it at shutdown."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        max_connections: int = 10,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.timeout, self.max_connections = timeout, max_connections
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, limits=limits, transport=transport)
        self._turns: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None

    def _limiters(self) -> tuple[anyio.CapacityLimiter, anyio.CapacityLimiter]:
        """Created on first use, inside the event loop."""
        if self._turns is None or self._threads is None:
            self._turns = anyio.CapacityLimiter(self.max_connections)
            self._threads = anyio.CapacityLimiter(self.max_connections)
        return self._turns, self._threads

    async def send(self, *, sender: str, message: str, channel: str = "web") -> RasaReply:
        """POST the message; raises :class:`BotUnavailable` on any failure."""
        turns, threads = self._limiters()
        try:
            with anyio.fail_after(self.timeout):
                await turns.acquire()
        except TimeoutError as exc:
            raise BotUnavailable("timeout: no free connection to Rasa") from exc
        try:
            # Not cancellable once started: the thread finishes its call (bounded by the timeout).
            return await anyio.to_thread.run_sync(self._post, sender, message, channel, limiter=threads)
        finally:
            turns.release()

    def _post(self, sender: str, message: str, channel: str) -> RasaReply:
        """The blocking call (on one of the client's threads)."""
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
            data = json.loads(response.content)
        except ValueError as exc:
            raise BotUnavailable("reply is not JSON") from exc
        if not isinstance(data, list):
            raise BotUnavailable("reply is not a list")
        return RasaReply(messages=data, latency_ms=latency_ms)

    async def aclose(self) -> None:
        """Close the kept-alive connections (at shutdown)."""
        self._client.close()
