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

import contextlib
import datetime as dt
import gc
import itertools
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import orjson

from .config import Highlights
from .keywords import FEW_PAPERS, Matcher
from .model import Paper, RankedDay, ScoredPaper, Topic
from .tldr import tldr

TITLE = 2.0  # a title mention counts this many abstract mentions
K1 = 3.0  # saturation: 1 mention -> 1.0, 2 -> 1.6, 5 -> 2.5, never more than 4 (chosen by measurement)
IDF_FLOOR = 0.5  # a keyword in every paper of the day still counts half (chosen by measurement)
THOUSANDTHS = 10**15  # above any score in thousandths: sort keys stay positive
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
    alone: Mapping[int, tuple[str]]  # keyword -> (its text,): what a topic matched by it alone

    @classmethod
    def compile(
        cls, topics: Sequence[Topic], matcher: Matcher | None = None, papers: int | None = None
    ) -> Ranker:
        """``matcher``: one already compiled over (at least) these topics' keywords;
        ``papers``: how many papers it will rank, when known (few are ranked sooner by a
        matcher that is quicker to build, see :data:`FEW_PAPERS`)."""
        few = papers is not None and papers < FEW_PAPERS
        keywords = [k for t in topics for k in (*t.keywords, *t.exclude)]
        matcher = matcher or Matcher(keywords, few)
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
            {k: (text,) for k, text in enumerate(matcher.texts)},
        )

    def only(self, names: Sequence[str]) -> Ranker:
        """The ranker of some of the topics, on the same compiled matcher (a keyword's weight
        depends on that keyword alone, so the scores are those of a ranker compiled anew)."""
        return Ranker.compile([t for t in self.topics if t.name in names], self.matcher)


class _Saturation(dict[int, float]):
    """tf -> factor * sat(tf), each value computed once: ``sat(tf) = tf * (K1 + 1) / (tf + K1)``."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def __missing__(self, tf: int) -> float:
        value = self[tf] = self.factor * (tf * (K1 + 1) / (tf + K1))
        return value


_SAT = _Saturation(1.0)
_TITLE_SAT = _Saturation(TITLE)


@contextlib.contextmanager
def _without_gc() -> Iterator[None]:
    """Ranking makes many small containers and no reference cycles, so the cyclic collector
    finds nothing; but each of its passes walks the heap, which holds every paper: at 100k
    papers it took a third of the ranking time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    with _without_gc():
        return _rank_day(date, papers, ranker, rules, tldr_for, marks_for)


def _rank_day(
    date: dt.date,
    papers: Sequence[Paper],
    ranker: Ranker,
    rules: Highlights,
    tldr_for: str,
    marks_for: str,
) -> RankedDay:
    matcher = ranker.matcher
    count_pair = matcher.count_pair
    title_sat, sat = _TITLE_SAT, _SAT
    # Each paper's keywords, with the weight of their mentions before idf:
    # TITLE * sat(tf in the title) + sat(tf in the abstract).
    hits: list[dict[int, float]] = []
    for paper in papers:
        in_title, in_abstract = count_pair(paper.title, paper.abstract)
        if in_title:
            found = {k: title_sat[tf] for k, tf in in_title.items()}
            for k, tf in in_abstract.items():
                found[k] = found[k] + sat[tf] if k in found else sat[tf]
        else:
            found = {k: sat[tf] for k, tf in in_abstract.items()}
        hits.append(found)
    n = len(papers)
    df = Counter(itertools.chain.from_iterable(hits))  # papers each keyword is in
    top_idf = math.log(1 + (n - 1 + 0.5) / 1.5) if n > 1 else 1.0
    idf = {
        k: IDF_FLOOR
        + (1 - IDF_FLOOR) * (math.log(1 + (n - d + 0.5) / (d + 0.5)) / top_idf if n > 1 else 1.0)
        for k, d in df.items()
    }

    # Ties break by upvotes, then id: each paper's place in that order, so that a sort key is
    # one integer, (score in thousandths, place), for the day's order and each topic's.
    places = sorted(range(n), key=[(-p.upvotes, p.id) for p in papers].__getitem__)
    place = [0] * n
    for position, i in enumerate(places):
        place[i] = position
    names = [t.name for t in ranker.topics]
    weights = [t.weight for t in ranker.topics]
    uses, vetoes, texts, order = ranker.uses, ranker.vetoes, matcher.texts, ranker.order
    veto_words = frozenset(vetoes)
    alone = ranker.alone
    new = ScoredPaper.fast
    scored: list[ScoredPaper] = []
    keys: list[int] = []
    sections: list[list[int]] = [[] for _ in names]
    unmatched = 0  # papers no topic matched: they sort last
    last = THOUSANDTHS * n  # sort keys: (THOUSANDTHS - score in thousandths) * n + place
    for paper, found, at in zip(papers, hits, place, strict=True):
        if not found:
            scored.append(new(paper, 0.0, None, {}, {}, False, None, (), ()))
            keys.append(last + at)
            unmatched += 1
            continue
        vetoed = (
            {t for k in found if k in vetoes for t in vetoes[k]}
            if veto_words and not veto_words.isdisjoint(found)
            else None
        )
        totals: dict[int, float] = {}
        words: dict[int, list[int]] = {}
        for k in sorted(found):
            if k not in uses:
                continue  # an exclusion only
            contribution = idf[k] * found[k]
            for t in uses[k]:
                if vetoed is not None and t in vetoed:
                    continue
                if t in totals:
                    totals[t] += contribution
                    words[t].append(k)
                else:
                    totals[t] = contribution
                    words[t] = [k]
        topic_scores: dict[str, float] = {}
        matched: dict[str, tuple[str, ...]] = {}
        best, best_milli = None, 0
        base = last + at
        for t in sorted(totals):
            milli = int(totals[t] * weights[t] * 1000 + 0.5)  # the score in thousandths
            if milli > 0:
                name = names[t]
                topic_scores[name] = milli / 1000
                ks = words[t]
                if len(ks) == 1:
                    matched[name] = alone[ks[0]]
                else:
                    ks.sort(key=order[t].__getitem__)
                    matched[name] = tuple([texts[k] for k in ks])
                sections[t].append(base - milli * n)
                if milli > best_milli:
                    best, best_milli = name, milli
        scored.append(
            new(paper, best_milli / 1000, best, topic_scores, matched, False, None, (), ())
        )
        unmatched += not topic_scores
        keys.append(base - best_milli * n)

    order = sorted(keys)
    by_key = dict(zip(keys, scored, strict=True))
    final = [by_key[key] for key in order]
    chosen = _pick_highlights(final, rules)
    if tldr_for in ("matched", "all") or marks_for in ("matched", "all"):
        picked = set(chosen)
        final = [
            _finish(s, at in picked, tldr_for, marks_for, matcher) for at, s in enumerate(final)
        ]
    else:  # only the highlights change
        for at in chosen:
            final[at] = _finish(final[at], True, tldr_for, marks_for, matcher)
    by_place: list[ScoredPaper] = final[:1] * n
    for s, key in zip(final, order, strict=True):
        by_place[key % n] = s
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(final[at] for at in chosen),
        sections={
            name: tuple([by_place[key % n] for key in sorted(section)])
            for name, section in zip(names, sections, strict=True)
        },
        unmatched=tuple(final[len(final) - unmatched :]) if unmatched else (),
    )


