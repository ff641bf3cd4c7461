"""URL sources turned into files: polite, bounded HTTP and an on-disk cache of every copy.

Each URL is fetched with connect and read timeouts, a size cap, a deadline for the whole request
(retries and their waits included), conditional GET (ETag / Last-Modified from the store),
retries with exponential backoff and jitter on connection errors, 429 and 5xx (honouring
Retry-After), and a minimum interval between requests to one host. An arXiv API query is paged
until a page brings no id the store does not know.

Every body lands in the cache beside the store (``<state>/cache/<host>-<hash>/<UTC time>/``),
written to a ``.partial`` folder and renamed once complete, so a crash never leaves half a copy
that looks whole. Collect reads the files of a copy like any other source; the store remembers
the newest copy and the last one read without errors (the fallback).

Hosts are fetched in parallel, one thread per host, each host's sources one after another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import queue
import re
import shutil
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, FetchSettings, SourceSpec
from ..config.settings import DATE_FIELD
from ..model import FetchResult
from ..store import Store
from .cache import Cache
from .http import Download, Fetcher, FetchError, Pacer, retry_after, user_agent

__all__ = [
    "Cache", "FetchError", "Fetcher", "Previous", "fetch_many", "fetch_one", "fetch_sources",
    "offline_result", "retry_after", "source_status", "user_agent",
]  # fmt: skip

log = logging.getLogger(__name__)

Known = Callable[[Sequence[str]], set[str]]  # which of these arXiv ids the store already has

_API_ID = re.compile(rb"<id>\s*https?://arxiv\.org/abs/([^<\s]+?)(?:v\d+)?\s*</id>")
API_PAGE_SIZE = 100


def is_arxiv_api(spec: SourceSpec) -> bool:
    """Whether a URL source is an arXiv API query (paged)."""
    if spec.url is None:
        return False
    if spec.format in ("arxiv-api", "arxiv"):
        return True
    parts = urllib.parse.urlsplit(spec.url)
    return (parts.hostname or "").endswith("arxiv.org") and parts.path.rstrip("/").endswith(
        "/api/query"
    )


# -- one source ---------------------------------------------------------------------------------


def _with_params(url: str, **params: int) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
             if k not in params]  # fmt: skip
    query += [(k, str(v)) for k, v in params.items()]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _api_paging(url: str) -> tuple[int, int]:
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    try:
        start = max(0, int(query.get("start", 0)))
        size = max(1, int(query.get("max_results", API_PAGE_SIZE)))
    except ValueError:
        start, size = 0, API_PAGE_SIZE
    return start, size


@dataclass(frozen=True)
class Previous:
    """What the store remembers of a URL: validators and the keys of its newest and last good
    copies."""

    etag: str | None = None
    last_modified: str | None = None
    copy: str | None = None
    good: str | None = None


@dataclass
class _Got:
    """How much of a source has come so far: bytes, pages, attempts."""

    size: int = 0
    pages: int = 0
    attempts: int = 0


def fetch_one(
    spec: SourceSpec,
    fetcher: Fetcher,
    cache: Cache,
    previous: Previous,
    known: Known | None = None,
    now: dt.datetime | None = None,
) -> FetchResult:
    """Fetch one URL source into a new copy (or confirm the cached one with a 304). One
    function, a little over the usual length: every path must finish or remove the copy's
    folder, and they share its state."""
    assert spec.url is not None
    url = spec.url
    started = time.monotonic()
    now = now or dt.datetime.now(dt.UTC)
    newest = cache.copy(url, previous.copy)
    key, partial = cache.start(url, now)
    got = _Got()
    meta: dict[str, object] = {"url": url, "fetched": now.isoformat()}
    result = {"name": spec.name, "url": url, "good": cache.copy(url, previous.good)}
    try:
        if is_arxiv_api(spec):
            _api_pages(spec, fetcher, partial, known, got)
            copy = cache.finish(url, key, partial, meta | {"pages": got.pages, "size": got.size})
            return FetchResult(**result, status="fetched", copy=copy, size=got.size,
                               pages=got.pages, attempts=got.attempts,
                               seconds=time.monotonic() - started)  # fmt: skip
        download = _conditional_get(url, fetcher, partial, previous if newest else Previous())
        if download.status == 304:
            shutil.rmtree(partial, ignore_errors=True)
            return FetchResult(
                **result, status="unchanged", copy=newest, attempts=download.attempts,
                seconds=time.monotonic() - started, etag=download.etag or previous.etag,
                last_modified=download.last_modified or previous.last_modified,
            )  # fmt: skip
        meta |= {
            "final_url": download.final_url, "content_type": download.content_type,
            "etag": download.etag, "last_modified": download.last_modified,
            "size": download.size, "pages": 1,
        }  # fmt: skip
        copy = cache.finish(url, key, partial, meta)
        return FetchResult(
            **result, status="fetched", copy=copy, size=download.size, pages=1,
            attempts=download.attempts, seconds=time.monotonic() - started,
            etag=download.etag, last_modified=download.last_modified,
        )  # fmt: skip
    except FetchError as exc:
        if got.pages:  # an API query failing on a later page: the pages read are kept
            with contextlib.suppress(OSError):
                meta |= {"pages": got.pages, "size": got.size, "incomplete": str(exc)}
                copy = cache.finish(url, key, partial, meta)
                return FetchResult(
                    **result, status="fetched", copy=copy, size=got.size, pages=got.pages,
                    attempts=got.attempts, seconds=time.monotonic() - started,
                    error=f"page {got.pages + 1} failed, the {got.pages} page(s) before it are "
                    f"read: {exc}",
                )  # fmt: skip
        shutil.rmtree(partial, ignore_errors=True)
        return FetchResult(**result, status="failed", error=str(exc), size=got.size,
                           seconds=time.monotonic() - started)  # fmt: skip
    except OSError as exc:  # the cache folder: full disk, permissions
        shutil.rmtree(partial, ignore_errors=True)
        return FetchResult(**result, status="failed",
                           error=f"cannot write the cache: {exc.strerror or exc}")  # fmt: skip


def _api_pages(
    spec: SourceSpec, fetcher: Fetcher, partial: Path, known: Known | None, got: _Got
) -> None:
    """An arXiv API query, page after page into ``partial``, until a page brings no id the
    store does not know, a page comes back short, or ``max_pages`` pages were read."""
    assert spec.url is not None
    start, per_page = _api_paging(spec.url)
    seen: set[str] = set()
    for page in range(1, spec.max_pages + 1):
        page_url = _with_params(spec.url, start=start, max_results=per_page)
        dest = partial / f"page-{page:03d}.body"
        last = fetcher.get(page_url, dest)
        got.size, got.pages, got.attempts = got.size + last.size, page, got.attempts + last.attempts
        ids = [m.decode() for m in _API_ID.findall(dest.read_bytes())]
        fresh = [i for i in dict.fromkeys(ids) if i not in seen]
        seen.update(fresh)
        unknown = set(fresh) - (known(fresh) if known and fresh else set())
        if len(ids) < per_page or not unknown:
            break
        start += per_page


def _conditional_get(url: str, fetcher: Fetcher, partial: Path, previous: Previous) -> Download:
    """GET with the validators of the copy cached (``previous``: none when there is no copy,
    since a 304 would then leave nothing to read)."""
    validators = {}
    if previous.etag:
        validators["If-None-Match"] = previous.etag
    if previous.last_modified:
        validators["If-Modified-Since"] = previous.last_modified
    return fetcher.get(url, partial / "page-001.body", validators)


def offline_result(spec: SourceSpec, cache: Cache, previous: Previous) -> FetchResult:
    """A URL source not fetched this time: its newest cached copy (and the last good one)."""
    assert spec.url is not None
    copies = cache.copies(spec.url)
    newest = cache.copy(spec.url, previous.copy) or (copies[0] if copies else None)
    good = cache.copy(spec.url, previous.good)
    if newest is None:
        return FetchResult(spec.name, spec.url, "failed", good=good,
                           error="offline, and no cached copy (run digest fetch once online)")  # fmt: skip
    return FetchResult(spec.name, spec.url, "offline", copy=newest, good=good)


def fetch_many(
    specs: Sequence[SourceSpec],
    settings: FetchSettings,
    cache: Cache,
    previous: Mapping[str, Previous],
    known: Known | None = None,
    site_url: str | None = None,
    done: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch URL sources, one thread per host (each host's sources in order, paced), and
    return the results in the order of ``specs``. ``done`` is called (on this thread) as each
    source finishes: the caller records it in the store."""
    by_host: dict[str, list[SourceSpec]] = {}
    for spec in specs:
        assert spec.url is not None
        by_host.setdefault(urllib.parse.urlsplit(spec.url).hostname or "", []).append(spec)
    pacer = Pacer(settings)
    finished: queue.Queue[FetchResult] = queue.Queue()

    def run_host(host_specs: list[SourceSpec]) -> None:
        pending = list(host_specs)
        try:
            with Fetcher(settings, pacer, site_url) as fetcher:
                while pending:
                    spec = pending[0]
                    assert spec.url is not None
                    try:
                        result = fetch_one(
                            spec, fetcher, cache, previous.get(spec.url, Previous()), known
                        )
                    except Exception as exc:  # a bug must not stop the other sources
                        log.debug("fetching %s failed", spec.url, exc_info=True)
                        result = FetchResult(spec.name, spec.url, "failed",
                                             error=f"{type(exc).__name__}: {exc}")  # fmt: skip
                    finished.put(result)
                    pending.pop(0)
        finally:  # every source gets a result, or the loop below would wait forever
            for spec in pending:
                finished.put(FetchResult(spec.name, spec.url or "", "failed",
                                         error="not fetched: the fetcher stopped"))  # fmt: skip

    results: dict[str, FetchResult] = {}
    if not by_host:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(by_host)), thread_name_prefix="fetch") as pool:
        for group in by_host.values():
            pool.submit(run_host, group)
        while len(results) < len(specs):
            result = finished.get()
            results[result.name, result.url] = result
            if done:
                done(result)
    return [results[s.name, s.url or ""] for s in specs]


