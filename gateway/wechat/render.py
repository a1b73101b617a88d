"""Shape the chat service's answer for WeChat: one plain-text message within WeChat's limit.

WeChat shows text only, so a contract-3 answer (``text``, ``sources``, ``buttons``) becomes:

    <answer text>

    依据：《失业保险条例》第十四条（现行有效）
    参考解读：《辞职后能否领取失业保险金》

    回复 1 有帮助
    回复 2 没帮助

Buttons become numbered options; the options actually shown are returned beside the text so a
reply ``1`` can be mapped back to the button's payload. A passive text reply is limited to 2048
bytes (UTF-8): a longer answer keeps its sources and options and has its text cut, ending in
``…详见：<the cited policy page>`` so the citizen can read the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.wechat import texts

TEXT_LIMIT_BYTES = 2048
MAX_SOURCE_LINES = 5
MAX_OPTIONS = 9
MIN_BODY_BYTES = 240


@dataclass(frozen=True)
class Rendered:
    """The WeChat text and the numbered options it shows (``[{"title", "payload"}]``, 1-based)."""

    text: str
    options: list[dict[str, str]] = field(default_factory=list)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def clip_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-8 bytes (never splits a character)."""
    if limit <= 0:
        return ""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def split_bytes(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """``text`` in pieces of at most ``limit`` bytes, cut at line ends where possible (for
    customer-service messages, e.g. a long agent reply, where nothing may be dropped)."""
    pieces: list[str] = []
    rest = text.strip()
    while utf8_len(rest) > limit:
        head = clip_bytes(rest, limit)
        cut = head.rfind("\n")
        if cut < len(head) // 2:  # no good line break: cut at the byte limit
            cut = len(head)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest:
        pieces.append(rest)
    return pieces


def _book(title: str) -> str:
    title = title.strip()
    return title if title.startswith("《") else f"《{title}》"


def source_line(source: Mapping[str, Any]) -> str | None:
    """One short line naming a source: 「依据：《失业保险条例》第十四条（现行有效）」."""
    title = source.get("title")
    if not isinstance(title, str) or not title.strip():
        return None
    kind = source.get("kind")
    if kind in ("interpretation", "faq"):
        return f"参考解读：{_book(title)}"
    if kind == "case":
        return f"参考案例：{_book(title)}"
    line = f"依据：{_book(title)}{source.get('article') or ''}"
    validity = source.get("validity")
    return f"{line}（{validity}）" if validity else line


def absolute_url(url: Any, base_url: str | None) -> str | None:
    """A link a WeChat user can open: absolute ``http(s)`` URLs as they are, the gateway's own
    pages (``/policy/…``) under ``base_url``; otherwise ``None``."""
    if not isinstance(url, str) or not url:
        return None
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("/") and base_url:
        return base_url.rstrip("/") + url
    return None


def _options(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    options: list[dict[str, str]] = []
    for message in messages:
        for button in message.get("buttons") or []:
            title, payload = str(button.get("title") or "").strip(), str(button.get("payload") or "").strip()
            if title and payload and all(o["payload"] != payload for o in options):
                options.append({"title": title, "payload": payload})
    return options[:MAX_OPTIONS]


def _join(*blocks: str) -> str:
    return "\n\n".join(b for b in blocks if b)


def render_messages(messages: Iterable[Mapping[str, Any]], *, base_url: str | None, limit: int = TEXT_LIMIT_BYTES) -> Rendered:
    """One WeChat text for the answer's messages (contract-3 dicts), within ``limit`` bytes."""
    messages = list(messages)
    body = "\n\n".join(str(m.get("text") or "").strip() for m in messages if str(m.get("text") or "").strip())
    sources = [s for m in messages for s in (m.get("sources") or [])]
    lines: list[str] = []
    for source in sources:
        line = source_line(source)
        if line and line not in lines:
            lines.append(line)
    lines = lines[:MAX_SOURCE_LINES]
    options = _options(messages)
    option_block = "\n".join(f"回复 {i} {o['title']}" for i, o in enumerate(options, 1))

    text = _join(body, "\n".join(lines), option_block)
    if utf8_len(text) <= limit:
        return Rendered(text, options)

    link = next((u for u in (absolute_url(s.get("url"), base_url) for s in sources) if u), None)
    marker = texts.TRUNCATED_SEE + link if link else texts.TRUNCATED
    tails = [
        (_join("\n".join(lines), option_block), options),
        (_join("\n".join(lines[:2]), option_block), options),
        (option_block, options),
        ("", []),
    ]
    for tail, shown in tails:
        budget = limit - utf8_len(marker) - (utf8_len(tail) + 2 if tail else 0)
        if budget >= MIN_BODY_BYTES or not tail:
            cut = clip_bytes(body, budget).rstrip()
            return Rendered(clip_bytes(_join(cut + marker, tail), limit), shown)
    raise AssertionError("unreachable: the last tail is empty")
