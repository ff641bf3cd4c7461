"""The store's tables, and the migrations from older schemas."""

from __future__ import annotations

import sqlite3

from ..errors import StoreError

SCHEMA_VERSION = 2  # 2: ``days`` (papers and last change per date) replaced ``day_changes``

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS terms(
    stem TEXT PRIMARY KEY,
    df INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inputs(
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    papers INTEGER NOT NULL,
    PRIMARY KEY(source, path)
) WITHOUT ROWID;
"""


def migrate(db: sqlite3.Connection, where: str) -> None:
    """Create what is missing and bring an older store up to :data:`SCHEMA_VERSION` (inside
    the caller's transaction); a store of a newer digest is refused."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    schema = None if row is None else row[0]
    if schema is not None and int(schema) > SCHEMA_VERSION:
        raise StoreError(
            f"{where}: made by a newer digest (schema {schema}, this one knows {SCHEMA_VERSION})"
        )
    if schema == "1":  # each date's papers counted once, here, not on every build
        db.execute(
            "INSERT INTO days SELECT p.date, count(*), coalesce("
            "(SELECT run FROM day_changes c WHERE c.date = p.date), 0) "
            "FROM papers p GROUP BY p.date"
        )
        db.execute("DROP TABLE day_changes")
    if schema != str(SCHEMA_VERSION):
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
