"""``digest serve``: builds, serves on loopback, builds again when an input changes, and the pages
it serves (not the files) reload after such a build. A real server on 127.0.0.1, real files."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import jinja2
import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import load_config
from digest.preview import EVENTS, OVERLAY_ID, Preview, watched, with_reload
from tests.helpers import parse_html

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def live(project: Path) -> Iterator[tuple[Preview, list[str]]]:
    config = project / "digest.yaml"
    config.write_text(config.read_text() + "templates: mine\n")
    (project / "mine").mkdir()
    said: list[str] = []
    preview = Preview(load_config(config), None, 0, said.append, lambda: TODAY)
    try:
        yield preview, said
    finally:
        preview.close()


def get(preview: Preview, path: str = "") -> bytes:
    with urllib.request.urlopen(preview.url + path, timeout=10) as response:
        return response.read()


def scripts(page: bytes) -> list[str]:
    return [s.text for s in parse_html(page).find("script")]


def override(project: Path, name: str, old: str, new: str) -> None:
    text = (Path(__file__).resolve().parent.parent / "templates" / name).read_text()
    assert old in text
    (project / "mine" / name).parent.mkdir(parents=True, exist_ok=True)
    (project / "mine" / name).write_text(text.replace(old, new))


def test_serve_builds_then_serves_pages_that_reload_and_files_as_built(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    assert said[0].startswith("built in") and "file(s) written" in said[0]
    assert preview.httpd.server_address[0] == "127.0.0.1"
    on_disk = (project / "output" / "index.html").read_bytes()
    served = get(preview)
    assert not scripts(on_disk)  # the site itself needs no script
    [script] = scripts(served)
    assert f'"{EVENTS}?seen=1"' in script and "location.reload()" in script
    assert served == with_reload(on_disk, 1)
    assert served.rstrip().endswith(b"</html>")  # before </body>, not after the document
    day = next((project / "output" / "days").iterdir())
    assert scripts(get(preview, f"days/{day.name}"))
    # every other file exactly as built
    feed = get(preview, "feeds/all.xml")
    assert feed == (project / "output" / "feeds" / "all.xml").read_bytes()
    assert not feedparser.parse(feed).bozo
    assert get(preview, "style.css") == (project / "output" / "style.css").read_bytes()
    # HEAD gives the length GET sends
    connection = http.client.HTTPConnection("127.0.0.1", preview.httpd.server_port, timeout=10)
    connection.request("HEAD", "/index.html")
    response = connection.getresponse()
    assert int(response.headers["Content-Length"]) == len(served)
    assert response.read() == b""
    connection.close()


def test_an_edited_template_is_built_again_and_an_open_page_hears_of_it(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    assert preview.check() is False  # nothing changed: no build
    heard: list[bytes] = []
    connection = http.client.HTTPConnection("127.0.0.1", preview.httpd.server_port, timeout=10)
    connection.request("GET", f"{EVENTS}?seen={preview.builds.count}")
    response = connection.getresponse()
    assert response.headers["Content-Type"] == "text/event-stream"
    listener = threading.Thread(target=lambda: heard.append(response.read()))
    listener.start()

    override(project, "site/base.html", "Made with digest", "Made with digest, edited")
    assert preview.check() is True
    listener.join(10)
    connection.close()
    assert heard == [b"data: 2\n\n"]  # the page reloads
    assert said[-1].startswith("built in")
    page = get(preview)
    assert b"Made with digest, edited" in page and scripts(page)
    assert b'seen=2"' in page
    assert preview.check() is False


def test_a_page_that_missed_a_build_hears_of_it_at_once(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, _ = live
    stale = preview.builds.count
    override(project, "site/base.html", "Made with digest", "Made with digest, edited")
    assert preview.check() is True
    assert preview.builds.count == stale + 1
    with urllib.request.urlopen(f"{preview.url}{EVENTS[1:]}?seen={stale}", timeout=10) as r:
        assert r.read() == f"data: {stale + 1}\n\n".encode()


def test_a_build_that_changes_nothing_reloads_nothing(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    (project / "mine" / "unused.txt").write_text("notes")  # a new file in the templates folder
    assert preview.check() is True
    assert "0 file(s) written" in said[-1]
    assert preview.builds.count == 1


def test_a_broken_template_is_said_and_the_last_good_build_stays_served(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    on_disk = (project / "output" / "index.html").read_bytes()
    override(project, "site/base.html", "{% block main %}", "{% block main %}{{ nothing.here(")
    assert preview.check() is True
    assert said[-1].startswith("not built: ") and "base.html" in said[-1]
    assert "\n" not in said[-1]
    # the files as they were; the pages served say why over them, and reload (a build counted)
    assert (project / "output" / "index.html").read_bytes() == on_disk
    assert preview.builds.count == 2
    error = said[-1].removeprefix("not built: ")
    assert get(preview) == with_reload(on_disk, 2, error)
    [banner] = parse_html(get(preview)).find("div", id=OVERLAY_ID)
    assert banner.attrs["role"] == "alert" and "base.html" in banner.text
    assert preview.check() is False  # said once, not at every check
    (project / "mine" / "site" / "base.html").unlink()  # back to the bundled template
    assert preview.check() is True
    assert said[-1].startswith("built in")
    # the same files as before the error: still a build that reloads the pages, without it
    assert preview.builds.count == 3 and get(preview) == with_reload(on_disk, 3)


def test_a_broken_config_is_said_and_the_next_save_builds(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    config = project / "digest.yaml"
    good = config.read_text()
    config.write_text(good.replace("title: ML Paper Digest", "title: [unclosed"))
    assert preview.check() is True
    assert said[-1].startswith("not built: ") and "digest.yaml" in said[-1]
    assert b"digest.yaml" in parse_html(get(preview)).find("div", id=OVERLAY_ID)[0].text.encode()
    assert preview.check() is False
    config.write_text(good.replace("title: ML Paper Digest", "title: Lab Digest"))
    assert preview.check() is True
    assert said[-1].startswith("built in")
    assert b"Lab Digest" in get(preview)


def test_a_source_file_added_to_or_gone_from_a_glob_builds_again(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    first = sorted((project / "feeds" / "pages").glob("*.txt"))[0]
    copy = first.with_name("copied.txt")
    shutil.copy(first, copy)
    assert preview.check() is True
    assert copy in watched(preview.config)
    copy.unlink()
    assert preview.check() is True
    assert copy not in watched(preview.config)
    assert len(said) == 3 and all(line.startswith("built in") for line in said)


def test_a_like_from_another_terminal_and_an_edited_examples_file_build_again(
    live: tuple[Preview, list[str]], project: Path, runner: CliRunner
) -> None:
    preview, said = live
    config = project / "digest.yaml"
    (project / "library.bib").write_text("@misc{a, title = {Nothing the store holds}}\n")
    config.write_text(
        config.read_text().replace("  rl:\n", "  rl:\n    examples: [library.bib]\n", 1)
    )
    assert "examples: [library.bib]" in config.read_text()
    assert preview.check() is True  # the config changed
    assert preview.check() is False
    liked = runner.invoke(main, ["like", "2611.14237", "-t", "rl", "-c", str(config)])
    assert liked.exit_code == 0, liked.output
    assert preview.check() is True  # digest-feedback.tsv appeared
    assert (
        "2611.14237"
        in preview.config.topics[[t.name for t in preview.config.topics].index("rl")].examples
    )
    (project / "library.bib").write_text("@misc{a, title = {Something else}}\n")
    assert preview.check() is True  # the examples file changed
    assert preview.check() is False
    assert all(line.startswith("built in") for line in said), said


def test_serve_on_a_taken_port_is_one_line(project: Path, runner: CliRunner) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        for watch in ("--watch", "--no-watch"):
            if watch == "--no-watch":
                assert (project / "output" / "index.html").is_file()  # built by the first
            result = runner.invoke(
                main,
                ["serve", "-c", str(project / "digest.yaml"), "--port", str(port), watch,
                 "--today", "2026-11-23"],
            )  # fmt: skip
            assert result.exit_code == 1
            assert f"cannot serve on 127.0.0.1:{port}" in result.output
            assert "Traceback" not in result.output
    finally:
        taken.close()


def test_serve_without_watching_needs_a_build(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["serve", "-c", str(project / "digest.yaml"), "--no-watch"])
    assert result.exit_code == 1
    assert "nothing built yet" in result.output


def test_the_serve_command_builds_serves_and_stops_on_ctrl_c(project: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "serve", "-c", str(project / "digest.yaml"),
         "--port", "0", "--today", "2026-11-23"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        built = process.stdout.readline()
        serving = process.stdout.readline()
        assert "built in" in built, built + process.stderr.read() if process.poll() else built
        assert serving.startswith(f"serving {project / 'output'} on http://127.0.0.1:"), serving
        url = serving.split(" on ")[1].split(",")[0]
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read()
        assert b"ML Paper Digest" in page and scripts(page)
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_a_broken_source_is_built_around_and_its_error_said(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    feed = project / "feeds" / "arxiv-cs-lg.xml"
    feed.write_bytes(feed.read_bytes()[:300])  # cut off mid-document
    assert preview.check() is True
    assert said[-1].startswith("built in") and "1 source error(s), the first: " in said[-1]
    assert "arxiv-cs-lg.xml" in said[-1] and "\n" not in said[-1]
    assert b"ML Paper Digest" in get(preview)  # the other sources still make the site


def test_a_config_warning_is_said_when_it_appears_not_at_every_build(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    config = project / "digest.yaml"
    config.write_text(config.read_text() + "colour: blue\n")  # an unknown key: a warning
    assert preview.check() is True
    assert [line for line in said if "colour" in line] == [said[-2]]
    assert said[-2].startswith("warning: ") and said[-1].startswith("built in")
    (project / "mine" / "notes.txt").write_text("an edit that is not the config")
    assert preview.check() is True
    assert len([line for line in said if "colour" in line]) == 1


def test_a_long_session_of_edits_keeps_a_few_template_environments(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    """Each edit asks for a new environment (its templates compiled anew); the old ones must
    not pile up in a preview that runs all day."""
    import gc

    from digest.render.env import ENVIRONMENTS

    preview, said = live
    for n in range(3 * ENVIRONMENTS):
        override(project, "site/base.html", "Made with digest", f"Made with digest, edit {n}")
        assert preview.check() is True
    assert said[-1].startswith("built in")
    assert f"edit {3 * ENVIRONMENTS - 1}".encode() in get(preview)
    gc.collect()
    kept = [o for o in gc.get_objects() if isinstance(o, jinja2.Environment)]
    assert len([e for e in kept if not e.sandboxed]) <= ENVIRONMENTS + 1


def test_a_build_on_render_workers_while_pages_are_being_served(
    live: tuple[Preview, list[str]], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers are forked from the preview's process, whose server thread is answering
    requests meanwhile: neither side may hang, and the pages change."""
    preview, said = live
    preview.workers = 2
    served: list[bytes] = []
    done = threading.Event()

    def browse() -> None:
        while not done.is_set():
            served.append(get(preview, "archive.html"))

    reader = threading.Thread(target=browse)
    reader.start()
    try:
        for n in range(2):
            override(project, "site/base.html", "Made with digest", f"Made with digest {n}")
            assert preview.check() is True
            assert said[-1].startswith("built in") and "4 date(s) rendered" in said[-1]
    finally:
        done.set()
        reader.join(10)
    assert not reader.is_alive() and served
    day = sorted((project / "output" / "days").iterdir())[0].name
    assert b"Made with digest 1" in get(preview, f"days/{day}")


