"""Inputs as the services really publish them (issue 20): tests/fixtures/real/ holds one small
file per shape, written after the services' documented formats and real field names, quirks
included. Each test reads back the real fields (ids, dates, authors, links), not our own output.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import digest.collect as collect_module
from digest.cli import main
from digest.collect import parse_sources
from digest.config import SourceSpec
from digest.examples import (
    among,
    as_arxiv_id,
    parse_bibtex,
    parse_csl,
    parse_entry,
    parse_ris,
    resolve,
)
from digest.ids import find_in_link
from digest.latex import latex_to_text
from digest.model import Paper, Topic
from digest.sources import Context, detect, get

from .conftest import FEEDS, FIXTURES, read
from .test_collect import run, write_config

REAL = FIXTURES / "real"
DAY = dt.date(2026, 11, 20)


def real(name: str, **ctx: object) -> tuple[list, list]:
    """A fixture read as digest reads it: format detected from its bytes and file name."""
    return read((REAL / name).read_bytes(), filename=name, **ctx)


# -- 1. Hugging Face daily papers: the day a paper was put on the list ---------------------------


def test_hf_daily_papers_are_dated_by_the_day_they_were_listed() -> None:
    papers, problems = real("hf-daily-papers-2026-03-06.json")
    assert problems == []
    # one day's list is one date (the entries' own publishedAt spread it over 02-26 .. 03-05)
    assert {p.date for p in papers} == {dt.date(2026, 3, 6)}
    first = papers[0]
    assert first.id == "2602.23229"
    assert first.url == "https://huggingface.co/papers/2602.23229"
    assert first.extra["pdf_url"] == "https://arxiv.org/pdf/2602.23229"
    assert first.extra["arxiv_url"] == "https://arxiv.org/abs/2602.23229"
    assert first.extra["published"] == "2026-02-26"  # the arXiv day, kept for what it is
    assert first.extra["code_url"] == "https://github.com/marco-garosi/CIRCLE"
    assert first.extra["upvotes"] == 10
    # every author, the one hidden from their Hugging Face profile too
    assert first.authors == (
        "Marco Garosi", "Matteo Farina", "Alessandro Conti", "Massimiliano Mancini", "Elisa Ricci",
    )  # fmt: skip
    assert [p.extra["upvotes"] for p in papers] == [10, 41, 87, 5]


def test_an_arxiv_copy_keeps_its_announcement_day_when_merged_with_the_hf_one(
    tmp_path: Path,
) -> None:
    """A paper announced on arXiv on 03-05 and listed on Hugging Face on 03-06 is a paper of
    03-05, not of 03-04 (the HF entry's publishedAt, 02:41 UTC moved back five hours)."""
    listing = (FEEDS / "arxiv-cs-lg.xml").read_text(encoding="utf-8")
    listing = listing.replace("2611.14201", "2603.04118").replace(
        "Fri, 20 Nov 2026", "Thu, 05 Mar 2026"
    )
    (tmp_path / "cs.LG.xml").write_text(listing, encoding="utf-8")
    shutil.copy(REAL / "hf-daily-papers-2026-03-06.json", tmp_path / "daily_papers.json")
    specs = [SourceSpec("hf", "daily_papers.json"), SourceSpec("arxiv", "cs.LG.xml")]
    papers, _ = parse_sources(specs, tmp_path, dt.date(2026, 3, 9))
    merged = next(p for p in papers if p.id == "2603.04118")
    assert merged.date == dt.date(2026, 3, 5)


def test_older_hf_responses_are_dated_by_their_listing_time() -> None:
    """Before paper.submittedOnDailyAt existed, the entry's publishedAt was the listing time."""
    papers, problems = real("hf-daily-papers-2024-03-14-old.json")
    assert problems == []
    assert [(p.id, p.date) for p in papers] == [
        ("2403.08295", dt.date(2024, 3, 14)),
        ("2403.08540", dt.date(2024, 3, 14)),
    ]
    assert papers[0].extra["published"] == "2024-03-13"


def test_hf_entries_without_a_listing_date_take_the_date_of_the_query_with_a_warning() -> None:
    entries = json.loads((REAL / "hf-daily-papers-2026-03-06.json").read_text())
    for entry in entries:  # a bare list of papers, as /api/papers answers
        del entry["paper"]["submittedOnDailyAt"]
    bare = json.dumps([e["paper"] for e in entries]).encode()
    papers, problems = read(bare, fmt="hf-json", filename="daily_papers?date=2026-03-06")
    assert {p.date for p in papers} == {dt.date(2026, 3, 6)}
    assert [p.message for p in problems] == [
        "entries have no date; using the date in its file name, 2026-03-06"
    ]
    papers, problems = read(bare, fmt="hf-json", filename="papers.json")
    assert [p.date.isoformat() for p in papers] == [
        "2026-02-26", "2026-03-05", "2026-03-04", "2026-03-05",
    ]  # fmt: skip
    assert [p.message for p in problems] == [
        "entries have no Daily Papers listing date; using their arXiv dates"
    ]


def test_listing_times_at_the_calendar_s_ends_do_not_stop_the_reader() -> None:
    entry = {"paper": {"id": "2603.04118", "title": "T", "submittedOnDailyAt": "0001-01-01T00:00:00+05:00"},
             "publishedAt": "9999-12-31T23:00:00-05:00"}  # fmt: skip
    (paper,) = read(json.dumps([entry]).encode(), fmt="hf-json")[0]
    assert paper.date == dt.date(1, 1, 1)


def test_hf_entries_as_json_lines_read_like_the_json() -> None:
    entries = json.loads((REAL / "hf-daily-papers-2026-03-06.json").read_text())
    lines = "".join(json.dumps(e) + "\n" for e in entries).encode()
    papers, problems = read(lines, filename="hf.jsonl")
    assert problems == []
    assert {p.date for p in papers} == {dt.date(2026, 3, 6)}
    assert papers[2].id == "2603.03761" and papers[2].extra["upvotes"] == 87


# -- 2. arXiv listing feeds before 2024 (RSS 1.0/RDF) --------------------------------------------


def test_old_arxiv_listing_titles_announce_types_and_authors() -> None:
    papers, problems = real("arxiv-rdf-hep-ex-2021-07-08.xml")
    assert [(p.kind, p.message, p.line) for p in problems] == [
        ("dropped", "announce type replace", 4)
    ]
    lhcb, star, cross = papers
    assert lhcb.title == (
        r"Observation of excited $\Omega_c^0$ baryons in $\Omega_b^- \to \Xi_c^+ K^-\pi^-$ decays"
    )
    assert (
        cross.title
        == "Potential applications of modular representation theory to quantum mechanics"
    )
    assert [p.extra["announce_type"] for p in papers] == ["new", "new", "cross"]
    assert [p.id for p in papers] == ["2107.03419", "2107.03302", "2106.00550"]
    assert cross.extra["version"] == 2 and cross.categories == ("math.GR",)
    assert cross.extra["primary_category"] == "math.GR"
    # "et al. (909 additional authors not shown)" is no author: it is counted
    assert lhcb.authors == ("LHCb collaboration", "R. Aaij")
    assert lhcb.extra["more_authors"] == 909
    assert "more_authors" not in cross.extra and cross.authors == ("Robert A. Wilson",)
    assert "more_authors" not in star.extra and "et_al" not in star.extra
    assert all(p.date == dt.date(2021, 7, 8) for p in papers)


@pytest.mark.parametrize(
    ("announce", "kept"),
    [
        (["new"], ["2107.03419", "2107.03302"]),
        (["cross"], ["2106.00550"]),
        (["new", "cross", "replace"], ["2107.03419", "2107.03302", "2106.00550", "2007.03939"]),
    ],
)
def test_old_arxiv_listing_announce_types_filter_like_the_new_format(
    announce: list[str], kept: list[str]
) -> None:
    papers, _ = real("arxiv-rdf-hep-ex-2021-07-08.xml", options={"announce": announce})
    assert [p.id for p in papers] == kept
    assert all("arXiv:" not in p.title and "UPDATED" not in p.title for p in papers)


# -- 3. JSON Feed 1 and 1.1 ------------------------------------------------------------------------


def test_a_hugging_face_json_feed_is_a_feed_of_papers_not_one_paper() -> None:
    data = (REAL / "hf-papers-jsonfeed-1.json").read_bytes()
    assert detect(data[:8192], "hf_papers.json").name == "json-feed"
    papers, problems = real("hf-papers-jsonfeed-1.json")
    assert problems == []
    assert [p.id for p in papers] == ["2506.14965", "2506.15154", "2506.09827"]
    first = papers[0]
    assert first.title == (
        "Revisiting Reinforcement Learning for LLM Reasoning from A Cross-Domain Perspective"
    )
    assert first.url == "https://huggingface.co/papers/2506.14965"
    # the page's AI-generated summary is not the abstract
    assert first.abstract.startswith("Reinforcement learning (RL) has emerged as a promising")
    assert first.date == dt.date(2025, 6, 20)


def test_json_feed_1_1_items_authors_html_and_dates() -> None:
    paper, post = real("papers-jsonfeed-1.1.json")[0]
    assert paper.id == "2606.27531" and paper.extra["version"] == 1
    assert paper.url == "https://arxiv.org/abs/2606.27531"
    assert paper.extra["pdf_url"] == "https://arxiv.org/pdf/2606.27531v1"
    assert paper.abstract == (
        "We distill a 70B reasoner into a 1B model with a curriculum ordered by verifier "
        "confidence. The student matches the teacher on 4 of 6 benchmarks & costs 1% as much."
    )
    assert paper.authors == ("Lena Kováč", "Omar Haddad")
    assert paper.categories == ("cs.LG", "cs.CL")
    assert paper.date == dt.date(2026, 6, 30)  # the day written, in the item's own time zone
    assert post.id.startswith("title:") and post.extra["source_id"].startswith("tag:")
    assert post.url == "https://reading.example.org/posts/41"


def test_json_feed_1_0_author_object_and_numeric_id() -> None:
    (paper,) = real("picks-jsonfeed-1.0.json")[0]
    assert paper.id == "2604.26238"  # from the aggregator's link
    assert paper.authors == ("Ravi Menon",)
    assert paper.abstract == "We extend context to 1M tokens without interpolating positions."
    assert paper.date == dt.date(2026, 4, 30)  # date_modified when date_published is missing


# -- 4. arXiv identity from links ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("https://huggingface.co/papers/2608.19880", ("2608.19880", None)),
        ("https://arxiv.org/abs/2606.27531v1", ("2606.27531", 1)),
        ("arxiv.org/pdf/2401.12345", ("2401.12345", None)),
        ("https://arxiv.org/pdf/2401.12345v3.pdf", ("2401.12345", 3)),
        ("http://export.arxiv.org/abs/hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("https://www.alphaxiv.org/abs/2604.26238", ("2604.26238", None)),
        ("https://papers.example.org/p/2604.26238", ("2604.26238", None)),
        ("https://doi.org/10.48550/arXiv.2604.26238", ("2604.26238", None)),
        ("2606.27531v1", ("2606.27531", 1)),
        # numbers that only look like ids
        ("https://example.org/blog/2023.1015", None),  # no 23rd month
        ("https://example.org/r/2101.123", None),  # since 2015 ids have five digits
        ("https://doi.org/10.1234/2101.12345", None),  # a DOI, not arXiv's
        ("https://publisher.example.org/article/10.1007/2101.12345", None),
        ("https://example.org/items/1905.12345/comments", None),  # not the link's last part
        ("https://example.org/v/1905.123456", None),
    ],
)
def test_arxiv_ids_from_links_of_safe_shapes_only(value: str, found: object) -> None:
    assert find_in_link(value) == found


