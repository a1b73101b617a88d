"""Tables of the gateway: conversations and their messages, handoff tickets, feedback, unanswered
questions for staff review, staff users and their login sessions, interpretation drafts written in
the review page, and the audit trail of staff actions.

Personal data: message and ticket texts are stored twice — the original (``text``,
``last_question``), shown only to the citizen and the agent handling the conversation, and a copy
masked at write time (``*_masked``) that every review, export and log path reads. Staff-review
tables (unanswered questions, feedback comments) hold only masked text.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.conversation.states import Status
from gateway.store.base import Base, UTCDateTime, utcnow


class Channel(StrEnum):
    WEB = "web"
    WECHAT = "wechat"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class SenderRole(StrEnum):
    CITIZEN = "citizen"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class HandoffReason(StrEnum):
    REQUEST_HUMAN = "request_human"
    REPEATED_FAILURE = "repeated_failure"
    UNHELPFUL = "unhelpful"
    SENSITIVE = "sensitive"
    SYSTEM = "system"


class TicketStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class UnansweredStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


class UserRole(StrEnum):
    AGENT = "agent"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class FeedbackStatus(StrEnum):
    OPEN = "open"
    HANDLED = "handled"


class DraftStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class User(Base):
    """A staff account: hotline agent, content reviewer or administrator (bcrypt password hash)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.AGENT.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Conversation(Base):
    """One citizen's conversation. ``session_id`` is the unguessable token the server issued
    (``secrets.token_urlsafe(24)``); ``status`` changes only through
    :func:`gateway.conversation.states.transition`."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.WEB.value)
    external_user: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(20), default=Status.BOT.value, index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")
    assigned_agent: Mapped[User | None] = relationship()


class Message(Base):
    """One message in or out. Bot messages keep what the bot said and why (topic, intent,
    confidence, event, sources, buttons) and how long the bot took (``latency_ms``)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    sender: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text, default="")
    text_masked: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str | None] = mapped_column(Text)
    event: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    buttons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class HandoffTicket(Base):
    """A request for a human agent: why, about what, the question, and the bot's candidate
    answers so the agent starts from them. At most one ticket per conversation is not closed."""

    __tablename__ = "handoff_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.OPEN.value, index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    last_question: Mapped[str] = mapped_column(Text, default="")
    last_question_masked: Mapped[str] = mapped_column(Text, default="")
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(Text)

    conversation: Mapped[Conversation] = relationship()


class Feedback(Base):
    """A citizen's verdict on a bot answer (helpful or not), with an optional masked comment."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    topic: Mapped[str | None] = mapped_column(String(64))
    comment_masked: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default=FeedbackStatus.OPEN.value, server_default="open", index=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class UnansweredQuestion(Base):
    """A question the bot could not answer, kept (masked) for staff to write an interpretation."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"), index=True)
    question_masked: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=UnansweredStatus.OPEN.value, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    interpretation_id: Mapped[str | None] = mapped_column(String(100))


class AuditEvent(Base):
    """One staff action (claim, reply, close, review, user management): who, what, on which
    conversation or ticket, when. ``detail`` never holds raw personal data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("handoff_tickets.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class StaffSession(Base):
    """A staff login. The cookie holds a random token; only its SHA-256 is stored, so a copy of
    the database cannot be replayed as a login. ``csrf_token`` must accompany every
    state-changing request of the session."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class InterpretationDraft(Base):
    """An interpretation written by a reviewer in the review page, validated against the official
    texts when saved and approved; approved ones are exported as knowledge-base YAML (masked)."""

    __tablename__ = "interpretation_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(100), unique=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="interpretation")
    question: Mapped[str] = mapped_column(Text)
    phrasings: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    cites: Mapped[list[str]] = mapped_column(JSON, default=list)
    region: Mapped[str] = mapped_column(String(32), default="全国")
    status: Mapped[str] = mapped_column(String(16), default=DraftStatus.DRAFT.value, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
