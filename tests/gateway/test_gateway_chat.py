"""POST /api/chat (contract 3): sessions, validation, storage order, envelopes."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.conversation.sessions import is_well_formed
from gateway.settings import Settings
from gateway.store.models import Conversation, Feedback, Message, UnansweredQuestion
from tests.gateway.gateway_fakes import FakeRasa, envelope

SOURCE = {
    "kind": "policy",
    "title": "中华人民共和国社会保险法",
    "article": "第四十五条",
    "doc_number": None,
    "issuer": "全国人民代表大会常务委员会",
    "date": "2018-12-29",
    "validity": "现行有效",
    "region": "全国",
    "url": "/policy/d0c1",
}


def test_request_without_session_id_gets_a_new_server_issued_id(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = client.post("/api/chat", json={"text": "你好"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"session_id", "status", "topic", "messages"}
    assert is_well_formed(body["session_id"]) and len(body["session_id"]) == 32
    assert body["status"] == "bot"
    assert body["topic"] == "greet"
    assert body["messages"] == [{"text": "您好，请问有什么可以帮您？", "buttons": [], "sources": []}]
    assert fake_rasa.received == [{"sender": body["session_id"], "message": "你好", "metadata": {"channel": "web"}}]


def test_the_issued_id_continues_the_conversation(client: TestClient, db: Session) -> None:
    first = client.post("/api/chat", json={"text": "你好"}).json()
    second = client.post("/api/chat", json={"session_id": first["session_id"], "text": "失业金怎么领"}).json()
    assert second["session_id"] == first["session_id"]
    assert db.scalar(select(Conversation).where(Conversation.session_id == first["session_id"])) is not None
    assert len(db.scalars(select(Conversation)).all()) == 1


def test_forged_or_unknown_session_id_starts_a_new_session(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    for forged in ("my-own-id", "A" * 32, "", "../../etc/passwd", "x" * 5000):
        body = client.post("/api/chat", json={"session_id": forged, "text": "你好"}).json()
        assert body["session_id"] != forged
        assert is_well_formed(body["session_id"])
    ids = {c.session_id for c in db.scalars(select(Conversation))}
    assert len(ids) == 5
    assert all(r["sender"] in ids for r in fake_rasa.received)


def test_empty_or_whitespace_text_is_422_with_chinese_detail(client: TestClient, fake_rasa: FakeRasa) -> None:
    for body in ({"text": ""}, {"text": "   \n\t "}, {}, {"payload": "  "}, {"session_id": "abc"}):
        response = client.post("/api/chat", json=body)
        assert response.status_code == 422, body
        assert "消息不能为空" in response.json()["detail"]
    assert fake_rasa.received == []


def test_more_than_1000_characters_is_413_with_chinese_detail(client: TestClient, fake_rasa: FakeRasa) -> None:
    assert client.post("/api/chat", json={"text": "问" * 1000}).status_code == 200
    response = client.post("/api/chat", json={"text": "问" * 1001})
    assert response.status_code == 413
    assert "1000" in response.json()["detail"] and "消息过长" in response.json()["detail"]
    assert len(fake_rasa.received) == 1


def test_malformed_request_bodies_get_chinese_detail(client: TestClient) -> None:
    response = client.post("/api/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == "请求格式不正确。"
    response = client.post("/api/chat", json={"text": 123})
    assert response.status_code == 422
    assert response.json()["detail"] == "请求格式不正确。"


def test_invalid_button_payload_is_rejected(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = client.post("/api/chat", json={"payload": "not a command"})
    assert response.status_code == 422
    assert "按钮" in response.json()["detail"]
    assert fake_rasa.received == []


def test_citizen_message_is_stored_before_rasa_is_called(
    client: TestClient, fake_rasa: FakeRasa, settings: Settings
) -> None:
    """The fake Rasa looks into the gateway's database at the moment it is called."""
    seen: list[Any] = []
    db_path = settings.database_url.split(":///", 1)[1]

    def reply(body: dict[str, Any]) -> list[dict[str, Any]]:
        with sqlite3.connect(db_path) as conn:
            seen.extend(
                conn.execute(
                    "SELECT m.text, m.sender FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                    " WHERE c.session_id = ?",
                    (body["sender"],),
                ).fetchall()
            )
        return [envelope("好的", topic="consult_unemployment")]

    fake_rasa.reply = reply
    client.post("/api/chat", json={"text": "辞职了能领失业金吗？"})
    assert seen == [("辞职了能领失业金吗？", "citizen")]


def test_bot_answer_with_sources_and_buttons_is_returned_and_stored(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    buttons = [
        {"title": "有帮助", "payload": '/feedback{"helpful": true}'},
        {"title": "转人工", "payload": "/request_human"},
    ]
    fake_rasa.reply = [
        envelope(
            "符合条件的可以领取失业保险金。",
            topic="consult_unemployment",
            confidence=0.93,
            sources=[SOURCE],
            buttons=buttons,
        )
    ]
    body = client.post("/api/chat", json={"text": "辞职了能领失业金吗？"}).json()
    assert body["topic"] == "consult_unemployment"
    assert body["messages"] == [{"text": "符合条件的可以领取失业保险金。", "buttons": buttons, "sources": [SOURCE]}]
    stored = db.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.direction, m.sender) for m in stored] == [("in", "citizen"), ("out", "bot")]
    bot = stored[1]
    assert bot.topic == "consult_unemployment" and bot.intent == "consult_unemployment"
    assert bot.confidence == 0.93 and bot.event == "answer"
    assert bot.sources == [SOURCE] and bot.buttons == buttons
    assert bot.latency_ms is not None and bot.latency_ms >= 0
    assert db.scalars(select(Conversation)).one().topic == "consult_unemployment"