def test_every_reader_takes_the_arxiv_id_from_links() -> None:
    lines = [
        {"id": "https://arxiv.org/abs/2606.27531v1", "title": "A", "date": "2026-07-01"},
        {"title": "B", "url": "https://huggingface.co/papers/2608.19880", "date": "2026-08-29"},
        {"title": "C", "url": "https://papers.example.org/p/2604.26238", "date": "2026-04-30"},
        {"title": "D", "url": "https://example.org/blog/2023.1015", "date": "2026-01-01"},
    ]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    a, b, c, d = read(data, fmt="jsonl")[0]
    assert (a.id, a.extra["version"], a.url) == (
        "2606.27531", 1, "https://arxiv.org/abs/2606.27531v1",
    )  # fmt: skip
    assert (b.id, b.url) == ("2608.19880", "https://huggingface.co/papers/2608.19880")
    assert c.id == "2604.26238"
    assert d.id.startswith("title:")
    # a reader that builds a link from an id does not put a link inside it
    entry = [{"paper": {"id": "https://arxiv.org/abs/2603.04118v2", "title": "T"},
              "publishedAt": "2026-03-06T01:00:00.123Z"}]  # fmt: skip
    (paper,) = read(json.dumps(entry).encode(), fmt="hf-json")[0]
    assert (paper.id, paper.url) == ("2603.04118", "https://huggingface.co/papers/2603.04118")


