from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from digest.collect import Deduper, collect, group_by_date, parse_sources
from digest.config import SourceSpec, load_config
from digest.errors import StoreError
from digest.model import Paper, merge
from digest.store import Store

from .conftest import FEEDS, PAGES, TODAY

PAGE_FILES = sorted(PAGES.glob("*.txt"))


def write_config(folder: Path, sources: list[dict]) -> Path:
    config = folder / "digest.yaml"
    config.write_text(json.dumps({"sources": sources}), encoding="utf-8")  # JSON is YAML
    return config


def dump(store_path: Path) -> list:
    with sqlite3.connect(store_path) as db:
        papers = db.execute("SELECT * FROM papers ORDER BY id").fetchall()
        sightings = db.execute("SELECT * FROM sightings ORDER BY paper_id, source").fetchall()
    return [papers, sightings]


def run(config_path: Path, today: dt.date = TODAY, force: bool = False):
    config = load_config(config_path)
    with Store(config.store) as store:
        return collect(config, store, today, force=force), config


def test_default_build_sources_collect_and_recollect_changes_nothing(project: Path) -> None:
    report, config = run(project / "digest.yaml")
    assert report.errors == ()
    pages = report.sources[0]
    assert (pages.read, pages.new, pages.seen) == (182, 159, 0)
    assert pages.duplicates == 182 - 159  # papers on more than one page come out once
    assert sum(d.new for d in report.dates) == sum(s.new for s in report.sources)
    before = dump(config.store)

    # unchanged files are not read again: nothing read, nothing new, the store as it was
    again, _ = run(project / "digest.yaml")
    assert [s.new for s in again.sources] == [0, 0, 0]
    assert [(s.read, s.unchanged_papers) for s in again.sources] == [
        (0, s.read) for s in report.sources
    ]
    assert [s.unchanged_inputs for s in again.sources] == [3, 1, 1]
    assert dump(config.store) == before

    # read again on purpose, every paper is already seen and still nothing changes
    forced, _ = run(project / "digest.yaml", force=True)
    assert [s.new for s in forced.sources] == [0, 0, 0]
    assert [s.unchanged_inputs for s in forced.sources] == [0, 0, 0]
    assert sum(s.seen for s in forced.sources) == sum(s.new for s in report.sources)
    assert dump(config.store) == before
    assert [(d.date, d.new) for d in forced.dates] == [(d.date, 0) for d in report.dates]


def test_the_same_paper_on_two_pages_is_one_paper_with_the_earliest_date(tmp_path: Path) -> None:
    shutil.copy(PAGES / "daily-papers-aug05.txt", tmp_path)
    shutil.copy(PAGES / "daily-papers-mar13.txt", tmp_path)
    aug = {
        p.title
        for p in parse_sources(
            [SourceSpec("a", str(tmp_path / "daily-papers-aug05.txt"))], tmp_path, TODAY
        )[0]
    }
    mar = {
        p.title
        for p in parse_sources(
            [SourceSpec("m", str(tmp_path / "daily-papers-mar13.txt"))], tmp_path, TODAY
        )[0]
    }
    shared = aug & mar
    assert shared, "the samples share papers"

    # Collected in two runs, the later page first: the paper moves to the day it was first seen.
    write_config(tmp_path, [{"path": "daily-papers-aug05.txt", "name": "pages"}])
    _first, config = run(tmp_path / "digest.yaml")
    write_config(tmp_path, [{"path": "daily-papers-mar13.txt", "name": "pages"}])
    second, _ = run(tmp_path / "digest.yaml")
    assert second.sources[0].seen == len(shared)
    assert second.sources[0].new == len(mar - aug)
    with Store(config.store) as store:
        assert store.count() == len(aug | mar)
        mar_day = {p.title for p in store.papers_on(dt.date(2026, 3, 13))}
        aug_day = {p.title for p in store.papers_on(dt.date(2026, 8, 5))}
        # the per-date counts kept as papers come and move are the counts of the papers
        assert store.dates() == counted(store)
        assert store.dates() == [
            (dt.date(2026, 3, 13), len(mar)),
            (dt.date(2026, 8, 5), len(aug - mar)),
        ]
    assert mar_day == mar and aug_day == aug - mar


def counted(store: Store) -> list[tuple[dt.date, int]]:
    """Every date's papers counted in the papers themselves."""
    rows = store.db.execute("SELECT date, count(*) FROM papers GROUP BY date ORDER BY date")
    return [(dt.date.fromisoformat(d), n) for d, n in rows]


