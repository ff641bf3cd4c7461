"""`digest build` end to end on the bundled sample: every output written, listed, stable, and
only what changed rewritten."""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import jinja2
import pytest

from digest.config import load_config
from digest.errors import DigestError, TemplateProblem
from digest.rank import cache, score
from tests.helpers import build_project, parse_html

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample"
# Compared byte for byte. Left out: the email HTML (its inlined CSS is css-inline's to format)
# and the topic pages (they repeat the day pages' markup); both are checked element by element.
DATES = ["2026-03-13", "2026-08-05", "2026-08-12", "2026-11-20"]  # of the sample feeds
DAYS = tuple(dt.date.fromisoformat(d) for d in DATES)
NEW_DATE, LATEST = dt.date(2026, 11, 21), DAYS[-1]
GOLDEN_GLOBS = ["markdown/*.md", "feeds/*", "email/*.txt", "email/*.eml", "days/*.html",
                "index.html", "archive.html", "manifest.json", "style.css"]  # fmt: skip


def files(out: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``out``: relative path -> (inode, mtime_ns)."""
    return {
        p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_build_writes_every_output_and_lists_it_in_the_manifest(project: Path) -> None:
    report = build_project(project)
    out = project / "output"
    assert report.dates == 4 and report.ranked == DAYS and report.rendered_dates == DAYS
    assert report.rendered == {name: DAYS for name in ("email", "markdown", "site")}
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = set(files(out)) - {"manifest.json"}
    assert set(listed) == on_disk
    assert all(set(f) == {"path", "kind", "date", "topic"} for f in listed.values())
    dates = ["2026-03-13", "2026-08-05", "2026-08-12", "2026-11-20"]
    for date in dates:
        assert listed[f"markdown/{date}.md"] == {
            "path": f"markdown/{date}.md",
            "kind": "markdown",
            "date": date,
            "topic": None,
        }
        assert listed[f"email/{date}.html"]["kind"] == "email-html"
        assert listed[f"email/{date}.txt"]["kind"] == "email-text"
        assert listed[f"email/{date}.eml"]["kind"] == "email-eml"
        assert listed[f"days/{date}.html"]["kind"] == "page"
    topics = ["scaling", "test-time compute", "optimization", "efficiency", "rl"]
    assert sorted(
        f["topic"] for f in listed.values() if f["kind"] == "rss" and f["topic"]
    ) == sorted(topics)
    assert {f["topic"] for p, f in listed.items() if p.startswith("topics/")} == set(topics)
    assert listed["feeds/all.xml"]["kind"] == "rss" and listed["feeds/feeds.opml"]["kind"] == "opml"
    assert listed["index.html"]["kind"] == "page" and listed["archive.html"]["kind"] == "page"
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*"))


def stable(rel: str, data: bytes) -> bytes:
    """A file as the golden copy keeps it: the manifest without the search index's files, whose
    names are Pagefind's hashes (its own version's, not digest's; test_search.py checks them)."""
    if rel != "manifest.json":
        return data
    from digest.writer import Entry, manifest_text

    found = json.loads(data)
    kept = [Entry(f["path"], f["kind"], f["date"], f["topic"], 0) for f in found["files"]
            if f["kind"] != "search-index"]  # fmt: skip
    return manifest_text(found["generator"], kept)


def test_sample_build_matches_the_golden_files(searched_project: Path, update_golden: bool) -> None:
    project = searched_project
    build_project(project)
    out = project / "output"
    made = {p.relative_to(out).as_posix(): p for g in GOLDEN_GLOBS for p in out.glob(g)}
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, path in made.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(stable(rel, path.read_bytes()))
        pytest.skip("golden files updated")
    expected = {p.relative_to(GOLDEN).as_posix() for g in GOLDEN_GLOBS for p in GOLDEN.glob(g)}
    assert set(made) == expected, "files differ; run pytest --update-golden if intended"
    for rel, path in made.items():
        assert stable(rel, path.read_bytes()) == (GOLDEN / rel).read_bytes(), (
            f"{rel} differs from tests/golden (--update-golden to refresh)"
        )


def test_a_build_shows_the_progress_of_each_long_stage(project: Path) -> None:
    bars: dict[str, list] = {}  # label -> [total, unit, advanced]

    @contextlib.contextmanager
    def bar(label: str, total: int, unit: str) -> Iterator[Callable[[int], None]]:
        bars[label] = [total, unit, 0]

        def advance(n: int) -> None:
            bars[label][2] += n

        yield advance

    build_project(project, bar=bar)
    config = load_config(project / "digest.yaml")
    sources = sum(p.stat().st_size for s in config.sources for p in config.root.glob(str(s.path)))
    assert bars == {
        "collecting": [sources, "bytes", sources],
        "ranking": [4, "dates", 4],
        "rendering": [4, "dates", 4],
    }
    # a build with nothing new: the files are read no more (only their sizes count as
    # done), no date is ranked or rendered
    bars.clear()
    build_project(project, bar=bar)
    assert bars["collecting"] == [sources, "bytes", sources]
    assert bars["rendering"] == [0, "dates", 0] and "ranking" not in bars


def test_rebuilding_unchanged_input_touches_nothing(project: Path) -> None:
    build_project(project)
    before = files(project / "output")
    report = build_project(project)
    assert report.ranked == () and report.rendered == {} and report.loaded == ()
    assert not report.summary and not report.pieces and not report.templates_parsed
    assert report.written.written == [] and report.written.removed == []
    assert files(project / "output") == before


def test_another_scoring_version_ranks_every_kept_date_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an upgrade that scores otherwise (digest.rank.score.VERSION) must not leave the old days
    # ranked the old way beside new ones: the kept rankings are made again
    build_project(project)
    assert build_project(project).ranked == ()
    monkeypatch.setattr(score, "VERSION", score.VERSION + 1)
    monkeypatch.setattr(cache, "SCORING_VERSION", score.VERSION)
    assert build_project(project).ranked == DAYS


def test_a_date_whose_outputs_all_match_is_not_rendered_though_its_row_differs(
    project: Path,
) -> None:
    """Each output's files are kept by their own key; the date's key (all of them at once) is
    only the quick check. A row whose date key no longer matches (an output dropped, say) is
    written anew, and nothing is rendered or even read from the store."""
    from digest.store import Store

    build_project(project)
    store = load_config(project / "digest.yaml").store
    with Store(store) as db:
        rows = [(d, "from another build", files) for d, (_, files) in db.rendered().items()]
        with db.transaction():
            db.save_rendered(rows, [d for d, _, _ in rows], db.rendered_summary())
    before = files(project / "output")
    report = build_project(project)
    assert report.rendered == {} and report.loaded == ()
    assert files(project / "output") == before
    with Store(store) as db:
        keys = [key for key, _ in db.rendered().values()]
    assert len(keys) == 4 and "from another build" not in keys


def test_the_pages_listing_many_dates_are_rendered_only_when_one_changed(project: Path) -> None:
    assert build_project(project).summary
    before = files(project / "output")
    # nothing changed: home, topics, archive and feeds kept as they are
    assert not build_project(project).summary and files(project / "output") == before
    (project / "output" / "index.html").unlink()  # a kept file gone: rendered again
    assert build_project(project).summary and (project / "output" / "index.html").is_file()
    config = project / "digest.yaml"
    config.write_text(config.read_text() + "recent_days: 2\n")  # changes what they list
    assert build_project(project).summary


def test_force_renders_again_but_writes_no_changed_bytes(project: Path) -> None:
    build_project(project)
    before = files(project / "output")
    report = build_project(project, force=True)
    assert report.ranked == DAYS and report.rendered_dates == DAYS and report.written.written == []
    assert files(project / "output") == before


NEW_DAY = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>extra</title><link>https://example.org</link>
<description>x</description>
<item><title>Scaling Laws for Verifier-Guided Search at Test Time</title>
<link>https://arxiv.org/abs/2611.20001</link>
<description>We fit a scaling law for test-time compute with a learned verifier.</description>
<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>A Survey of Bird Songs</title><link>https://arxiv.org/abs/2611.20002</link>
<description>Nothing about machine learning.</description>
<pubDate>Sat, 21 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>
"""


def add_new_day(project: Path) -> None:
    (project / "feeds" / "extra.xml").write_text(NEW_DAY)
    config = project / "digest.yaml"
    new = "sources:\n  - path: feeds/extra.xml\n    name: extra\n"
    config.write_text(config.read_text().replace("sources:\n", new, 1))


def test_adding_a_day_rewrites_only_that_day_and_the_pages_that_list_it(
    searched_project: Path,
) -> None:
    project = searched_project
    build_project(project)
    before = files(project / "output")
    add_new_day(project)
    report = build_project(project)
    # the day before gets a link to the new one: its page is made again, its email and
    # Markdown are not even rendered
    assert report.rendered == {
        "site": (LATEST, NEW_DATE), "email": (NEW_DATE,), "markdown": (NEW_DATE,)
    }  # fmt: skip
    after = files(project / "output")
    assert report.ranked == (NEW_DATE,) and report.rendered_dates == (LATEST, NEW_DATE)
    changed = {p for p in after if before.get(p) != after[p]}
    new_day = {"days/2026-11-21.html", "markdown/2026-11-21.md", "email/2026-11-21.html",
               "email/2026-11-21.txt", "email/2026-11-21.eml"}  # fmt: skip
    assert new_day <= changed
    # the previous latest date links to the new one; the home page, archive, feeds and the
    # topics the new papers matched list it
    assert {"days/2026-11-20.html", "index.html", "archive.html", "manifest.json",
            "feeds/all.xml", "feeds/scaling.xml", "topics/scaling.html",
            "markdown/README.md"} <= changed  # fmt: skip
    untouched = {p for p in before if p.startswith(("days/", "markdown/2", "email/"))
                 and "2026-11-2" not in p}  # fmt: skip
    assert untouched and not (untouched & changed)
    assert "topics/efficiency.html" not in changed  # nothing new on it
    # the search index of the new date's month is made again, the other months' are kept
    index = {p for p in changed if p.startswith("pagefind/")}
    assert {p.split("/")[1] for p in index} == {"2026-11"}
    assert report.search.startswith("search: 2026-11, 2 pages")
    assert set(report.written.written) == changed - {"manifest.json"} - index


def test_a_new_day_renders_only_its_own_topic_sections_and_feed_items(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from digest.render import unpack_pieces
    from digest.store import Store

    assert build_project(project).pieces == DAYS[::-1]  # newest first
    add_new_day(project)
    report = build_project(project)
    assert set(report.loaded) == {NEW_DATE, LATEST}  # the new date, and the one before
    # the new date's pieces only: its section of the scaling and test-time compute pages and
    # its items in the feeds; every other date's pieces are the ones kept, not even read
    assert report.pieces == (NEW_DATE,)
    with Store(load_config(project / "digest.yaml").store) as store:
        pieces = unpack_pieces(store.fragments()[NEW_DATE][1])
    assert {"site/topic:scaling", "feeds/rss:feeds/all.xml", "feeds/rss:feeds/scaling.xml"} <= set(
        pieces
    )
    # and the pages and feeds are the same bytes as a build that renders every piece
    fresh = tmp_path_factory.mktemp("fresh")
    shutil.copytree(project / "feeds", fresh / "feeds")
    shutil.copy(project / "digest.yaml", fresh / "digest.yaml")
    build_project(fresh)
    for name in ["topics/scaling.html", "topics/test-time-compute.html", "topics/rl.html",
                 "feeds/all.xml", "feeds/scaling.xml", "index.html"]:  # fmt: skip
        assert (project / "output" / name).read_bytes() == (fresh / "output" / name).read_bytes()
    # a changed template makes every piece again
    (project / "mine" / "site").mkdir(parents=True)
    (project / "mine" / "site" / "topic_day.html").write_text(
        "<section class=mine>{{ day.date.isoformat() }}: {{ papers|length }}</section>\n"
    )
    with (project / "digest.yaml").open("a") as fh:
        fh.write("templates: mine\n")
    assert set(build_project(project).pieces) == {*DAYS, NEW_DATE}
    page = parse_html((project / "output" / "topics" / "scaling.html").read_bytes())
    assert page.find("section", class_="mine")[0].text.startswith("2026-11-21: ")


def test_a_changed_template_or_title_re_renders_and_a_dropped_topic_is_removed(
    project: Path,
) -> None:
    build_project(project)
    config = project / "digest.yaml"
    config.write_text(config.read_text().replace("title: ML Paper Digest", "title: Lab Digest"))
    report = build_project(project)
    assert report.ranked == () and report.rendered_dates == DAYS
    assert "Lab Digest" in (project / "output" / "days" / "2026-08-05.html").read_text()
    text = config.read_text()
    start = text.index("  rl:\n")
    config.write_text(text[:start] + text[text.index("highlights:") :])
    report = build_project(project)
    assert report.ranked == DAYS
    assert {"topics/rl.html", "feeds/rl.xml"} <= set(report.written.removed)
    assert not (project / "output" / "topics" / "rl.html").exists()


def _override(project: Path, name: str, text: str) -> None:
    """The user's own ``name`` template in the project's ``mine/`` folder (named in the config
    on first use)."""
    (project / "mine" / name).parent.mkdir(parents=True, exist_ok=True)
    (project / "mine" / name).write_text(text)
    config = project / "digest.yaml"
    if "templates: mine" not in config.read_text():
        with config.open("a") as fh:
            fh.write("templates: mine\n")


def _builtin(name: str) -> str:
    from digest.render.env import builtin_templates

    return (builtin_templates() / name).read_text()


@pytest.mark.parametrize(
    ("template", "edit", "made_again", "changed_files"),
    [
        # the email's text template: the emails of every date, not the pages or the Markdown;
        # of those, the text and the .eml change, the HTML is the same bytes (left untouched)
        ("email/day.txt", lambda t: t + "-- sent by the lab\n", {"email"},
         {"email/*.txt", "email/*.eml"}),
        # what the day page imports its paper cards from: the pages only
        ("site/_paper.html", lambda t: t.replace('class="tldr"', 'class="tldr mine"'), {"site"},
         {"days/*.html"}),
        # the stylesheet: a file of its own that pages link to; no date is made again
        ("site/style.css", lambda t: t + "\nh1 { letter-spacing: 0.01em; }\n", set(), set()),
        # a template no output uses
        ("README.md", lambda t: t + "\nnotes\n", set(), set()),
    ],
)  # fmt: skip
def test_an_edited_template_makes_again_only_the_files_made_from_it(
    project: Path,
    template: str,
    edit: Callable[[str], str],
    made_again: set[str],
    changed_files: set[str],
) -> None:

    _override(project, "markdown/unused.md", "not used by any output\n")
    build_project(project)
    out = project / "output"
    before = files(out)
    _override(project, template, edit(_builtin(template)))
    report = build_project(project)
    assert report.rendered == {name: DAYS for name in made_again}
    after = files(out)
    changed = {p for p in after if before.get(p) != after[p]}
    dated = {p for p in changed if p.startswith(("days/", "email/", "markdown/"))}
    assert dated == {p for p in before for glob in changed_files if fnmatch.fnmatch(p, glob)}
    if template == "site/style.css":  # the pages listing many dates are made on any edit
        assert "letter-spacing: 0.01em" in (out / "style.css").read_text()
    # and a build from scratch with the edited template gives the same bytes
    kept = {p: (out / p).read_bytes() for p in after}
    shutil.rmtree(out)
    build_project(project)
    assert {p: (out / p).read_bytes() for p in files(out)} == kept


def test_which_templates_an_output_uses_is_found_once_per_edit(project: Path) -> None:
    assert build_project(project).templates_parsed
    # kept in the store: the templates are not parsed again
    assert not build_project(project).templates_parsed
    _override(project, "email/day.txt", _builtin("email/day.txt") + "--\n")
    assert build_project(project).templates_parsed


def test_a_template_named_by_an_expression_counts_every_template(tmp_path: Path) -> None:
    from digest.render.env import environment, template_closure

    env = environment(None)
    assert template_closure(env, ["site/day.html"]) == {
        "site/day.html", "site/base.html", "site/_paper.html"
    }  # fmt: skip
    loader = jinja2.DictLoader({
        "a.html": '{% extends "b.html" %}{% block x %}{% include "c.html" %}{% endblock %}',
        "b.html": '{% block x %}{% endblock %}{% from "d.html" import m %}',
        "c.html": "c", "d.html": "{% macro m() %}{% endmacro %}",
        "e.html": "{% include which %}", "f.html": "{% if %}",
        "g.html": '{% include "e.html" %}',
    })  # fmt: skip
    env = jinja2.Environment(loader=loader)
    assert template_closure(env, ["a.html"]) == {"a.html", "b.html", "c.html", "d.html"}
    # a name known only when rendering, or a template that does not parse: not known
    assert template_closure(env, ["g.html"]) is None
    assert template_closure(env, ["f.html"]) is None
    assert template_closure(env, ["missing.html"]) == {"missing.html"}
    # nor one that includes a file that is no text
    (tmp_path / "a.html").write_text('{% include "logo.png" %}')
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path))
    assert template_closure(env, ["a.html"]) is None


def test_a_template_named_by_an_expression_makes_its_output_depend_on_every_template(
    project: Path,
) -> None:
    # the email's text template includes a template whose name is known only when rendering;
    # beside the templates lies a file that is no template at all (not even text)
    text = _builtin("email/day.txt").replace(
        "Also new:", '{% include "email/" ~ "sign.txt" %}Also new:', 1
    )
    _override(project, "email/day.txt", text)
    _override(project, "email/sign.txt", "-- the lab\n")
    (project / "mine" / "site" / "logo.png").parent.mkdir(parents=True, exist_ok=True)
    (project / "mine" / "site" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    build_project(project)
    assert "-- the lab" in (project / "output" / "email" / "2026-11-20.txt").read_text()
    # any template's change may change the email's: it is made again, the others are not
    (project / "mine" / "site" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x01")
    assert build_project(project).rendered == {"email": DAYS}


def test_user_templates_override_file_by_file(project: Path) -> None:
    (project / "mine" / "markdown").mkdir(parents=True)
    (project / "mine" / "markdown" / "day.md").write_text(
        "{{ day.date.isoformat() }}: {{ day.highlights|length }} highlights\n"
        "{% for s in day.highlights %}- {{ s.paper.title|md }}\n{% endfor %}"
    )
    with (project / "digest.yaml").open("a") as fh:
        fh.write("templates: mine\n")
    build_project(project)
    md = (project / "output" / "markdown" / "2026-11-20.md").read_text()
    assert md.startswith("2026-11-20: ") and "## Highlights" not in md
    assert "<h1>" in (project / "output" / "days" / "2026-11-20.html").read_text()  # built-in


@pytest.mark.parametrize(
    ("path", "text", "line", "problem"),
    [
        ("markdown/day.md", "# {{ day.date }}\n{{ nothing.here }}\n", 2, "'nothing' is undefined"),
        ("site/topic.html", "{% extends 'site/base.html' %}\n{% block main %}{% for %}", 2,
         "Expected"),
        ("email/day.txt", "{{ day.papers|no_such_filter }}", 1, "No filter named"),
        ("feeds/item.xml", "<item>{{ s.paper.title|shorten }}</item>", 1, "shorten()"),
    ],
)  # fmt: skip
def test_a_broken_user_template_is_one_line_naming_its_file_and_line(
    project: Path, path: str, text: str, line: int, problem: str
) -> None:
    broken_template_build(project, path, text, line, problem)


def test_a_broken_user_template_on_the_render_workers_is_the_same_line(project: Path) -> None:
    text = "# {{ day.date }}\n{{ nothing.here }}\n"
    broken_template_build(project, "markdown/day.md", text, 2, "'nothing' is undefined", 2)


def broken_template_build(
    project: Path, path: str, text: str, line: int, problem: str, workers: int | None = None
) -> None:
    (project / "mine" / path).parent.mkdir(parents=True)
    (project / "mine" / path).write_text(text)
    with (project / "digest.yaml").open("a") as fh:
        fh.write("templates: mine\n")
    with pytest.raises(TemplateProblem) as caught:
        build_project(project, workers=workers)
    message = str(caught.value)
    assert "\n" not in message and problem in message
    assert message.startswith(f"{project / 'mine' / path}, line {line}: ")


def test_an_output_folder_holding_the_store_is_refused(project: Path) -> None:
    with pytest.raises(DigestError, match="must not hold the store"):
        build_project(project, out=project)


def test_a_config_with_only_sources_and_topics_builds(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).parent.parent / "feeds", tmp_path / "feeds")
    (tmp_path / "digest.yaml").write_text(
        "sources:\n  - path: feeds/arxiv-cs-lg.xml\ntopics:\n  rl: [reinforcement learning]\n"
    )
    report = build_project(tmp_path)
    assert report.dates == 1
    home = parse_html((tmp_path / "output" / "index.html").read_bytes())
    assert "Paper digest" in home.find("title")[0].text
    # one date is "1 date", not "1 dates"
    assert "All 1 date" in [a.text for a in home.find("a", href="archive.html")]


def test_ranking_and_rendering_on_workers_gives_the_same_files(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("workers")
    shutil.copytree(project / "feeds", other / "feeds")
    shutil.copy(project / "digest.yaml", other / "digest.yaml")
    assert build_project(project).workers == 1
    report = build_project(other, workers=2)
    assert report.workers == 2 and report.ranked == DAYS and report.rendered_dates == DAYS
    ours, theirs = project / "output", other / "output"
    assert set(files(ours)) == set(files(theirs))
    for rel in files(ours):
        assert (ours / rel).read_bytes() == (theirs / rel).read_bytes(), rel


def test_a_worker_that_cannot_write_stops_the_build_with_one_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers write their dates' files themselves: their errors still reach the user as the
    writer's one-line message, and nothing is recorded as rendered."""
    from digest import writer

    real = writer.atomic_write

    def full_disk(target: Path, data: bytes) -> None:
        if target.suffix == ".eml":
            raise writer.OutputError(f"{target}: cannot write: No space left on device")
        real(target, data)

    monkeypatch.setattr(writer, "atomic_write", full_disk)
    with pytest.raises(writer.OutputError, match=r"\.eml: cannot write: No space left on device$"):
        build_project(project, workers=2)
    monkeypatch.setattr(writer, "atomic_write", real)
    assert build_project(project).rendered_dates == DAYS  # the next build does them all


@pytest.mark.parametrize("command", ["build", "dates", "send"])
def test_a_damaged_store_is_one_line_naming_it_without_its_text(
    project: Path, command: str
) -> None:
    """A damaged row (here a date column holding an abstract, as a damaged page of the file
    can) is one line naming the store, not the text the row holds instead."""
    import sqlite3

    from click.testing import CliRunner

    from digest.cli import main

    config = project / "digest.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["build", "-c", str(config)]).exit_code == 0
    store = project / ".digest" / "store.sqlite"
    with contextlib.closing(sqlite3.connect(store)) as db, db:
        db.execute(
            "UPDATE days SET date = (SELECT abstract FROM papers LIMIT 1) "
            "WHERE date = (SELECT min(date) FROM days)"
        )
    args = ["--dry-run", "--to", "me@example.org"] if command == "send" else []
    result = runner.invoke(main, [command, "-c", str(config), *args])
    assert result.exit_code == 1, result.output
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {store}: a date column holds '")
    assert line.endswith(
        "the store is damaged (check it with PRAGMA integrity_check, or restore it from a backup)"
    )
    assert len(line) < len(str(store)) + 200
