"""The agents' queue: waiting conversations in ``waiting_since`` order, a citizen's place in it,
and the conversations an agent holds. Listings show masked text only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gateway.conversation.states import Status
from gateway.store.base import utcnow
from gateway.store.models import Conversation, HandoffTicket, Message, SenderRole, TicketStatus
from knowledge_base.topics import TOPIC_LABELS

QUEUE_LIMIT = 200

REASON_LABELS = {
    "request_human": "市民要求转人工",
    "repeated_failure": "多次未能解答",
    "unhelpful": "回答没帮助",
    "sensitive": "敏感事项",
    "system": "系统故障转入",
}


def queue_position(db: Session, *, conversation: Conversation) -> int | None:
    """1 for the next conversation an agent will take; ``None`` when not waiting."""
    if conversation.status != Status.WAITING_AGENT.value or conversation.waiting_since is None:
        return None
    ahead = db.scalar(
        select(func.count(Conversation.id)).where(
            Conversation.status == Status.WAITING_AGENT.value,
            or_(
                Conversation.waiting_since < conversation.waiting_since,
                and_(Conversation.waiting_since == conversation.waiting_since, Conversation.id < conversation.id),
            ),
        )
    )
    return int(ahead or 0) + 1


def _open_tickets(db: Session, ids: Sequence[int]) -> dict[int, HandoffTicket]:
    """The newest ticket that is not closed, per conversation id."""
    if not ids:
        return {}
    rows = db.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.conversation_id.in_(ids), HandoffTicket.status != TicketStatus.CLOSED.value)
        .order_by(HandoffTicket.id)
    )
    return {ticket.conversation_id: ticket for ticket in rows}


def _last_citizen_message(db: Session, ids: Sequence[int]) -> dict[int, Message]:
    if not ids:
        return {}
    newest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(ids), Message.sender == SenderRole.CITIZEN.value)
        .group_by(Message.conversation_id)
    )
    return {m.conversation_id: m for m in db.scalars(select(Message).where(Message.id.in_(newest)))}


def _item(conversation: Conversation, ticket: HandoffTicket | None, last: Message | None) -> dict[str, Any]:
    topic = (ticket.topic if ticket else None) or conversation.topic
    now = utcnow()
    waiting = conversation.waiting_since
    return {
        "conversation_id": conversation.id,
        "channel": conversation.channel,
        "status": conversation.status,
        "topic": topic,
        "topic_label": TOPIC_LABELS.get(topic or "", None),
        "reason": ticket.reason if ticket else None,
        "reason_label": REASON_LABELS.get(ticket.reason, ticket.reason) if ticket else None,
        "question": (ticket.last_question_masked if ticket and ticket.last_question_masked else None)
        or (last.text_masked if last else ""),
        "waiting_since": waiting.isoformat() if waiting else None,
        "waiting_seconds": int((now - waiting).total_seconds()) if waiting else None,
        "last_citizen_message_id": last.id if last else None,
        "last_citizen_at": last.created_at.isoformat() if last else None,
    }


def list_queue(db: Session, *, agent_id: int) -> dict[str, Any]:
    """``waiting``: conversations waiting for an agent, longest-waiting first (with their place);
    ``mine``: the conversations ``agent_id`` holds now. Texts are masked."""
    waiting = db.scalars(
        select(Conversation)
        .where(Conversation.status == Status.WAITING_AGENT.value)
        .order_by(Conversation.waiting_since, Conversation.id)
        .limit(QUEUE_LIMIT)
    ).all()
    mine = db.scalars(
        select(Conversation)
        .where(Conversation.status == Status.WITH_AGENT.value, Conversation.assigned_agent_id == agent_id)
        .order_by(Conversation.updated_at.desc())
    ).all()
    ids = [c.id for c in (*waiting, *mine)]
    tickets, last = _open_tickets(db, ids), _last_citizen_message(db, ids)
    total_waiting = db.scalar(select(func.count(Conversation.id)).where(Conversation.status == Status.WAITING_AGENT.value))
    return {
        "waiting_total": int(total_waiting or 0),
        "waiting": [
            {**_item(c, tickets.get(c.id), last.get(c.id)), "position": n} for n, c in enumerate(waiting, start=1)
        ],
        "mine": [_item(c, tickets.get(c.id), last.get(c.id)) for c in mine],
    }
