"""What builds keep in the store: each date's ranking, the files each date was rendered to, the
pieces of the pages that list many dates; each keyed by what it was made from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .base import Connection, iso_date


class Builds(Connection):
    def ranked(self, date: dt.date) -> tuple[str, bytes] | None:
        row = self.db.execute(
            "SELECT key, data FROM ranked WHERE date = ?", (date.isoformat(),)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def ranked_keys(self) -> dict[dt.date, tuple[str, int, int]]:
        """Per ranked date: (key, papers, highlights)."""
        return {
            iso_date(d): (k, n, h)
            for d, k, n, h in self.db.execute("SELECT date, key, papers, highlights FROM ranked")
        }

    def save_ranked(self, rows: Iterable[tuple[dt.date, str, int, int, bytes]]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO ranked VALUES (?, ?, ?, ?, ?)",
                [(d.isoformat(), k, n, h, data) for d, k, n, h, data in rows],
            )

    def kept_profiles(self) -> tuple[str, bytes] | None:
        """(key, data) of the topics' profiles the last build learned."""
        key, data = self.note("profiles.key"), self.note("profiles")
        return None if key is None or data is None else (key, data.encode())

    def keep_profiles(self, key: str, data: bytes) -> None:
        with self.transaction():
            self.set_note("profiles.key", key)
            self.set_note("profiles", data.decode())

    def rendered(self) -> dict[dt.date, tuple[str, bytes]]:
        """Per date: (key, files) of the date's files last rendered."""
        return self._dated("rendered")

    def rendered_summary(self) -> tuple[str, bytes] | None:
        """(key, files) of the pages and feeds that list many dates, as last rendered."""
        value = self.note("summary")
        if value is None:
            return None
        key, _, files = value.partition("\n")
        return key, files.encode()

    def save_rendered(
        self,
        rows: Iterable[tuple[dt.date, str, bytes]],
        dates: Iterable[dt.date],
        summary: tuple[str, bytes] | None = None,
    ) -> None:
        """Record (inside the caller's transaction) ``rows`` (date, key, files) of the dates
        rendered again, forget the dates not in ``dates`` (every date there is) and keep
        ``summary`` (key, files) of the files that list many dates."""
        self._save_dated("rendered", rows, dates)
        if summary is not None:
            self.set_note("summary", summary[0] + "\n" + summary[1].decode())

    def fragments(self) -> dict[dt.date, tuple[str, bytes]]:
        """Per date: (key, pieces) of the summary files' pieces last rendered for it."""
        return self._dated("fragments")

    def _dated(self, table: str) -> dict[dt.date, tuple[str, bytes]]:
        """The rows of ``table`` (rendered or fragments: date, key, data) by date."""
        return {iso_date(d): (k, data) for d, k, data in self.db.execute(f"SELECT * FROM {table}")}

    def save_fragments(
        self, rows: Iterable[tuple[dt.date, str, bytes]], keep: Iterable[dt.date]
    ) -> None:
        """Store (inside the caller's transaction) ``rows`` (date, key, pieces) and forget the
        pieces of dates not in ``keep``."""
        self._save_dated("fragments", rows, keep)

    def _save_dated(
        self, table: str, rows: Iterable[tuple[dt.date, str, bytes]], keep: Iterable[dt.date]
    ) -> None:
        """Upsert ``rows`` (date, key, data) into ``table`` (rendered or fragments: a row per
        date) and delete the rows of dates not in ``keep``."""
        kept = {d.isoformat() for d in keep}
        gone = [(d,) for (d,) in self.db.execute(f"SELECT date FROM {table}") if d not in kept]
        self.db.executemany(f"DELETE FROM {table} WHERE date = ?", gone)
        self.db.executemany(
            f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)",
            [(d.isoformat(), k, data) for d, k, data in rows],
        )
