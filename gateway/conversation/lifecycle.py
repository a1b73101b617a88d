"""Apply a state-machine event to a stored conversation, safely under concurrency.

The new status comes from :func:`gateway.conversation.states.transition` (which raises on an
illegal move); the database row is then changed with a compare-and-set ``UPDATE … WHERE status =
<the status we saw>``, so two requests (or two gateway replicas) cannot both move the same
conversation: the loser gets :class:`StaleTransition`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.conversation.states import Event, IllegalTransition, Status, transition
from gateway.store.base import utcnow
from gateway.store.models import Conversation


class StaleTransition(IllegalTransition):
    """Someone else changed the conversation's status between our read and our write."""


def apply_event(db: Session, conversation: Conversation, event: Event, *, agent_id: int | None = None) -> Status:
    """Move ``conversation`` by ``event``; keeps ``waiting_since``, ``closed_at`` and the assigned
    agent consistent with the new status. Flushes, does not commit."""
    current = Status(conversation.status)
    new = transition(current, event)
    now = utcnow()
    values: dict[str, Any] = {"status": new.value, "updated_at": now}
    if new is Status.WAITING_AGENT:
        values.update(waiting_since=now, assigned_agent_id=None)
    elif new is Status.WITH_AGENT:
        if agent_id is None:
            raise ValueError("an agent must be named when a conversation is claimed")
        values.update(waiting_since=None, assigned_agent_id=agent_id)
    elif new is Status.BOT:
        values.update(waiting_since=None, assigned_agent_id=None, closed_at=None)
    elif new is Status.CLOSED:
        values.update(waiting_since=None, closed_at=now)
    db.flush()
    result = db.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.status == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.refresh(conversation)
        raise StaleTransition(conversation.status, event.value)
    for name, value in values.items():
        setattr(conversation, name, value)
    db.flush()
    return new
