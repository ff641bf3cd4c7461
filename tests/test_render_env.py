"""The text filters and the output escaping every template goes through, against their
definitions: the fast paths write the same text as the plain ones."""

from __future__ import annotations

import datetime as dt
import posixpath
from pathlib import Path

import markdown
import nh3
from hypothesis import example, given
from hypothesis import strategies as st
from jinja2 import DictLoader, Environment, pass_context
from markupsafe import Markup, escape

from digest.render import pack_pieces, unpack_pieces
from digest.render.env import (
    _cut,
    _spans,
    environment,
    markdown_html,
    marked_html,
    relative,
    render_with,
    strip_illegal,
    wrap,
)
from digest.render.jinja_speedups import FastEnvironment, output_escape

ROOT = Path(__file__).resolve().parent.parent


class Html:
    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return self.text


values = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.builds(Markup, st.text()),
    st.builds(Html, st.text()),
    st.lists(st.text(), max_size=3),
)


@given(values)
@example("<script>alert('x') & \"y\"</script>")
@example(Markup("<b>kept</b>"))
def test_output_escape_writes_what_markupsafe_escape_writes(value: object) -> None:
    assert output_escape(value) == str(escape(value))


@given(st.text())
def test_templates_escape_through_it(text: str) -> None:
    env = FastEnvironment(autoescape=True)  # the code generator of every digest environment
    template = env.from_string("<p title='{{ t }}'>{{ t }}</p>{{ m }}{{ t|upper }}")
    html = template.render(t=text, m=Markup("<b>safe</b>"))
    assert html == f"<p title='{escape(text)}'>{escape(text)}</p><b>safe</b>{escape(text.upper())}"


def marked_by_definition(text: str, spans: list[tuple[int, int]], limit: int | None) -> str:
    """Each piece escaped on its own, the marked ones in <strong>, the whole stripped."""
    text, spans = _cut(text, spans, limit)
    pieces = _spans(text, spans)
    return "".join(
        f"<strong>{escape(p)}</strong>" if m else str(escape(p)) for p, m in pieces
    ).strip()


texts = st.text(alphabet=st.sampled_from("ab <>&'\"\x02\x03\u2028é"), max_size=40)


@given(
    texts,
    st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45))),
    st.sampled_from([None, 5, 30]),
)
@example("a\x02b<c", [(0, 3)], None)  # the stand-in characters in the text itself
@example(" a b ", [(0, 2), (2, 5)], None)  # marks next to each other, at the ends
def test_marked_html_escapes_and_marks_as_defined(
    text: str, spans: list[tuple[int, int]], limit: int | None
) -> None:
    spans = [(min(a, b), max(a, b)) for a, b in spans]
    assert marked_html(text, spans, limit) == marked_by_definition(text, spans, limit)


parts = st.lists(
    st.sampled_from(["days", "a.html", "topics", "feeds", "x", "index.html"]), max_size=3
)


@given(parts.filter(bool), parts)
@example(["index.html"], [])
@example(["days"], ["days"])
def test_relative_links_are_what_relpath_makes(target: list[str], folder: list[str]) -> None:
    target_path, folder_path = "/".join(target), "/".join(folder)
    assert relative(target_path, folder_path) == posixpath.relpath(target_path, folder_path or ".")


TEMPLATE = "<h1>{{ title }}</h1>{% for p in ps %}[{{ p }}]{% endfor %}"


@given(st.lists(st.text(), max_size=4), st.text())
def test_pieces_take_the_places_of_their_stand_ins(pieces: list[str], title: str) -> None:
    env = FastEnvironment(autoescape=True, loader=DictLoader({"t.html": TEMPLATE}))
    made = render_with(env, "t.html", "ps", [p.encode() for p in pieces], title=title)
    expected = strip_illegal(f"<h1>{escape(title)}</h1>") + "".join(f"[{p}]" for p in pieces)
    assert made == expected.encode()


@given(st.dictionaries(st.text(), st.binary(), max_size=5))
def test_pieces_packed_are_the_pieces_unpacked(pieces: dict[str, bytes]) -> None:
    assert unpack_pieces(pack_pieces(pieces)) == pieces


def markdown_by_definition(text: str) -> str:
    html = markdown.markdown(strip_illegal(text), output_format="html")
    return nh3.clean(html, url_schemes={"http", "https", "mailto"})


@given(st.text(alphabet=st.sampled_from("aZ9 ,.;:()'\"?/-\n*_#1&<>"), max_size=30))
@example("Scaling laws and compute-optimal training")
@example("1. a")
@example("a - b -- c")
@example("a  ")
def test_plain_descriptions_skip_the_markdown_package_with_the_same_html(text: str) -> None:
    assert markdown_html(text) == markdown_by_definition(text)


