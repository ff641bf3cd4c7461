"""Rank: each date's papers scored against the topics, the highlights picked, a TL;DR each.

Pure functions over model objects (no store, no sources, no disk), so dates can be ranked on
other processes. The score, for a paper and a topic (see the README for how it was chosen):

    score(topic) = weight * sum over the topic's keywords k that match of
                   idf(k) * (TITLE * sat(tf_title(k)) + sat(tf_abstract(k)))

    sat(tf) = tf * (K1 + 1) / (tf + K1)                  repeated mentions saturate
    idf(k)  = F + (1 - F) * bm25_idf(df(k)) / bm25_idf(1)  1 for a keyword in one paper of the
                                                         day, F = 0.5 for one in every paper
    bm25_idf(n) = ln(1 + (N - n + 0.5) / (n + 0.5))      N papers that day, df: how many match k

A match of an exclusion vetoes the topic for that paper (score 0). A paper's score is its best
topic's. Ties break by upvotes (when a source gives them), then by id: deterministic.
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import orjson

from .config import Highlights
from .keywords import Matcher
from .model import Paper, RankedDay, ScoredPaper, Topic
from .tldr import tldr

TITLE = 2.0  # a title mention counts this many abstract mentions
K1 = 3.0  # saturation: 1 mention -> 1.0, 2 -> 1.6, 5 -> 2.5, never more than 4 (chosen by measurement)
IDF_FLOOR = 0.5  # a keyword in every paper of the day still counts half (chosen by measurement)
PARALLEL_MIN_PAPERS = 20_000  # below this, one process is faster than starting others
DEFAULT_RULES = Highlights()


@dataclass(frozen=True)
class Ranker:
    """Topics compiled once per config: a matcher over every keyword and exclusion, and for each
    keyword the topics it counts for (``uses``) or vetoes (``vetoes``)."""

    topics: tuple[Topic, ...]
    matcher: Matcher
    uses: Mapping[int, tuple[int, ...]]
    vetoes: Mapping[int, tuple[int, ...]]
    order: tuple[Mapping[int, int], ...]  # per topic: keyword -> its place in the config

    @classmethod
    def compile(cls, topics: Sequence[Topic], matcher: Matcher | None = None) -> Ranker:
        """``matcher``: one already compiled over (at least) these topics' keywords."""
        matcher = matcher or Matcher([k for t in topics for k in (*t.keywords, *t.exclude)])
        uses: dict[int, list[int]] = {}
        vetoes: dict[int, list[int]] = {}
        order = []
        for t, topic in enumerate(topics):
            ids = [matcher.index[k.strip()] for k in topic.keywords]
            order.append({k: place for place, k in reversed(list(enumerate(ids)))})
            for k in dict.fromkeys(ids):
                uses.setdefault(k, []).append(t)
            for k in dict.fromkeys(matcher.index[k.strip()] for k in topic.exclude):
                vetoes.setdefault(k, []).append(t)
        return cls(
            tuple(topics),
            matcher,
            {k: tuple(v) for k, v in uses.items()},
            {k: tuple(v) for k, v in vetoes.items()},
            tuple(order),
        )

    def only(self, names: Sequence[str]) -> Ranker:
        """The ranker of some of the topics, on the same compiled matcher (a keyword's weight
        depends on that keyword alone, so the scores are those of a ranker compiled anew)."""
        return Ranker.compile([t for t in self.topics if t.name in names], self.matcher)


def _sat(tf: int) -> float:
    return tf * (K1 + 1) / (tf + K1) if tf else 0.0


def _sort_key(item: tuple[float, ScoredPaper]) -> tuple[float, int, str]:
    score, scored = item
    return (-score, -scored.upvotes, scored.paper.id)


