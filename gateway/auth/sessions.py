"""Staff logins: check a password, start, resolve and end a login session.

The cookie carries a random token (``secrets.token_urlsafe(32)``); the database keeps only its
SHA-256 (``staff_sessions.token_hash``), the user, a per-session CSRF token and the expiry
(absolute ``STAFF_SESSION_HOURS``, idle ``STAFF_IDLE_MINUTES``). Sessions live in the database so
every gateway replica sees the same logins and a logout or a deactivated user takes effect
everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit import record_audit
from gateway.auth.passwords import verify_password
from gateway.store.base import utcnow
from gateway.store.models import StaffSession, User

SESSION_COOKIE = "rs_staff"
LOGIN_CSRF_COOKIE = "rs_login_csrf"
TOUCH_EVERY = dt.timedelta(minutes=1)

# A valid bcrypt hash of a random password: unknown user names cost as much time as known ones.
_DUMMY_HASH = "$2b$12$rPQFl7FLlNZAUyHv9qxpz.79YOdkS8wUo7qVayZo4AeenHIxWpeoG"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two tokens (false when either is missing)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True)
class StaffLogin:
    """A resolved login: the user and the session row (for its CSRF token)."""

    user: User
    session: StaffSession

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token


def authenticate(db: Session, *, username: str, password: str) -> User | None:
    """The active user with this name and password, or ``None`` (same cost either way)."""
    user = db.scalars(select(User).where(User.username == username.strip())).first()
    if user is None or not user.is_active:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def start_session(db: Session, *, user: User, hours: float, ip: str | None = None) -> tuple[str, StaffSession]:
    """A new login for ``user``: returns the cookie token (shown once) and the stored session.
    Flushes and records ``staff.login``; the caller commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session = StaffSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    db.add(session)
    user.last_login_at = now
    db.flush()
    record_audit(db, actor_id=user.id, action="staff.login", detail={"session_id": session.id, "ip": ip})
    return token, session


def resolve_session(db: Session, *, token: str | None, idle_minutes: int) -> StaffLogin | None:
    """The live login behind a cookie token, or ``None`` (unknown, expired, idle, revoked, or
    the user deactivated). Refreshes ``last_seen_at`` at most once a minute (and commits that)."""
    if not token or len(token) > 128:
        return None
    session = db.scalars(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).first()
    if session is None or session.revoked_at is not None:
        return None
    now = utcnow()
    if session.expires_at <= now or session.last_seen_at + dt.timedelta(minutes=idle_minutes) <= now:
        return None
    user = db.get(User, session.user_id)
    if user is None or not user.is_active:
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        session.last_seen_at = now
        db.commit()
    return StaffLogin(user=user, session=session)


def end_session(db: Session, *, login: StaffLogin) -> None:
    """Log out: the session is revoked (the cookie becomes useless everywhere)."""
    login.session.revoked_at = utcnow()
    record_audit(db, actor_id=login.user.id, action="staff.logout", detail={"session_id": login.session.id})
    db.flush()
