"""Bring the database schema to the latest Alembic revision (``upgrade head``), programmatically.

Called by the application's startup and by ``python -m gateway migrate``. On PostgreSQL an
advisory lock serialises concurrent upgrades, so several gateway replicas can start at once.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from gateway.store.database import create_db_engine

GATEWAY_DIR = Path(__file__).resolve().parent.parent
ALEMBIC_INI = GATEWAY_DIR / "alembic.ini"
MIGRATIONS_DIR = GATEWAY_DIR / "migrations"
_PG_LOCK_ID = 1_233_312_333

log = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    """The Alembic configuration of the gateway for ``url`` (no logging reconfiguration)."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["programmatic"] = True
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest revision in ``gateway/migrations/versions`` (read once per process)."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(url: str, *, engine: Engine | None = None) -> str | None:
    """Run ``alembic upgrade head`` against ``url``; returns the revision reached."""
    own_engine = engine is None
    engine = engine or create_db_engine(url)
    config = alembic_config(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        revision = current_revision(engine)
        log.info("database schema at revision %s", revision)
        return revision
    finally:
        if own_engine:
            engine.dispose()
