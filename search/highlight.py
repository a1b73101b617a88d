"""Backend-independent highlights: HTML-escaped snippets with query words in ``<mark>``."""

from __future__ import annotations

import html
import re

SNIPPET_CHARS = 90


def highlight(text: str, words: list[str], *, max_snippets: int = 2) -> list[str]:
    """Up to ``max_snippets`` snippets of ``text`` around the longest matched query words."""
    words = sorted({w for w in words if len(w) >= 2 or re.match(r"[\u4e00-\u9fff]", w)}, key=len, reverse=True)
    if not text or not words:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in words[:40]), re.IGNORECASE)
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
