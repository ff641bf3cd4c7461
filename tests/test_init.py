"""`digest init`: a config that sets only what differs from the defaults (so it works from any
folder, and the sender follows the title), and `--schedule`: the file that runs the digest every
day (a GitHub Actions workflow, a crontab line, a systemd service and timer), each run here as
the scheduler would run it."""

from __future__ import annotations

import configparser
import email
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from digest import scaffold
from digest.cli import main
from digest.config import config_from_text, load_config, parse_yaml
from digest.config.loading import validate


@pytest.fixture
def started(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["init", "mine"])
    assert result.exit_code == 0, result.output
    return tmp_path / "mine"


def test_init_sets_only_what_differs_from_the_defaults(started: Path) -> None:
    text = (started / "digest.yaml").read_text()
    data, lines = parse_yaml(text, "digest.yaml")
    whole = validate(data, lines, started)
    assert set(data) == {"title", "sources", "topics"}
    for key in data:  # each key set changes the config: none is a default written out
        rest = {k: v for k, v in data.items() if k != key}
        assert validate(rest, lines, started) != whole, key
    for key, value in data["sources"][0].items():
        entry = {k: v for k, v in data["sources"][0].items() if k != key}
        if key != "path":
            assert validate({**data, "sources": [entry]}, lines, started) != whole, key
        assert value is not None
    # the commented lines show the defaults: uncommented, they change nothing
    shown = "\n".join(
        line[2:] for line in text.splitlines()
        if line.startswith(("# output:", "# store:", "# recent_days:", "# site_url:", "# ranking:",
                            "#   learn:", "#   history_days:", "#   upvotes:"))
    )  # fmt: skip
    assert "ranking:\n  learn: false" in shown and "upvotes: 0.2" in shown
    assert config_from_text(text + "\n" + shown, started) == whole


