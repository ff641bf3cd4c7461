"""A corpus of malformed real-world inputs (tests/fixtures/malformed/, and huge files made here):
each gives a one-line error naming the file, or its valid part, and the other sources still
build. Plus a compressed bomb served over HTTP, stopped by the size cap."""

from __future__ import annotations

import gzip
import json
import resource
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.collect import MAX_ABSTRACT

from .conftest import FEEDS, FIXTURES
from .http_server import Reply, serving

MALFORMED = FIXTURES / "malformed"
# file -> what its report must say, and how many of its papers survive
EXPECTED = {
    "truncated.xml": ("feed is not well-formed (no element found); kept 2 complete entries", 2),
    "declares-utf16.xml": (None, 7),  # the declaration is wrong, the bytes are read right
    "declares-latin1.xml": (None, 7),
    "html-served-as-feed.xml": ("unrecognised format", 0),
    "html-entities.xml": ("undefined entity", 7),
    "billion-laughs.xml": ("undefined entity", 1),  # never expanded
    "external-entity.xml": ("not well-formed", 1),  # never resolved: no file is read
    "truncated-daily.json": ("not valid JSON: cut short after element 2", 2),  # streamed
    "mixed.jsonl": ("binary file (NUL bytes)", 0),
    "arxiv-api-error.xml": ("incorrect id format for 1234", 0),
    "empty.xml": ("empty file", 0),
    "blank.xml": ("empty file", 0),
    "unclosed-cdata.xml": ("unclosed CDATA section", 0),
    "nul-bytes.xml": ("binary file (NUL bytes)", 0),
}


def test_the_corpus_is_what_the_table_covers() -> None:
    assert sorted(p.name for p in MALFORMED.iterdir()) == sorted(EXPECTED)


@pytest.fixture
def corpus_project(tmp_path: Path) -> Path:
    shutil.copytree(MALFORMED, tmp_path / "bad")
    shutil.copy(FEEDS / "hf-daily-papers.json", tmp_path / "good.json")
    sources = [{"path": f"bad/{name}", "name": name} for name in sorted(EXPECTED)]
    sources.append({"path": "good.json", "name": "good"})
    (tmp_path / "digest.yaml").write_text(
        "sources:\n" + "".join(f"  - {json.dumps(s)}\n" for s in sources)
        + "topics:\n  scaling: [scaling law, model]\n"
    )  # fmt: skip
    return tmp_path


def test_every_malformed_input_gives_one_line_or_its_valid_part(
    corpus_project: Path, runner: CliRunner
) -> None:
    result = runner.invoke(main, ["build", "-c", str(corpus_project / "digest.yaml")])
    assert result.exit_code == 2, result.output  # some sources failed; the rest were built
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    for name, (message, _) in EXPECTED.items():
        mine = [e for e in errors if f"bad/{name}" in e]
        if message is None:
            assert not mine, mine
        else:
            assert any(message in e for e in mine), (name, mine)
    with sqlite3.connect(corpus_project / ".digest" / "store.sqlite") as db:
        read = dict(db.execute("SELECT source, read FROM source_runs"))
    for name, (_, papers) in EXPECTED.items():
        assert read[name] == papers, name
    assert read["good"] == 4
    assert (corpus_project / "output" / "index.html").is_file()
    manifest = json.loads((corpus_project / "output" / "manifest.json").read_text())
    assert any(f["kind"] == "rss" for f in manifest["files"])


