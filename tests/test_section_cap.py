"""``site.section_papers``: a day of 100,000 papers made a 166 MB page and a 1.4 GB build. Each
topic section (and "also new") of a date lists its best papers up to the cap in every output,
and says how many more there are; the counts stay those of every paper."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .helpers import Element, build_project, parse_html

DATE = "2026-11-20"
CAP = 1


def capped_project(project: Path, cap: int) -> Path:
    path = project / "digest.yaml"
    data = yaml.safe_load(path.read_text())
    data["site"] = {**data.get("site", {}), "section_papers": cap, "search": False}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_sections_list_their_best_papers_up_to_the_cap_and_count_the_rest(
    project: Path,
) -> None:
    path = capped_project(project, CAP)
    build_project(project, workers=1)
    members, highlights = _sections(path)
    ranked = {name: len(ids) for name, ids in members.items()}
    over = {name: n for name, n in ranked.items() if n > CAP}
    assert over, ranked  # the sample has sections longer than the cap
    out = project / "output"
    tree = parse_html((out / "days" / f"{DATE}.html").read_bytes())
    beyond = 0  # sections with a highlight past their cap
    left_out: dict[str, int] = {}
    for name, n in ranked.items():
        slug = name.replace(" ", "-")
        [section] = [s for s in tree.find("section") if s.attrs.get("id") == f"topic-{slug}"]
        [count] = [e for e in section.children if e.tag == "h2"]
        assert count.text.strip().endswith(str(n))  # every paper counted
        above = [a.text for a in _below(section, "a") if a.attrs.get("href", "").startswith("#")]
        listed = [h.text.strip() for h in _below(section, "h3")]
        more = [e for e in section.children if e.tag == "p" and e.attrs.get("class") == "more"]
        # its best CAP, and its highlights, which are shown above it, are not "not listed"
        mine = [highlights[i] for i in members[name] if i in highlights]
        assert all(any(t.startswith(h[:40]) for t in above + listed) for h in mine), name
        shown = len(above) + len(listed)
        assert shown == min(n, CAP + sum(1 for i in members[name][CAP:] if i in highlights))
        beyond += shown > CAP
        if n > shown:
            left_out[name] = n - shown
            assert f"and {n - shown} more, not listed" in more[0].text
        else:
            assert not more
    assert beyond  # the sample has a highlight past its section's cap
    markdown = (out / "markdown" / f"{DATE}.md").read_text()
    for name, n in left_out.items():
        assert f"({ranked[name]})" in markdown and f"- and {n} more, not listed" in markdown
    topic = parse_html((out / "topics" / f"{next(iter(over)).replace(' ', '-')}.html").read_bytes())
    assert any("more, not listed" in p.text for p in topic.find("p", class_="more"))
    text = (out / "email" / f"{DATE}.txt").read_text()
    for name, n in over.items():
        assert f"{name.upper()} ({n} papers)" in text
    # the letter does not send readers to the site for papers the site does not list
    said = [
        p.text
        for letter in sorted((out / "email").glob("*.html"))
        for p in parse_html(letter.read_bytes()).find("p", class_="muted")
        if p.text.startswith("and ")
    ]
    assert said and all(t.endswith(", not listed: a section lists its best 1.") for t in said), said
    texts = "".join(p.read_text() for p in (out / "email").glob("*.txt"))
    assert texts.count("not listed: a section lists its best 1") == len(said)
    # a highlight is never counted as not listed: on DATE every paper past a cap is one
    assert not left_out and "not listed" not in text


def test_a_cap_no_section_reaches_changes_no_byte(project: Path, tmp_path: Path) -> None:
    capped_project(project, 10_000)
    build_project(project, workers=1)
    first = {p.relative_to(project / "output"): p.read_bytes()
             for p in (project / "output").rglob("*") if p.is_file()}  # fmt: skip
    capped_project(project, 500)
    build_project(project, workers=1, force=True)
    again = {p.relative_to(project / "output"): p.read_bytes()
             for p in (project / "output").rglob("*") if p.is_file()}  # fmt: skip
    assert {k for k in first if first[k] != again.get(k)} <= {Path("manifest.json")}


def _sections(config: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each topic's papers on DATE as ``digest rank --json`` ranks them (no cap there), best
    by that topic's score first; and the highlights' titles by id."""
    from click.testing import CliRunner

    from digest.cli import main

    result = CliRunner().invoke(
        main,
        ["rank", "--json", "-c", str(config), "--date", DATE],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    sections: dict[str, list[str]] = {}
    for name in {name for row in rows for name in row["topics"]}:
        mine = [row for row in rows if name in row["topics"]]
        mine.sort(key=lambda row: -row["topics"][name])  # stable: ties keep the day's order
        sections[name] = [row["id"] for row in mine]
    return sections, {row["id"]: row["title"] for row in rows if row["highlight"]}


def _below(element: Element, tag: str) -> list[Element]:
    """The elements named ``tag`` inside ``element``, at any depth, in order."""
    found = []
    for child in element.children:
        if child.tag == tag:
            found.append(child)
        found.extend(_below(child, tag))
    return found