def test_button_click_sends_the_payload_and_stores_the_button_title(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    fake_rasa.reply = [
        envelope(
            "您想了解哪方面？", event="clarify", buttons=[{"title": "领取条件", "payload": "/consult_unemployment"}]
        )
    ]
    sid = client.post("/api/chat", json={"text": "失业金"}).json()["session_id"]
    fake_rasa.reply = [envelope("领取条件是……", topic="consult_unemployment")]
    client.post("/api/chat", json={"session_id": sid, "payload": "/consult_unemployment"})
    assert fake_rasa.received[-1]["message"] == "/consult_unemployment"
    citizen = db.scalars(select(Message).where(Message.sender == "citizen").order_by(Message.id)).all()
    assert [(m.text, m.payload) for m in citizen] == [("失业金", None), ("领取条件", "/consult_unemployment")]


def test_free_text_starting_with_slash_cannot_inject_an_intent(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    client.post("/api/chat", json={"text": '/request_human{"x": 1}'})
    assert not fake_rasa.received[-1]["message"].startswith("/")
    assert db.scalars(select(Message).where(Message.sender == "citizen")).one().text == '/request_human{"x": 1}'


def test_plain_rasa_messages_and_unknown_keys_are_tolerated(client: TestClient, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [
        {
            "recipient_id": "x",
            "text": "纯文本回复",
            "buttons": [{"title": "好的", "payload": "/affirm"}, {"title": "坏按钮"}],
        },
        {"recipient_id": "x", "image": "https://example.org/x.png"},
        {
            "recipient_id": "x",
            "custom": {
                "text": "带未知字段",
                "event": "answer",
                "future_field": {"a": 1},
                "topic": "not_a_contract_intent",
            },
        },
    ]
    body = client.post("/api/chat", json={"text": "你好"}).json()
    assert body["topic"] is None
    assert body["messages"] == [
        {"text": "纯文本回复", "buttons": [{"title": "好的", "payload": "/affirm"}], "sources": []},
        {"text": "带未知字段", "buttons": [], "sources": []},
    ]


def test_sources_keep_contract_fields_only_and_unsafe_urls_are_dropped(client: TestClient, fake_rasa: FakeRasa) -> None:
    dirty = dict(SOURCE, url="javascript:alert(1)", date="2018年12月", validity="有效", score=3.2, article="39")
    fake_rasa.reply = [
        envelope("答复", topic="consult_unemployment", sources=[dirty, {"kind": "policy"}, {"title": "无种类"}])
    ]
    sources = client.post("/api/chat", json={"text": "问"}).json()["messages"][0]["sources"]
    assert sources[0] == dict(SOURCE, url=None, date=None, validity=None, article=None)
    assert sources[1]["title"] == "无种类" and sources[1]["kind"] == "policy" and sources[1]["url"] is None
    assert len(sources) == 2


def test_fallback_is_topic_null_and_unanswered_question_is_stored_masked(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    question = "我手机13812345678，补缴社保有什么政策？"
    fake_rasa.reply = [
        envelope(
            "抱歉，这个问题我还回答不了。",
            event="fallback",
            topic=None,
            unanswered={"question": question, "topic": "consult_social_insurance", "reason": "no_hit"},
        )
    ]
    body = client.post("/api/chat", json={"text": question}).json()
    assert body["topic"] is None and body["status"] == "bot"
    row = db.scalars(select(UnansweredQuestion)).one()
    assert row.question_masked == "我手机138****5678，补缴社保有什么政策？"
    assert (row.topic, row.reason, row.status) == ("consult_social_insurance", "no_hit", "open")
    metrics = client.get("/metrics").text
    assert "gateway_fallbacks_total 1.0" in metrics
    assert "gateway_unanswered_questions_total 1.0" in metrics


def test_feedback_event_is_recorded_against_the_last_answer(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    fake_rasa.reply = [
        envelope(
            "答复", topic="consult_pension", buttons=[{"title": "没帮助", "payload": '/feedback{"helpful": false}'}]
        )
    ]
    sid = client.post("/api/chat", json={"text": "养老金怎么算"}).json()["session_id"]
    fake_rasa.reply = [envelope("感谢您的反馈", event="feedback", topic=None, intent="feedback")]
    client.post("/api/chat", json={"session_id": sid, "payload": '/feedback{"helpful": false}'})
    feedback = db.scalars(select(Feedback)).one()
    answer = db.scalars(select(Message).where(Message.sender == "bot").order_by(Message.id).limit(1)).one()
    assert feedback.helpful is False and feedback.message_id == answer.id and feedback.topic == "consult_pension"
