"""The text filters and the output escaping every template goes through, against their
definitions: the fast paths write the same text as the plain ones."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from digest.render.env import _Environment, output_escape


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
    env = _Environment(autoescape=True)  # the code generator of every digest environment
    template = env.from_string("<p title='{{ t }}'>{{ t }}</p>{{ m }}{{ t|upper }}")
    html = template.render(t=text, m=Markup("<b>safe</b>"))
    assert html == f"<p title='{escape(text)}'>{escape(text)}</p><b>safe</b>{escape(text.upper())}"
