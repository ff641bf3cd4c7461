"""``site.section_papers``: a day of 100,000 papers made a 166 MB page and a 1.4 GB build. Each
topic section (and "also new") of a date lists its best papers up to the cap in every output,
and says how many more there are; the counts stay those of every paper."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .helpers import build_project, parse_html

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
    ranked = {name: len(ids) for name, ids in _sections(path).items()}
    over = {name: n for name, n in ranked.items() if n > CAP}
    assert over, ranked  # the sample has sections longer than the cap
    out = project / "output"
    tree = parse_html((out / "days" / f"{DATE}.html").read_bytes())
    for name, n in ranked.items():
        slug = name.replace(" ", "-")
        [section] = [s for s in tree.find("section") if s.attrs.get("id") == f"topic-{slug}"]
        [count] = [e for e in section.children if e.tag == "h2"]
        assert count.text.strip().endswith(str(n))  # every paper counted
        more = [e for e in section.children if e.tag == "p" and e.attrs.get("class") == "more"]
        if n > CAP:
            assert f"and {n - CAP} more, not listed" in more[0].text
        else:
            assert not more
    markdown = (out / "markdown" / f"{DATE}.md").read_text()
    for n in over.values():
        assert f"({n})" in markdown and f"- and {n - CAP} more, not listed" in markdown
    topic = parse_html((out / "topics" / f"{next(iter(over)).replace(' ', '-')}.html").read_bytes())
    assert any("more, not listed" in p.text for p in topic.find("p", class_="more"))
    text = (out / "email" / f"{DATE}.txt").read_text()
    for name, n in over.items():
        assert f"{name.upper()} ({n} papers)" in text
    # the letter does not send readers to the site for papers the site does not list
    letter = parse_html((out / "email" / f"{DATE}.html").read_bytes())
    said = [p.text for p in letter.find("p", class_="muted") if "more" in p.text]
    assert said and all(t.endswith(", not listed: a section lists its best 1.") for t in said), said
    assert not any(t.endswith("more on the site.") for t in said)
    assert text.count("not listed: a section lists its best 1") >= len(said)


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


def _sections(config: Path) -> dict[str, list[str]]:
    """Each topic's papers on DATE as ``digest rank --json`` ranks them (no cap there)."""
    from click.testing import CliRunner

    from digest.cli import main

    result = CliRunner().invoke(
        main,
        ["rank", "--json", "-c", str(config), "--date", DATE],
    )
    assert result.exit_code == 0, result.output
    sections: dict[str, list[str]] = {}
    for line in result.output.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            for name in row["topics"]:
                sections.setdefault(name, []).append(row["id"])
    return sections
