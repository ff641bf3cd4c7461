"""``digest serve``: the output over HTTP on 127.0.0.1, for a preview.

With a config (:class:`Preview`), the digest is built first and built again whenever the config,
a template of its templates folder or a local source file changes; the pages open in a browser
then reload themselves. That takes a few lines of script, added to each page as it is served:
the files on disk have none (the site needs no JavaScript), and a page served by anything else
has none either.

What it serves, a page of any site open in the same browser may ask for too, so it serves
little: regular files inside the output folder once links are resolved (no folder listings, no
hidden names such as ``.digest``), only to requests addressed to a loopback name with the
server's port (a page of another site that rebinds its own name to 127.0.0.1 is turned away);
it refuses to start on a folder that holds the config, the store or other state; and idle
connections are closed after :data:`IDLE_TIMEOUT` s, at most :data:`MAX_CONNECTIONS` at once
(a thousand idle connections held a thousand threads forever).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import http.server
import re
import stat
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import Config, load_config
from .errors import DigestError

# where a page asks for builds; no output file can be here (output paths start with a letter
# or digit: writer.check_path)
EVENTS = "/.digest/events"
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
SHUTDOWN_POLL = 0.05
IDLE_TIMEOUT = 10.0  # seconds a connection may wait for (the rest of) a request
MAX_CONNECTIONS = 64  # connections served at once (each a thread); more are closed at once
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


class Builds:
    """The number of builds that changed what a page shows (its files, or whether the last
    build failed: ``error``, its one line), and a wait for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self.error: str | None = None
        self.closed = False
        self._changed = threading.Condition()

    def add(self, error: str | None = None) -> None:
        with self._changed:
            self.count += 1
            self.error = error
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """The count once it is no longer ``seen`` (or after ``timeout`` s, or when closed)."""
        with self._changed:
            self._changed.wait_for(lambda: self.count != seen or self.closed, timeout)
            return self.count

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


def reload_script(seen: int) -> bytes:
    """Reloads the page once a build after the ``seen``-th has changed the output."""
    return (
        b"<script>/* added by digest serve (not in the built file): reload after a build */\n"
        b'new EventSource("' + EVENTS.encode() + b"?seen=" + str(seen).encode() + b'")'
        b".onmessage = function () { location.reload(); };\n</script>\n"
    )


OVERLAY_ID = "digest-serve-error"


def error_overlay(error: str) -> bytes:
    """A banner over the page saying the last build failed, and why (one line, escaped): the
    page under it is the last good build."""
    style = (
        "position:fixed;top:0;left:0;right:0;z-index:2147483647;margin:0;padding:.75em 1em;"
        "background:#b00020;color:#fff;font:15px/1.4 system-ui,sans-serif;"
        "box-shadow:0 2px 8px rgba(0,0,0,.35);overflow-wrap:anywhere"
    )
    plain = "color:inherit;background:none;padding:0;margin:0;font-size:inherit"  # not the site's
    return (
        f'<div id="{OVERLAY_ID}" role="alert" style="{style}">'
        f'<span style="{plain};font-weight:bold">Not built:</span> '
        f'<span style="{plain};font-family:ui-monospace,monospace">{html.escape(error)}</span>'
        f'<br><span style="{plain};font-size:13px;opacity:.9">digest serve shows the last good '
        "build; save a fix and this page reloads.</span></div>\n"
    ).encode()


