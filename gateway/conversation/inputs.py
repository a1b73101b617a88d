"""Validate and normalise what a citizen sends (contract 3): text or a button payload.

Empty or whitespace-only → :class:`InputRejected` with status 422; longer than the limit → 413;
both with a Chinese ``detail``. Free text that starts with ``/`` would be read by Rasa as an intent
command, so the copy sent to the bot starts with a full-width ``／`` instead (the stored text is
the citizen's own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.conversation import notices
from gateway.privacy import mask_pii

# Rasa's intent syntax: /intent or /intent{"entity": "value"}
_PAYLOAD = re.compile(r"^/[A-Za-z_][A-Za-z0-9_\-.]*(\{.*\})?$", re.DOTALL)


class InputRejected(ValueError):
    """The request cannot be accepted; ``status_code`` and Chinese ``detail`` go to the client."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code, self.detail = status_code, detail


@dataclass(frozen=True)
class CitizenInput:
    """A validated message: ``text`` as the citizen wrote it, or the button ``payload``."""

    text: str | None
    payload: str | None

    @property
    def for_bot(self) -> str:
        """What Rasa receives: the payload as is, or the text with personal data masked (the bot
        never needs an ID or card number to answer a policy question, and Rasa's tracker store
        then never holds one) and a leading ``/`` defused."""
        if self.payload is not None:
            return self.payload
        text = mask_pii(self.text or "")
        return "／" + text[1:] if text.startswith("/") else text


def normalize_input(*, text: str | None, payload: str | None, max_chars: int) -> CitizenInput:
    """Check and clean the request's ``text``/``payload`` (a payload wins when both are given)."""
    if payload is not None and payload.strip():
        payload = payload.strip()
        if len(payload) > max_chars:
            raise InputRejected(413, notices.too_long(max_chars))
        if not _PAYLOAD.match(payload):
            raise InputRejected(422, notices.INVALID_PAYLOAD)
        return CitizenInput(text=None, payload=payload)
    if text is None or not text.strip():
        raise InputRejected(422, notices.EMPTY_MESSAGE)
    text = text.strip()
    if len(text) > max_chars:
        raise InputRejected(413, notices.too_long(max_chars))
    return CitizenInput(text=text, payload=None)
