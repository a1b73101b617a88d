"""A conversation as the console shows it: the whole transcript, the handoff ticket (reason,
question, the bot's candidate answers) and what the viewer may do.

Personal data: only the agent the conversation is assigned to, while it is ``with_agent``, sees
the original texts (they need the numbers to help); every other viewer — other agents, admins,
the same agent before claiming or after closing — gets the masked copies.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.console.queue import REASON_LABELS, queue_position
from gateway.conversation.states import Status
from gateway.service_errors import ServiceError
from gateway.store.models import Conversation, HandoffTicket, Message, User
from knowledge_base.topics import TOPIC_LABELS

ROLE_LABELS = {"citizen": "市民", "bot": "智能客服", "agent": "人工客服", "system": "系统"}


def sees_original(conversation: Conversation, viewer: User) -> bool:
    """Whether ``viewer`` is the agent handling ``conversation`` right now."""
    return conversation.status == Status.WITH_AGENT.value and conversation.assigned_agent_id == viewer.id


def _message(message: Message, *, original: bool, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.sender,
        "role_label": ROLE_LABELS.get(message.sender, message.sender),
        "agent": names.get(message.agent_id) if message.agent_id else None,
        "text": message.text if original else message.text_masked,
        "sources": list(message.sources or []),
        "buttons": [b.get("title") for b in (message.buttons or []) if isinstance(b, dict)],
        "event": message.event,
        "created_at": message.created_at.isoformat(),
    }


def _ticket(ticket: HandoffTicket | None, *, original: bool) -> dict[str, Any] | None:
    if ticket is None:
        return None
    return {
        "id": ticket.id,
        "status": ticket.status,
        "reason": ticket.reason,
        "reason_label": REASON_LABELS.get(ticket.reason, ticket.reason),
        "topic": ticket.topic,
        "topic_label": TOPIC_LABELS.get(ticket.topic or "", None),
        "question": ticket.last_question if original else ticket.last_question_masked,
        "candidates": [
            {k: c.get(k) for k in ("title", "article", "text", "url")} for c in (ticket.candidates or []) if isinstance(c, dict)
        ],
        "created_at": ticket.created_at.isoformat(),
        "resolution_note": ticket.resolution_note,
    }


def agent_view(db: Session, *, conversation_id: int, viewer: User, after_id: int | None = None) -> dict[str, Any]:
    """The conversation for the console (messages newer than ``after_id`` when polling)."""
    conversation = db.get(Conversation, conversation_id)
    if conversation is None:
        raise ServiceError(404, "会话不存在。")
    original = sees_original(conversation, viewer)
    query = select(Message).where(Message.conversation_id == conversation.id)
    if after_id is not None:
        query = query.where(Message.id > after_id)
    messages = db.scalars(query.order_by(Message.id)).all()
    agent_ids = {m.agent_id for m in messages if m.agent_id} | {conversation.assigned_agent_id or 0}
    names = {
        u.id: u.display_name or u.username for u in db.scalars(select(User).where(User.id.in_(agent_ids)))
    }
    ticket = db.scalars(
        select(HandoffTicket).where(HandoffTicket.conversation_id == conversation.id).order_by(HandoffTicket.id.desc())
    ).first()
    mine = original
    topic = conversation.topic if conversation.topic in TOPIC_LABELS else (ticket.topic if ticket else None)
    return {
        "conversation": {
            "id": conversation.id,
            "channel": conversation.channel,
            "status": conversation.status,
            "topic": topic,
            "topic_label": TOPIC_LABELS.get(topic or "", None),
            "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
            "queue_position": queue_position(db, conversation=conversation),
            "assigned_agent": names.get(conversation.assigned_agent_id) if conversation.assigned_agent_id else None,
            "assigned_to_me": mine,
        },
        "unmasked": original,
        "can": {
            "claim": conversation.status == Status.WAITING_AGENT.value,
            "reply": mine,
            "close": mine,
            "hand_back": mine,
            "requeue": mine,
        },
        "ticket": _ticket(ticket, original=original),
        "messages": [_message(m, original=original, names=names) for m in messages],
    }