def test_a_date_all_of_whose_papers_moved_away_is_no_date(tmp_path: Path) -> None:
    """A paper seen again on an earlier day moves there; a date left with none is listed no
    more (nor ranked, nor rendered)."""
    line = '{{"id": "2611.0000{n}", "title": "Paper {n}", "abstract": "A.", "date": "{d}"}}\n'
    (tmp_path / "late.jsonl").write_text(line.format(n=1, d="2026-11-20"))
    (tmp_path / "early.jsonl").write_text(line.format(n=1, d="2026-11-18"))
    write_config(tmp_path, [{"path": "late.jsonl", "name": "late"}])
    _, config = run(tmp_path / "digest.yaml")
    with Store(config.store) as store:
        assert store.dates() == [(dt.date(2026, 11, 20), 1)]
        late = store.day_versions()[dt.date(2026, 11, 20)]
    write_config(tmp_path, [{"path": "early.jsonl", "name": "early"}])
    run(tmp_path / "digest.yaml")
    with Store(config.store) as store:
        assert store.dates() == counted(store) == [(dt.date(2026, 11, 18), 1)]
        versions = store.day_versions()
    assert list(versions) == [dt.date(2026, 11, 18)] and versions[dt.date(2026, 11, 18)] != late


def test_a_store_of_schema_1_gets_its_dates_counted_once(project: Path) -> None:
    _, config = run(project / "digest.yaml")
    with Store(config.store) as store:
        dates, versions = store.dates(), store.day_versions()
    # the store as digest 0.1's first schema had it: the last change per date, no counts
    with sqlite3.connect(config.store) as db:
        db.execute("CREATE TABLE day_changes(date TEXT PRIMARY KEY, run INTEGER NOT NULL)")
        db.execute("INSERT INTO day_changes SELECT date, run FROM days")
        db.execute("DROP TABLE days")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    with Store(config.store) as store:
        assert store.dates() == dates == counted(store)
        assert store.day_versions() == versions
    with sqlite3.connect(config.store) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert "day_changes" not in tables


def test_title_only_paper_and_arxiv_paper_are_one_in_either_order(tmp_path: Path) -> None:
    shutil.copy(PAGES / "daily-papers-aug12.txt", tmp_path)
    shutil.copy(FEEDS / "arxiv-cs-lg.xml", tmp_path)
    title = "NeuralStagger: Accelerating Physics-constrained Neural PDE Solver with Spatial-temporal Decomposition"
    results = []
    for order in (
        ["daily-papers-aug12.txt", "arxiv-cs-lg.xml"],
        ["arxiv-cs-lg.xml", "daily-papers-aug12.txt"],
    ):
        folder = tmp_path / ("first-" + order[0])
        folder.mkdir()
        for name in order:
            shutil.copy(tmp_path / name, folder)
        write_config(folder, [{"path": name} for name in order])
        _, config = run(folder / "digest.yaml")
        with Store(config.store) as store:
            matches = [p for d, _ in store.dates() for p in store.papers_on(d) if p.title == title]
            assert len(matches) == 1
            results.append(matches[0])
            assert sorted(store.sources_of(matches[0].id)) == ["arxiv-cs-lg", "daily-papers-aug12"]
    for paper in results:
        assert paper.id == "2308.05451"  # the arXiv id wins over the title hash
        assert paper.date == dt.date(2026, 8, 12)  # first seen on the page
        assert paper.url == "https://arxiv.org/abs/2308.05451"  # filled from the richer source
        assert paper.authors  # likewise


def test_versions_of_one_arxiv_paper_are_one_paper(tmp_path: Path) -> None:
    v1 = {"id": "2601.00001v1", "title": "A Paper", "abstract": "First.", "date": "2026-01-05"}
    v2 = {
        "id": "2601.00001v2",
        "title": "A Paper (revised)",
        "abstract": "Second.",
        "date": "2026-01-09",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(v1) + "\n")
    (tmp_path / "b.jsonl").write_text(json.dumps(v2) + "\n")
    write_config(tmp_path, [{"path": "a.jsonl"}])
    run(tmp_path / "digest.yaml")
    write_config(tmp_path, [{"path": "b.jsonl"}])
    report, config = run(tmp_path / "digest.yaml")
    assert (report.sources[0].new, report.sources[0].seen) == (0, 1)
    with Store(config.store) as store:
        (paper,) = store.papers_on(dt.date(2026, 1, 5))
        assert store.count() == 1
    assert paper.title == "A Paper" and paper.abstract == "First."


