"""Numbers in Chinese legal text: ``十二个月`` and ``12个月`` are the same number.

Used by the validator to check that every number an interpretation states appears in the
articles it cites.
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_CHINESE_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_ARABIC = re.compile(r"\d+(?:\.\d+)?")
_ARTICLE_REF = re.compile(r"第[零〇一二两三四五六七八九十百千\d]+[条款项章节编]|[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|^\s*\d+[.、]")
# Hotlines are service facts, not policy numbers.
HOTLINES = frozenset({"12333", "12345", "12348", "12393", "12329", "12366", "12367", "12385", "12351"})
# Words whose 一 is not a quantity (一律, 一致, 统一 ...): ignored to avoid noise.
_NON_NUMERIC_YI = re.compile(r"一(?:律|致|般|切|并|经|旦|起|定|同|些|直|样|方|边|步|系列|体|道)|统一|唯一|之一|同一|进一步|万一|一次性")


def chinese_to_int(text: str) -> int | None:
    """Convert a run of Chinese numerals (``一百五十``, ``二〇二五``, ``十二``) to an int."""
    if not text:
        return None
    if all(ch in _DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, section, number = 0, 0, 0
    for ch in text:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in _UNITS:
            section += (number or 1) * _UNITS[ch]
            number = 0
        elif ch in _BIG_UNITS:
            total += (section + number) * _BIG_UNITS[ch]
            section, number = 0, 0
        else:
            return None
    return total + section + number


def _canonical(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def extract_numbers(text: str, *, drop_references: bool = True) -> set[str]:
    """All numbers in ``text`` as canonical strings (``"12"``, ``"150"``, ``"0.5"``).

    Article references (第四十七条, （一）, 一、) and, in answers, hotline numbers are dropped.
    ``百分之一百五十`` yields ``150``; ``N+1`` yields ``1``.
    """
    text = text.replace("百分之", " ")
    if drop_references:
        text = _ARTICLE_REF.sub(" ", text)
    text = _NON_NUMERIC_YI.sub(" ", text)
    found: set[str] = set()
    for match in _ARABIC.finditer(text):
        found.add(_canonical(float(match.group(0))))
    for match in _CHINESE_RUN.finditer(text):
        value = chinese_to_int(match.group(0))
        if value is not None:
            found.add(str(value))
    return found


def answer_numbers(answer: str) -> set[str]:
    """Numbers an answer states, without hotline numbers."""
    return {n for n in extract_numbers(answer) if n not in HOTLINES}
