"""What a build keeps of its rankings: every date ranked once, and again only when its papers,
the topics or the highlight rules changed. The rankings live in the store (as
:func:`digest.rows.encode_day` bytes, keyed by what they were made from); this module reaches it
only through :class:`RankedRows`, so ranking stays free of the store's code."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from .. import workers as process_map
from ..errors import StoreError
from ..model import Highlights, Paper, RankedDay, Ranking, Topic, cache_key
from ..rows import CODEC, decode_day, decode_shown
from ..version import __version__
from .history import Learned, profile_key
from .score import LINES, Detail, Ranker, date_batches, rank_days, rank_encoded_many
from .score import VERSION as SCORING_VERSION
from .tldr import VERSION as TLDR_VERSION

SAVE_EVERY = 64  # ranked dates saved per transaction

RankedRow = tuple[dt.date, str, int, int, bytes]  # date, key, papers, highlights, ranking


class RankedRows(Protocol):
    """The store's side of the cache."""

    def day_versions(self) -> dict[dt.date, tuple[int, int]]: ...
    def ranked_keys(self) -> dict[dt.date, tuple[str, int, int]]: ...
    def ranked(self, date: dt.date) -> tuple[str, bytes] | None: ...
    def save_ranked(self, rows: Iterable[RankedRow]) -> None: ...
    def papers_on(self, date: dt.date) -> list[Paper]: ...
    def each_paper_on(self, date: dt.date) -> Iterator[Paper]: ...
    def papers_with(self, ids: Sequence[str]) -> Iterator[Paper]: ...


Progress = Callable[[int], None]


class RankCache:
    """The ranked dates of a store for a set of topics, ranking settings and highlight rules.
    ``reader`` opens the store again read-only: in a worker process, each its own connection.

    A date's ranking is kept while its papers, the topics (examples included, and what their
    example files hold: ``files``, :func:`~digest.examples.files_key`), the settings,
    the rules and the scoring (:data:`.score.VERSION`) are unchanged: the profiles a date was
    ranked with are those of the build that ranked it, so a store that grows re-ranks only its
    new dates."""

    def __init__(
        self,
        store: RankedRows,
        topics: Sequence[Topic],
        rules: Highlights,
        reader: Callable[[], RankedRows],
        settings: Ranking | None = None,
        learned: Learned | None = None,
        files: str = "",
    ) -> None:
        self.store = store
        self.topics = tuple(topics)
        self.rules = rules
        self.reader = reader
        self.settings = settings or Ranking()
        self.learned = learned or Learned()  # set before ranking (see pipeline.build)
        self.files = files
        self.base = cache_key(
            __version__, CODEC, TLDR_VERSION, SCORING_VERSION, self.topics, rules,
            profile_key(self.topics, self.settings, files),
        )  # fmt: skip
        self.versions = store.day_versions()
        self.ranked = store.ranked_keys()  # per date: (key, papers, highlights)

    def key(self, date: dt.date) -> str:
        """What a date's ranking is made from: its papers (their count and the run that last
        changed them), the topics and the rules."""
        return cache_key(self.base, self.versions[date])

    def stale(self, force: bool = False) -> list[dt.date]:
        """The dates whose ranking must be made (again), oldest first."""
        return [
            d for d in sorted(self.versions)
            if force or self.ranked.get(d, ("",))[0] != self.key(d)
        ]  # fmt: skip

    def refresh(
        self, dates: Sequence[dt.date], *, workers: int, progress: Progress | None = None
    ) -> None:
        """Rank ``dates`` (on ``workers`` processes when more than one), saving them as they
        come, a few dozen per transaction."""
        if not dates:
            return
        sizes = [self.versions[d][0] for d in dates]
        made = itertools.chain.from_iterable(
            process_map.ordered_map(
                _rank_stored, date_batches(dates, sizes),
                workers=workers, init=_open,
                initargs=(
                    self.reader, self.topics, self.rules, sum(sizes),
                    self.store if workers <= 1 else None, self.settings, self.learned,
                ),
            )
        )  # fmt: skip
        batch: list[RankedRow] = []
        for date, (count, highlights, data) in zip(dates, made, strict=True):
            batch.append((date, self.key(date), count, highlights, data))
            if len(batch) >= SAVE_EVERY:
                self.store.save_ranked(batch)
                batch = []
            if progress:
                progress(1)
        self.store.save_ranked(batch)
        self.ranked = self.store.ranked_keys()

    def load(self, date: dt.date) -> RankedDay:
        """A date's ranking as last made, with its papers from the store."""
        return load_ranked(self.store, date)


