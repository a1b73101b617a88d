"""The agents' policy search: the same index and ranking the bot uses, with explicit filters, and
for every hit a ready-made citation to insert into a reply, e.g.
「《劳动合同法》第四十七条：经济补偿按劳动者在本单位工作的年限……」（原文：https://…/policy/…#第四十七条）
(interpretations: 「政策解读《…》：……」（详见：…/interpretation/…）),
plus the contract-3 source object the citizen's page shows as a link."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from knowledge_base.keys import key_title
from knowledge_base.models import KINDS as DOC_KINDS
from knowledge_base.regions import KNOWN_REGIONS, normalize_region
from knowledge_base.topics import TOPIC_LABELS, TOPICS
from search.service import PolicySearch, RankedHit, SearchRequest, region_filter
from search.types import SOURCE_KINDS

SOURCE_KIND_LABELS = {"policy": "政策原文", "interpretation": "政策解读", "faq": "常见问答", "case": "典型案例"}
EXCERPT_CHARS = 80
MAX_RESULTS = 30
_LEADING_NUMBER = re.compile(r"^第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?[\s\u3000：:]*")
_MARK = re.compile(r"(<mark>.*?</mark>)")


@dataclass(frozen=True)
class ConsoleQuery:
    """What the console's search form sends (empty strings mean "any")."""

    text: str
    topic: str | None = None
    region: str | None = None
    include_expired: bool = False
    source_kind: str | None = None
    doc_kind: str | None = None
    size: int = 10


def filter_options() -> dict[str, Any]:
    """The choices of the search form's filters."""
    return {
        "topics": [{"value": t, "label": TOPIC_LABELS.get(t, t)} for t in TOPICS],
        "source_kinds": [{"value": k, "label": SOURCE_KIND_LABELS[k]} for k in SOURCE_KINDS],
        "doc_kinds": [k for k in DOC_KINDS],
        "regions": sorted(KNOWN_REGIONS, key=lambda r: (r != "全国", r)),
    }


def validate_query(query: ConsoleQuery) -> ConsoleQuery:
    """Normalise the filters; unknown values are refused (``ValueError`` with a Chinese text)."""
    text = query.text.strip()
    if not text:
        raise ValueError("请输入检索关键词。")
    if len(text) > 200:
        raise ValueError("检索关键词过长：请控制在200个字以内。")
    if query.topic and query.topic not in TOPICS:
        raise ValueError("未知的主题。")
    if query.source_kind and query.source_kind not in SOURCE_KINDS:
        raise ValueError("未知的类型。")
    if query.doc_kind and query.doc_kind not in DOC_KINDS:
        raise ValueError("未知的文件层级。")
    region = normalize_region(query.region) if query.region else None
    if query.region and region is None:
        raise ValueError("未知的地区。")
    return ConsoleQuery(
        text=text,
        topic=query.topic or None,
        region=region,
        include_expired=query.include_expired,
        source_kind=query.source_kind or None,
        doc_kind=query.doc_kind or None,
        size=max(1, min(query.size, MAX_RESULTS)),
    )


def _excerpt(text: str) -> str:
    body = _LEADING_NUMBER.sub("", " ".join(text.split()))
    return body if len(body) <= EXCERPT_CHARS else body[:EXCERPT_CHARS] + "……"


def _snippet_parts(hit: RankedHit) -> list[dict[str, Any]]:
    """The first highlight as plain-text pieces (``mark`` true for query words), so the page
    never inserts markup."""
    if not hit.highlights:
        return [{"text": _excerpt(hit.doc.text), "mark": False}]
    parts = []
    for piece in _MARK.split(hit.highlights[0]):
        if not piece:
            continue
        marked = piece.startswith("<mark>")
        raw = piece[len("<mark>") : -len("</mark>")] if marked else piece
        parts.append({"text": html.unescape(raw), "mark": marked})
    return parts


def _url(hit: RankedHit) -> str | None:
    url = hit.doc.extra.get("url")
    if not isinstance(url, str):
        return None
    if hit.doc.source_kind in ("policy", "case") and hit.doc.article and "#" not in url:
        url = f"{url}#{hit.doc.article}"
    return url


def citation(hit: RankedHit, *, base_url: str) -> dict[str, Any]:
    """The text inserted into the reply box and the contract-3 source attached to the reply."""
    doc, url = hit.doc, _url(hit)
    link = f"{base_url.rstrip('/')}{url}" if url else None
    if doc.source_kind in ("interpretation", "faq"):
        label = SOURCE_KIND_LABELS[doc.source_kind]
        quote = f"「{label}《{doc.title}》：{_excerpt(doc.text)}」"
    else:
        where = doc.article or (f"「{doc.heading}」" if doc.heading else "")
        quote = f"「《{key_title(doc.title)}》{where}：{_excerpt(doc.text)}」"
    label = "详见" if doc.source_kind in ("interpretation", "faq") else "原文"
    text = quote + (f"（{label}：{link}）" if link else "")
    source = {
        "kind": doc.source_kind,
        "title": doc.title,
        "article": doc.article if doc.source_kind in ("policy", "case") else None,
        "doc_number": doc.doc_number,
        "issuer": doc.issuer,
        "date": doc.date,
        "validity": doc.validity if doc.source_kind in ("policy", "case") else None,
        "region": doc.region,
        "url": url,
    }
    return {"text": text, "source": source}


def console_search(search: PolicySearch, *, query: ConsoleQuery, base_url: str) -> list[dict[str, Any]]:
    """Ranked hits for the console. The topic filter applies to interpretations and FAQ (official
    texts carry no topic and stay in the results); the region filter keeps national texts and
    those of the region and its province; expired and revised texts only when asked for (the
    bot's search also returns an expired text whose title the question names — the console's
    checkbox is strict)."""
    request = SearchRequest(
        text=query.text,
        topic=query.topic,
        region=query.region,
        include_expired=query.include_expired,
        source_kinds=(query.source_kind,) if query.source_kind else (),
        doc_kinds=(query.doc_kind,) if query.doc_kind else (),
        regions=region_filter(query.region) if query.region else (),
        size=query.size * 3 if query.topic else query.size,
    )
    hits = [
        h
        for h in search.search(request).hits
        if (not query.topic or h.doc.topic in (None, query.topic))
        and (query.include_expired or h.doc.validity == "现行有效")  # strict, even for a named expired text
    ]
    results = []
    for hit in hits[: query.size]:
        doc = hit.doc
        results.append(
            {
                "uid": doc.uid,
                "source_kind": doc.source_kind,
                "source_kind_label": SOURCE_KIND_LABELS.get(doc.source_kind, doc.source_kind),
                "title": doc.title,
                "article": doc.article,
                "heading": doc.heading,
                "doc_number": doc.doc_number,
                "issuer": doc.issuer,
                "date": doc.date,
                "validity": doc.validity,
                "region": doc.region,
                "doc_kind": doc.doc_kind,
                "topic": doc.topic,
                "topic_label": TOPIC_LABELS.get(doc.topic or "", None),
                "url": _url(hit),
                "snippet": _snippet_parts(hit),
                "citation": citation(hit, base_url=base_url),
            }
        )
    return results
