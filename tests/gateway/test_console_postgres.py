"""The console on PostgreSQL: eight concurrent claims (exactly one wins under row locking) and the
login → claim → reply → close flow through the HTTP API. Uses the private cluster of
gateway_pg_server.py; fails (never skips) when PostgreSQL is missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from gateway.store.database import create_db_engine, create_session_factory
from gateway.store.migrate import upgrade_to_head
from gateway.store.models import Conversation
from tests.gateway.conftest import AppFactory
from tests.gateway.console_support import add_user, logged_in, queue_citizen
from tests.gateway.gateway_fakes import FakeRasa
from tests.gateway.gateway_pg_server import throwaway_database
from tests.gateway.test_console_concurrency import AGENTS, _waiting, assert_one_winner, claim_race

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh database on the throwaway server (dropped afterwards)."""
    with throwaway_database("console_test") as url:
        upgrade_to_head(url)
        yield url


def test_eight_threads_claim_on_postgresql_and_exactly_one_wins(pg_url: str) -> None:
    engine = create_db_engine(pg_url)
    factory = create_session_factory(engine)
    try:
        with factory() as db:
            agent_ids = [add_user(db, f"pg-agent{n}", "agent").id for n in range(AGENTS)]
        for _ in range(5):
            conversation_id = _waiting(factory)
            assert_one_winner(factory, claim_race(factory, agent_ids, conversation_id), agent_ids, conversation_id)
    finally:
        engine.dispose()


def test_console_flow_on_postgresql(
    pg_url: str, make_client: AppFactory, fake_rasa: FakeRasa
) -> None:
    client = make_client(database_url=pg_url)
    engine = create_db_engine(pg_url)
    try:
        with create_session_factory(engine)() as db:
            add_user(db, "pg-alice", "agent")
        csrf = logged_in(client, "pg-alice")
        sid = queue_citizen(client, fake_rasa)
        assert client.get(f"/api/chat/{sid}").json()["queue_position"] >= 1
        with create_session_factory(engine)() as db:
            conversation_id = db.scalars(select(Conversation.id).where(Conversation.session_id == sid)).one()
        headers = {"X-CSRF-Token": csrf}
        assert client.post(f"/api/console/conversations/{conversation_id}/claim", headers=headers).status_code == 200
        reply = client.post(f"/api/console/conversations/{conversation_id}/reply", json={"text": "您好"}, headers=headers)
        assert reply.status_code == 200
        assert client.get(f"/api/chat/{sid}").json()["messages"][-1]["text"] == "您好"
        closed = client.post(f"/api/console/conversations/{conversation_id}/close", json={"note": "已解答"}, headers=headers)
        assert closed.json()["conversation"]["status"] == "closed"
    finally:
        engine.dispose()
