"""Scraped "Daily Papers" pages saved as text.

Two layouts exist in the wild:

* blank-line separated: header lines (``new``, ``Get trending papers in your email inbox!``,
  ``Subscribe``, optionally ``Daily Papers``, ``byAK and the research community``), a date line
  such as ``Mar 13``, then title paragraph, abstract paragraph, title, abstract, ...
* dense: one field per line, no blank lines, the first title glued to ``Subscribe``
  (``SubscribeLow Rank Matrix ...``) and no date line.

CRLF, a BOM, non-breaking spaces and trailing whitespace are tolerated. A date line has no year:
it is the most recent such date not more than a few days after ``today`` (a warning when a leap
day or a page saved long ago puts it more than a year back). An undated page takes the context's fallback
date and says where it came from in a warning. Text is kept as scraped but for the artefacts
listed in :data:`digest.text.ARTEFACTS`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Generator, Iterator
from typing import IO

from ..errors import SourceError
from ..model import Paper, Problem, title_id
from ..text import clean, fix_artefacts
from . import Context, Format, Item, read_document, register

_HEADER = re.compile(
    r"^(?:new|subscribe|daily papers|by\s*ak\b.*|get trending papers\b.*|trending papers)$",
    re.IGNORECASE,
)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DATE_LINE = re.compile(
    r"^(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})"
    r"(?:,?\s+(?P<year>\d{4}))?$",
    re.IGNORECASE,
)
_GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?=[A-Z0-9\"'(\[])")
_SENTENCE = re.compile(r"[.!?]\s+[A-Z(]")
# A title is one line of moderate length; anything longer, or with two sentence breaks, is prose.
_TITLE_MAX = 400


AHEAD_DAYS = 3  # a page may be dated this far past today (time zones, a clock behind)


def resolve_month_day(month: int, day: int, today: dt.date) -> dt.date:
    """The most recent ``month``/``day`` not more than :data:`AHEAD_DAYS` after ``today`` (a
    page of "Jan 3" read on Jan 2 is this year's, not last year's; Feb 29 finds the last leap
    year)."""
    latest = today + dt.timedelta(days=AHEAD_DAYS)
    for year in range(latest.year, latest.year - 9, -1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate <= latest:
            return candidate
    raise ValueError(f"no such date: {calendar.month_abbr[month]} {day}")


def _date_warning(date: dt.date, block: str, today: dt.date, year_given: bool) -> str | None:
    """Why a page's date deserves a look: a leap day that sent it years back, or a date more
    than a year before today (a page saved long ago, or a year guessed wrong)."""
    if not year_given and (date.month, date.day) == (2, 29) and date.year != today.year:
        return f"date line {block!r}: read as {date} (the last Feb 29 before today)"
    if date < today - dt.timedelta(days=366):
        return f"date line {block!r}: {date} is more than a year before today ({today})"
    return None


def decode(data: bytes) -> tuple[str, str | None]:
    """Text from bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 with a
    warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            text = data.decode("utf-16", errors="replace")
            return text, f"not valid UTF-16 (byte {exc.start}); the bad bytes are replaced"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        text = data.decode("cp1252", errors="replace")
        return text, f"not valid UTF-8 (byte {exc.start}); read as Windows-1252"


def _blocks(text: str) -> list[tuple[int, str]]:
    """(line number, text) of each field: paragraphs in the blank-line layout, lines in the
    dense one."""
    lines = [line.replace("\u00a0", " ").rstrip() for line in text.split("\n")]
    blocks: list[tuple[int, str]] = []
    start, current = 0, []
    blank_separated = False
    for number, line in enumerate(lines, 1):
        if line.strip():
            if not current:
                start = number
                blank_separated = blank_separated or bool(blocks)
            current.append(line.strip())
        elif current:
            blocks.append((start, " ".join(current)))
            current = []
    if current:
        blocks.append((start, " ".join(current)))
    if blank_separated:
        return blocks
    # Dense layout: every line is a field.
    return [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]


def _looks_like_prose(block: str) -> bool:
    return len(block) > _TITLE_MAX or len(_SENTENCE.findall(block)) >= 2


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    data = read_document(stream)
    if b"\x00" in data:
        raise SourceError("binary file (NUL bytes), not a text page")
    text, warning = decode(data)
    if warning:
        yield Problem("warning", warning)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    blocks = _blocks(text)
    date, index = yield from _header(blocks, ctx.today)
    body = blocks[index:]
    if not body:
        raise SourceError("no papers found (only header lines)")
    if date is None:
        date, how = ctx.fallback_date()
        yield Problem("warning", f"page has no date line; using {how}, {date.isoformat()}")
    yield from _papers(body, date, ctx.name)


def _header(
    blocks: list[tuple[int, str]], today: dt.date
) -> Generator[Problem, None, tuple[dt.date | None, int]]:
    """Known header lines and at most one date line, in any order, before the first title
    (a title glued to "Subscribe" unglued in ``blocks``): yields its warnings, returns the
    page's date (``None``: no date line) and the index of the first block of the body."""
    date: dt.date | None = None
    index = 0
    while index < len(blocks):
        line_no, block = blocks[index]
        if _HEADER.match(block):
            index += 1
            continue
        match = _DATE_LINE.match(block)
        if match and date is None:
            month, day = _MONTHS[match["mon"][:3].lower()], int(match["day"])
            try:
                if match["year"]:
                    date = dt.date(int(match["year"]), month, day)
                else:
                    date = resolve_month_day(month, day, today)
            except ValueError as exc:
                raise SourceError(f"bad date line {block!r}: {exc}", line=line_no) from None
            if why := _date_warning(date, block, today, bool(match["year"])):
                yield Problem("warning", why, line_no)
            index += 1
            continue
        glued = _GLUED_SUBSCRIBE.match(block)
        if glued:
            blocks[index] = (line_no, block[glued.end() :])
        break
    return date, index


def _papers(body: list[tuple[int, str]], date: dt.date, source: str) -> Iterator[Item]:
    """Title and abstract blocks in turn, resynchronised where one is missing."""
    i = 0
    while i < len(body):
        line_no, title = body[i]
        if _looks_like_prose(title):
            yield Problem("dropped", "abstract without a title", line_no)
            i += 1
            continue
        if i + 1 >= len(body):
            yield Problem(
                "dropped", f"title without an abstract (page truncated?): {title[:60]!r}", line_no
            )
            break
        _, abstract = body[i + 1]
        if (
            not _looks_like_prose(abstract)
            and i + 2 < len(body)
            and _looks_like_prose(body[i + 2][1])
        ):
            # Two short blocks then prose: the first is a title whose abstract is missing.
            yield Problem("dropped", f"title without an abstract: {title[:60]!r}", line_no)
            i += 1
            continue
        title, abstract = clean(fix_artefacts(title)), clean(fix_artefacts(abstract))
        if not title:  # nothing but control characters
            yield Problem("dropped", "empty title", line_no)
            i += 2
            continue
        yield Paper(id=title_id(title), title=title, abstract=abstract, date=date, source=source)
        i += 2


def sniff(head: bytes, filename: str) -> int:
    text = head[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<", "{", "[")):
        return 0
    if "get trending papers" in text or text.startswith(("new\n", "new\r\n")):
        return 90
    if "subscribe" in text[:400]:
        return 50
    first = text.split("\n", 1)[0].strip()
    if _DATE_LINE.match(first) or filename.endswith(".txt"):
        return 10
    return 0


register(Format("page", sniff, parse, "scraped Daily Papers page saved as text", ("txt",)))
