"""``digest parse --json`` holds its papers as JSON lines (rows.PaperLines): what it prints must
be what the papers themselves give, duplicates merged in place, across blocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import orjson
import pytest

from digest import rows
from digest.collect import parse_sources
from digest.config import SourceSpec
from digest.model import Paper, merge
from digest.rows import PaperLines, paper_line

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
    monkeypatch.setattr(rows, "LINES_BLOCK", 4)  # many blocks, a last one part full
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
    monkeypatch.setattr(rows, "LINES_BLOCK", 16)
    lines, stats_lines = parse_sources(specs, tmp_path, TODAY, into=PaperLines)
    assert stats_lines == stats
    assert b"".join(lines.chunks()) == as_lines(papers)
    assert {p.date for p in papers} == {dt.date(2025, 1, 2)}
