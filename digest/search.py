"""Search over every paper of the site, on a static host: Pagefind indexes of the day pages,
one per month, written into the site's ``pagefind/`` folder once the site is built
(:func:`index_site`).

Pagefind (https://pagefind.app; its binary ships in the ``pagefind-bin`` wheel) reads the
``data-pagefind-body`` part of each day page: every paper of the date, highlights, topic
sections and the papers no topic matched alike, each under a heading whose id is the paper's
anchor, so a search finds papers (Pagefind's sub-results), not only dates. The browser loads
only the parts of each index its words need, so a search stays fast at 100,000 papers.

One index per month (``pagefind/2026-11/``, listed newest first in ``pagefind/months.json``;
the search page merges them): a build indexes again only the months whose day pages it
rendered, about 1.7 s and 150 MB for a month of 125 papers a day, where one index of 800
dates took a minute and 3.3 GB at every build. Each month's index is written beside the site
into a new folder, then put in place of the old one by renames, so a page being served never
sees half an index. Without the binary, or without day pages, nothing changes and the report
says why: the site works without an index (the search page says it has none).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .render import paths
from .writer import atomic_write

GLOB = "days/{month}-*.html"  # the pages of a month's index: each date's page holds its papers
FOLDER = paths.SEARCH_INDEX  # in the output: the indexes, one folder per month
MONTHS = "months.json"  # in the index folder: the months indexed, newest first
TIMEOUT = 600  # seconds for one month's index: about 2 s for 4,000 papers on one core
# Pagefind's own search interfaces, written into every index: digest's search page loads
# ``pagefind.js`` alone (and what it fetches), so these are removed, 418 KB of a month's 676 KB.
UNUSED = (
    "pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
    "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js",
)  # fmt: skip
_COUNT = re.compile(r"Indexed (\d+) (page|word)s?")
_MONTH = re.compile(r"\A\d{4}-\d{2}\Z")


@dataclass(frozen=True)
class SearchReport:
    """What :func:`index_site` did: ``indexed`` (the index is in place), the months indexed
    this time (the others were kept), the pages and words indexed, the index files written and
    their bytes, the seconds it took, and ``reason`` when nothing was indexed."""

    indexed: bool
    months: tuple[str, ...] = ()
    pages: int = 0
    words: int = 0
    files: int = 0
    size: int = 0
    seconds: float = 0.0
    reason: str = ""

    def describe(self) -> str:
        if not self.indexed:
            return f"search: not indexed ({self.reason})"
        if not self.months:
            return "search: every month's index kept"
        months = f"{len(self.months)} month(s)" if len(self.months) > 1 else self.months[0]
        return (
            f"search: {months}, {self.pages} pages, {self.words} words indexed in "
            f"{self.seconds:.1f} s ({self.files} files, {self.size / 1e6:.1f} MB in "
            f"{paths.SEARCH_INDEX}/)"
        )


def pagefind_binary() -> Path | None:
    """The Pagefind binary: the ``pagefind-bin`` wheel's, else one on the PATH."""
    try:
        import pagefind_bin  # type: ignore[import-untyped]

        return Path(pagefind_bin.get_executable())
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        return Path(found) if found else None


def index_site(
    out_dir: Path | str,
    *,
    months: Collection[str] | None = None,
    workers: int = 1,
    timeout: float = TIMEOUT,
) -> SearchReport:
    """Index the papers of the site built in ``out_dir`` for its search page: a Pagefind
    index per month in ``out_dir/pagefind/<YYYY-MM>/``. ``months``: the months whose day pages
    changed (``None``: every month); a month without an index is indexed too, and the index of
    a month without day pages is removed. ``workers``: months indexed at once. Run it after the
    site is written (and under the build's lock: it writes into the output folder)."""
    out = Path(out_dir)
    start = time.perf_counter()
    binary = pagefind_binary()
    if binary is None:
        return SearchReport(False, reason="Pagefind is not installed: pip install pagefind-bin")
    present = sorted({p.name[:7] for p in out.glob("days/*.html") if _MONTH.match(p.name[:7])})
    if not present:
        return SearchReport(False, reason=f"no day pages in {out}")
    _sweep(out)
    folder = out / paths.SEARCH_INDEX
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():  # another month's, or the one index of an older digest
        if old.name != MONTHS and old.name not in present:
            _remove(old)
    wanted = set(present) if months is None else set(months) & set(present)
    todo = sorted(m for m in present if m in wanted or not (folder / m).is_dir())
    with ThreadPoolExecutor(max(1, workers)) as pool:
        made = list(pool.map(lambda m: _index_month(binary, out, m, timeout), todo))
    failed = [why for why in made if isinstance(why, str)]
    listed = json.dumps(sorted((m for m in present if (folder / m).is_dir()), reverse=True))
    _write_if_changed(folder / MONTHS, listed.encode() + b"\n")
    if failed:
        return SearchReport(False, reason=failed[0])
    counts = [c for c in made if not isinstance(c, str)]
    return SearchReport(
        True, tuple(todo), sum(c[0] for c in counts), sum(c[1] for c in counts),
        sum(c[2] for c in counts), sum(c[3] for c in counts), time.perf_counter() - start,
    )  # fmt: skip


