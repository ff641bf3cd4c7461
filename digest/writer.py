"""The only code that writes output files.

Every file is written atomically (a temporary file beside it, then a rename: a crash leaves the
old file, never half a file); a file whose bytes did not change is not touched at all; two
outputs on one path are refused; paths that would leave the output folder are refused, and so
is a folder of the output that is a link to somewhere else (each folder is resolved before the
first file goes into it: ``output/days`` linked to another folder made the build write there).
At the end ``manifest.json`` lists every file (``path``, ``kind``, ``date``, ``topic``).

A file a previous build listed that this one no longer makes is removed only if a build
recorded writing it (the store keeps what each build wrote): a path added to ``manifest.json``
by hand, or the pages of a store that was lost or replaced, are kept, still listed, and
reported (:attr:`~digest.model.WriteReport.orphans`), unless the build prunes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
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
        self._inside: set[str] = {""}  # folders (relative) resolved to inside the output
        self.report = WriteReport()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"{self.out}: cannot create the output folder: {exc.strerror}"
            ) from None
        self.real = os.path.realpath(self.out)

    def _folder_inside(self, path: str, create: bool = True) -> bool:
        """Whether the folder of ``path`` (relative) resolves to inside the output folder
        (made first when ``create``): a folder of the output linked elsewhere is refused."""
        folder = path.rpartition("/")[0]
        if folder in self._inside:
            return True
        where = os.path.join(self.real, folder)
        if create:
            try:
                os.makedirs(where, exist_ok=True)
            except OSError:
                return True  # the write says why it cannot
        real = os.path.realpath(where)
        if real != self.real and not real.startswith(self.real + os.sep):
            return False
        self._inside.add(folder)
        return True

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
                st = os.lstat(f"{out}/{entry.path}")  # a link in its place is not the file
            except OSError:
                return False
            if st.st_size != entry.size or not stat.S_ISREG(st.st_mode):
                return False
            if not self._folder_inside(entry.path, create=False):
                return False
        for entry in entries:
            self._claim(entry, checked=True)
        self.report.kept += len(entries)
        return True

    def write(self, file: Rendered) -> Entry:
        date = file.date.isoformat() if file.date else None
        entry = Entry(file.path, file.kind, date, file.topic, len(file.data))
        self._claim(entry)
        if not self._folder_inside(entry.path):
            folder = entry.path.rpartition("/")[0]
            raise OutputError(
                f"{self.out / folder}: a link to {os.path.realpath(self.out / folder)}, outside "
                "the output folder; refusing to write there (remove the link)"
            )
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

    def list_made_elsewhere(self, folder: str, kind: str) -> int:
        """The files another program put in ``folder`` of the output (the search index, made
        by Pagefind): listed in the manifest as they are, not written here. How many."""
        root = self.out / folder
        found = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
        for path in found:
            relative = path.relative_to(self.out).as_posix()
            self._claim(Entry(relative, kind, None, None, path.stat().st_size))
        return len(found)

    def finish(
        self, recorded: Callable[[], Collection[str]] | None = None, prune: bool = False
    ) -> WriteReport:
        """Write ``manifest.json``; of the files the previous manifest listed and this build did
        not make, remove those ``recorded()`` names (the files builds recorded writing; ``None``:
        every listed file), and keep the others, still listed, as
        :attr:`~digest.model.WriteReport.orphans` (``prune``: remove them too)."""
        manifest = self.out / MANIFEST
        text = self._manifest()
        try:
            before = manifest.read_bytes()
        except OSError:
            before = b""
        if before == text:  # the same bytes list the same files: none to remove
            self._sweep()
            return self.report
        listed = _listed(before)
        stale = set(listed) - set(self.entries)
        known = set(recorded()) if recorded is not None and stale else stale
        remove = stale if prune else stale & known
        for path in sorted(stale - remove):  # kept: no build this store knows wrote it
            if self._is_file(path):
                self.entries[path] = listed[path]
                self.report.orphans.append(path)
        if self.report.orphans:
            text = self._manifest()
        if text != before:
            atomic_write(manifest, text)
        for path in sorted(remove):
            if self._remove(path):
                self.report.removed.append(path)
        self._sweep()
        return self.report

    def _manifest(self) -> bytes:
        return manifest_text(
            f"digest {__version__}", [self.entries[p] for p in sorted(self.entries)]
        )

    def _is_file(self, path: str) -> bool:
        """Whether ``path`` is a plain relative path to a file inside the output."""
        try:
            check_path(path)
            return self._folder_inside(path, create=False) and stat.S_ISREG(
                os.lstat(self.out / path).st_mode
            )
        except (OutputError, OSError):
            return False

    def _remove(self, path: str) -> bool:
        """Remove a file of the output (a link is removed, not what it leads to; nothing
        through a folder linked outside the output)."""
        try:
            check_path(path)
            if not self._folder_inside(path, create=False):
                return False
            (self.out / path).unlink(missing_ok=True)
            return True
        except (OutputError, OSError):
            return False

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
    """Whether ``target`` is a file holding ``data`` (a link in its place is replaced)."""
    try:
        st = target.lstat()
        if st.st_size != len(data) or not stat.S_ISREG(st.st_mode):
            return False
        return target.read_bytes() == data
    except OSError:
        return False


def _listed(manifest: bytes) -> dict[str, Entry]:
    """The files a manifest lists, by path (none when it is missing or not one)."""
    try:
        files = json.loads(manifest)["files"]
        return {
            f["path"]: Entry(f["path"], f["kind"], _text(f.get("date")), _text(f.get("topic")), 0)
            for f in files
            if isinstance(f.get("path"), str) and isinstance(f.get("kind"), str)
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


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
