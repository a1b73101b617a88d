"""What an agent does to a conversation: claim it, reply, close it with a note, hand it back to
the bot, or put it back in the queue. Every action moves the status through the one transition
table (:mod:`gateway.conversation.states`), tells the citizen (a message with ``agent_id`` set,
which the citizen's event stream delivers), and is recorded in the audit trail.

Claims are atomic: :func:`gateway.conversation.lifecycle.apply_event` changes the row with a
compare-and-set ``UPDATE … WHERE status = 'waiting_agent'``, so of several agents (or replicas)
claiming at once exactly one wins and the others get ``409``. Replies, closes and hand-backs first
"lock" the conversation with ``UPDATE … WHERE status = 'with_agent' AND assigned_agent_id = me``,
so an agent can act only on a conversation they hold at that moment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.audit import record_audit
from gateway.conversation import notices
from gateway.conversation.handoff import open_ticket_of
from gateway.conversation.lifecycle import StaleTransition, apply_event
from gateway.conversation.states import Event, IllegalTransition, Status
from gateway.privacy import mask_pii
from gateway.service_errors import ServiceError
from gateway.store.base import utcnow
from gateway.store.models import Conversation, Direction, HandoffTicket, Message, SenderRole, TicketStatus, User

MAX_REPLY_CHARS = 2000
MAX_NOTE_CHARS = 1000

NOT_FOUND = "会话不存在。"
ALREADY_TAKEN = "该会话已被其他坐席接入，或已不在等待队列中。"
NOT_YOURS = "您不是该会话当前的人工客服，不能进行此操作。"
NOT_WITH_AGENT = "该会话当前不在人工服务中。"


def _conversation(db: Session, conversation_id: int) -> Conversation:
    conversation = db.get(Conversation, conversation_id)
    if conversation is None:
        raise ServiceError(404, NOT_FOUND)
    return conversation


def _hold(db: Session, *, conversation: Conversation, agent: User) -> None:
    """Lock the conversation for this transaction if ``agent`` holds it now, else refuse."""
    result = db.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.status == Status.WITH_AGENT.value,
            Conversation.assigned_agent_id == agent.id,
        )
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.rollback()
        db.refresh(conversation)
        if conversation.status == Status.WITH_AGENT.value:
            raise ServiceError(403, NOT_YOURS)
        raise ServiceError(409, NOT_WITH_AGENT)


def staff_message(
    db: Session,
    *,
    conversation: Conversation,
    agent: User,
    text: str,
    sender: SenderRole = SenderRole.SYSTEM,
    sources: list[dict[str, Any]] | None = None,
) -> Message:
    """A message to the citizen caused by ``agent`` (``agent_id`` marks it for live delivery)."""
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender=sender.value,
        text=text,
        text_masked=mask_pii(text),
        sources=sources or [],
        buttons=[],
        agent_id=agent.id,
    )
    db.add(message)
    db.flush()
    return message


def _close_ticket(ticket: HandoffTicket | None, *, note: str) -> None:
    if ticket is not None:
        ticket.status = TicketStatus.CLOSED.value
        ticket.closed_at = utcnow()
        ticket.resolution_note = mask_pii(note)[:MAX_NOTE_CHARS]


def claim(db: Session, *, conversation_id: int, agent: User) -> Conversation:
    """Take a waiting conversation (waiting_agent → with_agent). ``409`` if someone else did."""
    conversation = _conversation(db, conversation_id)
    if conversation.status != Status.WAITING_AGENT.value:
        raise ServiceError(409, ALREADY_TAKEN)
    try:
        apply_event(db, conversation, Event.AGENT_CLAIMS, agent_id=agent.id)
    except (StaleTransition, IllegalTransition):
        db.rollback()
        raise ServiceError(409, ALREADY_TAKEN) from None
    ticket = open_ticket_of(db, conversation)
    if ticket is not None:
        ticket.status, ticket.claimed_at, ticket.claimed_by_id = TicketStatus.CLAIMED.value, utcnow(), agent.id
    staff_message(db, conversation=conversation, agent=agent, text=notices.AGENT_JOINED)
    record_audit(
        db,
        actor_id=agent.id,
        action="conversation.claim",
        conversation_id=conversation.id,
        ticket_id=ticket.id if ticket else None,
    )
    db.commit()
    return conversation


def reply(
    db: Session, *, conversation_id: int, agent: User, text: str, sources: list[dict[str, Any]] | None = None
) -> Message:
    """The agent's answer to the citizen (stored with the original text and a masked copy)."""
    text = text.strip()
    if not text:
        raise ServiceError(422, "回复内容不能为空。")
    if len(text) > MAX_REPLY_CHARS:
        raise ServiceError(413, f"回复过长：请控制在{MAX_REPLY_CHARS}个字以内。")
    conversation = _conversation(db, conversation_id)
    _hold(db, conversation=conversation, agent=agent)
    message = staff_message(
        db, conversation=conversation, agent=agent, text=text, sender=SenderRole.AGENT, sources=sources
    )
    record_audit(
        db,
        actor_id=agent.id,
        action="conversation.reply",
        conversation_id=conversation.id,
        detail={"message_id": message.id, "chars": len(text), "sources": len(sources or [])},
    )
    db.commit()
    return message


