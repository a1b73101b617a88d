"""Import the official texts of ``$SHARED_DATA_DIR/policies`` and the seed document.

``MANIFEST.tsv`` gives the starting metadata, ``metadata_overrides.yml`` the reviewed corrections;
the result is the project's metadata of record.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.keys import key_title, make_key
from knowledge_base.models import KINDS, VALIDITIES, Article, Document
from knowledge_base.parsing import ParsedText, RawUnit, parse_markdown, parse_plaintext, split_sections
from knowledge_base.settings import KnowledgeBaseSettings

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OVERRIDABLE = ("title", "doc_number", "issuer", "date", "effective", "expiry", "validity", "region", "kind", "replaced_by")
SEED_FILE = "seed/shandong-hrss-2021-disclosure-work-points.txt"


class PolicyImportError(ValueError):
    """A problem in an official text or its metadata, with the file and line it comes from."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


@dataclass(frozen=True)
class PolicyLibrary:
    """All imported documents and their units, with lookups by id and article key."""

    documents: dict[str, Document]
    articles: list[Article]

    def by_key(self) -> dict[str, Article]:
        return {a.key: a for a in self.articles if a.key}

    def units_of(self, doc_id: str) -> list[Article]:
        return [a for a in self.articles if a.doc_id == doc_id]


def doc_id_for(path: str) -> str:
    """Stable document id derived from the source path (used in URLs: ``/policy/{doc_id}``)."""
    return "d" + hashlib.sha1(path.encode("utf-8")).hexdigest()[:11]


def _kind_for(path: str, doc_number: str, tier: str) -> str:
    if tier == "core-case" or "/案例/" in path:
        return "典型案例"
    if "/DLC/" in path:
        return "地方性法规"
    if "/司法解释/" in path:
        return "司法解释"
    if "/部门规章/" in path or "部令" in doc_number:
        return "部门规章"
    if "/行政法规/" in path:
        return "规范性文件" if "发〔" in doc_number else "行政法规"
    if path.startswith("gov/"):
        return "规范性文件"
    return "法律"


def _clean_issuer(issuer: str) -> str | None:
    issuer = re.sub(r"（(?:地方性法规|典型案例)）$", "", issuer.strip())
    return issuer or None


def load_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """Read ``metadata_overrides.yml``: file → fields to set. Unknown fields are an error."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    result: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or "file" not in entry or "set" not in entry:
            raise PolicyImportError(path.name, 0, f"entry {i + 1}: needs 'file', 'set' and 'reason'")
        if not entry.get("reason"):
            raise PolicyImportError(path.name, 0, f"override of {entry['file']} has no reason")
        unknown = set(entry["set"]) - set(OVERRIDABLE)
        if unknown:
            raise PolicyImportError(path.name, 0, f"override of {entry['file']}: unknown fields {sorted(unknown)}")
        result[entry["file"]] = dict(entry["set"])
    return result


def _check_date(value: str | None, file: str, field: str) -> str | None:
    if value in (None, ""):
        return None
    value = str(value)
    if not ISO_DATE.match(value):
        raise PolicyImportError(file, 1, f"{field} '{value}' is not an ISO date YYYY-MM-DD")
    return value


def _build_document(rel: str, row: dict[str, str], parsed: ParsedText, overrides: dict[str, Any]) -> Document:
    doc_number = row.get("doc_number", "") or parsed.header.get("文号", "")
    fields: dict[str, Any] = {
        "title": (row.get("title") or parsed.title).strip(),
        "doc_number": doc_number or None,
        "issuer": _clean_issuer(row.get("issuer", "") or parsed.header.get("发布机构", "")),
        "date": row.get("date") or None,
        "effective": row.get("effective") or None,
        "expiry": None,
        "validity": row.get("status") or "现行有效",
        "region": row.get("region") or "全国",
        "kind": _kind_for(rel, doc_number, row.get("tier", "")),
        "replaced_by": None,
    }
    fields.update(overrides)
    for name in ("date", "effective", "expiry"):
        fields[name] = _check_date(fields[name], rel, name)
    if fields["validity"] not in VALIDITIES:
        raise PolicyImportError(rel, 1, f"unknown validity '{fields['validity']}'")
    if fields["kind"] not in KINDS:
        raise PolicyImportError(rel, 1, f"unknown kind '{fields['kind']}'")
    return Document(
        doc_id=doc_id_for(rel),
        short_title=key_title(fields["title"]),
        tier=row.get("tier", ""),
        source=row.get("source", ""),
        path=rel,
        structure=row.get("structure", ""),
        **fields,
    )


def _units(doc: Document, parsed: ParsedText) -> list[Article]:
    articles: list[Article] = []
    for ordinal, unit in enumerate(parsed.units):
        title = unit.key_title or doc.title
        key = make_key(title, unit.number) if unit.number else None
        unit_id = f"{doc.doc_id}:{ordinal:04d}"
        articles.append(
            Article(
                unit_id=unit_id,
                doc_id=doc.doc_id,
                key=key,
                number=unit.number,
                heading=unit.heading,
                chapter_path=unit.chapter_path,
                text=unit.text,
                ordinal=ordinal,
            )
        )
    return articles


def _parse_seed(text: str) -> ParsedText:
    """The seed page still carries the website's navigation: keep the notice from its title on."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if "政务公开工作要点的通知" in ln), 0)
    end = next((i for i, ln in enumerate(lines) if i > start and ln.strip().startswith(("【打印", "关闭窗口", "相关链接"))), len(lines))
    body = [ln for ln in lines[start:end] if ln.strip()]
    return ParsedText(title="", header={}, preamble="", units=split_sections(body, "正文"))