def rank_day(
    date: dt.date,
    papers: Sequence[Paper],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    tldr_for: str = "matched",
    marks_for: str = "matched",
) -> RankedDay:
    """Score one date's papers. ``tldr_for`` and ``marks_for`` (the spans of matched keywords,
    for bolding): ``"matched"`` (every paper a topic matched), ``"highlights"`` or ``"all"``
    (``marks_for`` also ``"none"``)."""
    matcher = ranker.matcher
    counts = [(matcher.count(p.title), matcher.count(p.abstract)) for p in papers]
    n = len(papers)
    df: dict[int, int] = {}
    for title_counts, abstract_counts in counts:
        for k in title_counts.keys() | abstract_counts.keys():
            df[k] = df.get(k, 0) + 1
    top_idf = math.log(1 + (n - 1 + 0.5) / 1.5) if n > 1 else 1.0
    idf = {
        k: IDF_FLOOR
        + (1 - IDF_FLOOR) * (math.log(1 + (n - d + 0.5) / (d + 0.5)) / top_idf if n > 1 else 1.0)
        for k, d in df.items()
    }

    names = [t.name for t in ranker.topics]
    weights = [t.weight for t in ranker.topics]
    uses, vetoes, texts = ranker.uses, ranker.vetoes, matcher.texts
    scored: list[ScoredPaper] = []
    for paper, (title_counts, abstract_counts) in zip(papers, counts, strict=True):
        if not title_counts and not abstract_counts:
            scored.append(ScoredPaper(paper))
            continue
        hits = sorted(title_counts.keys() | abstract_counts.keys())
        vetoed = {t for k in hits if k in vetoes for t in vetoes[k]}
        totals: dict[int, float] = {}
        words: dict[int, list[int]] = {}
        marks: list[int] = []
        for k in hits:
            if k not in uses:
                continue
            contribution = idf[k] * (
                TITLE * _sat(title_counts.get(k, 0)) + _sat(abstract_counts.get(k, 0))
            )
            for t in uses[k]:
                if t not in vetoed:
                    totals[t] = totals.get(t, 0.0) + contribution
                    words.setdefault(t, []).append(k)
                    if not marks or marks[-1] != k:
                        marks.append(k)
        topic_scores: dict[str, float] = {}
        matched: dict[str, tuple[str, ...]] = {}
        best, best_score = None, 0.0
        for t in sorted(totals):
            value = round(totals[t] * weights[t], 3)
            if value > 0:
                topic_scores[names[t]] = value
                matched[names[t]] = tuple(
                    texts[k] for k in sorted(words[t], key=ranker.order[t].__getitem__)
                )
                if value > best_score:
                    best, best_score = names[t], value
        scored.append(
            ScoredPaper(paper, best_score, best, topic_scores, matched, marks=tuple(marks))
        )

    ordered = sorted(scored, key=lambda s: _sort_key((s.score, s)))
    chosen = _pick_highlights(ordered, rules)
    picked = set(chosen)
    final = [_finish(s, s.paper.id in picked, tldr_for, marks_for, matcher) for s in ordered]
    by_id = {s.paper.id: s for s in final}
    return _day(date, final, [by_id[i] for i in chosen], names)


def _day(
    date: dt.date, final: list[ScoredPaper], highlights: list[ScoredPaper], names: Sequence[str]
) -> RankedDay:
    """A RankedDay from its papers in rank order: each topic's section by that topic's score."""
    grouped: dict[str, list[tuple[float, ScoredPaper]]] = {name: [] for name in names}
    for s in final:
        for name, value in s.topics.items():
            grouped[name].append((value, s))
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(highlights),
        sections={
            name: tuple(s for _, s in sorted(g, key=_sort_key)) for name, g in grouped.items()
        },
        unmatched=tuple(s for s in final if not s.topics),
    )


def _pick_highlights(ordered: Sequence[ScoredPaper], rules: Highlights) -> list[str]:
    """The top ``total`` papers at or above ``min_score``, each under its best topic, at most
    ``per_topic`` from one topic; ``ordered`` is already in rank order (ties broken)."""
    chosen: list[str] = []
    per_topic: dict[str, int] = {}
    for s in ordered:
        if len(chosen) >= rules.total or s.score < rules.min_score:
            break
        if s.topic is None or per_topic.get(s.topic, 0) >= rules.per_topic:
            continue
        per_topic[s.topic] = per_topic.get(s.topic, 0) + 1
        chosen.append(s.paper.id)
    return chosen


def _wanted(which: str, scored: ScoredPaper, highlight: bool) -> bool:
    return (
        which == "all"
        or (which == "matched" and bool(scored.topics))
        or (which != "none" and highlight)
    )


def _finish(
    s: ScoredPaper, highlight: bool, tldr_for: str, marks_for: str, matcher: Matcher
) -> ScoredPaper:
    if not highlight and not _wanted(tldr_for, s, False) and not _wanted(marks_for, s, False):
        return s
    title_marks: tuple[tuple[int, int], ...] = ()
    abstract_marks: tuple[tuple[int, int], ...] = ()
    if s.marks and _wanted(marks_for, s, highlight):
        title_marks = tuple(matcher.spans(s.paper.title, s.marks))
        abstract_marks = tuple(matcher.spans(s.paper.abstract, s.marks))
    summary = tldr(s.paper.abstract, abstract_marks) if _wanted(tldr_for, s, highlight) else None
    return replace(
        s, highlight=highlight, tldr=summary, title_marks=title_marks, abstract_marks=abstract_marks
    )


# -- many dates ------------------------------------------------------------------------------
#
# Each worker process compiles the topics once. Where processes fork, the dates' papers reach
# the workers by inheritance (no pickling) and only scores come back, each paper named by its
# position; elsewhere the papers are sent along with each job.

_WORKER: tuple[Ranker, list[tuple[dt.date, list[Paper]]]] | None = None

