"""Parse Rasa's REST-channel reply into typed bot messages (tolerantly).

Every message of our Rasa project arrives as ``{"recipient_id", "custom": ENVELOPE}`` where the
envelope carries text, buttons, sources, topic, intent, confidence, event, handoff and unanswered
(see ``shared/ARCHITECTURE.md`` and ``gateway/README.md``). Plain Rasa messages
(``{"text", "buttons"}``) are accepted too, unknown keys are ignored, and malformed parts are
dropped rather than trusted: sources keep only contract fields with contract values, and URLs
only when they are the gateway's own pages or http(s) links (never ``javascript:``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from knowledge_base.topics import CONTRACT_INTENTS

SOURCE_KINDS = ("policy", "interpretation", "faq", "case")
VALIDITIES = ("现行有效", "已修订", "已失效")
EVENTS = ("answer", "clarify", "fallback", "referral", "handoff", "smalltalk", "feedback", "out_of_scope")
HANDOFF_REASONS = ("request_human", "repeated_failure", "unhelpful", "sensitive", "system")
SOURCE_FIELDS = ("kind", "title", "article", "doc_number", "issuer", "date", "validity", "region", "url")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?$")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handoff:
    """The bot asks for a human: why, about what, the question, and candidate answers."""

    reason: str
    topic: str | None
    last_question: str | None
    candidates: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Unanswered:
    """A question the bot could not answer, for staff review."""

    question: str
    topic: str | None
    reason: str | None


@dataclass(frozen=True)
class BotMessage:
    """One bot message as the gateway stores and returns it."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    topic: str | None = None
    intent: str | None = None
    confidence: float | None = None
    event: str | None = None
    handoff: Handoff | None = None
    unanswered: Unanswered | None = None


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def safe_url(value: Any) -> str | None:
    """Keep the gateway's own pages (``/policy/…``) and http(s) links; drop anything else."""
    url = _str(value)
    if url is None:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    if url.lower().startswith(("https://", "http://")):
        return url
    return None


def _topic(value: Any) -> str | None:
    topic = _str(value)
    if topic is None:
        return None
    if topic not in CONTRACT_INTENTS:
        log.warning("bot reported a topic outside the contract: %s (returned as null)", topic[:64])
        return None
    return topic


def parse_source(raw: Any) -> dict[str, Any] | None:
    """A contract-3 source with every field present (``null`` when unknown), or ``None``."""
    if not isinstance(raw, dict) or not _str(raw.get("title")):
        return None
    source: dict[str, Any] = {name: _str(raw.get(name)) for name in SOURCE_FIELDS}
    if source["kind"] is None:
        source["kind"] = "policy"
    elif source["kind"] not in SOURCE_KINDS:
        log.warning("dropped a source of unknown kind %s", source["kind"][:32])
        return None
    if source["validity"] not in VALIDITIES:
        source["validity"] = None
    if source["date"] is not None and not _ISO_DATE.match(source["date"]):
        source["date"] = None
    if source["article"] is not None and not _ARTICLE.match(source["article"]):
        source["article"] = None
    source["url"] = safe_url(raw.get("url"))
    return source


def parse_button(raw: Any) -> dict[str, str] | None:
    """``{"title", "payload"}`` when both are non-empty strings."""
    if not isinstance(raw, dict):
        return None
    title, payload = _str(raw.get("title")), _str(raw.get("payload"))
    if not title or not payload:
        return None
    return {"title": title, "payload": payload}


def _confidence(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if 0.0 <= value <= 1.0 else None


def _handoff(raw: Any, envelope: dict[str, Any]) -> Handoff | None:
    if raw is None and envelope.get("event") != "handoff":
        return None
    raw = raw if isinstance(raw, dict) else {}
    reason = _str(raw.get("reason"))
    candidates = [c for c in _list(raw.get("candidates")) if isinstance(c, dict)]
    return Handoff(
        reason=reason if reason in HANDOFF_REASONS else "request_human",
        topic=_topic(raw.get("topic")) or _topic(envelope.get("topic")),
        last_question=_str(raw.get("last_question")),
        candidates=[
            {
                "title": _str(c.get("title")),
                "article": _str(c.get("article")),
                "text": _str(c.get("text")),
                "url": safe_url(c.get("url")),
            }
            for c in candidates
        ],
    )


def _unanswered(raw: Any) -> Unanswered | None:
    if not isinstance(raw, dict):
        return None
    question = _str(raw.get("question"))
    if not question:
        return None
    return Unanswered(question=question, topic=_topic(raw.get("topic")), reason=_str(raw.get("reason")))


def parse_message(raw: Any) -> BotMessage | None:
    """One Rasa REST message → :class:`BotMessage`; ``None`` for messages with nothing to show or
    record (e.g. an image-only message)."""
    if not isinstance(raw, dict):
        return None
    custom = raw.get("custom")
    envelope: dict[str, Any] = custom if isinstance(custom, dict) else {}
    text = _str(envelope.get("text")) or _str(raw.get("text")) or ""
    buttons_raw = envelope.get("buttons") if "buttons" in envelope else raw.get("buttons")
    buttons = [b for b in map(parse_button, _list(buttons_raw)) if b]
    sources = [s for s in map(parse_source, _list(envelope.get("sources"))) if s]
    event = _str(envelope.get("event"))
    handoff = _handoff(envelope.get("handoff"), envelope)
    if handoff is not None:
        event = "handoff"
    message = BotMessage(
        text=text,
        buttons=buttons,
        sources=sources,
        topic=_topic(envelope.get("topic")),
        intent=_str(envelope.get("intent")),
        confidence=_confidence(envelope.get("confidence")),
        event=event if event in EVENTS else None,
        handoff=handoff,
        unanswered=_unanswered(envelope.get("unanswered")),
    )
    if not message.text and not message.buttons and message.handoff is None and message.unanswered is None:
        return None
    return message


def parse_reply(raw: Any) -> list[BotMessage]:
    """The list Rasa returned → bot messages in order (anything but a list gives ``[]``)."""
    if not isinstance(raw, list):
        return []
    return [m for m in (parse_message(item) for item in raw) if m is not None]
