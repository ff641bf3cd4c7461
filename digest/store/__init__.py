"""The embedded SQLite store, the only code that reads or writes it: every paper with its
first-seen date and the sources that saw it, the runs, per-source statistics for the run report,
the fetch state of URL sources, and what builds keep (rankings, rendered files).

One file (default ``.digest/store.sqlite`` beside the config). Every collect is one transaction
(``BEGIN IMMEDIATE``), so a crash leaves the store as it was and two runs at once take turns
(a busy timeout) instead of corrupting it. The rollback journal, not WAL: a collect is one large
transaction of mostly new pages, which WAL would write twice (log, then checkpoint); readers
still see the previous state until the commit. ``synchronous = FULL`` keeps that journal safe
across a power cut, at the price of a few fsyncs per collect.
"""

from __future__ import annotations

from pathlib import Path

from .base import CACHE_MB, WRITE_CACHE_MB, Connection
from .builds import Builds
from .papers import Papers, paper_from_row
from .schema import SCHEMA_VERSION
from .sources import Sources

__all__ = ["CACHE_MB", "SCHEMA_VERSION", "WRITE_CACHE_MB", "Connection", "Store", "paper_from_row"]


class Store(Papers, Sources, Builds):
    """The store: papers (:class:`~.papers.Papers`), sources (:class:`~.sources.Sources`) and
    what builds keep (:class:`~.builds.Builds`) over one connection."""

    @classmethod
    def reader(cls, path: Path | str) -> Store:
        """A read-only connection (a worker process's, a look-up from another thread)."""
        return cls(path, read_only=True)

    def __enter__(self) -> Store:
        return self
