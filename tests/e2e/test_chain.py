"""End to end: the three real processes (action server, Rasa with the trained model, gateway),
a citizen's questions over HTTP, answers citing the real governing articles."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.model import ensure_model
from scripts.stack import Stack, StackConfig

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = Path(os.environ["RASA_MODEL"]) if os.environ.get("RASA_MODEL") else ensure_model()
    workdir = tmp_path_factory.mktemp("e2e")
    config = StackConfig(
        model=model,
        gateway_port=_free_port(),
        rasa_port=_free_port(),
        actions_port=_free_port(),
        log_dir=workdir / "log",
        extra_env={"DATABASE_URL": f"sqlite:///{workdir / 'gateway.sqlite3'}", "GATEWAY_VAR_DIR": str(workdir / "var")},
    )
    stack = Stack(config)
    stack.start(timeout=300)
    try:
        yield f"http://127.0.0.1:{config.gateway_port}"
    finally:
        stack.stop()


def ask(url: str, text: str, session_id: str | None = None) -> dict:
    body = {"text": text} if session_id is None else {"text": text, "session_id": session_id}
    response = httpx.post(f"{url}/api/chat", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def cited(reply: dict) -> set[tuple[str, str | None]]:
    return {(s["title"], s["article"]) for m in reply["messages"] for s in m["sources"] if s["kind"] in ("policy", "case")}


def test_health_reports_every_dependency(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/healthz", timeout=10)
    assert response.status_code == 200, response.text


def test_unemployment_after_resignation_cites_unemployment_rules(gateway_url: str) -> None:
    reply = ask(gateway_url, "辞职了可以领失业金吗")
    assert reply["topic"] == "consult_unemployment"
    assert reply["status"] == "bot"
    titles = {title for title, _ in cited(reply)}
    # 失业保险条例第十四条 / 社会保险法第四十五条: the conditions, incl. 非因本人意愿中断就业
    assert {("失业保险条例", "第十四条"), ("中华人民共和国社会保险法", "第四十五条")} & cited(reply), cited(reply)
    assert titles <= {"失业保险条例", "中华人民共和国社会保险法", "社会保险经办条例", "中华人民共和国劳动合同法"}
    source = next(s for m in reply["messages"] for s in m["sources"] if s["kind"] == "policy")
    assert source["validity"] == "现行有效" and source["issuer"] and source["date"]
    assert source["url"].startswith("/policy/")


def test_unpaid_social_insurance_cites_the_social_insurance_law(gateway_url: str) -> None:
    reply = ask(gateway_url, "单位不给交社保怎么办")
    assert reply["topic"] == "consult_social_insurance"
    articles = cited(reply)
    # 社会保险法第五十八条 (registration), 第六十三条 (enforced payment), 第八十六条 (late fees)
    wanted = {("中华人民共和国社会保险法", a) for a in ("第五十八条", "第六十三条", "第八十六条")}
    assert wanted & articles, articles


def test_request_for_a_person_moves_to_waiting_agent(gateway_url: str) -> None:
    first = ask(gateway_url, "你好")
    reply = ask(gateway_url, "转人工", first["session_id"])
    assert reply["session_id"] == first["session_id"]
    assert reply["status"] == "waiting_agent"
    assert reply["topic"] == "request_human"
