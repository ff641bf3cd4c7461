"""digest.search.index_site: a Pagefind index per month of day pages, each put in place of the
last one, only the months asked for made again, or a report of why there is none (the site
works without it). The build runs it (test_build.py); the search itself, in a browser, is
tested in test_reader_browser.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from digest import search
from tests.conftest import FEEDS, ROOT
from tests.helpers import build_project

MONTHS = ["2026-11", "2026-08", "2026-03"]  # of the sample's four dates, newest first


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("search")
    shutil.copytree(FEEDS, project / "feeds")
    shutil.copy(ROOT / "digest.yaml", project / "digest.yaml")
    report = build_project(project)
    assert report.search.startswith("search: 3 month(s), 4 pages")  # the build indexed them
    return project / "output"


def listed(out: Path) -> list[str]:
    return json.loads((out / "pagefind" / "months.json").read_text())


def test_each_month_has_its_index_and_only_the_months_asked_for_are_made_again(
    built: Path,
) -> None:
    index = built / "pagefind"
    assert listed(built) == MONTHS
    for month in MONTHS:
        assert (index / month / "pagefind-entry.json").is_file()
        assert (index / month / "pagefind.js").is_file()
        assert not [name for name in search.UNUSED if (index / month / name).exists()]
        assert search.UNUSED[0] not in (built / "search.js").read_text()  # loads pagefind.js
    kept = {m: (index / m / "pagefind-entry.json").stat().st_ino for m in MONTHS}
    same = search.index_site(built, months=["2026-08"])  # made again: the same files, kept
    assert same.indexed and same.months == ("2026-08",) and same.pages == 2
    assert {m: (index / m / "pagefind-entry.json").stat().st_ino for m in MONTHS} == kept
    page = built / "days" / "2026-08-05.html"
    page.write_text(page.read_text().replace("</h3>", " zymurgy</h3>", 1))
    again = search.index_site(built, months=["2026-08"])
    assert again.months == ("2026-08",)
    now = {m: (index / m / "pagefind-entry.json").stat().st_ino for m in MONTHS}
    assert now["2026-08"] != kept["2026-08"]  # a new index, put in place
    assert now["2026-11"] == kept["2026-11"] and now["2026-03"] == kept["2026-03"]
    nothing = search.index_site(built, months=[])
    assert nothing.indexed and nothing.months == () and "kept" in nothing.describe()


def test_a_month_without_pages_loses_its_index_and_one_without_an_index_gets_one(
    built: Path,
) -> None:
    index = built / "pagefind"
    (built / "days" / "2026-03-13.html").unlink()
    shutil.rmtree(index / "2026-11")
    (index / "pagefind-entry.json").write_text("{}")  # the one index of an older digest
    (built / ".pagefind-new-leftover").mkdir()  # as an interrupted run would leave it
    report = search.index_site(built, months=[])
    assert report.months == ("2026-11",)
    assert listed(built) == ["2026-11", "2026-08"]
    assert sorted(p.name for p in index.iterdir()) == ["2026-08", "2026-11", "months.json"]
    assert not list(built.glob(".pagefind-*"))  # nothing hidden left to publish


def test_without_pagefind_or_day_pages_nothing_is_indexed_and_the_report_says_why(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = search.index_site(tmp_path)
    assert not empty.indexed and "no day pages" in empty.reason
    monkeypatch.setattr(search, "pagefind_binary", lambda: None)
    missing = search.index_site(built)
    assert not missing.indexed and "not installed" in missing.describe()


def test_search_off_removes_the_index_and_the_search_page_says_nothing_of_it(
    built: Path,
) -> None:
    project = built.parent
    config = project / "digest.yaml"
    config.write_text(config.read_text() + "site:\n  search: false\n")
    report = build_project(project)
    assert report.search == "search: index removed (search is off)"
    assert not (built / "pagefind").exists() and not (built / "search.html").exists()
