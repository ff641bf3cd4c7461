"""The record of every (date, subscriber) delivery, the part of the state that makes sending
exactly once.

A file of its own beside the store (``<store>-deliveries.sqlite``) in WAL mode with
``synchronous = FULL``: each record is durable before the next message goes out (one fsync, about
3,000 records/s here), where the store's rollback journal costs three (about 760/s), and the big
collects keep their journal. A record moves ``sending`` -> ``sent`` (or ``failed``):

- ``sending`` is written just before the last piece of the message and the ``.`` that ends it
  go out, in one write, and made durable (fsync) right after, while the server takes the
  message. Written, a record survives the death of the process; so the only moment a kill
  leaves ``sending`` for a message the server never got whole is between two system calls
  (writing the record, writing the end of the message), microseconds. (With the fsync between
  them, as before, it was the milliseconds of the fsync: in a campaign of 24 SIGKILLs, 6 of the
  8 ``sending`` records had never reached the server.) A crash before the record leaves none:
  the server got no complete message, and a rerun sends it. A crash after it leaves
  ``sending``: the server has most likely accepted the message, so a rerun does not send it
  again unless asked to (``--resend-uncertain``). A power cut in the few milliseconds between
  the end of the message and the fsync can lose the record: then a rerun sends it again.
- ``sent`` is written (and fsynced) as soon as the server has said 250.

Only one ``digest send`` runs at a time: :meth:`DeliveryLog.lock` holds an exclusive lock on
a file beside the log, which the system releases even when the process is killed.
"""

from __future__ import annotations

import contextlib
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


_LOCKS: set[int] = set()  # the descriptors holding send locks in this process


def _drop_locks_in_child() -> None:
    """A forked child does not keep its parent's send lock (a flock is shared by fork)."""
    for fd in _LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _LOCKS.clear()


os.register_at_fork(after_in_child=_drop_locks_in_child)


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
        try:
            fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreError(f"{lock_file}: cannot open the send lock: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SendLocked(
                f"another `digest send` is running (pid {holder}, lock {lock_file}); "
                "wait for it to finish"
            ) from None
        with contextlib.suppress(OSError):  # who holds it, for the message above (a full disk)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock = fd
        _LOCKS.add(fd)
        try:
            yield
        finally:
            self.unlock()

    def unlock(self) -> None:
        if self._lock is not None:
            _LOCKS.discard(self._lock)
            os.close(self._lock)  # closing releases the flock
            self._lock = None

    def status(self, date: dt.date, address: str) -> str | None:
        found = self.record(date, address)
        return found[0] if found else None

    def record(self, date: dt.date, address: str) -> tuple[str, str] | None:
        """(status, detail) of a delivery, or ``None`` when none was recorded."""
        row = self._run(
            "read the delivery log",
            "SELECT status, detail FROM deliveries WHERE date = ? AND address = ?",
            (date.isoformat(), address),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def mark(
        self,
        date: dt.date,
        address: str,
        status: str,
        message_id: str,
        detail: str = "",
        *,
        durable: bool = True,
    ) -> None:
        """Record a delivery's state: one committed transaction, fsynced unless ``durable`` is
        false (then it survives the death of the process, and :meth:`sync` makes it survive a
        power cut too)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if not durable:
            self.db.execute("PRAGMA synchronous = NORMAL")  # in WAL: written, not fsynced
        try:
            self._run(
                f"record the delivery to {address}",
                "INSERT INTO deliveries(date, address, status, message_id, detail, attempts, "
                "updated) VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(date, address) DO UPDATE SET "
                "status = excluded.status, message_id = excluded.message_id, "
                "detail = excluded.detail, updated = excluded.updated, "
                "attempts = attempts + (excluded.status = 'sending')",
                (date.isoformat(), address, status, message_id, detail, now),
            )
        finally:
            if not durable:
                self.db.execute("PRAGMA synchronous = FULL")

    def sync(self) -> None:
        """Make every record written so far durable: fsync the log's write-ahead file."""
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:  # nothing written since the last checkpoint
            return
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot sync the delivery log: {exc.strerror}") from None
        try:
            os.fsync(fd)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot sync the delivery log: {exc.strerror}") from None
        finally:
            os.close(fd)

    def _run(self, what: str, sql: str, values: tuple[object, ...]) -> sqlite3.Cursor:
        """One statement; a failure (a full disk, a read-only file) names the log."""
        try:
            return self.db.execute(sql, values)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot {what}: {exc}") from None

    def counts(self, date: dt.date) -> dict[str, int]:
        return dict(
            self._run(
                "read the delivery log",
                "SELECT status, count(*) FROM deliveries WHERE date = ? GROUP BY status",
                (date.isoformat(),),
            ).fetchall()
        )

    def dates(self) -> set[dt.date]:
        """The dates some delivery was recorded for."""
        rows = self._run("read the delivery log", "SELECT DISTINCT date FROM deliveries", ())
        return {dt.date.fromisoformat(d) for (d,) in rows}
