"""A full disk and a read-only output folder, for real: the output on a small tmpfs, filled up or
remounted read-only. (Needs the right to mount, as root in CI has; skipped elsewhere.)

Either way: one clear line naming the file and the reason, the previous output as it was, the
store consistent with what was collected kept, and the next build, with room again, finishing.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main

from .conftest import FEEDS, ROOT


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def project(tmp_path: Path, output: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FEEDS, root / "feeds")
    text = (ROOT / "digest.yaml").read_text().replace("output: output", f"output: {output}")
    (root / "digest.yaml").write_text(text)
    return root


def store_state(root: Path) -> tuple[int, int]:
    with sqlite3.connect(root / ".digest" / "store.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        papers = db.execute("SELECT count(*) FROM papers").fetchone()[0]
        rendered = db.execute("SELECT count(*) FROM rendered").fetchone()[0]
    return papers, rendered


def add_source(root: Path, title: str) -> None:
    """A source of one new paper (dated 2026-11-21) added to the project's config."""
    (root / "feeds" / "more.jsonl").write_text(
        f'{{"title": "{title}", "abstract": "Scaling law.", "date": "2026-11-21"}}\n'
    )
    text = (root / "digest.yaml").read_text()
    (root / "digest.yaml").write_text(
        text.replace("sources:\n", "sources:\n  - path: feeds/more.jsonl\n    name: more\n")
    )


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_full_disk_is_one_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    with tmpfs(tmp_path / "small", "48k") as small:
        root = project(tmp_path, small / "out")
        result = runner.invoke(main, ["build", "-c", str(root / "digest.yaml")])
        assert result.exit_code == 1, result.output
        [line] = [x for x in result.output.splitlines() if x.startswith("Error:")]
        assert "cannot write: No space left on device" in line and str(small / "out") in line
        assert "Traceback" not in result.output
        papers, rendered = store_state(root)
        assert papers > 0  # what was collected is kept ...
        assert rendered == 0  # ... and no render is recorded as done
        assert not [p for p in (small / "out").rglob(".*.tmp")]  # no temporary left
    # with room again, the next build finishes the job
    text = (root / "digest.yaml").read_text().replace(f"output: {small / 'out'}", "output: output")
    (root / "digest.yaml").write_text(text)
    again = runner.invoke(main, ["build", "-c", str(root / "digest.yaml")])
    assert again.exit_code == 0, again.output
    assert store_state(root)[0] == papers
    assert (root / "output" / "index.html").is_file()


def test_a_read_only_output_keeps_the_old_site_and_the_store(tmp_path: Path) -> None:
    runner = CliRunner()
    with tmpfs(tmp_path / "site", "8m") as site:
        root = project(tmp_path, site / "out")
        assert runner.invoke(main, ["build", "-c", str(root / "digest.yaml")]).exit_code == 0
        before = files(site / "out")
        papers, rendered = store_state(root)
        add_source(root, "A new scaling law for read-only disks")
        remount(site, "ro")
        result = runner.invoke(main, ["build", "-c", str(root / "digest.yaml")])
        assert result.exit_code == 1, result.output
        [line] = [x for x in result.output.splitlines() if x.startswith("Error:")]
        assert "Read-only file system" in line and str(site / "out") in line
        assert files(site / "out") == before  # the published site is as it was
        after_papers, after_rendered = store_state(root)
        assert after_papers == papers + 1 and after_rendered == rendered
        remount(site, "rw")
        again = runner.invoke(main, ["build", "-c", str(root / "digest.yaml")])
        assert again.exit_code == 0, again.output
        assert (site / "out" / "days" / "2026-11-21.html").is_file()


def test_a_read_only_store_is_one_line_naming_it(tmp_path: Path) -> None:
    runner = CliRunner()
    with tmpfs(tmp_path / "state", "8m") as state:
        root = project(tmp_path, tmp_path / "out")
        text = (root / "digest.yaml").read_text()
        text = text.replace("store: .digest/store.sqlite", f"store: {state / 'store.sqlite'}")
        (root / "digest.yaml").write_text(text)
        assert runner.invoke(main, ["build", "-c", str(root / "digest.yaml")]).exit_code == 0
        add_source(root, "A new scaling law for read-only stores")
        remount(state, "ro")
        result = runner.invoke(main, ["build", "-c", str(root / "digest.yaml")])
        assert result.exit_code == 1, result.output
        [line] = [x for x in result.output.splitlines() if x.startswith("Error:")]
        assert line == f"Error: {state / 'store.sqlite'}: attempt to write a readonly database"
        remount(state, "rw")


def test_a_disk_that_fills_up_during_a_send_stops_it_naming_the_log(tmp_path: Path) -> None:
    from tests.smtp_server import Mailbox, Server
    from tests.test_send import SERVED, configure, exactly_once

    runner = CliRunner()
    box = Mailbox()
    with tmpfs(tmp_path / "state", "4m") as state, Server(box) as server:
        root = project(tmp_path, tmp_path / "out")
        text = (root / "digest.yaml").read_text()
        (root / "digest.yaml").write_text(
            text.replace("store: .digest/store.sqlite", f"store: {state / 'store.sqlite'}")
        )
        path = configure(root, server.port)
        log = state / "store-deliveries.sqlite"
        filler = state / "filler"

        def fill() -> None:  # the disk fills up while the server takes the first message
            # unbuffered: a buffered file would keep the bytes it could not write, and raise
            # again when closed, in the server (how much is left over depends on the store's size)
            with filler.open("wb", buffering=0) as fh, pytest.raises(OSError):
                while True:
                    fh.write(b"\0" * 65536)

        box.on_data[1] = fill
        result = runner.invoke(main, ["send", "-c", str(path)])
        assert result.exit_code == 1, result.output
        [line] = [x for x in result.output.splitlines() if x.startswith("Error:")]
        assert line.startswith(f"Error: stopped: {log}: cannot record the delivery to ")
        assert line.endswith("database or disk is full; a rerun sends to the rest")
        assert len(box.messages) == 1
        filler.unlink()
        again = runner.invoke(main, ["send", "-c", str(path)])
        assert again.exit_code == 0, again.output
        exactly_once(box, SERVED)