# -- 5. the Kaggle arXiv snapshot as one JSON array ------------------------------------------------


def test_the_snapshot_as_a_pretty_printed_json_array() -> None:
    data = (REAL / "arxiv-snapshot-array.json").read_bytes()
    assert detect(data[:8192], "arxiv-metadata-oai-snapshot.json").name == "json-array"
    papers, problems = real("arxiv-snapshot-array.json")
    assert problems == []
    first, second, d0, modern = papers
    assert first.id == "0704.0001"
    assert first.abstract.startswith("A fully differential calculation in perturbative")
    assert first.url == "https://arxiv.org/abs/0704.0001"
    assert first.date == dt.date(2007, 4, 2)  # the first version's day, not the file's
    assert first.extra["version"] == 2 and first.categories == ("hep-ph",)
    assert second.authors == ("Ileana Streinu", "Louis Theran")
    assert second.categories == ("math.CO", "cs.CG") and second.date == dt.date(2007, 3, 31)
    assert d0.authors == ("D0 Collaboration", "V. M. Abazov") and d0.extra["et_al"] is True
    assert modern.id == "2401.04088" and modern.date == dt.date(2024, 1, 8)


class _Endless(io.RawIOBase):
    """A JSON array of snapshot records that never ends, counting the bytes it served."""

    def __init__(self) -> None:
        self.served = 0
        self.number = 0
        self.buffer = b"[\n"

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while len(self.buffer) < max(size, 1):
            self.number += 1
            record = {"id": f"2401.{self.number:05d}", "title": f"Paper {self.number}",
                      "abstract": "x " * 500, "update_date": "2024-01-02"}  # fmt: skip
            self.buffer += json.dumps(record, indent=4).encode() + b",\n"
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        self.served += len(chunk)
        return chunk