def with_reload(page: bytes, seen: int, error: str | None = None) -> bytes:
    """``page`` with :func:`reload_script` before its last ``</body>`` (or at its end), and the
    banner of a failed build (``error``) before that."""
    ends = list(_BODY_END.finditer(page))
    at = ends[-1].start() if ends else len(page)
    banner = error_overlay(error) if error else b""
    return page[:at] + banner + reload_script(seen) + page[at:]


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        # what static hosts say of a .xml file: a browser then applies the feed's stylesheet
        # (as application/rss+xml, Chromium shows the feed as text); readers take either
        ".xml": "application/xml; charset=utf-8",
        ".opml": "text/x-opml; charset=utf-8",
        ".md": "text/markdown; charset=utf-8",
        ".eml": "message/rfc822",
        ".html": "text/html; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
    }
    timeout = IDLE_TIMEOUT

    def __init__(self, *args: object, builds: Builds | None = None, **kwargs: object) -> None:
        self.builds = builds
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # handles the request

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        if not self._addressed_here():
            self.send_error(403, "digest serve answers requests for 127.0.0.1 or localhost only")
            return
        path = urllib.parse.urlsplit(self.path).path
        if self.builds is not None and path == EVENTS and body:
            self._events()
            return
        found = self._file(path)
        if found is None:
            self.send_error(404)
        elif found == "folder":  # a folder's own URL ends with "/" (its links are relative)
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(found, body)

    def _addressed_here(self) -> bool:
        """Whether the request names this server as loopback does: ``Host`` one of
        :data:`LOOPBACK` with the server's port (another name resolving here is a page of
        another site, DNS rebinding)."""
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in {f"{name}:{port}" for name in LOOPBACK} or (port == 80 and host in LOOPBACK)

    def _file(self, path: str) -> Path | str | None:
        """The regular file inside the folder a URL path names (a folder's ``index.html``), once
        links are resolved; ``"folder"`` for a folder's URL without its final ``/``; ``None``
        for anything else: outside, hidden, missing, not a file."""
        try:
            parts = [p for p in urllib.parse.unquote(path, errors="strict").split("/") if p]
        except UnicodeDecodeError:
            return None
        if any(p.startswith(".") or "\0" in p or "\\" in p for p in parts):
            return None  # hidden names (.digest, .git), "..", NUL
        root = Path(self.directory)
        try:
            real = root.joinpath(*parts).resolve(strict=True)
            if not real.is_relative_to(root):
                return None
            if real.is_dir():
                if not path.endswith("/"):
                    return "folder"
                real = (real / "index.html").resolve(strict=True)
                if not real.is_relative_to(root):
                    return None
            return real if stat.S_ISREG(real.stat().st_mode) else None
        except (OSError, RuntimeError, ValueError):
            return None

    def _send(self, file: Path, body: bool) -> None:
        try:
            data = file.read_bytes()
        except OSError:
            self.send_error(404)
            return
        kind = self.guess_type(str(file))
        if self.builds is not None and file.suffix == ".html":
            data = with_reload(data, self.builds.count, self.builds.error)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self) -> None:
        """Server-sent events: one ``data`` line when a build after the page's has changed the
        output (the page then reloads), a comment every 15 s meanwhile."""
        assert self.builds is not None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        try:
            seen = int(query.get("seen", [""])[0])
        except ValueError:
            seen = self.builds.count
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            while not self.builds.closed:
                count = self.builds.wait(seen, 15)
                if count != seen:
                    self.wfile.write(f"data: {count}\n\n".encode())
                    self.wfile.flush()
                    return
                self.wfile.write(b": waiting for a build\n\n")
                self.wfile.flush()
        except OSError:  # the page is gone
            return


