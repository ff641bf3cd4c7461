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
import datetime as dt
import email.utils
import hashlib
import json
import logging
import os
import queue
import random
import re
import shutil
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .config import FetchSettings, SourceSpec
from .model import Copy, FetchResult
from .text import size as size_text

log = logging.getLogger(__name__)

Known = Callable[[Sequence[str]], set[str]]  # which of these arXiv ids the store already has
Sleep = Callable[[float], None]

_API_ID = re.compile(rb"<id>\s*https?://arxiv\.org/abs/([^<\s]+?)(?:v\d+)?\s*</id>")
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, "
    "application/x-ndjson;q=0.9, text/html;q=0.8, text/plain;q=0.7, */*;q=0.5"
)
API_PAGE_SIZE = 100

if TYPE_CHECKING:
    import httpx

# httpx (and certifi with it) is imported when a URL is first fetched: 40 ms that a build of
# local files, the common daily case, does not pay at start-up.


class FetchError(Exception):
    """A fetch that failed for good; ``str()`` is the one-line reason."""


class _Retry(Exception):
    """A failure worth another try, after ``after`` seconds if the server said so."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


def user_agent(settings: FetchSettings, site_url: str | None = None) -> str:
    """``digest/0.1.0 (+https://example.org/digest/; mailto:you@example.org)``: the tool, where
    it publishes and whom to contact, as arXiv asks of automated clients."""
    parts = [f"+{site_url}" if site_url else "+https://pypi.org/project/digest/"]
    if settings.contact:
        contact = settings.contact
        parts.append(f"mailto:{contact}" if "@" in contact and ":" not in contact else contact)
    return f"digest/{__version__} ({'; '.join(parts)})"


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


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


# -- pacing: a minimum interval between requests to one host -----------------------------------


class Pacer:
    """Hands out request slots per host, at least ``settings.interval(host)`` apart, across
    threads. ``wait`` returns the seconds it slept."""

    def __init__(self, settings: FetchSettings, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self.sleep = sleep
        self.lock = threading.Lock()
        self.next: dict[str, float] = {}

    def wait(self, host: str) -> float:
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next.get(host, 0.0))
            self.next[host] = slot + self.settings.interval(host)
        if slot > now:
            self.sleep(slot - now)
        return max(0.0, slot - now)


# -- one request, with retries --------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    status: int  # 200, or 304 (not modified: nothing written)
    size: int = 0
    attempts: int = 1
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    final_url: str | None = None


class Fetcher:
    """An HTTP client bound to the fetch settings. Use as a context manager."""

    def __init__(
        self,
        settings: FetchSettings,
        pacer: Pacer | None = None,
        site_url: str | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.settings = settings
        self.pacer = pacer or Pacer(settings, sleep)
        self.sleep = sleep
        import httpx

        self.client = httpx.Client(
            headers={"User-Agent": user_agent(settings, site_url), "Accept": ACCEPT},
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            trust_env=True,  # HTTPS_PROXY / NO_PROXY and SSL_CERT_FILE, as labs often need
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(self, url: str, dest: Path, validators: Mapping[str, str] | None = None) -> Download:
        """GET ``url`` into the file ``dest``; raises :class:`FetchError` with the reason."""
        s = self.settings
        host = urllib.parse.urlsplit(url).hostname or ""
        deadline = time.monotonic() + s.deadline
        delay = s.retry_delay
        attempt = 0
        while True:
            attempt += 1
            deadline += self.pacer.wait(host)  # waiting for our turn is not the server's time
            try:
                found = self._once(url, dest, validators or {}, deadline)
                return replace(found, attempts=attempt)
            except _Retry as exc:
                reason, after = str(exc), exc.after
            if attempt > s.retries:
                tries = f"{attempt} attempts" if attempt > 1 else "1 attempt"
                raise FetchError(f"{reason} ({tries})")
            wait = after if after is not None else delay * random.uniform(0.5, 1.5)
            delay *= 2
            left = deadline - time.monotonic()
            if wait >= left:
                if after is not None:
                    raise FetchError(
                        f"{reason}; the server asked to retry after {after:.0f} s, past the "
                        f"{s.deadline:g} s deadline (fetch.deadline)"
                    )
                raise FetchError(
                    f"{reason}; gave up after {attempt} attempt(s) within the {s.deadline:g} s "
                    "deadline (fetch.deadline)"
                )
            log.debug("%s: %s; retrying in %.1f s", url, reason, wait)
            self.sleep(wait)

    def _once(
        self, url: str, dest: Path, validators: Mapping[str, str], deadline: float
    ) -> Download:
        s = self.settings
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Retry(f"no time left within the {s.deadline:g} s deadline")
        wait = min(s.timeout, left)
        import httpx

        timeout = httpx.Timeout(wait, connect=wait, pool=wait)
        try:
            with self.client.stream("GET", url, headers=dict(validators), timeout=timeout) as r:
                return self._receive(r, dest, deadline)
        except httpx.TooManyRedirects:
            raise FetchError(
                f"more than {s.max_redirects} redirects (a redirect loop?); see fetch.max_redirects"
            ) from None
        except httpx.TimeoutException as exc:
            kind = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for data"
            raise _Retry(f"timed out {kind} (no answer in {wait:.3g} s)") from None
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(
                f"unsupported URL (redirected to a non-HTTP address?): {exc}"
            ) from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the response body: {exc}") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retry(_network_reason(exc)) from None

    def _receive(self, r: httpx.Response, dest: Path, deadline: float) -> Download:
        import httpx

        s = self.settings
        status = r.status_code
        final = str(r.url)
        if status == 304:
            return Download(304, etag=r.headers.get("etag"),
                            last_modified=r.headers.get("last-modified"), final_url=final)  # fmt: skip
        phrase = f"HTTP {status} {r.reason_phrase}".strip()
        if status == 429 or status >= 500:
            raise _Retry(phrase, retry_after(r.headers.get("retry-after")))
        if status >= 300:
            raise FetchError(phrase + (f" from {final}" if final != str(r.request.url) else ""))
        if status != 200:
            raise FetchError(f"{phrase}: expected 200 OK")
        length = r.headers.get("content-length")
        if length and length.isdigit() and int(length) > s.max_size:
            raise FetchError(
                f"the response is {size_text(int(length))}, over the {size_text(s.max_size)} cap "
                "(fetch.max_size)"
            )
        size = 0
        partial = dest.with_name(dest.name + ".part")
        # A body trickling in under the read timeout would outlive the deadline: at the
        # deadline the connection is shut, which ends the read under way at once.
        watchdog = _Watchdog(r, deadline)

        def late() -> FetchError:
            return FetchError(
                f"the response was still arriving after the {s.deadline:g} s deadline "
                f"({size_text(size)} so far; fetch.deadline)"
            )

        try:
            with open(partial, "wb") as out:
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > s.max_size:
                        raise FetchError(
                            f"the response passed the {size_text(s.max_size)} cap (fetch.max_size)"
                        )
                    out.write(chunk)
                    if watchdog.expired():
                        break
                if watchdog.expired():
                    raise late()
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, dest)
        except httpx.HTTPError:
            if watchdog.expired():
                raise late() from None
            raise
        finally:
            watchdog.cancel()
            partial.unlink(missing_ok=True)
        return Download(
            200, size, etag=r.headers.get("etag"), last_modified=r.headers.get("last-modified"),
            content_type=r.headers.get("content-type"), final_url=final,
        )  # fmt: skip


class _Watchdog:
    """Shuts the response's connection down at the deadline (from a timer thread)."""

    def __init__(self, response: httpx.Response, deadline: float) -> None:
        self.deadline = deadline
        stream = response.extensions.get("network_stream")
        self.sock = stream.get_extra_info("socket") if stream is not None else None
        self.timer: threading.Timer | None = None
        if self.sock is not None:
            self.timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
            self.timer.daemon = True
            self.timer.start()

    def _fire(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


def _network_reason(exc: Exception) -> str:
    import httpx

    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the connection or the protocol: {text}"
    return f"network error: {text}"


# -- the cache: one folder per URL, one subfolder per copy ------------------------------------


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H%M%S.%fZ")


def _parse_stamp(key: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(key, "%Y-%m-%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


class Cache:
    """Copies of URL sources under ``root`` (in the state folder, never in the output)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, url: str) -> Path:
        host = re.sub(r"[^\w.-]", "_", urllib.parse.urlsplit(url).hostname or "host")
        return self.root / f"{host}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"

    def copy(self, url: str, key: str | None) -> Copy | None:
        """The complete copy ``key`` of ``url``, if it is still on disk."""
        if not key:
            return None
        folder = self.folder(url) / key
        fetched = _parse_stamp(key)
        if fetched is None or not (folder / "meta.json").is_file():
            return None
        files = tuple(str(p) for p in sorted(folder.glob("page-*.body")))
        return Copy(key, files, fetched) if files else None

    def copies(self, url: str) -> list[Copy]:
        """Every complete copy of ``url``, newest first."""
        folder = self.folder(url)
        if not folder.is_dir():
            return []
        found = (self.copy(url, p.name) for p in folder.iterdir() if p.is_dir())
        return sorted((c for c in found if c), key=lambda c: c.key, reverse=True)

    def start(self, url: str, now: dt.datetime) -> tuple[str, Path]:
        key = _stamp(now)
        partial = self.folder(url) / f"{key}.partial"
        partial.mkdir(parents=True, exist_ok=True)
        return key, partial

    def finish(self, url: str, key: str, partial: Path, meta: Mapping[str, object]) -> Copy:
        """Make a downloaded copy visible: its description last, then one rename."""
        data = json.dumps(dict(meta), indent=1, sort_keys=True).encode()
        with open(partial / "meta.json", "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        final = self.folder(url) / key
        os.replace(partial, final)
        _fsync_dir(final.parent)
        copy = self.copy(url, key)
        assert copy is not None
        return copy

    def prune(self, url: str, keep_days: int, keep: Iterable[str | None], now: dt.datetime) -> int:
        """Remove copies older than ``keep_days``, all but the newest copy of each day, and
        unfinished copies an hour old; never the copies in ``keep`` (the newest and the last
        good). Returns how many were removed."""
        folder = self.folder(url)
        if not folder.is_dir():
            return 0
        kept = {k for k in keep if k}
        cutoff = now - dt.timedelta(days=keep_days)
        removed = 0
        seen_days: set[str] = set()
        for copy in self.copies(url):  # newest first: the first of each day is its newest
            day = copy.key[:10]
            redundant = day in seen_days
            seen_days.add(day)
            if copy.key in kept or not (redundant or copy.fetched < cutoff):
                continue
            shutil.rmtree(folder / copy.key, ignore_errors=True)
            removed += 1
        for path in folder.glob("*.partial"):
            if now.timestamp() - path.stat().st_mtime > 3600:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        return removed


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


def fetch_one(
    spec: SourceSpec,
    fetcher: Fetcher,
    cache: Cache,
    previous: Previous,
    known: Known | None = None,
    now: dt.datetime | None = None,
) -> FetchResult:
    """Fetch one URL source into a new copy (or confirm the cached one with a 304)."""
    assert spec.url is not None
    url = spec.url
    started = time.monotonic()
    now = now or dt.datetime.now(dt.UTC)
    newest = cache.copy(url, previous.copy)
    good = cache.copy(url, previous.good)
    key, partial = cache.start(url, now)
    size = pages = attempts = 0
    result = dict(name=spec.name, url=url, good=good)
    try:
        if is_arxiv_api(spec):
            start, per_page = _api_paging(url)
            seen: set[str] = set()
            last: Download | None = None
            for page in range(1, spec.max_pages + 1):
                page_url = _with_params(url, start=start, max_results=per_page)
                dest = partial / f"page-{page:03d}.body"
                last = fetcher.get(page_url, dest)
                size, pages, attempts = size + last.size, page, attempts + last.attempts
                ids = [m.decode() for m in _API_ID.findall(dest.read_bytes())]
                fresh = [i for i in dict.fromkeys(ids) if i not in seen]
                seen.update(fresh)
                unknown = set(fresh) - (known(fresh) if known and fresh else set())
                if len(ids) < per_page or not unknown:
                    break
                start += per_page
            meta = {"url": url, "pages": pages, "size": size, "fetched": now.isoformat()}
            copy = cache.finish(url, key, partial, meta)
            return FetchResult(**result, status="fetched", copy=copy, size=size, pages=pages,
                               attempts=attempts, seconds=time.monotonic() - started)  # fmt: skip
        validators = {}
        if newest is not None:  # without the body, a 304 would leave nothing to read
            if previous.etag:
                validators["If-None-Match"] = previous.etag
            if previous.last_modified:
                validators["If-Modified-Since"] = previous.last_modified
        got = fetcher.get(url, partial / "page-001.body", validators)
        if got.status == 304:
            shutil.rmtree(partial, ignore_errors=True)
            return FetchResult(
                **result, status="unchanged", copy=newest, attempts=got.attempts,
                seconds=time.monotonic() - started, etag=got.etag or previous.etag,
                last_modified=got.last_modified or previous.last_modified,
            )  # fmt: skip
        meta = {
            "url": url, "final_url": got.final_url, "content_type": got.content_type,
            "etag": got.etag, "last_modified": got.last_modified, "size": got.size, "pages": 1,
            "fetched": now.isoformat(),
        }  # fmt: skip
        copy = cache.finish(url, key, partial, meta)
        return FetchResult(
            **result, status="fetched", copy=copy, size=got.size, pages=1,
            attempts=got.attempts, seconds=time.monotonic() - started, etag=got.etag,
            last_modified=got.last_modified,
        )  # fmt: skip
    except FetchError as exc:
        if pages:  # an API query failing on a later page: the pages read are kept
            with contextlib.suppress(OSError):
                meta = {"url": url, "pages": pages, "size": size, "fetched": now.isoformat(),
                        "incomplete": str(exc)}  # fmt: skip
                copy = cache.finish(url, key, partial, meta)
                return FetchResult(
                    **result, status="fetched", copy=copy, size=size, pages=pages,
                    attempts=attempts, seconds=time.monotonic() - started,
                    error=f"page {pages + 1} failed, the {pages} page(s) before it are read: {exc}",
                )  # fmt: skip
        shutil.rmtree(partial, ignore_errors=True)
        return FetchResult(**result, status="failed", error=str(exc), size=size,
                           seconds=time.monotonic() - started)  # fmt: skip
    except OSError as exc:  # the cache folder: full disk, permissions
        shutil.rmtree(partial, ignore_errors=True)
        return FetchResult(**result, status="failed",
                           error=f"cannot write the cache: {exc.strerror or exc}")  # fmt: skip


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
            results[result.name] = result
            if done:
                done(result)
    return [results[s.name] for s in specs]
