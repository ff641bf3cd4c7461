"""A connection to the store file: transactions, its page cache, and the notes a build keeps."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from .schema import migrate

BUSY_TIMEOUT_MS = 60_000


class DamagedRow(ValueError):
    """A value of the store that is not what its column holds (a damaged file, or one edited
    by hand): said with the store's name and without the text it holds instead."""


def iso_date(text: str) -> dt.date:
    """A date column's value."""
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        shown = repr(text[:24] + "…" if isinstance(text, str) and len(text) > 24 else text)
        raise DamagedRow(
            f"a date column holds {shown}: the store is damaged (check it with PRAGMA "
            "integrity_check, or restore it from a backup)"
        ) from None


CACHE_MB = 8  # the page cache of a connection; a collect that writes uses WRITE_CACHE_MB
WRITE_CACHE_MB = 64


class Connection:
    """A connection to the store file. Use as a context manager, or call :meth:`close`.
    ``read_only``: a connection that cannot write (a render worker's, the fetcher's look-ups
    from other threads), opened without creating or migrating anything."""

    def __init__(self, path: Path | str, cache_mb: int = CACHE_MB, read_only: bool = False) -> None:
        """``cache_mb``: SQLite's page cache, which fills up as pages are read and stays full
        (so it is kept small, and made large only while a collect writes: :meth:`cache`)."""
        self.path = Path(path)
        self.cache_mb = cache_mb
        self.read_only = read_only
        try:
            if read_only:
                self.db = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                    timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                )  # fmt: skip
            else:
                if str(path) != ":memory:":
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(
                    str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
                )
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute(f"PRAGMA cache_size = -{cache_mb * 1024}")
            if not read_only:
                self.db.execute("PRAGMA journal_mode = DELETE")
                self.db.execute("PRAGMA synchronous = FULL")
                self.db.execute("PRAGMA foreign_keys = ON")
                with self.transaction():
                    migrate(self.db, str(self.path))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot create the store: {exc.strerror}") from None
        self.run: int | None = None
        self._rowid_floor = 0

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def cache(self, mb: int) -> Iterator[None]:
        """A larger page cache for a while (64 MB makes the index inserts of a big collect
        fast); the pages beyond the usual size are freed after."""
        self.db.execute(f"PRAGMA cache_size = -{mb * 1024}")
        try:
            yield
        finally:
            self.db.execute(f"PRAGMA cache_size = -{self.cache_mb * 1024}")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.close()
        # what went wrong in the store says which file: read-only, full, damaged
        if isinstance(exc, sqlite3.Error | DamagedRow):
            raise StoreError(f"{self.path}: {exc}") from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; it waits for another writer rather than failing."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def note(self, key: str) -> str | None:
        """A value kept in the ``meta`` table (what a build remembers for the next one)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_note(self, key: str, value: str) -> None:
        """Keep ``value`` under ``key`` in the ``meta`` table (inside the caller's transaction)."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
