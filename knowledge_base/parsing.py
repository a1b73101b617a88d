"""Split official texts into article units.

Two source formats (see ``$SHARED_DATA_DIR/README.md``): LawRefBook Markdown (``# 标题``,
metadata, an HTML comment marking the end of the metadata (``INFO END``), ``##`` chapters, articles starting a line with ``第X条``) and the
plain-text government pages (``key: value`` header, a ``====`` line, a body whose articles may be
indented with full-width spaces, or whose structure is sections ``一、`` / ``（一）``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARTICLE_LINE = re.compile(r"^[\s\u3000]*(第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?)(?:[\s\u3000]+|$)(.*)$")
_HEADING = re.compile(r"^(#{2,6})\s*(.+?)\s*$")
_CHAPTER_LINE = re.compile(r"^[\s\u3000]*(第[一二三四五六七八九十百]+[章节编])[\s\u3000]*(.*)$")
_SECTION_LINE = re.compile(r"^[\s\u3000]*([一二三四五六七八九十]+、)(.*)$")
_INFO_END = re.compile(r"^<!--\s*INFO\s+END\s*-->$")
_ATTACHED_TITLE = re.compile(r"^[\s\u3000]*(\S{4,40}办法)[\s\u3000]*$")


@dataclass(frozen=True)
class RawUnit:
    """A unit before metadata is attached: article number (or ``None``), heading, chapters, text."""

    number: str | None
    heading: str
    chapter_path: tuple[str, ...]
    text: str
    key_title: str | None = None


@dataclass(frozen=True)
class ParsedText:
    """Header fields and units of one source file."""

    title: str
    header: dict[str, str]
    preamble: str
    units: list[RawUnit]


def parse_markdown(text: str) -> ParsedText:
    """Parse a LawRefBook Markdown file into its title, preamble and units."""
    lines = text.splitlines()
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), "")
    try:
        end = next(i for i, ln in enumerate(lines) if _INFO_END.match(ln.strip()))
    except StopIteration:
        end = 0
    preamble = "\n".join(ln for ln in lines[1:end] if ln.strip() and not ln.startswith("# "))
    body = lines[end + 1 :]
    units = _split_articles(body, markdown=True)
    if not any(u.number for u in units):
        units = _split_markdown_sections(body, title)
    return ParsedText(title=title, header={}, preamble=preamble, units=units)


def parse_plaintext(text: str, *, attached: bool = False) -> ParsedText:
    """Parse a government plain-text page (header, ``====``, body).

    With ``attached`` the body holds a decision followed by a 办法 whose articles are numbered; the
    articles take the 办法's own title (contract 2) and the decision is split by sections.
    """
    lines = text.splitlines()
    header: dict[str, str] = {}
    sep = 0
    for i, ln in enumerate(lines):
        if ln.startswith("===="):
            sep = i
            break
        if ":" in ln:
            k, _, v = ln.partition(":")
            header[k.strip()] = v.strip()
    body = [ln for ln in lines[sep + 1 :]]
    title = header.get("标题", "")
    first_article = next((i for i, ln in enumerate(body) if _ARTICLE_LINE.match(ln)), None)
    if first_article is None:
        return ParsedText(title=title, header=header, preamble="", units=split_sections(body, title))
    units: list[RawUnit] = []
    attached_title: str | None = None
    lead = body[:first_article]
    if attached:
        idx = next((i for i in range(len(lead) - 1, -1, -1) if _ATTACHED_TITLE.match(lead[i])), None)
        if idx is not None:
            attached_title = lead[idx].strip().strip("\u3000")
            units.extend(split_sections(lead[:idx], title))
            intro = "\n".join(ln.strip() for ln in lead[idx + 1 :] if ln.strip())
            if intro:
                units.append(RawUnit(None, attached_title, (), intro, key_title=None))
    elif any(ln.strip() for ln in lead):
        intro = "\n".join(ln.strip() for ln in lead if ln.strip())
        units.append(RawUnit(None, "前言", (), intro))
    for unit in _split_articles(body[first_article:], markdown=False):
        units.append(
            RawUnit(unit.number, unit.heading, unit.chapter_path, unit.text, key_title=attached_title)
        )
    return ParsedText(title=title, header=header, preamble="", units=units)


def _split_articles(body: list[str], *, markdown: bool) -> list[RawUnit]:
    units: list[RawUnit] = []
    chapters: list[tuple[int, str]] = []
    number: str | None = None
    buf: list[str] = []

    def flush() -> None:
        if number is not None:
            text = "\n".join(x for x in buf if x).strip()
            units.append(RawUnit(number, number, tuple(c for _, c in chapters), text))

    for raw in body:
        line = raw.rstrip()
        heading = _HEADING.match(line) if markdown else None
        chapter = None if heading else _CHAPTER_LINE.match(line)
        if heading or (chapter and not _ARTICLE_LINE.match(line)):
            flush()
            number, buf = None, []
            if heading:
                level, name = len(heading.group(1)), re.sub(r"\s+", " ", heading.group(2))
            else:
                assert chapter is not None
                level = 2 if chapter.group(1).endswith(("章", "编")) else 3
                name = f"{chapter.group(1)} {chapter.group(2).strip()}".strip()
            chapters = [(lv, c) for lv, c in chapters if lv < level] + [(level, name)]
            continue
        match = _ARTICLE_LINE.match(line)
        if match:
            flush()
            number = match.group(1)
            buf = [f"{number}\u3000{match.group(2).strip()}".rstrip("\u3000")]
            continue
        if number is not None and line.strip():
            buf.append(line.strip().strip("\u3000"))
    flush()
    return units


def split_sections(body: list[str], title: str) -> list[RawUnit]:
    """Split a sectioned text (``一、`` headings) into units; the whole text if it has none."""
    units: list[RawUnit] = []
    heading = "正文"
    buf: list[str] = []
    for raw in body:
        line = raw.strip().strip("\u3000").strip()
        if not line:
            continue
        match = _SECTION_LINE.match(line)
        if match:
            if buf:
                units.append(RawUnit(None, heading, (), "\n".join(buf)))
            heading, buf = _short_heading(line), [line]
            continue
        buf.append(line)
    if buf:
        units.append(RawUnit(None, heading, (), "\n".join(buf)))
    return units or [RawUnit(None, title, (), "")]


def _split_markdown_sections(body: list[str], title: str) -> list[RawUnit]:
    units: list[RawUnit] = []
    heading = title
    buf: list[str] = []
    for raw in body:
        match = _HEADING.match(raw.rstrip())
        if match:
            if buf:
                units.append(RawUnit(None, heading, (), "\n".join(buf)))
            heading, buf = match.group(2).strip(), []
            continue
        if raw.strip():
            buf.append(raw.strip())
    if buf:
        units.append(RawUnit(None, heading, (), "\n".join(buf)))
    return units


def _short_heading(line: str) -> str:
    """A section's heading: its first sentence, at most 40 characters."""
    first = re.split(r"[。；：]", line, maxsplit=1)[0]
    return first if len(first) <= 40 else first[:40] + "…"
