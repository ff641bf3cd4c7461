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
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

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
    """Topics compiled once per config: a matcher over every keyword and exclusion."""

    topics: tuple[Topic, ...]
    matcher: Matcher
    keyword_ids: tuple[tuple[int, ...], ...]  # per topic
    exclude_ids: tuple[tuple[int, ...], ...]  # per topic

    @classmethod
    def compile(cls, topics: Sequence[Topic]) -> Ranker:
        words = [k for t in topics for k in (*t.keywords, *t.exclude)]
        matcher = Matcher(words)
        return cls(
            tuple(topics),
            matcher,
            tuple(tuple(matcher.index[k.strip()] for k in t.keywords) for t in topics),
            tuple(tuple(matcher.index[k.strip()] for k in t.exclude) for t in topics),
        )


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
) -> RankedDay:
    """Score one date's papers. ``tldr_for``: ``"matched"`` (every paper a topic matched),
    ``"highlights"`` or ``"all"``."""
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

    scored: list[ScoredPaper] = []
    for paper, (title_counts, abstract_counts) in zip(papers, counts, strict=True):
        topic_scores: dict[str, float] = {}
        matched: dict[str, tuple[str, ...]] = {}
        hit: set[int] = set()
        for topic, keyword_ids, exclude_ids in zip(
            ranker.topics, ranker.keyword_ids, ranker.exclude_ids, strict=True
        ):
            if any(k in title_counts or k in abstract_counts for k in exclude_ids):
                continue
            total, words = 0.0, []
            for k in keyword_ids:
                tf_title, tf_abstract = title_counts.get(k, 0), abstract_counts.get(k, 0)
                if tf_title or tf_abstract:
                    total += idf[k] * (TITLE * _sat(tf_title) + _sat(tf_abstract))
                    words.append(matcher.texts[k])
                    hit.add(k)
            if total > 0:
                topic_scores[topic.name] = round(total * topic.weight, 3)
                matched[topic.name] = tuple(words)
        best = max(topic_scores, key=lambda name: topic_scores[name], default=None)
        marks = sorted(hit)
        scored.append(
            ScoredPaper(
                paper=paper,
                score=topic_scores[best] if best else 0.0,
                topic=best,
                topics=topic_scores,
                matched=matched,
                title_marks=tuple(matcher.spans(paper.title, marks)) if marks else (),
                abstract_marks=tuple(matcher.spans(paper.abstract, marks)) if marks else (),
            )
        )

    ordered = sorted(scored, key=lambda s: (-s.score, -s.upvotes, s.paper.id))
    chosen = _pick_highlights(ordered, rules)
    final = [_finish(s, s.paper.id in chosen, tldr_for) for s in ordered]
    by_id = {s.paper.id: s for s in final}
    sections = {
        t.name: tuple(
            s
            for _, s in sorted(
                ((s.topics[t.name], s) for s in final if t.name in s.topics), key=_sort_key
            )
        )
        for t in ranker.topics
    }
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(by_id[i] for i in chosen),
        sections=sections,
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


def _finish(s: ScoredPaper, highlight: bool, tldr_for: str) -> ScoredPaper:
    wants = tldr_for == "all" or (tldr_for == "matched" and s.topics) or highlight
    summary = tldr(s.paper.abstract, s.abstract_marks) if wants else None
    return ScoredPaper(
        s.paper,
        s.score,
        s.topic,
        s.topics,
        s.matched,
        highlight,
        summary,
        s.title_marks,
        s.abstract_marks,
    )


# -- many dates ------------------------------------------------------------------------------

_WORKER: Ranker | None = None


def _init_worker(topics: tuple[Topic, ...]) -> None:
    global _WORKER
    _WORKER = Ranker.compile(topics)


def _rank_in_worker(args: tuple[dt.date, list[Paper], Highlights, str]) -> RankedDay:
    assert _WORKER is not None
    date, papers, rules, tldr_for = args
    return rank_day(date, papers, _WORKER, rules, tldr_for)


def rank_days(
    days: Mapping[dt.date, Sequence[Paper]] | Iterable[tuple[dt.date, Sequence[Paper]]],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    tldr_for: str = "matched",
    workers: int | None = None,
) -> list[RankedDay]:
    """Rank many dates, in date order. Large inputs are spread over the machine's cores (each
    date is independent); ``workers=1`` keeps everything in this process."""
    items = list(days.items()) if isinstance(days, Mapping) else list(days)
    total = sum(len(p) for _, p in items)
    workers = workers or min(os.cpu_count() or 1, max(1, len(items)))
    if workers <= 1 or total < PARALLEL_MIN_PAPERS:
        return [rank_day(d, list(p), ranker, rules, tldr_for) for d, p in items]
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(ranker.topics,)) as pool:
        jobs = [(d, list(p), rules, tldr_for) for d, p in items]
        return list(pool.map(_rank_in_worker, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
