"""What the topics learn from the store: its term statistics, kept and counted on as it grows,
and the topics' profiles, learned once per build from the papers of the last
``ranking.history_days`` days and kept until the store or the topics change. This module
reaches the store only through :class:`HistoryRows`, so ranking stays free of the store's
code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from ..model import Paper, Ranking, Topic, cache_key
from .keywords import Matcher
from .profile import LEARNED, Profile, Profiles, Stems, TermStats, learn_all

SAMPLE = 50_000  # the term statistics count about this many of the store's papers at most
CHUNK = 10_000  # papers counted per transaction when the term statistics catch up
CODEC = 2  # the kept profiles' format


@dataclass(frozen=True)
class Learned:
    """What a ranker takes from the topics' examples and the store: the profiles (None: every
    topic ranks by its keywords and their words) and, per topic name, the ids of the papers to
    avoid (they never count for it, with or without a profile)."""

    profiles: Profiles | None = None
    avoid: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, profiles: Profiles | None, avoid: Mapping[str, Sequence[Paper]] | None = None
    ) -> Learned:
        return cls(profiles, {n: frozenset(p.id for p in ps) for n, ps in (avoid or {}).items()})


class HistoryRows(Protocol):
    """The store's side."""

    def dates(self) -> list[tuple[dt.date, int]]: ...
    def history(self, first: dt.date, last: dt.date) -> list[Paper]: ...
    def last_rowid(self) -> int: ...
    def texts_at(self, rowids: Sequence[int]) -> Iterator[tuple[str, str]]: ...
    def term_counts(self) -> tuple[dict[str, int], dict[str, int]]: ...
    def add_term_counts(self, numbers: Mapping[str, int], df: Mapping[str, int]) -> None: ...
    def kept_profiles(self) -> tuple[str, bytes] | None: ...
    def keep_profiles(self, key: str, data: bytes) -> None: ...


