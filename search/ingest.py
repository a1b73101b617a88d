"""Turn the knowledge base (or the national corpus) into pre-analyzed :class:`IndexDoc` units."""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Iterator
from pathlib import Path

from knowledge_base.interpretations import load_interpretations
from knowledge_base.models import Article, Document, Interpretation
from knowledge_base.policies import PolicyLibrary, import_policies
from knowledge_base.settings import KnowledgeBaseSettings
from search.analyzer import Analyzer
from search.types import IndexDoc

# Code whose change changes what is indexed (``make run`` then rebuilds).
SEARCH_CODE_FILES = ("analyzer.py", "ingest.py", "backends/scoring.py", "backends/serialization.py", "backends/es_mapping.json")


def policy_url(doc_id: str) -> str:
    """The gateway's own page for a policy's full text and its interpretations."""
    return f"/policy/{doc_id}"


def interpretation_uid(entry_id: str) -> str:
    return f"interp:{entry_id}"


def article_doc(doc: Document, article: Article, analyzer: Analyzer) -> IndexDoc:
    """An official article/section as an index unit, carrying its document's metadata."""
    context = " ".join((doc.short_title, *article.chapter_path, "" if article.number else article.heading))
    return IndexDoc(
        uid=article.unit_id,
        source_kind="case" if doc.kind == "典型案例" else "policy",
        title=doc.title,
        text=article.text,
        title_tokens=analyzer.index_field(context),
        body_tokens=analyzer.index_field(article.text),
        article=article.number,
        article_keys=(article.key,) if article.key else (),
        policy_doc_id=doc.doc_id,
        doc_number=doc.doc_number,
        issuer=doc.issuer,
        date=doc.date,
        validity=doc.validity,
        region=doc.region,
        doc_kind=doc.kind,
        heading=article.heading,
        extra={"url": policy_url(doc.doc_id), "replaced_by": doc.replaced_by, "chapter": list(article.chapter_path)},
    )


def interpretation_doc(entry: Interpretation, analyzer: Analyzer, key_to_uid: dict[str, str] | None = None) -> IndexDoc:
    """A curated entry as an index unit: its question and phrasings are matched most strongly."""
    return IndexDoc(
        uid=interpretation_uid(entry.entry_id),
        source_kind="faq" if entry.kind == "faq" else "interpretation",
        title=entry.question,
        text=entry.answer,
        title_tokens=analyzer.index_field(entry.question),
        body_tokens=analyzer.index_field(entry.answer),
        phrasing_tokens=analyzer.index_field("\n".join((entry.question, *entry.phrasings))),
        article_keys=entry.cites,
        region=entry.region,
        doc_kind="政策解读",
        topic=entry.topic,
        date=entry.updated,
        heading=entry.question,
        extra={
            "entry_id": entry.entry_id,
            "external_refs": [{"title": r.title, "doc_number": r.doc_number} for r in entry.external_refs],
            "original_in_library": entry.original_in_library,
            "status": entry.status,
            "url": f"/interpretation/{entry.entry_id}",
            "cited_uids": [(key_to_uid or {}).get(key) for key in entry.cites],
        },
    )


def kb_units(settings: KnowledgeBaseSettings, analyzer: Analyzer, library: PolicyLibrary | None = None) -> Iterator[IndexDoc]:
    """Every official unit and every approved interpretation (drafts are not published)."""
    library = library or import_policies(settings)
    for article in library.articles:
        yield article_doc(library.documents[article.doc_id], article, analyzer)
    key_to_uid = {article.key: article.unit_id for article in library.articles if article.key}
    for entry in load_interpretations(settings.interpretations_dir).entries:
        if entry.status == "approved":
            yield interpretation_doc(entry, analyzer, key_to_uid)


# The national corpus has no metadata beyond the title. Its place in the legal hierarchy is read
# from the title (the form every Chinese legal text's name takes) and used by the service as a mild
# prior: citizens' questions are mostly answered by the 民法典 and the laws, less often by
# departmental rules (see bench/RETRIEVAL.md).
AUTHORITY_CODE = "法典"
AUTHORITY_LAW = "法律"
AUTHORITY_JUDICIAL = "司法解释"
AUTHORITY_REGULATION = "行政法规"
AUTHORITY_OTHER = "规章及其他"
_QUOTED_TITLE = re.compile(r"《([^》]+)》")
_CN_PREFIX = "中华人民共和国"
_TRIAL = re.compile(r"[（(]试行[）)]")


