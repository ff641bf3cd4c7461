"""Source formats: one module each, registered by name, detected from content.

A format is a pair of pure functions: ``sniff(head, filename) -> confidence`` and
``parse(stream, context) -> iterator of Paper | Problem``. Parsers hold no state and read only the
stream they are given; :class:`Context` carries everything else they may need (the source's name,
dates to fall back on, options).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from ..errors import SourceError
from ..model import Paper, Problem

Item = Paper | Problem
Parser = Callable[[IO[bytes], "Context"], Iterator[Item]]
Sniffer = Callable[[bytes, str], int]

HEAD_BYTES = 8192
_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def iso_day(value: Any) -> dt.date | None:
    """The day of an ISO date or timestamp string (``2026-11-20``, ``2026-11-20T03:12:00Z``)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class Context:
    """What a parser knows besides the bytes.

    ``date`` is a date given by the user (``--date`` or the source's ``date:``), ``file_date`` the
    input's modification date, ``today`` the run's today (dates without a year resolve to the most
    recent one not after it).
    """

    name: str
    filename: str = ""
    today: dt.date = field(default_factory=dt.date.today)
    date: dt.date | None = None
    file_date: dt.date | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def fallback_date(self) -> tuple[dt.date, str]:
        """The date of an undated input, and where it came from (for the warning)."""
        if self.date is not None:
            return self.date, "the given date"
        match = _FILE_DATE.search(self.filename.rsplit("/", 1)[-1])
        if match:
            try:
                return dt.date(*map(int, match.groups())), "the date in its file name"
            except ValueError:
                pass
        if self.file_date is not None:
            return self.file_date, "the file's modification date"
        return self.today, "today's date"


@dataclass(frozen=True)
class Format:
    name: str
    sniff: Sniffer
    parse: Parser
    description: str = ""
    aliases: tuple[str, ...] = ()


REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    for key in (fmt.name, *fmt.aliases):
        REGISTRY[key] = fmt
    return fmt


def get(name: str) -> Format:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted({f.name for f in REGISTRY.values()}))
        raise SourceError(f"unknown format {name!r} (known: {known})") from None


def detect(head: bytes, filename: str = "") -> Format:
    """The format whose sniffer is most confident about these first bytes."""
    if not head.strip():
        raise SourceError("empty file")
    if b"\x00" in head[:HEAD_BYTES] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("binary file (NUL bytes), not a text, feed or JSON source")
    best, score = None, 0
    for fmt in dict.fromkeys(REGISTRY.values()):
        s = fmt.sniff(head, filename)
        if s > score:
            best, score = fmt, s
    if best is None:
        raise SourceError("unrecognised format (not a Daily Papers page, feed, JSON or JSON Lines)")
    return best


def formats() -> list[Format]:
    return list(dict.fromkeys(REGISTRY.values()))


# Importing the modules registers them.
from . import arxiv_api, feed, hf_json, jsonl, page  # noqa: E402, F401
