"""What a reader sees, in headless Chromium (one browser for the module, W3C WebDriver as in
test_browser.py): the email at phone and desktop widths, long words and URLs included."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from digest.config import EmailSettings, Highlights
from digest.model import Paper, Topic
from digest.rank import Ranker, rank_day
from digest.render import DateInfo, Site, render_day
from tests.helpers import parse_html
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
    [html] = [f for f in render_day(day, site, only=("email",)) if f.path.endswith(".html")]
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
