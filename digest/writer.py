"""The only code that writes output files.

Every file is written atomically (a temporary file beside it, then a rename: a crash leaves the
old file, never half a file); a file whose bytes did not change is not touched at all; two
outputs on one path are refused; paths that would leave the output folder are refused. At the
end ``manifest.json`` lists every file (``path``, ``kind``, ``date``, ``topic``) and the files a
previous build listed that this one no longer makes are removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .errors import DigestError
from .model import Rendered, WriteReport
from .version import __version__

MANIFEST = "manifest.json"

_UMASK = os.umask(0)
os.umask(_UMASK)
_MODE = 0o666 & ~_UMASK
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # what atomic_write's mkstemp makes


class OutputError(DigestError):
    """An output could not be written (duplicate or unsafe path, disk full, read-only folder)."""


class Entry(NamedTuple):
    """A file of the manifest (``date``: an ISO date). A tuple: a daily build reads back the
    entries of every kept date, and a tuple is made from its stored row 4x faster."""

    path: str
    kind: str
    date: str | None
    topic: str | None
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "date": self.date, "topic": self.topic}

    def pack(self) -> list[Any]:
        return list(self)

    @classmethod
    def unpack(cls, row: list[Any]) -> Entry:
        return cls._make(row)


def check_path(path: str) -> None:
    """Refuse any path that is not a plain relative path inside the output folder."""
    parts = path.split("/")
    if not path or path.startswith("/") or not all(_SAFE_PART.match(p) for p in parts):
        raise OutputError(
            f"refusing to write outside the output folder or to an odd path: {path!r}"
        )


class Writer:
    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.entries: dict[str, Entry] = {}
        self._folded: dict[str, str] = {}
        self.report = WriteReport()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"{self.out}: cannot create the output folder: {exc.strerror}"
            ) from None

    def _claim(self, entry: Entry, checked: bool = False) -> None:
        if not checked:
            check_path(entry.path)
        folded = entry.path.casefold()  # two paths one case-insensitive disk would merge
        if folded in self._folded:
            raise OutputError(
                f"two outputs on one path: {entry.path!r} and {self._folded[folded]!r} "
                f"(topic names or templates that map to the same file?)"
            )
        self._folded[folded] = entry.path
        self.entries[entry.path] = entry

    def keep(self, entries: list[Entry]) -> bool:
        """Files of an unchanged date, if every one is on disk with its recorded size (the cheap
        check that lets an unchanged date skip rendering): then they are listed in the manifest,
        not rendered, not written (their paths were checked when they were written). ``False``,
        and nothing listed, when one is missing or changed."""
        out = str(self.out)
        for entry in entries:
            try:
                if os.stat(f"{out}/{entry.path}").st_size != entry.size:
                    return False
            except OSError:
                return False
        for entry in entries:
            self._claim(entry, checked=True)
        self.report.kept += len(entries)
        return True

    def write(self, file: Rendered) -> Entry:
        date = file.date.isoformat() if file.date else None
        entry = Entry(file.path, file.kind, date, file.topic, len(file.data))
        self._claim(entry)
        target = self.out / entry.path
        if _same(target, file.data):
            self.report.unchanged += 1
            return entry
        atomic_write(target, file.data)
        self.report.written.append(file.path)
        return entry

    def write_all(self, files: Iterable[Rendered]) -> list[Entry]:
        return [self.write(f) for f in files]

    def adopt(self, entries: Iterable[Entry], report: WriteReport) -> None:
        """Files another Writer wrote into this folder (a render worker writes its dates' files
        itself, so that they need not pass through this process): listed in the manifest as
        if written here; a path taken twice is still refused."""
        for entry in entries:
            self._claim(entry)
        self.report.written += report.written
        self.report.unchanged += report.unchanged

    def finish(self) -> WriteReport:
        """Write ``manifest.json`` and remove what the previous manifest listed and this build
        did not make."""
        manifest = self.out / MANIFEST
        text = manifest_text(
            f"digest {__version__}", [self.entries[p] for p in sorted(self.entries)]
        )
        try:
            before = manifest.read_bytes()
        except OSError:
            before = b""
        if before != text:  # the same bytes list the same files: none to remove
            atomic_write(manifest, text)
            for path in sorted(_listed(before) - set(self.entries)):
                try:
                    check_path(path)
                    (self.out / path).unlink(missing_ok=True)
                    self.report.removed.append(path)
                except (OutputError, OSError):
                    continue
        self._sweep()
        return self.report

    def _sweep(self) -> None:
        """Remove temporary files a killed build left behind (they would be published): in
        the output folder and every folder this build wrote to."""
        folders = {""} | {p.rpartition("/")[0] for p in self.entries}
        for folder in sorted(folders):
            where = self.out / folder
            try:
                with os.scandir(where) as found:
                    names = [e.name for e in found if e.name[-4:] == ".tmp"]
            except OSError:
                continue
            for name in filter(_TEMPORARY.match, names):
                with contextlib.suppress(OSError):
                    (where / name).unlink()


_JSON = json.JSONEncoder(ensure_ascii=False).encode  # one value at a time, in C


def manifest_text(generator: str, entries: list[Entry]) -> bytes:
    """``manifest.json``: the bytes ``json.dumps(..., indent=1, ensure_ascii=False)`` writes,
    made line by line: with an indent, json encodes in Python, 10 ms for 4,000 files."""
    files = [
        f'  {{\n   "path": {_quoted(e.path)},\n   "kind": {_quoted(e.kind)},\n'
        f'   "date": {_quoted(e.date) if e.date else "null"},\n'
        f'   "topic": {"null" if e.topic is None else _quoted(e.topic)}\n  }}'
        for e in entries
    ]  # the keys of Entry.to_json, in its order
    listed = "[\n" + ",\n".join(files) + "\n ]" if files else "[]"
    return f'{{\n "generator": {_JSON(generator)},\n "files": {listed}\n}}\n'.encode()


def _quoted(text: str) -> str:
    """A JSON string (as ``_JSON``); a path needs no escaping, and is only put in quotes."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return _JSON(text)


def _same(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except OSError:
        return False


def _listed(manifest: bytes) -> set[str]:
    """The paths a manifest lists (none when it is missing or not one)."""
    try:
        return {f["path"] for f in json.loads(manifest)["files"]}
    except (ValueError, KeyError, TypeError):
        return set()


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then rename it over ``target``."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, _MODE)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None


_LOCKS: set[int] = set()  # the descriptors holding output locks in this process


def _drop_locks_in_child() -> None:
    """In a forked child (a render worker): close the descriptors of the parent's output locks.
    A flock belongs to the open file, which fork shares: a worker that kept the descriptor kept
    the lock after its parent died. Closing (not unlocking) leaves the parent's lock as it is."""
    for fd in _LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _LOCKS.clear()


os.register_at_fork(after_in_child=_drop_locks_in_child)


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """One build at a time per output folder: an exclusive flock on the folder itself (no lock
    file to publish or to leave behind; the system releases it when the process dies, even by
    SIGKILL, and processes it forks do not hold it). A second build exits at once with a clear
    message."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise DigestError(f"{out}: cannot create the output folder: {exc.strerror}") from None
    _LOCKS.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DigestError(
                f"{out}: another digest build is writing this folder; run again when it ends"
            ) from None
        yield
    finally:
        _LOCKS.discard(fd)
        os.close(fd)