# -- the stage: every URL source of a config, recorded in the store ------------------------------


def fetch_sources(
    config: Config,
    store: Store,
    *,
    today: dt.date,
    offline: bool = False,
    names: Sequence[str] | None = None,
    done: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch the URL sources (those named, or all) into the cache and record each outcome in
    the store; offline, point each at its newest cached copy instead. A URL with ``{date}`` is
    fetched for each day from the last one fetched (again: its list may have grown) up to
    ``today``, at most ``catch_up_days`` of them, so a missed run leaves no hole. ``done``
    hears of each URL as it finishes."""
    days: dict[tuple[str, str], dt.date] = {}  # (source, URL) -> the day its URL names
    specs: list[SourceSpec] = []
    for spec in config.sources:
        if not spec.url or (names is not None and spec.name not in names):
            continue
        if not spec.dated:
            specs.append(spec)
            continue
        for day in _days_to_fetch(spec, store, today):
            url = spec.url.replace(DATE_FIELD, day.isoformat())
            days[spec.name, url] = day
            specs.append(dataclasses.replace(spec, url=url))
    if not specs:
        return []
    cache = Cache(config.cache)
    previous: dict[str, Previous] = {}
    for spec in specs:
        assert spec.url is not None
        row = store.fetch_state(spec.url) or {}
        previous[spec.url] = Previous(
            row.get("etag"), row.get("last_modified"), row.get("copy"), row.get("good")
        )

    def dated(result: FetchResult) -> FetchResult:
        day = days.get((result.name, result.url))
        return result if day is None else dataclasses.replace(result, date=day)

    if offline:
        results = [dated(offline_result(s, cache, previous[s.url or ""])) for s in specs]
        for result in results:
            if done:
                done(result)
        return results

    def record(result: FetchResult) -> None:
        result = dated(result)
        store.record_fetch(
            result.url, result.name, result.status, error=result.error, etag=result.etag,
            last_modified=result.last_modified, copy=result.copy.key if result.copy else None,
            size=result.size, pages=result.pages,
        )  # fmt: skip
        if result.date is not None and not result.failed:
            _fetched_day(store, result.name, result.date)
        before = previous[result.url]
        keep = (result.copy.key if result.copy else before.copy, before.good)
        with contextlib.suppress(OSError):  # an old copy left behind costs only disk
            cache.prune(result.url, config.fetch.keep_days, keep, dt.datetime.now(dt.UTC))
        if done:
            done(result)

    fetched = fetch_many(
        specs, config.fetch, cache, previous, _known(store.path), config.site_url, record
    )
    return [dated(result) for result in fetched]


def _days_to_fetch(spec: SourceSpec, store: Store, today: dt.date) -> list[dt.date]:
    """The days a URL with ``{date}`` is fetched for: from the last one fetched up to
    ``today``, at most ``catch_up_days`` (the latest)."""
    first = today - dt.timedelta(days=spec.catch_up_days - 1)
    last = store.note(f"fetched-day:{spec.name}")
    if last is not None:
        with contextlib.suppress(ValueError):
            first = max(first, dt.date.fromisoformat(last))
    return [first + dt.timedelta(days=n) for n in range((today - first).days + 1)] or [today]


def _fetched_day(store: Store, source: str, day: dt.date) -> None:
    """Remember the latest day a source's dated URL was fetched for."""
    key = f"fetched-day:{source}"
    last = store.note(key)
    if last is None or last < day.isoformat():
        store.set_note(key, day.isoformat())


def _known(path: Path) -> Known:
    """Which arXiv ids the store has (for paging the arXiv API): a read-only connection of its
    own per call, as fetching runs on other threads."""

    def known(ids: Sequence[str]) -> set[str]:
        with Store.reader(path) as store:
            return store.known_ids(ids)

    return known


def source_status(config: Config) -> list[dict[str, object]]:
    """Each configured source with its last fetch (URL sources) and last collect: the rows of
    ``digest sources --json`` (keep the keys stable)."""
    cache = Cache(config.cache)
    rows: list[dict[str, object]] = []
    with Store(config.store) as store:
        runs = store.last_source_runs()
        for spec in config.sources:
            url = spec.url
            if url and spec.dated:  # the URL of the latest day fetched
                day = store.note(f"fetched-day:{spec.name}")
                url = url.replace(DATE_FIELD, day) if day else None
            state = store.fetch_state(url) if url else None
            run = runs.get(spec.name)
            row: dict[str, object] = {
                "name": spec.name,
                "kind": "url" if spec.url else "file",
                "location": spec.url or spec.path,
                "format": spec.format,
                "last_fetch": state["checked"] if state else None,
                "fetch_status": state["status"] if state else None,
                "fetch_error": state["error"] if state else None,
                "cached": None,
                "last_collect": run[0] if run else None,
                "items": run[1] if run else None,
                "new": run[2] if run else None,
                "errors": run[3] if run else None,
            }
            if url and state:
                copy = cache.copy(url, state["good"]) or cache.copy(url, state["copy"])
                row["cached"] = copy.fetched.isoformat(timespec="seconds") if copy else None
            rows.append(row)
    return rows