def test_serve_open_hands_the_address_to_the_browser(project: Path, tmp_path: Path) -> None:
    """--open gives the home page's address to the user's browser: here a script named by
    BROWSER (as webbrowser reads it), which writes down what it was asked to open."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "serve", "-c", str(project / "digest.yaml"),
         "--port", "0", "--open", "--today", "2026-11-23"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "BROWSER": f"{browser} %s"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        process.stdout.readline()  # built in ...
        serving = process.stdout.readline()
        url = serving.split(" on ")[1].split(",")[0]
        for _ in range(100):
            if opened.exists() and opened.read_text():
                break
            time.sleep(0.1)
        assert opened.read_text() == url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"ML Paper Digest" in response.read()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)


def test_the_error_banner_is_escaped_text() -> None:
    page = with_reload(
        b"<html><body><p>last good</p></body></html>", 4, '<script>alert(1)</script> & "x"'
    )
    tree = parse_html(page)
    [banner] = tree.find("div", id=OVERLAY_ID)
    assert '<script>alert(1)</script> & "x"' in banner.text
    assert len(scripts(page)) == 1  # the reload script only
    assert page.index(b"last good") < page.index(OVERLAY_ID.encode())


# -- what a page of another site can get from the preview --------------------------------------


def ask(port: int, path: str, host: str | None = "") -> tuple[int, bytes]:
    """GET ``path`` with this Host header ("": the server's own; None: none at all)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        if host is not None:
            connection.putheader("Host", host or f"127.0.0.1:{port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_serve_answers_only_files_inside_the_output(
    live: tuple[Preview, list[str]], project: Path
) -> None:
    preview, said = live
    port = preview.httpd.server_port
    out = project / "output"
    (out / "leak").symlink_to(project / ".digest", target_is_directory=True)
    (out / "config.txt").symlink_to(project / "digest.yaml")
    (out / "latest.html").symlink_to(out / "index.html")  # a link that stays inside: fine
    (out / ".hidden.txt").write_text("hidden")
    (out / "days" / "notes").mkdir()  # a folder without an index
    for path in ("/leak/store.sqlite", "/leak/", "/config.txt", "/.hidden.txt", "/%2e%2e/digest.yaml",
                 "/..%2fdigest.yaml", "/%00", "/index.html%00.txt", "/days/notes/", "/%ff",
                 "/.digest/store-deliveries.sqlite"):  # fmt: skip
        status, body = ask(port, path)
        assert status == 404, (path, status)
        assert b"sqlite" not in body.lower() and b"topics:" not in body
    assert ask(port, "/days/notes")[0] == 301  # then 404: no listing
    assert ask(port, "/latest.html") == (200, get(preview, "index.html"))
    assert ask(port, "/")[0] == 200
    assert said[-1].startswith("built in")  # nothing raised, nothing said


def test_serve_turns_away_requests_for_another_name(live: tuple[Preview, list[str]]) -> None:
    """A page of evil.example whose name its DNS turns into 127.0.0.1 (DNS rebinding) sends
    Host: evil.example:PORT; only the loopback names, with the port, are answered."""
    preview, _ = live
    port = preview.httpd.server_port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        assert ask(port, "/", host)[0] == 200, host
    for host in (f"evil.example:{port}", "evil.example", "127.0.0.1", f"127.0.0.1:{port + 1}",
                 f"127.0.0.1.evil.example:{port}", None):  # fmt: skip
        status, body = ask(port, "/", host)
        assert status == 403 and b"ML Paper Digest" not in body, host


def test_serve_refuses_a_folder_that_holds_the_config_or_state(
    project: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --out . the build refused, but the server started all the same and served the
    delivery log (every subscriber's address) and the config."""
    monkeypatch.chdir(project)
    config = str(project / "digest.yaml")
    assert runner.invoke(main, ["build", "-c", config]).exit_code == 0
    (project / "index.html").write_text("<p>a page beside the config</p>")
    for args in (["--out", str(project)], ["--out", str(project), "--no-watch"],
                 ["--out", ".", "--no-watch"]):  # fmt: skip
        result = runner.invoke(main, ["serve", "-c", config, "--port", "0", *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith(f"Error: not serving: {project} holds ")


def test_idle_connections_are_closed_and_their_threads_bounded(
    project: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest.preview as preview_module

    assert runner.invoke(main, ["build", "-c", str(project / "digest.yaml")]).exit_code == 0
    monkeypatch.setattr(preview_module._Handler, "timeout", 0.5)
    monkeypatch.setattr(preview_module, "MAX_CONNECTIONS", 8)
    httpd = preview_module.server(project / "output", 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    before = threading.active_count()
    idle = []
    try:
        for _ in range(100):  # connections that never send a request
            idle.append(socket.create_connection(("127.0.0.1", httpd.server_port), timeout=5))
        time.sleep(0.3)
        assert threading.active_count() <= before + 8
        deadline = time.monotonic() + 5
        while threading.active_count() > before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert threading.active_count() == before  # each closed after its idle timeout
        status, page = ask(httpd.server_port, "/")
        assert status == 200 and b"ML Paper Digest" in page
    finally:
        for sock in idle:
            sock.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
