from __future__ import annotations

import datetime as dt
import io
import json

from digest.model import Paper, Problem
from digest.sources import Context
from digest.sources.jsonl import parse

from .conftest import FIXTURES, TODAY, read


def test_generic_records_and_arxiv_snapshot() -> None:
    papers, problems = read((FIXTURES / "records.jsonl").read_bytes(), filename="records.jsonl")
    assert problems == []
    generic, again, snapshot, second = papers
    assert generic.title == "A Generic Record" and generic.url == "https://example.org/p/1"
    assert generic.authors == ("A. Person", "B. Person")
    assert generic.id.startswith("title:") and generic.extra["source_id"] == "doi:10.1000/182"
    assert again.id == generic.id  # same title but for case and punctuation
    assert snapshot.id == "0704.0001"
    assert (
        snapshot.title
        == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert (
        snapshot.abstract.startswith("A fully differential calculation")
        and "\n" not in snapshot.abstract
    )
    assert snapshot.authors == ("C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")
    assert snapshot.categories == ("hep-ph",)
    assert snapshot.date == dt.date(2007, 4, 2)  # first version's date, not update_date
    assert snapshot.extra["version"] == 2
    assert snapshot.url == "https://arxiv.org/abs/0704.0001"
    assert second.categories == ("math.CO", "cs.CG") and second.date == dt.date(2007, 3, 31)


def test_bad_lines_are_reported_with_their_number_and_the_rest_is_read() -> None:
    lines = [
        json.dumps({"title": "One", "abstract": "a"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"abstract": "no title"}),
        json.dumps({"title": "Two", "abstract": "b", "date": "2026-02-03"}),
    ]
    papers, problems = read("\n".join(lines).encode(), fmt="jsonl", date=dt.date(2026, 1, 1))
    assert [p.title for p in papers] == ["One", "Two"]
    assert [p.date for p in papers] == [dt.date(2026, 1, 1), dt.date(2026, 2, 3)]
    assert [(p.kind, p.line) for p in problems] == [
        ("warning", None),  # "One" has no date: one warning says where its date came from
        ("error", 2),
        ("error", 3),
        ("dropped", 4),
    ]
    assert problems[0].message == "records have no date; using the given date, 2026-01-01"
    assert problems[1].message.startswith("not JSON")


def test_a_deeply_nested_line_is_an_error_of_its_line_alone() -> None:
    """A line nested 100,000 levels deep once raised RecursionError and stopped the file."""
    lines = [
        json.dumps({"title": "One", "abstract": "a", "date": "2026-02-03"}),
        '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "[" * 200_000,
        json.dumps({"title": "Two", "abstract": "b", "date": "2026-02-03"}),
    ]
    papers, problems = read("\n".join(lines).encode(), fmt="jsonl", date=dt.date(2026, 1, 1))
    assert [p.title for p in papers] == ["One", "Two"]
    assert [(p.kind, p.line) for p in problems] == [("error", 2), ("error", 3)]
    assert all(len(p.message) < 200 for p in problems)


def test_a_line_over_the_cap_is_skipped_without_being_held() -> None:
    """A 1 GB line once took 4 GB and crashed the JSON parser: past MAX_LINE a line is an
    error of its own, read through in pieces, and the next line is read."""
    from digest.sources.jsonl import MAX_LINE

    big = json.dumps({"title": "Big", "abstract": "x" * (MAX_LINE + 10)}).encode()
    data = b"\n".join(
        [
            json.dumps({"title": "One", "abstract": "a", "date": "2026-02-03"}).encode(),
            big,
            big[: MAX_LINE - 1],  # just under: read, and not JSON
            json.dumps({"title": "Two", "abstract": "b", "date": "2026-02-03"}).encode(),
        ]
    )
    papers, problems = read(data, fmt="jsonl", date=dt.date(2026, 1, 1))
    assert [p.title for p in papers] == ["One", "Two"]
    assert [(p.kind, p.line) for p in problems] == [("error", 2), ("error", 3)]
    assert problems[0].message == f"a line over {MAX_LINE >> 20} MB; skipped"
    assert problems[1].message.startswith("not JSON")


class _Exploding(io.RawIOBase):
    """A stream of good lines that fails if read past ``limit`` lines: proves streaming."""

    def __init__(self, limit: int) -> None:
        self.limit, self.served = limit, 0

    def readline(self, size: int | None = -1) -> bytes:
        if self.served >= self.limit:
            raise AssertionError("read too far")
        self.served += 1
        line = {"id": f"2601.{self.served:05d}", "title": f"T{self.served}", "abstract": "x",
                "date": "2026-01-02"}  # fmt: skip
        return json.dumps(line).encode() + b"\n"


def test_reader_streams_one_line_at_a_time() -> None:
    stream = _Exploding(limit=3)
    items = parse(stream, Context("big", today=TODAY))  # type: ignore[arg-type]
    first = [next(items) for _ in range(3)]
    assert all(isinstance(p, Paper) for p in first) and stream.served == 3
    assert [p.id for p in first if not isinstance(p, Problem)] == [
        "2601.00001",
        "2601.00002",
        "2601.00003",
    ]


def test_a_json_array_element_over_the_cap_ends_the_file_with_its_line() -> None:
    """ijson holds an element whole: one of 1 GB was an attack on memory. The elements before
    it are kept, and the error names the line where it was refused."""
    import pytest

    from digest.errors import SourceError
    from digest.sources import get
    from digest.sources.jsonstream import CHUNK, MAX_ELEMENT

    one = json.dumps({"title": "One", "abstract": "a", "date": "2026-02-03"})
    big = json.dumps({"title": "Big", "abstract": "x" * (MAX_ELEMENT + 2 * CHUNK)})
    data = f"[{one},\n{big},\n{one}]".encode()  # counted in chunks: within one of the cap
    items = get("json-array").parse(io.BytesIO(data), Context("t", today=TODAY))
    assert next(items).title == "One"  # type: ignore[union-attr]
    with pytest.raises(SourceError, match=r"a JSON element over 16 MB") as caught:
        list(items)
    assert caught.value.line == 2