def _index_month(
    binary: Path, out: Path, month: str, timeout: float
) -> tuple[int, int, int, int] | str:
    """One month's index put in place: (pages, words, files, bytes), or why it could not be."""
    new = Path(tempfile.mkdtemp(prefix=".pagefind-new-", dir=out))
    pages = Path(tempfile.mkdtemp(prefix=".pagefind-pages-", dir=out))
    try:
        _stage(sorted(out.glob(GLOB.format(month=month))), pages / "days")
        done = subprocess.run(
            [str(binary), "--site", str(pages), "--glob", GLOB.format(month=month),
             "--output-path", str(new), "--force-language", "en"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"pagefind failed on {month}: {last[0]}"
        counts = {kind: int(n) for n, kind in _COUNT.findall(done.stdout)}
        for name in UNUSED:
            (new / name).unlink(missing_ok=True)
        files = [p for p in new.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        for p in [new, *new.rglob("*")]:  # as the writer's files: readable by the web server
            p.chmod(0o755 if p.is_dir() else 0o644)
        target = out / paths.SEARCH_INDEX / month
        if not _same_files(new, target):  # the same index (a forced build): left untouched
            _replace(new, target)
        return counts.get("page", 0), counts.get("word", 0), len(files), size
    except subprocess.TimeoutExpired:
        return f"pagefind took more than {timeout:.0f} s on {month}"
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(pages, ignore_errors=True)


def _stage(files: list[Path], folder: Path) -> None:
    """The month's day pages linked into a folder of their own, in order of date. Pagefind
    numbers pages in the order the folder lists them, and the index (its file names too)
    follows: where a file system lists files in the order they were made (tmpfs), a month
    rendered on two workers, or in part, came out with another index than the same pages
    rendered in one go."""
    folder.mkdir()
    for file in files:
        try:
            os.link(file, folder / file.name)
        except OSError:  # a file system without hard links
            shutil.copyfile(file, folder / file.name)


def _write_if_changed(target: Path, data: bytes) -> None:
    """A file written (atomically) only when its bytes change: an unchanged build touches
    nothing."""
    try:
        if target.read_bytes() == data:
            return
    except OSError:
        pass
    atomic_write(target, data)


def _same_files(new: Path, old: Path) -> bool:
    """Whether two folders hold the same files, byte for byte (Pagefind names its index files
    by their contents, so an unchanged month's index comes out the same)."""
    if not old.is_dir():
        return False
    names = sorted(p.relative_to(new) for p in new.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(old) for p in old.rglob("*") if p.is_file()):
        return False
    return all((new / n).read_bytes() == (old / n).read_bytes() for n in names)


def remove_index(out_dir: Path | str) -> bool:
    """Remove the site's search index (search turned off); whether there was one."""
    folder = Path(out_dir) / paths.SEARCH_INDEX
    if not folder.exists():
        return False
    _remove(folder)
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _replace(new: Path, target: Path) -> None:
    """``new`` in place of ``target``: two renames, the old index removed after."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=".pagefind-old-", dir=target.parent))
        os.rename(target, old / "index")
    os.rename(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _sweep(out: Path) -> None:
    """Folders an interrupted indexing left in the output folder (they would be published)."""
    for leftover in out.glob(".pagefind-*"):
        with contextlib.suppress(OSError):
            shutil.rmtree(leftover)