def test_a_started_config_builds_from_another_folder(
    started: Path, tmp_path: Path, runner: CliRunner
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(started / "digest.yaml", elsewhere)
    shutil.copytree(started / "feeds", elsewhere / "feeds")
    result = runner.invoke(main, ["build", "-c", str(elsewhere / "digest.yaml")])
    assert result.exit_code == 0, result.output
    assert (elsewhere / "output" / "index.html").is_file()
    # a templates folder that is not there (yet) is a warning; the built-in ones are used
    config = elsewhere / "digest.yaml"
    config.write_text(config.read_text().replace("# templates: templates", "templates: mine"))
    result = runner.invoke(main, ["build", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "templates: no such folder: mine; the built-in templates are used" in result.stderr
    # and copying a template makes it
    result = runner.invoke(main, ["templates", "-c", str(config), "copy", "site/day.html"])
    assert result.exit_code == 0, result.output
    assert (elsewhere / "mine" / "site" / "day.html").is_file()
    assert not load_config(config).warnings


def test_the_sender_follows_the_title(started: Path, runner: CliRunner) -> None:
    config = started / "digest.yaml"
    config.write_text(config.read_text().replace("title: My Paper Digest", "title: Lab Digest"))
    assert runner.invoke(main, ["build", "-c", str(config)]).exit_code == 0
    [eml] = (started / "output" / "email").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes())
    assert message["From"] == "Lab Digest <digest@example.org>"


def test_init_here_says_the_next_step_without_a_cd(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["init", "."])
    assert result.exit_code == 0, result.output
    assert "next: digest serve" in result.output and "cd ." not in result.output
    result = runner.invoke(main, ["init", "other"])
    assert "next: cd other && digest serve" in result.output


def test_a_started_digest_built_daily_raises_no_stale_feed_warning(
    started: Path, runner: CliRunner
) -> None:
    """The bundled sample file does not change: that is no stale feed (it warned on the 4th
    build)."""
    for _ in range(5):
        result = runner.invoke(main, ["build", "-c", str(started / "digest.yaml")])
        assert result.exit_code == 0, result.output
        assert "warning" not in result.stderr, result.stderr


def run_line(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        ["sh", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_schedule_cron_writes_a_line_that_builds(started: Path, runner: CliRunner) -> None:
    from digest.cli.publishing import SCHEDULE_KINDS

    assert set(SCHEDULE_KINDS) == set(scaffold.SCHEDULES)
    result = runner.invoke(main, ["init", str(started), "--schedule", "cron"])
    assert result.exit_code == 0, result.output
    assert "(crontab -l 2>/dev/null; cat digest.cron) | crontab -" in result.output
    lines = (started / "digest.cron").read_text().splitlines()
    [line] = [li for li in lines if li and not li.startswith("#")]
    fields = line.split(None, 5)
    assert fields[:5] == ["30", "7", "*", "*", "*"] and "%" not in line  # % is special to cron
    # run as cron runs it: sh, from the home folder, no virtual environment activated
    done = run_line(fields[5], Path.home())
    assert done.returncode == 0, done.stderr
    assert (started / "output" / "index.html").is_file()
    assert "1 date(s)" in (started / "digest.log").read_text()
    # the commented line that also sends is whole: it parses as shell
    [send] = [li for li in lines if li.startswith("# 30 7")]
    assert shlex.split(send[2:].split(None, 5)[5]) and "send" in send


def test_schedule_systemd_writes_a_service_that_builds_and_a_timer(
    started: Path, runner: CliRunner
) -> None:
    assert runner.invoke(main, ["init", str(started), "--schedule", "systemd"]).exit_code == 0
    service = configparser.ConfigParser(interpolation=None)
    service.read(started / "digest.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["WorkingDirectory"] == str(started.resolve())
    done = subprocess.run(
        shlex.split(service["Service"]["ExecStart"]), cwd=service["Service"]["WorkingDirectory"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (started / "output" / "index.html").is_file()
    timer = configparser.ConfigParser(interpolation=None)
    timer.read(started / "digest.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 07:30:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    analyze = shutil.which("systemd-analyze")
    if analyze:  # where systemd is installed, its own check of the two units
        units = [str(started / "digest.service"), str(started / "digest.timer")]
        checked = subprocess.run([analyze, "verify", *units], capture_output=True, text=True,
                                 timeout=60)  # fmt: skip
        assert checked.returncode == 0 and "digest." not in checked.stderr, checked.stderr


def steps(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        s.get("name") or s.get("id") or s["uses"]: s for s in workflow["jobs"]["digest"]["steps"]
    }


def test_schedule_github_writes_a_workflow_that_builds_publishes_and_sends(
    started: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scaffold, "install_source", lambda: None)  # not from a GitHub clone
    result = runner.invoke(main, ["init", str(started), "--schedule", "github"])
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((started / ".github" / "workflows" / "digest.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"] == "30 6 * * *" and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["env"]["DIGEST"] == scaffold.PLACEHOLDER_INSTALL
    found = steps(workflow)
    assert found["Install digest"]["run"] == 'python -m pip install "$DIGEST"'
    restore, save = found["Restore the store"], found["Save the store"]
    assert restore["uses"].startswith("actions/cache/restore@")
    assert restore["with"]["path"] == save["with"]["path"] == ".digest"
    assert save["if"] == "always()"  # the store (and who was sent what) is kept even on failure
    assert found["Publish the site"]["with"]["path"] == "output"
    assert found["pages"]["uses"].startswith("actions/deploy-pages@")
    assert found["Send the email"]["if"] == "env.DIGEST_SMTP_PASSWORD != ''"
    order = list(found)
    assert order.index("Build") < order.index("Send the email") < order.index("Save the store")
    # the build step, as the runner runs it (bash, in the folder): exit 0
    done = subprocess.run(["bash", "-e", "-c", found["Build"]["run"]], cwd=started,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": f"{Path(scaffold._command()[0]).parent}:{os.environ['PATH']}"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (started / "output" / "index.html").is_file()


def test_schedule_in_a_started_folder_writes_only_the_schedule(
    started: Path, runner: CliRunner
) -> None:
    config = started / "digest.yaml"
    config.write_text(config.read_text() + "output: public\nstore: state/papers.sqlite\n")
    before = config.read_bytes()
    result = runner.invoke(main, ["init", str(started), "--schedule", "github"])
    assert result.exit_code == 0, result.output
    assert config.read_bytes() == before
    text = (started / ".github" / "workflows" / "digest.yml").read_text()
    assert "path: public" in text and "path: state" in text
    # the store and the site are never committed (the workflow caches one, publishes the other)
    assert "state/\npublic/\n" in (started / ".gitignore").read_text()
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(started)], check=True)
        for built in ("state/papers.sqlite", "public/index.html"):
            subprocess.run(["git", "-C", str(started), "check-ignore", "-q", built], check=True)
        kept = subprocess.run(["git", "-C", str(started), "check-ignore", "-q", "digest.yaml"])
        assert kept.returncode == 1  # the config is committed
    again = runner.invoke(main, ["init", str(started), "--schedule", "github"])
    assert again.exit_code == 0
    assert "digest.yml: already there; kept as it is" in again.output
    refused = runner.invoke(main, ["init", str(started)])
    assert refused.exit_code == 1 and "already exists; nothing was changed" in refused.output


def test_the_workflow_installs_from_the_clone_s_github_repository(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Installed with `pip install -e .` from a clone of a fork on GitHub, the workflow installs
    that fork; from anywhere else, a placeholder the workflow's comments explain."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "remote", "add", "origin",
                    "git@github.com:ada/digest.git"], check=True)  # fmt: skip

    class Found:
        def read_text(self, name: str) -> str:
            return f'{{"url": "{clone.as_uri()}", "dir_info": {{"editable": true}}}}'

    monkeypatch.setattr("importlib.metadata.distribution", lambda name: Found())
    assert scaffold.install_source() == "git+https://github.com/ada/digest.git"
    scaffold.schedule(tmp_path, "github")
    assert (
        'DIGEST: "git+https://github.com/ada/digest.git"'
        in (tmp_path / ".github" / "workflows" / "digest.yml").read_text()
    )
    subprocess.run(["git", "-C", str(clone), "remote", "set-url", "origin",
                    "https://example.org/digest.git"], check=True)  # fmt: skip
    assert scaffold.install_source() is None


def test_a_paper_liked_in_a_started_digest_is_in_its_topic(
    started: Path, runner: CliRunner
) -> None:
    # the seven papers of the sample; a paper on PDE solvers liked for efficiency shares too
    # little of what efficiency's profile learned from the rest to be lifted by it, and was
    # left out of the topic it was liked for
    config = str(started / "digest.yaml")
    for args in (["like", "2611.14201", "2308.05451", "-t", "efficiency"], ["build"]):
        result = runner.invoke(main, [*args, "-c", config])
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["rank", "--json", "-c", config])
    assert result.exit_code == 0, result.output
    ranked = {d["id"]: d for d in map(json.loads, result.stdout.splitlines())}
    assert ranked["2308.05451"]["related"] == {"efficiency": "one of your examples"}
    assert set(ranked["2308.05451"]["topics"]) == {"efficiency"}
    assert ranked["2611.14201"]["matched"]["efficiency"]  # liked, and its keywords match it
