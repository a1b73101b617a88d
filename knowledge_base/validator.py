"""Validate the whole knowledge base: official-text metadata, interpretations, dictionary, synonyms.

Every problem names the file, the line and what is wrong. ``make kb-check`` runs
``python -m knowledge_base.check``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from knowledge_base.interpretations import ID_PATTERN, LoadResult, Problem, load_interpretations
from knowledge_base.keys import split_key
from knowledge_base.models import Interpretation
from knowledge_base.numerals import answer_numbers, extract_numbers
from knowledge_base.policies import PolicyImportError, PolicyLibrary, import_policies
from knowledge_base.regions import KNOWN_REGIONS, NATIONAL, applies_to
from knowledge_base.settings import KnowledgeBaseSettings
from knowledge_base.synonyms import SynonymError, load_synonyms
from knowledge_base.topics import TOPICS

KINDS = ("interpretation", "faq")
STATUSES = ("draft", "approved")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DICT_LINE = re.compile(r"^\S+(?: \d+)?(?: [a-zA-Z]+)?$")


@dataclass
class Report:
    """Counts and problems of one validation run."""

    documents: int = 0
    articles: int = 0
    interpretations: int = 0
    per_topic: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "articles": self.articles,
            "interpretations": self.interpretations,
            "per_topic": self.per_topic,
            "errors": len(self.problems),
        }


def _valid_date(value: str) -> bool:
    if not ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_entry(entry: Interpretation, library: PolicyLibrary, keys: dict[str, object]) -> list[Problem]:
    """All problems of one interpretation against the official texts."""
    problems: list[Problem] = []

    def add(message: str) -> None:
        problems.append(Problem(entry.file, entry.line, f"entry {entry.entry_id}: {message}"))

    if not ID_PATTERN.match(entry.entry_id):
        add("id must be lowercase ascii letters, digits and '-'")
    if entry.topic not in TOPICS:
        add(f"unknown topic '{entry.topic}' (see contracts/topics.yml)")
    if entry.kind not in KINDS:
        add(f"kind must be one of {', '.join(KINDS)}, not '{entry.kind}'")
    if entry.status not in STATUSES:
        add(f"status must be draft or approved, not '{entry.status}'")
    if entry.source_type != "curated":
        add("source_type must be 'curated' (interpretations are ours, not official)")
    for name in ("created", "updated"):
        value = getattr(entry, name)
        if not _valid_date(value):
            add(f"bad date in {name}: '{value}' (expected YYYY-MM-DD)")
    if entry.region not in KNOWN_REGIONS:
        add(f"unknown region '{entry.region}'")
    if not entry.question:
        add("question is empty")
    if not entry.answer:
        add("answer is empty")
    if len(entry.phrasings) < 2:
        add("needs at least 2 alternate phrasings")
    if not entry.cites and not entry.external_refs and entry.topic != "other_department" and entry.kind != "faq":
        add("an interpretation must cite article keys or name its governing documents in external_refs")
    cited_text: list[str] = []
    for key in entry.cites:
        article = keys.get(key)
        if article is None:
            hint = "" if split_key(key) else " (not of the form <title>第X条)"
            add(f"unknown article key '{key}'{hint}")
            continue
        doc = library.documents[article.doc_id]  # type: ignore[attr-defined]
        cited_text.append(article.text)  # type: ignore[attr-defined]
        if not doc.is_current:
            add(f"cites '{key}' of an expired text ({doc.validity}) as current")
        if doc.region != NATIONAL and not applies_to(doc.region, entry.region):
            add(f"cites '{key}' of {doc.region} but the entry's region is {entry.region}")
    if len(set(entry.cites)) != len(entry.cites):
        add("cites the same article twice")
    stated = answer_numbers(entry.answer)
    if stated:
        available: set[str] = set()
        for text in cited_text:
            available |= extract_numbers(text)
        missing = sorted(stated - available, key=lambda n: float(n))
        if missing and not entry.cites:
            add(f"states numbers {', '.join(missing)} but cites no article that could back them")
        elif missing:
            add(f"number(s) {', '.join(missing)} not found in the cited article text")
    return problems


def check_dictionary(directory: Path) -> list[Problem]:
    """Every file in the jieba dictionary folder must be a jieba user dictionary."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return [Problem(str(directory), 0, "dictionary folder missing")]
    seen: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        name = f"dictionary/{path.name}"
        if not path.is_file() or path.suffix != ".txt":
            problems.append(Problem(name, 0, "only jieba user-dictionary .txt files may live here (Rasa loads them all)"))
            continue
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line:
                problems.append(Problem(name, number, "blank line"))
                continue
            if not _DICT_LINE.match(line):
                problems.append(Problem(name, number, f"not 'word [freq] [pos]': '{line}'"))
                continue
            word = line.split()[0]
            if word in seen:
                problems.append(Problem(name, number, f"duplicate word '{word}' (first in {seen[word]})"))
            seen.setdefault(word, f"{name}:{number}")
    return problems


def validate(settings: KnowledgeBaseSettings) -> Report:
    """Validate everything; never raises for content problems (they are reported)."""
    report = Report()
    try:
        library = import_policies(settings)
    except PolicyImportError as exc:
        report.problems.append(Problem(exc.file, exc.line, exc.message))
        return report
    report.documents = len(library.documents)
    report.articles = len(library.articles)
    keys: dict[str, object] = dict(library.by_key())
    loaded: LoadResult = load_interpretations(settings.interpretations_dir)
    report.problems.extend(loaded.problems)
    ids = Counter(e.entry_id for e in loaded.entries)
    first_line: dict[str, str] = {}
    for entry in loaded.entries:
        if ids[entry.entry_id] > 1 and entry.entry_id in first_line:
            report.problems.append(Problem(entry.file, entry.line, f"duplicate id '{entry.entry_id}' (first at {first_line[entry.entry_id]})"))
        first_line.setdefault(entry.entry_id, f"{entry.file}:{entry.line}")
        report.problems.extend(check_entry(entry, library, keys))
    report.interpretations = len(loaded.entries)
    report.per_topic = {t: sum(1 for e in loaded.entries if e.topic == t) for t in TOPICS}
    report.problems.extend(check_dictionary(settings.dictionary_dir))
    try:
        load_synonyms(settings.synonyms_file)
    except SynonymError as exc:
        report.problems.append(Problem(exc.file, exc.line, exc.message))
    return report
