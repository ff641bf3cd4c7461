"""What the outputs show of a paper, from what its sources knew: links (arXiv, PDF, Hugging
Face, its own page, or a search when only the title is known) and a byline."""

from __future__ import annotations

import datetime as dt
import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from digest.model import Paper, http_url


def paper(**fields: object) -> Paper:
    base: dict[str, object] = {"id": "title:0123456789abcdef", "title": "Scaling laws & <b>",
                               "abstract": "", "date": dt.date(2026, 11, 20), "source": "s"}  # fmt: skip
    return Paper(**(base | fields))  # type: ignore[arg-type]


def kinds(p: Paper) -> list[tuple[str, str]]:
    return [(link.kind, link.url) for link in p.links]


def test_an_arxiv_paper_links_its_abstract_and_pdf() -> None:
    p = paper(id="2611.14201", url="https://arxiv.org/abs/2611.14201")
    assert kinds(p) == [("arxiv", "https://arxiv.org/abs/2611.14201"),
                        ("pdf", "https://arxiv.org/pdf/2611.14201")]  # fmt: skip
    assert p.page_url == "https://arxiv.org/abs/2611.14201" and not p.hf_url
    own_pdf = paper(id="2611.14201", extra={"pdf_url": "https://arxiv.org/pdf/2611.14201v3"})
    assert own_pdf.pdf_url == "https://arxiv.org/pdf/2611.14201v3"
    assert paper(id="hep-th/9901001").abs_url == "https://arxiv.org/abs/hep-th/9901001"


def test_a_hugging_face_paper_links_its_page_there_too() -> None:
    p = paper(id="2611.14201", url="https://huggingface.co/papers/2611.14201",
              extra={"upvotes": 41})  # fmt: skip
    assert [k for k, _ in kinds(p)] == ["arxiv", "pdf", "hf"]
    assert p.page_url == p.hf_url == "https://huggingface.co/papers/2611.14201"
    assert p.upvotes == 41
    # upvotes only come from Hugging Face: with an arXiv id, its page there is known
    assert paper(id="2611.14201", extra={"upvotes": 3}).hf_url.endswith("/papers/2611.14201")


def test_a_paper_known_by_title_only_gets_searches_marked_as_such() -> None:
    p = paper(title="Scaling  laws &\nmore <b>")
    links = p.links
    assert [link.kind for link in links] == ["search-arxiv", "search-hf"]
    assert all(link.search and link.label.startswith("search ") for link in links)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(links[0].url).query)
    assert query == {"query": ["Scaling laws & more <b>"], "searchtype": ["title"]}
    assert links[1].url.startswith("https://huggingface.co/papers?q=Scaling+laws+%26")
    assert p.page_url == ""


def test_an_own_link_elsewhere_is_shown_by_its_host() -> None:
    p = paper(url="https://www.example.org/post/1")
    assert [(link.kind, link.label) for link in p.links] == [("page", "example.org")]


@given(st.text(), st.one_of(st.none(), st.text()), st.text())
def test_every_link_is_a_plain_http_url_whatever_the_input(
    title: str, url: str | None, pdf: str
) -> None:
    p = paper(title=title or "x", url=url, extra={"pdf_url": pdf})
    for link in p.links:
        assert http_url(link.url) == link.url
        assert link.kind == "page" or link.url.isascii()  # made here: percent-encoded


def test_the_byline_names_the_first_authors_then_how_many_more() -> None:
    authors = ("Ada Lovelace", "Alan  Turing", "Grace Hopper", "Claude Shannon")
    assert paper(authors=authors).byline(3) == "Ada Lovelace, Alan Turing, Grace Hopper and 1 more"
    assert paper(authors=authors[:2]).byline(3) == "Ada Lovelace, Alan Turing"
    # a source that lists some authors and counts the rest
    counted = paper(authors=authors[:2], extra={"more_authors": 12})
    assert counted.byline(3) == "Ada Lovelace, Alan Turing and 12 more"
    assert paper(extra={"more_authors": 1}).byline() == "1 author"
    assert paper(extra={"more_authors": True}).byline() == ""  # not a count
    assert paper().byline() == ""