def import_policies(settings: KnowledgeBaseSettings) -> PolicyLibrary:
    """Parse every file listed in ``MANIFEST.tsv`` plus the seed document.

    Deterministic: files are processed in manifest order and unit ids derive from paths.
    Raises :class:`PolicyImportError` naming the file and line of the first problem.
    """
    manifest = settings.policies_dir / "MANIFEST.tsv"
    if not manifest.exists():
        raise PolicyImportError(str(manifest), 0, "MANIFEST.tsv not found: is SHARED_DATA_DIR set correctly?")
    overrides = load_overrides(settings.overrides_file)
    documents: dict[str, Document] = {}
    articles: list[Article] = []
    with manifest.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for line_no, row in enumerate(rows, start=2):
        rel = row["file"]
        path = settings.policies_dir / rel
        if not path.exists():
            raise PolicyImportError("MANIFEST.tsv", line_no, f"listed file {rel} does not exist")
        text = path.read_text(encoding="utf-8")
        if rel.endswith(".md"):
            parsed = parse_markdown(text)
        else:
            parsed = parse_plaintext(text, attached="办法" in row.get("structure", "") and "attached" in row.get("structure", ""))
        doc = _build_document(rel, row, parsed, overrides.get(rel, {}))
        documents[doc.doc_id] = doc
        articles.extend(_units(doc, parsed))
    seed_path = settings.shared_data_dir / SEED_FILE
    if seed_path.exists():
        seed_row = {
            "title": "关于印发山东省人力资源和社会保障厅2021年政务公开工作要点的通知",
            "issuer": "山东省人力资源和社会保障厅办公室",
            "date": "2021-07-16",
            "status": "现行有效",
            "region": "山东省",
            "tier": "seed",
            "source": "山东省人力资源和社会保障厅网站 (seed/README.md)",
            "structure": "sections",
        }
        parsed = _parse_seed(seed_path.read_text(encoding="utf-8"))
        doc = _build_document(SEED_FILE, seed_row, parsed, overrides.get(SEED_FILE, {}))
        doc = replace(doc, kind="规范性文件")
        documents[doc.doc_id] = doc
        articles.extend(_units(doc, parsed))
    return PolicyLibrary(documents=documents, articles=articles)


__all__ = ["PolicyImportError", "PolicyLibrary", "RawUnit", "import_policies", "doc_id_for"]
