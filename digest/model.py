"""The data every stage passes on: small frozen dataclasses, no imports from the package.

A :class:`Paper` is what a source yields and what the store remembers. Stages after collection
work on these objects only, so they can run per date on other processes.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_ASCII_NON_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())


def setting(default: Any, doc: str, *, key: str | None = None, **rules: Any) -> Any:
    """A field of a settings dataclass, declared once: its default, a one-line doc for the
    config reference, its YAML key (default: the field's name; ``email.smtp`` for a key of
    another section) and how the config reads it (``rules``: ``minimum``, ``kind`` for values
    that are more than their type, ``required``...). The config package derives its key sets,
    defaults, checks and reference from these (see :mod:`digest.config.schema`)."""
    metadata = {"doc": doc, "key": key, "rules": rules}
    if isinstance(default, dict | list | set):
        return field(default_factory=lambda: copy.copy(default), metadata=metadata)
    return field(default=default, metadata=metadata)


# The outputs a digest can build (the render registry holds one of each, by these names).
OUTPUT_NAMES = ("email", "feeds", "markdown", "site")


def normalize_title(title: str) -> bytes:
    """What identifies a title: its letters and digits, NFKC-normalized and case-folded, with
    all spacing, punctuation and dashes left out. Two scrapes of one title that differ only in
    those ("Pre-training" / "Pretraining", "--" / an em dash, a trailing period) agree.

    ASCII titles take one ``bytes.translate`` (the bulk readers call this millions of times)."""
    if title.isascii():
        return title.encode("ascii").translate(_ASCII_LOWER, _ASCII_NON_ALNUM)
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", title).casefold()).encode("utf-8")


def _title_digest(title: str) -> bytes:
    return hashlib.blake2b(normalize_title(title), digest_size=8).digest()


def title_key(title: str) -> str:
    """A stable key for a title (its normalized form, hashed): the identity of papers known by
    title only, and how they meet the same paper known by arXiv id."""
    return _title_digest(title).hex()


def title_number(title: str) -> int:
    """The same key as a signed 64-bit integer: what the store indexes (half the size of the
    hex text, and faster to compare)."""
    return int.from_bytes(_title_digest(title), "big", signed=True)


def title_id(title: str) -> str:
    """The identity of a paper known by its title only."""
    return "title:" + title_key(title)


@dataclass(frozen=True)
class Paper:
    """One paper as a source saw it.

    ``id`` is the arXiv id without version when known, else ``title:<hash of the normalized
    title>``. ``date`` is the day the paper was first seen (its digest day). ``extra`` holds what
    only some sources know: ``upvotes``, ``version``, ``announce_type``, ``pdf_url``,
    ``comments``, ``primary_category``, ``published``, ``updated``.
    """

    id: str
    title: str
    abstract: str
    date: dt.date
    source: str
    authors: tuple[str, ...] = ()
    url: str | None = None
    categories: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def upvotes(self) -> int:
        """The source's upvote count, 0 when it gives none (ranking's first tie-break)."""
        value = self.extra.get("upvotes")
        return value if isinstance(value, int) else 0

    @property
    def arxiv_id(self) -> str | None:
        return None if self.id.startswith("title:") else self.id

    def to_json(self) -> dict[str, Any]:
        """The public JSON form (``digest parse --json``): keep these keys stable."""
        return {
            "id": self.id,
            "title": self.title,
            "abstract": self.abstract,
            "date": self.date.isoformat(),
            "source": self.source,
            "url": self.url,
            "authors": list(self.authors),
            "categories": list(self.categories),
            "extra": dict(self.extra),
        }


def merge(old: Paper, new: Paper) -> Paper:
    """One paper from two sightings: the earliest date, the first title, and the gaps filled.

    ``old`` wins wherever both have a value, except ``upvotes`` (the larger count, which only
    grows) and an arXiv id, which replaces a title-only identity.
    """
    extra = dict(new.extra)
    extra.update(old.extra)
    if "upvotes" in old.extra or "upvotes" in new.extra:
        extra["upvotes"] = max(
            int(old.extra.get("upvotes") or 0), int(new.extra.get("upvotes") or 0)
        )
    return replace(
        old,
        id=old.id if old.arxiv_id or not new.arxiv_id else new.id,
        abstract=old.abstract or new.abstract,
        date=min(old.date, new.date),
        authors=old.authors or new.authors,
        url=old.url or new.url,
        categories=old.categories or new.categories,
        extra=extra,
    )


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic a user follows: keywords (plain, or ``/regex/``), exclusions that veto it, a
    description for outputs and a weight."""

    name: str = setting("", "the topic's name (the key of its entry)", kind="topic-name")
    keywords: tuple[str, ...] = setting(
        (),
        "words and phrases (or /regex/) that make a paper relevant",
        kind="keywords",
        required=True,
    )
    exclude: tuple[str, ...] = setting(
        (), "a match here vetoes the topic for that paper", kind="keywords"
    )
    description: str = setting("", "shown in the outputs (Markdown)")
    weight: float = setting(1.0, "multiplies the topic's scores", minimum=0)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Someone the daily email goes to: an address (``email``, without the name), a display
    name, a stable ``id`` (for unsubscribe links) and the topics they follow (``None``: all)."""

    id: str = setting("", "a stable id for unsubscribe links (default: a hash of the address)")
    email: str = setting("", "the address", kind="address", required=True)
    name: str = setting("", "the name letters are addressed to")
    topics: tuple[str, ...] | None = setting(None, "the topics followed (default: all)")

    @property
    def key(self) -> str:
        """The address as deliveries are recorded (case does not make another subscriber)."""
        return self.email.casefold()


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a parser could not use: an error (bad input) or a dropped entry (with reason)."""

    kind: str  # "error" | "dropped" | "warning"
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What one source gave in one run (the run report)."""

    name: str
    read: int = 0
    new: int = 0
    seen: int = 0
    duplicates: int = 0
    dropped: int = 0
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    drop_reasons: Mapping[str, int] = field(default_factory=dict, compare=False)
    unchanged_inputs: int = 0  # input files unchanged since a collect read them in full: not read
    unchanged_papers: int = 0  # the papers those files held (all already in the store)


@dataclass(frozen=True, slots=True)
class DateCount:
    date: dt.date
    new: int
    seen: int


@dataclass(frozen=True, slots=True)
class Copy:
    """A cached download of a URL source: its files (one per page, in order), when it was
    fetched, and its key (the folder name) within the URL's cache folder."""

    key: str
    files: tuple[str, ...]
    fetched: dt.datetime

    def described(self, now: dt.datetime | None = None) -> str:
        """``fetched 2026-11-20 08:00 UTC, 3 days old``: how stale this copy is."""
        seconds = ((now or dt.datetime.now(dt.UTC)) - self.fetched).total_seconds()
        if seconds < 90:
            old = "just now"
        elif seconds < 5400:
            old = f"{seconds / 60:.0f} minutes old"
        elif seconds < 36 * 3600:
            old = f"{seconds / 3600:.0f} hours old"
        else:
            old = f"{seconds / 86400:.0f} days old"
        return f"fetched {self.fetched:%Y-%m-%d %H:%M} UTC, {old}"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What fetching one URL source gave.

    ``status``: ``fetched`` (a new copy), ``unchanged`` (a 304: ``copy`` is the cached one),
    ``failed`` (``error`` says why; ``copy`` is None) or ``offline`` (not asked for: ``copy`` is
    the newest cached one, if any). ``good`` is the last copy that was read without errors: the
    fallback when the new one fails."""

    name: str
    url: str
    status: str
    copy: Copy | None = None
    good: Copy | None = None
    error: str | None = None
    size: int = 0  # bytes downloaded
    pages: int = 0
    attempts: int = 0
    seconds: float = 0.0
    etag: str | None = None
    last_modified: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True, slots=True)
class CollectReport:
    sources: tuple[SourceStats, ...]
    dates: tuple[DateCount, ...]
    warnings: tuple[str, ...] = ()
    fetched: tuple[FetchResult, ...] = ()  # the URL sources, fetched (or not) before reading

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(e for s in self.sources for e in s.errors)


@dataclass(frozen=True)
class ScoredPaper:
    """A paper ranked against the topics of one date.

    ``topics`` maps each topic with a score above 0 to that score; ``matched`` the same topics to
    the keywords that matched (as written in the config); ``score`` is the best topic's score
    and ``topic`` that topic (``None`` when nothing matched). ``title_marks`` and
    ``abstract_marks`` are character spans of the matches, for bolding them in outputs.
    """

    paper: Paper
    score: float = 0.0
    topic: str | None = None
    topics: Mapping[str, float] = field(default_factory=dict)
    matched: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    highlight: bool = False
    tldr: str | None = None
    title_marks: tuple[tuple[int, int], ...] = ()
    abstract_marks: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The public JSON form (``digest rank --json``): keep these keys stable."""
        return {
            "id": self.paper.id,
            "title": self.paper.title,
            "date": self.paper.date.isoformat(),
            "score": self.score,
            "topics": dict(self.topics),
            "matched": {k: list(v) for k, v in self.matched.items()},
            "highlight": self.highlight,
            "tldr": self.tldr,
        }


