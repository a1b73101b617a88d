"""Create staff users (recorded in the audit trail)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.auth.passwords import hash_password
from gateway.store.models import AuditEvent, User, UserRole

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


class UserExists(ValueError):
    pass


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    role: UserRole | str,
    display_name: str | None = None,
    actor_id: int | None = None,
) -> User:
    """A new active staff user with a bcrypt hash; flushes, does not commit."""
    role = UserRole(role)
    if not USERNAME.match(username):
        raise ValueError("username: 3-64 characters of letters, digits, '_', '.', '-'")
    if db.scalars(select(User).where(User.username == username)).first() is not None:
        raise UserExists(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role.value, display_name=display_name)
    db.add(user)
    db.flush()
    db.add(
        AuditEvent(
            actor_id=actor_id,
            action="user.create",
            detail={"user_id": user.id, "username": username, "role": role.value},
        )
    )
    db.flush()
    return user
