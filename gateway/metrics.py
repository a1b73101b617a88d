"""Prometheus metrics of one gateway application (its own registry, so several apps can live in
one process, e.g. in tests). Labels are bounded: route templates, not raw paths (raw paths hold
session ids, which are credentials)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.5, 10.0, 30.0)


class GatewayMetrics:
    """Requests, latency, bot round trips, handoffs, fallbacks and unanswered questions."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_http_requests_total",
            "HTTP requests by route and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_http_request_duration_seconds",
            "HTTP request latency by route",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.bot_latency = Histogram(
            "gateway_bot_duration_seconds",
            "Round trip to Rasa's REST channel",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.bot_errors = Counter(
            "gateway_bot_errors_total", "Calls to Rasa that failed", ("kind",), registry=self.registry
        )
        self.messages = Counter(
            "gateway_chat_messages_total",
            "Chat messages by channel and sender role",
            ("channel", "sender"),
            registry=self.registry,
        )
        self.bot_events = Counter(
            "gateway_bot_events_total", "Bot messages by envelope event", ("event",), registry=self.registry
        )
        self.handoffs = Counter(
            "gateway_handoffs_total", "Conversations handed to agents, by reason", ("reason",), registry=self.registry
        )
        self.fallbacks = Counter(
            "gateway_fallbacks_total", "Bot fallbacks (question not understood or not answered)", registry=self.registry
        )
        self.unanswered = Counter(
            "gateway_unanswered_questions_total", "Questions stored for staff review", registry=self.registry
        )
        self.rate_limited = Counter(
            "gateway_rate_limited_total", "Requests refused by the rate limiter", ("scope",), registry=self.registry
        )
        self.dependency_up = Gauge(
            "gateway_dependency_up",
            "1 when the dependency was ready at the last /healthz",
            ("dependency",),
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)
