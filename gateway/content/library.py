"""Load the official texts and curated interpretations once and index them for the pages.

``/policy/{doc_id}`` shows a document with an anchor per article (``#第三十九条``) and the
interpretations that cite it; ``/interpretation/{entry_id}`` links each cited article key to its
anchor. Only approved interpretations are published (drafts are staff-only).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from knowledge_base.interpretations import load_interpretations
from knowledge_base.keys import key_title, normalize_key
from knowledge_base.models import Article, Document, Interpretation
from knowledge_base.policies import import_policies
from knowledge_base.settings import KnowledgeBaseSettings

log = logging.getLogger(__name__)

PUBLISHED = "approved"


@dataclass(frozen=True)
class ArticleLink:
    """Where an article key points to: the document, the unit and its anchor."""

    key: str
    document: Document
    article: Article
    anchor: str

    @property
    def url(self) -> str:
        return f"/policy/{self.document.doc_id}#{self.anchor}"


@dataclass
class ContentLibrary:
    """Read-only lookups over the policy library (built by :meth:`load`)."""

    documents: dict[str, Document] = field(default_factory=dict)
    units: dict[str, list[Article]] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)
    keys: dict[str, ArticleLink] = field(default_factory=dict)
    interpretations: dict[str, Interpretation] = field(default_factory=dict)
    cited_by: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: KnowledgeBaseSettings) -> ContentLibrary:
        """Import the official texts and the interpretations (about 0.2 s)."""
        policies = import_policies(settings)
        loaded = load_interpretations(settings.interpretations_dir)
        if loaded.problems:
            log.warning("%d problem(s) in the interpretations; run make kb-check", len(loaded.problems))
        library = cls(documents=dict(policies.documents))
        for article in policies.articles:
            library.units.setdefault(article.doc_id, []).append(article)
        for doc_id, units in library.units.items():
            units.sort(key=lambda a: a.ordinal)
            used: set[str] = set()
            for unit in units:
                anchor = unit.number or f"s{unit.ordinal + 1}"
                base, n = anchor, 2
                while anchor in used:
                    anchor, n = f"{base}-{n}", n + 1
                used.add(anchor)
                library.anchors[unit.unit_id] = anchor
                if unit.key:
                    link = ArticleLink(unit.key, library.documents[doc_id], unit, anchor)
                    library.keys.setdefault(normalize_key(unit.key), link)
        for doc in library.documents.values():
            library.titles.setdefault(key_title(doc.title), doc.doc_id)
        for entry in loaded.entries:
            if entry.status != PUBLISHED:
                continue
            library.interpretations[entry.entry_id] = entry
            for doc_id in dict.fromkeys(link.document.doc_id for link in library.links_of(entry)):
                library.cited_by.setdefault(doc_id, []).append(entry.entry_id)
        return library

    def document(self, doc_id: str) -> Document | None:
        return self.documents.get(doc_id)

    def articles_of(self, doc_id: str) -> list[tuple[Article, str]]:
        """The document's units in order, each with its anchor."""
        return [(unit, self.anchors[unit.unit_id]) for unit in self.units.get(doc_id, [])]

    def link(self, key: str) -> ArticleLink | None:
        """The article an article key (contract 2) points to, if the library holds it."""
        return self.keys.get(normalize_key(key))

    def links_of(self, entry: Interpretation) -> list[ArticleLink]:
        return [link for link in (self.link(key) for key in entry.cites) if link is not None]

    def interpretations_citing(self, doc_id: str) -> list[Interpretation]:
        return [self.interpretations[i] for i in self.cited_by.get(doc_id, [])]

    def replacement_of(self, doc: Document) -> Document | None:
        """The document that replaced ``doc`` (by title), when the library holds it."""
        if not doc.replaced_by:
            return None
        doc_id = self.titles.get(key_title(doc.replaced_by))
        return self.documents.get(doc_id) if doc_id else None
