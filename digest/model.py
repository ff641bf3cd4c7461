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
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

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


# What a source says of the authors it did not list: how many (``and 909 more``), or that
# there are some (``et al.``); both belong to the author list they came with.
AUTHORS_LEFT_OUT = ("more_authors", "et_al")

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


class Link(NamedTuple):
    """A link a paper's entry shows: ``kind`` (``arxiv``, ``pdf``, ``hf``, ``page``,
    ``search-arxiv``, ``search-hf``), the ``label`` readers see and the ``url`` (always http(s),
    without spaces, quotes or angle brackets)."""

    kind: str
    label: str
    url: str

    @property
    def search(self) -> bool:
        """Whether the link is a search for the paper, not the paper itself."""
        return self.kind.startswith("search-")


# what no link a paper shows may hold (the renderers check its own URL again)
_URL_BAD = re.compile("[\\s\"'<>`\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ARXIV_ID = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})\Z")
_HF_PAPER = re.compile(r"https://huggingface\.co/papers/", re.IGNORECASE)
_ARXIV_PAGE = re.compile(r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/", re.IGNORECASE)
SEARCH_TITLE_MAX = 200  # characters of a title a search link asks for


def http_url(url: object) -> str:
    """``url`` when it is an http(s) URL without spaces, quotes or angle brackets, else ``""``
    (the same rule as the renderers' ``safe_url``)."""
    if not isinstance(url, str) or not url[:8].lower().startswith(("http://", "https://")):
        return ""
    return "" if _URL_BAD.search(url) else url


AUTHOR_MAX = 80  # characters of one author's name in a byline


def _name(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= AUTHOR_MAX else name[: AUTHOR_MAX - 1].rstrip() + "\u2026"


def _query(title: str) -> str:
    words = " ".join(title.split())
    if len(words) > SEARCH_TITLE_MAX:
        words = words[:SEARCH_TITLE_MAX].rsplit(" ", 1)[0]
    return urllib.parse.quote_plus(words, safe="", encoding="utf-8", errors="ignore")


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

    # -- what the outputs show of a paper (pure; templates get them by name) -----------------

    @property
    def more_authors(self) -> int:
        """Authors the source counted but did not list (``extra["more_authors"]``, an int)."""
        value = self.extra.get("more_authors")
        return value if type(value) is int and value > 0 else 0

    def byline(self, limit: int = 3) -> str:
        """The first ``limit`` authors, then how many more: ``"Ada Lovelace, Alan Turing and 5
        more"`` (``"... et al."`` when the source said there were more, not how many); ``""``
        when the source named none (``"5 authors"`` when it only counted them)."""
        names = self.authors[:limit]
        more = len(self.authors) - len(names) + self.more_authors
        if not names:
            return f"{more} author{'' if more == 1 else 's'}" if more else ""
        shown = ", ".join(_name(n) for n in names)
        if more:
            return f"{shown} and {more} more"
        return f"{shown} et al." if self.extra.get("et_al") is True else shown

    @property
    def abs_url(self) -> str:
        """The arXiv abstract page, when the arXiv id is known."""
        aid = self.arxiv_id
        return f"https://arxiv.org/abs/{aid}" if aid and _ARXIV_ID.match(aid) else ""

    @property
    def pdf_url(self) -> str:
        """The PDF: the source's own (``extra["pdf_url"]``), else arXiv's when the id is known."""
        own = http_url(self.extra.get("pdf_url"))
        aid = self.arxiv_id
        return own or (f"https://arxiv.org/pdf/{aid}" if aid and _ARXIV_ID.match(aid) else "")

    @property
    def hf_url(self) -> str:
        """The paper's Hugging Face page, when it came from there (its link, or the upvotes
        only Hugging Face gives, with an arXiv id)."""
        own = http_url(self.url)
        if own and _HF_PAPER.match(own):
            return own
        if "upvotes" in self.extra and self.abs_url:
            return f"https://huggingface.co/papers/{self.arxiv_id}"
        return ""

    @property
    def page_url(self) -> str:
        """Where the paper itself is read: its own link, else its arXiv page; ``""`` for a paper
        known by title only."""
        return http_url(self.url) or self.abs_url

    @cached_property
    def links(self) -> tuple[Link, ...]:
        """Every way to the paper: arXiv, PDF, Hugging Face, its own page; for a paper known
        only by its title, searches for it (arXiv's title search, Hugging Face's papers)."""
        out: list[Link] = []
        own, arxiv, hf = http_url(self.url), self.abs_url, self.hf_url
        if arxiv:
            out.append(Link("arxiv", "arXiv", arxiv))
        pdf = self.pdf_url
        if pdf:
            out.append(Link("pdf", "PDF", pdf))
        if hf:
            out.append(Link("hf", "Hugging Face", hf))
        if own and _ARXIV_PAGE.match(own):
            if not arxiv:
                out.append(Link("arxiv", "arXiv", own))
        elif own and own not in (hf, pdf):
            host = own.split("://", 1)[1].split("/", 1)[0].split("@")[-1] or "link"
            out.append(Link("page", host.removeprefix("www."), own))
        if not out:
            query = _query(self.title)
            if query:
                out.append(
                    Link(
                        "search-arxiv",
                        "search arXiv",
                        f"https://arxiv.org/search/?query={query}&searchtype=title",
                    )
                )
                out.append(
                    Link(
                        "search-hf",
                        "search Hugging Face",
                        f"https://huggingface.co/papers?q={query}",
                    )
                )
        return tuple(out)

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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Paper:
        """The paper :meth:`to_json` gave, read back (a value of ``extra`` comes back as JSON
        has it: a date as its ISO text, a tuple as a list)."""
        return cls(
            id=data["id"],
            title=data["title"],
            abstract=data["abstract"],
            date=dt.date.fromisoformat(data["date"]),
            source=data["source"],
            authors=tuple(data["authors"]),
            url=data["url"],
            categories=tuple(data["categories"]),
            extra=dict(data["extra"]),
        )


def merge(old: Paper, new: Paper) -> Paper:
    """One paper from two sightings: the earliest date, the first title, and the gaps filled.

    ``old`` wins wherever both have a value, except ``upvotes`` (the larger count, which only
    grows) and an arXiv id, which replaces a title-only identity. What a copy says of the
    authors it left out (``more_authors``, ``et_al``) goes with that copy's author list.
    """
    extra = dict(new.extra)
    extra.update(old.extra)
    kept = old if old.authors or not new.authors else new
    for key in AUTHORS_LEFT_OUT:
        if key in kept.extra:
            extra[key] = kept.extra[key]
        else:
            extra.pop(key, None)
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


def is_regex_keyword(keyword: str) -> bool:
    """Whether a keyword is a regular expression: written ``/like this/``."""
    return len(keyword) > 2 and keyword.startswith("/") and keyword.endswith("/")


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
    description: str = setting(
        "", "shown in the outputs (Markdown); its words count in the score (ranking.description)"
    )
    weight: float = setting(1.0, "multiplies the topic's scores", minimum=0)
    examples: tuple[str, ...] = setting(
        (),
        "papers the topic is about: arXiv ids, titles, or files (BibTeX, CSL JSON, RIS, a list of ids)",
        kind="examples",
    )
    avoid: tuple[str, ...] = setting(
        (),
        "papers the topic must not count (as examples:); they push its profile away",
        kind="examples",
    )


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
    fallback when the new one fails. ``date``: the day a source's URL with ``{date}`` was made
    for (one result per day it fetched)."""

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
    date: dt.date | None = None

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
    related: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The public JSON form (``digest rank --json``): keep these keys stable."""
        return {
            "id": self.paper.id,
            "title": self.paper.title,
            "date": self.paper.date.isoformat(),
            "score": self.score,
            "topics": dict(self.topics),
            "matched": {k: list(v) for k, v in self.matched.items()},
            "related": dict(self.related),
            "highlight": self.highlight,
            "tldr": self.tldr,
        }


@dataclass(frozen=True, slots=True)
class TopicWhy:
    """Why a paper counts for one topic on its date, or why not (``digest explain``), each
    part as the ranker weighed it, beside the bar it had to reach.

    ``score``: its score for the topic (0: it does not count); ``how``: ``keywords``,
    ``words`` (its words alone), ``profile`` (its profile or an example alone) or ``""``;
    ``reason``: what rank --json says (the keywords matched, or the related reason);
    ``vetoed``: why it can never count (an exclusion matched, or a paper to avoid), else ``""``;
    ``keywords``: the topic's keywords it holds; ``words``: the topic's words it holds, each
    with its part (rarity times mentions, before the day's best divides it); ``words_sum``:
    that sum with each word counted once, which counts a paper without keywords from
    ``words_needed`` (``None``: the words cannot count it alone); ``whole``: a keyword all of
    whose words it holds, apart (which counts it too); ``similarity`` to the profile (``None``:
    the topic has none), ``shared`` the profile's words it holds; the profile alone counts a
    paper without keywords from ``similarity_needed`` with ``shared_needed`` of its words, for
    the topic it is most like (``closest``: that topic, when another); ``most_like``, the
    example it is most like, with ``likeness`` and the likeness it counts from (``lift``);
    ``weight``, the topic's, and ``community``, the paper's upvotes' factor, multiply the sum of
    ``parts``, the score."""

    topic: str
    score: float
    how: str
    reason: str
    vetoed: str
    keywords: tuple[str, ...]
    words: tuple[tuple[str, float], ...]
    words_sum: float
    words_needed: float | None
    whole: str
    similarity: float | None = None
    profile_alone: float | None = None
    shared: tuple[str, ...] = ()
    similarity_needed: float = 0.0
    shared_needed: int = 0
    closest: str = ""
    most_like: str = ""
    likeness: float = 0.0
    lift: float | None = None
    weight: float = 1.0
    community: float = 1.0
    # what its score adds up from, each part as weighed (by the ranking settings), before the
    # topic's weight and the community factor multiply the sum: keywords, words, description,
    # profile (those above 0)
    parts: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class PaperWhy:
    """A paper ranked on its date (``papers`` that day), and why it counts, or not, for each
    topic asked about (``digest explain``)."""

    paper: Paper
    papers: int
    topics: tuple[TopicWhy, ...]


@dataclass(frozen=True)
class RankedDay:
    """One date ranked: every paper (best first), the highlights (in order), one section per
    topic (every matched paper, by that topic's score) and the papers no topic matched."""

    date: dt.date
    papers: Sequence[ScoredPaper]  # a tuple (read for the outputs: read when first asked for)
    highlights: tuple[ScoredPaper, ...]
    sections: Mapping[str, tuple[ScoredPaper, ...]]
    unmatched: tuple[ScoredPaper, ...]
    # papers a section does not list, by topic ("" for the unmatched): set by
    # digest.render.shown, which cuts what a date shows to ``site.section_papers`` a section
    # (or by digest.rows.decode_shown, which reads a ranked date only that far)
    left_out: Mapping[str, int] = field(default_factory=dict)

    def count(self, topic: str) -> int:
        """The papers ``topic`` matched that day, listed or left out."""
        return len(self.sections.get(topic, ())) + self.left_out.get(topic, 0)

    @property
    def unmatched_count(self) -> int:
        """The papers no topic matched that day, listed or left out."""
        return len(self.unmatched) + self.left_out.get("", 0)


@dataclass(frozen=True, slots=True)
class TopicCheck:
    """How one topic fares in the store (``digest check``): the papers it matched in the 7 and
    30 days to the newest date, its highlights on the newest date, and its keywords that
    matched no paper of those 30 days, each with the keyword as the words those papers use
    would spell it (``None``: nothing close), a likely typo."""

    name: str
    week: int = 0
    month: int = 0
    highlights: int = 0
    silent: tuple[tuple[str, str | None], ...] = ()
    related: int = 0  # of ``month``, those no keyword matched (by its words or profile alone)
    # what its learned profile holds (``digest check``; ``None``: it learns none): the papers
    # its keywords match with confidence, examples and papers to avoid it learned from, and
    # its heaviest words, as the papers spell them
    learned: LearnedSummary | None = None


@dataclass(frozen=True, slots=True)
class LearnedSummary:
    """What a topic's profile was learned from, and its heaviest words (``digest check``)."""

    papers: int
    examples: int
    avoided: int
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The topics against the store: ``newest``, the newest date (``None``: no papers yet);
    ``papers``, the papers of the 30 days to it; a :class:`TopicCheck` per topic; the warnings
    (a topic with no match in those 30 days, a keyword with none in the store)."""

    newest: dt.date | None
    papers: int = 0
    topics: tuple[TopicCheck, ...] = ()
    warnings: tuple[str, ...] = ()


# -- settings the stages after collect need (the config reads them: digest.config) -----------


@dataclass(frozen=True)
class Highlights:
    """``highlights``: how each date's highlights are picked."""

    total: int = setting(10, "highlights per date", minimum=0)
    per_topic: int = setting(3, "at most this many from one topic", minimum=1)
    min_score: float = setting(1.0, "below this score a paper is never a highlight", minimum=0)


@dataclass(frozen=True)
class Ranking:
    """``ranking``: how keywords, their words, each topic's learned profile and upvotes make
    one score (see the README's Ranking section; docs/quality.md measures them on held-out
    sets).

    Profiles are opt-in: a topic learns one only when it has examples (``examples:`` or
    ``digest like``), or for every topic with ``learn: true``. A topic without one ranks by
    its keywords and their words (held out, profiles learned from the store alone gain on two
    labelled sets of six, tie on two and lose on two)."""

    learn: bool = setting(
        False,
        "every topic learns a profile from the store, even one without examples "
        "(a topic with examples or likes learns one either way)",
    )
    history_days: int = setting(
        365,
        "a topic's profile learns from the papers of this many days up to the newest",
        minimum=1,
    )
    profile: float = setting(
        1.0,
        "weight of the profile's similarity in the score, for a topic that has a profile; "
        "0: no profile, even with examples",
        minimum=0,
    )
    words: float = setting(
        1.0,
        "weight of the words of a topic's keywords, each matched on its own; 0: off "
        "(a paper no keyword matches then counts only by its profile)",
        minimum=0,
    )
    description: float = setting(
        1.0, "weight of the words of a topic's description; 0: off", minimum=0
    )
    words_alone: bool = setting(
        True,
        "a paper no keyword of a topic matched may count for it by the topic's words "
        "(said as related); false: the words only rank the papers its keywords match",
    )
    examples: float = setting(1.0, "weight of a topic's examples in its profile", minimum=0)
    avoid: float = setting(1.0, "weight of the papers to avoid, pushing a profile away", minimum=0)
    upvotes: float = setting(
        0.2,
        "a paper's score grows by up to this share with its upvotes among the day's "
        "(sources that give upvotes only); 0: off",
        minimum=0,
    )

    def learns(self, topic: Topic) -> bool:
        """Whether ``topic`` learns (and is scored against) a profile."""
        return self.profile > 0 and (self.learn or bool(topic.examples))


@dataclass(frozen=True)
class EmailSettings:
    """``email``: the headers of the built ``.eml`` and of every delivery."""

    sender: str = setting(
        "", 'the sender; default "<title> <digest@<site host>>"', key="from", kind="address"
    )
    to: str = setting("", "the recipient of the built .eml; default: the sender", kind="address")
    subject: str = setting(
        '{{ title }} — {{ date }}: {{ highlights|length|plural("highlight") }}',
        "a template (title, date, highlights, papers, subscriber.name)",
        kind="template",
    )
    unsubscribe_url: str | None = setting(
        None,
        "a template (subscriber.id, .email, .name; URL-encoded): List-Unsubscribe, one-click",
        kind="unsubscribe-url",
    )


@dataclass(frozen=True)
class SiteSettings:
    """``site``: what the static site shows."""

    home_days: int = setting(
        7, "dates the home page shows: the latest in full, the days before in short", minimum=1
    )
    search: bool = setting(
        True, "a search page over every paper (a Pagefind index of each month's day pages)"
    )
    section_papers: int = setting(
        500,
        "papers a topic section (and 'also new') of a date lists at most, best first, in every "
        "output; the rest are counted (a day of 100,000 papers once made a 166 MB page)",
        minimum=1,
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
    processes ranked and rendered; what was written; seconds per stage; the
    topics checked against the store (:class:`CheckReport`)."""

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
    warnings: tuple[str, ...] = ()  # from ranking: a topic's example that was not found
    check: CheckReport | None = None  # the topics against the store, after the build
    search: str = ""  # what the search stage did (digest.search.SearchReport.describe)

    @property
    def rendered_dates(self) -> tuple[dt.date, ...]:
        """The dates any of whose files were rendered, oldest first."""
        return tuple(sorted({d for dates in self.rendered.values() for d in dates}))


def cache_key(*parts: object) -> str:
    """A key for cached work: a hash of what it was made from (``repr`` of frozen dataclasses,
    strings and numbers, which is stable from one run to the next)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
