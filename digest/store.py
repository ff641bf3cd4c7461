"""The embedded SQLite store: every paper with its first-seen date and the sources that saw it,
the runs, and per-source statistics for the run report.

One file (default ``.digest/store.sqlite`` beside the config). Every collect is one transaction
(``BEGIN IMMEDIATE``), so a crash leaves the store as it was and two runs at once take turns
(a busy timeout) instead of corrupting it. The rollback journal, not WAL: a collect is one large
transaction of mostly new pages, which WAL would write twice (log, then checkpoint); readers
still see the previous state until the commit. ``synchronous = FULL`` keeps that journal safe
across a power cut, at the price of a few fsyncs per collect.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from .errors import StoreError
from .model import Paper, SourceStats, merge, title_number

SCHEMA_VERSION = 2  # 2: ``days`` (papers and last change per date) replaced ``day_changes``
BUSY_TIMEOUT_MS = 60_000
CACHE_MB = 8  # the page cache of a connection; a collect that writes uses WRITE_CACHE_MB
WRITE_CACHE_MB = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS papers(
    id TEXT PRIMARY KEY,
    title_key INTEGER NOT NULL,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors TEXT NOT NULL,
    url TEXT,
    date TEXT NOT NULL,
    source TEXT NOT NULL,
    categories TEXT NOT NULL,
    extra TEXT NOT NULL,
    first_run INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS papers_title_key ON papers(title_key);
CREATE INDEX IF NOT EXISTS papers_date ON papers(date);
CREATE TABLE IF NOT EXISTS sightings(
    paper_id TEXT NOT NULL,
    source TEXT NOT NULL,
    date TEXT NOT NULL,
    PRIMARY KEY(paper_id, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS days(
    date TEXT PRIMARY KEY,
    papers INTEGER NOT NULL,
    run INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ranked(
    date TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    papers INTEGER NOT NULL,
    highlights INTEGER NOT NULL,
    data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rendered(
    date TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    files BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fragments(
    date TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs(
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS source_runs(
    run INTEGER NOT NULL,
    source TEXT NOT NULL,
    read INTEGER NOT NULL,
    new INTEGER NOT NULL,
    seen INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    dropped INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    PRIMARY KEY(run, source)
);
CREATE TABLE IF NOT EXISTS fetches(
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    checked TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    etag TEXT,
    last_modified TEXT,
    copy TEXT,
    good TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inputs(
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    papers INTEGER NOT NULL,
    PRIMARY KEY(source, path)
) WITHOUT ROWID;
"""

_COLUMNS = "id, title_key, title, abstract, authors, url, date, source, categories, extra"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def _row(paper: Paper, run: int, key: int | None = None) -> tuple[Any, ...]:
    return (
        paper.id,
        title_number(paper.title) if key is None else key,
        paper.title,
        paper.abstract,
        _dumps(list(paper.authors)),
        paper.url,
        paper.date.isoformat(),
        paper.source,
        _dumps(list(paper.categories)),
        _dumps(dict(paper.extra)),
        run,
    )


