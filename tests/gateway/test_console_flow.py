"""The agent console end to end on a real SQLite file with the fake Rasa: queue order and the
citizen's place in it, claim, the bot silent while an agent owns the chat, replies reaching the
citizen (transcript and Server-Sent Events from a real server), close with a note, hand back,
requeue, masking, and the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.app import create_app
from gateway.content.library import ContentLibrary
from gateway.settings import Settings
from gateway.store.models import AuditEvent, Conversation, HandoffTicket
from search.backends.embedded import EmbeddedBackend
from tests.gateway.console_support import (
    BANK_CARD,
    ID_NUMBER,
    MOBILE,
    PASSWORD,
    PII_TEXT,
    SseReader,
    add_user,
    built_kb_index,
    logged_in,
    queue_citizen,
)
from tests.gateway.gateway_fakes import FakeRasa, LocalServer, envelope


@pytest.fixture
def agent(client: TestClient, db: Session) -> tuple[TestClient, str]:
    """The test client logged in as agent ``alice`` and her CSRF token."""
    add_user(db, "alice", "agent")
    return client, logged_in(client, "alice")


def _conversation(db: Session, sid: str) -> Conversation:
    db.expire_all()
    return db.scalars(select(Conversation).where(Conversation.session_id == sid)).one()


def _post(client: TestClient, csrf: str, url: str, body: dict | None = None) -> httpx.Response:
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf})


def test_queue_is_ordered_by_waiting_since_and_citizens_see_their_place(
    agent: tuple[TestClient, str], fake_rasa: FakeRasa, db: Session
) -> None:
    client, csrf = agent
    sids = [queue_citizen(client, fake_rasa, f"问题{n}：失业金怎么领") for n in range(3)]
    queue = client.get("/api/console/queue").json()
    ids = [_conversation(db, sid).id for sid in sids]
    assert [item["conversation_id"] for item in queue["waiting"]] == ids
    assert [item["position"] for item in queue["waiting"]] == [1, 2, 3]
    assert queue["waiting"][0]["reason_label"] == "市民要求转人工" and queue["waiting"][0]["topic"] == "consult_unemployment"
    assert queue["waiting"][0]["waiting_seconds"] >= 0 and queue["waiting_total"] == 3
    assert [client.get(f"/api/chat/{sid}").json()["queue_position"] for sid in sids] == [1, 2, 3]

    assert _post(client, csrf, f"/api/console/conversations/{ids[0]}/claim").status_code == 200
    assert [client.get(f"/api/chat/{sid}").json()["queue_position"] for sid in sids] == [None, 1, 2]
    queue = client.get("/api/console/queue").json()
    assert [item["conversation_id"] for item in queue["mine"]] == [ids[0]]
    assert [item["position"] for item in queue["waiting"]] == [1, 2]


def test_claim_reply_and_the_bot_stays_silent_while_the_agent_owns_the_chat(
    agent: tuple[TestClient, str], fake_rasa: FakeRasa, db: Session
) -> None:
    client, csrf = agent
    sid = queue_citizen(client, fake_rasa)
    conversation_id = _conversation(db, sid).id
    view = _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim").json()
    assert view["conversation"]["status"] == "with_agent" and view["conversation"]["assigned_to_me"]
    assert view["ticket"]["candidates"][0]["article"] == "第四十五条"
    assert view["can"] == {"claim": False, "reply": True, "close": True, "hand_back": True, "requeue": True}
    assert _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim").status_code == 409

    bot_calls = len(fake_rasa.received)
    body = client.post("/api/chat", json={"session_id": sid, "text": "我已经辞职三个月了"}).json()
    assert body["status"] == "with_agent" and "人工客服" in body["messages"][0]["text"]
    assert len(fake_rasa.received) == bot_calls  # the bot never sees it

    latest = client.get(f"/api/console/conversations/{conversation_id}").json()["messages"][-1]
    assert (latest["role"], latest["text"]) == ("citizen", "我已经辞职三个月了")

    source = {"kind": "policy", "title": "中华人民共和国社会保险法", "article": "第四十五条", "url": "/policy/d63807b4b602#第四十五条"}
    reply = _post(
        client,
        csrf,
        f"/api/console/conversations/{conversation_id}/reply",
        {"text": "您好，符合条件可以领取失业保险金。", "sources": [source, {**source, "title": "坏链接", "url": "javascript:alert(1)"}]},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["delivery"] == {"channel": "web", "pushed": True, "detail": "已实时推送到网页。"}
    transcript = client.get(f"/api/chat/{sid}").json()
    assert transcript["status"] == "with_agent" and transcript["queue_position"] is None
    agent_messages = [m for m in transcript["messages"] if m["role"] == "agent"]
    assert [m["text"] for m in agent_messages] == ["您好，符合条件可以领取失业保险金。"]
    assert agent_messages[0]["from_staff"] and agent_messages[0]["sources"][0]["title"] == "中华人民共和国社会保险法"
    assert agent_messages[0]["sources"][1]["url"] is None  # unsafe links are dropped
    assert any(m["role"] == "system" and "人工客服已接入" in m["text"] for m in transcript["messages"])

    assert _post(client, csrf, f"/api/console/conversations/{conversation_id}/reply", {"text": "  "}).status_code == 422
    assert _post(client, csrf, f"/api/console/conversations/{conversation_id}/reply", {"text": "长" * 2001}).status_code == 413
    assert len(fake_rasa.received) == bot_calls


def test_close_needs_a_note_and_the_next_citizen_message_goes_to_the_bot(
    agent: tuple[TestClient, str], fake_rasa: FakeRasa, db: Session
) -> None:
    client, csrf = agent
    sid = queue_citizen(client, fake_rasa)
    conversation_id = _conversation(db, sid).id
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim")
    assert _post(client, csrf, f"/api/console/conversations/{conversation_id}/close", {"note": " "}).status_code == 422
    closed = _post(client, csrf, f"/api/console/conversations/{conversation_id}/close", {"note": f"已解答，回访电话{MOBILE}"})
    assert closed.status_code == 200 and closed.json()["conversation"]["status"] == "closed"
    ticket = db.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == conversation_id)).one()
    db.refresh(ticket)
    assert ticket.status == "closed" and ticket.resolution_note == "已解答，回访电话138****5678"
    transcript = client.get(f"/api/chat/{sid}").json()
    assert transcript["status"] == "closed" and "人工服务已结束" in transcript["messages"][-1]["text"]

    fake_rasa.reply = [envelope("您好，请问有什么可以帮您？", event="smalltalk", topic="greet")]
    calls = len(fake_rasa.received)
    body = client.post("/api/chat", json={"session_id": sid, "text": "你好"}).json()
    assert body["status"] == "bot" and body["messages"][0]["text"] == "您好，请问有什么可以帮您？"
    assert len(fake_rasa.received) == calls + 1
    assert _post(client, csrf, f"/api/console/conversations/{conversation_id}/reply", {"text": "还在吗"}).status_code == 409


def test_hand_back_returns_the_citizen_to_the_bot(agent: tuple[TestClient, str], fake_rasa: FakeRasa, db: Session) -> None:
    client, csrf = agent
    sid = queue_citizen(client, fake_rasa)
    conversation_id = _conversation(db, sid).id
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim")
    view = _post(client, csrf, f"/api/console/conversations/{conversation_id}/hand-back", {"note": ""}).json()
    assert view["conversation"]["status"] == "bot" and not view["unmasked"]
    conversation = _conversation(db, sid)
    assert conversation.assigned_agent_id is None and conversation.waiting_since is None
    assert "交还智能客服" in client.get(f"/api/chat/{sid}").json()["messages"][-1]["text"]
    calls = len(fake_rasa.received)
    fake_rasa.reply = [envelope("失业保险金按月发放。", topic="consult_unemployment")]
    assert client.post("/api/chat", json={"session_id": sid, "text": "多久发一次"}).json()["status"] == "bot"
    assert len(fake_rasa.received) == calls + 1


def test_requeue_puts_the_conversation_back_for_another_agent(
    agent: tuple[TestClient, str], fake_rasa: FakeRasa, db: Session
) -> None:
    client, csrf = agent
    sid = queue_citizen(client, fake_rasa)
    conversation_id = _conversation(db, sid).id
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim")
    view = _post(client, csrf, f"/api/console/conversations/{conversation_id}/requeue").json()
    assert view["conversation"]["status"] == "waiting_agent" and view["can"]["claim"]
    assert client.get(f"/api/chat/{sid}").json()["queue_position"] == 1
    ticket = db.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == conversation_id)).one()
    db.refresh(ticket)
    assert (ticket.status, ticket.claimed_by_id) == ("open", None)


def test_only_the_assigned_agent_sees_the_original_and_acts(
    agent: tuple[TestClient, str], fake_rasa: FakeRasa, db: Session
) -> None:
    client, csrf = agent
    add_user(db, "bob", "agent")
    add_user(db, "root", "admin")
    bob, root = TestClient(client.app), TestClient(client.app)  # type: ignore[arg-type]
    bob_csrf, _ = logged_in(bob, "bob"), logged_in(root, "root")
    sid = queue_citizen(client, fake_rasa, PII_TEXT)
    conversation_id = _conversation(db, sid).id

    def texts(c: TestClient) -> str:
        view = c.get(f"/api/console/conversations/{conversation_id}").json()
        return "\n".join([m["text"] for m in view["messages"]] + [view["ticket"]["question"]])

    queue_text = client.get("/api/console/queue").text
    before = texts(client)
    for raw in (ID_NUMBER, MOBILE, BANK_CARD):
        assert raw not in before and raw not in queue_text
    assert "1****************X" in before and "138****5678" in before and "6222***********0123" in before

    _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim")
    mine = texts(client)
    assert ID_NUMBER in mine and MOBILE in mine and BANK_CARD in mine
    for other in (bob, root):
        seen = texts(other)
        assert ID_NUMBER not in seen and MOBILE not in seen and BANK_CARD not in seen
    assert _post(bob, bob_csrf, f"/api/console/conversations/{conversation_id}/reply", {"text": "我来"}).status_code == 403
    assert _post(bob, bob_csrf, f"/api/console/conversations/{conversation_id}/close", {"note": "x"}).status_code == 403

    _post(client, csrf, f"/api/console/conversations/{conversation_id}/close", {"note": "已解答"})
    assert ID_NUMBER not in texts(client)  # after closing, the agent's view is masked too


def test_every_agent_action_is_audited(agent: tuple[TestClient, str], fake_rasa: FakeRasa, db: Session) -> None:
    client, csrf = agent
    sid = queue_citizen(client, fake_rasa, PII_TEXT)
    conversation_id = _conversation(db, sid).id
    client.get(f"/api/console/conversations/{conversation_id}")
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim")
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/reply", {"text": f"已核对身份证{ID_NUMBER}"})
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/requeue")
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/claim")
    _post(client, csrf, f"/api/console/conversations/{conversation_id}/hand-back", {"note": ""})
    events = db.scalars(select(AuditEvent).where(AuditEvent.conversation_id == conversation_id).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == [
        "conversation.view",
        "conversation.claim",
        "conversation.reply",
        "conversation.requeue",
        "conversation.claim",
        "conversation.hand_back",
    ]
    user_id = events[0].actor_id
    assert user_id is not None and all(e.actor_id == user_id for e in events)
    assert ID_NUMBER not in str([e.detail for e in events])


@pytest.fixture
def live_gateway(settings: Settings, library: ContentLibrary, search_index: object) -> Iterator[str]:
    """A real gateway server (uvicorn) with fast event-stream polling."""
    app = create_app(
        settings.model_copy(update={"sse_poll_seconds": 0.2, "sse_max_seconds": 30}),
        search_backend_factory=lambda: EmbeddedBackend(search_index),  # type: ignore[arg-type]
        library_loader=lambda: library,
    )
    server = LocalServer(app, lifespan="on").start()
    yield server.url
    server.stop()


def test_agent_reply_reaches_the_citizen_live_over_sse(
    live_gateway: str, fake_rasa: FakeRasa, db_factory: Callable[[], Session]
) -> None:
    citizen = httpx.Client(base_url=live_gateway, timeout=10)
    agent = httpx.Client(base_url=live_gateway, timeout=10)
    sid = queue_citizen(citizen, fake_rasa)  # type: ignore[arg-type]
    with db_factory() as db:
        add_user(db, "alice", "agent")
        conversation_id = db.scalars(select(Conversation.id).where(Conversation.session_id == sid)).one()
    csrf = logged_in(agent, "alice")  # type: ignore[arg-type]

    assert citizen.get("/api/chat/" + "x" * 32 + "/events").status_code == 404
    stream = SseReader(f"{live_gateway}/api/chat/{sid}/events")
    try:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        first = stream.wait_for(lambda e: e["event"] == "status")
        assert first["data"] == {"status": "waiting_agent", "queue_position": 1}

        assert agent.post(f"/api/console/conversations/{conversation_id}/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
        stream.wait_for(lambda e: e["event"] == "status" and e["data"]["status"] == "with_agent")
        joined = stream.wait_for(lambda e: e["event"] == "message")
        assert joined["data"]["role"] == "system" and "已接入" in joined["data"]["text"]

        sent = agent.post(
            f"/api/console/conversations/{conversation_id}/reply",
            json={"text": "您好，我是人工客服，您的情况可以领取失业保险金。"},
            headers={"X-CSRF-Token": csrf},
        )
        assert sent.status_code == 200
        reply = stream.wait_for(lambda e: e["event"] == "message" and e["data"]["role"] == "agent")
        assert reply["data"]["text"] == "您好，我是人工客服，您的情况可以领取失业保险金。"
        assert reply["id"] == sent.json()["message"]["id"] and reply["id"] > joined["id"]
    finally:
        stream.close()

    # A reconnect (EventSource sends Last-Event-ID) resumes after the last message it saw.
    resumed = SseReader(f"{live_gateway}/api/chat/{sid}/events", headers={"Last-Event-ID": str(joined["id"])})
    try:
        again = resumed.wait_for(lambda e: e["event"] == "message")
        assert again["id"] == reply["id"]
        agent.post(f"/api/console/conversations/{conversation_id}/close", json={"note": "已解答"}, headers={"X-CSRF-Token": csrf})
        resumed.wait_for(lambda e: e["event"] == "status" and e["data"]["status"] == "closed")
    finally:
        resumed.close()
    citizen.close()
    agent.close()


def test_console_search_over_the_real_index_with_citations(
    make_client: Callable[..., TestClient], db_factory: Callable[[], Session]
) -> None:
    client = make_client(search_path=built_kb_index())
    with db_factory() as db:
        add_user(db, "alice", "agent")
    logged_in(client, "alice")

    results = client.get("/api/console/search", params={"q": "经济补偿 工作年限 每满一年", "source_kind": "policy"}).json()["results"]
    hit = next(r for r in results if r["title"] == "中华人民共和国劳动合同法" and r["article"] == "第四十七条")
    assert hit["validity"] == "现行有效" and hit["url"].endswith("#第四十七条")
    citation = hit["citation"]
    assert citation["text"].startswith("「《劳动合同法》第四十七条：经济补偿按劳动者在本单位工作的年限")
    assert citation["text"].endswith(f"（原文：http://testserver{hit['url']}）")
    assert citation["source"] == {
        "kind": "policy",
        "title": "中华人民共和国劳动合同法",
        "article": "第四十七条",
        "doc_number": hit["doc_number"],
        "issuer": hit["issuer"],
        "date": hit["date"],
        "validity": "现行有效",
        "region": "全国",
        "url": hit["url"],
    }
    assert any(part["mark"] for part in hit["snippet"])
    assert all(r["source_kind"] == "policy" for r in results)

    current = client.get("/api/console/search", params={"q": "劳动保险条例 劳动保险", "source_kind": "policy"}).json()["results"]
    assert all(r["validity"] == "现行有效" for r in current)
    expired = client.get(
        "/api/console/search", params={"q": "劳动保险条例 劳动保险", "source_kind": "policy", "include_expired": "true"}
    ).json()["results"]
    assert any(r["validity"] == "已失效" and r["title"] == "中华人民共和国劳动保险条例" for r in expired)

    local = client.get("/api/console/search", params={"q": "失业保险金", "region": "山东"}).json()["results"]
    assert local and all(r["region"] in ("全国", "山东省") for r in local)
    topical = client.get("/api/console/search", params={"q": "经济补偿", "topic": "consult_labor_relations"}).json()["results"]
    assert topical and all(r["topic"] in (None, "consult_labor_relations") for r in topical)
    interpretations = client.get("/api/console/search", params={"q": "经济补偿怎么算", "source_kind": "interpretation"}).json()
    first = interpretations["results"][0]
    assert first["url"].startswith("/interpretation/") and first["citation"]["text"].startswith("「政策解读《")
    laws = client.get("/api/console/search", params={"q": "经济补偿", "doc_kind": "法律"}).json()["results"]
    assert laws and all(r["doc_kind"] == "法律" for r in laws)

    for params in ({"q": ""}, {"q": "失业", "topic": "nope"}, {"q": "失业", "region": "火星"}, {"q": "失业", "source_kind": "x"}):
        response = client.get("/api/console/search", params=params)
        assert response.status_code == 422 and response.json()["detail"]


def test_console_page_renders_for_agents(agent: tuple[TestClient, str]) -> None:
    client, csrf = agent
    html = client.get("/console").text
    assert "坐席工作台" in html and f'content="{csrf}"' in html and "/static/js/console.js" in html
    assert 'for="search-q"' in html and 'for="reply-text"' in html and 'for="close-note"' in html
    assert PASSWORD not in html


def test_replies_in_wechat_conversations_go_through_the_wechat_delivery_function(
    agent: tuple[TestClient, str], db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.conversation.handoff import request_handoff
    from gateway.conversation.sessions import start_conversation
    from gateway.wechat import runtime

    sent: list[tuple[object, str, str]] = []
    monkeypatch.setattr(runtime, "deliver_to_wechat", lambda app, openid, text: sent.append((app, openid, text)) or 1)
    client, csrf = agent
    conversation = start_conversation(db, channel="wechat", external_user="oWeChatUser123")
    request_handoff(db, conversation=conversation, reason="request_human", topic=None, last_question="工伤怎么认定")
    db.commit()
    queue = client.get("/api/console/queue").json()
    assert queue["waiting"][0]["channel"] == "wechat"
    _post(client, csrf, f"/api/console/conversations/{conversation.id}/claim")
    reply = _post(client, csrf, f"/api/console/conversations/{conversation.id}/reply", {"text": "您好，工伤认定需要以下材料。"})
    assert reply.json()["delivery"] == {"channel": "wechat", "pushed": True, "detail": "已通过微信客服消息发送。"}
    assert [(openid, text) for _, openid, text in sent] == [
        ("oWeChatUser123", "人工客服已接入，正在查看您的咨询记录，请稍候。"),
        ("oWeChatUser123", "您好，工伤认定需要以下材料。"),
    ]
    assert sent[0][0] is client.app

    def refuse(app: object, openid: str, text: str) -> int:
        raise RuntimeError("errcode 45015")

    monkeypatch.setattr(runtime, "deliver_to_wechat", refuse)
    failed = _post(client, csrf, f"/api/console/conversations/{conversation.id}/reply", {"text": "还在吗？"})
    assert failed.status_code == 200 and failed.json()["delivery"]["pushed"] is False
    assert "微信消息发送失败" in failed.json()["delivery"]["detail"]
    stored = client.get(f"/api/console/conversations/{conversation.id}").json()["messages"][-1]
    assert stored["text"] == "还在吗？"  # kept, the agent was told it did not go out