class _Server(http.server.ThreadingHTTPServer):
    """At most ``limit`` connections served at once; one more is closed at once."""

    daemon_threads = True
    request_queue_size = 128  # connections waiting to be taken (socketserver's 5 made a burst wait)

    def __init__(self, address: tuple[str, int], handler: Any, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client gone mid-answer: nothing to tell anyone


def private_files(folder: Path, config: Config | None = None) -> str | None:
    """Why ``folder`` must not be served: it holds the config, the store or other state (all of
    a served folder is readable by any page open in the browser); ``None`` when it may be."""
    folder = folder.resolve()
    if config is not None and (why := config.output_problem(folder)) is not None:
        return why
    for name in (".digest", "digest.yaml", "digest.yml"):
        if (folder / name).exists():
            return f"{folder} holds {name}: serve the output folder only"
    return None


def server(
    folder: Path, port: int = 8000, builds: Builds | None = None, config: Config | None = None
) -> http.server.ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (``port`` 0: any free port); call ``serve_forever``. With
    ``builds``, its pages reload after each build counted there. A folder that holds the
    config or state (:func:`private_files`) is refused."""
    if (why := private_files(folder, config)) is not None:
        raise DigestError(f"not serving: {why}")
    handler = functools.partial(_Handler, directory=str(folder.resolve()), builds=builds)
    return _Server(("127.0.0.1", port), handler, MAX_CONNECTIONS)


Stamp = dict[str, tuple[int, int] | None]  # path -> (mtime in ns, size), None: missing


def watched(config: Config) -> list[Path]:
    """What a build reads that a user edits: the config file and the feedback file beside it
    (``digest like`` in another terminal), the topics' example and avoid files, every file of
    the templates folder, the files of each local source (a glob as it matches now)."""
    from .examples import example_files
    from .inputs import expand
    from .render.env import folder_files

    found: list[Path] = [config.file, config.feedback] if config.file else []
    found += sorted({path for _, path in example_files(config.topics)})
    if config.templates is not None and config.templates.is_dir():
        found += folder_files(config.templates)
    for spec in config.sources:
        if spec.path and not spec.url:
            try:
                found += expand(spec.path, config.root)
            except DigestError:  # not there yet: the build says so
                continue
    return found


def stamp(paths: list[Path]) -> Stamp:
    out: Stamp = {}
    for path in paths:
        try:
            st = path.stat()
            out[str(path)] = (st.st_mtime_ns, st.st_size)
        except OSError:
            out[str(path)] = None
    return out


class Preview:
    """``digest serve``: builds (offline: URL sources from their cached copies), serves the
    output folder, and builds again when :func:`watched` files change (:meth:`check`, or
    :meth:`run` to check every ``interval`` s). ``say`` gets a line per build or failure."""

    def __init__(
        self,
        config: Config,
        out: Path | None,
        port: int,
        say: Callable[[str], None],
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.config = config
        self.out = (out or config.output).resolve()
        self.say = say
        self.today = today
        self.builds = Builds()
        self.workers: int | None = None  # processes for many dates (None: one per core)
        self._seen: Stamp = {}
        if (why := private_files(self.out, config)) is not None:
            raise DigestError(f"not serving: {why}")
        self.build()
        self.httpd = server(self.out, port, self.builds, config)
        # the server thread looks for a shutdown every SHUTDOWN_POLL s (socketserver's own
        # 0.5 s made every close, and every test's teardown, wait that long)
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/"

    @property
    def watching(self) -> int:
        """How many files the last build was stamped with (see :func:`watched`)."""
        return len(self._seen)

    def build(self) -> bool:
        """Build once; ``False`` (and a line said) when the config or the build failed: open
        pages then reload with a banner that says why, over the last good build, until a
        build succeeds. The files it reads are stamped first: one changed during the build
        makes another."""
        from .pipeline import build

        config = self.config
        if self._seen and config.file is not None:
            try:
                config = load_config(config.file)
            except DigestError as exc:
                self._seen = stamp(watched(self.config))
                return self._failed(str(exc))
            for warning in config.warnings:
                if warning not in self.config.warnings:  # said when that config was loaded
                    self.say(f"warning: {config.file}: {warning}")
        self._seen = stamp(watched(config))
        self.config = config
        start = time.perf_counter()
        try:
            report = build(config, self.today(), out=self.out, offline=True, workers=self.workers)
        except DigestError as exc:
            return self._failed(str(exc))
        except Exception as exc:  # a bug: say it and keep serving the last good build
            return self._failed(f"{type(exc).__name__}: {exc}")
        written = report.written
        if written.written or written.removed or self.builds.error is not None:
            self.builds.add()
        if written.orphans:
            from .pipeline import orphans_warning

            self.say(f"warning: {orphans_warning(written.orphans, self.out, config.store)}")
        errors = [e for s in report.collected.sources for e in s.errors]
        self.say(
            f"built in {time.perf_counter() - start:.2f} s: {len(report.rendered_dates)} date(s) "
            "rendered, "
            f"{len(written.written)} file(s) written, {len(written.removed)} removed"
            + (f"; {len(errors)} source error(s), the first: {errors[0]}" if errors else "")
        )
        return True

    def _failed(self, error: str) -> bool:
        line = " ".join(error.split())
        self.say(f"not built: {line}")
        if self.builds.error != line:
            self.builds.add(line)
        return False

    def check(self) -> bool:
        """Build again if a watched file changed since the last build; whether it did."""
        if stamp(watched(self.config)) == self._seen:
            return False
        self.build()
        return True

    def run(self, interval: float = 0.5) -> None:
        """Check every ``interval`` s until interrupted."""
        while True:
            time.sleep(interval)
            self.check()

    def close(self) -> None:
        self.builds.close()
        self.httpd.shutdown()
        self.httpd.server_close()