def _sort_key(item: tuple[float, ScoredPaper]) -> tuple[float, int, str]:
    score, scored = item
    return (-score, -scored.paper.upvotes, scored.paper.id)


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


def _pick_highlights(ordered: Sequence[ScoredPaper], rules: Highlights) -> list[int]:
    """The top ``total`` papers at or above ``min_score``, each under its best topic, at most
    ``per_topic`` from one topic; ``ordered`` is already in rank order (ties broken). Their
    places in ``ordered``."""
    chosen: list[int] = []
    per_topic: dict[str, int] = {}
    for at, s in enumerate(ordered):
        if len(chosen) >= rules.total or s.score < rules.min_score:
            break
        if s.topic is None or per_topic.get(s.topic, 0) >= rules.per_topic:
            continue
        per_topic[s.topic] = per_topic.get(s.topic, 0) + 1
        chosen.append(at)
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
    if s.matched and _wanted(marks_for, s, highlight):
        index = matcher.index
        keywords = {index[k] for ks in s.matched.values() for k in ks}
        title_marks = tuple(matcher.spans(s.paper.title, keywords))
        abstract_marks = tuple(matcher.spans(s.paper.abstract, keywords))
    summary = tldr(s.paper.abstract, abstract_marks) if _wanted(tldr_for, s, highlight) else None
    return replace(
        s, highlight=highlight, tldr=summary, title_marks=title_marks, abstract_marks=abstract_marks
    )


# -- many dates ------------------------------------------------------------------------------
#
# This process ranks dates too: it takes chunks of dates from the front while worker processes
# take them from the back, so two cores give two rankers (not one ranker and a process waiting
# for results). Where processes fork, the workers inherit the compiled ranker and the dates'
# papers (no pickling) and send back only scores, each paper named by its position; elsewhere
# the papers go with each chunk and each worker compiles the topics once.

_WORKER: tuple[Ranker, list[tuple[dt.date, list[Paper]]]] | None = None

Packed = tuple[dt.date, list[tuple[int, float, str | None, dict[str, float], dict[str, tuple[str, ...]],
                                   bool, str | None, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]],
               list[int], dict[str, list[int]], int]  # fmt: skip


def _init_worker(ranker: Ranker, items: list[tuple[dt.date, list[Paper]]]) -> None:
    global _WORKER
    _WORKER = (ranker, items)


