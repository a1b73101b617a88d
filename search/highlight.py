"""Backend-independent highlights: HTML-escaped snippets with query words in ``<mark>``."""

from __future__ import annotations

import html
import re

SNIPPET_CHARS = 90


def word_pattern(words: list[str]) -> re.Pattern[str] | None:
    """One pattern for the query words, longest first (so 失业保险金 wins over 失业); None when no
    word is worth marking. Built once per search and used for every hit."""
    kept = sorted({w for w in words if len(w) >= 2 or re.match(r"[\u4e00-\u9fff]", w)}, key=len, reverse=True)
    if not kept:
        return None
    return re.compile("|".join(re.escape(w) for w in kept[:40]), re.IGNORECASE)


def highlight(text: str, words: list[str] | re.Pattern[str] | None, *, max_snippets: int = 2) -> list[str]:
    """Up to ``max_snippets`` snippets of ``text`` around the longest matched query words
    (``words`` as a list, or already compiled by :func:`word_pattern`)."""
    pattern = words if isinstance(words, re.Pattern) or words is None else word_pattern(words)
    if not text or pattern is None:
        return []
    snippets: list[str] = []
    covered_until = -1
    for match in pattern.finditer(text):
        if match.start() < covered_until:
            continue
        start = max(0, match.start() - SNIPPET_CHARS // 3)
        end = min(len(text), start + SNIPPET_CHARS)
        piece = text[start:end]
        marked = pattern.sub(lambda m: f"\x00{m.group(0)}\x01", piece)
        escaped = html.escape(marked).replace("\x00", "<mark>").replace("\x01", "</mark>")
        snippets.append(("…" if start > 0 else "") + escaped + ("…" if end < len(text) else ""))
        covered_until = end
        if len(snippets) >= max_snippets:
            break
    return snippets
