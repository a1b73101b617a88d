"""Claims are atomic: of eight agents claiming the same waiting conversation at the same moment,
exactly one wins. Real threads against a real SQLite file — through a real gateway server and
directly through the service functions. (PostgreSQL: test_console_postgres.py.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.app import create_app
from gateway.console import actions
from gateway.content.library import ContentLibrary
from gateway.conversation.handoff import request_handoff
from gateway.conversation.sessions import start_conversation
from gateway.service_errors import ServiceError
from gateway.settings import Settings
from gateway.store.database import create_db_engine, create_session_factory
from gateway.store.migrate import upgrade_to_head
from gateway.store.models import AuditEvent, Conversation, HandoffTicket, Message, User
from search.backends.embedded import EmbeddedBackend
from tests.gateway.console_support import add_user, logged_in, queue_citizen
from tests.gateway.gateway_fakes import FakeRasa, LocalServer

AGENTS = 8


@pytest.fixture
def live_gateway(settings: Settings, library: ContentLibrary, search_index: Path) -> Iterator[str]:
    app = create_app(settings, search_backend_factory=lambda: EmbeddedBackend(search_index), library_loader=lambda: library)
    server = LocalServer(app, lifespan="on").start()
    yield server.url
    server.stop()


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_eight_agents_claim_over_http_and_exactly_one_wins(
    live_gateway: str, fake_rasa: FakeRasa, db_factory: Callable[[], Session]
) -> None:
    with db_factory() as db:
        for n in range(AGENTS):
            add_user(db, f"agent{n}", "agent")
    agents = []
    for n in range(AGENTS):
        client = httpx.Client(base_url=live_gateway, timeout=30)
        agents.append((client, logged_in(client, f"agent{n}")))  # type: ignore[arg-type]
    citizen = httpx.Client(base_url=live_gateway, timeout=30)
    for round_ in range(3):
        sid = queue_citizen(citizen, fake_rasa, f"第{round_}个问题")  # type: ignore[arg-type]
        with db_factory() as db:
            conversation_id = db.scalars(select(Conversation.id).where(Conversation.session_id == sid)).one()
        calls = [
            (lambda c=c, t=t, i=conversation_id: c.post(f"/api/console/conversations/{i}/claim", headers={"X-CSRF-Token": t}))
            for c, t in agents
        ]
        responses = _race(calls)  # type: ignore[arg-type]
        codes = sorted(r.status_code for r in responses)  # type: ignore[attr-defined]
        assert codes == [200] + [409] * (AGENTS - 1), codes
        winner = next(n for n, r in enumerate(responses) if r.status_code == 200)  # type: ignore[attr-defined]
        with db_factory() as db:
            conversation = db.get(Conversation, conversation_id)
            user = db.scalars(select(User).where(User.username == f"agent{winner}")).one()
            assert conversation is not None and conversation.status == "with_agent"
            assert conversation.assigned_agent_id == user.id
            ticket = db.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == conversation_id)).one()
            assert (ticket.status, ticket.claimed_by_id) == ("claimed", user.id)
            claims = db.scalars(
                select(AuditEvent).where(AuditEvent.action == "conversation.claim", AuditEvent.conversation_id == conversation_id)
            ).all()
            assert [c.actor_id for c in claims] == [user.id]
            joined = db.scalars(
                select(Message).where(Message.conversation_id == conversation_id, Message.agent_id.is_not(None))
            ).all()
            assert len(joined) == 1
    for client, _ in agents:
        client.close()
    citizen.close()


def _waiting(factory: sessionmaker[Session]) -> int:
    with factory() as db:
        conversation = start_conversation(db)
        request_handoff(db, conversation=conversation, reason="request_human", topic=None, last_question="工伤怎么认定")
        db.commit()
        return conversation.id


def claim_race(factory: sessionmaker[Session], agent_ids: list[int], conversation_id: int) -> list[str]:
    """Every agent claims ``conversation_id`` at once through the service; ``won``/``409`` each."""

    def attempt(agent_id: int) -> str:
        with factory() as db:
            agent = db.get(User, agent_id)
            assert agent is not None
            try:
                actions.claim(db, conversation_id=conversation_id, agent=agent)
            except ServiceError as exc:
                return str(exc.status_code)
            return "won"

    return [str(r) for r in _race([lambda a=a: attempt(a) for a in agent_ids])]


def assert_one_winner(factory: sessionmaker[Session], results: list[str], agent_ids: list[int], conversation_id: int) -> None:
    assert sorted(results) == ["409"] * (len(agent_ids) - 1) + ["won"], results
    winner = agent_ids[results.index("won")]
    with factory() as db:
        conversation = db.get(Conversation, conversation_id)
        assert conversation is not None and (conversation.status, conversation.assigned_agent_id) == ("with_agent", winner)
        messages = db.scalars(select(Message).where(Message.conversation_id == conversation_id)).all()
        assert [m.agent_id for m in messages] == [winner]


def test_eight_threads_claim_through_the_service_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    upgrade_to_head(url)
    engine = create_db_engine(url)
    factory = create_session_factory(engine)
    try:
        with factory() as db:
            agent_ids = [add_user(db, f"a{n}", "agent").id for n in range(AGENTS)]
        for _ in range(5):
            conversation_id = _waiting(factory)
            assert_one_winner(factory, claim_race(factory, agent_ids, conversation_id), agent_ids, conversation_id)
    finally:
        engine.dispose()
