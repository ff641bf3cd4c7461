"""Any bytes into any reader give papers, problems or a clean SourceError: nothing else escapes."""

from __future__ import annotations

import contextlib
import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.errors import SourceError
from digest.model import Paper, Problem
from digest.sources import Context, detect, formats

from .conftest import FEEDS, FIXTURES, PAGES, TODAY

SCALE = float(os.environ.get("DIGEST_FUZZ_SCALE", "1"))  # benchmarks/robustness.py raises it
SEEDS = [
    (PAGES / "daily-papers-aug12.txt").read_bytes()[:3000],
    (FEEDS / "arxiv-cs-lg.xml").read_bytes()[:3000],
    (FEEDS / "hf-daily-papers.json").read_bytes()[:2000],
    b'{"title": "T", "abstract": "A", "date": "2026-01-01"}\n{"id": "2601.00001v2", "title": "U"}\n',
    (FIXTURES / "arxiv-api.xml").read_bytes()[:3000],
    (FIXTURES / "arxiv-rdf-old.xml").read_bytes()[:3000],
    (FIXTURES / "blog-atom.xml").read_bytes()[:3000],
    (FIXTURES / "real" / "hf-daily-papers-2026-03-06.json").read_bytes()[:3000],
    (FIXTURES / "real" / "arxiv-snapshot-array.json").read_bytes()[:3000],
    (FIXTURES / "real" / "papers-jsonfeed-1.1.json").read_bytes()[:3000],
    (FIXTURES / "real" / "cv-arxiv-daily.json").read_bytes()[:3000],
    (FIXTURES / "real" / "arxiv-rdf-hep-ex-2021-07-08.xml").read_bytes()[:3000],
]


def mutate(data: bytes, cuts: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, chunk in cuts:
        at = position % (len(out) + 1)
        out[at : at + len(chunk)] = chunk
    return bytes(out)


def read_everything(data: bytes) -> None:
    ctx = Context("fuzz", "fuzz.txt", TODAY)
    readers = list(formats())
    with contextlib.suppress(SourceError):
        readers.insert(0, detect(data[:8192], "fuzz.txt"))
    for reader in readers:
        try:
            for item in reader.parse(io.BytesIO(data), ctx):
                assert isinstance(item, Paper | Problem)
                if isinstance(item, Paper):
                    assert item.title and "\x00" not in item.title and "\n" not in item.title
        except SourceError as exc:
            assert "\n" not in str(exc)


@settings(
    max_examples=int(150 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    read_everything(data)


@settings(
    max_examples=int(150 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=12)), max_size=6),
)
def test_mutated_real_inputs(seed: bytes, cuts: list[tuple[int, bytes]]) -> None:
    read_everything(mutate(seed, cuts))


@settings(max_examples=int(100 * SCALE), deadline=None)
@given(st.text(max_size=300))
def test_hostile_text_in_every_field(text: str) -> None:
    import json

    record = json.dumps(
        {"title": text + "x", "abstract": text, "authors": text, "id": text, "date": text}
    )
    read_everything(record.encode("utf-8", "surrogatepass"))


def test_found_by_the_fuzzer() -> None:
    """Inputs the long campaign (benchmarks/robustness.py) once crashed a reader on."""
    read_everything(
        b"\xfe\xffnew\x01\x01\x01\x01\x01\x01\x01\x01\x01\xd8\n\nDaily Papers\n\nAug 12\n"
    )
    read_everything(b"\x00<feed xmlns='http://www.w3.org/2005/Atom'><entry><arxiv:comment>"
                    b"<x/></arxiv:comment></entry></feed>")  # fmt: skip


@settings(max_examples=int(60 * SCALE), deadline=None)
@given(st.text(max_size=200), st.sampled_from(["hf", "feed", "daily", "array"]))
def test_hostile_text_in_every_field_of_the_json_shapes(text: str, shape: str) -> None:
    import json

    row = f"|**{text}**|**{text}x**|{text} et.al.|[{text}]({text})|{text}|\n"
    document = {
        "hf": [{"paper": {"id": text, "title": text + "x", "summary": text, "authors": [{"name": text}],
                          "publishedAt": text, "submittedOnDailyAt": text, "upvotes": text},
                "publishedAt": text}],
        "feed": {"version": "https://jsonfeed.org/version/1.1", "items": [
            {"id": text, "url": text, "title": text + "x", "content_html": text, "summary": text,
             "date_published": text, "authors": [{"name": text}], "tags": [text]}]},
        "daily": {text: {"2201.03814": row, text: row}},
        "array": [{"id": text, "title": text + "x", "abstract": text, "authors": text,
                   "versions": [{"version": "v1", "created": text}], "update_date": text}],
    }[shape]  # fmt: skip
    read_everything(json.dumps(document).encode("utf-8", "surrogatepass"))


# -- a topic's example files (BibTeX, CSL JSON, lists of ids), as Zotero and others export them

EXAMPLE_SEEDS = [
    (FIXTURES / "real" / name).read_bytes()[:3000]
    for name in (
        "zotero-7-export.bib",
        "arxiv-and-bbt-export.bib",
        "zotero-7-export.json",
        "zotero-7-export.ris",
        "zotero-web-api-items.json",
    )
] + [b"# ids\n2601.00001\narXiv:2601.00002v3\nA title\n"]


@settings(
    max_examples=int(150 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.sampled_from(EXAMPLE_SEEDS),
    st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=12)), max_size=6),
    st.sampled_from([".bib", ".json", ".ris", ".txt"]),
)
def test_mutated_example_files_give_papers_or_one_line(
    seed: bytes, cuts: list[tuple[int, bytes]], suffix: str
) -> None:
    import tempfile
    from pathlib import Path

    from digest.examples import parse_entry

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mine{suffix}"
        path.write_bytes(mutate(seed, cuts))
        wanted, problem = parse_entry(str(path))
    assert problem is None or ("\n" not in problem and problem.startswith(str(path)))
    for w in wanted:
        assert w.title or w.arxiv_id
        assert w.title is None or ("\n" not in w.title and "\x00" not in w.title)
