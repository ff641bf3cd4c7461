"""Any title, abstract, URL, topic description or digest title, rendered into every output.

Whatever strangers write (control characters, lone surrogates, right-to-left marks, CDATA ends,
script tags, template syntax, Markdown links to ``javascript:``, 100 kB strings), the outputs are:
RSS that is well-formed and read by feedparser without bozo; HTML that parses with no live script,
no event handler and no ``javascript:`` URL; Markdown whose HTML rendering holds only the tags
Markdown itself makes; an email within its size budget; no path outside the output folder.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
from pathlib import Path

import feedparser
import markdown
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.config import EmailSettings, Highlights, load_config
from digest.errors import ConfigError
from digest.model import Paper, Topic
from digest.pipeline import build
from digest.rank import Ranker, rank_day
from digest.render import DateInfo, Rendered, Site, render_day, summarize
from digest.render.email import BUDGET
from digest.writer import check_path
from tests.helpers import live_scripts, parse_html

EXAMPLES = int(60 * float(os.environ.get("DIGEST_FUZZ_SCALE", "1")))
DATE = dt.date(2026, 11, 20)
FRAGMENTS = [
    "scaling law", "models", "RL", " ", "\n", "\r\n", "\t", "\x00", "\x0b", "\x1b[31m", "\x7f",
    "\x85", "\u2028", "\u2029", "\ud800", "\udfff", "\ud83d", "\u202e", "\u200f", "\u200b",
    "\ufeff", "\ufffe", "\uffff", "\U0001f600", "]]>", "<![CDATA[", "</script>",
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<a href='javascript:x'>a</a>",
    "javascript:alert(3)", "JaVaScRiPt:", "data:text/html,<script>", "{{ 7*7 }}", "{% if 1 %}",
    "{% endraw %}", "{#", "#}", "[x](javascript:alert(4))", "![i](http://x/i.png)", "<b>", "</p>",
    "&", "&amp;", "&lt;", "&#0;", "&#x1;", "&nbsp;", "<!--", "-->", "<?xml ?>", "<!DOCTYPE x>",
    "`", "```", "**", "_", "#", "|", "\\", "*", "<", ">", '"', "'", "=", "\r", "%", "=?utf-8?q?",
]  # fmt: skip
hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=14).map(
    "".join
)
urls = st.one_of(
    st.none(),
    st.sampled_from([
        "https://arxiv.org/abs/2611.00001", "javascript:alert(5)", " JAVASCRIPT:alert(6)",
        "https://x.org/\"onmouseover=alert(7)", "data:text/html;base64,PHNjcmlwdD4=",
        "//evil.example/x", "http://a.b/c d<e>", "vbscript:msgbox(1)", "https://x.org/\x00",
    ]),
    hostile,
)  # fmt: skip
papers = st.lists(st.tuples(hostile, hostile, urls, st.lists(hostile, max_size=3)), min_size=1,
                  max_size=4)  # fmt: skip
MARKDOWN_TAGS = {"h1", "h2", "h3", "h4", "p", "a", "strong", "em", "ul", "ol", "li", "code",
                 "pre", "hr", "blockquote", "br"}  # fmt: skip


def render_all(
    items: list[tuple[str, str, str | None, list[str]]], title: str, description: str
) -> list[Rendered]:
    topics = (
        Topic("scaling", ("scaling law", "models"), description=description),
        Topic(title or "x", ("RL",)),  # a topic named by hostile text: its slug names files
    )
    day_papers = [
        Paper(
            id=f"2611.{n:05d}",
            title=t,
            abstract=a,
            date=DATE,
            source="fuzz",
            url=u,
            authors=tuple(authors),
        )
        for n, (t, a, u, authors) in enumerate(items, 1)
    ]
    day = rank_day(DATE, day_papers, Ranker.compile(topics), Highlights(min_score=0.1))
    site = Site.make(
        title=title, site_url="https://example.org/digest/", topics=topics,
        dates=(DateInfo(DATE, len(day.papers), len(day.highlights)),), rules=Highlights(),
        email=EmailSettings(unsubscribe_url="https://example.org/u"), recent_days=14,
    )  # fmt: skip
    return render_day(day, site) + summarize([day], site)


def check_inert(files: list[Rendered]) -> None:
    for file in files:
        check_path(file.path)  # never outside the output folder, never an odd name
        data = file.data
        text = data.decode("utf-8")  # always valid UTF-8: no lone surrogate got through
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), file.path
        if file.path.endswith(".html"):
            tree = parse_html(data)
            assert not live_scripts(file.path, tree) and not tree.find("iframe"), file.path
            assert not tree.find("object") and not tree.find("embed"), file.path
            for element in tree.all:
                for name, value in element.attrs.items():
                    assert not name.startswith("on"), (file.path, element.tag, name)
                    if name in ("href", "src", "action", "formaction"):
                        scheme = re.sub(r"[\s\x00-\x1f]", "", (value or "")).lower()
                        assert not scheme.startswith(("javascript:", "vbscript:", "data:")), (
                            file.path, value,
                        )  # fmt: skip
            if file.path.startswith("email/"):
                assert len(data) < BUDGET
        elif file.path.endswith((".xml", ".opml")):
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (file.path, parsed.get("bozo_exception"))
            for entry in parsed.entries:
                assert not entry.get("link", "").lower().lstrip().startswith("javascript:")
                inner = parse_html(entry.get("description", ""))
                assert not inner.find("script") and not inner.find("iframe")
                assert all(not n.startswith("on") for e in inner.all for n in e.attrs)
        elif file.path.endswith(".md"):
            tree = parse_html(markdown.markdown(text))
            tags = {e.tag for e in tree.all}
            assert tags <= MARKDOWN_TAGS, (file.path, tags - MARKDOWN_TAGS)
            for a in tree.find("a"):
                href = (a.attrs.get("href") or "").strip().lower()
                assert href.startswith(("https://", "http://", "../", "#", "mailto:")) or (
                    "/" not in href.split("#")[0] and ":" not in href
                ), href
        elif file.path.endswith(".eml"):
            msg = email.message_from_bytes(data, policy=email.policy.default)
            assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
            assert len(msg.get_body(("html",)).get_content().encode()) < BUDGET


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(items=papers, title=hostile, description=hostile)
def test_any_text_comes_out_inert_in_every_output(
    items: list[tuple[str, str, str | None, list[str]]], title: str, description: str
) -> None:
    check_inert(render_all(items, title, description))


def test_100_kb_strings_stay_within_the_email_budget() -> None:
    huge = ("scaling law <script>alert(1)</script> ]]> {{ 7*7 }} \u202e " * 2000)[:100_000]
    items = [
        (huge, huge, "https://arxiv.org/abs/2611.00001", [huge]),
        (huge[:5000], huge, None, []),
    ]
    check_inert(render_all(items, huge[:300], huge))


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None)
@example(names=["ALL"])  # once wrote its feed over feeds/all.xml
@given(names=st.lists(hostile.filter(str.strip), min_size=1, max_size=4, unique_by=str.casefold))
def test_no_topic_name_writes_outside_the_output_folder(names: list[str]) -> None:
    """Topic names are the only input that names files (dates are ISO dates); whatever they
    are, every path is a plain relative path and distinct names get distinct files."""
    topics = tuple(Topic(n, ("scaling law",)) for n in names)
    site = Site.make(title="t", site_url="https://example.org/", topics=topics,
                     dates=(DateInfo(DATE, 0, 0),))  # fmt: skip
    slugs = [site.slugs[n] for n in names]
    assert len(set(slugs)) == len(slugs)
    day = rank_day(DATE, [], Ranker.compile(topics), Highlights())
    files = render_day(day, site) + summarize([day], site)
    for file in files:
        check_path(file.path)
    assert len({f.path.casefold() for f in files}) == len(files)


def test_a_build_with_hostile_topic_names_stays_in_its_folder(tmp_path: Path) -> None:
    (tmp_path / "p.jsonl").write_text(
        '{"title": "A scaling law", "abstract": "x", "date": "2026-11-20"}\n'
    )

    def config(names: list[str]) -> Path:
        topics = "".join(f"  - name: {json.dumps(n)}\n    keywords: [scaling law]\n" for n in names)
        (tmp_path / "digest.yaml").write_text(f"sources: [p.jsonl]\ntopics:\n{topics}")
        return tmp_path / "digest.yaml"

    path_like = ["../../escape", "/etc/passwd", "..", "a/b\\c", ".hidden"]
    with pytest.raises(ConfigError) as refused:
        load_config(config(path_like))
    assert len(refused.value.problems) == len(path_like)
    # names the config allows but a careless slug would not survive
    names = ["CON", "名前", "x" * 300, "a.b", "C++", "c--", "C", "Ω", "naïve"]
    before = set(tmp_path.parent.rglob("*"))
    build(load_config(config(names)), DATE)
    made = set(tmp_path.parent.rglob("*")) - before
    allowed = (tmp_path / "output", tmp_path / ".digest")
    assert made and all(any(p.is_relative_to(a) for a in allowed) for p in made)
    manifest = json.loads((tmp_path / "output" / "manifest.json").read_text())
    assert len([f for f in manifest["files"] if f["kind"] == "rss"]) == len(names) + 1


def test_an_examples_title_in_a_like_reason_comes_out_inert() -> None:
    # "like <title>" carries an example's title (from a feed, or the user's BibTeX) into the
    # site, the email, the feeds and the Markdown
    from digest.rank.profile import learn_all

    hostile_title = "<script>alert(1)</script> Evolving </p><img src=x onerror=alert(2)> cells"
    example = Paper(
        "e1", hostile_title,
        "We evolve the cell structures of convolutional networks with mutation and tournament "
        "selection, searching architectures under a compute budget.", DATE, "test",
    )  # fmt: skip
    rows = [
        Paper("n", "Evolving network cells with tournament selection",
              "Mutation and tournament selection evolve the cell structures of convolutional "
              "networks; the search finds architectures that train faster.", DATE, "fuzz"),
        *(Paper(f"f{i}", f"Speech recognition for {t}", f"We study speech for {t}.", DATE, "fuzz")
          for i, t in enumerate(["video", "text", "calls", "radio"])),
    ]  # fmt: skip
    topic = Topic("nas", ("neural architecture search",), examples=("e1",))
    plain = Ranker.compile([topic])
    profiles = learn_all([topic], rows, plain.matcher, examples={"nas": [example]})
    day = rank_day(DATE, rows, Ranker.compile([topic], plain.matcher, profiles=profiles))
    assert day.papers[0].related == {"nas": f"like {hostile_title}"}
    site = Site.make(
        title="t", site_url="https://example.org/digest/", topics=(topic,),
        dates=(DateInfo(DATE, len(day.papers), len(day.highlights)),), rules=Highlights(),
        email=EmailSettings(unsubscribe_url="https://example.org/u"), recent_days=14,
    )  # fmt: skip
    files = render_day(day, site) + summarize([day], site)
    check_inert(files)
    # and the reason is there, as text
    page = next(f for f in files if f.path.endswith(".html") and b"related: like" in f.data)
    assert "alert(1)" in "".join(e.text for e in parse_html(page.data).all if e.text)
