from __future__ import annotations

import datetime as dt

import pytest

from digest.errors import SourceError

from .conftest import FEEDS, FIXTURES, read


def test_arxiv_listing_feed_new_cross_and_replace() -> None:
    papers, problems = read((FEEDS / "arxiv-cs-lg.xml").read_bytes(), filename="arxiv-cs-lg.xml")
    assert [p.extra["announce_type"] for p in papers] == ["new"] * 6 + ["cross"]
    assert [(p.kind, p.message) for p in problems] == [("dropped", "announce type replace")]
    first = papers[0]
    assert first.id == "2611.14201" and first.extra["version"] == 1
    assert first.title == "Sparse Mixture-of-Experts Scaling Laws for Compute-Optimal Pretraining"
    assert first.abstract.startswith("Mixture-of-experts (MoE) models decouple")
    assert "Announce Type" not in first.abstract and "arXiv:" not in first.abstract
    assert first.authors == ("Ada Lovelace", "Alan Turing")
    assert first.categories == ("cs.LG", "cs.CL")
    assert first.url == "https://arxiv.org/abs/2611.14201"
    assert first.date == dt.date(2026, 11, 20)


def test_announce_types_are_configurable_per_source() -> None:
    data = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    papers, problems = read(data, options={"announce": ["new", "replace"]})
    kinds = [p.extra["announce_type"] for p in papers]
    assert "replace" in kinds and "cross" not in kinds
    assert [p.message for p in problems] == ["announce type cross"]
    replaced = next(p for p in papers if p.extra["announce_type"] == "replace")
    assert replaced.id == "2609.01234" and replaced.extra["version"] == 2


def test_old_arxiv_rdf_feed() -> None:
    papers, problems = read((FIXTURES / "arxiv-rdf-old.xml").read_bytes())
    assert [p.message for p in problems] == ["announce type replace"]
    (paper,) = papers
    assert paper.id == "2308.05451"
    assert paper.title.startswith("NeuralStagger: Accelerating") and "arXiv:" not in paper.title
    assert paper.abstract == (
        "Neural networks have shown great potential in accelerating the solution of partial "
        "differential equations (PDEs). Second paragraph & more."
    )
    assert paper.authors == ("Xinquan Huang", "Wenlei Shi")
    assert paper.date == dt.date(2023, 8, 11)  # the channel's date: items carry none


def test_atom_with_html_summary_is_reduced_to_clean_text() -> None:
    papers, _ = read((FIXTURES / "blog-atom.xml").read_bytes())
    paper, post = papers
    assert paper.title == "Why Adam works"
    assert (
        paper.abstract == "We explain Adam. Second paragraph."
    )  # script dropped, entities decoded
    assert paper.id == "2611.00042"  # a Hugging Face paper link names the arXiv id
    assert paper.date == dt.date(2026, 11, 17)  # the feed's own day, not UTC's
    assert paper.authors == ("Jane Doe",)
    assert post.id.startswith("title:") and post.url == "https://blog.example.org/posts/hello"


def test_feed_without_any_date_uses_the_fallback_with_a_warning() -> None:
    data = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Undated</title><description>An abstract.</description></item></channel></rss>"""
    papers, problems = read(data, date=dt.date(2026, 1, 5))
    assert papers[0].date == dt.date(2026, 1, 5)
    assert problems[0].kind == "warning" and "the given date" in problems[0].message


def test_truncated_feed_keeps_the_valid_part_and_reports_the_line() -> None:
    data = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    cut = data[: data.index(b"<item>", data.index(b"<item>") + 10) + 200]
    papers, problems = read(cut)
    assert [p.id for p in papers] == ["2611.14201"]
    (error,) = [p for p in problems if p.kind == "error"]
    assert "not well-formed" in error.message and error.line is not None


@pytest.mark.parametrize(
    "data",
    [b"<rss version='2.0'><channel><item><title>x</ti", b"<?xml version='1.0'?><rss><chan"],
)
def test_broken_feed_with_nothing_valid_is_an_error(data: bytes) -> None:
    with pytest.raises(SourceError, match="not well-formed"):
        read(data, fmt="rss")


def test_html_page_is_not_taken_for_a_feed() -> None:
    with pytest.raises(SourceError, match="unrecognised format"):
        read(b"<!DOCTYPE html><html><body><p>Not a feed</p></body></html>")


def test_arxiv_api_response() -> None:
    papers, problems = read((FIXTURES / "arxiv-api.xml").read_bytes())
    assert problems == []
    paper, old = papers
    assert paper.id == "2611.14201"
    assert paper.title == "Sparse Mixture-of-Experts Scaling Laws for Compute-Optimal Pretraining"
    assert paper.abstract.startswith(
        "Mixture-of-experts (MoE) models decouple parameter count from per-token compute,"
    )
    assert paper.authors == ("Ada Lovelace", "Alan Turing")
    assert paper.categories == ("cs.LG", "cs.CL")
    assert paper.url == "http://arxiv.org/abs/2611.14201v2"
    assert paper.date == dt.date(2026, 11, 19)  # v1 publication
    assert paper.extra == {
        "version": 2,
        "pdf_url": "http://arxiv.org/pdf/2611.14201v2",
        "comments": "23 pages, 9 figures",
        "primary_category": "cs.LG",
        "published": "2026-11-19",
        "updated": "2026-11-21",
    }
    assert old.id == "hep-th/9901001" and old.extra["primary_category"] == "hep-th"


def test_hf_daily_papers_json_keeps_upvotes() -> None:
    papers, problems = read((FEEDS / "hf-daily-papers.json").read_bytes(), filename="hf.json")
    assert problems == []
    assert [p.extra["upvotes"] for p in papers] == [41, 87, 23, 12]
    first = papers[0]
    assert first.id == "2611.14201"
    assert first.url == "https://huggingface.co/papers/2611.14201"
    assert first.authors == ("Ada Lovelace", "Alan Turing")
    assert first.date == dt.date(2026, 11, 20)


def test_hf_json_bad_entries_are_dropped_and_bad_json_is_an_error() -> None:
    data = b'[{"paper": {"id": "2611.1", "title": "T", "summary": "S"}}, {"paper": {"title": "no id"}}, 3]'
    papers, problems = read(data)
    assert [p.id for p in papers] == ["2611.1"] or len(papers) == 1
    assert [p.kind for p in problems if p.kind != "warning"] == ["dropped", "dropped"]
    with pytest.raises(SourceError, match="not valid JSON") as info:
        read(b'[{"paper": {"id": "1"}},\n  {oops}]', fmt="hf-json")
    assert info.value.line == 2


def test_a_few_invalid_bytes_in_a_utf8_feed_do_not_garble_the_rest() -> None:
    """feedparser alone re-reads such a feed as windows-1252: every accent becomes mojibake."""
    data = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    broken = data.replace(b"<title>", "<title>Café naïve \u00e9t\u00e9 ".encode() + b"\xff ", 2)
    papers, problems = read(broken)
    assert papers[0].title.startswith("Café naïve été \ufffd ")
    assert "2 invalid UTF-8 byte sequence(s) replaced with U+FFFD" in [p.message for p in problems]


def test_a_mislabelled_latin1_feed_is_left_to_feedparser() -> None:
    data = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    latin1 = data.replace(b"<title>", "<title>Café naïve ".encode("latin-1"), 2)
    papers, problems = read(latin1)
    assert papers[0].title.startswith("Café naïve ")  # windows-1252 read it right
    assert any("feed encoding" in p.message for p in problems)
