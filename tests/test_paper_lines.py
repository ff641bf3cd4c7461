"""``digest parse --json`` holds its papers as JSON lines (paper_lines.PaperLines): what it prints must
be what the papers themselves give, duplicates merged in place, across blocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from digest import paper_lines
from digest.collect import parse_sources
from digest.config import SourceSpec
from digest.model import Paper, merge
from digest.paper_lines import PaperLines, paper_line
from digest.sources import known_formats

from .conftest import PAGES, TODAY


def as_lines(papers: list[Paper]) -> bytes:
    return b"".join(paper_line(p) + b"\n" for p in papers)


def paper(n: int, **changes: object) -> Paper:
    base = Paper(
        id=f"2611.{n:05d}",
        title=f"Paper number {n}",
        abstract=f"Abstract {n} with \u00e9 and \u2014 and a \\ backslash",
        date=dt.date(2026, 11, 1 + n % 20),
        source="s",
        authors=("Ada Lovelace", f"Author {n}"),
        url=None if n % 3 else f"https://example.org/{n}",
        categories=("cs.CL",) if n % 2 else (),
        extra={"upvotes": n % 7} if n % 4 else {},
    )
    return dataclasses.replace(base, **changes)


def test_json_form_reads_back_to_the_same_paper() -> None:
    for n in range(12):
        p = paper(n, extra={"upvotes": n, "version": 2, "et_al": True})
        assert Paper.from_json(orjson.loads(paper_line(p))) == p
        assert Paper.from_json(orjson.loads(paper_line(p))).extra == p.extra


def test_appends_and_replacements_print_as_a_list_of_papers_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paper_lines, "LINES_BLOCK", 4)  # many blocks, a last one part full
    rng = random.Random(5)
    held, expected = PaperLines(), []
    for n in range(30):
        held.append(paper(n))
        expected.append(paper(n))
        if n % 3 == 2:  # merge a later sighting into an earlier place, as parse_sources does
            place = rng.randrange(len(expected))
            assert held[place] == expected[place]
            sighting = paper(n + 100, id=expected[place].id, date=dt.date(2026, 10, 1))
            held[place] = merge(held[place], sighting)
            expected[place] = merge(expected[place], sighting)
    assert len(held) == len(expected) == 30
    assert b"".join(held.chunks()) == as_lines(expected)
    assert [held[i] for i in range(30)] == expected
    with pytest.raises(IndexError):
        held[30]


def test_a_value_orjson_refuses_is_written_and_read_back() -> None:
    odd = paper(1, source="bad\udcff-name")  # a byte kept undecoded (surrogateescape)
    lone = paper(2, source="lone\ud800")
    held = PaperLines()
    for p in (paper(0), odd, lone):
        held.append(p)
    assert held[1] == odd
    assert held[2] == lone
    out = b"".join(held.chunks()).splitlines()
    assert out[1].startswith(b'{"id":"2611.00001","title":"Paper number 1",')
    assert b'"source":"bad\xff-name","url":null,' in out[1]  # the byte as it was
    assert json.loads(out[2])["source"] == "lone\ud800"


def test_parse_sources_into_lines_gives_the_bytes_of_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real sample pages (which share papers) and a JSON Lines dump that repeats them with
    upvotes: every duplicate is merged into its first place, whichever block it is in."""
    listed, _ = parse_sources([SourceSpec("pages", str(PAGES / "*.txt"))], tmp_path, TODAY)
    dump = tmp_path / "dump.jsonl"
    with dump.open("w", encoding="utf-8") as f:
        for i, p in enumerate(reversed(listed)):
            record = {"title": p.title, "abstract": "", "date": "2025-01-02", "upvotes": i}
            f.write(json.dumps(record) + "\n")
    specs = [SourceSpec("pages", str(PAGES / "*.txt")), SourceSpec("dump", str(dump))]
    papers, stats = parse_sources(specs, tmp_path, TODAY)
    assert stats[1].duplicates == len(listed) > 100
    monkeypatch.setattr(paper_lines, "LINES_BLOCK", 16)
    lines, stats_lines = parse_sources(specs, tmp_path, TODAY, into=PaperLines)
    assert stats_lines == stats
    assert b"".join(lines.chunks()) == as_lines(papers)
    assert {p.date for p in papers} == {dt.date(2025, 1, 2)}