def test_a_json_array_is_read_as_a_stream() -> None:
    stream = _Endless()
    items = get("json-array").parse(stream, Context("big", "big.json", dt.date(2026, 1, 1)))
    first = [next(items) for _ in range(3)]
    assert [p.id for p in first] == ["2401.00001", "2401.00002", "2401.00003"]
    assert stream.served < 256 * 1024  # a few chunks, not the whole (endless) array


def test_a_cut_json_array_keeps_its_records_and_names_the_line() -> None:
    data = (REAL / "arxiv-snapshot-array.json").read_bytes()
    cut = data[: data.index(b'"id": "0705.1412"') + 30]
    papers, _ = [], []
    with pytest.raises(Exception) as info:
        reader = get("json-array").parse(io.BytesIO(cut), Context("t", "a.json"))
        papers.extend(reader)
    assert [p.id for p in papers] == ["0704.0001", "0704.0002"]
    assert "cut short after element 2" in str(info.value)
    assert info.value.line == cut.count(b"\n") + 1  # type: ignore[attr-defined]


# -- 6. daily-arxiv JSON, and schemas digest cannot read ------------------------------------------


def test_cv_arxiv_daily_table_rows() -> None:
    papers, problems = real("cv-arxiv-daily.json")
    assert problems == []
    by_id = {p.id: p for p in papers}
    assert list(by_id) == ["2201.03814", "2201.03364", "2110.01099", "2112.05478", "2201.03170"]
    both = by_id["2201.03364"]  # listed under two topics: one paper
    assert both.extra["topics"] == ["SLAM", "SFM"]
    assert both.extra["code_url"] == "https://github.com/bmhopkinson/hyslam"
    assert both.date == dt.date(2022, 1, 10) and both.url == "http://arxiv.org/abs/2201.03364"
    assert both.authors == ("Brian M. Hopkinson",) and both.extra["et_al"] is True
    assert both.title == (
        "High-resolution Ecosystem Mapping in Repetitive Environments Using Dual Camera SLAM"
    )
    assert (
        by_id["2110.01099"].title == r"Quadrotor Control on $SU(2)\times R^3$ with SLAM Integration"
    )
    assert by_id["2112.05478"].authors == ("Martin Bråtelund",)
    assert "code_url" not in by_id["2201.03814"].extra


def test_cv_arxiv_daily_list_lines() -> None:
    papers, problems = real("cv-arxiv-daily-wechat.json")
    assert problems == []
    first, coded, other = papers
    assert (first.id, first.extra["version"], first.date) == ("2201.03814", 2, dt.date(2022, 1, 19))
    assert first.title == "Multi-Hypothesis Scan Matching through Clustering"
    assert coded.extra["code_url"] == "https://github.com/bmhopkinson/hyslam"
    assert other.extra["topics"] == ["Visual Localization"]


def test_a_schema_digest_cannot_read_is_an_error_not_nothing(tmp_path: Path) -> None:
    (tmp_path / "things.json").write_text(json.dumps([{"name": "a", "n": 1}, {"name": "b"}]))
    (tmp_path / "notes.jsonl").write_text('{"note": "x"}\n{"note": "y"}\n')
    (tmp_path / "replaced.xml").write_text(
        (FEEDS / "arxiv-cs-lg.xml").read_text().replace("Announce Type: new", "Announce Type: replace")
        .replace("Announce Type: cross", "Announce Type: replace")
    )  # fmt: skip
    specs = [SourceSpec(n, n) for n in ("things.json", "notes.jsonl", "replaced.xml")]
    _, stats = parse_sources(specs, tmp_path, dt.date(2026, 11, 23))
    things, notes, replaced = stats
    (error,) = things.errors
    assert error.startswith("things.json: 2 entries, none of them a paper (record without a title")
    assert "hf-json" in error and "daily-arxiv" in error and "json-feed" in error
    assert notes.errors[0].startswith("notes.jsonl: 2 entries, none of them a paper")
    # entries left out by the source's own options are no unknown schema
    assert replaced.errors == () and replaced.read == 0 and replaced.dropped == 8


def test_digest_parse_reports_dropped_entries_on_stderr(runner: CliRunner) -> None:
    result = runner.invoke(main, ["parse", "--json", str(REAL / "arxiv-rdf-hep-ex-2021-07-08.xml")])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 3
    assert (
        "arxiv-rdf-hep-ex-2021-07-08: 3 read, 1 dropped "
        "(1 revised paper skipped: arXiv replacement)" in result.stderr  # in plain words
    )


# -- 7. fallback dates ------------------------------------------------------------------------------