def test_merge_fills_gaps_and_keeps_the_first_title() -> None:
    page = Paper("title:abc", "T", "Abstract.", dt.date(2026, 8, 12), "page")
    feed = Paper("2308.1", "T.", "", dt.date(2026, 11, 20), "feed", ("A",), "https://arxiv.org/abs/2308.1",
                 ("cs.LG",), {"upvotes": 3})  # fmt: skip
    merged = merge(page, feed)
    assert (merged.id, merged.title, merged.abstract, merged.date) == (
        "2308.1",
        "T",
        "Abstract.",
        dt.date(2026, 8, 12),
    )
    assert (merged.authors, merged.url, merged.categories, merged.extra) == (
        ("A",),
        feed.url,
        ("cs.LG",),
        {"upvotes": 3},
    )
    assert (
        merge(
            merged, Paper("2308.1", "T", "", dt.date(2026, 1, 1), "x", extra={"upvotes": 9})
        ).extra["upvotes"]
        == 9
    )


def test_deduper_identity_rules() -> None:
    d = Deduper()
    p = lambda i, t: Paper(i, t, "", TODAY, "s")  # noqa: E731
    assert d.see(p("title:1", "Attention Is All You Need")) == (0, False)
    assert d.see(p("1706.03762", "Attention is all you need!")) == (0, True)  # takes over the title
    assert d.see(p("1706.03762", "Another title entirely")) == (0, True)
    assert d.see(p("2001.00001", "Attention Is All You Need")) == (1, False)  # other id, same title
    assert d.see(p("title:2", "ATTENTION is all  you need")) == (0, True)
    assert len(d) == 2


def test_group_by_date_is_sorted_and_stable() -> None:
    papers = [Paper(str(i), f"T{i}", "", dt.date(2026, 1, 3 - i % 2), "s") for i in range(6)]
    groups = group_by_date(papers)
    assert list(groups) == [dt.date(2026, 1, 2), dt.date(2026, 1, 3)]
    assert [p.id for p in groups[dt.date(2026, 1, 3)]] == ["0", "2", "4"]


def test_run_report_counts_drops_with_reasons(tmp_path: Path) -> None:
    shutil.copy(FEEDS / "arxiv-cs-lg.xml", tmp_path)
    write_config(tmp_path, [{"path": "arxiv-cs-lg.xml"}])
    report, _ = run(tmp_path / "digest.yaml")
    (stats,) = report.sources
    assert (stats.read, stats.new, stats.dropped) == (7, 7, 1)
    assert stats.drop_reasons == {"announce type replace": 1}


