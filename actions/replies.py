"""Compose the bot's replies ("envelopes") from search results. Pure functions, no Rasa types.

Every bot message is sent as one custom payload so the gateway receives text, buttons, sources,
topic and handoff signals together (see gateway: Rasa's REST channel splits text and custom
payloads into separate messages otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions import texts
from search.analyzer import AnalyzedQuery
from search.service import PolicySearch, RankedHit, SearchRequest
from search.types import IndexDoc

# A hit must reach this share of the question's content words to count as an answer.
MIN_COVERAGE = 0.5
MIN_INTERPRETATION_COVERAGE = 0.4
PASSAGE_CHARS = 360


@dataclass
class Envelope:
    """One bot message as the gateway expects it (contract 3 plus signals for the gateway)."""

    text: str
    event: str
    topic: str | None = None
    intent: str | None = None
    confidence: float | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    handoff: dict[str, Any] | None = None
    unanswered: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": self.buttons,
            "sources": self.sources,
            "topic": self.topic,
            "intent": self.intent,
            "confidence": self.confidence,
            "event": self.event,
            "handoff": self.handoff,
            "unanswered": self.unanswered,
        }


def feedback_buttons() -> list[dict[str, str]]:
    return [
        {"title": texts.BUTTON_HELPFUL, "payload": "/feedback_helpful"},
        {"title": texts.BUTTON_UNHELPFUL, "payload": "/feedback_unhelpful"},
    ]


def human_button() -> dict[str, str]:
    return {"title": texts.BUTTON_HUMAN, "payload": "/request_human"}


def policy_source(doc: IndexDoc) -> dict[str, Any]:
    """Contract-3 source of an official article or section (unknown values stay null)."""
    url = doc.extra.get("url")
    if url and doc.article:
        url = f"{url}#{doc.article}"
    return {
        "kind": doc.source_kind if doc.source_kind in ("policy", "case") else "policy",
        "title": doc.title,
        "article": doc.article,
        "doc_number": doc.doc_number,
        "issuer": doc.issuer,
        "date": doc.date,
        "validity": doc.validity,
        "region": doc.region,
        "url": url,
    }


def interpretation_source(doc: IndexDoc) -> dict[str, Any]:
    """Contract-3 source of a curated interpretation (ours, not official: issuer is null)."""
    return {
        "kind": doc.source_kind,
        "title": doc.title,
        "article": None,
        "doc_number": None,
        "issuer": None,
        "date": doc.date,
        "validity": "现行有效",
        "region": doc.region,
        "url": doc.extra.get("url"),
    }


def coverage(hit: RankedHit, query: AnalyzedQuery) -> float:
    """Share of the citizen's content words (two characters or more) that the hit covers, directly
    or through a synonym's canonical policy term. Guards against answering on one shared word."""
    words = [t for t in query.tokens if len(t) >= 2]
    if not words:
        return 0.0
    haystack = " ".join((hit.doc.title, hit.doc.text, hit.doc.phrasing_tokens.replace(" ", ""), hit.doc.title_tokens.replace(" ", "")))
    covered = 0
    for word in words:
        if word in haystack or any(word in variant and canonical in haystack for variant, canonical in query.matched_synonyms):
            covered += 1
    return covered / len(words)


def cited_articles(search: PolicySearch, doc: IndexDoc) -> list[IndexDoc]:
    """The official articles an interpretation cites, fetched from the same index, in order."""
    result = []
    for uid in doc.extra.get("cited_uids") or []:
        if uid:
            article = search.backend.get(uid)
            if article is not None:
                result.append(article)
    return result


def _passage(text: str) -> str:
    text = text.strip()
    return text if len(text) <= PASSAGE_CHARS else text[:PASSAGE_CHARS].rstrip() + "……"


def _article_label(doc: IndexDoc) -> str:
    return f"《{doc.title}》{doc.article or ''}"


def answer_from_hits(search: PolicySearch, hits: list[RankedHit], query: AnalyzedQuery) -> tuple[str, list[dict[str, Any]]] | None:
    """The answer text and sources for the best usable hit, or ``None`` when nothing is good enough.

    An interpretation is preferred (plain words, with its cited articles quoted as sources); an
    official article is quoted as a passage with its source.
    """
    for hit in hits[:5]:
        doc = hit.doc
        cov = coverage(hit, query)
        if doc.source_kind in ("interpretation", "faq") and cov >= MIN_INTERPRETATION_COVERAGE:
            articles = cited_articles(search, doc)
            parts = [doc.text]
            if articles:
                parts.append("依据：" + "；".join(_article_label(a) for a in articles) + "。")
                parts.append(f"原文摘录（{_article_label(articles[0])}）：{_passage(articles[0].text)}")
            refs = doc.extra.get("external_refs") or []
            if refs:
                parts.append("参考文件：" + "；".join(f"《{r['title']}》" + (f"（{r['doc_number']}）" if r.get("doc_number") else "") for r in refs) + "。")
            if not doc.extra.get("original_in_library", True):
                parts.append(texts.NOT_IN_LIBRARY)
            parts.append(texts.CURATED_NOTE)
            sources = [interpretation_source(doc)] + [policy_source(a) for a in articles]
            return "\n".join(parts), sources
        if doc.source_kind in ("policy", "case") and cov >= MIN_COVERAGE:
            intro = texts.POLICY_INTRO.format(title=f"《{doc.title}》", article=doc.article or f"「{doc.heading}」")
            parts = [intro, _passage(doc.text)]
            if doc.validity != "现行有效":
                replaced = doc.extra.get("replaced_by")
                parts.append(texts.EXPIRED_NOTE + (f"现行规定请参见《{replaced}》。" if replaced else ""))
            return "\n".join(parts), [policy_source(doc)]
    return None


def search_answer(search: PolicySearch, question: str, *, topic: str | None, region: str | None) -> tuple[str, list[dict[str, Any]], list[RankedHit]] | None:
    """Search the index for ``question`` and compose an answer; ``None`` if nothing fits."""
    result = search.search(SearchRequest(text=question, topic=topic, region=region, size=8))
    composed = answer_from_hits(search, result.hits, result.query)
    if composed is None:
        return None
    text, sources = composed
    return text, sources, result.hits


def related_question_buttons(hits: list[RankedHit], sources: list[dict[str, Any]], limit: int = 2) -> list[dict[str, str]]:
    """「您可能还想问」: the next best interpretations as buttons whose payload is the question itself
    (sent back as text, so the normal understanding flow answers it)."""
    answered = {s.get("url") for s in sources}
    buttons: list[dict[str, str]] = []
    for hit in hits[1:6]:
        doc = hit.doc
        if doc.source_kind in ("interpretation", "faq") and doc.extra.get("url") not in answered:
            buttons.append({"title": f"相关问题：{doc.title}", "payload": doc.title})
            if len(buttons) >= limit:
                break
    return buttons


def candidates(hits: list[RankedHit], limit: int = 3) -> list[dict[str, Any]]:
    """Short descriptions of the bot's best hits, handed to the agent with a handoff."""
    out = []
    for hit in hits[:limit]:
        doc = hit.doc
        out.append({"title": doc.title, "article": doc.article, "text": _passage(doc.text)[:200], "url": doc.extra.get("url")})
    return out
