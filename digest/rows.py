"""The bulk paths' way to make and store model objects, in one place: papers and scored papers
built without their ``__init__``, and the one codec of a ranked date (bytes the store keeps and
render workers send back).

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; the readers
build millions of papers and the ranker one scored paper per paper per date, and filling
``__dict__`` at once is 2.5x cheaper. The functions take every field by name, so a field added
to the model breaks them at once instead of shifting the others (a test holds them to the
dataclass's fields).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import orjson

from .model import Paper, RankedDay, ScoredPaper

T = TypeVar("T")

_new = object.__new__
CODEC = 4  # the ranked-date codec's version: part of the ranking's cache key


def new_paper(
    *,
    id: str,
    title: str,
    abstract: str,
    date: dt.date,
    source: str,
    authors: tuple[str, ...],
    url: str | None,
    categories: tuple[str, ...],
    extra: dict[str, Any],
) -> Paper:
    """A :class:`Paper`, every field given, without ``__init__``."""
    paper = _new(Paper)
    paper.__dict__.update(
        id=id, title=title, abstract=abstract, date=date, source=source, authors=authors,
        url=url, categories=categories, extra=extra,
    )  # fmt: skip
    return paper


def new_scored(
    *,
    paper: Paper,
    score: float,
    topic: str | None,
    topics: Mapping[str, float],
    matched: Mapping[str, tuple[str, ...]],
    highlight: bool,
    tldr: str | None,
    title_marks: tuple[tuple[int, int], ...],
    abstract_marks: tuple[tuple[int, int], ...],
    related: Mapping[str, str],
) -> ScoredPaper:
    """A :class:`ScoredPaper`, every field given, without ``__init__``."""
    scored = _new(ScoredPaper)
    scored.__dict__.update(
        paper=paper, score=score, topic=topic, topics=topics, matched=matched,
        highlight=highlight, tldr=tldr, title_marks=title_marks, abstract_marks=abstract_marks,
        related=related,
    )  # fmt: skip
    return scored


def unmatched(paper: Paper) -> ScoredPaper:
    """The scored paper of one no topic matched."""
    return new_scored(
        paper=paper, score=0.0, topic=None, topics={}, matched={}, highlight=False, tldr=None,
        title_marks=(), abstract_marks=(), related={},
    )  # fmt: skip


def scored_row(s: ScoredPaper) -> bytes:
    """One line of a ranked date's codec: a scored paper, its paper named by id."""
    return encode_row(
        id=s.paper.id, score=s.score, topic=s.topic, topics=s.topics, matched=s.matched,
        highlight=s.highlight, tldr=s.tldr, title_marks=s.title_marks,
        abstract_marks=s.abstract_marks, related=s.related,
    )  # fmt: skip


def encode_row(
    *,
    id: str,
    score: float,
    topic: str | None,
    topics: Mapping[str, float],
    matched: Mapping[str, tuple[str, ...]],
    highlight: bool,
    tldr: str | None,
    title_marks: tuple[tuple[int, int], ...],
    abstract_marks: tuple[tuple[int, int], ...],
    related: Mapping[str, str],
) -> bytes:
    """:func:`scored_row` from the fields themselves (the ranker makes most rows without the
    paper: see :func:`digest.rank.score.rank_encoded`)."""
    return orjson.dumps(
        (id, score, topic, topics, matched, highlight, tldr, title_marks, abstract_marks, related)
    )


def unmatched_row(id: str) -> bytes:
    """The line of a paper no topic matched (:func:`unmatched`), without the paper."""
    return encode_row(
        id=id, score=0.0, topic=None, topics={}, matched={}, highlight=False, tldr=None,
        title_marks=(), abstract_marks=(), related={},
    )  # fmt: skip


def encode_ranked(
    highlights: Sequence[int],
    sections: Mapping[str, Sequence[int]],
    unmatched: int,
    count: int,
    rows: Iterable[bytes],
) -> bytes:
    """A ranked date as bytes, one JSON line each: first what it holds (how many papers; the
    highlights and every topic's section as places in rank order, so decoding sorts nothing;
    how many papers, the last, no topic matched), then each of the ``count`` papers' rows in
    rank order. A reader of a few places (:func:`decode_shown`) parses those lines only.

    The rows are written as they come, not kept: each bytes object orjson makes holds a few
    KB of the heap that the next can reuse (100,000 rows kept took 400 MB)."""
    out = bytearray(
        orjson.dumps(
            {
                "papers": count,
                "highlights": highlights,
                "sections": sections,
                "unmatched": unmatched,
            }
        )
    )
    written = 0
    for row in rows:
        out += b"\n"
        out += row
        written += 1
    if written != count:
        raise ValueError(f"{written} rows for {count} papers")
    return bytes(out)


def encode_day(day: RankedDay) -> bytes:
    """A ranked date as bytes (:func:`encode_ranked`): its papers named by id in rank order,
    each with what ranking found. :func:`decode_day` rejoins them with the date's papers."""
    place = {id(s): i for i, s in enumerate(day.papers)}
    return encode_ranked(
        [place[id(s)] for s in day.highlights],
        {name: [place[id(s)] for s in papers] for name, papers in day.sections.items()},
        len(day.unmatched),
        len(day.papers),
        map(scored_row, day.papers),
    )


def _head(date: dt.date, data: bytes) -> tuple[dict[str, Any], list[bytes]]:
    """What a ranked date holds, and its rows' lines (not parsed)."""
    lines = data.split(b"\n")
    try:
        head = orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        head = None
    if (
        not isinstance(head, dict)
        or not {"papers", "sections"} <= head.keys()
        or head["papers"] != len(lines) - 1
    ):
        raise ValueError(f"{date}: a ranking in another format")
    return head, lines[1:]


