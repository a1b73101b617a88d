"""GET /api/chat/{session_id}: the transcript, only for the holder of the id."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.gateway.gateway_fakes import FakeRasa, envelope


def test_transcript_lists_the_conversation_in_order(client: TestClient, fake_rasa: FakeRasa) -> None:
    source = {
        "kind": "interpretation",
        "title": "领取失业保险金需要满足什么条件？",
        "url": "/interpretation/unemp-eligibility",
    }
    fake_rasa.reply = [envelope("需要满足三个条件……", topic="consult_unemployment", sources=[source])]
    sid = client.post("/api/chat", json={"text": "失业金领取条件"}).json()["session_id"]
    body = client.get(f"/api/chat/{sid}").json()
    assert body["session_id"] == sid and body["status"] == "bot" and body["topic"] == "consult_unemployment"
    roles = [(m["role"], m["text"]) for m in body["messages"]]
    assert roles == [("citizen", "失业金领取条件"), ("bot", "需要满足三个条件……")]
    bot = body["messages"][1]
    assert bot["sources"][0]["title"] == source["title"] and bot["sources"][0]["article"] is None
    assert bot["buttons"] == []
    assert bot["id"] > body["messages"][0]["id"] and bot["created_at"].endswith("+00:00")


def test_transcript_after_id_returns_only_newer_messages(client: TestClient) -> None:
    sid = client.post("/api/chat", json={"text": "你好"}).json()["session_id"]
    first = client.get(f"/api/chat/{sid}").json()["messages"]
    client.post("/api/chat", json={"session_id": sid, "text": "再问一个"})
    newer = client.get(f"/api/chat/{sid}", params={"after": first[-1]["id"]}).json()["messages"]
    assert [m["text"] for m in newer] == ["再问一个", "您好，请问有什么可以帮您？"]


def test_unknown_or_forged_session_id_is_404_in_chinese(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "你好"})
    for forged in ("A" * 32, "not-a-session", "x"):
        response = client.get(f"/api/chat/{forged}")
        assert response.status_code == 404
        assert response.json()["detail"] == "会话不存在或已过期，请重新开始咨询。"


def test_sessions_do_not_see_each_other(client: TestClient) -> None:
    a = client.post("/api/chat", json={"text": "我是甲"}).json()["session_id"]
    b = client.post("/api/chat", json={"text": "我是乙"}).json()["session_id"]
    texts_a = [m["text"] for m in client.get(f"/api/chat/{a}").json()["messages"]]
    texts_b = [m["text"] for m in client.get(f"/api/chat/{b}").json()["messages"]]
    assert "我是甲" in texts_a and "我是乙" not in texts_a
    assert "我是乙" in texts_b and "我是甲" not in texts_b
