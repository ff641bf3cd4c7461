"""Search over every paper of the site, on a static host: a Pagefind index of the day pages,
written into the site's ``pagefind/`` folder once the site is built (``index_site``).

Pagefind (https://pagefind.app; its binary ships in the ``pagefind-bin`` wheel) reads the
``data-pagefind-body`` part of each day page: every paper of the date, highlights, topic
sections and the papers no topic matched alike, each under a heading whose id is the paper's
anchor, so a search finds papers (Pagefind's sub-results), not only dates. The browser loads
only the parts of the index its words need, so a search stays fast at 100,000 papers.

The index is written beside the site into a new folder, then put in place of the old one by
renames, so a page being served never sees half an index. Without the binary, or without day
pages, nothing changes and the report says why: the site works without an index (the search
page says it has none).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .render import paths

GLOB = "days/*.html"  # the pages indexed: each date's page holds every paper of the date
TIMEOUT = 1800  # seconds: 100,000 papers took about a minute on two cores
_COUNT = re.compile(r"Indexed (\d+) (page|word)s?")


@dataclass(frozen=True)
class SearchReport:
    """What :func:`index_site` did: ``indexed`` (a new index is in place), the pages and words
    indexed, the index's files and bytes, the seconds it took, and ``reason`` when nothing was
    indexed."""

    indexed: bool
    pages: int = 0
    words: int = 0
    files: int = 0
    size: int = 0
    seconds: float = 0.0
    reason: str = ""

    def describe(self) -> str:
        if not self.indexed:
            return f"search: not indexed ({self.reason})"
        return (
            f"search: {self.pages} pages, {self.words} words indexed in {self.seconds:.1f} s "
            f"({self.files} files, {self.size / 1e6:.1f} MB in {paths.SEARCH_INDEX}/)"
        )


def pagefind_binary() -> Path | None:
    """The Pagefind binary: the ``pagefind-bin`` wheel's, else one on the PATH."""
    try:
        import pagefind_bin  # type: ignore[import-untyped]

        return Path(pagefind_bin.get_executable())
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        return Path(found) if found else None


def index_site(out_dir: Path | str, timeout: float = TIMEOUT) -> SearchReport:
    """Index every paper of the site built in ``out_dir`` for its search page: Pagefind's
    index in ``out_dir/pagefind/``, replacing the one there. Run it after the site is written
    (and under the build's lock: it writes into the output folder)."""
    out = Path(out_dir)
    start = time.perf_counter()
    binary = pagefind_binary()
    if binary is None:
        return SearchReport(False, reason="Pagefind is not installed: pip install pagefind-bin")
    if not any(out.glob(GLOB)):
        return SearchReport(False, reason=f"no day pages in {out}")
    _sweep(out)
    new = Path(tempfile.mkdtemp(prefix=".pagefind-new-", dir=out))
    try:
        done = subprocess.run(
            [str(binary), "--site", str(out), "--glob", GLOB, "--output-path", str(new),
             "--force-language", "en"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return SearchReport(False, reason=f"pagefind failed: {last[0]}")
        counts = {kind: int(n) for n, kind in _COUNT.findall(done.stdout)}
        files = [p for p in new.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        for p in [new, *new.rglob("*")]:  # as the writer's files: readable by the web server
            p.chmod(0o755 if p.is_dir() else 0o644)
        _replace(new, out / paths.SEARCH_INDEX)
    except subprocess.TimeoutExpired:
        return SearchReport(False, reason=f"pagefind took more than {timeout:.0f} s")
    finally:
        shutil.rmtree(new, ignore_errors=True)
    return SearchReport(
        True, counts.get("page", 0), counts.get("word", 0), len(files), size,
        time.perf_counter() - start,
    )  # fmt: skip


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
