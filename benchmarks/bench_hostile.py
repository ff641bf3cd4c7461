"""Time and peak memory of `digest build` on the inputs that once had no bound (issue 24):

- one JSON line of SIZE_MB (default 1024) among good lines;
- an RSS feed of N_ITEMS (default 1,000,000) items;
- 100,000 papers on one date (from benchmarks/data/corpus-100000.jsonl, made by corpus.py);
- 3,000,000 JSON lines that are not JSON.

    python benchmarks/bench_hostile.py [--scale 1.0]

Each case runs `digest build` in a new folder, in a child process; its peak is the child's
maximum resident set. The target: under 300 MB each, with the build finishing and the good
papers kept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "data" / "corpus-100000.jsonl"
GOOD = [{"title": f"A good paper {n} on scaling laws", "abstract": "Scaling law. " * 20,
         "date": "2026-11-20", "id": f"2611.{n:05d}"} for n in range(1, 6)]  # fmt: skip


def good_lines() -> bytes:
    return b"".join(json.dumps(g).encode() + b"\n" for g in GOOD)


def huge_line(folder: Path, scale: float) -> str:
    size = int((1 << 30) * scale)
    with open(folder / "huge.jsonl", "wb") as out:
        out.write(good_lines())
        out.write(b'{"title": "Huge", "abstract": "')
        chunk = b"word " * (1 << 18)
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write(b'"}\n')
        out.write(good_lines())
    return "huge.jsonl"


def big_rss(folder: Path, scale: float) -> str:
    items = int(1_000_000 * scale)
    with open(folder / "big.xml", "w") as out:
        out.write('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>big</title>'
                  "<link>https://example.org/</link><description>d</description>\n")  # fmt: skip
        for n in range(items):
            out.write(f"<item><title>Paper {n} on scaling laws</title><link>https://example.org/"
                      f"{n}</link><description>We study scaling laws with test-time compute, "
                      f"paper {n}.</description><pubDate>Fri, 20 Nov 2026 00:00:00 GMT</pubDate>"
                      "</item>\n")  # fmt: skip
        out.write("</channel></rss>\n")
    (folder / "good.jsonl").write_bytes(good_lines())
    return "big.xml, good.jsonl"


def one_date(folder: Path, scale: float) -> str:
    if not CORPUS.exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "100000"],
                       check=True)  # fmt: skip
    limit = int(100_000 * scale)
    with open(CORPUS, "rb") as src, open(folder / "one.jsonl", "wb") as out:
        for n, line in enumerate(src):
            if n >= limit:
                break
            record = json.loads(line)
            record.pop("versions", None)
            record["date"] = "2026-11-20"
            out.write(json.dumps(record).encode() + b"\n")
    return "one.jsonl"


def bad_lines(folder: Path, scale: float) -> str:
    count = int(3_000_000 * scale)
    with open(folder / "bad.jsonl", "wb") as out:
        out.write(good_lines())
        line = b"{this is not json}\n"
        block = line * 10_000
        for _ in range(count // 10_000):
            out.write(block)
    return "bad.jsonl"


CASES: dict[str, Callable[[Path, float], str]] = {
    "one JSON line of 1 GB": huge_line,
    "an RSS of 1,000,000 items": big_rss,
    "100,000 papers on one date": one_date,
    "3,000,000 bad JSON lines": bad_lines,
}


def run(name: str, make: Callable[[Path, float], str], scale: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = make(folder, scale)
        (folder / "digest.yaml").write_text(
            f"sources: [{sources}]\ntopics:\n  scaling: [scaling law, test-time compute]\n"
            "  rl: [reinforcement learning]\n"
        )
        started = time.perf_counter()
        with open(folder / "output.log", "w+") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "digest", "build", "--today", "2026-11-21"],
                cwd=folder, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the max
            child.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.perf_counter() - started
            log.seek(0)
            text = log.read()
        lines = text.strip().splitlines()
        said = [x for x in lines if x.startswith(("error:", "warning:", "Error:"))]
        print(f"{name}: exit {child.returncode}, {seconds:.1f} s, peak "
              f"{usage.ru_maxrss / 1024:.0f} MB, {len(lines)} lines of output")  # fmt: skip
        for line in said[:3]:
            print(f"    {line[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of every case")
    parser.add_argument("--only", help="run only the cases whose name holds this")
    args = parser.parse_args()
    for name, make in CASES.items():
        if not args.only or args.only in name:
            run(name, make, args.scale)


if __name__ == "__main__":
    main()
