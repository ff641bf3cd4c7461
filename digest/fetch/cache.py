"""The on-disk cache of every fetched copy, beside the store: ``<state>/cache/<host>-<hash>/<UTC
time>/`` with a ``meta.json``, written to a ``.partial`` folder and renamed once complete, so a
crash never leaves half a copy that looks whole."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..model import Copy


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H%M%S.%fZ")


def _parse_stamp(key: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(key, "%Y-%m-%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


class Cache:
    """Copies of URL sources under ``root`` (in the state folder, never in the output)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, url: str) -> Path:
        host = re.sub(r"[^\w.-]", "_", urllib.parse.urlsplit(url).hostname or "host")
        return self.root / f"{host}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"

    def copy(self, url: str, key: str | None) -> Copy | None:
        """The complete copy ``key`` of ``url``, if it is still on disk."""
        if not key:
            return None
        folder = self.folder(url) / key
        fetched = _parse_stamp(key)
        if fetched is None or not (folder / "meta.json").is_file():
            return None
        files = tuple(str(p) for p in sorted(folder.glob("page-*.body")))
        return Copy(key, files, fetched) if files else None

    def copies(self, url: str) -> list[Copy]:
        """Every complete copy of ``url``, newest first."""
        folder = self.folder(url)
        if not folder.is_dir():
            return []
        found = (self.copy(url, p.name) for p in folder.iterdir() if p.is_dir())
        return sorted((c for c in found if c), key=lambda c: c.key, reverse=True)

    def start(self, url: str, now: dt.datetime) -> tuple[str, Path]:
        key = _stamp(now)
        partial = self.folder(url) / f"{key}.partial"
        partial.mkdir(parents=True, exist_ok=True)
        return key, partial

    def finish(self, url: str, key: str, partial: Path, meta: Mapping[str, object]) -> Copy:
        """Make a downloaded copy visible: its description last, then one rename."""
        data = json.dumps(dict(meta), indent=1, sort_keys=True).encode()
        with open(partial / "meta.json", "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        final = self.folder(url) / key
        os.replace(partial, final)
        _fsync_dir(final.parent)
        copy = self.copy(url, key)
        assert copy is not None
        return copy

    def prune(self, url: str, keep_days: int, keep: Iterable[str | None], now: dt.datetime) -> int:
        """Remove copies older than ``keep_days``, all but the newest copy of each day, and
        unfinished copies an hour old; never the copies in ``keep`` (the newest and the last
        good). Returns how many were removed."""
        folder = self.folder(url)
        if not folder.is_dir():
            return 0
        kept = {k for k in keep if k}
        cutoff = now - dt.timedelta(days=keep_days)
        removed = 0
        seen_days: set[str] = set()
        for copy in self.copies(url):  # newest first: the first of each day is its newest
            day = copy.key[:10]
            redundant = day in seen_days
            seen_days.add(day)
            if copy.key in kept or not (redundant or copy.fetched < cutoff):
                continue
            shutil.rmtree(folder / copy.key, ignore_errors=True)
            removed += 1
        for path in folder.glob("*.partial"):
            if now.timestamp() - path.stat().st_mtime > 3600:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        return removed


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
