"""digest.search.index_site: a Pagefind index of the day pages, put in place of the last one,
or a report of why there is none (the site works without it). The search itself, in a
browser, is tested in test_reader_browser.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest import search
from tests.conftest import FEEDS, ROOT
from tests.helpers import build_project


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("search")
    shutil.copytree(FEEDS, project / "feeds")
    shutil.copy(ROOT / "digest.yaml", project / "digest.yaml")
    build_project(project)
    return project / "output"


def test_the_index_covers_every_day_page_and_replaces_the_last_one(built: Path) -> None:
    first = search.index_site(built)
    assert first.indexed and first.pages == 4 and first.words > 1000, first
    assert (built / "pagefind" / "pagefind-entry.json").is_file()
    assert first.files and first.size > 10_000 and "4 pages" in first.describe()
    stale = built / "pagefind" / "stale.txt"
    stale.write_text("from an older index")
    (built / ".pagefind-new-leftover").mkdir()  # as an interrupted run would leave it
    again = search.index_site(built)
    assert again.indexed and not stale.exists()
    assert not list(built.glob(".pagefind-*"))  # nothing hidden left to publish


def test_without_pagefind_or_day_pages_nothing_is_indexed_and_the_report_says_why(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = search.index_site(tmp_path)
    assert not empty.indexed and "no day pages" in empty.reason
    monkeypatch.setattr(search, "pagefind_binary", lambda: None)
    missing = search.index_site(built)
    assert not missing.indexed and "not installed" in missing.describe()
