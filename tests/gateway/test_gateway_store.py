"""The store: migrations match the models, timestamps are UTC, settings' secret key, CLI users."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from gateway.auth.passwords import WeakPassword, verify_password
from gateway.auth.users import UserExists, create_user
from gateway.settings import Settings
from gateway.store.base import Base
from gateway.store.database import create_db_engine, create_session_factory
from gateway.store.migrate import head_revision, upgrade_to_head
from gateway.store.models import AuditEvent, Conversation, User

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "conversations",
    "messages",
    "handoff_tickets",
    "feedback",
    "unanswered_questions",
    "users",
    "audit_events",
    "staff_sessions",
    "interpretation_drafts",
    "wechat_inbound",
    "alembic_version",
}


def test_migrations_create_exactly_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    assert upgrade_to_head(url) == head_revision()
    assert upgrade_to_head(url) == head_revision()  # idempotent
    engine = create_db_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_timestamps_come_back_timezone_aware_utc(db: Session) -> None:
    conversation = Conversation(session_id="t" * 32)
    db.add(conversation)
    db.commit()
    db.expire_all()
    loaded = db.scalars(select(Conversation).where(Conversation.session_id == "t" * 32)).one()
    assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == dt.timedelta(0)


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key=None)
    key = settings.resolved_secret_key()
    assert len(key) >= 48
    assert settings.resolved_secret_key() == key
    mode = stat.S_IMODE((tmp_path / "var" / "gateway_secret_key").stat().st_mode)
    assert mode == 0o600
    assert Settings(var_dir=tmp_path / "var", secret_key=SecretStr("explicit")).resolved_secret_key() == "explicit"


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "ACTIONS_URL", "RASA_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEWAY_PORT", "8123")
    monkeypatch.setenv("RASA_URL", "http://rasa:5005/")
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "500")
    monkeypatch.setenv("WECHAT_TOKEN", "tok")
    s = Settings()
    assert (s.gateway_port, s.rasa_url, s.max_message_chars) == (8123, "http://rasa:5005", 500)
    assert s.wechat_token is not None and s.wechat_token.get_secret_value() == "tok"
    assert s.actions_url == "http://127.0.0.1:5055" and s.rasa_timeout == 10
    assert s.database_url.endswith("var/gateway.sqlite3")


def test_cli_create_user_stores_a_bcrypt_hash_and_audits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        GATEWAY_VAR_DIR=str(tmp_path / "var"),
        AGENT_PW="correct horse battery",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    cmd = [sys.executable, "-m", "gateway", "create-user", "zhang.san", "--role", "agent", "--password-env", "AGENT_PW"]
    result = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"ok": true' in result.stdout.strip().splitlines()[-1]
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as db:
            with pytest.raises(UserExists):
                create_user(db, username="zhang.san", password="another password", role="admin")
            with pytest.raises(WeakPassword):
                create_user(db, username="li.si", password="short", role="agent")
            db.rollback()
            user = db.scalars(select(User).where(User.username == "zhang.san")).one()
            assert user.role == "agent" and user.password_hash.startswith("$2b$")
            assert verify_password("correct horse battery", user.password_hash)
            assert not verify_password("wrong password!", user.password_hash)
            audit = db.scalars(select(AuditEvent)).one()
            assert audit.action == "user.create" and audit.detail["username"] == "zhang.san"
    finally:
        engine.dispose()
