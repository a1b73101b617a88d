"""Policy search: analyze once, ask the backend for candidates, re-rank for citizens.

Ranking (justified by ``make eval-retrieval`` numbers in bench/README.md):
1. the engine's bm25 over the citizen's tokens (+ a down-weighted bm25 over synonym expansions);
2. curated interpretations are boosted: they were written in citizens' words and point at the
   articles that answer, so an interpretation hit counts through its cited articles;
3. texts that apply to the citizen's region rank before other regions' local texts;
4. current texts only, unless expired ones are explicitly requested (then below current ones);
5. the topic the bot recognised lifts interpretations of that topic.
``explain=True`` records every factor for each hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from knowledge_base.keys import key_title, normalize_key
from knowledge_base.regions import NATIONAL, applies_to, normalize_region, province_of
from search.analyzer import AnalyzedQuery, Analyzer
from search.backends.base import SearchBackend
from search.highlight import highlight
from search.types import BackendHit, BackendQuery, Filters, IndexDoc

INTERPRETATION_BOOST = 1.6
TOPIC_MATCH_BOOST = 1.25
TOPIC_MISMATCH_FACTOR = 0.8
OTHER_REGION_FACTOR = 0.55
EXPIRED_FACTOR = 0.5
CANDIDATE_POOL = 60


@dataclass(frozen=True)
class SearchRequest:
    """What a citizen, an agent or the evaluation asks for."""

    text: str
    topic: str | None = None
    region: str | None = None
    include_expired: bool = False
    source_kinds: tuple[str, ...] = ()
    doc_kinds: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    size: int = 10
    explain: bool = False
    highlight: bool = True


@dataclass
class RankedHit:
    """A re-ranked hit with the factors that placed it (``explain``) and highlights."""

    doc: IndexDoc
    score: float
    engine_score: float
    factors: list[str] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    query: AnalyzedQuery
    hits: list[RankedHit]


class PolicySearch:
    """The search service used by the bot's actions, the agent console and the evaluation."""

    def __init__(self, backend: SearchBackend, analyzer: Analyzer) -> None:
        self.backend = backend
        self.analyzer = analyzer

    def search(self, request: SearchRequest) -> SearchResult:
        """Ranked hits for ``request``; an empty or unmatchable question gives no hits."""
        analyzed = self.analyzer.analyze_query(request.text)
        if not analyzed.tokens and not analyzed.expansions:
            return SearchResult(analyzed, [])
        validities = ("现行有效", "已修订", "已失效") if request.include_expired else ("现行有效",)
        filters = Filters(
            source_kinds=request.source_kinds,
            topics=request.topics,
            regions=request.regions,
            validities=validities,
            doc_kinds=request.doc_kinds,
        )
        pool = max(CANDIDATE_POOL, request.size * 2)
        raw = self.backend.search(BackendQuery(analyzed.tokens, analyzed.expansions, filters, pool))
        named = [] if request.include_expired else self._named_expired(request.text, analyzed, filters)
        region = normalize_region(request.region)
        ranked = [self._rerank(hit.doc, hit.score, request, region) for hit in raw]
        for named_hit in named:
            factors = [f"{named_hit.doc.validity}, named by the citizen"] if request.explain else []
            ranked.append(RankedHit(named_hit.doc, named_hit.score, named_hit.score, factors))
        ranked.sort(key=lambda h: (-h.score, h.doc.uid))
        ranked = ranked[: request.size]
        if request.highlight:
            words = list(analyzed.tokens) + list(analyzed.expansions)
            for hit in ranked:
                hit.highlights = highlight(hit.doc.text, words)
        return SearchResult(analyzed, ranked)

    def _named_expired(self, text: str, analyzed: AnalyzedQuery, filters: Filters) -> list[BackendHit]:
        """Expired texts the citizen names explicitly (their title appears in the question).

        They are searchable on explicit request only; the reply must then say they have expired
        and what replaced them (see actions.replies)."""
        expired_filters = replace(filters, validities=("已失效", "已修订"))
        hits = self.backend.search(BackendQuery(analyzed.tokens, analyzed.expansions, expired_filters, 5))
        compact = re.sub(r"\s+", "", text)
        return [hit for hit in hits if key_title(hit.doc.title) and key_title(hit.doc.title) in compact]

    def _rerank(self, doc: IndexDoc, engine_score: float, request: SearchRequest, region: str | None) -> RankedHit:
        score = engine_score
        factors = [f"bm25={engine_score:.3f}"]
        if doc.source_kind in ("interpretation", "faq"):
            score *= INTERPRETATION_BOOST
            factors.append(f"interpretation×{INTERPRETATION_BOOST}")
        if request.topic and doc.topic:
            factor = TOPIC_MATCH_BOOST if doc.topic == request.topic else TOPIC_MISMATCH_FACTOR
            score *= factor
            factors.append(f"topic {'match' if factor > 1 else 'mismatch'}×{factor}")
        if doc.region != NATIONAL and not applies_to(doc.region, region):
            score *= OTHER_REGION_FACTOR
            factors.append(f"region {doc.region}≠{region or '未知'}×{OTHER_REGION_FACTOR}")
        elif doc.region != NATIONAL:
            factors.append(f"region {doc.region} applies to {region}")
        if doc.validity != "现行有效":
            score *= EXPIRED_FACTOR
            factors.append(f"{doc.validity}×{EXPIRED_FACTOR}")
        return RankedHit(doc, score, engine_score, factors if request.explain else [])

    def ranked_article_keys(self, request: SearchRequest) -> list[str]:
        """Distinct article keys in rank order (contract 4): an interpretation contributes its
        cited articles, in citation order, at its rank; later repeats are dropped."""
        keys: list[str] = []
        seen: set[str] = set()
        for hit in self.search(replace(request, highlight=False)).hits:
            for key in hit.doc.article_keys:
                norm = normalize_key(key)
                if norm not in seen:
                    seen.add(norm)
                    keys.append(norm)
        return keys


def region_filter(region: str | None) -> tuple[str, ...]:
    """Regions whose texts apply to a citizen of ``region`` (for strict filtering by agents)."""
    region = normalize_region(region)
    if not region:
        return (NATIONAL,)
    return tuple(dict.fromkeys((NATIONAL, province_of(region), region)))
