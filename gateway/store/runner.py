"""Run short blocking store work from async code: ``await store.run(fn, *args)`` calls
``fn(session, *args)`` with a fresh session in a worker thread and closes the session afterwards.

Why a separate limit (``STORE_CONCURRENCY``): the store work of a chat turn is short and mostly
Python (the ORM), so running many turns' writes at once gains nothing — the interpreter runs one
thread at a time — while each extra thread stretches every write transaction (the thread holding
SQLite's single write lock waits for its turn at the interpreter, the others wait for the lock).
SQLite therefore gets 1 (writes are serial there anyway; no busy waits inside one process), a
server database its connection pool's size. Other routes keep their own threads: this limit only
covers what is run through a :class:`StoreRunner`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker

P = ParamSpec("P")
T = TypeVar("T")

SQLITE_CONCURRENCY = 1
SERVER_DB_CONCURRENCY = 10
"""The PostgreSQL engine's ``pool_size`` (see :func:`gateway.store.database.create_db_engine`)."""


def default_concurrency(dialect_name: str) -> int:
    """How many store calls may run at once by default for this database."""
    return SQLITE_CONCURRENCY if dialect_name == "sqlite" else SERVER_DB_CONCURRENCY


class StoreRunner:
    """Runs ``fn(session, …)`` in worker threads, at most ``limit`` at a time. Building it does
    no I/O and needs no event loop (the limiter is created on first use, inside the loop)."""

    def __init__(self, factory: sessionmaker[Session], *, limit: int) -> None:
        if limit < 1:
            raise ValueError("the store needs at least one worker")
        self.factory, self.limit = factory, limit
        self._limiter: anyio.CapacityLimiter | None = None

    def _limiter_now(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.limit)
        return self._limiter

    async def run(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(session, *args, **kwargs)`` in a worker thread with its own session; ``fn``
        commits what it wants kept (an exception rolls back whatever it did not commit)."""

        def call() -> T:
            with self.factory() as db:
                return fn(db, *args, **kwargs)

        return await anyio.to_thread.run_sync(call, limiter=self._limiter_now())
