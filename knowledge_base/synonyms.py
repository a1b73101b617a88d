"""Synonym groups (``knowledge_base/synonyms.txt``): ``canonical => variant, variant``.

One source feeds the search analyzer's query expansion; the same file is the reference for the
bot's entity synonyms.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SynonymError(ValueError):
    """A malformed synonyms file, with file and line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


@dataclass(frozen=True)
class SynonymGroup:
    canonical: str
    variants: tuple[str, ...]


def parse_synonyms(text: str, *, name: str = "synonyms.txt") -> list[SynonymGroup]:
    """Parse the synonyms format; a variant may belong to one group only."""
    groups: list[SynonymGroup] = []
    owner: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=>" not in line:
            raise SynonymError(name, number, "expected 'canonical => variant, variant'")
        left, _, right = line.partition("=>")
        canonical = left.strip()
        variants = tuple(v.strip() for v in right.replace("，", ",").split(",") if v.strip())
        if not canonical or not variants:
            raise SynonymError(name, number, "empty canonical term or variant list")
        for variant in variants:
            if variant in owner:
                raise SynonymError(name, number, f"variant '{variant}' already belongs to the group on line {owner[variant]}")
            owner[variant] = number
        groups.append(SynonymGroup(canonical, variants))
    return groups


def load_synonyms(path: Path) -> list[SynonymGroup]:
    """Read the synonyms file; a missing file is an error (search quality depends on it)."""
    if not path.exists():
        raise SynonymError(path.name, 0, "synonyms file missing")
    return parse_synonyms(path.read_text(encoding="utf-8"), name=path.name)
