"""Engine and session factory for the configured ``DATABASE_URL``.

SQLite gets what a multi-threaded web server needs (``check_same_thread=False``, WAL journal, a
busy timeout, enforced foreign keys, a pool as large as PostgreSQL's); ``synchronous`` stays at
SQLite's default (FULL: a commit is on disk when it returns — it costs ~0.1 ms here); PostgreSQL gets ``pool_pre_ping``. Nothing connects until
first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def normalize_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs (the driver installed in the app env)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` configured for the gateway's concurrent request handling."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        pool: dict[str, Any] = {}
        if ":memory:" not in url and url.rstrip("/") != "sqlite:":
            # Enough kept connections for the sync routes' worker threads: a connection opened
            # beyond the pool is closed again on return, and each new one runs the PRAGMAs.
            pool = {"pool_size": 10, "max_overflow": 30}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (we return them in responses)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (for CLI and background use)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
