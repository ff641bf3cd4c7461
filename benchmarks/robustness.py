"""The robustness campaign behind the counts of docs/reliability.md: the property tests with
many more examples than CI runs, and many more SIGKILLs. Prints inputs tried, crashes and corruptions.

    python benchmarks/robustness.py            # scale 10, 40 kills
    python benchmarks/robustness.py 50 200     # scale 50, 200 kills

A crash is an exception escaping a reader or renderer (or broken output); a corruption is an
output file that is neither its old nor its new version, or a store failing its integrity check
or losing papers, after a kill. Either fails the test that looks for it: the counts come from
pytest's own report.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ["tests/test_fuzz_sources.py", "tests/test_fuzz_render.py"]
CRASH = ["tests/test_crash.py::test_builds_killed_at_random_points_lose_and_corrupt_nothing"]
CORPUS = ["tests/test_malformed.py", "tests/test_disk.py", "tests/test_fetch.py"]
CAMPAIGNS = ["tests/test_campaigns.py"]  # sends, send kills, links, serve, future dates


def pytest(tests: list[str], env: dict[str, str]) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
         "--hypothesis-show-statistics", *tests],  # in one process, as timed before
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr, time.monotonic() - started


def outcome(output: str) -> tuple[int, int]:
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", output))
    failed = sum(int(n) for n in re.findall(r"(\d+) failed", output))
    return passed, failed


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    failures: list[str] = []
    out, seconds = pytest(FUZZ, {"DIGEST_FUZZ_SCALE": str(scale)})
    examples = sum(int(n) for n in re.findall(r"(\d+) passing examples", out))
    failing = sum(int(n) for n in re.findall(r"(\d+) failing examples", out))
    _, failed = outcome(out)
    if failing or failed:
        failures.append(out)
    print(f"fuzzed inputs (scale {scale:g}): {examples} tried, {failing} failing examples, "
          f"{failed} failed tests  ({seconds:.0f} s)")  # fmt: skip
    for test, count in re.findall(r"(test_\w+):\n\n  - during generate phase.*?(\d+) passing",
                                  out, re.S):  # fmt: skip
        print(f"  {test}: {count}")
    out, seconds = pytest(CRASH, {"DIGEST_KILLS": str(kills)})
    passed, failed = outcome(out)
    if failed or not passed:
        failures.append(out)
    print(f"builds on two workers killed (SIGKILL and SIGTERM in turn): {kills}, corrupted or lost: "
          f"{'0' if passed and not failed else 'SEE THE TEST OUTPUT'}  ({seconds:.0f} s)")  # fmt: skip
    out, seconds = pytest(CORPUS, {})
    passed, failed = outcome(out)
    skipped = sum(int(n) for n in re.findall(r"(\d+) skipped", out))
    if failed:
        failures.append(out)
    print(f"malformed corpus, hostile servers, full and read-only disks: {passed} tests passed, "
          f"{failed} failed, {skipped} skipped  ({seconds:.0f} s)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        counts = Path(tmp) / "counts.jsonl"
        out, seconds = pytest(CAMPAIGNS, {"DIGEST_CAMPAIGN_SCALE": str(scale / 2),
                                          "DIGEST_CAMPAIGN_REPORT": str(counts)})  # fmt: skip
        passed, failed = outcome(out)
        if failed:
            failures.append(out)
        print(
            f"campaigns (scale {scale / 2:g}): {passed} passed, {failed} failed  ({seconds:.0f} s)"
        )
        for line in counts.read_text().splitlines() if counts.exists() else []:
            row = json.loads(line)
            name = row.pop("campaign")
            print(f"  {name}: " + ", ".join(f"{k} {v:,}" for k, v in row.items()))
    for report in failures:
        print(report[-4000:])
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
