"""Fetching URL sources from a real HTTP server on 127.0.0.1 that misbehaves on purpose.

Nothing here reaches beyond 127.0.0.1: every URL is the test server's own.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from digest.cli import main
from digest.config import FetchSettings, SourceSpec, config_from_text, load_config
from digest.errors import ConfigError
from digest.fetch import Cache, Fetcher, FetchError, Previous, fetch_one, retry_after, user_agent

from .conftest import FEEDS, FIXTURES, read
from .http_server import Reply, Server, serving

RSS = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
API = (FIXTURES / "arxiv-api.xml").read_bytes()
HF = (FEEDS / "hf-daily-papers.json").read_bytes()
RSS_IDS = {p.id for p in read(RSS)[0]}  # what the feed reader keeps of the sample

FAST = {"timeout": 2, "deadline": 5, "retries": 3, "retry_delay": 0.05, "min_interval": 0}


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fetcher honours proxy variables (labs need them); the tests talk to 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[Server]:
    with serving() as s:
        yield s


def write_config(root: Path, sources: list[dict], **fetch: object) -> Path:
    settings = {**FAST, **fetch}
    lines = ["title: Fetch test", "sources:"]
    for source in sources:
        lines.append("  - " + json.dumps(source))
    lines.append("fetch: " + json.dumps(settings))
    lines.append("topics:\n  scaling: [scaling law, mixture of experts]")
    path = root / "digest.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(runner: CliRunner, config: Path, *args: str) -> Result:
    return runner.invoke(main, [*args, "-c", str(config)], catch_exceptions=False)


def store_ids(root: Path) -> set[str]:
    with sqlite3.connect(root / ".digest" / "store.sqlite") as db:
        return {r[0] for r in db.execute("SELECT id FROM papers")}


def copies(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".digest" / "cache").glob("*/*") if p.is_dir())


# -- conditional GET, the cache, the report ----------------------------------------------------


def test_fetch_then_304_costs_nothing_and_build_reads_the_copy(
    server: Server, tmp_path: Path, runner: CliRunner
) -> None:
    url = server.route(
        "/rss/cs.LG", Reply(body=RSS, headers={"ETag": '"v1"'}, content_type="application/rss+xml")
    )
    config = write_config(tmp_path, [{"url": url, "name": "cs-lg"}])

    first = run(runner, config, "fetch")
    assert first.exit_code == 0, first.output
    assert re.search(r"cs-lg: fetched \d+ KB", first.output)
    assert "If-None-Match" not in server.hits("/rss/cs.LG")[0].headers
    [copy] = copies(tmp_path)
    assert (copy / "page-001.body").read_bytes() == RSS  # the body as served, byte for byte
    assert json.loads((copy / "meta.json").read_text())["etag"] == '"v1"'

    second = run(runner, config, "fetch")
    assert second.exit_code == 0, second.output
    assert "cs-lg: unchanged (304 Not Modified)" in second.output
    assert server.hits("/rss/cs.LG")[1].headers["If-None-Match"] == '"v1"'
    assert copies(tmp_path) == [copy]  # a 304 writes nothing

    built = run(runner, config, "build")
    assert built.exit_code == 0, built.output
    assert store_ids(tmp_path) == RSS_IDS
    assert len(server.hits("/rss/cs.LG")) == 3  # build fetched (conditionally) first

    listed = run(runner, config, "sources", "--json")
    [row] = [json.loads(line) for line in listed.output.splitlines()]
    assert row["name"] == "cs-lg" and row["kind"] == "url" and row["location"] == url
    assert row["fetch_status"] == "unchanged" and row["fetch_error"] is None
    assert row["items"] == len(RSS_IDS) and row["cached"]
    assert dt.datetime.fromisoformat(row["last_fetch"]).tzinfo is not None


def test_last_modified_alone_is_used_for_conditional_get(server: Server, tmp_path: Path) -> None:
    stamp = "Fri, 20 Nov 2026 08:00:00 GMT"
    url = server.route("/hf.json", Reply(body=HF, headers={"Last-Modified": stamp},
                                         content_type="application/json"))  # fmt: skip
    config = write_config(tmp_path, [{"url": url}])
    runner = CliRunner()
    assert run(runner, config, "fetch").exit_code == 0
    again = run(runner, config, "fetch")
    assert "unchanged" in again.output
    assert server.hits("/hf.json")[1].headers["If-Modified-Since"] == stamp


def test_validators_are_not_sent_when_the_cached_body_is_gone(
    server: Server, tmp_path: Path, runner: CliRunner
) -> None:
    """A 304 with no body on disk would leave nothing to read: ask unconditionally."""
    url = server.route("/feed", Reply(body=RSS, headers={"ETag": '"v1"'}))
    config = write_config(tmp_path, [{"url": url}])
    assert run(runner, config, "fetch").exit_code == 0
    for copy in copies(tmp_path):
        for file in copy.iterdir():
            file.unlink()
        copy.rmdir()
    again = run(runner, config, "fetch")
    assert "fetched" in again.output
    assert "If-None-Match" not in server.hits("/feed")[1].headers
    assert len(copies(tmp_path)) == 1


def test_user_agent_names_the_tool_and_the_contact(server: Server, tmp_path: Path) -> None:
    url = server.route("/feed", Reply(body=RSS))
    config = write_config(tmp_path, [{"url": url}], contact="lab@example.org")
    assert run(CliRunner(), config, "fetch").exit_code == 0
    agent = server.hits("/feed")[0].headers["User-Agent"]
    assert agent.startswith("digest/") and "mailto:lab@example.org" in agent
    assert user_agent(FetchSettings(contact="https://lab.example/contact")).endswith(
        "; https://lab.example/contact)"
    )


# -- retries, backoff, pacing -----------------------------------------------------------------


def test_429_with_retry_after_is_honoured(server: Server, tmp_path: Path) -> None:
    url = server.route(
        "/busy",
        Reply(429, b"slow down", {"Retry-After": "1"}, "text/plain"),
        Reply(body=RSS),
    )
    config = write_config(tmp_path, [{"url": url, "name": "busy"}])
    result = run(CliRunner(), config, "fetch")
    assert result.exit_code == 0, result.output
    assert "busy: fetched" in result.output and "2 attempts" in result.output
    first, second = server.hits("/busy")
    assert second.at - first.at >= 0.95  # waited as asked, not the 0.05 s backoff


def test_500_then_success_is_retried_with_backoff(server: Server, tmp_path: Path) -> None:
    url = server.route(
        "/flaky",
        Reply(500, b"oops", content_type="text/plain"),
        Reply(503, b"oops", content_type="text/plain"),
        Reply(body=RSS),
    )
    config = write_config(tmp_path, [{"url": url}], retry_delay=0.2)
    result = run(CliRunner(), config, "fetch")
    assert result.exit_code == 0, result.output
    hits = server.hits("/flaky")
    assert len(hits) == 3
    first_wait, second_wait = hits[1].at - hits[0].at, hits[2].at - hits[1].at
    assert first_wait >= 0.1 and second_wait >= 0.2  # 0.2 s then 0.4 s, each +-50% jitter


def test_retries_run_out_and_say_so(server: Server, tmp_path: Path) -> None:
    url = server.route("/down", Reply(502, b"bad gateway", content_type="text/plain"))
    config = write_config(tmp_path, [{"url": url, "name": "down"}], retries=2)
    result = run(CliRunner(), config, "fetch")
    assert result.exit_code == 2
    assert "down: FAILED: HTTP 502 Bad Gateway (3 attempts)" in result.output
    assert len(server.hits("/down")) == 3


def test_retry_after_past_the_deadline_gives_up_at_once(server: Server, tmp_path: Path) -> None:
    url = server.route("/later", Reply(503, b"", {"Retry-After": "3600"}, "text/plain"))
    config = write_config(tmp_path, [{"url": url}], deadline=5)
    started = time.monotonic()
    result = run(CliRunner(), config, "fetch")
    assert time.monotonic() - started < 2
    assert "asked to retry after 3600 s, past the 5 s deadline" in result.output
    assert len(server.hits("/later")) == 1


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 120))
    assert 118 <= (retry_after(stamp, now) or 0) <= 121
    assert retry_after("7") == 7.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_one_host_is_paced_other_hosts_are_not_held_up(server: Server, tmp_path: Path) -> None:
    """Two sources on one host wait the host's interval between requests; a source on
    another host (localhost, the same server) goes at once, in parallel."""
    a = server.route("/a", Reply(body=RSS))
    b = server.route("/b", Reply(body=API))
    other = f"http://localhost:{server.port}/c"
    server.route("/c", Reply(body=HF, content_type="application/json"))
    config = write_config(
        tmp_path,
        [{"url": a, "name": "a"}, {"url": b, "name": "b"}, {"url": other, "name": "c"}],
        min_interval=0, hosts={"127.0.0.1": 1.0},
    )  # fmt: skip
    result = run(CliRunner(), config, "fetch")
    assert result.exit_code == 0, result.output
    [first], [second], [third] = server.hits("/a"), server.hits("/b"), server.hits("/c")
    # paced: the second starts a second after the first began, which the server sees less
    # whatever the first's request took to reach it (0.915 s seen once on a loaded machine);
    # unpaced, the two come about 0.01 s apart
    assert second.at - first.at >= 0.75
    assert third.at < second.at  # not held up by the first host's interval (a loaded machine
    # made a fixed bound on it flaky)


def test_arxiv_is_paced_at_3_seconds_by_default() -> None:
    settings = config_from_text("fetch: {min_interval: 0.5}", Path(".")).fetch
    assert settings.interval("export.arxiv.org") == 3.0
    assert settings.interval("rss.arxiv.org") == 3.0
    assert settings.interval("notarxiv.org") == 0.5
    assert settings.deadline == 60.0 and settings.max_size == 20 << 20


# -- bounded: stalls, trickles, huge bodies, redirect loops ---------------------------------------


def test_a_stalled_server_is_given_up_within_the_deadline_and_others_go_on(
    server: Server, tmp_path: Path
) -> None:
    stalled = server.route("/stall", Reply(stall=60))
    good = server.route("/good", Reply(body=RSS))
    config = write_config(
        tmp_path,
        [{"url": stalled, "name": "stalled"}, {"url": good, "name": "good"}],
        timeout=10, deadline=1.5,
    )  # fmt: skip
    started = time.monotonic()
    result = run(CliRunner(), config, "build")
    elapsed = time.monotonic() - started
    assert elapsed < 6, elapsed  # the 10 s read timeout is cut to the 1.5 s deadline
    assert result.exit_code == 2  # no earlier copy of it: an error
    assert re.search(r"stalled: FAILED: timed out waiting for data .*deadline", result.output)
    assert "no earlier copy to fall back on" in result.output
    assert store_ids(tmp_path) == RSS_IDS  # the good source was read and published
    assert (tmp_path / "output" / "index.html").is_file()


def test_a_trickling_body_is_cut_at_the_deadline(server: Server) -> None:
    server.route("/slow", Reply(body=RSS, trickle=0.1))
    settings = FetchSettings(timeout=5, deadline=1.0, retries=0, min_interval=0)
    started = time.monotonic()
    with Fetcher(settings) as fetcher, pytest.raises(FetchError, match="still arriving"):
        fetcher.get(server.url("/slow"), Path("/nonexistent-never-written"))
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "until-close"])
def test_a_body_over_the_cap_is_refused_and_nothing_is_kept(
    server: Server, tmp_path: Path, announced: bool
) -> None:
    body = b"<rss>" + b"x" * 50_000 + b"</rss>"
    url = server.route("/big", Reply(body=body, length=None if announced else -1))
    config = write_config(tmp_path, [{"url": url, "name": "big"}], max_size="10KB")
    result = run(CliRunner(), config, "fetch")
    assert result.exit_code == 2
    assert "cap (fetch.max_size)" in result.output
    assert ("is 49 KB" in result.output) == announced
    assert len(server.hits("/big")) == 1  # not a temporary failure: not retried
    assert copies(tmp_path) == [] and not list((tmp_path / ".digest" / "cache").rglob("*.part*"))


def test_a_redirect_loop_is_stopped(server: Server, tmp_path: Path) -> None:
    server.route("/loop-a", Reply(302, headers={"Location": "/loop-b"}))
    url = server.route("/loop-b", Reply(302, headers={"Location": "/loop-a"}))
    config = write_config(tmp_path, [{"url": url, "name": "loop"}], max_redirects=4)
    result = run(CliRunner(), config, "fetch")
    assert result.exit_code == 2
    assert "more than 4 redirects (a redirect loop?)" in result.output
    assert len(server.hits("/loop-a")) + len(server.hits("/loop-b")) == 5


def test_redirects_within_the_limit_are_followed(server: Server, tmp_path: Path) -> None:
    url = server.route("/old", Reply(301, headers={"Location": "/new"}))
    server.route("/new", Reply(body=RSS))
    config = write_config(tmp_path, [{"url": url, "name": "moved"}])
    assert run(CliRunner(), config, "build").exit_code == 0
    assert store_ids(tmp_path) == RSS_IDS
    [copy] = copies(tmp_path)
    assert json.loads((copy / "meta.json").read_text())["final_url"] == server.url("/new")


def test_a_client_error_is_not_retried(server: Server, tmp_path: Path) -> None:
    url = server.route("/gone", Reply(404, b"no", content_type="text/plain"))
    config = write_config(tmp_path, [{"url": url, "name": "gone"}])
    result = run(CliRunner(), config, "fetch")
    assert "gone: FAILED: HTTP 404 Not Found" in result.output
    assert len(server.hits("/gone")) == 1


def test_nothing_listening_is_a_connection_error(tmp_path: Path) -> None:
    with serving() as s:
        port = s.port  # a port that was just free, and is closed again below
    config = write_config(tmp_path, [{"url": f"http://127.0.0.1:{port}/x", "name": "x"}],
                          retries=1)  # fmt: skip
    result = run(CliRunner(), config, "fetch")
    assert result.exit_code == 2 and "x: FAILED: cannot connect" in result.output


# -- falling back on the last good copy, offline ------------------------------------------------


def test_invalid_bytes_fall_back_on_the_last_good_copy(server: Server, tmp_path: Path) -> None:
    url = server.route(
        "/feed",
        Reply(body=RSS),
        Reply(body=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40),
    )
    config = write_config(tmp_path, [{"url": url, "name": "feed"}])
    runner = CliRunner()
    assert run(runner, config, "build").exit_code == 0
    good_copy = copies(tmp_path)[0].name

    broken = run(runner, config, "build")
    assert broken.exit_code == 0, broken.output  # a warning, not a failure
    assert "binary file" in broken.output
    assert "the last good copy is read too (fetched " in broken.output
    assert store_ids(tmp_path) == RSS_IDS
    with sqlite3.connect(tmp_path / ".digest" / "store.sqlite") as db:
        [(good,)] = db.execute("SELECT good FROM fetches")
    assert good == good_copy  # the unreadable copy is not vouched for


def test_a_failed_fetch_falls_back_and_says_how_stale(server: Server, tmp_path: Path) -> None:
    url = server.route("/feed", Reply(body=RSS), Reply(500, b"", content_type="text/plain"))
    config = write_config(tmp_path, [{"url": url, "name": "feed"}], retries=0)
    runner = CliRunner()
    assert run(runner, config, "build").exit_code == 0
    [copy] = copies(tmp_path)
    old = time.time() - 3 * 86400  # make the good copy three days old
    renamed = copy.with_name(
        time.strftime("%Y-%m-%dT%H%M%S.000000Z", time.gmtime(old))
    )  # the copy's folder name is its fetch time
    copy.rename(renamed)
    with sqlite3.connect(tmp_path / ".digest" / "store.sqlite") as db:
        db.execute("UPDATE fetches SET copy = ?, good = ?", (renamed.name, renamed.name))

    result = run(runner, config, "build")
    assert result.exit_code == 0, result.output
    assert "feed: FAILED: HTTP 500 Internal Server Error (1 attempt)" in result.output
    assert re.search(r"warning: .*HTTP 500.*using the last good copy \(fetched .*3 days old\)",
                     result.output)  # fmt: skip
    listed = run(runner, config, "sources")
    assert "failed" in listed.output and "cached copy from" in listed.output


def test_offline_builds_from_the_cache_without_a_request(tmp_path: Path) -> None:
    runner = CliRunner()
    with serving() as server:
        rss = server.route("/rss", Reply(body=RSS))
        hf = server.route("/hf.json", Reply(body=HF, content_type="application/json"))
        config = write_config(tmp_path, [{"url": rss}, {"url": hf}])
        online = run(runner, config, "build")
        assert online.exit_code == 0, online.output
        requests = len(server.requests)
    ids = store_ids(tmp_path)
    (tmp_path / ".digest" / "store.sqlite").unlink()  # even a lost store is rebuilt offline
    offline = run(runner, config, "build", "--offline")
    assert offline.exit_code == 0, offline.output
    assert "offline: the cached copy" in offline.output
    assert store_ids(tmp_path) == ids and len(server.requests) == requests


def test_offline_without_a_copy_is_an_error_for_that_source_only(
    server: Server, tmp_path: Path
) -> None:
    url = server.route("/rss", Reply(body=RSS))
    (tmp_path / "local.json").write_bytes(HF)
    config = write_config(tmp_path, [{"url": url, "name": "remote"}, {"path": "local.json"}])
    result = run(CliRunner(), config, "collect", "--offline")
    assert result.exit_code == 2
    assert "offline, and no cached copy (run digest fetch once online)" in result.output
    assert server.requests == [] and store_ids(tmp_path)


def test_an_unfinished_copy_is_never_read(server: Server, tmp_path: Path) -> None:
    """A crash mid-download leaves a .partial folder: offline reads the last complete one."""
    url = server.route("/rss", Reply(body=RSS))
    config = write_config(tmp_path, [{"url": url}])
    runner = CliRunner()
    assert run(runner, config, "fetch").exit_code == 0
    [copy] = copies(tmp_path)
    partial = copy.parent / "2999-01-01T000000.000000Z.partial"
    partial.mkdir()
    (partial / "page-001.body").write_bytes(b"<rss><channel><item><title>half")
    result = run(runner, config, "collect", "--offline")
    assert result.exit_code == 0, result.output
    assert store_ids(tmp_path) == RSS_IDS


# -- the arXiv API, paged ----------------------------------------------------------------------


def api_page(ids: list[str]) -> bytes:
    """An arXiv API response holding these ids (the fixture's first entry, re-numbered)."""
    head, rest = API.split(b"<entry>", 1)
    entry = b"<entry>" + rest.split(b"</entry>", 1)[0] + b"</entry>"
    entries = [entry.replace(b"2611.14201", i.encode()).replace(b"Sparse", f"P{i}".encode())
               for i in ids]  # fmt: skip
    return head + b"\n".join(entries) + b"\n</feed>\n"


def test_the_arxiv_api_is_paged_until_a_page_brings_nothing_new(
    server: Server, tmp_path: Path
) -> None:
    pages = {
        0: ["2611.00001", "2611.00002"],
        2: ["2611.00003", "2611.00004"],
        4: ["2611.00005", "2611.00006"],
        6: ["2611.00007"],
    }
    requested: list[int] = []

    def answer(start: int) -> bytes:
        requested.append(start)
        return api_page(pages.get(start, []))

    for start in pages:
        server.route(f"/api/query?search_query=cat%3Acs.LG&start={start}&max_results=2",
                     Reply(body=answer(start), content_type="application/atom+xml"))  # fmt: skip
    url = server.url("/api/query?search_query=cat:cs.LG&max_results=2")
    config = write_config(tmp_path, [{"url": url, "name": "api", "format": "arxiv-api"}])
    runner = CliRunner()
    first = run(runner, config, "build")
    assert first.exit_code == 0, first.output
    assert "api: fetched" in first.output and "4 pages" in first.output
    assert store_ids(tmp_path) == {i for ids in pages.values() for i in ids}

    # Everything on the first page is known now: one request, no more.
    second = run(runner, config, "fetch")
    assert second.exit_code == 0 and "api: fetched" in second.output
    starts = [re.search(r"start=(\d+)", r.path)[1] for r in server.requests]  # type: ignore[index]
    assert starts == ["0", "2", "4", "6", "0"]


def test_a_later_api_page_failing_keeps_the_pages_before_it(server: Server, tmp_path: Path) -> None:
    server.route(
        "/api/query?start=0&max_results=2", Reply(body=api_page(["2611.00001", "2611.00002"]))
    )
    server.route("/api/query?start=2&max_results=2", Reply(500, b"", content_type="text/plain"))
    url = server.url("/api/query?max_results=2")
    config = write_config(tmp_path, [{"url": url, "name": "api", "format": "arxiv-api"}],
                          retries=0)  # fmt: skip
    result = run(CliRunner(), config, "build")
    assert result.exit_code == 0, result.output
    assert "page 2 failed, the 1 page(s) before it are read: HTTP 500" in result.output
    assert store_ids(tmp_path) == {"2611.00001", "2611.00002"}


def test_max_pages_bounds_the_paging(server: Server, tmp_path: Path) -> None:
    for start in range(0, 20, 2):
        ids = [f"2611.{start + 1:05d}", f"2611.{start + 2:05d}"]
        server.route(f"/api/query?start={start}&max_results=2", Reply(body=api_page(ids)))
    url = server.url("/api/query?max_results=2")
    config = write_config(tmp_path, [{"url": url, "format": "arxiv-api", "max_pages": 3}])
    assert run(CliRunner(), config, "fetch").exit_code == 0
    assert len(server.requests) == 3


# -- the pieces on their own ---------------------------------------------------------------


def test_prune_keeps_the_newest_per_day_and_the_good_copy(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    url = "http://127.0.0.1/feed"
    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    keys = []
    for when in [now - dt.timedelta(days=40), now - dt.timedelta(days=35),
                 now - dt.timedelta(days=2, hours=3), now - dt.timedelta(days=2), now]:  # fmt: skip
        key, partial = cache.start(url, when)
        (partial / "page-001.body").write_bytes(b"x")
        cache.finish(url, key, partial, {"url": url})
        keys.append(key)
    removed = cache.prune(url, keep_days=30, keep=[keys[-1], keys[0]], now=now)
    assert removed == 2  # 35 days old, and the earlier copy of two days ago
    assert [c.key for c in cache.copies(url)] == [keys[4], keys[3], keys[0]]


def test_fetch_one_reports_failure_without_raising(server: Server, tmp_path: Path) -> None:
    server.route("/x", Reply(418, b"teapot", content_type="text/plain"))
    spec = SourceSpec(name="x", url=server.url("/x"))
    settings = FetchSettings(retries=0, min_interval=0)
    with Fetcher(settings) as fetcher:
        result = fetch_one(spec, fetcher, Cache(tmp_path), Previous())
    assert result.failed and result.copy is None and "HTTP 418" in (result.error or "")
    assert not list(tmp_path.rglob("*.body"))


def test_url_source_config_is_validated(tmp_path: Path) -> None:
    text = """
sources:
  - url: ftp://example.org/feed
  - {url: "https://example.org/a", path: a.xml}
  - url: https://example.org/feed.xml
    max_pages: 0
fetch:
  max_size: lots
  timeout: -1
  hosts: {"bad host!": 2}
  contact: "a\\nb"
"""
    with pytest.raises(ConfigError) as caught:
        config_from_text(text, tmp_path)
    problems = "\n".join(caught.value.problems)
    assert "sources[0].url: expected an http:// or https:// URL" in problems
    assert "sources[1]: give either path: (a file) or url: (fetched), not both" in problems
    assert "sources[2].max_pages: must be at least 1" in problems
    assert "fetch.max_size: expected a size such as 20MB" in problems
    assert "fetch.timeout: must be at least 0.01" in problems
    assert "fetch.hosts.bad host!: expected a host name" in problems
    assert "fetch.contact: expected one line" in problems
    ok = config_from_text(
        "sources: [{url: 'https://rss.arxiv.org/rss/cs.CL'}]\nfetch: {max_size: 1.5 MiB}",
        tmp_path,
    )
    assert ok.sources[0].name == "cs.CL" and ok.fetch.max_size == int(1.5 * (1 << 20))


def test_the_cache_is_beside_the_store_never_in_the_output(tmp_path: Path) -> None:
    (tmp_path / "digest.yaml").write_text("store: state/db.sqlite\noutput: public\n")
    config = load_config(tmp_path / "digest.yaml")
    assert config.cache == (tmp_path / "state" / "cache").resolve()
    assert not config.cache.is_relative_to(config.output)


def test_fetch_names_an_unknown_source(tmp_path: Path, server: Server) -> None:
    config = write_config(tmp_path, [{"url": server.url("/a"), "name": "a"}])
    result = CliRunner().invoke(main, ["fetch", "-c", str(config), "--source", "nope"])
    assert result.exit_code == 1
    assert "no URL source named 'nope' (URL sources: a)" in result.output


def test_parse_reads_a_url_as_a_source_and_keeps_no_cache(
    server: Server, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest parse URL` fetches it as a URL source would be (one request, a User-Agent) and
    reads it by its detected format; nothing is left behind, in the folder or the temp dir."""
    feed = (FEEDS / "arxiv-cs-lg.xml").read_bytes()
    url = server.route("/rss/cs.LG", Reply(body=feed))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["parse", "--json", "--today", "2026-11-23", url])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 7 and {r["source"] for r in rows} == {"cs.LG"}
    assert rows[0]["id"].startswith("26") and rows[0]["url"].startswith("https://arxiv.org/")
    hits = server.hits("/rss/cs.LG")
    assert len(hits) == 1 and hits[0].headers["User-Agent"].startswith("digest/")
    assert list(tmp_path.iterdir()) == []
    gone = server.route("/gone", Reply(status=404))
    failed = runner.invoke(main, ["parse", gone])
    assert failed.exit_code == 2
    assert f"error: {gone}: HTTP 404 Not Found\n" in failed.output


def hf_day(day: str, ids: list[str]) -> bytes:
    """A /api/daily_papers answer for ``day``: each paper put on the list that day."""
    return json.dumps([
        {"paper": {"id": i, "title": f"Scaling laws, paper {i}", "summary": "A scaling law.",
                   "publishedAt": f"{day}T00:00:00.000Z", "submittedOnDailyAt": f"{day}T10:00:00.000Z",
                   "authors": [{"name": "Ada Lovelace"}], "upvotes": 3},
         "publishedAt": f"{day}T00:00:00.000Z", "title": f"Scaling laws, paper {i}"}
        for i in ids
    ]).encode()  # fmt: skip


def test_a_url_with_a_date_catches_up_on_the_days_a_run_missed(
    server: Server, runner: CliRunner, tmp_path: Path
) -> None:
    """A URL with {date} is fetched for each day from the last one fetched (again: its list
    may have grown) up to --today, at most catch_up_days of them; each day's papers are that
    day's, and `digest sources` shows the latest day's fetch."""
    days = {f"2026-11-{d}": [f"2611.{d}00{n}" for n in range(2)] for d in range(18, 27)}
    for day, ids in days.items():
        server.route(f"/api/daily_papers?date={day}", Reply(body=hf_day(day, ids),
                     content_type="application/json", headers={"ETag": f'"{day}"'}))  # fmt: skip
    template = server.url("/api/daily_papers?date={date}")
    config = write_config(tmp_path, [{"url": template, "name": "hf", "catch_up_days": 3}])
    result = run(runner, config, "collect", "--today", "2026-11-23")
    assert result.exit_code == 0, result.output
    asked = [r.path.split("=")[1] for r in server.requests]
    assert asked == ["2026-11-21", "2026-11-22", "2026-11-23"]  # the first run: three days
    assert "hf (2026-11-21): fetched" in result.output
    # a day missed: from the last day fetched (asked again, a 304) up to today
    result = run(runner, config, "collect", "--today", "2026-11-25")
    assert result.exit_code == 0, result.output
    asked = [r.path.split("=")[1] for r in server.requests][3:]
    assert asked == ["2026-11-23", "2026-11-24", "2026-11-25"]
    assert "hf (2026-11-23): unchanged" in result.output
    dates = run(runner, config, "dates", "--json")
    assert [json.loads(line) for line in dates.output.splitlines()] == [
        {"date": f"2026-11-{d}", "papers": 2} for d in range(21, 26)
    ]
    rows = json.loads(run(runner, config, "sources", "--json").output.splitlines()[0])
    assert rows["location"] == template and rows["fetch_status"] == "fetched"
    # a week away: at most catch_up_days, the latest
    run(runner, config, "collect", "--today", "2026-12-05")
    assert [r.path.split("=")[1] for r in server.requests][6:] == [
        "2026-12-03", "2026-12-04", "2026-12-05"
    ]  # fmt: skip


def test_a_url_may_hold_no_field_but_date(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\]\.url: the only field a URL may hold"):
        config_from_text("sources:\n  - url: https://x.org/api?day={day}\n", tmp_path)
    config = config_from_text("sources:\n  - url: https://x.org/api/daily_papers?date={date}\n",
                              tmp_path)  # fmt: skip
    assert config.sources[0].name == "daily_papers" and config.sources[0].dated