def test_quiet_source_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every run on an announcement day, whatever the day the tests run (runs on Saturdays and
    # Sundays, when arXiv announces nothing, neither warn nor count: see test_real_shapes)
    monkeypatch.setattr("digest.collect._announcing", lambda moment: True)
    feed = tmp_path / "hf-daily-papers.json"
    shutil.copy(FEEDS / "hf-daily-papers.json", feed)
    write_config(tmp_path, [{"path": "hf-daily-papers.json", "name": "hf"}])
    # a local file nobody changed is not a stale feed, however many builds read it
    assert [run(tmp_path / "digest.yaml")[0].warnings for _ in range(5)] == [()] * 5

    def rewritten() -> tuple[str, ...]:  # the same papers, written again (a feed saved anew)
        feed.write_bytes(feed.read_bytes())
        os.utime(feed, ns=(feed.stat().st_atime_ns, feed.stat().st_mtime_ns + 10**9))
        return run(tmp_path / "digest.yaml")[0].warnings

    warnings = [rewritten() for _ in range(3)]
    assert warnings[:2] == [(), ()]
    assert warnings[2] == ("hf: nothing new for 3 runs in a row; is the feed stale?",)
    (tmp_path / "hf-daily-papers.json").write_text("[]")
    report, _ = run(tmp_path / "digest.yaml")
    assert report.warnings[0].startswith("hf: no papers read")


def _jsonl(path: Path, ids: range) -> None:
    path.write_text(
        "".join(
            json.dumps({"id": f"2611.{i:05d}", "title": f"Paper {i}", "date": "2026-11-20"}) + "\n"
            for i in ids
        )
    )


def test_an_unchanged_input_is_not_read_again_and_a_changed_one_is(tmp_path: Path) -> None:
    backfill, daily = tmp_path / "backfill.jsonl", tmp_path / "daily.jsonl"
    _jsonl(backfill, range(1, 51))
    _jsonl(daily, range(100, 103))
    write_config(tmp_path, [{"path": "backfill.jsonl", "name": "backfill"},
                            {"path": "daily.jsonl", "name": "daily"}])  # fmt: skip
    first, config = run(tmp_path / "digest.yaml")
    assert [(s.read, s.new) for s in first.sources] == [(50, 50), (3, 3)]

    _jsonl(daily, range(100, 104))  # the daily file gains a paper; the backfill is untouched
    second, _ = run(tmp_path / "digest.yaml")
    backfill_stats, daily_stats = second.sources
    assert (backfill_stats.read, backfill_stats.unchanged_inputs) == (0, 1)
    assert backfill_stats.unchanged_papers == 50
    assert (daily_stats.read, daily_stats.new, daily_stats.seen) == (4, 1, 3)
    assert second.warnings == ()  # an unchanged file is not "a source that read nothing"

    # the same bytes with a new modification time are read again (size and time decide)
    content = backfill.read_bytes()
    backfill.write_bytes(content)
    os.utime(backfill, ns=(backfill.stat().st_atime_ns, backfill.stat().st_mtime_ns + 10**9))
    third, _ = run(tmp_path / "digest.yaml")
    assert (third.sources[0].read, third.sources[0].seen) == (50, 50)
    with Store(config.store) as store:
        assert store.count() == 54


def test_a_changed_source_setting_reads_its_files_again(tmp_path: Path) -> None:
    shutil.copy(PAGES / "daily-papers-aug12.txt", tmp_path / "page.txt")
    write_config(tmp_path, [{"path": "page.txt", "name": "p", "date": "2026-08-12"}])
    assert run(tmp_path / "digest.yaml")[0].sources[0].read > 0
    assert run(tmp_path / "digest.yaml")[0].sources[0].unchanged_inputs == 1
    write_config(tmp_path, [{"path": "page.txt", "name": "p", "date": "2026-08-13"}])
    again = run(tmp_path / "digest.yaml")[0].sources[0]
    assert again.unchanged_inputs == 0 and again.read > 0


def test_an_input_with_errors_is_read_again_every_time(tmp_path: Path) -> None:
    (tmp_path / "lines.jsonl").write_text('{"title": "Good", "date": "2026-11-20"}\n{oops\n')
    write_config(tmp_path, [{"path": "lines.jsonl", "name": "l"}])
    for _ in range(2):
        (stats,) = run(tmp_path / "digest.yaml")[0].sources
        assert stats.unchanged_inputs == 0
        assert len(stats.errors) == 1 and stats.read == 1


def test_broken_sources_do_not_stop_the_others(tmp_path: Path) -> None:
    shutil.copy(PAGES / "daily-papers-aug12.txt", tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "truncated.xml").write_bytes((FEEDS / "arxiv-cs-lg.xml").read_bytes()[:1500])
    (tmp_path / "unknown.csv").write_text("a,b,c\n1,2,3\n")
    (tmp_path / "lines.jsonl").write_text(
        '{"title": "Good", "abstract": "x", "date": "2026-11-20"}\n{bad\n'
    )
    names = [
        "empty.txt",
        "binary.bin",
        "truncated.xml",
        "unknown.csv",
        "missing.txt",
        "lines.jsonl",
        "daily-papers-aug12.txt",
    ]
    write_config(tmp_path, [{"path": n} for n in names])
    report, config = run(tmp_path / "digest.yaml")
    errors = list(report.errors)
    assert errors[0] == "empty.txt: empty file" or errors[0].endswith("empty.txt: empty file")
    assert any("binary.bin" in e and "binary" in e for e in errors)
    assert any("truncated.xml" in e and "not well-formed" in e for e in errors)
    assert any("unknown.csv" in e and "unrecognised format" in e for e in errors)
    assert any(e == "missing: missing.txt: no such file" for e in errors)
    assert any(
        e.endswith("lines.jsonl:2: not JSON: Expecting property name enclosed in double quotes")
        for e in errors
    )
    assert all("\n" not in e for e in errors)
    with Store(config.store) as store:
        assert store.count() == 49 + 1  # the page and the good JSON line were stored


CONCURRENT = """
import sys, datetime as dt
from digest.config import load_config
from digest.collect import collect
from digest.store import Store
config = load_config(sys.argv[1])
with Store(config.store) as store:
    report = collect(config, store, dt.date(2026, 11, 23), force=True)  # every run reads all
print(sum(s.new for s in report.sources), sum(s.seen for s in report.sources))
"""


def test_two_collects_at_once_take_turns(project: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(project / "digest.yaml")],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = sorted(tuple(map(int, p.communicate(timeout=120)[0].split())) for p in procs)
    assert all(p.returncode == 0 for p in procs)
    total = outputs[-1][0]
    assert total == 166
    assert outputs == [(0, total), (0, total), (total, 0)]  # exactly one run found them new
    with sqlite3.connect(project / ".digest" / "store.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM papers").fetchone() == (total,)


def test_collect_is_one_transaction(project: Path) -> None:
    """A failure part-way (here: the store refuses the second source) leaves the store as it was."""
    config = load_config(project / "digest.yaml")
    with Store(config.store) as store:
        calls = 0
        original = store.record_source

        def failing(stats):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            if calls == 2:
                raise OSError("disk full")
            original(stats)

        store.record_source = failing  # type: ignore[method-assign]
        with contextlib.suppress(OSError):
            collect(config, store, TODAY)
        assert store.count() == 0
        assert store.dates() == []


def test_a_store_of_a_newer_digest_is_refused_with_one_line(tmp_path: Path) -> None:
    with Store(tmp_path / "store.sqlite"):
        pass
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(StoreError, match=r"store\.sqlite: made by a newer digest \(schema 99"):
        Store(tmp_path / "store.sqlite")


def test_what_a_copy_says_of_authors_left_out_goes_with_its_author_list() -> None:
    from digest.model import Paper, merge

    day = dt.date(2026, 11, 20)
    full = Paper("2611.00001", "T", "a", day, "api", authors=("A", "B", "C"))
    short = Paper("2611.00001", "T", "", day, "rss", authors=("A",), extra={"more_authors": 2})
    assert "more_authors" not in merge(full, short).extra  # the full list is kept
    assert merge(short, full).extra["more_authors"] == 2  # the short one, with its count
    nameless = Paper("2611.00001", "T", "", day, "page")
    assert merge(nameless, short).extra["more_authors"] == 2
    assert merge(nameless, short).authors == ("A",)


def test_a_paper_dated_in_the_future_is_filed_under_today_with_one_warning(
    tmp_path: Path,
) -> None:
    """One item dated 2099 must not become the newest date (the home page, the feeds and
    every later `digest send` would lead with it): past today by more than a day, a paper is
    filed under today, and its source says so once."""
    from digest.pipeline import build

    lines = [{"id": f"2611.0000{i}", "title": f"Paper {i}", "abstract": "x",
              "date": "2026-11-20"} for i in range(3)]  # fmt: skip
    lines += [{"id": "2611.09999", "title": "From the future", "abstract": "x", "date": "2099-12-31"},
              {"id": "2611.09998", "title": "Tomorrow, in Kiribati", "abstract": "x",
               "date": "2026-11-24"}]  # fmt: skip
    (tmp_path / "dump.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (tmp_path / "digest.yaml").write_text(
        "sources:\n  - path: dump.jsonl\ntopics:\n  papers: [paper]\n"
    )
    report = build(load_config(tmp_path / "digest.yaml"), TODAY)
    with Store(load_config(tmp_path / "digest.yaml").store) as store:
        assert [d for d, _ in store.dates()] == [
            dt.date(2026, 11, 20),
            TODAY,
            TODAY + dt.timedelta(1),
        ]
        assert [p.title for p in store.papers_on(TODAY)] == ["From the future"]
    (source,) = report.collected.sources
    assert [w for w in source.warnings if "after today" in w] == [
        f"dump: 1 paper(s) dated after today (as late as 2099-12-31) filed under today, {TODAY}: "
        "a wrong date would otherwise lead every page and feed"
    ]


def test_a_source_says_its_first_problems_and_counts_the_rest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "2611.00001", "title": "Good", "date": "2026-11-20"}\n' + "not json\n" * 500
    )
    papers, stats = parse_sources([SourceSpec("bad", str(bad))], tmp_path, TODAY)
    assert len(papers) == 1
    (source,) = stats
    assert len(source.errors) == 21
    assert source.errors[0].endswith("bad.jsonl:2: not JSON: Expecting value")
    assert source.errors[-1] == "bad: and 480 more error(s) not shown"
