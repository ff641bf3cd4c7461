"""What a reader sees, in headless Chromium (one browser for the module, W3C WebDriver as in
test_browser.py): the email at phone and desktop widths, long words and URLs included; a search
that finds a paper; a feed opened in the browser; an archive of 800 dates on a phone."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import http.server
import re
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from digest.config import EmailSettings, Highlights
from digest.model import Paper, Topic
from digest.rank import Ranker, rank_day
from digest.render import DateInfo, Site, render_day, summarize
from tests.conftest import FEEDS, ROOT
from tests.helpers import build_project, parse_html
from tests.test_browser import WebDriver, driver  # noqa: F401  (the module's browser)

DATE = dt.date(2026, 11, 20)
LONG_WORD = "Supercalifragilistic" * 8  # 160 letters, no place to break
LONG_URL = "https://example.org/" + "a/b-c_d" * 40


def measure(driver: WebDriver, url: str, width: int) -> dict[str, object]:  # noqa: F811
    """Open ``url`` at ``width``: the viewport, the document's width, its height, and the
    elements wider than the viewport or reaching past it."""
    driver("POST", "/window/rect", {"width": width, "height": 900})
    driver("POST", "/url", {"url": url})
    inner, scroll, height, wide = driver("POST", "/execute/sync", {"script": """
        const w = window.innerWidth, wide = [];
        for (const e of document.querySelectorAll('body *')) {
          const r = e.getBoundingClientRect();
          if (r.right > w + 0.5 || r.width > w + 0.5) wide.push(e.tagName + '.' + e.className);
        }
        return [w, document.documentElement.scrollWidth,
                document.documentElement.scrollHeight, wide];""", "args": []})  # fmt: skip
    return {"inner": inner, "scroll": scroll, "height": height, "wide": wide}


def hard_day() -> tuple[Site, list[Paper]]:
    topics = (Topic("scaling", ("scaling law",)), Topic("rl", ("RL",)))
    papers = [
        Paper(f"2611.{n:05d}", f"A scaling law {LONG_WORD if n == 1 else ''} number {n}",
              f"We find a scaling law for RL. See {LONG_URL} and {LONG_WORD}.", DATE, "t",
              authors=(LONG_WORD, "Ada Lovelace"), url=LONG_URL if n == 2 else None)
        for n in range(1, 9)
    ]  # fmt: skip
    site = Site.make(title="Lab digest", site_url="https://example.org/digest/", topics=topics,
                     dates=(DateInfo(DATE, len(papers), 3),), rules=Highlights(total=3),
                     email=EmailSettings(unsubscribe_url="https://example.org/u"))  # fmt: skip
    return site, papers


@pytest.mark.parametrize("width", [320, 390, 414, 1280])
def test_the_email_fits_phones_and_desktops_long_words_included(
    driver: WebDriver,  # noqa: F811
    tmp_path: Path,
    width: int,
) -> None:
    site, papers = hard_day()
    day = rank_day(DATE, papers, Ranker.compile(site.topics), site.rules)
    # the reason a paper an example lifted gives carries the example's title, unshortened
    like = f"like An example with {LONG_WORD} in its title"
    first = dataclasses.replace(day.highlights[0], related={"rl": like})
    day = dataclasses.replace(day, highlights=(first, *day.highlights[1:]))
    [html] = [f for f in render_day(day, site, only=("email",)) if f.path.endswith(".html")]
    assert any(f"related: {like}" in i.text for i in parse_html(html.data).find("i"))
    page = tmp_path / "email.html"
    page.write_bytes(html.data)
    found = measure(driver, page.as_uri(), width)
    assert found["scroll"] <= found["inner"] == width, found
    assert found["wide"] == [], found
    if width == 1280:  # the card keeps to 600px on a wide screen
        card = driver("POST", "/execute/sync", {"script": (
            "return document.querySelector('table.card').getBoundingClientRect().width"
        ), "args": []})  # fmt: skip
        assert card == 600


def test_no_width_over_320px_but_outlooks_own_600px_table() -> None:
    site, papers = hard_day()
    day = rank_day(DATE, papers, Ranker.compile(site.topics), site.rules)
    [html] = [f for f in render_day(day, site, only=("email",)) if f.path.endswith(".html")]
    text = html.data.decode()
    # Outlook on Windows (Word's engine) knows no max-width: a fixed table only it reads
    ghosts = re.findall(r"<!--\[if mso\]>(.*?)<!\[endif\]-->", text, re.S)
    assert any('width="600"' in g for g in ghosts)
    others = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    widths = re.findall(r'(?:\bwidth="(\d+)"|(?<![-\w])width:\s*(\d+)px)', others)
    assert all(int(a or b) <= 320 for a, b in widths), widths
    assert not parse_html(others).find("img")


# -- the site: archive, search, feeds in a browser ---------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The sample built, its search index made, the output served on loopback as a static
    host serves it (search and a feed's stylesheet need http: a browser refuses both from
    disk; and a feed as XML, which is what a host says of a .xml file: `digest serve` says
    application/rss+xml, which Chromium shows as text)."""
    from digest.search import index_site

    project = tmp_path_factory.mktemp("served")
    shutil.copytree(FEEDS, project / "feeds")
    shutil.copy(ROOT / "digest.yaml", project / "digest.yaml")
    build_project(project)
    out = project / "output"
    report = index_site(out)  # the build made them; made again here, the same
    assert report.indexed and report.pages == 4 and len(report.months) == 3, report
    with static_host(out) as base:
        yield out, base


