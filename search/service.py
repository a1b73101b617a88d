"""Policy search: analyze once, ask the backend for candidates, re-rank for citizens.

Ranking (justified by ``make eval-retrieval`` numbers in bench/README.md):
1. the engine's bm25 over the citizen's tokens (+ a down-weighted bm25 over synonym expansions);
2. curated interpretations are boosted: they were written in citizens' words and point at the
   articles that answer, so an interpretation hit counts through its cited articles;
3. texts that apply to the citizen's region rank before other regions' local texts;
4. current texts only, unless expired ones are explicitly requested (then below current ones);
5. the topic the bot recognised lifts interpretations of that topic;
6. texts that contain the question's adjacent word pairs as written rank higher;
7. national texts are weighed by their rank in the legal hierarchy (法典 > 法律 > … > 规章).
``explain=True`` records every factor for each hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from knowledge_base.keys import key_title, normalize_key
from knowledge_base.regions import NATIONAL, applies_to, normalize_region, province_of
from search.analyzer import AnalyzedQuery, Analyzer
from search.backends.base import SearchBackend
from search.highlight import highlight, word_pattern
from search.types import BackendHit, BackendQuery, Filters, IndexDoc

INTERPRETATION_BOOST = 1.6
TOPIC_MATCH_BOOST = 1.25
TOPIC_MISMATCH_FACTOR = 0.8
OTHER_REGION_FACTOR = 0.55
EXPIRED_FACTOR = 0.5
CANDIDATE_POOL = 60
# Candidates fetched beyond the requested size, for the re-ranking to promote from below.
RERANK_MARGIN = 30
# National texts carry their rank in the legal hierarchy (search.ingest.authority_of). Citizens'
# questions are mostly answered by the 民法典 and the laws, so these lift them over departmental
# rules that merely repeat the same words (bench/RETRIEVAL.md: +0.04 recall@10 on the general
# legal questions). Units without the mark (the knowledge base's own texts) are left as they are.
# A text that contains the question's adjacent word pairs as written (保管合同, 高空抛物) is
# lifted by up to this share, in proportion to the pairs it contains (bench/RETRIEVAL.md).
PHRASE_BOOST = 0.5
AUTHORITY_FACTORS = {"法典": 1.45, "法律": 1.2, "司法解释": 1.0, "行政法规": 0.9, "规章及其他": 0.8}


# How a named text's title ends (…条例, …办法, …法); matches that are common words or phrases
# (合法, 违法, 方法, 什么办法, 法律规定 …) name no text.
_TITLE_ENDING = re.compile(r"《|[\u4e00-\u9fff]{2}(?:条例|细则|法典|办法|规定|规则|解释|决定)|[\u4e00-\u9fff]法")
_NOT_A_TITLE = frozenset(
    "合法 违法 非法 犯法 守法 执法 司法 立法 方法 办法 说法 想法 做法 看法 依法 用法 手法 算法 无法 设法 玩法 "
    "打法 写法 疗法 魔法 不法 正法 王法 什么办法 没有办法 想想办法 有何规定 法律规定 什么规定 相关规定 有关规定 "
    "国家规定 如何规定 怎么规定 如何解释 怎么解释 合理解释".split()
)


def may_name_a_title(text: str) -> bool:
    """Whether ``text`` could contain a legal text's title (a cheap test before a title lookup)."""
    return any(match.group(0) not in _NOT_A_TITLE for match in _TITLE_ENDING.finditer(text))


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

    def warm(self) -> int:
        """Load the analyzer's dictionary and read the index ahead (see ``SearchBackend.warm``),
        so the first citizen does not wait for it; returns the units read."""
        self.analyzer.analyze_query("预热")
        return self.backend.warm()

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
        pool = max(CANDIDATE_POOL, request.size + RERANK_MARGIN)
        raw = self.backend.search(BackendQuery(analyzed.tokens, analyzed.expansions, filters, pool))
        named = [] if request.include_expired else self._named_expired(request.text, analyzed, filters)
        region = normalize_region(request.region)
        ranked = [self._rerank(hit.doc, hit.score, request, region, analyzed.phrases) for hit in raw]
        for named_hit in named:
            factors = [f"{named_hit.doc.validity}, named by the citizen"] if request.explain else []
            ranked.append(RankedHit(named_hit.doc, named_hit.score, named_hit.score, factors))
        ranked.sort(key=lambda h: (-h.score, h.doc.uid))
        ranked = ranked[: request.size]
        if request.highlight:
            pattern = word_pattern(list(analyzed.tokens) + list(analyzed.expansions))
            for hit in ranked:
                hit.highlights = highlight(hit.doc.text, pattern)
        return SearchResult(analyzed, ranked)

    def _named_expired(self, text: str, analyzed: AnalyzedQuery, filters: Filters) -> list[BackendHit]:
        """Expired texts the citizen names explicitly (their title appears in the question).

        They are searchable on explicit request only; the reply must then say they have expired
        and what replaced them (see actions.replies). A question that names no title at all
        (no 《》, no word ending like 劳动法/…条例/…办法) is not looked up: that second search costs
        as much as the first."""
        if not may_name_a_title(text):
            return []
        expired_filters = replace(filters, validities=("已失效", "已修订"))
        hits = self.backend.search(BackendQuery(analyzed.tokens, analyzed.expansions, expired_filters, 5))
        compact = re.sub(r"\s+", "", text)
        return [hit for hit in hits if key_title(hit.doc.title) and key_title(hit.doc.title) in compact]

    def _rerank(
        self, doc: IndexDoc, engine_score: float, request: SearchRequest, region: str | None, phrases: tuple[str, ...] = ()
    ) -> RankedHit:
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
        if phrases:
            found = sum(1 for phrase in phrases if phrase in doc.text)
            if found:
                factor = 1 + PHRASE_BOOST * found / len(phrases)
                score *= factor
                factors.append(f"phrases {found}/{len(phrases)}×{factor:.2f}")
        authority = AUTHORITY_FACTORS.get(str(doc.extra.get("authority", "")))
        if authority is not None and authority != 1.0:
            score *= authority
            factors.append(f"{doc.extra['authority']}×{authority}")
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
