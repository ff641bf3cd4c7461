"""The wheel as a user installs it: templates and starter files inside, so that `digest init`
then `digest build` work in a folder far from this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed: {result.stderr[-2000:]}")
    (found,) = dist.glob("digest-*.whl")
    return found


def test_the_wheel_ships_templates_and_starter_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = [p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*")
                 if p.is_file()]  # fmt: skip
    assert "templates/markdown/index.md" in templates
    for template in templates:
        assert f"digest/{template}" in names
    assert "digest/starter/digest.yaml" in names and "digest/starter/feeds/arxiv-cs-lg.xml" in names
    for schedule in ("github.yml", "gitignore", "digest.cron", "digest.service", "digest.timer"):
        assert f"digest/schedule/{schedule}" in names


def test_init_then_build_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    # the installed copy first; the dependencies from this interpreter
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONSAFEPATH="1")
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str, cwd: Path) -> str:
        result = subprocess.run([sys.executable, "-c", "from digest.cli import main; main()", *args],
                                cwd=cwd, env=env, capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("init", "my-digest", cwd=work)
    out = run("build", "--today", "2026-11-23", cwd=work / "my-digest")
    assert "1 date(s)" in out
    run("init", "--schedule", "cron", cwd=work / "my-digest")
    assert (work / "my-digest" / "digest.cron").is_file()
    where = subprocess.run([sys.executable, "-c", "import digest; print(digest.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True).stdout  # fmt: skip
    assert where.startswith(str(site))
    home = (work / "my-digest" / "output" / "index.html").read_text()
    assert "My Paper Digest" in home and "<h1>" in home
    # the built-in templates are found inside the installed package, to copy and edit
    listing = run("templates", cwd=work / "my-digest")
    assert f"built-in: {site / 'digest' / 'templates'}" in listing
    config = work / "my-digest" / "digest.yaml"
    config.write_text(config.read_text().replace("# templates: templates", "templates: templates"))
    run("templates", "copy", "site/day.html", cwd=work / "my-digest")
    copied = work / "my-digest" / "templates" / "site" / "day.html"
    assert copied.read_bytes() == (site / "digest" / "templates" / "site" / "day.html").read_bytes()