Packed = tuple[dt.date, list[tuple[int, float, str | None, dict[str, float], dict[str, tuple[str, ...]],
                                   bool, str | None, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]],
               list[int]]  # fmt: skip


def _init_worker(topics: tuple[Topic, ...], items: list[tuple[dt.date, list[Paper]]]) -> None:
    global _WORKER
    _WORKER = (Ranker.compile(topics), items)


def _pack(day: RankedDay, papers: Sequence[Paper]) -> Packed:
    where = {id(p): i for i, p in enumerate(papers)}
    rows = [
        (where[id(s.paper)], s.score, s.topic, dict(s.topics), dict(s.matched), s.highlight, s.tldr,
         s.title_marks, s.abstract_marks)
        for s in day.papers
    ]  # fmt: skip
    return day.date, rows, [where[id(h.paper)] for h in day.highlights]


def _unpack(packed: Packed, papers: Sequence[Paper], topics: Sequence[Topic]) -> RankedDay:
    date, rows, highlights = packed
    scored = {i: ScoredPaper(papers[i], *rest) for i, *rest in rows}
    final = [scored[row[0]] for row in rows]
    return _day(date, final, [scored[i] for i in highlights], [t.name for t in topics])


def encode_day(day: RankedDay) -> bytes:
    """A ranked date as bytes for the store (papers named by id; :func:`decode_day` rejoins)."""
    rows = [
        (s.paper.id, s.score, s.topic, s.topics, s.matched, s.highlight, s.tldr, s.title_marks,
         s.abstract_marks)
        for s in day.papers
    ]  # fmt: skip
    return orjson.dumps({"rows": rows, "highlights": [h.paper.id for h in day.highlights]})


def decode_day(
    date: dt.date, papers: Sequence[Paper], data: bytes, topics: Sequence[str]
) -> RankedDay:
    """The RankedDay :func:`encode_day` stored, with the date's papers; ``ValueError`` when the
    papers no longer match."""
    found = orjson.loads(data)
    by_id = {p.id: p for p in papers}
    scored: dict[str, ScoredPaper] = {}
    for pid, score, topic, scores, matched, highlight, summary, tmarks, amarks in found["rows"]:
        paper = by_id.get(pid)
        if paper is None:
            raise ValueError(f"{date}: ranked paper {pid} is not in the store")
        scored[pid] = ScoredPaper(
            paper, score, topic, scores, {k: tuple(v) for k, v in matched.items()}, highlight,
            summary, tuple(map(tuple, tmarks)), tuple(map(tuple, amarks)),
        )  # fmt: skip
    final = list(scored.values())
    return _day(date, final, [scored[i] for i in found["highlights"]], topics)


def _rank_shared(args: tuple[int, Highlights, str, str]) -> Packed:
    assert _WORKER is not None
    ranker, items = _WORKER
    index, rules, tldr_for, marks_for = args
    date, papers = items[index]
    return _pack(rank_day(date, papers, ranker, rules, tldr_for, marks_for), papers)


def _rank_sent(args: tuple[dt.date, list[Paper], Highlights, str, str]) -> Packed:
    assert _WORKER is not None
    date, papers, rules, tldr_for, marks_for = args
    return _pack(rank_day(date, papers, _WORKER[0], rules, tldr_for, marks_for), papers)


def rank_days(
    days: Mapping[dt.date, Sequence[Paper]] | Iterable[tuple[dt.date, Sequence[Paper]]],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    tldr_for: str = "matched",
    workers: int | None = None,
    marks_for: str = "matched",
) -> list[RankedDay]:
    """Rank many dates, in date order. Large inputs are spread over the machine's cores (each
    date is independent); ``workers=1`` keeps everything in this process."""
    items = [(d, list(p)) for d, p in (days.items() if isinstance(days, Mapping) else days)]
    total = sum(len(p) for _, p in items)
    workers = workers or min(os.cpu_count() or 1, max(1, len(items)))
    if workers <= 1 or total < PARALLEL_MIN_PAPERS:
        return [rank_day(d, p, ranker, rules, tldr_for, marks_for) for d, p in items]
    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else None)
    chunk = max(1, len(items) // (workers * 8))
    shared = items if fork else []
    with ProcessPoolExecutor(workers, context, _init_worker, (ranker.topics, shared)) as pool:
        if fork:
            jobs: Iterable[Packed] = pool.map(
                _rank_shared,
                [(i, rules, tldr_for, marks_for) for i in range(len(items))],
                chunksize=chunk,
            )
        else:
            jobs = pool.map(
                _rank_sent, [(d, p, rules, tldr_for, marks_for) for d, p in items], chunksize=chunk
            )
        return [
            _unpack(packed, papers, ranker.topics)
            for packed, (_, papers) in zip(jobs, items, strict=True)
        ]
