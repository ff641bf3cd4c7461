"""What the store knows of each source: its runs (for the run report and the "quiet source"
warning), the input files read in full (not read again while unchanged), and, for URL sources,
the last fetch: validators for conditional GET, the newest and the last good copy."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from ..errors import StoreError
from ..model import SourceStats
from .base import Connection


class Sources(Connection):
    def record_source(self, stats: SourceStats) -> None:
        if self.run is None:
            raise StoreError("record_source outside a run")
        self.db.execute(
            "INSERT OR REPLACE INTO source_runs VALUES (?,?,?,?,?,?,?,?)",
            # an unchanged input not read again counts as read: re-reading it would have found
            # those papers, all already seen (so "nothing new for N runs" still adds up)
            (self.run, stats.name, stats.read + stats.unchanged_papers, stats.new,
             stats.seen + stats.unchanged_papers, stats.duplicates, stats.dropped,
             len(stats.errors)),
        )  # fmt: skip

    def inputs_read(self, source: str) -> dict[str, tuple[str, int]]:
        """The source's input files read in full by earlier collects: path -> (fingerprint,
        papers read from it)."""
        return {
            path: (fingerprint, papers)
            for path, fingerprint, papers in self.db.execute(
                "SELECT path, fingerprint, papers FROM inputs WHERE source = ?", (source,)
            )
        }

    def record_input(self, source: str, path: str, fingerprint: str, papers: int) -> None:
        """An input file read in full, without errors (inside collect's transaction)."""
        self.db.execute(
            "INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?)", (source, path, fingerprint, papers)
        )

    def recent_runs(self, source: str, limit: int = 100) -> list[tuple[int, int, str]]:
        """The source's latest runs, the newest first: (papers read, new, when it started)."""
        return self.db.execute(
            "SELECT s.read, s.new, r.started FROM source_runs s JOIN runs r ON r.id = s.run "
            "WHERE s.source = ? ORDER BY s.run DESC LIMIT ?",
            (source, limit),
        ).fetchall()

    def fetch_state(self, url: str) -> dict[str, Any] | None:
        self.db.row_factory = sqlite3.Row
        try:
            row = self.db.execute("SELECT * FROM fetches WHERE url = ?", (url,)).fetchone()
        finally:
            self.db.row_factory = None
        return dict(row) if row else None

    def record_fetch(
        self,
        url: str,
        source: str,
        status: str,
        *,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        copy: str | None = None,
        size: int = 0,
        pages: int = 0,
    ) -> None:
        """The outcome of one fetch. A failure keeps the validators and the copy of the last
        success; a 304 keeps the copy and takes any validators the server sent anew."""
        checked = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.transaction():
            self.db.execute(
                "INSERT INTO fetches(url, source, checked, status, error, etag, last_modified, "
                "copy, size, pages) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET "
                "source = excluded.source, checked = excluded.checked, "
                "status = excluded.status, error = excluded.error, "
                "etag = CASE excluded.status WHEN 'fetched' THEN excluded.etag "
                "  WHEN 'unchanged' THEN coalesce(excluded.etag, etag) ELSE etag END, "
                "last_modified = CASE excluded.status WHEN 'fetched' THEN excluded.last_modified "
                "  WHEN 'unchanged' THEN coalesce(excluded.last_modified, last_modified) "
                "  ELSE last_modified END, "
                "copy = coalesce(excluded.copy, copy), "
                "size = CASE WHEN excluded.status = 'fetched' THEN excluded.size ELSE size END, "
                "pages = CASE WHEN excluded.status = 'fetched' THEN excluded.pages ELSE pages END",
                (url, source, checked, status, error, etag, last_modified, copy, size, pages),
            )

    def mark_good(self, url: str, copy: str) -> None:
        """``copy`` was read without errors: the fallback from now on (inside collect's
        transaction, so a collect that does not commit does not vouch for it)."""
        self.db.execute("UPDATE fetches SET good = ? WHERE url = ?", (copy, url))

    def last_source_runs(self) -> dict[str, tuple[str, int, int, int]]:
        """Per source name: (when its last collect ran, papers read, new, errors)."""
        return {
            source: (started, read, new, errors)
            for source, started, read, new, errors in self.db.execute(
                "SELECT s.source, r.started, s.read, s.new, s.errors FROM source_runs s "
                "JOIN runs r ON r.id = s.run WHERE s.run = "
                "(SELECT max(run) FROM source_runs t WHERE t.source = s.source)"
            )
        }
