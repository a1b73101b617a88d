"""Rate limits and body size: refused politely in Chinese, before anything is processed."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from gateway.ratelimit import RateLimiter
from tests.gateway.gateway_fakes import FakeRasa


def test_rate_limiter_sliding_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")
    now[0] = 61
    assert limiter.allow("a")
    assert RateLimiter(0).allow("x")


def test_session_rate_limit_is_429_in_chinese(make_client: Callable[..., TestClient], fake_rasa: FakeRasa) -> None:
    client = make_client(rate_limit_session_per_minute=2)
    sid = client.post("/api/chat", json={"text": "一"}).json()["session_id"]
    assert client.post("/api/chat", json={"session_id": sid, "text": "二"}).status_code == 200
    assert client.post("/api/chat", json={"session_id": sid, "text": "三"}).status_code == 200
    response = client.post("/api/chat", json={"session_id": sid, "text": "四"})
    assert response.status_code == 429 and "稍后" in response.json()["detail"]
    assert "四" not in [r["message"] for r in fake_rasa.received]


def test_ip_rate_limit(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_ip_per_minute=1)
    assert client.post("/api/chat", json={"text": "一"}).status_code == 200
    assert client.post("/api/chat", json={"text": "二"}).status_code == 429


def test_oversized_body_is_413_before_parsing(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = client.post(
        "/api/chat", content=b'{"text": "' + b"a" * 40_000 + b'"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "请求内容过大。"
    assert fake_rasa.received == []
