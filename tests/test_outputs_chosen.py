"""A digest that builds only some outputs (``outputs:``): it writes theirs and no other, and
none of them links to an output that is not built."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from pathlib import Path

import feedparser
import pytest

from tests.conftest import FEEDS, ROOT
from tests.helpers import build_project, parse_html

SITE = "https://example.org/digest/"
OWN = {  # what each output writes
    "site": re.compile(
        r"^(days/.*|topics/.*|(index|archive|subscribe|search)\.html|style\.css|search\.js"
        r"|pagefind/.*)$"
    ),
    "email": re.compile(r"^email/"),
    "markdown": re.compile(r"^markdown/"),
    "feeds": re.compile(r"^feeds/"),
}
TO_SITE = re.compile(re.escape(SITE) + r"(days|topics|index|archive)")  # a link to a site page
TO_FEEDS = re.compile(r"feeds/[^\"'\s<>]*\.(xml|opml)")  # a link to a feed, relative or not


def project_with(tmp_path: Path, outputs: list[str] | None) -> Path:
    shutil.copytree(FEEDS, tmp_path / "feeds")
    shutil.copy(ROOT / "digest.yaml", tmp_path / "digest.yaml")
    if outputs is not None:
        with (tmp_path / "digest.yaml").open("a") as fh:
            fh.write(f"outputs: {json.dumps(outputs)}\n")
    return tmp_path


def listed(out: Path) -> set[str]:
    return {f["path"] for f in json.loads((out / "manifest.json").read_text())["files"]}


@pytest.mark.parametrize(
    "chosen", [["site"], ["email"], ["markdown"], ["feeds"], ["email", "markdown"]]
)
def test_a_digest_builds_only_the_outputs_it_names_and_links_to_no_other(
    tmp_path: Path, chosen: list[str]
) -> None:
    out = project_with(tmp_path, chosen) / "output"
    build_project(tmp_path)
    files = listed(out)
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == files | {"manifest.json"}
    for name, own in OWN.items():
        theirs = {f for f in files if own.match(f)}
        assert bool(theirs) == (name in chosen), (name, sorted(theirs)[:3])
    for path in files:
        if path.endswith(".eml") or path.startswith("pagefind/"):  # its parts are the .html
            continue  # and .txt beside it; the search index is Pagefind's (test_search.py)
        text = (out / path).read_text()
        if "site" not in chosen:
            assert not TO_SITE.search(text), (path, TO_SITE.search(text))
        if "feeds" not in chosen:
            assert not TO_FEEDS.search(text), (path, TO_FEEDS.search(text))
    if "site" in chosen:  # every page's relative links lead to a file this build wrote
        for page in (p for p in files if p.endswith(".html")):
            tree = parse_html((out / page).read_bytes())
            assert not tree.errors
            for element in tree.all:
                link = element.attrs.get("href") or ""
                target = link.partition("#")[0]
                if target and not link.startswith("https://"):
                    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), target))
                    assert resolved in files, (page, link)
    if "feeds" in chosen:
        for feed in (p for p in files if p.endswith(".xml")):
            parsed = feedparser.parse((out / feed).read_bytes())
            assert not parsed.bozo, (feed, parsed.get("bozo_exception"))
            assert all("title" in entry for entry in parsed.entries)


def test_naming_fewer_outputs_removes_the_others_and_keeps_the_rest_untouched(
    tmp_path: Path,
) -> None:
    project = project_with(tmp_path, None)
    build_project(project)
    out = project / "output"
    before = {p: (out / p).stat().st_mtime_ns for p in listed(out)}
    with (project / "digest.yaml").open("a") as fh:
        fh.write("outputs: [site, feeds]\n")
    report = build_project(project)
    kept = listed(out)
    assert kept == {p for p in before if OWN["site"].match(p) or OWN["feeds"].match(p)}
    assert set(report.written.removed) == set(before) - kept
    assert not (out / "email").exists() or not any((out / "email").iterdir())
    # the pages and feeds show the same as before: made again, the same bytes, not rewritten
    assert all((out / p).stat().st_mtime_ns == before[p] for p in kept)


@pytest.mark.parametrize("chosen", [None, ["markdown"]])
def test_the_build_points_to_the_home_page_only_when_it_made_one(
    tmp_path: Path, chosen: list[str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from digest.cli import main

    monkeypatch.chdir(project_with(tmp_path, chosen))
    result = CliRunner().invoke(main, ["build", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert ("open " in result.output) == (chosen is None)
    assert ("index.html" in result.output) == (tmp_path / "output" / "index.html").is_file()
