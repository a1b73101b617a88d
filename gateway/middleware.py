"""ASGI middleware: request metrics and access log by route template, security headers, and a
request-body size limit. Plain ASGI (no ``BaseHTTPMiddleware``) so responses stream untouched."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.conversation import notices
from gateway.metrics import GatewayMetrics

access_log = logging.getLogger("gateway.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]


def route_label(scope: Scope) -> str:
    """The matched route's template (``/api/chat/{session_id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static"
    return "unmatched"


class ObservabilityMiddleware:
    """Counts and times every HTTP request; writes one access-log line with the route template
    (raw paths can hold session ids, which are credentials)."""

    def __init__(self, app: ASGIApp, *, metrics: GatewayMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route, method = route_label(scope), scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            access_log.info("%s %s %s %.0fms", method, route, status, elapsed * 1000)


NO_STORE_PREFIXES = ("/console", "/review", "/api/console", "/api/review", "/api/chat")
"""Staff pages and APIs, and citizens' transcripts: personal data, never cached by browsers or proxies."""


class SecurityHeadersMiddleware:
    """No sniffing, no referrer (URLs can hold session ids), no framing, same-origin scripts only
    (no inline scripts), and ``Cache-Control: no-store`` on staff pages and conversation data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        no_store = str(scope.get("path", "")).startswith(NO_STORE_PREFIXES)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if no_store and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


class _TooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 before anything parses them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _reject(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except _TooLarge:
            if not started:
                await _reject(send)


async def _reject(send: Send) -> None:
    body = json.dumps({"detail": notices.BODY_TOO_LARGE}, ensure_ascii=False).encode("utf-8")
    headers: list[Any] = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