def _scored(date: dt.date, row: list[Any], paper: Paper | None) -> ScoredPaper:
    pid, score, topic, scores, matched, highlight, summary, tmarks, amarks, related = row
    if paper is None:
        raise ValueError(f"{date}: ranked paper {pid} is not in the store")
    return new_scored(
        paper=paper, score=score, topic=topic, topics=scores,
        matched={k: tuple(v) for k, v in matched.items()}, highlight=highlight,
        tldr=summary, title_marks=tuple(map(tuple, tmarks)),
        abstract_marks=tuple(map(tuple, amarks)), related=related,
    )  # fmt: skip


def decode_day(date: dt.date, papers: Sequence[Paper], data: bytes) -> RankedDay:
    """The :class:`RankedDay` :func:`encode_day` made, with the date's papers; ``ValueError``
    when they no longer match (or the bytes are from another codec)."""
    head, lines = _head(date, data)
    by_id = {p.id: p for p in papers}
    loads = orjson.loads
    final: list[ScoredPaper] = []
    for line in lines:
        row = loads(line)
        final.append(_scored(date, row, by_id.get(row[0])))
    count = head["unmatched"]
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(final[i] for i in head["highlights"]),
        sections={name: tuple([final[i] for i in at]) for name, at in head["sections"].items()},
        unmatched=tuple(final[len(final) - count :]) if count else (),
    )


class Every(Sequence[ScoredPaper]):
    """Every paper of a ranked date read with :func:`decode_shown`: its count at once, the
    papers themselves (``papers()``) the first time one is asked for."""

    def __init__(self, count: int, papers: Callable[[], Sequence[ScoredPaper]]) -> None:
        self._count = count
        self._papers = papers
        self._read: Sequence[ScoredPaper] | None = None

    def _all(self) -> Sequence[ScoredPaper]:
        if self._read is None:
            self._read = self._papers()
        return self._read

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, at):  # type: ignore[no-untyped-def, override]
        return self._all()[at]

    def __iter__(self) -> Iterator[ScoredPaper]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]


def cut_section(section: Sequence[T], cap: int, highlight: Callable[[T], bool]) -> Sequence[T]:
    """A topic section as the outputs show it: its best ``cap`` papers and, past them, its
    highlights (shown above it, which it links to); the one rule of
    :func:`digest.render.shown` and :func:`decode_shown`. ``section``: a list or tuple."""
    if len(section) <= cap:
        return section
    return section[:cap] + type(section)(x for x in section[cap:] if highlight(x))  # type: ignore[operator, call-arg]


def decode_shown(
    date: dt.date,
    data: bytes,
    cap: int,
    fetch: Callable[[Sequence[str]], Iterable[Paper]],
    every: Callable[[], Sequence[Paper]],
) -> RankedDay:
    """A ranked date as the outputs show it (:func:`digest.render.shown`): each section cut
    as :func:`cut_section` says, the papers no topic matched to their best ``cap``
    (``left_out`` counts the rest), the highlights whole; of the rows only those lines
    parsed, and of the papers only those fetched (``fetch(ids)``: the papers with these ids).
    ``papers`` holds every paper, read (``every()``: the date's papers) the first time one is
    asked for."""
    head, lines = _head(date, data)
    n, count = head["papers"], head["unmatched"]
    high = set(head["highlights"])
    sections = {
        name: cut_section(at, cap, high.__contains__) for name, at in head["sections"].items()
    }
    unmatched = range(n - count, n - count + min(count, cap))
    wanted = sorted({*head["highlights"], *itertools.chain(*sections.values()), *unmatched})
    rows = {i: orjson.loads(lines[i]) for i in wanted}
    by_id = {p.id: p for p in fetch([rows[i][0] for i in wanted])}
    scored = {i: _scored(date, rows[i], by_id.get(rows[i][0])) for i in wanted}
    left_out = {
        name: len(at) - len(sections[name])
        for name, at in head["sections"].items()
        if len(at) > len(sections[name])
    }
    if count > cap:
        left_out[""] = count - cap
    return RankedDay(
        date=date,
        papers=Every(n, lambda: decode_day(date, every(), data).papers),
        highlights=tuple(scored[i] for i in head["highlights"]),
        sections={name: tuple([scored[i] for i in at]) for name, at in sections.items()},
        unmatched=tuple(scored[i] for i in unmatched),
        left_out=left_out,
    )


def day_matches(
    data: bytes,
) -> tuple[dict[str, int], list[str], set[tuple[str, str]], dict[str, int]]:
    """What ``digest check`` needs of a ranked date, from :func:`encode_day` bytes without the
    papers: the papers each topic matched, the topic of each highlight, every (topic,
    keyword) that matched a paper, and per topic the papers that count for it by its words or
    profile alone, no keyword of it matched (``related``; the rows parsed one at a time)."""
    head, lines = _head(dt.date.min, data)
    loads = orjson.loads
    matched: set[tuple[str, str]] = set()
    related: dict[str, int] = {}
    for line in lines:
        row = loads(line)
        if row[4]:
            matched.update((topic, k) for topic, ks in row[4].items() for k in ks)
        for topic in row[9]:
            related[topic] = related.get(topic, 0) + 1
    return (
        {name: len(at) for name, at in head["sections"].items()},
        [loads(lines[i])[2] for i in head["highlights"]],
        matched,
        related,
    )
