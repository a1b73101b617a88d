"""WeChat's callback signatures, compared in constant time.

WeChat signs every callback with ``sha1(''.join(sorted([token, timestamp, nonce])))`` in the
``signature`` query parameter; in safe/compatible mode the encrypted body is signed too
(``msg_signature`` = sha1 of the sorted token, timestamp, nonce and ``Encrypt``). wechatpy compares
with ``!=``; we compare with :func:`hmac.compare_digest` so response timing leaks nothing.
"""

from __future__ import annotations

import hashlib
import hmac


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
