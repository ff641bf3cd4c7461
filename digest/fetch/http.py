"""Polite, bounded HTTP: connect and read timeouts, a size cap, a deadline for the whole
request (retries and their waits included), retries with exponential backoff and jitter on
connection errors, 429 and 5xx (honouring Retry-After), and a minimum interval between requests
to one host."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import os
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import FetchSettings
from ..text import size as size_text
from ..version import __version__

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, "
    "application/x-ndjson;q=0.9, text/html;q=0.8, text/plain;q=0.7, */*;q=0.5"
)

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
        """A response's status judged and its body streamed into ``dest`` within the size cap
        and the deadline."""
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
        _check_length(r.headers.get("content-length"), s.max_size)
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


def _check_length(length: str | None, cap: int) -> None:
    """Refuse a body whose announced length is over the cap before reading it."""
    if length and length.isdigit() and int(length) > cap:
        raise FetchError(
            f"the response is {size_text(int(length))}, over the {size_text(cap)} cap "
            "(fetch.max_size)"
        )


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
