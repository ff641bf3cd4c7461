from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from digest.cli import main

from .conftest import FEEDS, FIXTURES, PAGES, ROOT


def test_parse_json_is_the_documented_form(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        [
            "parse",
            "--json",
            "--today",
            "2026-11-23",
            str(PAGES / "*.txt"),
            str(FEEDS / "arxiv-cs-lg.xml"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"id", "title", "abstract", "date", "source", "url", "authors"} <= set(rows[0])
    assert len({r["id"] for r in rows}) == len(rows)  # duplicates across the sources appear once
    assert len(rows) == 159 + 5
    by_id = {r["id"]: r for r in rows}
    stagger = by_id["2308.05451"]  # on the Aug 12 page and in the feed
    assert stagger["date"] == "2026-08-12" and stagger["url"] == "https://arxiv.org/abs/2308.05451"
    assert stagger["source"] == "pages"
    assert all(len(r["date"]) == 10 and isinstance(r["authors"], list) for r in rows)
    assert all(r["url"] is None or r["url"].startswith("http") for r in rows)


def test_parse_human_output_and_date_option(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(
        main, ["parse", "--date", "2026-08-12", str(FIXTURES / "dense-page.txt")]
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("2026-08-12  title:")
    assert (
        "warning: tests/fixtures/dense-page.txt: page has no date line; using the given date, 2026-08-12"
        in result.stderr
    )


def test_parse_bad_input_is_one_line_per_file_and_nonzero(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok", "abstract": "a", "date": "2026-01-01"}\nnot json\n')
    empty = tmp_path / "empty.xml"
    empty.write_text("")
    result = runner.invoke(main, ["parse", "--json", str(bad), str(empty)])
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1  # the good line still came out
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {bad}:2: not JSON: Expecting value",
        f"error: {empty}: empty file",
    ]
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == "Error: 2 error(s); no source could be read in full"


def test_collect_and_dates(runner: CliRunner, project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["collect", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "2026-11-20       7 new       0 already seen" in result.stdout
    assert (
        "daily-papers: 182 read, 159 new, 0 already seen, 23 duplicates merged, 0 dropped"
        in result.stderr
    )
    listed = runner.invoke(main, ["dates", "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert sum(r["papers"] for r in rows) == 166
    assert set(rows[0]) == {"date", "papers"}


def test_config_errors_are_one_line_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "digest.yaml"
    config.write_text("sources:\n  - path: 3\n")
    result = runner.invoke(main, ["collect", "--config", str(config)])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: {config}: sources[0].path: expected a non-empty string, got a number (line 2)\n"
    )


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    for name, _command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output and f"digest {name}" in result.output, name


def test_installed_command_runs_the_bundled_default(project: Path) -> None:
    """The README's run command, as a user runs it: `digest build` in the project folder."""
    env = {**os.environ, "PYTHONPATH": ""}
    digest = Path(sys.executable).with_name("digest")
    command = [str(digest)] if digest.exists() else [sys.executable, "-m", "digest"]
    done = subprocess.run(
        [*command, "build", "--today", "2026-11-23"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "collected 166 new papers on 4 dates, 2026-03-13 to 2026-11-20, from 3 sources; "
        "1 revised paper skipped: arXiv replacement\n"
    )
    assert (project / ".digest" / "store.sqlite").is_file()


def on_a_terminal(command: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``command`` with its output on a pseudo-terminal, as in a user's shell: (exit
    code, what it wrote)."""
    leader, follower = os.openpty()
    child = subprocess.Popen(command, cwd=cwd, stdout=follower, stderr=follower)
    os.close(follower)
    written = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the child
            break
        if not chunk:
            break
        written += chunk
    os.close(leader)
    return child.wait(timeout=120), written.decode(errors="replace")


def test_a_long_build_shows_a_bar_per_stage_on_a_terminal(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": f"2601.{d:03d}{n:02d}", "title": f"Scaling law study {d}-{n}",
                    "abstract": "We fit a scaling law.", "date": f"2025-{1 + d // 28:02d}-{1 + d % 28:02d}"})
        for d in range(60) for n in range(2)
    ]  # fmt: skip
    (tmp_path / "papers.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "digest.yaml").write_text(
        "sources:\n  - path: papers.jsonl\ntopics:\n  scaling: [scaling law]\n"
    )
    command = [sys.executable, "-m", "digest", "build", "--today", "2026-11-23"]
    code, written = on_a_terminal(command, tmp_path)
    assert code == 0, written
    # 60 dates: ranking and rendering each draw a bar to 100%; the sources are too small for one
    assert "ranking" in written and "rendering" in written and "collecting" not in written
    assert all(f"{stage}  [{'#' * 36}]  100%" in written for stage in ("ranking", "rendering"))
    assert "60 date(s): 60 ranked, 60 rendered" in written
    # nothing new: nothing to rank or render, and no bar for it
    code, written = on_a_terminal(command, tmp_path)
    assert code == 0 and "ranking" not in written and "rendering" not in written


def test_top_level_help_lists_every_command_whole_in_the_order_of_use(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    listed = result.output.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listed][:6] == [
        "init", "build", "check", "serve", "send", "templates",
    ]  # fmt: skip
    assert len(listed) == len(main.commands)  # one line each: none wraps
    assert not [line for line in listed if "..." in line or len(line) > 80]


def backfill(folder: Path, dates: int) -> None:
    """A JSON Lines backfill of two papers on each of ``dates`` dates, and a config for it."""
    lines = [
        json.dumps({"id": f"2601.{d:03d}{n:02d}", "title": f"Scaling law study {d}-{n}",
                    "abstract": "We fit a scaling law.",
                    "date": str(dt.date(2024, 1, 1) + dt.timedelta(days=d))})
        for d in range(dates) for n in range(2)
    ]  # fmt: skip
    (folder / "papers.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "digest.yaml").write_text(
        "sources:\n  - path: papers.jsonl\ntopics:\n  scaling: [scaling law]\n"
    )


def test_a_backfill_build_prints_one_screen_and_a_line_per_date_with_v(
    runner: CliRunner, tmp_path: Path
) -> None:
    backfill(tmp_path, 30)
    config = ["-c", str(tmp_path / "digest.yaml"), "--today", "2026-11-23"]
    result = runner.invoke(main, ["build", *config])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "collected 60 new papers on 30 dates, 2024-01-01 to 2024-01-30, from 1 source"
    )
    assert lines[1].startswith("topics: papers matched in the 7 / 30 days to 2024-01-30")
    assert lines[3].startswith("search: 2024-01, 30 pages")
    assert lines[4].startswith("30 date(s): 30 ranked, 30 rendered;")
    assert len(lines) == 6 and not result.stderr
    # -v (after the command, or before it): a line per date and per source
    for verbose in (["build", "-v", "--force"], ["-v", "build", "--force"]):
        result = runner.invoke(main, [*verbose, *config])
        assert result.exit_code == 0, result.output
        assert "2024-01-12       0 new       2 already seen" in result.stdout
        assert len(result.stdout.splitlines()) == 30 + 5
        assert "papers: 60 read, 0 new, 60 already seen" in result.stderr


def test_collect_lists_the_newest_dates_and_sums_up_the_rest(
    runner: CliRunner, tmp_path: Path
) -> None:
    backfill(tmp_path, 40)
    result = runner.invoke(main, ["collect", "-c", str(tmp_path / "digest.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "2024-01-01 to 2024-01-26: 26 dates, 52 new, 0 already seen (-v: a line each)"
    )
    assert lines[1:] == [
        f"{dt.date(2024, 1, 27) + dt.timedelta(days=d)}       2 new       0 already seen"
        for d in range(14)
    ]


def test_what_a_listing_skipped_is_said_in_plain_words(runner: CliRunner, tmp_path: Path) -> None:
    shutil.copy(FEEDS / "arxiv-cs-lg.xml", tmp_path)
    (tmp_path / "digest.yaml").write_text("sources: [{path: arxiv-cs-lg.xml}]\n")
    result = runner.invoke(main, ["collect", "-c", str(tmp_path / "digest.yaml")])
    assert (
        "arxiv-cs-lg: 7 read, 7 new, 0 already seen, 0 duplicates merged, 1 dropped "
        "(1 revised paper skipped: arXiv replacement)"
    ) in result.stderr
    assert "announce type" not in result.output


def test_parse_says_what_each_source_dropped_and_why(runner: CliRunner, tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text(
        '{"id": "2611.00001", "title": "Kept", "abstract": "a", "date": "2026-11-20"}\n'
        '{"id": "2611.00002", "abstract": "no title"}\n'
        '{"id": "2611.00003", "title": "Caf\\u00e9 \\u2014 kept too", "date": "2026-11-20"}\n'
    )
    result = runner.invoke(main, ["parse", "--json", "--today", "2026-11-23", str(dump)])
    assert result.exit_code == 0, result.output
    assert "dump: 3 read, 1 dropped (1 record without a title)" not in result.stdout
    assert "dump: 2 read, 1 dropped (1 record without a title)" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["title"] for r in rows] == ["Kept", "Café — kept too"]
