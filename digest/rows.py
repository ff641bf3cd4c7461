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
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from .model import Paper, RankedDay, ScoredPaper

_new = object.__new__
CODEC = 3  # the ranked-date codec's version: part of the ranking's cache key


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


def encode_day(day: RankedDay) -> bytes:
    """A ranked date as bytes: its papers named by id in rank order, each with what ranking
    found, then the highlights and every topic's section as places in that order (so decoding
    sorts nothing). :func:`decode_day` rejoins them with the date's papers."""
    rows = [
        (s.paper.id, s.score, s.topic, s.topics, s.matched, s.highlight, s.tldr, s.title_marks,
         s.abstract_marks, s.related)
        for s in day.papers
    ]  # fmt: skip
    place = {id(s): i for i, s in enumerate(day.papers)}
    return orjson.dumps(
        {
            "rows": rows,
            "highlights": [place[id(s)] for s in day.highlights],
            "sections": {
                name: [place[id(s)] for s in papers] for name, papers in day.sections.items()
            },
            "unmatched": len(day.unmatched),
        }
    )


def decode_day(date: dt.date, papers: Sequence[Paper], data: bytes) -> RankedDay:
    """The :class:`RankedDay` :func:`encode_day` made, with the date's papers; ``ValueError``
    when they no longer match (or the bytes are from another codec)."""
    found = orjson.loads(data)
    if not isinstance(found, dict) or "sections" not in found:
        raise ValueError(f"{date}: a ranking in another format")
    by_id = {p.id: p for p in papers}
    final: list[ScoredPaper] = []
    for pid, score, topic, scores, matched, highlight, summary, tmarks, amarks, related in found[
        "rows"
    ]:
        paper = by_id.get(pid)
        if paper is None:
            raise ValueError(f"{date}: ranked paper {pid} is not in the store")
        scored = new_scored(
            paper=paper, score=score, topic=topic, topics=scores,
            matched={k: tuple(v) for k, v in matched.items()}, highlight=highlight,
            tldr=summary, title_marks=tuple(map(tuple, tmarks)),
            abstract_marks=tuple(map(tuple, amarks)), related=related,
        )  # fmt: skip
        final.append(scored)
    count = found["unmatched"]
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(final[i] for i in found["highlights"]),
        sections={name: tuple([final[i] for i in at]) for name, at in found["sections"].items()},
        unmatched=tuple(final[len(final) - count :]) if count else (),
    )


def day_matches(data: bytes) -> tuple[dict[str, int], list[str], set[tuple[str, str]]]:
    """What ``digest check`` needs of a ranked date, from :func:`encode_day` bytes without the
    papers: the papers each topic matched, the topic of each highlight, and every (topic,
    keyword) that matched a paper."""
    found = orjson.loads(data)
    rows = found["rows"]
    matched = {(topic, k) for row in rows for topic, ks in row[4].items() for k in ks}
    return (
        {name: len(at) for name, at in found["sections"].items()},
        [rows[i][2] for i in found["highlights"]],
        matched,
    )
