"""Every output of the sample build read back: feeds by feedparser and by Debian's sfeed, pages
and emails parsed into elements, links followed on disk."""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import posixpath
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from digest.render.email import BUDGET
from tests.conftest import FEEDS, ROOT
from tests.helpers import Element, build_project, live_scripts, parse_html

SITE = "https://example.org/digest/"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("sample")
    shutil.copytree(FEEDS, project / "feeds")
    shutil.copy(ROOT / "digest.yaml", project / "digest.yaml")
    with (project / "digest.yaml").open("a") as fh:
        fh.write('email:\n  from: "Digest <digest@example.org>"\n  to: lab@example.org\n'
                 "  unsubscribe_url: https://example.org/unsubscribe\n")  # fmt: skip
    build_project(project)
    return project / "output"


def rss_files(out: Path) -> list[Path]:
    return sorted((out / "feeds").glob("*.xml"))


# -- feeds -----------------------------------------------------------------------------------


def test_every_feed_parses_without_bozo_and_has_stable_full_url_guids(out: Path) -> None:
    feeds = rss_files(out)
    assert len(feeds) == 6
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))
        assert parsed.version == "rss20"
        root = ET.fromstring(path.read_bytes())
        channel = root.find("channel")
        assert channel is not None
        self_link = channel.find("{http://www.w3.org/2005/Atom}link")
        assert self_link is not None and self_link.get("rel") == "self"
        assert self_link.get("href") == SITE + path.relative_to(out).as_posix()
        items = channel.findall("item")
        assert items and len(items) == len(parsed.entries)
        guids = [i.find("guid") for i in items]
        assert all(g is not None and g.text and g.text.startswith(SITE + "papers/") for g in guids)
        assert len({g.text for g in guids if g is not None}) == len(guids)
        dates = [email.utils.parsedate_to_datetime(i.findtext("pubDate") or "") for i in items]
        assert all(d.year >= 2026 for d in dates)
        assert [i.findtext("pubDate") for i in items] == sorted(
            (i.findtext("pubDate") for i in items),
            key=email.utils.parsedate_to_datetime,
            reverse=True,
        )
        # lastBuildDate is the newest item's date: rebuilding the same input gives the same bytes
        assert channel.findtext("lastBuildDate") == items[0].findtext("pubDate")
        assert b"CDATA" not in path.read_bytes()
        for entry, item in zip(parsed.entries, items, strict=True):
            assert entry.title == item.findtext("title")
            assert entry.link.startswith(
                ("https://arxiv.org/abs/", "https://huggingface.co/papers/", SITE + "days/")
            )


def test_the_highlights_feed_lists_every_recent_highlight(out: Path) -> None:
    parsed = feedparser.parse((out / "feeds" / "all.xml").read_bytes())
    pages = {d: parse_html((out / "days" / f"{d}.html").read_bytes()) for d in
             ["2026-11-20", "2026-08-12", "2026-08-05", "2026-03-13"]}  # fmt: skip
    expected = []
    for tree in pages.values():
        section = [s for s in tree.find("section", class_="highlights")]
        expected += [h.attrs["id"] for s in section for a in s.children if a.tag == "article"
                     for h in a.children if h.tag == "h3"]  # fmt: skip
    got = [e.id.rsplit("/", 1)[1] for e in parsed.entries]
    assert ["p-" + g.replace(":", "-") for g in got] == expected


def test_opml_lists_every_feed(out: Path) -> None:
    root = ET.fromstring((out / "feeds" / "feeds.opml").read_bytes())
    urls = {o.get("xmlUrl") for o in root.iter("outline") if o.get("type") == "rss"}
    assert urls == {SITE + p.relative_to(out).as_posix() for p in rss_files(out)}


def _sfeed() -> str | None:
    found = shutil.which("sfeed")
    if found is None and not os.environ.get("CI"):
        pytest.skip("Debian's sfeed is not installed (.ci/run installs it)")
    assert found, "sfeed must be installed in CI"
    return found


def test_sfeed_an_independent_reader_lists_the_same_items(out: Path) -> None:
    sfeed = _sfeed()
    for path in rss_files(out):
        result = subprocess.run([sfeed], input=path.read_bytes(), capture_output=True, check=True)
        rows = [line.split("\t") for line in result.stdout.decode().splitlines()]
        parsed = feedparser.parse(path.read_bytes())
        # sfeed: timestamp, title, link, content, content-type, id, author, enclosure, category
        assert [r[1] for r in rows] == [e.title for e in parsed.entries], path.name
        assert [r[2] for r in rows] == [e.link for e in parsed.entries]
        assert [r[5] for r in rows] == [e.id for e in parsed.entries]
        assert [int(r[0]) for r in rows] == [
            int(email.utils.parsedate_to_datetime(e.published).timestamp()) for e in parsed.entries
        ]


