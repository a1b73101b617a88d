"""The store on PostgreSQL: same migrations, same chat flow, same state machine (no SQLite-only
SQL). Skipped only when PostgreSQL is not installed and GATEWAY_TEST_POSTGRES_URL is not set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from gateway.store.base import Base
from gateway.store.database import create_db_engine, create_session_factory
from gateway.store.migrate import head_revision, upgrade_to_head
from gateway.store.models import HandoffTicket
from tests.gateway.conftest import AppFactory
from tests.gateway.gateway_fakes import FakeRasa, envelope
from tests.gateway.gateway_pg_server import throwaway_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh database on the throwaway server (dropped afterwards)."""
    with throwaway_database("gateway_test") as url:
        yield url


def test_migrations_on_postgresql_match_the_models(pg_url: str) -> None:
    assert upgrade_to_head(pg_url) == head_revision()
    engine = create_db_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_chat_handoff_and_transcript_on_postgresql(
    pg_url: str, make_client: AppFactory, fake_rasa: FakeRasa
) -> None:
    fake_rasa.reply = [
        envelope(
            "正在转人工",
            event="handoff",
            topic="request_human",
            handoff={"reason": "request_human", "last_question": "工伤怎么认定"},
        )
    ]
    client = make_client(database_url=pg_url)
    body = client.post("/api/chat", json={"text": "工伤怎么认定"}).json()
    assert body["status"] == "waiting_agent"
    transcript = client.get(f"/api/chat/{body['session_id']}").json()
    assert [m["role"] for m in transcript["messages"]] == ["citizen", "bot"]
    health = client.get("/healthz").json()["dependencies"]["database"]
    assert health["status"] == "ok" and "postgresql" in health["detail"]
    engine = create_db_engine(pg_url)
    try:
        with create_session_factory(engine)() as db:
            ticket = db.scalars(select(HandoffTicket)).first()
            assert ticket is not None and ticket.last_question == "工伤怎么认定"
            assert ticket.created_at.tzinfo is not None
    finally:
        engine.dispose()