UNDATED = b'{"title": "Undated", "abstract": "No date at all."}\n'


def test_a_fallback_date_is_never_after_today(tmp_path: Path) -> None:
    today = dt.date(2026, 11, 23)
    for name, given in (("dump-2026-12-01.jsonl", None), ("dump.jsonl", dt.date(2026, 12, 24))):
        papers, problems = read(UNDATED, filename=name, today=today, date=given)
        assert papers[0].date == today
        (warning,) = problems
        assert "after it" in warning.message and warning.message.endswith("2026-11-23")
    # a file modified after --today (a build of an earlier day)
    path = tmp_path / "late.jsonl"
    path.write_bytes(UNDATED)
    later = time.mktime((2026, 12, 2, 12, 0, 0, 0, 0, -1))
    os.utime(path, (later, later))
    papers, stats = parse_sources([SourceSpec("late", str(path))], tmp_path, today)
    assert papers[0].date == today
    assert stats[0].warnings == (
        "late.jsonl: records have no date; using today's date (the file's modification date, "
        "2026-12-02, is after it), 2026-11-23",
    )


def test_every_undated_source_warns_once_naming_itself(tmp_path: Path) -> None:
    for day in ("2026-11-18", "2026-11-19", "2026-11-20"):
        (tmp_path / f"dump-{day}.jsonl").write_bytes(UNDATED * 3)
    specs = [SourceSpec("dumps", str(tmp_path / "dump-*.jsonl"))]
    papers, stats = parse_sources(specs, tmp_path, dt.date(2026, 11, 23))
    assert len(papers) == 1  # one title, seen in three files
    assert stats[0].warnings == (
        "dumps: 3 inputs have no dates (records have no date); using the date in its file name "
        "(3): 2026-11-18 to 2026-11-20",
    )


# -- 8. warnings that explain an empty source ------------------------------------------------------


