"""What the sources know, where a reader looks, in every output: each paper reachable (its
arXiv page and PDF, its Hugging Face page, or a search marked as such), its authors ("and N
more"), upvotes, why it was picked and its TL;DR; the highlights set apart; each paper once per
letter; plurals right."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import re
from collections import Counter

import feedparser
import markdown
import pytest

from digest.config import EmailSettings, Highlights
from digest.model import Paper, Topic
from digest.rank import Ranker, rank_day
from digest.render import DateInfo, Rendered, Site, render_day, summarize
from digest.render.email import DEFAULT_SUBJECT, preheader, subject
from digest.render.email import recipient as address
from tests.helpers import Element, parse_html

DATE = dt.date(2026, 11, 20)
TOPICS = (Topic("scaling", ("scaling law",)), Topic("rl", ("reinforcement learning",)))
ABSTRACT = "We find a scaling law for reinforcement learning agents trained with more compute."


def papers() -> list[Paper]:
    return [
        # from Hugging Face: arXiv id, its page there, upvotes, authors counted beyond those listed
        Paper("2611.14201", "Scaling laws of reinforcement learning", ABSTRACT, DATE, "hf",
              authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Claude Shannon",
                       "Kurt Gödel"), url="https://huggingface.co/papers/2611.14201",
              extra={"upvotes": 41, "more_authors": 7}),
        # from arXiv
        Paper("2611.14302", "A scaling law for verifiers", ABSTRACT, DATE, "arxiv",
              authors=("Barbara Liskov",), url="https://arxiv.org/abs/2611.14302"),
        # known only by its title (a scraped page)
        Paper("title:0123456789abcdef", "Reinforcement learning from scaling law feedback",
              ABSTRACT, DATE, "page"),
        *(Paper(f"2611.{n:05d}", f"Reinforcement learning, a scaling law number {n}", ABSTRACT,
                DATE, "arxiv", url=f"https://arxiv.org/abs/2611.{n:05d}") for n in range(1, 5)),
    ]  # fmt: skip


def site(highlights: int = 3, **fields: object) -> Site:
    return Site.make(title="Lab digest", site_url="https://example.org/digest/", topics=TOPICS,
                     dates=(DateInfo(DATE, 7, highlights),), rules=Highlights(total=highlights),
                     email=EmailSettings(**fields))  # type: ignore[arg-type]  # fmt: skip


def rendered(highlights: int = 3) -> dict[str, bytes]:
    s = site(highlights)
    day = rank_day(DATE, papers(), Ranker.compile(TOPICS), s.rules)
    files: list[Rendered] = render_day(day, s) + summarize([day], s)
    return {f.path: f.data for f in files}


@pytest.fixture(scope="module")
def out() -> dict[str, bytes]:
    return rendered()


def anchors(tree_text: bytes | str) -> list[tuple[str, str]]:
    tree = parse_html(tree_text)
    return [(a.attrs.get("href") or "", a.text.strip()) for a in tree.find("a")]


def test_every_paper_is_reachable_in_every_output_searches_marked_as_such(
    out: dict[str, bytes],
) -> None:
    search = ("https://arxiv.org/search/?query=Reinforcement+learning+from+scaling+law+feedback"
              "&searchtype=title")  # fmt: skip
    hf = "https://huggingface.co/papers/2611.14201"
    pdf = "https://arxiv.org/pdf/2611.14302"
    html = {"email": out["email/2026-11-20.html"], "site": out["days/2026-11-20.html"]}
    for name, data in html.items():
        found = anchors(data)
        assert (search, "search arXiv") in found, name
        assert any(h.startswith("https://huggingface.co/papers?q=") for h, _ in found), name
        assert (hf, "Hugging Face") in found and (pdf, "PDF") in found, name
    text = out["email/2026-11-20.txt"].decode()
    assert f"search arXiv: {search}" in text and f"PDF: {pdf}" in text
    md = parse_html(markdown.markdown(out["markdown/2026-11-20.md"].decode()))
    assert (search, "search arXiv") in [(a.attrs["href"], a.text) for a in md.find("a")]
    feed = feedparser.parse(out["feeds/all.xml"])
    for entry in feed.entries:
        links = anchors(entry.description)
        assert any(t in ("arXiv", "search arXiv") for _, t in links), entry.title


def test_authors_upvotes_why_and_tldr_in_every_output(out: dict[str, bytes]) -> None:
    byline = "Ada Lovelace, Alan Turing, Grace Hopper, Claude Shannon and 8 more"  # 1 + 7 unlisted
    for path in ["email/2026-11-20.html", "email/2026-11-20.txt", "markdown/2026-11-20.md",
                 "days/2026-11-20.html"]:  # fmt: skip
        text = out[path].decode()
        assert byline.split(" and ")[0] in text, path
        assert "more" in text and "41" in text, path  # the upvotes
        assert "Why:" in text and "TL;DR" in text, path
    assert "Ada Lovelace, Alan Turing, Grace Hopper, Claude Shannon, Kurt Gödel and 7 more" in (
        out["days/2026-11-20.html"].decode()
    )
    # RSS: the authors in dc:creator, which feedparser reads as the entry's author
    feed = feedparser.parse(out["feeds/all.xml"])
    assert not feed.bozo
    by_title = {e.title: e for e in feed.entries}
    first = by_title["Scaling laws of reinforcement learning"]
    assert (
        first.author
        == "Ada Lovelace, Alan Turing, Grace Hopper, Claude Shannon, Kurt Gödel and 7 more"
    )
    assert "Why:" in first.description and "TL;DR" in first.description
    assert "41 upvotes" in first.description


def test_highlights_are_cards_set_apart_from_the_other_papers(out: dict[str, bytes]) -> None:
    page = parse_html(out["days/2026-11-20.html"])
    cards = [a for a in page.find("article") if "highlight" in a.attrs["class"].split()]
    assert len(cards) == 3
    others = [a for a in page.find("article") if "highlight" not in a.attrs["class"].split()]
    assert others  # the topic sections' own papers
    css = out["style.css"].decode()
    assert re.search(r"\.paper\.highlight \{[^}]*background", css)
    letter = parse_html(out["email/2026-11-20.html"])
    cards = letter.find("table", class_="hl")
    assert len(cards) == 3 and all("border-left" in c.attrs["style"] for c in cards)


def ids(tree_all: list[Element]) -> Counter[str]:
    return Counter(e.attrs["id"] for e in tree_all if e.attrs.get("id", "").startswith("p-"))


def test_each_paper_once_per_letter_and_page_later_sections_link_to_it(
    out: dict[str, bytes],
) -> None:
    for path in ["email/2026-11-20.html", "days/2026-11-20.html", "index.html"]:
        tree = parse_html(out[path])
        placed = ids(tree.all)
        assert set(placed.values()) == {1}, path  # each paper shown in full once
        assert len(placed) == 7, (path, placed)  # every paper of the day (all matched a topic)
        refs = [
            a.attrs["href"] for a in tree.find("a") if a.attrs.get("href", "").startswith("#p-")
        ]
        assert refs and all(r[1:] in placed for r in refs), path
        assert "(above)" not in out[path].decode()
    text = out["email/2026-11-20.txt"].decode()
    entries = re.findall(r"^(?:\d+\.|-) (.+)$", text, re.M)  # "1. title", "- title"
    assert sorted(entries) == sorted(p.title for p in papers())


def test_plurals_and_the_subject_say_1_highlight() -> None:
    one = rendered(highlights=1)
    s = site(1)
    day = rank_day(DATE, papers(), Ranker.compile(TOPICS), s.rules)
    assert subject(day, s, address("a@example.org")) == "Lab digest — 2026-11-20: 1 highlight"
    # a config still holding the old default subject gets the new one
    old = site(1, subject="{{ title }} — {{ date }}: {{ highlights|length }} highlights")
    assert subject(day, old, address("a@example.org")).endswith(": 1 highlight")
    assert "plural" in DEFAULT_SUBJECT
    for path in ["email/2026-11-20.html", "email/2026-11-20.txt", "markdown/2026-11-20.md",
                 "days/2026-11-20.html"]:  # fmt: skip
        text = re.sub(r"\s+", " ", one[path].decode())
        assert "1 highlight" in text and "1 highlights" not in text, path
    msg = email.message_from_bytes(one["email/2026-11-20.eml"], policy=email.policy.default)
    assert msg["Subject"].endswith(": 1 highlight")


def test_the_preheader_is_cut_at_a_word() -> None:
    long = [Paper(f"2611.{n:05d}", "Scaling law " + "wordy " * 30 + str(n), ABSTRACT, DATE, "a")
            for n in range(3)]  # fmt: skip
    s = site()
    day = rank_day(DATE, long, Ranker.compile(TOPICS), s.rules)
    text = preheader(day)
    assert len(text) <= 150 and text.endswith("…")
    assert text[:-1].split()[-1] in {"Scaling", "law", "wordy", "0", "1", "2"}


# -- browsing at scale: the home page, feeds that link to their page -------------------------


def test_the_home_page_shows_the_latest_date_then_the_days_before_in_short() -> None:
    s = site()
    ranker = Ranker.compile(TOPICS)
    days = [
        rank_day(DATE - dt.timedelta(days=n), [dataclasses.replace(p, date=DATE - dt.timedelta(
            days=n)) for p in papers()], ranker, s.rules)
        for n in range(10)
    ]  # fmt: skip
    s = dataclasses.replace(s, dates=tuple(DateInfo(d.date, 7, 3) for d in days), home_days=7)
    index = {f.path: f.data for f in summarize(days, s)}["index.html"]
    tree = parse_html(index)
    earlier = tree.find("section", class_="earlier")
    assert len(earlier) == 6  # the latest in full, then six more dates: seven in all
    first = next(a for a in earlier[0].children[0].children if a.tag == "a")
    assert first.attrs["href"] == "days/2026-11-19.html"
    links = [a.attrs["href"] for e in earlier for a in walk(e) if a.tag == "a"]
    assert "days/2026-11-19.html#p-2611.14201" in links


def walk(element: Element) -> list[Element]:
    return [e for c in element.children for e in (c, *walk(c))]


def test_each_feed_links_to_its_own_page_and_is_styled_for_a_browser(
    out: dict[str, bytes],
) -> None:
    import xml.etree.ElementTree as ET

    for path, page in [("feeds/all.xml", "https://example.org/digest/"),
                       ("feeds/rl.xml", "https://example.org/digest/topics/rl.html")]:  # fmt: skip
        data = out[path]
        assert feedparser.parse(data).feed.link == page
        assert b'<?xml-stylesheet type="text/xsl" href="feed.xsl"?>' in data.split(b"\n")[1]
    ET.fromstring(out["feeds/feed.xsl"])  # well-formed
    opml = ET.fromstring(out["feeds/feeds.opml"])
    pages = {o.get("xmlUrl"): o.get("htmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")}
    assert pages["https://example.org/digest/feeds/scaling.xml"] == (
        "https://example.org/digest/topics/scaling.html"
    )
    # the site's "RSS" link opens the page of feeds, which says how to subscribe
    subscribe = parse_html(out["subscribe.html"])
    hrefs = [a.attrs["href"] for a in subscribe.find("a")]
    assert {"feeds/all.xml", "feeds/rl.xml", "feeds/feeds.opml"} <= set(hrefs)
    assert "feed reader" in out["subscribe.html"].decode()
