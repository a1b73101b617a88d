"""Load the curated interpretations/FAQ (``knowledge_base/interpretations/*.yml``) with line numbers.

Loading only parses and records problems of shape; meaning (keys exist, numbers match) is checked
by :mod:`knowledge_base.validator` against the official texts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.models import ExternalRef, Interpretation

REQUIRED = ("id", "topic", "kind", "question", "phrasings", "answer", "cites", "external_refs", "region", "status", "source_type", "created", "updated")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is and what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class LoadResult:
    entries: list[Interpretation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _as_str(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()[:10]
    return "" if value is None else str(value).strip()


class _StringDateLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings, so a bad date is reported, not a crash."""


_StringDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _entry_lines(text: str) -> list[int]:
    node = yaml.compose(text, Loader=_StringDateLoader)
    if node is None or not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def load_file(path: Path, *, display: str | None = None) -> LoadResult:
    """Parse one YAML file of entries; malformed YAML or entries become problems, not exceptions."""
    name = display or path.name
    result = LoadResult()
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_StringDateLoader)  # noqa: S506 (a SafeLoader subclass)
        lines = _entry_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        result.problems.append(Problem(name, line, f"YAML syntax error: {getattr(exc, 'problem', exc)}"))
        return result
    if data is None:
        return result
    if not isinstance(data, list):
        result.problems.append(Problem(name, 1, "file must be a YAML list of entries"))
        return result
    for index, raw in enumerate(data):
        line = lines[index] if index < len(lines) else 0
        if not isinstance(raw, dict):
            result.problems.append(Problem(name, line, "entry must be a mapping"))
            continue
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            result.problems.append(Problem(name, line, f"entry {raw.get('id', index + 1)}: missing field(s) {', '.join(missing)}"))
            continue
        phrasings = raw.get("phrasings") or []
        cites = raw.get("cites") or []
        refs = raw.get("external_refs") or []
        if not isinstance(phrasings, list) or not isinstance(cites, list) or not isinstance(refs, list):
            result.problems.append(Problem(name, line, f"entry {raw['id']}: phrasings, cites and external_refs must be lists"))
            continue
        bad_refs = [r for r in refs if not isinstance(r, dict) or not r.get("title")]
        if bad_refs:
            result.problems.append(Problem(name, line, f"entry {raw['id']}: each external_ref needs a title"))
            continue
        extra = {k: v for k, v in raw.items() if k not in REQUIRED}
        result.entries.append(
            Interpretation(
                entry_id=_as_str(raw["id"]),
                topic=_as_str(raw["topic"]),
                kind=_as_str(raw["kind"]),
                question=_as_str(raw["question"]),
                phrasings=tuple(_as_str(p) for p in phrasings if _as_str(p)),
                answer=_as_str(raw["answer"]),
                cites=tuple(_as_str(c) for c in cites),
                external_refs=tuple(ExternalRef(_as_str(r["title"]), _as_str(r.get("doc_number")) or None) for r in refs),
                region=_as_str(raw["region"]),
                status=_as_str(raw["status"]),
                source_type=_as_str(raw["source_type"]),
                created=_as_str(raw["created"]),
                updated=_as_str(raw["updated"]),
                file=name,
                line=line,
                extra=extra,
            )
        )
    return result


def load_interpretations(directory: Path) -> LoadResult:
    """Load every ``*.yml`` file in ``directory`` in name order (deterministic)."""
    total = LoadResult()
    for path in sorted(directory.glob("*.yml")):
        part = load_file(path, display=f"{directory.name}/{path.name}")
        total.entries.extend(part.entries)
        total.problems.extend(part.problems)
    return total
