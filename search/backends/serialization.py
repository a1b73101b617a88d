"""IndexDoc ⇄ JSON, shared by the backends that store the unit as a document."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from search.types import IndexDoc


def doc_to_dict(doc: IndexDoc) -> dict[str, Any]:
    """Plain dict of every field (tuples become lists)."""
    data = dataclasses.asdict(doc)
    data["article_keys"] = list(doc.article_keys)
    return data


def doc_from_dict(data: dict[str, Any]) -> IndexDoc:
    """Rebuild an IndexDoc, ignoring engine-added fields."""
    names = {f.name for f in dataclasses.fields(IndexDoc)}
    values = {k: v for k, v in data.items() if k in names}
    values["article_keys"] = tuple(values.get("article_keys") or ())
    values["extra"] = dict(values.get("extra") or {})
    return IndexDoc(**values)


def doc_to_json(doc: IndexDoc) -> str:
    return json.dumps(doc_to_dict(doc), ensure_ascii=False)


def doc_from_json(text: str) -> IndexDoc:
    return doc_from_dict(json.loads(text))
