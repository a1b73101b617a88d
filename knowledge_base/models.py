"""Value objects of the knowledge base: documents, article units, interpretations."""

from __future__ import annotations

from dataclasses import dataclass, field

VALIDITIES = ("现行有效", "已修订", "已失效")
KINDS = ("法律", "行政法规", "部门规章", "规范性文件", "司法解释", "地方性法规", "典型案例")


@dataclass(frozen=True)
class Document:
    """One disclosed policy document (法律、法规、规章、规范性文件、司法解释、案例).

    ``date`` is the publication or latest revision date (ISO ``YYYY-MM-DD``) or ``None`` when
    unknown; unknown values are never invented.
    """

    doc_id: str
    title: str
    short_title: str
    doc_number: str | None
    issuer: str | None
    date: str | None
    effective: str | None
    expiry: str | None
    validity: str
    region: str
    kind: str
    tier: str
    source: str
    path: str
    structure: str
    replaced_by: str | None = None

    @property
    def is_current(self) -> bool:
        return self.validity == "现行有效"


@dataclass(frozen=True)
class Article:
    """A unit of a document: a numbered article (with a contract-2 key), a section, or the whole.

    ``key`` is ``None`` for units without numbered articles (cases, sectioned notices).
    """

    unit_id: str
    doc_id: str
    key: str | None
    number: str | None
    heading: str
    chapter_path: tuple[str, ...]
    text: str
    ordinal: int


@dataclass(frozen=True)
class ExternalRef:
    """A governing document that is not in the library (cited by title and 文号 only)."""

    title: str
    doc_number: str | None


@dataclass(frozen=True)
class Interpretation:
    """A curated interpretation or FAQ entry written by the project (``source_type: curated``)."""

    entry_id: str
    topic: str
    kind: str
    question: str
    phrasings: tuple[str, ...]
    answer: str
    cites: tuple[str, ...]
    external_refs: tuple[ExternalRef, ...]
    region: str
    status: str
    source_type: str
    created: str
    updated: str
    file: str = ""
    line: int = 0
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def original_in_library(self) -> bool:
        """False when the entry rests only on documents the library does not hold."""
        return bool(self.cites)