def test_a_large_json_lines_file_read_in_parts_gives_what_one_reading_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``digest parse --json`` reads a large JSON Lines file in parts on worker processes: the
    same lines, merged the same way, with the same report (line numbers counted from the
    file's start), whichever part a duplicate or a bad line falls in."""
    from digest import collect, workers

    rng = random.Random(3)
    lines = []
    for n in range(600):
        kind = rng.random()
        if kind < 0.1 and n > 10:  # a paper seen before, by id, with upvotes
            m = rng.randrange(n)
            lines.append(json.dumps({"id": f"2611.{m:05d}", "title": f"Paper {m}", "upvotes": n}))
        elif kind < 0.15 and n > 10:  # a title-only sighting of an earlier paper
            m = rng.randrange(n)
            lines.append(json.dumps({"title": f"paper  {m}.", "abstract": f"Seen again {n}"}))
        elif kind < 0.18:
            lines.append('{"id": "broken", "title": ')  # not JSON
        elif kind < 0.2:
            lines.append(json.dumps({"id": f"2611.{n:05d}", "abstract": "no title"}))
        elif kind < 0.25:  # no date: the file's own date
            lines.append(json.dumps({"title": f"Undated {n}", "abstract": "x"}))
        else:
            record = {
                "id": f"2611.{n:05d}", "title": f"Paper {n}", "abstract": f"About {n} \u00e9",
                "authors": "A. One, B. Two and C. Three", "update_date": "2026-11-20",
            }  # fmt: skip
            lines.append(json.dumps(record))
    dump = tmp_path / "dump-2026-11-02.jsonl"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    other = tmp_path / "first.jsonl"  # a source read before: the dump's papers merge into it
    other.write_text(json.dumps({"id": "2611.00007", "title": "Paper 7", "upvotes": 999}) + "\n")
    specs = [SourceSpec("first", str(other)), SourceSpec("dump", str(dump))]

    papers, stats = parse_sources(specs, tmp_path, TODAY)
    monkeypatch.setattr(paper_lines, "LINES_BLOCK", 64)
    monkeypatch.setattr(collect, "SPLIT_BYTES", 1000)
    for parts in (2, 3):
        monkeypatch.setattr(workers, "cores", lambda parts=parts: parts)
        lines_read, stats_read = parse_sources(specs, tmp_path, TODAY, into=PaperLines)
        folder = lines_read.folder()
        assert len(list(folder.iterdir())) == parts  # it was read in parts
        assert stats_read == stats
        assert b"".join(lines_read.chunks()) == as_lines(papers)
        lines_read.close()
        assert not folder.exists()
    dump_stats = stats[1]
    assert dump_stats.duplicates > 50 and dump_stats.dropped > 5 and dump_stats.errors
    assert all(f"{dump.name}:" in e and "not JSON" in e for e in dump_stats.errors)
    assert [w for w in dump_stats.warnings if "date in its file name" in w]
    assert papers[0].extra["upvotes"] == 999


def test_a_large_file_of_no_paper_read_in_parts_is_still_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import collect, workers

    dump = tmp_path / "other.jsonl"
    dump.write_text("".join(json.dumps({"name": f"n{n}", "x": n}) + "\n" for n in range(200)))
    monkeypatch.setattr(collect, "SPLIT_BYTES", 1000)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    lines, stats = parse_sources([SourceSpec("other", str(dump))], tmp_path, TODAY, into=PaperLines)
    assert len(lines) == 0
    assert len(list(lines.folder().iterdir())) == 2  # read in two parts
    assert stats[0].errors == (
        f"{dump.name}: 200 entries, none of them a paper (record without a title, read as "
        f"jsonl); digest reads: {known_formats()}",
    )
    lines.close()


def test_parts_that_cannot_be_written_are_read_here_and_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parts' lines wait in a temporary folder as large as the output: with too little
    room it is not tried, and a part that cannot write (a disk filling up) loses nothing:
    the parts from it on are read in this process, with the same result and report."""
    from collections import namedtuple

    from digest import collect, workers

    dump = tmp_path / "dump.jsonl"
    records = [{"id": f"2611.{n % 250:05d}", "title": f"T {n % 250}", "upvotes": n}
               for n in range(300)]  # fmt: skip
    records[120] = {"title": "undated"}
    records[200] = {"title": "undated too"}
    dump.write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n")
    specs = [SourceSpec("dump", str(dump))]
    papers, stats = parse_sources(specs, tmp_path, TODAY)
    assert stats[0].duplicates == 50 and stats[0].errors and stats[0].warnings
    monkeypatch.setattr(collect, "SPLIT_BYTES", 1000)
    spill = collect._spill
    for failing in ("-0.jsonl", "-1.jsonl", "-2.jsonl"):  # the first, a middle, the last part

        def full(out: Any, lines: list[bytes], failing: str = failing) -> None:
            if out.name.endswith(failing):
                raise collect._SpillError("No space left on device")
            spill(out, lines)

        monkeypatch.setattr(collect, "_spill", full)
        monkeypatch.setattr(workers, "cores", lambda: 3)
        lines, stats_read = parse_sources(specs, tmp_path, TODAY, into=PaperLines)
        assert stats_read == stats and b"".join(lines.chunks()) == as_lines(papers)
        kept = sorted(p.name.rsplit("-", 1)[1] for p in lines.folder().iterdir())
        assert kept == [f"{n}.jsonl" for n in range(int(failing[1]))]  # the parts taken
        lines.close()

    monkeypatch.undo()
    monkeypatch.setattr(collect, "SPLIT_BYTES", 1000)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(collect.shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 100, 100))
    lines, stats_read = parse_sources(specs, tmp_path, TODAY, into=PaperLines)
    assert stats_read == stats and b"".join(lines.chunks()) == as_lines(papers)
    assert not list(lines.folder().iterdir())  # not tried
    lines.close()


def test_a_file_is_cut_at_line_starts_without_holding_a_long_line(tmp_path: Path) -> None:
    from digest import inputs

    path = tmp_path / "lines.jsonl"
    long = b"x" * (3 * inputs.READ_BUFFER)  # a line longer than what is read at a time
    path.write_bytes(b"a\n" + long + b"\nb\nc\n" + b"d" * 100 + b"\n")
    data = path.read_bytes()
    for parts in (1, 2, 3, 5, 40):
        spans = inputs.line_spans(path, parts)
        assert spans[0][0] == 0 and spans[-1][1] == len(data)
        assert all(a < b and (a == 0 or data[a - 1 : a] == b"\n") for a, b in spans)
        assert all(b == c for (_, b), (c, _) in itertools.pairwise(spans))
        for a, _ in spans:
            assert inputs.lines_before(path, a) == data[:a].count(b"\n")


def test_folders_a_killed_run_left_are_removed_once_a_day_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old = tmp_path / f"{paper_lines.FOLDER_PREFIX}killed"
    fresh = tmp_path / f"{paper_lines.FOLDER_PREFIX}running"
    other = tmp_path / "someone-else"
    for folder in (old, fresh, other):
        folder.mkdir()
        (folder / "0-0.jsonl").write_bytes(b"{}\n")
    two_days = os.stat(old).st_mtime - 2 * 24 * 3600
    os.utime(old, (two_days, two_days))
    os.utime(other, (two_days, two_days))
    held = PaperLines()
    mine = held.folder()
    assert mine.parent == tmp_path and mine.exists()
    assert not old.exists() and fresh.exists() and other.exists()
    held.close()
    assert not mine.exists()
