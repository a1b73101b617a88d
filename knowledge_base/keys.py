"""Article keys (contract 2): ``<title without 中华人民共和国 and version suffix><第X条>``."""

from __future__ import annotations

import re

_VERSION_SUFFIX = re.compile(r"[（(]\s*(?:\d{4}[-年.]?\d{0,2}[-月.]?\d{0,2}日?|\d{4}年[^）)]*)[）)]\s*$")
ARTICLE_NUMBER = re.compile(r"第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?")
_PREFIX = "中华人民共和国"


def key_title(title: str) -> str:
    """Strip a leading 中华人民共和国 and a trailing version/date suffix such as ``(2018-12-29)``.

    ``（一）`` after a judicial interpretation's title is part of the title and is kept.
    """
    title = title.strip()
    if title.startswith(_PREFIX):
        title = title[len(_PREFIX) :]
    return _VERSION_SUFFIX.sub("", title).strip()


def make_key(title: str, number: str) -> str:
    """Build the article key of ``number`` (``第X条``) in the document titled ``title``."""
    return f"{key_title(title)}{number}"


def normalize_key(key: str) -> str:
    """Compare keys after removing a leading 中华人民共和国 (contract 4)."""
    key = key.strip()
    return key[len(_PREFIX) :] if key.startswith(_PREFIX) else key


def split_key(key: str) -> tuple[str, str] | None:
    """Split ``劳动合同法第三十九条`` into ``("劳动合同法", "第三十九条")``; ``None`` if no number."""
    matches = list(ARTICLE_NUMBER.finditer(key))
    if not matches:
        return None
    last = matches[-1]
    if last.end() != len(key):
        return None
    return key[: last.start()], last.group(0)
