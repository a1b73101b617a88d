"""Value objects shared by every search backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SOURCE_KINDS = ("policy", "interpretation", "faq", "case")


@dataclass(frozen=True)
class IndexDoc:
    """One searchable unit: a policy article/section, or a curated interpretation/FAQ entry.

    ``*_tokens`` are produced once by :class:`search.analyzer.Analyzer` (space-separated), so every
    backend indexes identical tokens. ``article_keys`` are the contract-2 keys the unit stands for:
    its own key for an article, the cited keys (in order) for an interpretation.
    """

    uid: str
    source_kind: str
    title: str
    text: str
    title_tokens: str
    body_tokens: str
    phrasing_tokens: str = ""
    article: str | None = None
    article_keys: tuple[str, ...] = ()
    policy_doc_id: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: str | None = None
    validity: str = "现行有效"
    region: str = "全国"
    doc_kind: str = ""
    topic: str | None = None
    heading: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """Restrictions on results. ``validity`` defaults to current texts only; ``regions`` keeps
    units whose region is one of them (callers add 全国); dates compare ISO strings."""

    source_kinds: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    validities: tuple[str, ...] = ()
    doc_kinds: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True)
class BackendQuery:
    """An analyzed query: ``tokens`` from the citizen's words, ``expansions`` from synonyms
    (weighted lower), ``filters`` and how many hits to return."""

    tokens: tuple[str, ...]
    expansions: tuple[str, ...] = ()
    filters: Filters = Filters()
    size: int = 20


@dataclass(frozen=True)
class BackendHit:
    """A raw hit: the stored unit and the engine's relevance score (higher is better)."""

    doc: IndexDoc
    score: float


@dataclass(frozen=True)
class BackendHealth:
    """``ok`` and a short human-readable detail (document count, cluster status, or the error)."""

    ok: bool
    detail: str
    count: int = 0