def _end(
    db: Session, *, conversation_id: int, agent: User, event: Event, note: str, notice: str, action: str
) -> Conversation:
    conversation = _conversation(db, conversation_id)
    _hold(db, conversation=conversation, agent=agent)
    try:
        apply_event(db, conversation, event)
    except (StaleTransition, IllegalTransition):
        db.rollback()
        raise ServiceError(409, NOT_WITH_AGENT) from None
    ticket = open_ticket_of(db, conversation)
    ticket_id = ticket.id if ticket else None
    if event is Event.REQUEUE:
        if ticket is not None:
            ticket.status, ticket.claimed_at, ticket.claimed_by_id = TicketStatus.OPEN.value, None, None
    else:
        _close_ticket(ticket, note=note)
    staff_message(db, conversation=conversation, agent=agent, text=notice)
    record_audit(
        db,
        actor_id=agent.id,
        action=action,
        conversation_id=conversation.id,
        ticket_id=ticket_id,
        detail={"note": mask_pii(note)[:MAX_NOTE_CHARS]} if note else {},
    )
    db.commit()
    return conversation


def close(db: Session, *, conversation_id: int, agent: User, note: str) -> Conversation:
    """End the conversation (with_agent → closed) with a resolution note (required). The
    citizen's next message starts again with the bot (closed → bot)."""
    note = note.strip()
    if not note:
        raise ServiceError(422, "请填写处理结果备注后再结束会话。")
    if len(note) > MAX_NOTE_CHARS:
        raise ServiceError(413, f"备注过长：请控制在{MAX_NOTE_CHARS}个字以内。")
    return _end(
        db,
        conversation_id=conversation_id,
        agent=agent,
        event=Event.CLOSE,
        note=note,
        notice=notices.AGENT_CLOSED,
        action="conversation.close",
    )


def hand_back(db: Session, *, conversation_id: int, agent: User, note: str = "") -> Conversation:
    """Return the citizen to the bot (with_agent → bot); the ticket is closed."""
    return _end(
        db,
        conversation_id=conversation_id,
        agent=agent,
        event=Event.HAND_BACK,
        note=note.strip()[:MAX_NOTE_CHARS] or "交还智能客服",
        notice=notices.HANDED_BACK,
        action="conversation.hand_back",
    )


def requeue(db: Session, *, conversation_id: int, agent: User) -> Conversation:
    """Put the conversation back in the queue (with_agent → waiting_agent) for another agent."""
    return _end(
        db,
        conversation_id=conversation_id,
        agent=agent,
        event=Event.REQUEUE,
        note="",
        notice=notices.REQUEUED,
        action="conversation.requeue",
    )
