from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.model import Paper, Problem
from digest.sources import Context, detect, get

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT / "feeds"
PAGES = FEEDS / "pages"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TODAY = dt.date(2026, 11, 23)


def read(
    data: bytes, fmt: str | None = None, filename: str = "input", **ctx: object
) -> tuple[list[Paper], list[Problem]]:
    """Parse bytes with the named (or detected) format; papers and problems apart."""
    context = Context(
        name=ctx.pop("name", "test"), filename=filename, today=ctx.pop("today", TODAY), **ctx
    )  # type: ignore[arg-type]
    reader = get(fmt) if fmt else detect(data[:8192], filename)
    items = list(reader.parse(io.BytesIO(data), context))
    return [i for i in items if isinstance(i, Paper)], [i for i in items if isinstance(i, Problem)]


_RAM_DISK = pytest.StashKey[str]()  # the folder pytest_configure made, removed at the end


def pytest_configure(config: pytest.Config) -> None:
    """The tests' folders on a RAM disk where there is one (Linux's /dev/shm), unless
    ``--basetemp`` names another: every commit of the store and every file the writer puts in
    place is made durable with fsync, which a real disk makes wait for (two fifths of the
    suite's time), while what a test can see is the same. The tests of full and read-only disks
    mount their own."""
    shm = Path("/dev/shm")
    if config.option.basetemp is not None or not (shm.is_dir() and os.access(shm, os.W_OK)):
        return
    if shutil.disk_usage(shm).free < 4 << 30:
        return
    config.option.basetemp = tempfile.mkdtemp(prefix="digest-tests-", dir=shm)
    config.stash[_RAM_DISK] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_RAM_DISK, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output instead of comparing with it.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled default: config and sample feeds, in a temporary folder; without
    the site's search index (Pagefind took a fifth of the suite's time; the tests of search
    take :func:`searched_project`)."""
    shutil.copytree(FEEDS, tmp_path / "feeds")
    config = (ROOT / "digest.yaml").read_text()
    assert "\nsite:" not in config
    (tmp_path / "digest.yaml").write_text(config + "\nsite:\n  search: false\n")
    return tmp_path


@pytest.fixture
def searched_project(tmp_path: Path) -> Path:
    """The bundled default as it is, search index and all."""
    shutil.copytree(FEEDS, tmp_path / "feeds")
    shutil.copy(ROOT / "digest.yaml", tmp_path / "digest.yaml")
    return tmp_path