@contextlib.contextmanager
def static_host(folder: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def wait_for(driver: WebDriver, script: str, timeout: float = 15) -> Any:  # noqa: F811
    """The value of ``script`` once it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver("POST", "/execute/sync", {"script": script, "args": []})
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


RESULTS = ("return [...document.querySelectorAll('#search-results a.title')]"
           ".map(a => [a.getAttribute('href'), a.textContent])")  # fmt: skip
STATUS = "return document.getElementById('search-status').textContent"


def test_a_search_finds_the_paper_by_its_title_an_author_or_its_abstract(
    driver: WebDriver,  # noqa: F811
    served: tuple[Path, str],
) -> None:
    out, base = served
    driver("POST", "/window/rect", {"width": 390, "height": 900})
    # one paper of each of the sample's months (a search index each, merged by the page); an
    # author of three papers (the sample's feed gives three the same names): all three found
    reward = ("Reward Models Are Not Enough: Offline Reinforcement Learning from Human "
              "Preferences with Uncertainty")  # fmt: skip
    for query, titles in [
        ("AdaBelief", ["AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients"]),
        ("Liskov", [reward, "Long-Context Retrieval-Augmented Generation with Learned Chunk Routing",
                    "NeuralStagger: Accelerating Physics-constrained Neural PDE Solver with "
                    "Spatial-temporal Decomposition"]),
        ("epistemic uncertainty ensemble", [reward]),
    ]:  # fmt: skip
        driver("POST", "/url", {"url": f"{base}search.html?q={urllib.parse.quote(query)}"})
        found = wait_for(driver, RESULTS)
        assert found, (query, driver("POST", "/execute/sync", {"script": STATUS, "args": []}))
        href = next(link for link, shown in found if shown == titles[0])
        assert sorted(t for _, t in found[: len(titles)]) == sorted(titles), (query, found[:4])
        page, _, anchor = href.partition("#")
        assert page.startswith(base + "days/") and anchor.startswith("p-")
        # the link leads to the paper's heading on its date's page
        tree = parse_html((out / page[len(base) :]).read_bytes())
        assert [h.tag for h in tree.all if h.attrs.get("id") == anchor] == ["h3"]
    assert driver("POST", "/execute/sync", {"script": (
        "return document.documentElement.scrollWidth <= window.innerWidth"
    ), "args": []})  # fmt: skip


def test_without_an_index_or_from_disk_the_search_page_says_so(
    driver: WebDriver,  # noqa: F811
    served: tuple[Path, str],
    tmp_path: Path,
) -> None:
    out, _ = served
    driver("POST", "/url", {"url": (out / "search.html").as_uri() + "?q=AdaBelief"})
    assert "served over HTTP" in wait_for(driver, STATUS)
    bare = tmp_path / "site"
    shutil.copytree(out, bare, ignore=shutil.ignore_patterns("pagefind"))
    with static_host(bare) as base:
        driver("POST", "/url", {"url": f"{base}search.html?q=x"})
        assert "no search index" in wait_for(
            driver, STATUS.replace("return ", "const t = ") + "; return /index/.test(t) && t"
        )


def test_a_feed_opened_in_a_browser_says_what_it_is_and_lists_its_items(
    driver: WebDriver,  # noqa: F811
    served: tuple[Path, str],
) -> None:
    out, base = served
    written = feedparser.parse((out / "feeds" / "scaling.xml").read_bytes()).entries
    driver("POST", "/window/rect", {"width": 390, "height": 900})
    driver("POST", "/url", {"url": base + "feeds/scaling.xml"})
    title, about, items, links, wide = wait_for(driver, """
        const h = document.querySelector('h1');
        return h && [h.textContent, document.querySelector('.about').textContent,
                     document.querySelectorAll('.item').length,
                     [...document.querySelectorAll('.item a')].map(a => a.href),
                     document.documentElement.scrollWidth > window.innerWidth]""")  # fmt: skip
    assert title == "ML Paper Digest: scaling"
    assert "feed reader" in about and "https://example.org/digest/feeds/scaling.xml" in about
    assert items == len(written) >= 9  # the feed's items, every one listed
    assert links == [e.link for e in written] and all(link.startswith("https://") for link in links)
    assert not wide


def test_the_archive_of_800_dates_fits_one_phone_screen(
    driver: WebDriver,  # noqa: F811
    tmp_path: Path,
) -> None:
    first = dt.date(2024, 8, 1)
    dates = tuple(DateInfo(first + dt.timedelta(days=n), 125, 10) for n in range(800))[::-1]
    site = Site.make(title="Lab digest", site_url="https://example.org/", topics=(
        Topic("scaling", ("scaling law",)), Topic("reinforcement learning", ("RL",)),
    ), dates=dates)  # fmt: skip
    for file in summarize([], site):
        (tmp_path / file.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file.path).write_bytes(file.data)
    found = measure(driver, (tmp_path / "archive.html").as_uri(), 390)
    assert found["scroll"] <= found["inner"] and found["wide"] == []
    bottom = driver("POST", "/execute/sync", {"script": (
        "return document.querySelector('footer').getBoundingClientRect().bottom"
    ), "args": []})  # fmt: skip
    assert bottom <= 844, bottom  # an iPhone 14's screen, 390 x 844
    # a month opens on its dates, newest first, each a link to its page
    driver("POST", "/execute/sync", {"script": (
        "document.querySelector('details.month').open = true"
    ), "args": []})  # fmt: skip
    days = driver("POST", "/execute/sync", {"script": (
        "return [...document.querySelector('details.month[open]').querySelectorAll('a')]"
        ".map(a => [a.getAttribute('href'), a.getBoundingClientRect().width > 0])"
    ), "args": []})  # fmt: skip
    assert [h for h, _ in days][:2] == ["days/2026-10-09.html", "days/2026-10-08.html"]
    assert len(days) == 9 and all(visible for _, visible in days)
    assert driver("POST", "/execute/sync", {"script": (
        "return document.documentElement.scrollWidth"
    ), "args": []}) <= 390  # fmt: skip
