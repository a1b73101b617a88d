"""Server-issued session ids: ``secrets.token_urlsafe(24)`` (32 URL-safe characters, 192 bits).

A request without an id, or with one this server did not issue, starts a new conversation — a
citizen can never attach to someone else's conversation by guessing or choosing an id.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import Channel, Conversation

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def is_well_formed(session_id: str | None) -> bool:
    """Cheap shape check before touching the database."""
    return bool(session_id) and _SESSION_ID.match(session_id or "") is not None


def find_conversation(db: Session, session_id: str | None) -> Conversation | None:
    """The conversation with this issued id, or ``None``."""
    if not is_well_formed(session_id):
        return None
    return db.scalars(select(Conversation).where(Conversation.session_id == session_id)).first()


def start_conversation(
    db: Session, *, channel: Channel | str = Channel.WEB, external_user: str | None = None
) -> Conversation:
    """A new conversation with a fresh session id (flushed, not committed)."""
    conversation = Conversation(session_id=new_session_id(), channel=str(channel), external_user=external_user)
    db.add(conversation)
    db.flush()
    return conversation
