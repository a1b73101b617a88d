"""GET /healthz (contract 7) and GET /metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.gateway.gateway_fakes import FakeRasa

DEPENDENCIES = {"rasa", "actions", "search", "database", "library"}


def test_healthz_is_200_when_every_dependency_is_ready(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["dependencies"]) == DEPENDENCIES
    assert all(d["status"] == "ok" for d in body["dependencies"].values())
    assert "sqlite" in body["dependencies"]["database"]["detail"]


def test_healthz_is_503_when_rasa_is_down(make_client: Callable[..., TestClient], dead_url: str) -> None:
    body = make_client(rasa_url=dead_url).get("/healthz")
    assert body.status_code == 503
    deps = body.json()["dependencies"]
    assert deps["rasa"]["status"] == "down" and "unreachable" in deps["rasa"]["detail"]
    assert deps["database"]["status"] == "ok"


def test_healthz_is_503_when_rasa_has_no_model(client: TestClient, fake_rasa: FakeRasa) -> None:
    fake_rasa.model_loaded = False
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["dependencies"]["rasa"]["status"] == "down"


def test_healthz_is_503_when_the_action_server_is_down(make_client: Callable[..., TestClient], dead_url: str) -> None:
    response = make_client(actions_url=dead_url).get("/healthz")
    assert response.status_code == 503
    assert response.json()["dependencies"]["actions"]["status"] == "down"


def test_healthz_is_503_when_the_search_index_is_missing(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    response = make_client(search_path=tmp_path / "missing" / "kb.sqlite").get("/healthz")
    assert response.status_code == 503
    assert response.json()["dependencies"]["search"]["status"] == "down"


def test_healthz_is_503_when_the_policy_library_failed_to_load(make_client: Callable[..., TestClient]) -> None:
    def broken() -> None:
        raise FileNotFoundError("MANIFEST.tsv not found")

    client = make_client(library_loader=broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "MANIFEST.tsv" in response.json()["dependencies"]["library"]["detail"]
    assert client.post("/api/chat", json={"text": "你好"}).status_code == 200  # chat keeps working
    assert client.get("/policy/dee057cb7d7a").status_code == 503


def test_metrics_expose_requests_latency_handoffs_and_fallbacks(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "你好"})
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'gateway_http_requests_total{method="POST",route="/api/chat",status="200"} 1.0' in text
    assert "gateway_http_request_duration_seconds_bucket" in text
    assert "gateway_bot_duration_seconds_count 1.0" in text
    assert "gateway_handoffs_total" in text and "gateway_fallbacks_total" in text
    assert 'gateway_dependency_up{dependency="rasa"} 1.0' in text


def test_metrics_never_label_raw_paths(client: TestClient) -> None:
    sid = client.post("/api/chat", json={"text": "你好"}).json()["session_id"]
    client.get(f"/api/chat/{sid}")
    text = client.get("/metrics").text
    assert sid not in text
    assert 'route="/api/chat/{session_id}"' in text
