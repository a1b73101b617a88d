"""Live updates for a citizen's web page: Server-Sent Events read from the database.

``GET /api/chat/{session_id}/events`` streams

* ``event: message`` (with ``id:``) — every message an agent caused (replies, 已接入/已结束 notices;
  rows with ``agent_id`` set) newer than ``?after=`` / ``Last-Event-ID``; the data is a transcript
  entry (``id, role, text, buttons, sources, created_at``);
* ``event: status`` — ``{"status", "queue_position"}`` at the start and whenever either changes.

Why the database and not in-memory pub/sub: the agent may be served by another gateway replica
than the citizen. Each stream polls with one small indexed query every ``SSE_POLL_SECONDS``
(default 1 s) in a worker thread, sends a comment every 15 s so proxies keep the connection, and
ends after ``SSE_MAX_SECONDS``; the browser's ``EventSource`` then reconnects and resumes from the
last event id, so nothing is lost or shown twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.console.queue import queue_position
from gateway.conversation.messages import transcript_view
from gateway.store.models import Conversation, Message

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2000
BATCH = 100


@dataclass
class Snapshot:
    """What changed since the last poll."""

    status: str
    queue_position: int | None
    messages: list[dict[str, Any]] = field(default_factory=list)


def poll(factory: sessionmaker[Session], *, conversation_id: int, after_id: int) -> Snapshot | None:
    """One database read: status, place in the queue and new staff-caused messages."""
    with factory() as db:
        conversation = db.get(Conversation, conversation_id)
        if conversation is None:
            return None
        rows = db.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after_id, Message.agent_id.is_not(None))
            .order_by(Message.id)
            .limit(BATCH)
        ).all()
        return Snapshot(
            status=conversation.status,
            queue_position=queue_position(db, conversation=conversation),
            messages=[transcript_view(m) for m in rows],
        )


def _event(name: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def event_stream(
    *,
    factory: sessionmaker[Session],
    conversation_id: int,
    after_id: int,
    poll_seconds: float,
    max_seconds: float,
    is_disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[str]:
    """The SSE body for one citizen's page (see the module docstring)."""
    yield f"retry: {RETRY_MS}\n\n"
    started = last_sent = time.monotonic()
    last_status: tuple[str, int | None] | None = None
    while True:
        if await is_disconnected():
            return
        snapshot = await asyncio.to_thread(poll, factory, conversation_id=conversation_id, after_id=after_id)
        if snapshot is None:
            return
        for message in snapshot.messages:
            after_id = int(message["id"])
            yield _event("message", message, after_id)
            last_sent = time.monotonic()
        status = (snapshot.status, snapshot.queue_position)
        if status != last_status:
            last_status = status
            yield _event("status", {"status": status[0], "queue_position": status[1]})
            last_sent = time.monotonic()
        now = time.monotonic()
        if now - started >= max_seconds:
            return
        if now - last_sent >= HEARTBEAT_SECONDS:
            yield ": keep-alive\n\n"
            last_sent = now
        await asyncio.sleep(poll_seconds)