@dataclass(frozen=True)
class RankedDay:
    """One date ranked: every paper (best first), the highlights (in order), one section per
    topic (every matched paper, by that topic's score) and the papers no topic matched."""

    date: dt.date
    papers: tuple[ScoredPaper, ...]
    highlights: tuple[ScoredPaper, ...]
    sections: Mapping[str, tuple[ScoredPaper, ...]]
    unmatched: tuple[ScoredPaper, ...]


# -- settings the stages after collect need (the config reads them: digest.config) -----------


@dataclass(frozen=True)
class Highlights:
    """``highlights``: how each date's highlights are picked."""

    total: int = setting(10, "highlights per date", minimum=0)
    per_topic: int = setting(3, "at most this many from one topic", minimum=1)
    min_score: float = setting(1.0, "below this score a paper is never a highlight", minimum=0)


@dataclass(frozen=True)
class EmailSettings:
    """``email``: the headers of the built ``.eml`` and of every delivery."""

    sender: str = setting(
        "", 'the sender; default "<title> <digest@<site host>>"', key="from", kind="address"
    )
    to: str = setting("", "the recipient of the built .eml; default: the sender", kind="address")
    subject: str = setting(
        "{{ title }} — {{ date }}: {{ highlights|length }} highlights",
        "a template (title, date, highlights, papers, subscriber.name)",
        kind="template",
    )
    unsubscribe_url: str | None = setting(
        None,
        "a template (subscriber.id, .email, .name; URL-encoded): List-Unsubscribe, one-click",
        kind="unsubscribe-url",
    )


