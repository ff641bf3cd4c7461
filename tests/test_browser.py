"""The site in a real browser: headless Chromium driven through chromedriver (W3C WebDriver over
HTTP on 127.0.0.1, no client library), the home page at phone and desktop widths: a screenshot
each, and no horizontal scroll; and a page `digest serve` serves reloading after a build."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import build_project


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebDriver:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.session = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["value"]

    def start(self, browser: str) -> None:
        options = {"binary": browser, "args": ["--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", "--hide-scrollbars"]}  # fmt: skip
        value = self.call(
            "POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}}
        )
        self.session = value["sessionId"]

    def __call__(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call(method, f"/session/{self.session}{path}", body)


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    browser = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not (browser and chromedriver):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver must be installed in CI (.ci/run does)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    port = _free_port()
    process = subprocess.Popen(
        [chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wd = WebDriver(port)
    try:
        for _ in range(100):
            try:
                if wd.call("GET", "/status")["ready"]:
                    break
            except OSError:
                time.sleep(0.1)
        wd.start(browser)
        yield wd
        wd("DELETE", "")
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_home_page_fits_phone_and_desktop_widths(
    driver: WebDriver, project: Path, width: int, tmp_path: Path
) -> None:
    build_project(project)
    driver("POST", "/window/rect", {"width": width, "height": 900})
    for page in ["index.html", "days/2026-08-12.html", "topics/optimization.html", "archive.html",
                 "subscribe.html", "search.html"]:  # fmt: skip
        driver("POST", "/url", {"url": (project / "output" / page).as_uri()})
        inner, scroll, css = driver("POST", "/execute/sync", {"script": (
            "return [window.innerWidth, document.documentElement.scrollWidth,"
            " getComputedStyle(document.body).maxWidth === 'none' &&"
            " document.styleSheets.length > 0]"
        ), "args": []})  # fmt: skip
        assert css, f"{page}: the stylesheet did not load from disk"
        assert abs(inner - width) <= 20, (page, inner)
        assert scroll <= inner, f"{page} at {width}px scrolls sideways: {scroll} > {inner}"
        if page == "index.html":
            png = base64.b64decode(driver("GET", "/screenshot"))
            assert png.startswith(b"\x89PNG")
            (tmp_path / f"home-{width}.png").write_bytes(png)
            # the PNG's own width is the viewport's (times the device pixel ratio)
            assert int.from_bytes(png[16:20], "big") >= inner


def test_a_page_open_in_the_browser_reloads_after_digest_serve_builds_again(
    driver: WebDriver, project: Path
) -> None:
    from digest.config import load_config
    from digest.preview import Preview

    config = project / "digest.yaml"
    config.write_text(config.read_text().replace("title: ML Paper Digest", "title: Before"))
    live = Preview(load_config(config), None, 0, lambda line: None, lambda: dt.date(2026, 11, 23))
    try:
        driver("POST", "/url", {"url": live.url})
        driver("POST", "/execute/sync", {"script": "window.stale = true; return 1", "args": []})
        config.write_text(config.read_text().replace("title: Before", "title: After"))
        assert live.check()
        deadline, title, stale = time.monotonic() + 15, "", True
        while time.monotonic() < deadline:
            # an error: asked while the page was being replaced; ask again
            with contextlib.suppress(urllib.error.HTTPError):
                title, stale = driver("POST", "/execute/sync", {
                    "script": "return [document.title, window.stale === true]", "args": []
                })  # fmt: skip
            if not stale:
                break
            time.sleep(0.1)
        assert not stale, "the page did not reload"
        assert title.startswith("After"), title
    finally:
        live.close()


def test_the_first_tab_shows_a_link_that_skips_to_the_papers(
    driver: WebDriver, project: Path
) -> None:
    build_project(project)
    driver("POST", "/window/rect", {"width": 375, "height": 900})
    driver("POST", "/url", {"url": (project / "output" / "index.html").as_uri()})

    def state() -> list[Any]:
        return driver("POST", "/execute/sync", {"script": (  # type: ignore[no-any-return]
            "const e = document.activeElement, r = e.getBoundingClientRect();"
            " return [e.tagName, e.className, e.id, r.left, r.right, location.hash]"
        ), "args": []})  # fmt: skip

    tag, kind, _, left, right, _ = state()
    assert (tag, kind) == ("BODY", "")
    skip = driver("POST", "/element", {"using": "css selector", "value": "a.skip"})
    (element,) = skip.values()
    rect = driver("GET", f"/element/{element}/rect")
    assert rect["x"] + rect["width"] <= 0  # out of sight until focused
    key = "\ue004"  # Tab
    driver("POST", "/actions", {"actions": [{"type": "key", "id": "k", "actions": [
        {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})  # fmt: skip
    tag, kind, _, left, right, _ = state()
    assert (tag, kind) == ("A", "skip") and 0 <= left < right <= 375
    enter = "\ue007"
    driver("POST", "/actions", {"actions": [{"type": "key", "id": "k", "actions": [
        {"type": "keyDown", "value": enter}, {"type": "keyUp", "value": enter}]}]})  # fmt: skip
    tag, _, ident, _, _, where = state()
    assert (tag, ident, where) == ("MAIN", "main", "#main")


def test_a_failed_build_shows_over_the_page_until_the_next_good_one(
    driver: WebDriver, project: Path
) -> None:
    """`digest serve`: an open page reloads after a failed build with a banner saying why,
    over the last good build, and loses it after the next good build."""
    from digest.config import load_config
    from digest.preview import OVERLAY_ID, Preview

    config = project / "digest.yaml"
    good = config.read_text()
    live = Preview(load_config(config), None, 0, lambda line: None, lambda: dt.date(2026, 11, 23))

    def banner(expected: bool) -> tuple[str, dict[str, Any]]:
        """The banner's text and box once it is (or is not) there."""
        script = (
            f"const e = document.getElementById({OVERLAY_ID!r});"
            " if (!e) return null; const r = e.getBoundingClientRect();"
            " return [e.innerText, {top: r.top, width: r.width, height: r.height,"
            " visible: getComputedStyle(e).visibility === 'visible'}]"
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(urllib.error.HTTPError):
                found = driver("POST", "/execute/sync", {"script": script, "args": []})
                if (found is not None) == expected:
                    return found or ("", {})
            time.sleep(0.1)
        raise AssertionError(f"the banner is {'not ' if expected else ''}there")

    try:
        driver("POST", "/window/rect", {"width": 375, "height": 900})
        driver("POST", "/url", {"url": live.url})
        banner(expected=False)
        config.write_text(good.replace("title: ML Paper Digest", "title: [unclosed"))
        assert live.check()
        text, box = banner(expected=True)
        assert text.startswith("Not built:") and "digest.yaml" in text and "line 3" in text
        assert box["top"] == 0 and box["visible"] and box["height"] > 20
        assert box["width"] <= 375  # no sideways scroll on a phone
        title = driver("POST", "/execute/sync", {"script": "return document.title", "args": []})
        assert title.startswith("ML Paper Digest")  # under it, the last good build
        config.write_text(good.replace("title: ML Paper Digest", "title: Fixed"))
        assert live.check()
        banner(expected=False)
    finally:
        live.close()
