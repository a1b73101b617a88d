"""Questions that must go to a person at once: complaints about staff, threats to life or safety,
群体性 incidents. Keyword-based on purpose: a missed model prediction here is not acceptable."""

from __future__ import annotations

import re

_SENSITIVE = re.compile(
    r"(跳楼|自杀|轻生|不想活|活不下去|寻死|同归于尽|报复社会|上访|信访|集体讨薪|围堵|拉横幅|"
    r"投诉(?:工作人员|窗口|经办人|你们的?人)|工作人员(?:态度|刁难|吃拿卡要|收红包)|态度(?:恶劣|太差|很差)|"
    r"索贿|受贿|举报(?:工作人员|干部))"
)


def is_sensitive(text: str) -> bool:
    """True for complaints about staff and for situations of risk that need a person now."""
    return bool(_SENSITIVE.search(text or ""))
