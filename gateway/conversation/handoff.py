"""Handoff tickets: open one when a conversation goes to the agents' queue, close it when the
citizen withdraws. At most one ticket per conversation is not closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.conversation.lifecycle import apply_event
from gateway.conversation.states import HUMAN_QUEUE, Event, Status
from gateway.privacy import mask_pii
from gateway.store.base import utcnow
from gateway.store.models import Conversation, HandoffTicket, TicketStatus


def open_ticket_of(db: Session, conversation: Conversation) -> HandoffTicket | None:
    """The conversation's ticket that is not closed, if any."""
    return db.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.conversation_id == conversation.id, HandoffTicket.status != TicketStatus.CLOSED.value)
        .order_by(HandoffTicket.id.desc())
    ).first()


def request_handoff(
    db: Session,
    *,
    conversation: Conversation,
    reason: str,
    topic: str | None,
    last_question: str | None,
    candidates: list[dict[str, Any]] | None = None,
) -> HandoffTicket:
    """Queue the conversation for an agent (bot → waiting_agent) and open its ticket.

    If the conversation is already queued or with an agent, its existing ticket is returned and
    nothing moves (a second 转人工 must not create a second ticket)."""
    if Status(conversation.status) in HUMAN_QUEUE:
        existing = open_ticket_of(db, conversation)
        if existing is not None:
            return existing
    else:
        apply_event(db, conversation, Event.REQUEST_AGENT)
    question = last_question or ""
    ticket = HandoffTicket(
        conversation_id=conversation.id,
        reason=reason,
        topic=topic or conversation.topic,
        last_question=question,
        last_question_masked=mask_pii(question),
        candidates=candidates or [],
    )
    db.add(ticket)
    db.flush()
    return ticket


def cancel_handoff(db: Session, *, conversation: Conversation, note: str = "citizen_cancelled") -> None:
    """The citizen stops waiting (waiting_agent → bot); the ticket is closed with ``note``."""
    apply_event(db, conversation, Event.CANCEL)
    ticket = open_ticket_of(db, conversation)
    if ticket is not None:
        ticket.status = TicketStatus.CLOSED.value
        ticket.closed_at = utcnow()
        ticket.resolution_note = note
    db.flush()
