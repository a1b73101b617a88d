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


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(IndexDoc))


def doc_from_dict(data: dict[str, Any]) -> IndexDoc:
    """Rebuild an IndexDoc, ignoring engine-added fields."""
    values = {k: v for k, v in data.items() if k in _FIELD_NAMES}
    values.setdefault("title_tokens", "")  # left out of search hits by some backends
    values.setdefault("body_tokens", "")
    values["article_keys"] = tuple(values.get("article_keys") or ())
    values["extra"] = dict(values.get("extra") or {})
    return IndexDoc(**values)


def doc_to_json(doc: IndexDoc, *, without: tuple[str, ...] = ()) -> str:
    """JSON of the unit; ``without`` leaves out fields the engine keeps elsewhere (tokens)."""
    data = doc_to_dict(doc)
    for name in without:
        data.pop(name, None)
    return json.dumps(data, ensure_ascii=False)


def doc_from_json(text: str) -> IndexDoc:
    return doc_from_dict(json.loads(text))