# -- site ------------------------------------------------------------------------------------


def pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if not p.is_relative_to(out / "email"))


def test_pages_parse_link_only_relatively_to_files_that_exist_and_need_no_javascript(
    out: Path,
) -> None:
    assert len(pages(out)) == 4 + 5 + 4  # days, topics; home, archive, subscribe, search
    for page in pages(out):
        tree = parse_html(page.read_bytes())
        assert not tree.errors, (page, tree.errors[:3])
        assert not live_scripts(page.name, tree)  # the search page's own search.js only
        assert tree.find("meta", name="viewport") and tree.find("meta", name="color-scheme")
        alternate = tree.find("link", rel="alternate")
        assert alternate and alternate[0].attrs["type"] == "application/rss+xml"
        ids = {e.attrs["id"] for e in tree.all if e.attrs.get("id")}
        for element in tree.all:
            for attr in ("href", "src"):
                link = element.attrs.get(attr)
                if not link:
                    continue
                assert not link.startswith(("/", SITE, "javascript:")), (page, link)
                if link.startswith("https://"):  # a paper's own page
                    assert element.tag == "a" and element.attrs.get("href") == link
                    continue
                target, _, fragment = link.partition("#")
                if not target:
                    assert fragment in ids, (page, link)
                    continue
                resolved = out / posixpath.normpath(
                    posixpath.join(page.parent.relative_to(out).as_posix(), target)
                )
                assert resolved.is_file(), (page, link)
                if fragment:
                    other = parse_html(resolved.read_bytes())
                    assert fragment in {e.attrs.get("id") for e in other.all}, (page, link)


def test_every_page_describes_itself_for_search_results_and_link_previews(out: Path) -> None:
    for page in pages(out):
        tree = parse_html(page.read_bytes())
        [description] = tree.find("meta", name="description")
        [og_description] = tree.find("meta", property="og:description")
        [og_title] = tree.find("meta", property="og:title")
        [title] = tree.find("title")
        text = str(description.attrs["content"])
        assert text and og_description.attrs["content"] == text, page
        assert og_title.attrs["content"] == title.text, page
        assert tree.find("meta", property="og:site_name")[0].attrs["content"] == "ML Paper Digest"
        if page.parent.name == "days" or page.name == "index.html":
            count = tree.find("p", class_="lede")[0].text.split()[0]
            first = tree.find("section", class_="highlights")[0].children[1]  # after the <h2>
            heading = next(c for c in first.children if c.tag == "h3").text.strip()
            assert text.startswith(f"{count} new papers on "), text
            assert f"Highlights: {heading}" in text, (text, heading)
            assert len(text) < 320
        elif page.parent.name == "topics":
            assert text.startswith(f"Papers on {title.text.split(': ')[-1]} ")


def test_day_pages_show_highlights_sections_and_the_rest(out: Path) -> None:
    tree = parse_html((out / "days" / "2026-08-12.html").read_bytes())
    highlights = [
        a for a in tree.find("section", class_="highlights")[0].children if a.tag == "article"
    ]
    assert len(highlights) == 10
    assert tree.find("strong"), "matched keywords are bold"
    sections = tree.find("section", class_="topic-section")
    assert {s.attrs["id"] for s in sections} <= {f"topic-{t}" for t in
            ["scaling", "test-time-compute", "optimization", "efficiency", "rl"]}  # fmt: skip
    also = tree.find("section", id="also")
    assert also and "matched no topic" in also[0].text
    nav = tree.find("a", rel="prev") + tree.find("a", rel="next")
    assert [a.attrs["href"] for a in nav] == ["2026-08-05.html", "2026-11-20.html"]
    home = parse_html((out / "index.html").read_bytes())
    assert "2026" in home.find("h1")[0].text and "20 November" in home.find("h1")[0].text
    archive = parse_html((out / "archive.html").read_bytes())
    assert [a.attrs["href"] for a in archive.find("a") if a.attrs["href"].startswith("days/")] == [
        "days/2026-11-20.html", "days/2026-08-12.html", "days/2026-08-05.html", "days/2026-03-13.html"
    ]  # fmt: skip


# -- email -----------------------------------------------------------------------------------