def _pack(day: RankedDay, papers: Sequence[Paper]) -> Packed:
    """A ranked date in plain data: each paper named by its place in ``papers``; highlights and
    sections by their rows' places (no sorting again on the way back)."""
    where = {id(p): i for i, p in enumerate(papers)}
    rows = [
        (where[id(s.paper)], s.score, s.topic, dict(s.topics), dict(s.matched), s.highlight, s.tldr,
         s.title_marks, s.abstract_marks)
        for s in day.papers
    ]  # fmt: skip
    row_of = {id(s): r for r, s in enumerate(day.papers)}
    return (
        day.date,
        rows,
        [row_of[id(h)] for h in day.highlights],
        {name: [row_of[id(s)] for s in section] for name, section in day.sections.items()},
        len(day.unmatched),
    )


def _unpack(packed: Packed, papers: Sequence[Paper]) -> RankedDay:
    date, rows, highlights, sections, unmatched = packed
    new = ScoredPaper.fast
    final = [new(papers[i], *rest) for i, *rest in rows]
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(final[r] for r in highlights),
        sections={name: tuple([final[r] for r in section]) for name, section in sections.items()},
        unmatched=tuple(final[len(final) - unmatched :]) if unmatched else (),
    )


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
    new = ScoredPaper.fast
    for pid, score, topic, scores, matched, highlight, summary, tmarks, amarks in found["rows"]:
        paper = by_id.get(pid)
        if paper is None:
            raise ValueError(f"{date}: ranked paper {pid} is not in the store")
        scored[pid] = new(
            paper, score, topic, scores, {k: tuple(v) for k, v in matched.items()}, highlight,
            summary, tuple(map(tuple, tmarks)), tuple(map(tuple, amarks)),
        )  # fmt: skip
    final = list(scored.values())
    return _day(date, final, [scored[i] for i in found["highlights"]], topics)


Options = tuple[Highlights, str, str]  # rules, tldr_for, marks_for


def _rank_shared(indices: range, options: Options) -> list[Packed]:
    """A chunk of the inherited dates, by position."""
    assert _WORKER is not None
    ranker, items = _WORKER
    with _without_gc():
        return [_pack(rank_day(*items[i], ranker, *options), items[i][1]) for i in indices]


def _rank_sent(chunk: list[tuple[dt.date, list[Paper]]], options: Options) -> list[Packed]:
    """A chunk of dates sent with their papers."""
    assert _WORKER is not None
    ranker = _WORKER[0]
    with _without_gc():
        return [_pack(rank_day(date, papers, ranker, *options), papers) for date, papers in chunk]


def rank_days(
    days: Mapping[dt.date, Sequence[Paper]] | Iterable[tuple[dt.date, Sequence[Paper]]],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    tldr_for: str = "matched",
    workers: int | None = None,
    marks_for: str = "matched",
) -> list[RankedDay]:
    """Rank many dates, in date order. Large inputs are spread over ``workers`` processes, this
    one included (default: one per core; each date is independent); ``workers=1`` keeps
    everything in this process."""
    with _without_gc():
        items = [(d, list(p)) for d, p in (days.items() if isinstance(days, Mapping) else days)]
        total = sum(len(p) for _, p in items)
        workers = workers or min(os.cpu_count() or 1, max(1, len(items)))
        if workers <= 1 or total < PARALLEL_MIN_PAPERS or len(items) < 2:
            return [rank_day(d, p, ranker, rules, tldr_for, marks_for) for d, p in items]
        return _rank_spread(items, ranker, (rules, tldr_for, marks_for), workers)


def _rank_spread(
    items: list[tuple[dt.date, list[Paper]]], ranker: Ranker, options: Options, workers: int
) -> list[RankedDay]:
    # imported here: a run that ranks a few dates (a daily build) stays in this process
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor, as_completed

    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    ranked: list[RankedDay | None] = [None] * len(items)
    # dates not yet taken: this process takes them from the front, workers from the back
    first, end = 0, len(items)
    helpers = workers - 1

    def portion() -> int:  # smaller as fewer dates are left, so that nobody waits long at the end
        return max(1, (end - first) // (workers * 4))

    # Where processes fork, the workers inherit the compiled ranker; elsewhere it is pickled
    # (its matcher as its keywords, compiled again once per worker).
    with ProcessPoolExecutor(
        helpers, context, _init_worker, (ranker, items if fork else [])
    ) as pool:
        running: dict[Future[list[Packed]], range] = {}

        def give() -> None:  # keep every worker busy, with one portion queued behind
            nonlocal end
            while first < end and len(running) < 2 * helpers:
                chunk = range(end - portion(), end)
                end = chunk.start
                if fork:
                    running[pool.submit(_rank_shared, chunk, options)] = chunk
                else:
                    sent = [items[i] for i in chunk]
                    running[pool.submit(_rank_sent, sent, options)] = chunk

        def receive(future: Future[list[Packed]]) -> None:
            for packed, i in zip(future.result(), running.pop(future), strict=True):
                ranked[i] = _unpack(packed, items[i][1])

        give()
        while first < end:
            chunk = range(first, first + portion())
            first = chunk.stop
            for i in chunk:
                ranked[i] = rank_day(*items[i], ranker, *options)
            for future in [f for f in running if f.done()]:
                receive(future)
            give()
        for future in as_completed(list(running)):
            receive(future)
    return ranked  # type: ignore[return-value]  # every date ranked by now
