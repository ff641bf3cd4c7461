"""Text clean-up: its fast paths (ASCII, long ASCII on bytes) say what the slow path says."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.text import author_names, clean

_FORBIDDEN = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\ud800-\udfff\ufffe\uffff]")


def reference(text: str) -> str:
    """The definition: drop what XML forbids, collapse every whitespace run, strip the ends."""
    return " ".join(_FORBIDDEN.sub("", text).split())


# Words and every kind of glue: runs of spaces, line breaks, tabs, the separators str.split knows,
# controls that must vanish (and may sit inside a run), non-breaking and other Unicode spaces.
_GLUE = st.sampled_from(
    [" ", "  ", "\n", " \n ", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x00", "\x07", "\x7f",
     " \x00 ", "\xa0", "\u2009", "\u3000", "", ".", ", "]
)  # fmt: skip
_WORDS = st.sampled_from(["attention", "LLM", "x", "état", "2401.12345", "a-b", "\ud800", "\ufffe"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(_GLUE, _WORDS), max_size=80))
    return "".join(g + w for g, w in parts) + draw(_GLUE)


@settings(max_examples=400)
@given(texts())
@example("  " + "word " * 60 + " \n tail  ")  # long ASCII with a run: the bytes path
@example("word " * 60 + "end")  # long ASCII without one
@example("a\x00 \x00b" * 50)  # a control between spaces leaves a run behind
def test_clean_is_whitespace_collapsed_and_forbidden_removed(text: str) -> None:
    assert clean(text) == reference(text)


@given(texts())
def test_clean_is_idempotent(text: str) -> None:
    assert clean(clean(text)) == clean(text)


def test_authors_from_a_string_or_a_list() -> None:
    assert author_names("A. One, B. Two and C. Three") == ("A. One", "B. Two", "C. Three")
    assert author_names(" A.\nOne ,, and B. Two,") == ("A. One", "B. Two")
    assert author_names([{"name": " A  One"}, "B Two", {"x": 1}, 3, ""]) == ("A One", "B Two")
    assert author_names(None) == ()
