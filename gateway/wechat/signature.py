"""WeChat's callback signatures, compared in constant time.

WeChat signs every callback with ``sha1(''.join(sorted([token, timestamp, nonce])))`` in the
``signature`` query parameter; in safe/compatible mode the encrypted body is signed too
(``msg_signature`` = sha1 of the sorted token, timestamp, nonce and ``Encrypt``). wechatpy compares
with ``!=``; we compare with :func:`hmac.compare_digest` so response timing leaks nothing. A
signature only counts while its ``timestamp`` is recent (:func:`timestamp_fresh`), so a captured
callback cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(*parts: str) -> str:
    """WeChat's SHA-1 signature of ``parts`` (sorted, concatenated, hex digest)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_ok(expected_parts: tuple[str, ...], signature: str | None) -> bool:
    """Whether ``signature`` is WeChat's signature of ``expected_parts`` (constant-time)."""
    if not signature or any(part is None for part in expected_parts):
        return False
    return hmac.compare_digest(sign(*expected_parts).encode("ascii"), signature.strip().lower().encode("utf-8"))


def callback_signature_ok(token: str, *, signature: str | None, timestamp: str | None, nonce: str | None) -> bool:
    """The ``signature`` every callback (GET and POST) carries: token, timestamp, nonce."""
    if not token or not timestamp or not nonce:
        return False
    return signature_ok((token, timestamp, nonce), signature)


def timestamp_fresh(timestamp: str | None, *, max_skew_seconds: float, now: float | None = None) -> bool:
    """Whether the signed ``timestamp`` (Unix seconds) is within ``max_skew_seconds`` of now, in
    either direction. A valid signature never expires by itself, so without this a captured
    callback could be replayed at any later time. ``max_skew_seconds <= 0`` disables the check."""
    if max_skew_seconds <= 0:
        return True
    if not timestamp or not timestamp.strip().isdigit():
        return False
    current = time.time() if now is None else now
    return abs(current - int(timestamp.strip())) <= max_skew_seconds