def test_calls_and_joins_render_as_in_plain_jinja() -> None:
    @pass_context
    def page_of(context, suffix):  # type: ignore[no-untyped-def]
        return context["page"] + suffix

    def stops():  # type: ignore[no-untyped-def]
        raise StopIteration

    source = (
        "{% macro m(x, y=2) %}<{{ x }}|{{ y }}>{% endmacro %}{{ m(1) }}{{ m(3, y=4) }}"
        "{{ d.items()|list }}{{ page_of('!') }}{{ stops() is undefined }}{{ when.isoformat() }}"
        "{{ words|join(', ') }}{{ words|join('</b>, <b>'|safe) }}{{ [1, none]|join('-') }}"
        "{{ rows|join(', ', attribute='a') }}{{ ('<a>', m(5))|join }}"
    )
    context = {
        "d": {"k": "<v>"}, "page": "days/x.html", "page_of": page_of, "stops": stops,
        "when": dt.date(2026, 11, 23), "words": ["<i>", "b&c"], "rows": [{"a": "<"}, {"a": 1}],
    }  # fmt: skip
    ours = environment(None).overlay(autoescape=True).from_string(source).render(context)
    theirs = Environment(autoescape=True).from_string(source).render(context)
    assert ours == theirs and "days/x.html!" in ours and "&lt;i&gt;, b&amp;c" in ours


def wrapped_by_definition(text: str, width: int, indent: int) -> str:
    """Word by word: a word goes on the line if the line stays within width, or is empty."""
    lines: list[list[str]] = []
    for word in " ".join(strip_illegal(text).split()).split(" "):
        if lines and lines[-1] and len(" ".join([*lines[-1], word])) <= width:
            lines[-1].append(word)
        else:
            lines.append([word])
    return ("\n" + " " * indent).join(" ".join(line) for line in lines)


@given(st.text(alphabet=st.sampled_from("ab \n\t-"), max_size=60), st.integers(1, 12))
@example("", 5)
@example("abcdefgh ab abcdefghij a", 4)
def test_wrap_fills_lines_as_defined(text: str, width: int) -> None:
    assert wrap(text, width, 2) == wrapped_by_definition(text, width, 2)


def test_the_jinja_internals_the_speedups_rely_on_are_there() -> None:
    """render/jinja_speedups.py overrides these: a Jinja release that renames or reshapes
    them must fail here, not give wrong pages."""
    import inspect

    import jinja2.compiler
    import jinja2.runtime

    hook = inspect.signature(jinja2.compiler.CodeGenerator._output_child_pre)
    assert list(hook.parameters) == ["self", "node", "frame", "finalize"]
    call = inspect.signature(jinja2.runtime.Context.call)
    assert list(call.parameters)[:2] == ["_Context__self", "_Context__obj"]
    assert "_block_vars" in inspect.getsource(jinja2.runtime.Context.call)
    source = inspect.getsource(jinja2.compiler.CodeGenerator)
    assert "_output_child_pre(" in source and "_output_child_post(" in source


def test_the_speedups_render_every_output_byte_for_byte_as_plain_jinja(tmp_path: Path) -> None:
    """Every built-in template over the sample's ranked dates, with digest's speedups and with
    plain Jinja: the same files, byte for byte."""
    import dataclasses

    from digest.collect import group_by_date, parse_sources
    from digest.config import load_config
    from digest.model import DateInfo
    from digest.pipeline import site_of
    from digest.rank import Ranker, rank_days
    from digest.render import render_day, summarize

    config = load_config(ROOT / "digest.yaml")
    papers, _ = parse_sources(config.sources, ROOT, dt.date(2026, 11, 23))
    days = rank_days(group_by_date(papers), Ranker.compile(config.topics), config.highlights)
    infos = [DateInfo(d.date, len(d.papers), len(d.highlights)) for d in reversed(days)]
    fast = site_of(config, config.topics, infos)
    plain = dataclasses.replace(fast, speedups=False)
    assert fast.env is not plain.env

    def made(site: object) -> dict[str, bytes]:
        files = [f for day in days for f in render_day(day, site)]  # type: ignore[arg-type]
        files += summarize(days[::-1], site)  # type: ignore[arg-type]
        return {f.path: f.data for f in files}

    ours, theirs = made(fast), made(plain)
    assert len(ours) > 30 and ours.keys() == theirs.keys()
    for path in ours:
        assert ours[path] == theirs[path], path