def test_a_15_mb_feed_item_is_read_and_cut_to_size(tmp_path: Path, runner: CliRunner) -> None:
    rss = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    parts = rss.split(b"</description>")  # [0] ends the channel's, [1] the first abstract
    parts[1] += b" word" * (3 << 20)
    (tmp_path / "huge.xml").write_bytes(b"</description>".join(parts))
    (tmp_path / "digest.yaml").write_text(
        "sources: [huge.xml]\ntopics:\n  scaling: [scaling law]\n"
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = runner.invoke(main, ["build", "-c", str(tmp_path / "digest.yaml")])
    assert result.exit_code == 0, result.output
    assert "1 paper(s) cut to 1,000 characters of title, 20,000 of abstract" in result.output
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 300  # the memory target of issue 24
    with sqlite3.connect(tmp_path / ".digest" / "store.sqlite") as db:
        longest = db.execute("SELECT max(length(abstract)) FROM papers").fetchone()[0]
    assert longest <= MAX_ABSTRACT
    page = (tmp_path / "output" / "days" / "2026-11-20.html").stat().st_size
    assert page < 2_000_000


def test_a_feed_over_the_document_cap_is_one_error_and_the_rest_is_built(
    tmp_path: Path, runner: CliRunner
) -> None:
    """An RSS of a million items took 2.4 GB and 4 minutes (feedparser holds the document):
    past 20 MB a feed is refused before it is parsed, saying what to do."""
    rss = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    head, _, tail = rss.partition(b"<item")
    item = b"<item" + tail.partition(b"</item>")[0] + b"</item>\n"
    with open(tmp_path / "big.xml", "wb") as out:
        out.write(head)
        for _ in range((25 << 20) // len(item)):
            out.write(item)
        out.write(b"</channel></rss>\n")
    shutil.copy(FEEDS / "arxiv-cs-lg.xml", tmp_path / "small.xml")
    (tmp_path / "digest.yaml").write_text(
        "sources: [big.xml, small.xml]\ntopics:\n  scaling: [scaling law]\n"
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = runner.invoke(main, ["build", "-c", str(tmp_path / "digest.yaml")])
    assert result.exit_code == 2, result.output  # built, with a source failed
    [line] = [x for x in result.output.splitlines() if "big.xml" in x and "over 20 MB" in x]
    assert "JSON Lines" in line
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 100
    assert "the other sources were read" in result.output
    with sqlite3.connect(tmp_path / ".digest" / "store.sqlite") as db:
        assert db.execute("SELECT count(*) FROM papers").fetchone()[0] > 0
    assert (tmp_path / "output" / "index.html").is_file()


def test_50_mb_of_noise_and_50_mb_of_json_lines(tmp_path: Path, runner: CliRunner) -> None:
    line = json.dumps({"title": "T", "abstract": "word " * 400, "date": "2026-11-20"})
    with open(tmp_path / "dump.jsonl", "w") as out:
        for n in range((50 << 20) // len(line)):
            out.write(line.replace('"T"', f'"Paper number {n}"') + "\n")
    (tmp_path / "noise.xml").write_bytes(bytes(range(256)) * (50 << 12))
    (tmp_path / "digest.yaml").write_text(
        "sources: [dump.jsonl, noise.xml]\ntopics:\n  scaling: [word]\n"
    )
    result = runner.invoke(main, ["collect", "-c", str(tmp_path / "digest.yaml")])
    assert result.exit_code == 2
    assert "noise.xml: binary file (NUL bytes)" in result.output
    assert f"dump: {(50 << 20) // len(line)} read" in result.output


def test_a_compressed_bomb_stops_at_the_size_cap(tmp_path: Path, runner: CliRunner) -> None:
    bomb = gzip.compress(b"<rss>" + b"\x20" * (200 << 20), compresslevel=9)  # 200 MB inside
    assert len(bomb) < 300_000
    with serving() as server:
        url = server.route("/bomb.xml", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
        (tmp_path / "digest.yaml").write_text(
            f"sources: [{{url: '{url}', name: bomb}}]\nfetch: {{max_size: 5MB, retries: 0}}\n"
            "topics:\n  scaling: [scaling law]\n"
        )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = runner.invoke(main, ["fetch", "-c", str(tmp_path / "digest.yaml")])
    assert result.exit_code == 2
    assert "bomb: FAILED: the response passed the 5.0 MB cap (fetch.max_size)" in result.output
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 100
    assert not list((tmp_path / ".digest" / "cache").rglob("*.body*"))