def test_the_markdown_readme_shows_the_latest_highlights_and_every_date(out: Path) -> None:
    """``markdown/README.md``, which GitHub shows below the folder: the newest date's
    highlights as its own Markdown lists them, then every date, newest first, each linked to
    its file with the counts that file gives."""
    import markdown

    def link(element: Element) -> Element:
        return next(e for e in walk(element) if e.tag == "a")

    folder = out / "markdown"
    days = sorted(folder.glob("2*.md"))
    readme = parse_html(
        markdown.markdown((folder / "README.md").read_text(), extensions=["tables"])
    )
    rows = [[td for td in tr.children if td.tag == "td"] for tr in readme.find("tr")[1:]]
    assert [link(r[0]).attrs["href"] for r in rows] == [p.name for p in reversed(days)]
    for (date, papers, highlights), day in zip(rows, reversed(days), strict=True):
        assert (folder / str(link(date).attrs["href"])).is_file()
        lede = day.read_text().split("\n")[2]  # "7 new papers, 5 highlights. ..."
        assert lede.startswith(f"{papers.text} new paper"), lede
        assert f", {highlights.text} highlight" in lede
    latest = parse_html(markdown.markdown(days[-1].read_text()))
    listed = [link(li).text for li in readme.find("ol")[0].children if li.tag == "li"]
    assert listed == [link(li).text for li in latest.find("ol")[0].children if li.tag == "li"]
    assert listed and readme.find("a")[0].attrs["href"] == days[-1].name
    assert any(a.attrs["href"] == SITE for a in readme.find("a"))


def test_each_markdown_section_lists_its_papers_one_item_each(out: Path) -> None:
    """A topic's section in a date's Markdown is a list with an item per paper, as many as
    its heading counts (none left out in the sample), each item one paper's link."""
    import markdown

    for day in sorted((out / "markdown").glob("2*.md")):
        text = day.read_text()
        sections = re.findall(r"^## (.+) \((\d+)\)\n\n((?:- .*\n)+)", text, re.M)
        assert sections, day.name
        for name, count, items in sections:
            html = parse_html(markdown.markdown(items))
            listed = [li for li in html.find("li")]
            assert len(listed) == int(count), (day.name, name)
            for li in listed:  # one paper each: one "Why:"
                text = "".join(e.text for e in walk(li) if e.text)
                assert text.count("Why:") == 1, (day.name, name, text)


def walk(element: Element) -> Iterator[Element]:
    for child in element.children:
        yield child
        yield from walk(child)


def test_the_eml_is_multipart_alternative_text_first_with_every_header(out: Path) -> None:
    for eml in sorted((out / "email").glob("*.eml")):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        assert msg["From"] == "Digest <digest@example.org>" and msg["To"] == "lab@example.org"
        assert msg["Subject"].startswith("ML Paper Digest — " + eml.stem)
        assert email.utils.parsedate_to_datetime(msg["Date"]).date().isoformat() == eml.stem
        assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.org>")
        assert msg["List-Unsubscribe"] == "<https://example.org/unsubscribe>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # every line within the 78 characters mail should keep to (998 is the hard limit)
        assert max(len(line) for line in eml.read_bytes().split(b"\r\n")) <= 78
        # the parts are the .txt and .html files (with the CRLF line ends of mail)
        for part, ext in zip(parts, ["txt", "html"], strict=True):
            expected = (out / "email" / f"{eml.stem}.{ext}").read_text()
            assert part.get_content().replace("\r\n", "\n") == expected


def test_the_email_html_is_inlined_within_budget_with_dark_mode_and_a_preheader(out: Path) -> None:
    for path in sorted((out / "email").glob("*.html")):
        data = path.read_bytes()
        assert len(data) < BUDGET
        tree = parse_html(data)
        assert not tree.errors and not tree.find("script")
        assert tree.find("meta", name="color-scheme")[0].attrs["content"] == "light dark"
        style = tree.find("style")
        assert style and "prefers-color-scheme: dark" in style[0].text
        card = tree.find("table", class_="card")[0]  # fluid up to 600px (test_reader_browser)
        assert card.attrs["width"] == "100%" and "max-width: 600px" in card.attrs["style"]
        assert "display: none" in tree.find("span", class_="preheader")[0].attrs["style"]
        titles = tree.find("p", class_="title")
        assert titles and all("style" in t.attrs for t in titles)  # CSS inlined
        assert tree.find("b")  # matched keywords in bold
    text = (out / "email" / "2026-08-12.txt").read_text()
    # wrapped, but for a URL (a paper's search link can be long): a URL is never cut
    words = [line for line in text.splitlines() if "https://" not in line]
    assert "HIGHLIGHTS" in text and max(len(line) for line in words) <= 75
