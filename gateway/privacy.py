"""Mask personal data in text: 身份证号, mainland mobile numbers and bank card numbers.

Why: citizens paste their ID, phone and card numbers into questions. The original text is kept
only for the live conversation (the citizen and the agent assigned to it); everything else — logs,
staff review of unanswered questions, exports, the handoff queue before an agent claims a
conversation, and the text sent to the bot — uses :func:`mask_pii`.

Policy (documented in ``gateway/README.md``): the store keeps the original next to a masked copy
computed at write time (``text`` / ``text_masked``); review and export code reads only the masked
columns, so forgetting to mask on read cannot leak.

Masks keep the shape people recognise and nothing that identifies a person:
``11010519491231002X`` → ``1****************X``, ``13812345678`` → ``138****5678``,
``6222021234567890123`` → ``6222***********0123``. Full-width digits (``１３８…``) and numbers
written with spaces or hyphens (``138 1234 5678``) are masked too.
"""

from __future__ import annotations

import re

_D = "[0-9０-９]"
_SEP = "[ \\-－]?"
_NOT_ALNUM_BEFORE = "(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_NOT_ALNUM_AFTER = "(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"

# 18-digit resident identity number: area code, birth date 18xx-20xx, sequence, check digit/X.
ID_CARD = re.compile(
    _NOT_ALNUM_BEFORE
    + f"[1-9１-９]{_D}{{5}}"  # area code
    + f"(?:18|19|20|１８|１９|２０){_D}{{2}}(?:[01０１]{_D})(?:[0-3０-３]{_D})"  # birth date
    + f"{_D}{{3}}[0-9０-９XxＸｘ]"  # sequence and check digit
    + _NOT_ALNUM_AFTER
)
# Bank card: 16-19 contiguous digits, or groups of four separated by spaces or hyphens.
BANK_CARD = re.compile(
    _NOT_ALNUM_BEFORE
    + f"(?:{_D}{{16,19}}|{_D}{{4}}(?:[ \\-－]{_D}{{4}}){{3}}(?:[ \\-－]?{_D}{{1,3}})?)"
    + "(?![0-9０-９])"
)
# Mainland mobile: 1[3-9] + 9 digits (optionally +86 and 3-4-4 grouping).
MOBILE = re.compile(
    "(?<![0-9０-９])"
    + f"(?:(?:\\+|＋)?(?:86|８６){_SEP})?[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}"
    + "(?![0-9０-９])"
)


def _digits(value: str) -> list[str]:
    return [c for c in value if c.isdigit() or c in "XxＸｘ"]


def _mask_id(match: re.Match[str]) -> str:
    chars = _digits(match.group(0))
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def _mask_card(match: re.Match[str]) -> str:
    chars = _digits(match.group(0))
    return "".join(chars[:4]) + "*" * (len(chars) - 8) + "".join(chars[-4:])


def _mask_mobile(match: re.Match[str]) -> str:
    chars = _digits(match.group(0))[-11:]
    return "".join(chars[:3]) + "****" + "".join(chars[-4:])


def mask_pii(text: str | None) -> str:
    """``text`` with 身份证号, bank card and mobile numbers masked (``""`` for ``None``).

    Order matters: an 18-digit ID is recognised before the generic 16-19 digit card pattern,
    and long card numbers before the 11-digit mobile pattern could match inside them.
    """
    if not text:
        return ""
    text = ID_CARD.sub(_mask_id, text)
    text = BANK_CARD.sub(_mask_card, text)
    return MOBILE.sub(_mask_mobile, text)


def contains_pii(text: str | None) -> bool:
    """Whether :func:`mask_pii` would change ``text`` (used by tests and log checks)."""
    return bool(text) and mask_pii(text) != text
