"""The README's first two sections, run as a newcomer runs them: every fenced command of "Quick
start" and "Your own digest", in order, in a temporary copy of this repository, with each YAML
block put into the config as the step says. Offline: the arXiv feeds of step 3 are served from
the bundled sample feed by a server on 127.0.0.1.

Some commands are shown but not run here, each for a reason said in SKIPPED: installing (this
test runs where digest is installed) and the test command itself. `digest serve` is run on a
free port, asked for its home page, and stopped.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import FEEDS, ROOT
from tests.http_server import Reply, serving

README = ROOT / "README.md"
# command prefix -> why the test does not run it
SKIPPED = {
    "python3 -m venv": "makes a virtual environment: this test runs in one with digest installed",
    "python -m pip install": "installs digest: this test runs where it is installed",
    "python -m pytest": "the test command itself",
}


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced blocks of ``text``: (language, body), in order, indented ones too."""
    found = re.finditer(r"^( *)```(\w+)\n(.*?)^\1```$", text, re.M | re.S)
    return [
        (m[2], "\n".join(line[len(m[1]) :] for line in m[3].splitlines())) for m in found
    ]  # fmt: skip


def commands(body: str) -> list[str]:
    """The shell commands of a block, one per line, the comments left out."""
    return [line.split("  #")[0].strip() for line in body.splitlines() if line.strip()]


class Newcomer:
    """Runs commands as a shell would, one after another, following each `cd`."""

    def __init__(self, cwd: Path, feeds: str) -> None:
        self.cwd = cwd
        self.feeds = feeds  # where the test serves what the README fetches from arXiv
        self.env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        self.said: list[str] = []

    def run(self, command: str) -> str:
        for prefix, why in SKIPPED.items():
            if command.startswith(prefix):
                rest = command.split(" && ", 1)
                print(f"shown, not run: {rest[0]!r} ({why})")
                if len(rest) == 1 or "pip install" not in rest[0]:
                    return ""
                command = rest[1]
        if command == "digest serve":
            return self.serve()
        done = subprocess.run(
            ["bash", "-e", "-c", f"{command}\necho; pwd"], cwd=self.cwd, env=self.env,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, f"{command}: {done.stderr}"
        *out, where = done.stdout.rstrip("\n").split("\n")
        self.cwd = Path(where)
        self.said.append(done.stdout + done.stderr)
        return "\n".join(out) + done.stderr

    def serve(self) -> str:
        """`digest serve` (on a free port): the home page is served, Ctrl-C stops it."""
        process = subprocess.Popen(
            ["digest", "serve", "--port", "0"], cwd=self.cwd, env={**self.env,
            "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            built, serving = process.stdout.readline(), process.stdout.readline()
            assert "built in" in built and serving.startswith("serving "), built + serving
            url = re.search(r"on (http://127\.0\.0\.1:\d+/)", serving)
            assert url, serving
            with urllib.request.urlopen(url[1], timeout=10) as response:
                page = response.read().decode()
            assert "<h1>" in page or "Latest" in page
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(10)
        return page

    def edit(self, block: str) -> None:
        """Put a YAML block into the config: each of its keys replaces the config's."""
        block = block.replace("https://rss.arxiv.org/rss/", self.feeds)
        config = self.cwd / "digest.yaml"
        data = yaml.safe_load(config.read_text())
        data.update(yaml.safe_load(block))
        config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """What a clone holds that the quick start reads: the sample feeds and their config."""
    folder = tmp_path / "digest"
    folder.mkdir()
    subprocess.run(["cp", "-r", str(FEEDS), str(ROOT / "digest.yaml"), str(folder)], check=True)
    return folder


def test_the_quick_start_runs_as_written(clone: Path) -> None:
    text = section("Quick start")
    run = [c for lang, body in blocks(text) if lang == "sh" for c in commands(body)]
    assert run[:2] == [
        "python3 -m venv .venv && . .venv/bin/activate",
        "python -m pip install -e '.[test]' && digest build",  # as .ci/run runs it
    ]
    assert "python -m pytest" in text
    you = Newcomer(clone, "")
    for command in run:
        you.run(command)
    assert (clone / "output" / "index.html").is_file()
    assert "open output/index.html" in you.said[0]


def test_your_own_digest_runs_as_written(tmp_path: Path) -> None:
    text = section("Your own digest")
    steps = blocks(text)
    assert [lang for lang, _ in steps] == ["sh", "yaml", "yaml", "sh", "text", "sh", "sh"]
    feed = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    with serving() as server:
        for name in ("cs.LG", "cond-mat.mtrl-sci"):
            server.route(f"/rss/{name}", Reply(body=feed, content_type="application/rss+xml"))
        you = Newcomer(tmp_path, server.url("/rss/"))
        said = {}
        for lang, body in steps:
            if lang == "yaml":
                you.edit(body)
            elif lang == "sh":
                for command in commands(body):
                    said[command] = you.run(command)
        assert len(server.hits("/rss/cs.LG")) >= 1
    folder = tmp_path / "my-digest"
    assert you.cwd == folder
    # step 3: the topics matched the feed; what the README shows is what check says
    [shown] = [body for lang, body in steps if lang == "text"]
    checked = said["digest check"]
    for line in shown.splitlines():
        if not line.startswith("warning:"):
            assert line in checked.splitlines(), f"{line!r} not in:\n{checked}"
    assert (folder / "output" / "index.html").is_file()
    assert (folder / ".github" / "workflows" / "digest.yml").is_file()