def load_ranked(store: RankedRows, date: dt.date, cap: int | None = None) -> RankedDay:
    """A date's ranking as a build last made it, with its papers from ``store``; with a
    ``cap``, as the outputs show it (:func:`digest.rows.decode_shown`): each section's best
    ``cap`` papers read, and every paper only if asked for."""
    found = store.ranked(date)
    if found is None:
        raise StoreError(f"{date}: not ranked")
    if cap is None:
        return decode_day(date, store.papers_on(date), found[1])
    return decode_shown(
        date, found[1], cap, store.papers_with, functools.partial(store.papers_on, date)
    )


_WORKER: tuple[RankedRows, Ranker, Highlights] | None = None


def _open(
    reader: Callable[[], RankedRows],
    topics: tuple[Topic, ...],
    rules: Highlights,
    papers: int,
    store: RankedRows | None,
    settings: Ranking,
    learned: Learned,
) -> None:
    """Set up a process to rank dates: its own store connection (``store`` in this process),
    the topics compiled for how many papers it may rank, with their profiles and papers to
    avoid."""
    global _WORKER
    ranker = Ranker.compile(
        topics, papers=papers, profiles=learned.profiles, settings=settings, avoid=learned.avoid
    )
    _WORKER = (store or reader(), ranker, rules)


def _rank_stored(dates: Sequence[dt.date]) -> list[tuple[int, int, bytes]]:
    """A batch of dates (:func:`~.score.batches`) ranked from the store, each on its own:
    (papers, highlights, the ranking encoded) a date. Their papers are read as ranking goes,
    not held (a date may have 100,000), the batch's together."""
    assert _WORKER is not None
    store, ranker, rules = _WORKER

    def reader(date: dt.date) -> Callable[[Sequence[str] | None], Iterable[Paper]]:
        def read(ids: Sequence[str] | None) -> Iterable[Paper]:
            return store.each_paper_on(date) if ids is None else store.papers_with(ids)

        return read

    return rank_encoded_many([(d, reader(d)) for d in dates], ranker, rules)


def stored_lines(
    reader: Callable[[], RankedRows],
    dates: Sequence[dt.date],
    topics: Sequence[Topic],
    rules: Highlights,
    settings: Ranking,
    learned: Learned,
    *,
    sizes: Sequence[int],
    form: str,
    workers: int | None = None,
) -> Iterator[bytes]:
    """The store's ``dates`` (of ``sizes`` papers) ranked (TL;DRs and keyword spans for the
    highlights), each as the lines ``digest rank`` prints (:data:`~digest.rank.score.LINES`),
    in date order. Each worker reads a batch of dates (:func:`~.score.batches`: one date, or
    small dates together) at a time from its own connection, so a whole store is ranked
    without holding it (``digest rank`` without ``--date`` loaded every paper first)."""
    parts = date_batches(dates, sizes)
    made = process_map.ordered_map(
        functools.partial(_lines_stored, form), parts,
        workers=process_map.count(len(dates), workers), init=_open,
        initargs=(reader, tuple(topics), rules, sum(sizes), None, settings, learned),
    )  # fmt: skip
    yield from itertools.chain.from_iterable(made)


def _lines_stored(form: str, dates: Sequence[dt.date]) -> list[bytes]:
    """A batch of the store's dates ranked, each as lines of ``form``."""
    assert _WORKER is not None
    store, ranker, rules = _WORKER
    days = rank_days(
        [(d, store.papers_on(d)) for d in dates], ranker, rules, tldrs=Detail.HIGHLIGHTS,
        marks=Detail.HIGHLIGHTS, workers=1,
    )  # fmt: skip
    return [LINES[form](day) for day in days]