# -- what rendering and writing make ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateInfo:
    """One line of the archive: a date, how many papers it had and how many were highlights."""

    date: dt.date
    papers: int
    highlights: int


@dataclass(frozen=True, slots=True)
class Rendered:
    """One output file: its path (relative, '/'-separated), kind and bytes, and the date and topic
    it belongs to (for ``manifest.json``)."""

    path: str
    kind: str
    data: bytes
    date: dt.date | None = None
    topic: str | None = None


@dataclass
class WriteReport:
    """What the writer did with the files of a build."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0  # rendered, and the same bytes as on disk: not touched
    kept: int = 0  # files of unchanged dates, not even rendered
    removed: list[str] = field(default_factory=list)
    # listed by the previous manifest, not made now, and written by no build the store
    # recorded (a new or replaced store): kept, and still listed
    orphans: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BuildReport:
    """What a build did, stage by stage: the collect report; the dates ranked this time (the
    others were unchanged); per output, the dates whose files were rendered (the others were
    kept); the dates whose ranking was read back from the store to be rendered; the dates whose
    pieces of the pages and feeds listing many dates were rendered, and whether those files
    were; whether the templates were parsed to find which outputs use which; how many
    processes ranked and rendered; what was written; seconds per stage."""

    collected: CollectReport
    out: Path
    dates: int = 0
    ranked: tuple[dt.date, ...] = ()
    rendered: Mapping[str, tuple[dt.date, ...]] = field(default_factory=dict)
    loaded: tuple[dt.date, ...] = ()
    pieces: tuple[dt.date, ...] = ()
    summary: bool = False
    templates_parsed: bool = False
    workers: int = 1
    written: WriteReport = field(default_factory=WriteReport)
    seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def rendered_dates(self) -> tuple[dt.date, ...]:
        """The dates any of whose files were rendered, oldest first."""
        return tuple(sorted({d for dates in self.rendered.values() for d in dates}))


def cache_key(*parts: object) -> str:
    """A key for cached work: a hash of what it was made from (``repr`` of frozen dataclasses,
    strings and numbers, which is stable from one run to the next)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
