"""The record of every (date, subscriber) delivery, the part of the state that makes sending
exactly once.

A file of its own beside the store (``<store>-deliveries.sqlite``) in WAL mode with
``synchronous = FULL``: each record is durable before the next message goes out (one fsync, about
3,000 records/s here), where the store's rollback journal costs three (about 760/s), and the big
collects keep their journal. A record moves ``sending`` -> ``sent`` (or ``failed``):

- ``sending`` is written after the whole message has gone to the server and just before the
  ``.`` that ends it. A crash before it leaves no record: the server got no complete message,
  and a rerun sends it. A crash after it leaves ``sending``: the server may have accepted the
  message, so a rerun does not send it again unless asked to (``--resend-uncertain``).
- ``sent`` is written as soon as the server has said 250.

Only one ``digest send`` runs at a time: :meth:`DeliveryLog.lock` holds an exclusive lock on
a file beside the log, which the system releases even when the process is killed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DigestError, StoreError

SENDING, SENT, FAILED = "sending", "sent", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries(
    date TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    message_id TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    PRIMARY KEY(date, address)
) WITHOUT ROWID
"""


class SendLocked(DigestError):
    """Another ``digest send`` holds the lock."""


def log_path(store: Path) -> Path:
    return store.with_name(store.stem + "-deliveries.sqlite")


class DeliveryLog:
    """The deliveries of one store. Use as a context manager."""

    def __init__(self, store: Path) -> None:
        self.path = log_path(Path(store))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 60000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the delivery log: {exc}") from None
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot create the delivery log: {exc.strerror}"
            ) from None
        self._lock: int | None = None

    def close(self) -> None:
        self.unlock()
        self.db.close()

    def __enter__(self) -> DeliveryLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the send lock, or fail at once with a clear message."""
        lock_file = self.path.with_suffix(".lock")
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SendLocked(
                f"another `digest send` is running (pid {holder}, lock {lock_file}); "
                "wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock = fd
        try:
            yield
        finally:
            self.unlock()

    def unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing releases the flock
            self._lock = None

    def status(self, date: dt.date, address: str) -> str | None:
        row = self.db.execute(
            "SELECT status FROM deliveries WHERE date = ? AND address = ?",
            (date.isoformat(), address),
        ).fetchone()
        return row[0] if row else None

    def mark(
        self, date: dt.date, address: str, status: str, message_id: str, detail: str = ""
    ) -> None:
        """Record a delivery's state: one committed, fsynced transaction."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.db.execute(
            "INSERT INTO deliveries(date, address, status, message_id, detail, attempts, updated) "
            "VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(date, address) DO UPDATE SET "
            "status = excluded.status, message_id = excluded.message_id, "
            "detail = excluded.detail, updated = excluded.updated, "
            "attempts = attempts + (excluded.status = 'sending')",
            (date.isoformat(), address, status, message_id, detail, now),
        )

    def counts(self, date: dt.date) -> dict[str, int]:
        return dict(
            self.db.execute(
                "SELECT status, count(*) FROM deliveries WHERE date = ? GROUP BY status",
                (date.isoformat(),),
            ).fetchall()
        )
