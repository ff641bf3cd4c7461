"""Collector speed and memory: ``python benchmarks/bench_collect.py [N ...]`` (default 10000 100000).

For each synthetic corpus (see corpus.py) and each stage, in a fresh process: papers per second
and peak memory (max RSS). Stages: a plain ``json.loads`` loop over the file (the baseline),
parsing into Paper objects, parsing plus de-duplication (what must stream), and storing (the
whole collect into a new SQLite store; the rate counts only the time spent in the store).
Targets (issue 2): parse + de-duplication >= 100k papers/s and < 300 MB peak on 1M papers;
storing >= 50k papers/s. Then, whole commands as a user runs them (wall time, best of three):
``digest parse --json FILE`` against a plain ``json.loads`` + ``json.dumps`` loop over the same
file, both writing to /dev/null (issue 20: no slower than the loop).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import corpus

STAGE = r"""
import datetime as dt, json, resource, sys, tempfile, time
from pathlib import Path
stage, path = sys.argv[1], sys.argv[2]
n = 0
store_time = 0.0
if stage != "json.loads":  # imported before the clock starts: the rate is the stage's, not startup's
    from digest.collect import Deduper, collect
    from digest.inputs import open_input
    from digest.config import Config, SourceSpec
    from digest.model import Paper
    from digest.sources import Context
    from digest.sources.jsonl import parse
    from digest.store import Store
t0 = time.perf_counter()
if stage == "json.loads":
    with open(path, "rb") as f:
        for line in f:
            json.loads(line)
            n += 1
else:
    if stage in ("parse", "parse+dedupe"):
        dedupe = Deduper().see if stage == "parse+dedupe" else None
        with open_input(Path(path)) as f:  # as collect opens it
            for item in parse(f, Context("bench", "corpus.jsonl", dt.date(2030, 1, 1))):
                if dedupe is not None and type(item) is Paper:
                    dedupe(item)
                n += 1
    else:
        with tempfile.TemporaryDirectory() as tmp:
            config = Config(root=Path(tmp), sources=(SourceSpec("bench", path),), store=Path(tmp) / "s.sqlite")
            with Store(config.store) as store:
                inner = store.merge_batch
                def timed(papers):
                    global store_time
                    t = time.perf_counter()
                    try:
                        return inner(papers)
                    finally:
                        store_time += time.perf_counter() - t
                store.merge_batch = timed
                report = collect(config, store, dt.date(2030, 1, 1))
                n = report.sources[0].read
                t = time.perf_counter()
            store_time += time.perf_counter() - t  # the commit
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "seconds": elapsed, "store_seconds": store_time, "peak_mb": peak}))
"""


def run_stage(stage: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STAGE, stage, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


LOOP = r"""
import json, sys
write = sys.stdout.write
with open(sys.argv[1], "rb") as f:
    for line in f:
        write(json.dumps(json.loads(line)) + "\n")
"""


def wall(command: list[str]) -> float:
    """Best of three wall times of ``command``, its output to /dev/null."""
    import time

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def commands(n: int, path: Path) -> None:
    loop = wall([sys.executable, "-c", LOOP, str(path)])
    parse = wall([sys.executable, "-m", "digest", "parse", "--json", "--today", "2030-01-01",
                  str(path)])  # fmt: skip
    print(f"{n:>9} json loop {loop:.2f} s, digest parse --json {parse:.2f} s "
          f"({parse / loop:.2f}x the loop)")  # fmt: skip


def main(sizes: list[int]) -> None:
    print(
        f"{'corpus':>9} {'stage':<14} {'papers/s':>10} {'vs json.loads':>14} {'seconds':>8} {'peak MB':>8}"
    )
    for n in sizes:
        path = corpus(n)
        base = None
        for stage in ("json.loads", "parse", "parse+dedupe", "store"):
            r = run_stage(stage, path)
            seconds = r["store_seconds"] if stage == "store" else r["seconds"]
            rate = r["n"] / seconds
            base = base or rate
            print(
                f"{n:>9} {stage:<14} {rate:>10,.0f} {rate / base:>13.2f}x {seconds:>8.2f} {r['peak_mb']:>8.0f}",
                flush=True,
            )
            if stage == "store":
                print(
                    f"{n:>9} {'(whole collect)':<14} {r['n'] / r['seconds']:>10,.0f} {'':>14} {r['seconds']:>8.2f}"
                )
    for n in sizes:
        commands(n, corpus(n))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
