"""Group the questions staff review by similar wording, most frequent first.

Two questions fall into one group when their normalised texts are equal, or when their character
bigrams overlap enough (Dice ≥ :data:`SIMILARITY`, numbers and masked numbers ignored):
「辞职了能领失业金吗」, 「辞职了还能领失业金吗？」 and 「我身份证1****************X，辞职了能领失业金吗」
are one group, 「辞职了能领养老金吗」 is another — so a reviewer sees how often a need comes up
rather than a long list of near-duplicates. Greedy and deterministic: the most frequent (then
shortest) wordings seed the groups; a wording joins the group it is most similar to any member of.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from knowledge_base.topics import TOPIC_LABELS

SIMILARITY = 0.7
MAX_VARIANTS = 5
_NOT_WORD = re.compile(r"[^\w*]+", re.UNICODE)
_NUMBERS = re.compile(r"[0-9x*]{4,}")


@dataclass(frozen=True)
class ReviewItem:
    """One question to review: the bot could not answer it (``unanswered``) or the citizen said
    its answer did not help (``unhelpful``). ``question`` is always the masked text."""

    kind: str
    item_id: int
    question: str
    topic: str | None
    created_at: dt.datetime


def normalize(text: str) -> str:
    """Compare questions without case, width, spaces and punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower()).replace("_", "")


def _grams(text: str) -> frozenset[str]:
    text = _NUMBERS.sub("", text)
    if len(text) < 2:
        return frozenset({text}) if text else frozenset()
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def similarity(a: str, b: str) -> float:
    """Dice overlap of the normalised texts' character bigrams (0..1)."""
    return _dice(_grams(normalize(a)), _grams(normalize(b)))


def _dice(ga: frozenset[str], gb: frozenset[str]) -> float:
    if not ga or not gb:
        return 1.0 if ga == gb else 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


@dataclass
class _Cluster:
    grams: list[frozenset[str]]
    items: list[ReviewItem] = field(default_factory=list)


def group_items(items: list[ReviewItem], *, threshold: float = SIMILARITY) -> list[dict[str, Any]]:
    """Groups of similar questions, most frequent first (then most recent)."""
    exact: dict[str, list[ReviewItem]] = {}
    for item in items:
        exact.setdefault(normalize(item.question), []).append(item)
    seeds = sorted(exact.items(), key=lambda kv: (-len(kv[1]), len(kv[0]), kv[0]))
    clusters: list[_Cluster] = []
    for text, members in seeds:
        grams = _grams(text)
        best, best_score = None, 0.0
        for cluster in clusters:  # similar to any wording already in the group
            score = max(_dice(grams, other) for other in cluster.grams)
            if score > best_score:
                best, best_score = cluster, score
        if best is not None and best_score >= threshold:
            best.items.extend(members)
            best.grams.append(grams)
        else:
            clusters.append(_Cluster([grams], list(members)))
    groups = [_group_view(c.items) for c in clusters]
    groups.sort(key=lambda g: (g["count"], g["last_seen"]), reverse=True)
    return groups


def _group_view(items: list[ReviewItem]) -> dict[str, Any]:
    wordings = Counter(item.question.strip() for item in items)
    question = wordings.most_common(1)[0][0]
    topics = Counter(item.topic for item in items if item.topic)
    topic = topics.most_common(1)[0][0] if topics else None
    ordered = sorted(items, key=lambda i: i.created_at)
    return {
        "key": hashlib.sha1(normalize(question).encode("utf-8")).hexdigest()[:12],
        "question": question,
        "count": len(items),
        "unanswered_count": sum(1 for i in items if i.kind == "unanswered"),
        "unhelpful_count": sum(1 for i in items if i.kind == "unhelpful"),
        "topic": topic,
        "topic_label": TOPIC_LABELS.get(topic or "", None),
        "topics": [{"topic": t, "label": TOPIC_LABELS.get(t, t), "count": n} for t, n in topics.most_common()],
        "variants": [text for text, _ in wordings.most_common(MAX_VARIANTS)],
        "unanswered_ids": sorted(i.item_id for i in items if i.kind == "unanswered"),
        "feedback_ids": sorted(i.item_id for i in items if i.kind == "unhelpful"),
        "first_seen": ordered[0].created_at.isoformat(),
        "last_seen": ordered[-1].created_at.isoformat(),
    }
