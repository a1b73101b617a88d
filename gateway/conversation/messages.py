"""Record messages (original and masked copy) and turn stored messages into API views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gateway.conversation.inputs import CitizenInput
from gateway.privacy import mask_pii
from gateway.rasa.envelope import BotMessage
from gateway.store.base import utcnow
from gateway.store.models import Conversation, Direction, Message, SenderRole

_MESSAGES = cast(Table, Message.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)
_INSERT_MESSAGE = _MESSAGES.insert()
"""Plain Core statements for the writes of every turn (built once, compiled once): the ORM's
unit of work costs several times the statements themselves."""
_TOUCH_CONVERSATION = (
    _CONVERSATIONS.update()
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(updated_at=bindparam("updated_at"))
)

def _insert_message(
    db: Session, conversation: Conversation, direction: Direction, sender: SenderRole, text: str, **columns: Any
) -> datetime:
    """One Core INSERT of a message with its masked copy; returns its time. Rows are numbered in
    the order they are written."""
    now = utcnow()
    db.connection().execute(
        _INSERT_MESSAGE,
        dict(
            conversation_id=conversation.id,
            direction=direction.value,
            sender=sender.value,
            text=text,
            text_masked=mask_pii(text),
            created_at=now,
            **columns,
        ),
    )
    return now


BUTTON_LOOKBACK = 5
QUESTION_LOOKBACK = 20


def _button_title(db: Session, conversation: Conversation, payload: str) -> str | None:
    """The title of the button (recently shown in this conversation) that sends ``payload``."""
    recent = db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.direction == Direction.OUT.value)
        .order_by(Message.id.desc())
        .limit(BUTTON_LOOKBACK)
    )
    for message in recent:
        for button in message.buttons or []:
            if button.get("payload") == payload:
                return str(button.get("title") or "") or None
    return None


def record_citizen(
    db: Session, *, conversation: Conversation, citizen: CitizenInput, extra_buttons: Sequence[dict[str, str]] = ()
) -> None:
    """Store what the citizen sent. A button click is stored with the button's title as text
    (so the transcript reads naturally) and the payload beside it.

    Written with two Core statements (the INSERT, and the conversation's last activity for the
    agents' queue) instead of the ORM's unit of work: this runs on every turn."""
    if citizen.payload is not None:
        title = _button_title(db, conversation, citizen.payload)
        if title is None:
            title = next((b["title"] for b in extra_buttons if b["payload"] == citizen.payload), citizen.payload)
        text = title
    else:
        text = citizen.text or ""
    now = _insert_message(db, conversation, Direction.IN, SenderRole.CITIZEN, text, payload=citizen.payload, sources=[], buttons=[])
    db.connection().execute(_TOUCH_CONVERSATION, {"conversation_id": conversation.id, "updated_at": now})
    set_committed_value(conversation, "updated_at", now)


def record_bot(db: Session, *, conversation: Conversation, bot_message: BotMessage, latency_ms: int | None) -> None:
    """Store one bot message with what it was about and why (one Core INSERT, like
    :func:`record_citizen`; rows are numbered in the order they are written)."""
    _insert_message(
        db,
        conversation,
        Direction.OUT,
        SenderRole.BOT,
        bot_message.text,
        event=bot_message.event,
        topic=bot_message.topic,
        intent=bot_message.intent,
        confidence=bot_message.confidence,
        sources=bot_message.sources,
        buttons=bot_message.buttons,
        latency_ms=latency_ms,
    )


def record_system(
    db: Session,
    *,
    conversation: Conversation,
    text: str,
    event: str | None = None,
    buttons: list[dict[str, str]] | None = None,
) -> Message:
    """Store something the gateway itself told the citizen (outage notice, handoff cancelled)."""
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender=SenderRole.SYSTEM.value,
        text=text,
        text_masked=mask_pii(text),
        event=event,
        sources=[],
        buttons=buttons or [],
    )
    db.add(message)
    db.flush()
    return message


def question_for_handoff(db: Session, conversation: Conversation, reported: str | None) -> str | None:
    """The question an agent should see first, in the citizen's original words.

    The bot reports the last real question (it knows 转人工 is a request, not a question), but it
    only ever saw the masked text; the matching stored original is preferred. Without a report,
    the citizen's latest free-text message."""
    recent = db.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.sender == SenderRole.CITIZEN.value,
            Message.payload.is_(None),
        )
        .order_by(Message.id.desc())
        .limit(QUESTION_LOOKBACK)
    ).all()
    if reported:
        wanted = reported.strip()
        for message in recent:
            if message.text_masked.strip() == wanted or message.text.strip() == wanted:
                return message.text
        return reported
    return recent[0].text if recent else None


def last_bot_answer(db: Session, conversation: Conversation, *, before_id: int | None = None) -> Message | None:
    """The latest bot message (the one a feedback click is about)."""
    query = select(Message).where(Message.conversation_id == conversation.id, Message.sender == SenderRole.BOT.value)
    if before_id is not None:
        query = query.where(Message.id < before_id)
    return db.scalars(query.order_by(Message.id.desc()).limit(1)).first()


def chat_view(
    text: str, buttons: list[dict[str, Any]] | None = None, sources: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A contract-3 message: ``{"text", "buttons", "sources"}`` (lists never null)."""
    return {"text": text, "buttons": list(buttons or []), "sources": list(sources or [])}


def message_view(message: Message) -> dict[str, Any]:
    return chat_view(message.text, message.buttons, message.sources)


def transcript_view(message: Message) -> dict[str, Any]:
    """A transcript entry for the conversation's holder: the contract fields plus who said it,
    when, the message id (to poll for newer messages) and whether an agent's action caused it
    (``from_staff``: replies and 已接入/已结束 notices, which only the live stream delivers)."""
    return {
        "id": message.id,
        "role": message.sender,
        **message_view(message),
        "created_at": message.created_at.isoformat(),
        "from_staff": message.agent_id is not None,
    }
