"""Renderers on crafted input: hostile text comes out inert everywhere, the email keeps its size
budget on a huge day; the writer's guarantees."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import os
import threading
import urllib.request
from pathlib import Path

import feedparser
import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.errors import DigestError
from digest.render import Rendered
from digest.render.email import BUDGET, _base64_lines, largest_fitting
from digest.writer import Entry, OutputError, Writer, atomic_write, manifest_text
from tests.helpers import build_project, live_scripts, parse_html

HOSTILE_TITLE = "Scaling <script>alert(1)</script> ]]> \x0b\x1b[31m laws {{ 7*7 }} {% if 1 %}x{% endif %} [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
HOSTILE_ABSTRACT = "We study the scaling law of <b onmouseover=alert(4)>models</b> ]]> &amp; \x0c\ud800 **bold** <!-- c --> </textarea><iframe src=javascript:alert(5)>"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href"}


def hostile_project(tmp_path: Path, papers: list[dict[str, object]]) -> Path:
    (tmp_path / "papers.jsonl").write_text(
        "\n".join(json.dumps(p) for p in papers) + "\n", encoding="utf-8", errors="surrogatepass"
    )
    (tmp_path / "digest.yaml").write_text(
        "title: 'Lab <b>digest</b> ]]>'\n"
        "sources:\n  - path: papers.jsonl\n"
        "topics:\n  scaling:\n    description: 'Scaling **laws** <script>alert(6)</script> [x](javascript:alert(7))'\n"
        "    keywords: [scaling law, models]\n"
    )
    return tmp_path


def test_hostile_titles_and_abstracts_come_out_inert_in_every_output(tmp_path: Path) -> None:
    project = hostile_project(tmp_path, [
        {"title": HOSTILE_TITLE, "abstract": HOSTILE_ABSTRACT, "date": "2026-11-20",
         "url": "javascript:alert(8)"},
        {"title": "Scaling laws, the second", "abstract": "A scaling law.", "date": "2026-11-20",
         "url": "https://example.org/\"onmouseover=alert(9)"},
    ])  # fmt: skip
    build_project(project)
    out = project / "output"
    for path in out.rglob("*"):
        if not path.is_file() or path.suffix == ".json" or "pagefind" in path.parts:
            continue  # the search index: Pagefind's own files, of the day pages checked here
        data = path.read_bytes()
        text = data.decode()
        assert "\x0b" not in text and "\x1b" not in text and "\x0c" not in text, path
        if path.suffix == ".html":
            tree = parse_html(data)
            assert not tree.errors, (path, tree.errors)
            assert not live_scripts(str(path), tree)
            assert not tree.find("iframe") and not tree.find("img")
            for element in tree.all:
                for name, value in element.attrs.items():
                    assert not name.startswith("on"), (path, element)
                    if name in URL_ATTRIBUTES:  # others hold text: a title may say javascript:
                        assert "javascript:" not in (value or "").lower(), (path, element)
            if path.parent.name == "days":  # the text is shown as written, not run
                assert "<script>alert(1)</script>" in "".join(e.text for e in tree.find("h3"))
                [description] = tree.find("meta", name="description")
                assert "<script>alert(1)</script>" in str(description.attrs["content"])
        elif path.suffix == ".xml":
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
            for entry in parsed.entries:
                assert "javascript:" not in entry.link
                # the description is HTML: parse it as such, nothing live inside
                inner = parse_html(entry.description)
                assert not inner.find("script") and not inner.find("iframe")
                assert all(not n.startswith("on") for e in inner.all for n in e.attrs)
            assert b"]]>" not in data.replace(b"]]&gt;", b"")
        elif path.suffix == ".md":
            html = markdown.markdown(text)
            tree = parse_html(html)
            assert not tree.find("script") and not tree.find("img") and not tree.find("iframe")
            assert all("javascript:" not in (a.attrs.get("href") or "") for a in tree.find("a"))
            assert "{{" not in text or "\\{" not in text  # template syntax is not evaluated
            assert "49" not in text
        elif path.suffix == ".eml":
            msg = email.message_from_bytes(data, policy=email.policy.default)
            assert "\n" not in msg["Subject"]
    topic = parse_html((out / "topics" / "scaling.html").read_bytes())
    description = topic.find("div", class_="description")[0]
    assert [e.tag for e in description.children] == ["p"] and "laws" in description.text


def test_a_huge_day_keeps_the_email_under_budget_and_links_the_rest(tmp_path: Path) -> None:
    words = "the scaling law of models under compute budgets, measured again and again " * 8
    papers = [
        {"title": f"Scaling law number {i}: models " + "long title words " * 20,
         "abstract": words, "date": "2026-11-20", "url": f"https://arxiv.org/abs/2611.{i:05d}"}
        for i in range(600)
    ]  # fmt: skip
    build_project(hostile_project(tmp_path, papers))
    out = tmp_path / "output"
    html = (out / "email" / "2026-11-20.html").read_bytes()
    assert 60_000 < len(html) < BUDGET
    tree = parse_html(html)
    listed = len(tree.find("li"))
    # the rest: those the site lists (its best 500 of the section) and those it does not
    [more] = [p.text for p in tree.find("p") if p.text.startswith("and ")]
    assert more.startswith(
        f"and {600 - 3 - listed:,} more: {500 - 3 - listed:,} on the site, 100 not listed"
    )
    assert 10 < listed < 590
    text = (out / "email" / "2026-11-20.txt").read_text()
    assert f"and {600 - 3 - listed} more" in text  # 3 highlights (per_topic), the rest listed
    msg = email.message_from_bytes(
        (out / "email" / "2026-11-20.eml").read_bytes(), policy=email.policy.default
    )
    assert len(msg.get_body(("html",)).get_content().encode()) < BUDGET


@given(st.binary(max_size=400))
def test_the_html_part_is_base64_in_lines_as_encodebytes_makes_them(data: bytes) -> None:
    assert _base64_lines(data) == base64.encodebytes(data).replace(b"\n", b"\r\n")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 40), min_size=1, max_size=5),
    st.lists(st.integers(0, 3000), min_size=40, max_size=40),
    st.integers(0, 5000),
    st.integers(0, 150_000),
)
def test_the_email_lists_as_many_papers_as_fit(
    counts: list[int], costs: list[int], base: int, budget: int
) -> None:
    """Whatever each listed paper costs, the limit found is the largest within budget."""

    def size(limit: int) -> int:
        return base + sum(costs[j] for n in counts for j in range(min(limit, n)))

    longest = max(counts)
    if size(longest) <= budget:
        return
    fitting = [limit for limit in range(longest + 1) if size(limit) <= budget]
    assert largest_fitting(size, counts, budget) == max(fitting, default=0)


def test_finding_the_email_limit_renders_a_few_times_not_once_per_halving() -> None:
    tried: list[int] = []

    def size(limit: int) -> int:  # every listed paper costs the same
        tried.append(limit)
        return 20_000 + 700 * sum(min(limit, n) for n in (300, 120, 40))

    assert largest_fitting(size, [300, 120, 40], BUDGET) == 38  # 20k + 700 * 3 * 38 < 100k
    assert len(set(tried)) <= 4  # with 0 and 300: halving [0, 300] would take nine


# -- writer ----------------------------------------------------------------------------------


entries = st.builds(
    Entry,
    path=st.text(),
    kind=st.text(),
    date=st.one_of(st.none(), st.dates().map(dt.date.isoformat)),
    topic=st.one_of(st.none(), st.text()),
    size=st.integers(0, 10**9),
)


@given(st.lists(entries, max_size=4), st.text())
def test_the_manifest_is_what_json_dumps_writes(entries: list[Entry], generator: str) -> None:
    data = {"generator": generator, "files": [e.to_json() for e in entries]}
    expected = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    assert manifest_text(generator, entries) == expected.encode()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "index.html"
    target.write_bytes(b"old")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputError, match="No space left"):
        atomic_write(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_two_outputs_on_one_path_and_paths_outside_are_refused(tmp_path: Path) -> None:
    writer = Writer(tmp_path)
    writer.write(Rendered("topics/ml.html", "page", b"a"))
    with pytest.raises(OutputError, match="two outputs on one path"):
        writer.write(Rendered("topics/ML.html", "page", b"b"))
    for bad in ["../x.html", "/etc/x", "a/../../x", "a//b", ".hidden", "a\\b", ""]:
        with pytest.raises(OutputError):
            writer.write(Rendered(bad, "page", b"c"))
    assert not (tmp_path.parent / "x.html").exists()


def test_an_output_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        Writer(tmp_path / "taken" / "out")
    writer = Writer(tmp_path / "out")
    (tmp_path / "out" / "days").write_text("a file where a folder must go")
    with pytest.raises(OutputError, match="cannot write"):
        writer.write(Rendered("days/2026-11-20.html", "page", b"x"))


# -- serve, init -----------------------------------------------------------------------------


def test_serve_previews_the_output_on_loopback(project: Path) -> None:
    from digest.preview import server

    build_project(project)
    httpd = server(project / "output", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        assert httpd.server_address[0] == "127.0.0.1"
        base = f"http://127.0.0.1:{httpd.server_port}/"
        with urllib.request.urlopen(base) as response:
            assert response.headers["Content-Type"].startswith("text/html")
            assert b"ML Paper Digest" in response.read()
        with urllib.request.urlopen(base + "feeds/all.xml") as response:
            assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
            assert not feedparser.parse(response.read()).bozo
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_init_starts_a_digest_that_builds_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from digest.cli import main

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["init", "my-digest"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "my-digest" / "feeds").is_dir()
    assert not (tmp_path / "my-digest" / "templates").exists()  # named in a comment only
    monkeypatch.chdir(tmp_path / "my-digest")
    result = runner.invoke(main, ["build", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "my-digest" / "output" / "index.html").is_file()
    result = runner.invoke(main, ["init", "."])
    assert result.exit_code == 1 and "already exists" in result.output


def test_build_reports_what_it_wrote(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from digest.cli import main

    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["build", "--today", "2026-11-23"])
    assert result.exit_code == 0
    assert "4 date(s): 4 ranked, 4 rendered" in result.output
    result = CliRunner().invoke(main, ["build", "--today", "2026-11-23"])
    assert "0 ranked, 0 rendered; 0 file(s) written" in result.output
    result = CliRunner().invoke(main, ["build", "--out", "."])
    assert result.exit_code == 1 and "must not hold the store" in result.output


def test_digest_error_is_a_click_exception() -> None:
    assert issubclass(OutputError, DigestError)
