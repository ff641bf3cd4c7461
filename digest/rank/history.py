"""What the topics learn from the store: its term statistics, kept and counted on as it grows,
and the topics' profiles, learned once per build from the papers of the last
``ranking.history_days`` days and kept until the store or the topics change. This module
reaches the store only through :class:`HistoryRows`, so ranking stays free of the store's
code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

import orjson

from ..model import Paper, Ranking, Topic, cache_key
from .keywords import Matcher
from .profile import Profile, Profiles, Stems, TermStats, learn_all

CHUNK = 20_000  # papers counted per batch when the term statistics catch up
CODEC = 1  # the kept profiles' format


class HistoryRows(Protocol):
    """The store's side."""

    def dates(self) -> list[tuple[dt.date, int]]: ...
    def papers_between(self, first: dt.date, last: dt.date) -> list[Paper]: ...
    def texts_after(self, rowid: int) -> Iterator[tuple[int, str, str]]: ...
    def term_counts(self) -> tuple[int, int, int, dict[str, int]]: ...
    def add_term_counts(
        self, upto: int, papers: int, length: int, df: Mapping[str, int]
    ) -> None: ...
    def kept_profiles(self) -> tuple[str, bytes] | None: ...
    def keep_profiles(self, key: str, data: bytes) -> None: ...


def term_stats(store: HistoryRows) -> TermStats:
    """The store's term statistics, counted on over the papers stored since they were last
    counted (every paper once, as it was first stored)."""
    upto, papers, length, df = store.term_counts()
    stats = TermStats(papers, length)
    stats.df.update(df)
    stems = Stems()
    batch: list[tuple[str, str]] = []
    last = upto
    for rowid, title, abstract in store.texts_after(upto):
        batch.append((title, abstract))
        last = rowid
        if len(batch) >= CHUNK:
            _count(store, stats, batch, last, stems)
            batch = []
    if batch:
        _count(store, stats, batch, last, stems)
    return stats


def _count(
    store: HistoryRows, stats: TermStats, batch: list[tuple[str, str]], last: int, stems: Stems
) -> None:
    new = TermStats()
    new.add(batch, stems)
    store.add_term_counts(last, new.papers, new.length, new.df)
    stats.merge(new)


def profile_key(topics: Sequence[Topic], settings: Ranking) -> str:
    """What the profiles are learned from, besides the store's papers: the topics (their
    keywords, examples and papers to avoid) and the ranking settings."""
    return cache_key("profiles", CODEC, tuple(topics), settings)


def learn_from_store(
    store: HistoryRows,
    topics: Sequence[Topic],
    settings: Ranking,
    matcher: Matcher,
    examples: Mapping[str, Sequence[Paper]],
    avoid: Mapping[str, Sequence[Paper]],
) -> Profiles | None:
    """The topics' profiles, learned from the store's last ``history_days`` days (kept in the
    store, and learned again only when it or the topics changed); None when profiles are off
    or the store is empty."""
    if settings.profile <= 0 or not topics:
        return None
    dates = store.dates()
    if not dates:
        return None
    stats = term_stats(store)
    newest = dates[-1][0]
    key = cache_key(
        profile_key(topics, settings), stats.papers, newest,
        sorted((n, p.id) for n, ps in {**examples}.items() for p in ps),
        sorted((n, p.id) for n, ps in {**avoid}.items() for p in ps),
    )  # fmt: skip
    kept = store.kept_profiles()
    if kept is not None and kept[0] == key:
        return decode(kept[1])
    first = newest - dt.timedelta(days=settings.history_days - 1)
    history = store.papers_between(first, newest)
    profiles = learn_all(
        topics, history, matcher, stats, examples=examples, avoid=avoid,
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
        )
        for p in found["profiles"]
    ]
    vocabulary = {w: [x.encode("utf-8") for x in ws] for w, ws in found["vocabulary"].items()}
    return Profiles(profiles, vocabulary, found["average"])