def term_stats(store: HistoryRows) -> TermStats:
    """The store's term statistics: document frequencies estimated from every ``stride``-th
    paper (in the order they were stored), so that about :data:`SAMPLE` papers at most are
    counted however large the store; counted once, kept in the store, and counted on over
    the papers stored since (at the same stride). An idf is the logarithm of a ratio: a
    sample of tens of thousands of papers gives it within a few per cent for any term that
    matters."""
    numbers, df = store.term_counts()
    stats = TermStats(numbers.get("papers", 0), numbers.get("length", 0))
    stats.df.update(df)
    upto, last = numbers.get("upto", 0), store.last_rowid()
    stride = numbers.get("stride") or max(1, -(-last // SAMPLE))
    if last <= upto:
        return stats
    rowids = range(upto + stride - upto % stride, last + 1, stride)
    stems = Stems()
    for start in range(0, len(rowids), CHUNK):
        new = TermStats()
        new.add(store.texts_at(rowids[start : start + CHUNK]), stems)
        stats.merge(new)
        numbers = {"upto": rowids[min(start + CHUNK, len(rowids)) - 1], "stride": stride}
        store.add_term_counts({**numbers, "papers": stats.papers, "length": stats.length}, new.df)
    store.add_term_counts({"upto": last, "stride": stride}, {})
    return stats


def learn_from_papers(
    papers: Sequence[Paper],
    topics: Sequence[Topic],
    settings: Ranking,
    matcher: Matcher,
    examples: Mapping[str, Sequence[Paper]],
    avoid: Mapping[str, Sequence[Paper]],
) -> Profiles | None:
    """The topics' profiles learned from the papers given (``digest rank FILES``: they are the
    history), as from a store: term statistics from about :data:`SAMPLE` of them, the
    profiles from those of the last ``history_days`` days. None when no topic learns one
    (:meth:`Ranking.learns`): nothing is counted then."""
    learners = learning(topics, settings)
    if not learners or not papers:
        return None
    stats = TermStats()
    stride = max(1, -(-len(papers) // SAMPLE))
    stats.add((p.title, p.abstract) for p in papers[::stride])
    newest = max(p.date for p in papers)
    history = [p for p in papers if (newest - p.date).days < settings.history_days]
    history.sort(key=lambda p: p.date)  # the latest confident papers count when there are many
    return learn_all(
        topics, history, matcher, stats, examples=examples, avoid=avoid, learners=learners,
        example_weight=settings.examples, avoid_weight=settings.avoid,
    )  # fmt: skip


def learning(topics: Sequence[Topic], settings: Ranking) -> list[str]:
    """The names of the topics that learn a profile: those with examples (or every topic, with
    ``ranking.learn``), none when ``ranking.profile`` is 0."""
    return [t.name for t in topics if settings.learns(t)]


def profile_key(topics: Sequence[Topic], settings: Ranking, files: str = "") -> str:
    """What the profiles are learned from, besides the store's papers: the topics (their
    keywords, examples and papers to avoid), what the example files hold (``files``: a key of
    their bytes) and the ranking settings."""
    return cache_key("profiles", LEARNED, CODEC, tuple(topics), settings, files)


def learn_from_store(
    store: HistoryRows,
    topics: Sequence[Topic],
    settings: Ranking,
    matcher: Matcher,
    examples: Mapping[str, Sequence[Paper]],
    avoid: Mapping[str, Sequence[Paper]],
    files: str = "",
) -> Profiles | None:
    """The topics' profiles, learned from the store's last ``history_days`` days (kept in the
    store, and learned again only when it, the topics or their example files (``files``)
    changed); None when no topic learns one (:meth:`Ranking.learns`: the store is not read
    then) or the store is empty."""
    learners = learning(topics, settings)
    if not learners:
        return None
    dates = store.dates()
    if not dates:
        return None
    stats = term_stats(store)
    newest = dates[-1][0]
    key = cache_key(
        profile_key(topics, settings, files), stats.papers, newest,
        sorted((n, p.id) for n, ps in {**examples}.items() for p in ps),
        sorted((n, p.id) for n, ps in {**avoid}.items() for p in ps),
    )  # fmt: skip
    kept = store.kept_profiles()
    if kept is not None and kept[0] == key:
        return decode(kept[1])
    first = newest - dt.timedelta(days=settings.history_days - 1)
    history = store.history(first, newest)
    profiles = learn_all(
        topics, history, matcher, stats, examples=examples, avoid=avoid, learners=learners,
        example_weight=settings.examples, avoid_weight=settings.avoid,
    )  # fmt: skip
    store.keep_profiles(key, encode(profiles))
    return profiles


def encode(profiles: Profiles) -> bytes:
    return orjson.dumps(
        {
            "average": profiles.average,
            "vocabulary": {
                w: [x.decode("utf-8", "replace") for x in ws]
                for w, ws in profiles.vocabulary.items()
            },
            "profiles": [
                None
                if p is None
                else {
                    "topic": p.topic,
                    "weights": p.weights,
                    "words": p.words,
                    "scale": p.scale,
                    "learned": p.learned,
                    "examples": [[t, sorted(ts)] for t, ts in p.examples],
                    "avoid": sorted(p.avoid),
                    "example_ids": sorted(p.example_ids),
                    "likes": [[t, like] for t, like in p.likes],
                    "like_lift": p.like_lift,
                }
                for p in profiles.profiles
            ],
        }
    )


def decode(data: bytes) -> Profiles:
    found = orjson.loads(data)
    profiles = [
        None
        if p is None
        else Profile(
            p["topic"],
            p["weights"],
            p["words"],
            p["scale"],
            p["learned"],
            tuple((t, frozenset(ts)) for t, ts in p["examples"]),
            frozenset(p["avoid"]),
            frozenset(p["example_ids"]),
            tuple((t, like) for t, like in p["likes"]),
            p["like_lift"],
        )
        for p in found["profiles"]
    ]
    vocabulary = {w: [x.encode("utf-8") for x in ws] for w, ws in found["vocabulary"].items()}
    return Profiles(profiles, vocabulary, found["average"])
