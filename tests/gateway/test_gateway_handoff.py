"""转人工 and outages: tickets, waiting_agent, the bot not called while a human owns the chat."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.auth.users import create_user
from gateway.conversation.lifecycle import apply_event
from gateway.conversation.states import Event
from gateway.store.models import Conversation, HandoffTicket, Message
from tests.gateway.gateway_fakes import FakeRasa, envelope

HANDOFF = envelope(
    "好的，正在为您转接人工客服。",
    event="handoff",
    topic="request_human",
    handoff={
        "reason": "request_human",
        "topic": "consult_unemployment",
        "last_question": "失业金领取条件",
        "candidates": [
            {"title": "社会保险法", "article": "第四十五条", "text": "失业人员符合下列条件……", "url": "/policy/d1"}
        ],
    },
)


def _assert_system_handoff(client: TestClient, db: Session, response_body: dict, question: str) -> None:
    assert response_body["status"] == "waiting_agent"
    assert response_body["topic"] is None
    text = response_body["messages"][0]["text"]
    assert "暂时无法" in text and "12333" in text
    conversation = db.scalars(select(Conversation).where(Conversation.session_id == response_body["session_id"])).one()
    assert conversation.status == "waiting_agent" and conversation.waiting_since is not None
    ticket = db.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == conversation.id)).one()
    assert (ticket.reason, ticket.status, ticket.last_question) == ("system", "open", question)
    stored = db.scalars(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)).all()
    assert [(m.sender, m.text) for m in stored][0] == ("citizen", question)  # nothing lost
    assert stored[-1].sender == "system" and "12333" in stored[-1].text


def test_rasa_down_gives_system_handoff_and_nothing_is_lost(
    make_client: Callable[..., TestClient], dead_url: str, db: Session
) -> None:
    client = make_client(rasa_url=dead_url)
    body = client.post("/api/chat", json={"text": "工伤认定需要什么材料？"}).json()
    _assert_system_handoff(client, db, body, "工伤认定需要什么材料？")
    metrics = client.get("/metrics").text
    assert 'gateway_handoffs_total{reason="system"} 1.0' in metrics


@pytest.mark.parametrize("failure", ["timeout", "http500", "empty", "not_a_list"])
def test_rasa_failures_give_system_handoff(
    failure: str, make_client: Callable[..., TestClient], fake_rasa: FakeRasa, db: Session
) -> None:
    client = make_client(rasa_timeout=0.5)
    if failure == "timeout":
        fake_rasa.delay = 1.5
    elif failure == "http500":
        fake_rasa.status_code, fake_rasa.reply = 500, [{"error": "action server unreachable"}]
    elif failure == "empty":
        fake_rasa.reply = []
    else:
        fake_rasa.reply = lambda body: {"error": "unexpected"}  # type: ignore[assignment]
    body = client.post("/api/chat", json={"text": "社保卡丢了怎么办"}).json()
    _assert_system_handoff(client, db, body, "社保卡丢了怎么办")


def _concurrent_chats(client: TestClient, questions: list[str]) -> list[dict]:
    with ThreadPoolExecutor(len(questions)) as pool:
        responses = list(pool.map(lambda q: client.post("/api/chat", json={"text": q}), questions))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    return [r.json() for r in responses]


def test_at_most_rasa_max_connections_turns_talk_to_rasa_at_once(
    make_client: Callable[..., TestClient], fake_rasa: FakeRasa
) -> None:
    client = make_client(rasa_max_connections=2)
    fake_rasa.delay = 0.3
    bodies = _concurrent_chats(client, [f"问题{i}" for i in range(6)])
    assert [b["status"] for b in bodies] == ["bot"] * 6  # the others waited their turn
    assert len(fake_rasa.received) == 6
    assert fake_rasa.max_in_flight == 2  # two at once, never more


def test_a_turn_that_cannot_get_a_connection_within_the_timeout_is_queued_for_an_agent(
    make_client: Callable[..., TestClient], fake_rasa: FakeRasa, db: Session
) -> None:
    client = make_client(rasa_max_connections=1, rasa_timeout=2.0)
    fake_rasa.delay = 1.5  # the 2nd turn waits ~1.5 s (< 2 s) for the connection, the 3rd ~3 s
    bodies = _concurrent_chats(client, ["问题一", "问题二", "问题三"])
    assert sorted(b["status"] for b in bodies) == ["bot", "bot", "waiting_agent"]
    (late,) = [b for b in bodies if b["status"] == "waiting_agent"]
    question = next(q for q in ("问题一", "问题二", "问题三") if q not in {r["message"] for r in fake_rasa.received})
    _assert_system_handoff(client, db, late, question)  # stored, told, queued: nothing lost
    assert len(fake_rasa.received) == 2


def test_handoff_envelope_moves_to_waiting_agent_and_bot_is_not_called_afterwards(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    sid = client.post("/api/chat", json={"text": "失业金领取条件"}).json()["session_id"]
    fake_rasa.reply = [HANDOFF]
    body = client.post("/api/chat", json={"session_id": sid, "text": "转人工"}).json()
    assert body["status"] == "waiting_agent"
    assert body["topic"] == "request_human"
    assert body["messages"][0]["text"] == "好的，正在为您转接人工客服。"
    calls = len(fake_rasa.received)

    later = client.post("/api/chat", json={"session_id": sid, "text": "我还想问一下补缴"}).json()
    assert len(fake_rasa.received) == calls, "the bot must not be called while waiting for an agent"
    assert later["status"] == "waiting_agent"
    assert "人工客服" in later["messages"][0]["text"]

    conversation = db.scalars(select(Conversation).where(Conversation.session_id == sid)).one()
    tickets = db.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == conversation.id)).all()
    assert len(tickets) == 1
    ticket = tickets[0]
    assert (ticket.reason, ticket.topic) == ("request_human", "consult_unemployment")
    assert ticket.last_question == "失业金领取条件"  # the question, not the 转人工 request
    assert ticket.candidates[0]["article"] == "第四十五条"
    texts = [
        m.text
        for m in db.scalars(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id))
    ]
    assert "我还想问一下补缴" in texts


def test_with_agent_messages_are_stored_for_the_agent_and_the_bot_is_not_called(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    fake_rasa.reply = [HANDOFF]
    sid = client.post("/api/chat", json={"text": "转人工"}).json()["session_id"]
    conversation = db.scalars(select(Conversation).where(Conversation.session_id == sid)).one()
    agent = create_user(db, username="agent1", password="a-long-password", role="agent")
    apply_event(db, conversation, Event.AGENT_CLAIMS, agent_id=agent.id)
    db.commit()
    calls = len(fake_rasa.received)
    body = client.post("/api/chat", json={"session_id": sid, "text": "您好，我的情况是这样的"}).json()
    assert body["status"] == "with_agent"
    assert "人工客服" in body["messages"][0]["text"]
    assert len(fake_rasa.received) == calls
    db.expire_all()
    last = db.scalars(
        select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id.desc()).limit(1)
    ).one()
    assert (last.sender, last.text) == ("citizen", "您好，我的情况是这样的")


def test_citizen_can_cancel_waiting_and_return_to_the_bot(client: TestClient, fake_rasa: FakeRasa, db: Session) -> None:
    fake_rasa.reply = [HANDOFF]
    sid = client.post("/api/chat", json={"text": "转人工"}).json()["session_id"]
    waiting = client.post("/api/chat", json={"session_id": sid, "text": "还要等多久"}).json()
    cancel = waiting["messages"][0]["buttons"][0]
    body = client.post("/api/chat", json={"session_id": sid, "payload": cancel["payload"]}).json()
    assert body["status"] == "bot"
    assert "已取消转人工" in body["messages"][0]["text"]
    assert all(r["message"] != cancel["payload"] for r in fake_rasa.received)
    ticket = db.scalars(select(HandoffTicket)).one()
    assert (ticket.status, ticket.resolution_note) == ("closed", "citizen_cancelled")
    fake_rasa.reply = [envelope("您好", event="smalltalk", topic="greet")]
    assert client.post("/api/chat", json={"session_id": sid, "text": "你好"}).json()["status"] == "bot"


def test_a_closed_conversation_reopens_to_the_bot_when_the_citizen_writes(
    client: TestClient, fake_rasa: FakeRasa, db: Session
) -> None:
    sid = client.post("/api/chat", json={"text": "你好"}).json()["session_id"]
    conversation = db.scalars(select(Conversation).where(Conversation.session_id == sid)).one()
    apply_event(db, conversation, Event.CLOSE)
    db.commit()
    body = client.post("/api/chat", json={"session_id": sid, "text": "还有一个问题"}).json()
    assert body["session_id"] == sid and body["status"] == "bot"
    assert fake_rasa.received[-1]["message"] == "还有一个问题"
