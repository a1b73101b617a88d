"""What the policy and interpretation pages show, as plain dicts for the templates."""

from __future__ import annotations

from typing import Any

from gateway.content.library import ContentLibrary
from knowledge_base.models import Article, Document, Interpretation
from knowledge_base.topics import TOPIC_LABELS

VALIDITY_CLASS = {"现行有效": "current", "已修订": "revised", "已失效": "expired"}


def validity_class(validity: str | None) -> str:
    return VALIDITY_CLASS.get(validity or "", "unknown")


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _article_view(unit: Article, anchor: str) -> dict[str, Any]:
    body = unit.text
    heading = unit.number or ""
    if unit.number and body.startswith(unit.number):
        body = body[len(unit.number) :].lstrip("\u3000 ：:")
    elif not unit.number and unit.heading and not body.startswith(unit.heading[:10]):
        heading = unit.heading
    return {"anchor": anchor, "heading": heading, "paragraphs": _paragraphs(body), "key": unit.key}


def _document_meta(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "doc_number": doc.doc_number,
        "issuer": doc.issuer,
        "date": doc.date,
        "effective": doc.effective,
        "validity": doc.validity,
        "validity_class": validity_class(doc.validity),
        "region": doc.region,
        "kind": doc.kind,
        "source": doc.source,
        "url": f"/policy/{doc.doc_id}",
    }


def policy_page(*, library: ContentLibrary, doc_id: str) -> dict[str, Any] | None:
    """The full text of a document (every article anchored), its status and replacement, and
    the interpretations that cite it (文件与解读同步). ``None`` for an unknown id."""
    doc = library.document(doc_id)
    if doc is None:
        return None
    chapters: list[dict[str, Any]] = []
    for unit, anchor in library.articles_of(doc_id):
        path = " / ".join(unit.chapter_path)
        if not chapters or chapters[-1]["path"] != path:
            chapters.append({"path": path, "articles": []})
        chapters[-1]["articles"].append(_article_view(unit, anchor))
    replacement = library.replacement_of(doc)
    interpretations = []
    for entry in library.interpretations_citing(doc_id):
        cited = [
            {"key": link.key, "number": link.article.number, "url": f"#{link.anchor}"}
            for link in library.links_of(entry)
            if link.document.doc_id == doc_id
        ]
        interpretations.append(
            {
                "entry_id": entry.entry_id,
                "question": entry.question,
                "url": f"/interpretation/{entry.entry_id}",
                "cited": cited,
            }
        )
    return {
        "doc": _document_meta(doc),
        "chapters": chapters,
        "replaced_by": doc.replaced_by,
        "replacement": _document_meta(replacement) if replacement else None,
        "interpretations": interpretations,
    }


def interpretation_page(*, library: ContentLibrary, entry_id: str) -> dict[str, Any] | None:
    """A published interpretation with a link to every cited article. ``None`` when unknown or
    not published."""
    entry: Interpretation | None = library.interpretations.get(entry_id)
    if entry is None:
        return None
    cites: list[dict[str, Any]] = []
    for key in entry.cites:
        link = library.link(key)
        if link is None:
            cites.append({"key": key, "url": None, "document": None, "excerpt": None})
            continue
        article = _article_view(link.article, link.anchor)
        cites.append(
            {
                "key": key,
                "url": link.url,
                "document": _document_meta(link.document),
                "number": link.article.number,
                "excerpt": "".join(article["paragraphs"])[:160],
            }
        )
    return {
        "entry": {
            "entry_id": entry.entry_id,
            "question": entry.question,
            "paragraphs": _paragraphs(entry.answer),
            "topic": entry.topic,
            "topic_label": TOPIC_LABELS.get(entry.topic, entry.topic),
            "kind": "常见问题" if entry.kind == "faq" else "政策解读",
            "region": entry.region,
            "updated": entry.updated,
        },
        "cites": cites,
        "external_refs": [{"title": r.title, "doc_number": r.doc_number} for r in entry.external_refs],
    }
