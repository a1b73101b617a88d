"""The store on PostgreSQL: same migrations, same chat flow, same state machine (no SQLite-only
SQL). Skipped only when PostgreSQL is not installed and GATEWAY_TEST_POSTGRES_URL is not set."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, select, text

from gateway.app import create_app
from gateway.content.library import ContentLibrary
from gateway.settings import Settings
from gateway.store.base import Base
from gateway.store.database import create_db_engine, create_session_factory, normalize_url
from gateway.store.migrate import head_revision, upgrade_to_head
from gateway.store.models import HandoffTicket
from search.backends.embedded import EmbeddedBackend
from tests.gateway.gateway_fakes import FakeRasa, envelope
from tests.gateway.gateway_pg_server import postgres_url

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh database created for this run (and dropped after), never an existing one."""
    with postgres_url() as server_url:
        if server_url is None:
            pytest.fail("PostgreSQL is not installed (make system-deps installs it); these tests never skip silently")
        name = f"gateway_test_{secrets.token_hex(4)}"
        admin = create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(normalize_url(server_url)).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_migrations_on_postgresql_match_the_models(pg_url: str) -> None:
    assert upgrade_to_head(pg_url) == head_revision()
    engine = create_db_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_chat_handoff_and_transcript_on_postgresql(
    pg_url: str, settings: Settings, fake_rasa: FakeRasa, library: ContentLibrary, search_index: Path
) -> None:
    app = create_app(
        settings.model_copy(update={"database_url": pg_url}),
        search_backend_factory=lambda: EmbeddedBackend(search_index),
        library_loader=lambda: library,
    )
    fake_rasa.reply = [
        envelope(
            "正在转人工",
            event="handoff",
            topic="request_human",
            handoff={"reason": "request_human", "last_question": "工伤怎么认定"},
        )
    ]
    with TestClient(app) as client:
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