@pytest.fixture
def weekday(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs as if on a Tuesday, whatever the day the tests run."""
    monkeypatch.setattr(collect_module, "_now", lambda: dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC))
    monkeypatch.setattr(collect_module, "_announcing", lambda moment: True)


def test_an_api_query_that_matched_nothing_is_not_a_changed_layout(
    tmp_path: Path, weekday: None
) -> None:
    shutil.copy(REAL / "arxiv-api-no-results.xml", tmp_path)
    write_config(tmp_path, [{"path": "arxiv-api-no-results.xml", "name": "api"}])
    for _ in range(4):
        report, _ = run(tmp_path / "digest.yaml", force=True)
    assert report.errors == ()
    assert report.sources[0].warnings == (
        "arxiv-api-no-results.xml: the query matched nothing (opensearch:totalResults is 0)",
    )
    assert report.warnings == ()  # no "has the page layout or feed changed?"


def test_an_empty_arxiv_listing_on_a_skip_day_is_no_stale_feed(
    tmp_path: Path, weekday: None
) -> None:
    shutil.copy(REAL / "arxiv-rss-cs-lg-saturday.xml", tmp_path)
    write_config(tmp_path, [{"path": "arxiv-rss-cs-lg-saturday.xml", "name": "cs.LG"}])
    for _ in range(4):
        report, _ = run(tmp_path / "digest.yaml", force=True)
    assert report.sources[0].warnings == (
        "arxiv-rss-cs-lg-saturday.xml: arXiv announced nothing on Saturday 2026-11-21 "
        "(it announces nothing on Sunday and Saturday)",
    )
    assert report.warnings == ()


def test_nothing_new_counts_announcement_days_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FEEDS / "hf-daily-papers.json", tmp_path)
    write_config(tmp_path, [{"path": "hf-daily-papers.json", "name": "hf"}])
    monday = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    monkeypatch.setattr(collect_module, "_now", lambda: monday)
    store = tmp_path / ".digest" / "store.sqlite"
    # Thursday brings the papers; Friday, Saturday and Sunday nothing new
    for day in (19, 20, 21, 22):
        report, _ = run(tmp_path / "digest.yaml", force=True)
        with sqlite3.connect(store) as db:
            db.execute(
                "UPDATE runs SET started = ? WHERE id = (SELECT max(id) FROM runs)",
                (dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC).isoformat(),),
            )
    # Monday: the second announcement day without anything new, not the fourth run
    report, _ = run(tmp_path / "digest.yaml", force=True)
    assert report.warnings == ()
    with sqlite3.connect(store) as db:
        db.execute(
            "UPDATE runs SET started = ? WHERE id = (SELECT max(id) FROM runs)",
            (monday.isoformat(),),
        )
    monkeypatch.setattr(collect_module, "_now", lambda: monday + dt.timedelta(days=1))
    report, _ = run(tmp_path / "digest.yaml", force=True)  # Tuesday: the third
    assert report.warnings == ("hf: nothing new for 3 runs in a row; is the feed stale?",)
    # and a run on a Saturday (UTC) says nothing of staleness at all
    monkeypatch.setattr(collect_module, "_now", lambda: monday - dt.timedelta(days=2))
    assert run(tmp_path / "digest.yaml", force=True)[0].warnings == ()


def test_readers_yield_only_papers_and_problems_on_every_real_shape() -> None:
    for path in sorted(REAL.iterdir()):
        for reader in {
            get(n) for n in ("rss", "hf-json", "json-array", "json-feed", "daily-arxiv", "jsonl")
        }:
            try:
                for item in reader.parse(io.BytesIO(path.read_bytes()), Context("x", path.name)):
                    assert isinstance(item, Paper) or item.kind in {"error", "dropped", "warning"}
            except Exception as exc:  # a reader refusing another format's file: one clean line
                assert type(exc).__name__ == "SourceError" and "\n" not in str(exc), (path, exc)


# -- 9. Zotero, Better BibTeX, arXiv and DBLP exports as a topic's examples ------------------------


def wanted(name: str) -> list[tuple[str | None, str | None]]:
    found, problem = parse_entry(str(REAL / name))
    assert problem is None
    return [(w.arxiv_id, w.title) for w in found]


def test_zotero_bibtex_gives_ids_from_its_own_fields_and_titles_without_latex() -> None:
    # Zotero 7 (note = {arXiv:ID [cs]\nversion: 7}), Zotero 6 (journal = {arXiv:ID [cs]}), a
    # journal article, and titles as Zotero escapes them: {\textquoteright}, {\"u}, \textit{}
    assert wanted("zotero-7-export.bib") == [
        ("1706.03762", "Attention Is All You Need"),
        ("2104.05704", "Escaping the Big Data Paradigm with Compact Transformers"),
        (None, "Highly accurate protein structure prediction with AlphaFold"),
        (None, "When does label smoothing help? A study of Müller's ‘soft’ targets – in vivo "
               "and <in vitro>"),
        (None, "Don’t Stop Pretraining: Adapt Language Models to Domains and Tasks"),
    ]  # fmt: skip
    found, _ = parse_entry(str(REAL / "zotero-7-export.bib"))
    assert (
        found[1].abstract is not None
        and "(80.28% accuracy with 29% parameters" in found[1].abstract
    )
    assert found[3].abstract is not None
    assert found[3].abstract.endswith("“smoothing” costs ~5% of $\\mathcal{O}(n)$.")


def test_arxiv_better_bibtex_and_dblp_exports_name_their_ids() -> None:
    assert [i for i, _ in wanted("arxiv-and-bbt-export.bib")] == [
        "2203.02155",  # doi = {10.48550/ARXIV.2203.02155}
        "1707.06347",  # eprint = {1707.06347v2}, eprinttype = {arxiv}
        "1512.03385",  # DBLP: eprint and url
        "1506.02438",  # note = {arXiv:1506.02438, 2015}
        "1806.11532",  # DBLP: journal = {CoRR}, volume = {abs/1806.11532}, nothing else
        "1706.03762",  # Semantic Scholar: journal = {ArXiv}, volume = {abs/1706.03762}
        "2307.10479",  # DBLP's ee
        None,  # volume = {1}: no id, found by its title
        "2203.02155",  # Google Scholar: journal = {arXiv preprint arXiv:2203.02155}
    ]


def test_zotero_csl_json_reads_rich_text_and_takes_no_id_from_a_zotero_item_url() -> None:
    assert wanted("zotero-7-export.json") == [
        ("2306.13455", "DreamEditor: Text-Driven 3D Scene Editing with Neural Fields"),
        (None, "Highly accurate protein structure prediction with AlphaFold"),
        (None, "CO2 uptake of soils in vivo"),
        ("1706.03762", "Attention Is All You Need"),
    ]
    # an item's id is http://zotero.org/users/<8 digits>/items/KEY: "users/1234567" is no
    # old-style arXiv id, and two journal articles given with their abstracts stay two papers
    assert find_in_link("http://zotero.org/users/12345678/items/7NXKQ2VB") is None
    topic = Topic("t", ("x",), examples=(str(REAL / "zotero-7-export.json"),))
    known = [Paper("1706.03762", "Attention is all you need", "An abstract.", DAY, "test")]
    examples, _, warnings = resolve([topic], among(known))
    assert [p.title for p in examples["t"]] == [
        "DreamEditor: Text-Driven 3D Scene Editing with Neural Fields",
        "Highly accurate protein structure prediction with AlphaFold",
        "CO2 uptake of soils in vivo",
        "Attention is all you need",  # the store's paper, by the id in "number"
    ]
    assert len({p.id for p in examples["t"]}) == 4 and warnings == []


def test_zotero_ris_reads_its_records_notes_and_wrapped_abstracts() -> None:
    # Zotero 7 (N1  - arXiv:ID [cs], DO), Zotero 6 (T2  - arXiv:ID [cs]), a journal article
    assert wanted("zotero-7-export.ris") == [
        ("1706.03762", "Attention Is All You Need"),
        ("2104.05704", "Escaping the Big Data Paradigm with Compact Transformers"),
        (None, "Highly accurate protein structure prediction with AlphaFold"),
    ]
    found, _ = parse_entry(str(REAL / "zotero-7-export.ris"))
    assert found[1].abstract is not None
    assert found[1].abstract.endswith("parameters of ViT), and NLP tasks as well.")
    # a record whose ER line was lost ends where the next begins
    lost = "TY  - JOUR\nTI  - One\nN1  - arXiv:2101.00001\nTY  - JOUR\nTI  - Two\nER  -\n"
    assert [(w.arxiv_id, w.title) for w in parse_ris(lost, "x.ris")] == [
        ("2101.00001", "One"),
        (None, "Two"),
    ]


def test_zotero_items_from_its_web_api_and_better_bibtex_json() -> None:
    # the web API's items (each under "data"), a library's attachments and notes among them
    assert wanted("zotero-web-api-items.json") == [
        ("1706.03762", "Attention Is All You Need"),  # archiveID arXiv:ID, its abstractNote
        (None, "Highly accurate protein structure prediction with AlphaFold"),
    ]  # the PDF attachment and the note (which links another paper) are no papers
    found, _ = parse_entry(str(REAL / "zotero-web-api-items.json"))
    assert found[0].abstract is not None and found[0].abstract.startswith("The dominant")
    better = {  # Better BibTeX's JSON export: Zotero's items under "items"
        "config": {"label": "BetterBibTeX JSON", "options": {}},
        "items": [{"itemType": "preprint", "title": "Attention Is All You Need",
                   "url": "http://arxiv.org/abs/1706.03762", "citationKey": "vaswani2017"}],
    }  # fmt: skip
    assert [(w.arxiv_id, w.title) for w in parse_csl(better, "b.json")] == [
        ("1706.03762", "Attention Is All You Need")
    ]


def test_a_bibtex_entry_in_parentheses_is_an_entry_too() -> None:
    text = "@article(k1, title = {A (parenthesised) entry}, eprint = {2101.00001})\n@misc{k2, title={B}}"
    assert [(w.arxiv_id, w.title) for w in parse_bibtex(text, "x.bib")] == [
        ("2101.00001", "A (parenthesised) entry"),
        (None, "B"),
    ]


def test_a_zotero_title_with_latex_meets_the_papers_title_from_a_feed() -> None:
    # no id in the entry: found by its title, which Zotero wrote as Don{\textquoteright}t
    topic = Topic("t", ("x",), examples=(str(REAL / "zotero-7-export.bib"),))
    feed_title = "Don't Stop Pretraining: Adapt Language Models to Domains and Tasks"
    known = [
        Paper("2004.10964", feed_title, "Language models pretrained on text.", DAY, "test"),
        Paper("1706.03762", "Attention Is All You Need", "An abstract.", DAY, "test"),
    ]
    examples, _, warnings = resolve([topic], among(known))
    assert [p.id for p in examples["t"]][-1] == "2004.10964"
    assert warnings == [], warnings  # the entries without ids carry their abstracts


def test_latex_in_bibtex_fields_reads_as_the_characters_it_stands_for() -> None:
    assert latex_to_text(r"Erd\H{o}s, \v{S}ebek, na{\"\i}ve, \c{c}a, {\o}re, {\ss}") == (
        "Erdős, Šebek, naïve, ça, øre, ß"
    )
    assert latex_to_text(r"\${\textbackslash}alpha\$-{NeRF} and $\beta$-{VAE}") == (
        r"$\alpha$-NeRF and $\beta$-VAE"  # math kept as arXiv titles keep it
    )
    assert latex_to_text(r"a\_b \& c \# d --- e -- f ``g'' \unknown{h} {\textbar}") == (
        "a_b & c # d — e – f “g” h |"
    )


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("empty.bib", b"", "no paper in it (no BibTeX entry with a title or an arXiv id)"),
        ("notes.bib", b"@comment{jabref-meta: databaseType:bibtex;}\n% nothing else\n",
         "no paper in it (no BibTeX entry with a title or an arXiv id)"),
        ("unclosed.bib", b"@misc{a, title = {Never closed", None),
        ("empty.json", b"[]", "no paper in it (no CSL JSON item with a title or id)"),
        ("odd.json", b'[1, null, {"title": 5}, {"id": {"a": 1}}]', None),
        ("latin1.bib", "@misc{a, title = {M\u00fcller}}".encode("latin-1"),
         "not UTF-8 text (byte 20); export it as UTF-8"),
        ("ids.txt", b"# only a comment\n\n", "no paper in it (no line with an arXiv id or a title)"),
        ("empty.ris", b"TY  - JOUR\nPY  - 2021\nER  - \n",
         "no paper in it (no RIS record with a title or an arXiv id)"),
    ],
)  # fmt: skip
def test_an_example_file_that_names_no_paper_is_one_warning(
    tmp_path: Path, name: str, content: bytes, said: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    topic = Topic("t", ("x",), examples=(str(path), "2611.00001"))
    known = [Paper("2611.00001", "A paper", "An abstract.", DAY, "test")]
    examples, _, warned = resolve([topic], among(known))
    assert [p.id for p in examples["t"]][-1] == "2611.00001"  # the others still count
    if said is None:  # read what could be read: a title, however odd, is looked up
        assert all("not found among the papers known" in w for w in warned)
    else:
        assert warned == [f"topics.t.examples: {path}: {said}"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("2301.00001", "2301.00001"),
        ("arXiv:2301.00001v2", "2301.00001"),
        ("arXiv: 2301.00001", "2301.00001"),
        ("https://arxiv.org/abs/2301.00001v3", "2301.00001"),
        ("https://arxiv.org/pdf/2301.00001v1.pdf", "2301.00001"),
        ("arxiv.org/abs/2301.00001", "2301.00001"),
        ("https://huggingface.co/papers/2301.00001", "2301.00001"),
        ("https://doi.org/10.48550/arXiv.2301.00001", "2301.00001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("Attention is all you need", None),
        ("2023.1015", None),  # no 23rd month: a title
        ("arXiv:2301.00001 and what follows", None),  # more than an id: a title
        ("http://zotero.org/users/12345678/items/QW8ZJ2KD", None),
    ],
)
def test_an_entry_or_a_digest_like_argument_is_an_id_only_when_it_names_one(
    entry: str, expected: str | None
) -> None:
    assert as_arxiv_id(entry) == expected


def test_every_kind_of_example_file_is_read_through_the_config(tmp_path: Path) -> None:
    # the config takes an entry for a file by its ending: each kind digest reads is one
    from digest.config import config_from_text

    names = ["zotero-7-export.bib", "zotero-7-export.json", "zotero-7-export.ris"]
    for name in names:
        shutil.copy(REAL / name, tmp_path / name)
    (tmp_path / "ids.txt").write_text("2104.05704\n")
    config = config_from_text(
        "topics:\n  t:\n    keywords: [x]\n    examples: [" + ", ".join([*names, "ids.txt"])
        + "]\n    avoid: [zotero-7-export.ris]\n",
        tmp_path,
    )  # fmt: skip
    topic = config.topics[0]
    assert [Path(e).name for e in topic.examples] == [*names, "ids.txt"]
    assert all(Path(e).is_absolute() for e in (*topic.examples, *topic.avoid))
    known = [Paper("1706.03762", "Attention Is All You Need", "An abstract.", DAY, "test")]
    examples, avoid, _ = resolve([topic], among(known))
    assert "1706.03762" in [p.id for p in avoid["t"]]  # by the RIS record's DOI
    assert "1706.03762" in [p.id for p in examples["t"]]


def test_a_list_of_papers_as_people_write_one(tmp_path: Path) -> None:
    mine = tmp_path / "reading-list.txt"
    mine.write_text(
        "# to read\n"
        "2104.05704 Escaping the Big Data Paradigm with Compact Transformers\n"
        "- 1706.03762\n"
        "* arXiv:2203.02155v2 (InstructGPT)\n"
        "1. https://arxiv.org/abs/1707.06347 PPO\n"
        "2) Deep Residual Learning for Image Recognition\n"
        "2301.00001\tA title in a second column\n"
        "2023.1015 is no id: a title\n"
    )
    found, problem = parse_entry(str(mine))
    assert problem is None
    assert [(w.arxiv_id, w.title) for w in found] == [
        ("2104.05704", None),
        ("1706.03762", None),
        ("2203.02155", None),
        ("1707.06347", None),
        (None, "Deep Residual Learning for Image Recognition"),
        ("2301.00001", None),
        (None, "2023.1015 is no id: a title"),
    ]


def test_a_library_mostly_unknown_to_the_store_is_one_warning_not_one_a_paper(
    tmp_path: Path,
) -> None:
    library = tmp_path / "library.txt"
    library.write_text("2611.00001\n" + "".join(f"2611.{90000 + i}\n" for i in range(40)))
    few = tmp_path / "few.txt"
    few.write_text("2611.00001\n2611.80001\n")
    topic = Topic("t", ("x",), examples=(str(library), str(few)))
    known = [Paper("2611.00001", "A paper", "An abstract.", DAY, "test")]
    examples, _, warned = resolve([topic], among(known))
    assert [p.id for p in examples["t"]] == ["2611.00001"]
    assert warned == [
        "topics.t.examples: library.txt: 40 of its 41 papers not found among the papers known "
        "(the first: 2611.90000; 2611.90001; 2611.90002); the next builds look for them again",
        "topics.t.examples: few.txt: 2611.80001: not found among the papers known",
    ]
