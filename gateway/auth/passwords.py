"""bcrypt password hashing. bcrypt reads at most 72 bytes, so longer passwords are refused
rather than silently truncated."""

from __future__ import annotations

import bcrypt

MIN_LENGTH = 10
MAX_BYTES = 72


class WeakPassword(ValueError):
    """The password does not meet the length rules."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_LENGTH} characters")
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise WeakPassword(f"password must be at most {MAX_BYTES} bytes (bcrypt's limit)")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Constant-time check; false for malformed hashes and over-long input."""
    data = password.encode("utf-8")
    if len(data) > MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(data, password_hash.encode("ascii"))
    except ValueError:
        return False
