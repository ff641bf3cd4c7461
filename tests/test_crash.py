"""Crash safety: builds that rank and render on worker processes, killed (SIGKILL) or stopped
(SIGTERM, SIGHUP) at random points, and two builds at once.

Every kill must leave each output file either as the previous build wrote it or as the next
complete build writes it (never half a file, never a mix inside a file), the store passing
SQLite's integrity check with none of the collected papers lost, no process of the build left
behind (a worker that outlived its build held the output's lock, and every later build
failed), and the next run finishing the job: its output is byte for byte that of a build that
was never interrupted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.writer import output_lock

from .conftest import PAGES

KILLS = int(os.environ.get("DIGEST_KILLS", "5"))  # benchmarks/robustness.py runs 40
CONFIG = """
title: Crash test
site_url: https://example.org/crash/
sources:
  - path: papers/*.jsonl
topics:
  scaling: [scaling law, compute-optimal, mixture of experts]
  rl: [reinforcement learning, RL, reward model]
  efficiency: [pruning, quantization, distillation]
"""


def sample_pairs() -> list[tuple[str, str]]:
    pairs = []
    for page in sorted(PAGES.glob("*.txt")):
        paras = [p.strip() for p in page.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        start = next(i for i, p in enumerate(paras) if p[:3] in {"Mar", "Aug"}) + 1
        pairs.extend((paras[i], paras[i + 1]) for i in range(start, len(paras) - 1, 2))
    return pairs


def write_papers(path: Path, first_day: int, days: int, per_day: int, seed: int) -> None:
    rng = random.Random(seed)
    pairs = sample_pairs()
    start = dt.date(2026, 1, 1)
    lines = []
    for d in range(first_day, first_day + days):
        for n in range(per_day):
            title, abstract = rng.choice(pairs)
            number = d * 1000 + n
            lines.append(json.dumps({
                "id": f"2601.{number:05d}", "title": f"{title} ({number})",
                "abstract": abstract, "date": (start + dt.timedelta(days=d)).isoformat(),
            }))  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def make_project(root: Path, with_second_part: bool) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "digest.yaml").write_text(CONFIG)
    write_papers(root / "papers" / "a.jsonl", 0, 30, 40, seed=1)
    if with_second_part:
        write_papers(root / "papers" / "b.jsonl", 30, 12, 40, seed=2)
    return root


def digest(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "digest", *args, "-c", str(root / "digest.yaml")],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip


def build(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    child = digest(root, "build", "--today", "2026-03-01", *args)
    out, err = child.communicate(timeout=300)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def alive(session: int) -> list[int]:
    """The processes of a session (the build and its workers) still running (not zombies:
    a dead process whose parent died waits for an init that may never reap it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def gone(session: int, within: float = 5.0) -> bool:
    """Whether every process of the session ends within ``within`` seconds (the others are
    killed, so a failing test leaves none behind)."""
    deadline = time.monotonic() + within
    while alive(session) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = alive(session)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(session, signal.SIGKILL)
    return not left


def workers_of(pid: int, timeout: float = 60.0) -> list[int]:
    """The children of ``pid`` once it has some (its workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in alive(pid) if p != pid]
        if found:
            return found
        time.sleep(0.01)
    return []


def store_check(root: Path) -> int:
    with sqlite3.connect(root / ".digest" / "store.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(db.execute("SELECT count(*) FROM papers").fetchone()[0])


def test_builds_killed_at_random_points_lose_and_corrupt_nothing(tmp_path: Path) -> None:
    # The two versions every output file may have: before and after the new papers.
    old_ref = make_project(tmp_path / "old", with_second_part=False)
    assert build(old_ref).returncode == 0
    new_ref = make_project(tmp_path / "new", with_second_part=True)
    started = time.monotonic()
    assert build(new_ref).returncode == 0
    full = time.monotonic() - started
    old, new = files(old_ref / "output"), files(new_ref / "output")
    papers_before, papers_after = store_check(old_ref), store_check(new_ref)

    work = tmp_path / "work"

    def from_the_old_state() -> None:  # the old build's output and store, new papers waiting
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(old_ref, work)
        write_papers(work / "papers" / "b.jsonl", 30, 12, 40, seed=2)

    from_the_old_state()
    rng = random.Random(7)
    killed = 0
    for n in range(KILLS):
        child = digest(work, "build", "--today", "2026-03-01", "--workers", "2")
        time.sleep(rng.uniform(0.05, full * 1.2))
        finished = child.poll() is not None
        stop = (signal.SIGKILL, signal.SIGTERM)[n % 2]
        if not finished:
            os.kill(child.pid, stop)  # the build alone, not its workers
            killed += 1
        _, err = child.communicate(timeout=60)
        assert gone(child.pid), f"a process of the build outlived it ({stop.name})"
        if not finished and stop == signal.SIGTERM:  # stopped (or killed while starting)
            assert child.returncode in (0, 128 + stop, -stop), err.decode()
            assert b"Traceback" not in err
        for path, data in files(work / "output").items():
            if any(part.startswith(".") for part in path.split("/")):  # a temporary file or
                continue  # folder (the search index's), never listed, swept by the next build
            assert data in (old.get(path), new.get(path)), f"{path} is neither version"
        count = store_check(work)
        assert count in (papers_before, papers_after)  # one collect is one transaction
        if finished:  # it did the whole job: so the next kill has work to cut, start over
            assert child.returncode == 0 and files(work / "output") == new
            from_the_old_state()
    assert killed >= KILLS // 2, "the build finished before most kills: make it longer"

    result = build(work)
    assert result.returncode == 0, result.stderr.decode()
    assert files(work / "output") == new  # finished as if never interrupted, temporaries gone
    assert store_check(work) == papers_after


def test_a_second_build_on_the_same_output_exits_with_a_clear_message(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", with_second_part=False)
    with output_lock(root / "output"):
        result = build(root)
    assert result.returncode == 1
    message = result.stderr.decode()
    assert "another digest build is writing this folder; run again when it ends" in message
    assert "Traceback" not in message and not (root / "output" / "manifest.json").exists()
    assert build(root).returncode == 0  # the lock went with its holder


def test_two_builds_started_together_leave_one_complete_output(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", with_second_part=True)
    reference = make_project(tmp_path / "ref", with_second_part=True)
    assert build(reference).returncode == 0
    first = digest(root, "build", "--today", "2026-03-01")
    second = digest(root, "build", "--today", "2026-03-01")
    outcomes = []
    for child in (first, second):
        _, err = child.communicate(timeout=300)
        outcomes.append((child.returncode, err.decode()))
    assert sorted(code for code, _ in outcomes)[0] == 0
    for code, err in outcomes:
        assert code == 0 or "another digest build is writing this folder" in err, err
    assert files(root / "output") == files(reference / "output")


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_a_killed_build_releases_its_lock(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", with_second_part=True)
    child = digest(root, "build", "--today", "2026-03-01")
    time.sleep(0.5)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    assert build(root).returncode == 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize(
    "stop", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_build_stopped_while_its_workers_run_leaves_none_of_them(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """SIGKILL (the OOM killer, kill -9), SIGTERM (timeout, a systemd stop) and SIGHUP (a CI
    cancel, a closed terminal) to the build alone while its workers rank and render: they
    die with it, the output's lock goes with them, and the next build starts at once."""
    root = make_project(tmp_path / "p", with_second_part=True)
    assert build(root).returncode == 0
    reference = files(root / "output")
    child = digest(root, "build", "--today", "2026-03-01", "--workers", "2", "--force")
    assert workers_of(child.pid), child.communicate(timeout=60)
    os.kill(child.pid, stop)
    _, err = child.communicate(timeout=60)
    assert gone(child.pid), "a worker outlived its build"
    if stop == signal.SIGKILL:
        assert child.returncode == -signal.SIGKILL
    else:  # stopped cleanly: one line, everything on the way out done
        assert child.returncode == 128 + stop, err.decode()
        said = err.decode().strip()
        assert said == f"Error: stopped by {stop.name}; what was done is kept, run again", said
    result = build(root)
    assert result.returncode == 0, result.stderr.decode()  # not "another build is writing"
    assert files(root / "output") == reference


def test_a_stop_while_the_workers_wind_down_leaves_none_of_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop can land in the pool's last wait for its workers, after every result is in: the
    workers are killed and the pool's thread let finish then too (left running, it raced the
    interpreter's exit: "OSError: [Errno 9] Bad file descriptor" after a stopped build's last
    line)."""
    import concurrent.futures
    import multiprocessing
    import operator
    import threading

    from digest import stopping, workers

    shutdown = concurrent.futures.ProcessPoolExecutor.shutdown

    def stopped_once(self, wait: bool = True, **kwargs: object) -> None:
        if wait:
            monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "shutdown", shutdown)
            raise stopping.Stopped(signal.SIGTERM)
        shutdown(self, wait, **kwargs)

    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "shutdown", stopped_once)
    with pytest.raises(stopping.Stopped):
        assert list(workers.ordered_map(operator.neg, list(range(40)), workers=2)) == [
            -i for i in range(40)
        ]
    assert not multiprocessing.active_children()
    assert not [t for t in threading.enumerate() if "ExecutorManager" in type(t).__name__]


def test_a_stop_while_the_program_loads_ends_it_as_stopped_even_inside_a_class() -> None:
    # a SIGTERM that lands while a dataclass is made reaches Python wrapped (RuntimeError
    # "Error calling __set_name__"): the program still ends as stopped, with no traceback
    code = """
import os, signal, sys, types
import digest.__main__ as program

class Field:
    def __set_name__(self, owner, name):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100_000):
            pass

fake = types.ModuleType("digest.cli")

def attribute(name):
    class Learned:
        avoid = Field()

fake.__getattr__ = attribute
sys.modules["digest.cli"] = fake
program.start()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_a_stop_python_wrapped_in_another_error_ends_a_command_as_stopped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the same inside a command: an error raised once a stop was asked for is that stop
    from click.testing import CliRunner

    from digest import pipeline, stopping
    from digest.cli import main

    def build(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(stopping, "_requested", signal.SIGTERM)  # the handler ran
        raise RuntimeError("Error calling __set_name__ on 'Field' instance 'avoid'")

    monkeypatch.setattr(pipeline, "build", build)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init", "site"]).exit_code == 0
    result = CliRunner().invoke(main, ["build", "-c", "site/digest.yaml"])
    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert "stopped by SIGTERM" in result.output
