"""``digest templates``: the built-in templates listed with the ones a user's folder replaces,
and copied into that folder to edit; a copy edited there is what the next build uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.render.env import builtin_templates
from tests.helpers import build_project, parse_html

BUILTIN = sorted(
    p.relative_to(builtin_templates()).as_posix()
    for p in builtin_templates().rglob("*")
    if p.is_file() and p.name != "README.md"
)


@pytest.fixture
def mine(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = project / "digest.yaml"
    config.write_text(config.read_text() + "templates: mine\n")
    (project / "mine").mkdir()
    (project / "mine" / "README.txt").write_text("notes, not a template")
    monkeypatch.chdir(project)
    return project / "mine"


def listed(output: str) -> dict[str, bool]:
    """Template -> whether it is marked as yours, from the listing."""
    rows = [line.strip() for line in output.splitlines() if line.startswith("  ")]
    return {r.split()[0]: r.endswith("<- yours") for r in rows}


def test_the_list_shows_every_built_in_template_and_which_are_yours(
    mine: Path, runner: CliRunner
) -> None:
    result = runner.invoke(main, ["templates"])
    assert result.exit_code == 0, result.output
    assert listed(result.output) == dict.fromkeys(BUILTIN, False)
    assert f"built-in: {builtin_templates()}" in result.output
    (mine / "site").mkdir()
    (mine / "site" / "base.html").write_text("{% block main %}{% endblock %}")
    (mine / "site" / "dya.html").write_text("a typo: replaces nothing")
    result = runner.invoke(main, ["templates"])
    assert listed(result.output) == {n: n == "site/base.html" for n in BUILTIN}
    assert "warning: site/dya.html: yours, but no built-in template has this name" in (
        result.output
    )


def test_copy_puts_the_built_in_bytes_there_and_never_overwrites(
    mine: Path, runner: CliRunner
) -> None:
    result = runner.invoke(main, ["templates", "copy", "site/day.html", "email/*"])
    assert result.exit_code == 0, result.output
    copied = ["site/day.html", "email/day.html", "email/day.txt"]
    for name in copied:
        assert (mine / name).read_bytes() == (builtin_templates() / name).read_bytes()
        assert f"copied {mine / name}" in result.output
    (mine / "site" / "day.html").write_text("mine now")
    result = runner.invoke(main, ["templates", "copy", "site/day.html", "site/base.html"])
    assert result.exit_code == 0
    assert f"kept {mine / 'site' / 'day.html'} (already yours)" in result.output
    assert (mine / "site" / "day.html").read_text() == "mine now"
    assert (mine / "site" / "base.html").is_file()
    result = runner.invoke(main, ["templates"])
    assert {n for n, yours in listed(result.output).items() if yours} == {*copied, "site/base.html"}


def test_an_unknown_name_is_one_line_with_the_closest_names(mine: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["templates", "copy", "site/day.htm"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith(
        "Error: site/day.htm: no built-in template has this name; did you mean site/day.html"
    )
    assert not list(mine.rglob("*.htm*"))


def test_copy_without_a_templates_folder_says_what_to_add(
    project: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["templates", "copy", "site/day.html"])
    assert result.exit_code == 1
    assert "add `templates: templates`" in result.output


def test_a_copied_and_edited_template_is_what_the_build_uses(
    mine: Path, project: Path, runner: CliRunner
) -> None:
    assert runner.invoke(main, ["templates", "copy", "site/base.html"]).exit_code == 0
    base = mine / "site" / "base.html"
    base.write_text(base.read_text().replace("Made with digest", "Made by our lab"))
    build_project(project)
    footer = parse_html((project / "output" / "index.html").read_bytes()).find("footer")[0]
    assert "Made by our lab" in footer.text