def known_ids(db: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    """Which of these paper ids are in the store ``db``."""
    found: set[str] = set()
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT id FROM papers WHERE id IN ({marks})"
        found.update(r[0] for r in db.execute(query, chunk))
    return found


def paper_from_row(row: Sequence[Any], date: dt.date | None = None) -> Paper:
    """The paper of a row of ``_COLUMNS`` (``date``: the row's, when the caller knows it)."""
    loads = orjson.loads
    return Paper.fast(
        row[0], row[2], row[3], date or dt.date.fromisoformat(row[6]), row[7],
        tuple(loads(row[4])), row[5], tuple(loads(row[8])), loads(row[9]),
    )  # fmt: skip


class Store:
    """A connection to the store file. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path | str, cache_mb: int = CACHE_MB) -> None:
        """``cache_mb``: SQLite's page cache, which fills up as pages are read and stays full
        (so it is kept small, and made large only while a collect writes: :meth:`cache`)."""
        self.path = Path(path)
        self.cache_mb = cache_mb
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA journal_mode = DELETE")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute(f"PRAGMA cache_size = -{cache_mb * 1024}")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot create the store: {exc.strerror}") from None
        self.run: int | None = None
        self._rowid_floor = 0

    def _migrate(self) -> None:
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            schema = self.note("schema")
            if schema is not None and int(schema) > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: made by a newer digest (schema {schema}, this one knows {SCHEMA_VERSION})"
                )
            if schema == "1":  # each date's papers counted once, here, not on every build
                self.db.execute(
                    "INSERT INTO days SELECT p.date, count(*), coalesce("
                    "(SELECT run FROM day_changes c WHERE c.date = p.date), 0) "
                    "FROM papers p GROUP BY p.date"
                )
                self.db.execute("DROP TABLE day_changes")
            if schema != str(SCHEMA_VERSION):
                self.set_note("schema", str(SCHEMA_VERSION))

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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    # -- collecting -------------------------------------------------------------------------

    def start_run(self, kind: str = "collect") -> int:
        """Record a run (inside the caller's transaction) and return its number."""
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        cursor = self.db.execute("INSERT INTO runs(started, kind) VALUES (?, ?)", (started, kind))
        self.run = int(cursor.lastrowid or 0)
        # papers this run adds get rowids above this (papers are never deleted)
        self._rowid_floor = self.db.execute("SELECT max(rowid) FROM papers").fetchone()[0] or 0
        return self.run

    def _existing(self, column: str, keys: Iterable[str | int]) -> dict[str | int, tuple[Any, ...]]:
        keys = list(dict.fromkeys(keys))
        found: dict[str | int, tuple[Any, ...]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT {_COLUMNS} FROM papers WHERE {column} IN ({marks})", chunk
            ):
                key = row[0] if column == "id" else row[1]
                # A title may match several papers; prefer one with an arXiv id.
                if key not in found or found[key][0].startswith("title:"):
                    found[key] = row
        return found

    def merge_batch(self, papers: Sequence[Paper]) -> list[Paper | None]:
        """Store a batch of papers (distinct identities within the run); return for each the
        stored version it merged into, or ``None`` when the paper was new.

        A paper known by title only merges into a stored paper with the same title; an arXiv
        paper takes over a stored title-only paper with its title (the row is re-keyed).
        """
        if self.run is None:
            raise StoreError("merge_batch outside a run")
        keys = [title_number(p.title) for p in papers]
        by_id = self._existing("id", (p.id for p in papers))
        by_title = self._existing(
            "title_key", (k for p, k in zip(papers, keys, strict=True) if p.id not in by_id)
        )
        result: list[Paper | None] = []
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        rekeys: list[tuple[str, str]] = []
        sightings: list[tuple[str, str, str]] = []
        moved_from: set[str] = set()  # the dates of changed papers before the change
        for paper, key in zip(papers, keys, strict=True):
            row = by_id.get(paper.id)
            if row is None:
                candidate = by_title.get(key)
                # A title match is the same paper unless both carry different arXiv ids.
                if candidate is not None and (
                    candidate[0].startswith("title:") or paper.id.startswith("title:")
                ):
                    row = candidate
            if row is None:
                result.append(None)
                inserts.append(_row(paper, self.run, key))
                sightings.append((paper.id, paper.source, paper.date.isoformat()))
                continue
            old = paper_from_row(row)
            result.append(old)
            merged = merge(old, paper)
            if merged.id != old.id:
                rekeys.append((merged.id, old.id))
            new_row = _row(merged, 0)[:-1]
            if new_row != tuple(row):
                updates.append((*new_row[1:], new_row[0]))
                moved_from.add(row[6])
            sightings.append((merged.id, paper.source, paper.date.isoformat()))
        changed = {r[6] for r in inserts} | {u[5] for u in updates} | moved_from
        for new_id, old_id in rekeys:
            self.db.execute("UPDATE papers SET id = ? WHERE id = ?", (new_id, old_id))
            self.db.execute(
                "UPDATE OR IGNORE sightings SET paper_id = ? WHERE paper_id = ?", (new_id, old_id)
            )
            self.db.execute("DELETE FROM sightings WHERE paper_id = ?", (old_id,))
        if inserts:
            self.db.executemany(
                f"INSERT INTO papers({_COLUMNS}, first_run) VALUES (?,?,?,?,?,?,?,?,?,?,?)", inserts
            )
        if updates:
            self.db.executemany(
                "UPDATE papers SET title_key=?, title=?, abstract=?, authors=?, url=?, date=?, "
                "source=?, categories=?, extra=? WHERE id=?",
                updates,
            )
        self.db.executemany(  # each changed date's count (a move can empty a date)
            "INSERT OR REPLACE INTO days SELECT ?, count(*), ? FROM papers WHERE date = ?",
            [(d, self.run, d) for d in changed],
        )
        self.db.executemany(
            "INSERT INTO sightings VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET date = "
            "min(sightings.date, excluded.date) WHERE excluded.date < sightings.date",
            sightings,
        )
        return result

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

    def quiet_runs(self, source: str) -> tuple[int, int]:
        """How many of the source's latest runs in a row brought (nothing, nothing new)."""
        empty = no_new = 0
        counting_empty = True
        for read, new in self.db.execute(
            "SELECT read, new FROM source_runs WHERE source = ? ORDER BY run DESC LIMIT 100",
            (source,),
        ):
            if new:
                break
            no_new += 1
            if counting_empty and read == 0:
                empty += 1
            else:
                counting_empty = False
        return empty, no_new

    def new_in_run(self) -> dict[dt.date, int]:
        """Per date, how many papers this run added (dates as merged, after the whole run)."""
        # a range of rowids, not a scan of every paper (which filled the page cache); NOT
        # INDEXED, or the planner groups by walking the whole date index (8 ms at 100k papers)
        rows = self.db.execute(
            "SELECT date, count(*) FROM papers NOT INDEXED WHERE rowid > ? AND first_run = ? "
            "GROUP BY date",
            (self._rowid_floor, self.run),
        )
        return {dt.date.fromisoformat(d): n for d, n in rows}

    # -- reading ----------------------------------------------------------------------------

    def dates(self) -> list[tuple[dt.date, int]]:
        """Every date with papers, with how many, oldest first."""
        return [
            (dt.date.fromisoformat(d), n)
            for d, n in self.db.execute(
                "SELECT date, papers FROM days WHERE papers > 0 ORDER BY date"
            )
        ]

    def papers_on(self, date: dt.date) -> list[Paper]:
        """The papers first seen on ``date``, in a stable order (first stored first)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM papers WHERE date = ? ORDER BY rowid", (date.isoformat(),)
        )
        return [paper_from_row(r, date) for r in rows]

    def day_versions(self) -> dict[dt.date, tuple[int, int]]:
        """Per date: (paper count, the run that last changed the date's papers), which changes
        whenever anything the date's outputs show may have changed."""
        return {
            dt.date.fromisoformat(d): (n, run)
            for d, n, run in self.db.execute("SELECT date, papers, run FROM days WHERE papers > 0")
        }

    # -- the ranked and rendered dates (caches keyed by what they were made from) -----------

    def ranked(self, date: dt.date) -> tuple[str, bytes] | None:
        row = self.db.execute(
            "SELECT key, data FROM ranked WHERE date = ?", (date.isoformat(),)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def ranked_keys(self) -> dict[dt.date, tuple[str, int, int]]:
        """Per ranked date: (key, papers, highlights)."""
        return {
            dt.date.fromisoformat(d): (k, n, h)
            for d, k, n, h in self.db.execute("SELECT date, key, papers, highlights FROM ranked")
        }

    def save_ranked(self, rows: Iterable[tuple[dt.date, str, int, int, bytes]]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO ranked VALUES (?, ?, ?, ?, ?)",
                [(d.isoformat(), k, n, h, data) for d, k, n, h, data in rows],
            )

    def rendered(self) -> dict[dt.date, tuple[str, bytes]]:
        """Per date: (key, files) of the date's files last rendered."""
        return self._dated("rendered")

    def note(self, key: str) -> str | None:
        """A value kept in the ``meta`` table (what a build remembers for the next one)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_note(self, key: str, value: str) -> None:
        """Keep ``value`` under ``key`` in the ``meta`` table (inside the caller's transaction)."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

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
        return {
            dt.date.fromisoformat(d): (k, data)
            for d, k, data in self.db.execute(f"SELECT * FROM {table}")
        }

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

    # -- fetching: validators for conditional GET, the newest and the last good copy --------

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

    def known_ids(self, ids: Sequence[str]) -> set[str]:
        return known_ids(self.db, ids)

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

    def sources_of(self, paper_id: str) -> list[str]:
        return [
            s for (s,) in self.db.execute(
                "SELECT source FROM sightings WHERE paper_id = ? ORDER BY date, source", (paper_id,)
            )
        ]  # fmt: skip

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM papers").fetchone()[0])
