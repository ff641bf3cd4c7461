"""Source formats: one module each, registered by name, detected from content.

A format is a pair of pure functions: ``sniff(head, filename) -> confidence`` and
``parse(stream, context) -> iterator of Paper | Problem``. Parsers hold no state and read only the
stream they are given; :class:`Context` carries everything else they may need (the source's name,
dates to fall back on, options).
"""

from __future__ import annotations

import contextlib
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
# Raised when a reader reads the same bytes differently (a new field, a fixed date): an input
# file a collect read in full is then read again once (digest.collect.InputMemo).
READERS_VERSION = 2
_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# What a reader that holds a whole document may read: feedparser takes about 12 times a feed's
# size (a 20 MB feed of 44,000 items peaks at 240 MB and takes 15 s; an RSS of a million items
# took 2.4 GB and 4 minutes). Real feeds and API pages are a few MB; bigger dumps stream as
# JSON Lines or a JSON array.
MAX_DOCUMENT = 20 << 20
MAX_JSON_DOCUMENT = 64 << 20  # json.loads holds about three times the text


def read_document(stream: IO[bytes], limit: int = MAX_DOCUMENT) -> bytes:
    """The whole of ``stream`` for a reader that parses a document at once; past ``limit`` a
    :class:`SourceError` that says what to do, before anything is parsed."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise SourceError(
            f"over {limit >> 20} MB, the most a document read whole may be (a feed takes about "
            "12 times its size in memory); split it, or give the papers as JSON Lines or a JSON "
            "array, which are read one record at a time"
        )
    return data


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
    recent one not after it). ``first_line``: the number of the stream's first line (a span
    of a file read on its own, see :func:`digest.inputs.line_spans`, starts further on).
    """

    name: str
    filename: str = ""
    today: dt.date = field(default_factory=dt.date.today)
    date: dt.date | None = None
    file_date: dt.date | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    first_line: int = 1

    def fallback_date(self) -> tuple[dt.date, str]:
        """The date of an undated input, and where it came from (for the warning): the given
        date, else a YYYY-MM-DD in the file name, else the file's modification date, else
        today. Never after ``today``: a later one gives way to today, and the reason says so."""
        date, how = self._fallback()
        if date > self.today:
            return self.today, f"today's date ({how}, {date.isoformat()}, is after it)"
        return date, how

    def _fallback(self) -> tuple[dt.date, str]:
        if self.date is not None:
            return self.date, "the given date"
        named = self.file_name_date()
        if named is not None:
            return named, "the date in its file name"
        if self.file_date is not None:
            return self.file_date, "the file's modification date"
        return self.today, "today's date"

    def file_name_date(self) -> dt.date | None:
        """A YYYY-MM-DD in the file name (for a URL source: in its last path part and query,
        ``daily_papers?date=2026-03-06``)."""
        match = _FILE_DATE.search(self.filename.rsplit("/", 1)[-1])
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                return None
        return None

    def undated(self, what: str) -> tuple[dt.date, Problem]:
        """The fallback date and the one warning a reader gives about it, which says what had
        no date and where the date came from: ``entries have no date; using the date in its
        file name, 2026-11-20``. (Collect joins these warnings when many files of one source
        give them.)"""
        date, how = self.fallback_date()
        return date, Problem("warning", f"{what}; using {how}, {date.isoformat()}")


class Undated:
    """The fallback date of one input, computed the first time an entry needs it, and the
    warning about it, given once: the reader yields ``take_warning()`` when it is not None."""

    __slots__ = ("_date", "ctx", "noted", "warning", "what")

    def __init__(self, ctx: Context, what: str) -> None:
        self.ctx, self.what = ctx, what
        self._date: dt.date | None = None
        self.noted = False
        self.warning: Problem | None = None

    def date(self) -> dt.date:
        if self._date is None:
            self._date, self.warning = self.ctx.undated(self.what)
        return self._date

    def note(self, what: str, how: str) -> None:
        """Warn, once, that entries are dated some other way (``how``) than the fallback."""
        if not self.noted:
            self.noted = True
            self.warning = Problem("warning", f"{what}; using {how}")

    def take_warning(self) -> Problem | None:
        warning, self.warning = self.warning, None
        return warning


# Warnings that explain an empty source, so that collect does not also ask whether its layout
# changed (see collect._quiet_warning): a query that matched nothing, and an arXiv listing of a
# day without announcements (weekends, holidays).
NOTHING_MATCHED = "the query matched nothing"
NO_ANNOUNCEMENT = "arXiv announced nothing"
# the warning of Context.undated, as collect finds it to join many into one
UNDATED = re.compile(r"^(?P<what>.*); using (?P<how>.*), (?P<date>\d{4}-\d{2}-\d{2})$")


def is_choice(reason: str) -> bool:
    """Whether a dropped entry was left out on purpose (an arXiv listing's announce types that
    the source's options leave out, a withdrawn paper), not because it could not be read."""
    return reason.startswith(("announce type", "withdrawn"))


def utc_day(value: Any) -> dt.date | None:
    """The UTC day of an ISO timestamp (``2026-03-06T03:55:12.777Z``, an offset, or none: taken
    as UTC), or of a plain ISO date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return iso_day(value)
    if moment.tzinfo is not None:
        # year 1 or 9999 moved past the calendar's end stays as written
        with contextlib.suppress(OverflowError):
            moment = moment.astimezone(dt.UTC)
    return moment.date()


_JSON_KEY = re.compile(rb'"([A-Za-z_@$][\w\-]{0,40})"\s*:')


def json_keys(head: bytes) -> set[bytes]:
    """The object keys written in the first bytes of a JSON document (at any depth): what the
    JSON formats recognise their schema by."""
    return set(_JSON_KEY.findall(head[:HEAD_BYTES]))


def json_start(head: bytes) -> bytes:
    """The first bytes of a JSON document, after a byte order mark and white space."""
    return head[:HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")


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
        raise SourceError(f"unrecognised format (digest reads: {known_formats()})")
    return best


def formats() -> list[Format]:
    return list(dict.fromkeys(REGISTRY.values()))


def known_formats() -> str:
    """Every format by name and what it reads, for messages about input digest cannot read."""
    return "; ".join(f"{f.name} ({f.description})" for f in formats())


# Importing the modules registers them.
from . import (  # noqa: E402, F401
    arxiv_api,
    daily_arxiv,
    feed,
    hf_json,
    json_array,
    json_feed,
    jsonl,
    page,
)
