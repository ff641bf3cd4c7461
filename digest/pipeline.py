"""The stages strung together: what each CLI command calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from . import inputs
from .collect import Progress, collect, group_by_date, parse_sources
from .config import Config, SourceSpec
from .model import CollectReport, Paper, RankedDay, SourceStats
from .rank import Ranker, rank_days
from .store import Store


def source_bytes(specs: Sequence[SourceSpec], root: Path) -> int:
    """The total size of the sources' files (for a progress bar); unreadable ones count 0."""
    total = 0
    for spec in specs:
        try:
            total += inputs.size_of(inputs.expand(spec.path, root))
        except Exception:
            continue
    return total


def specs_for_paths(
    paths: Sequence[str], fmt: str | None = None, date: dt.date | None = None
) -> list[SourceSpec]:
    """Source specs for files named on the command line: one source per argument, named after
    the file."""
    specs = []
    for path in paths:
        name = Path(path).stem if not any(c in path for c in "*?[") else Path(path).parent.name
        specs.append(SourceSpec(name=name, path=path, format=fmt, date=date))
    return specs


def parse(
    paths: Sequence[str],
    today: dt.date,
    date: dt.date | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
) -> tuple[list[Paper], list[SourceStats]]:
    """Read files without touching the store (``digest parse``)."""
    return parse_sources(specs_for_paths(paths, fmt), Path.cwd(), today, date, progress)


def run_collect(
    config: Config, today: dt.date, date: dt.date | None = None, progress: Progress | None = None
) -> CollectReport:
    with Store(config.store) as store:
        return collect(config, store, today, date, progress)


def list_dates(config: Config) -> list[tuple[dt.date, int]]:
    with Store(config.store) as store:
        return store.dates()


def rank_sources(
    config: Config,
    paths: Sequence[str],
    today: dt.date,
    date: dt.date | None = None,
    fmt: str | None = None,
) -> tuple[list[RankedDay], list[SourceStats]]:
    """Rank files without touching the store (``digest rank SOURCE...``)."""
    papers, stats = parse(paths, today, date, fmt)
    ranker = Ranker.compile(config.topics)
    return rank_days(group_by_date(papers), ranker, config.highlights, tldr_for="all"), stats


def rank_store(config: Config, date: dt.date | None = None) -> list[RankedDay]:
    """Rank the store's papers of ``date`` (default: of every date), each date on its own."""
    ranker = Ranker.compile(config.topics)
    with Store(config.store) as store:
        dates = [date] if date else [d for d, _ in store.dates()]
        days = {d: store.papers_on(d) for d in dates}
    return rank_days(days, ranker, config.highlights, tldr_for="all")