def authority_of(title: str) -> str:
    """The rank of a national text in the legal hierarchy, from its title alone."""
    if title.endswith("法典"):
        return AUTHORITY_CODE
    if title.startswith(("最高人民法院", "最高人民检察院")):
        return AUTHORITY_JUDICIAL
    if title.endswith("法"):
        return AUTHORITY_LAW
    if title.endswith("条例"):
        return AUTHORITY_REGULATION
    return AUTHORITY_OTHER


def _quoted_titles(text: str) -> list[str]:
    return [name.removeprefix(_CN_PREFIX) for name in _QUOTED_TITLE.findall(text)]


def lapsed_titles(rows: list[dict[str, str]]) -> set[str]:
    """Titles of the corpus that are no longer in force, by two rules read from the corpus itself.

    1. Texts that interpret or implement a repealed law (关于适用《合同法》…的解释): a law is repealed
       when some article says so (民法典第一千二百六十条: 《中华人民共和国合同法》…同时废止) and no text of that
       title is left in the corpus; the texts that exist only to apply it lapse with it.
    2. A trial version (…（试行）) beside the final text of the same title.
    They are indexed as 已失效, so they are never presented as current.
    """
    titles = {row["law"] for row in rows}
    repealed: set[str] = set()
    for row in rows:
        if "废止" not in row["text"]:
            continue
        for sentence in re.split(r"[。；;]", row["text"]):
            if "废止" in sentence:
                repealed.update(name for name in _quoted_titles(sentence) if name not in titles)
    lapsed = {title for title in titles if any(name in repealed for name in _quoted_titles(title))}
    lapsed |= {title for title in titles if _TRIAL.search(title) and _TRIAL.sub("", title) in titles}
    return lapsed


# What forked analysis workers inherit from the parent (set just before the pool forks).
_FORKED: tuple[Analyzer, frozenset[str]] | None = None
ANALYSIS_CHUNK = 256


def national_units(settings: KnowledgeBaseSettings, analyzer: Analyzer, *, workers: int | None = None) -> Iterator[IndexDoc]:
    """The 58,649-article national corpus (``corpus/national_articles.jsonl.gz``), in file order.

    jieba analysis is most of the cost of indexing this corpus (about 30 s on one core), so it
    runs in ``workers`` forked processes (default: one per core) that inherit the loaded
    analyzer; ``workers=1`` analyses in this process."""
    global _FORKED
    with gzip.open(settings.corpus_file, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    lapsed = frozenset(lapsed_titles(rows))
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for row in rows:
            yield _national_doc(row, analyzer, lapsed)
        return
    analyzer.tokens("预热")  # load the dictionary once, before forking, so workers inherit it
    _FORKED = (analyzer, lapsed)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_forked_national_doc, rows, chunksize=ANALYSIS_CHUNK)
    finally:
        _FORKED = None


def _forked_national_doc(row: dict[str, str]) -> IndexDoc:
    assert _FORKED is not None, "analysis worker started without the parent's analyzer"
    return _national_doc(row, *_FORKED)


def _national_doc(row: dict[str, str], analyzer: Analyzer, lapsed: frozenset[str]) -> IndexDoc:
    return IndexDoc(
        uid=row["id"],
        source_kind="policy",
        title=row["law"],
        text=row["text"],
        title_tokens=analyzer.index_field(row["law"]),
        body_tokens=analyzer.index_field(row["text"]),
        article=row["article"],
        article_keys=(row["id"],),
        validity="已失效" if row["law"] in lapsed else "现行有效",
        extra={"authority": authority_of(row["law"])},
    )


def content_hash(settings: KnowledgeBaseSettings, corpus: str) -> str:
    """Hash of everything an index is built from: sources, knowledge base files, analyzer code.

    ``make run`` rebuilds the index only when this changes.
    """
    digest = hashlib.sha256(corpus.encode())
    paths: list[Path] = []
    if corpus == "kb":
        paths += sorted(p for p in settings.policies_dir.rglob("*") if p.is_file())
        paths += sorted(p for p in settings.seed_dir.rglob("*") if p.is_file())
    else:
        paths.append(settings.corpus_file)
    paths += sorted(p for p in settings.kb_dir.rglob("*") if p.is_file() and p.suffix in (".yml", ".txt", ".py"))
    here = Path(__file__).resolve().parent
    paths += [here / name for name in SEARCH_CODE_FILES]
    for path in paths:
        stat = path.stat()
        digest.update(str(path).encode())
        if stat.st_size > 5_000_000:
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()
