"""A real HTTP server on 127.0.0.1 for the fetch tests, scripted to misbehave on purpose.

Each path has a list of responses served in turn (the last one repeats). A response is a
:class:`Reply`: a status, headers and a body, and optionally a way to go wrong: ``stall`` (send
nothing for that many seconds), ``trickle`` (send the body a byte at a time, that many seconds
apart), ``length`` (announce a Content-Length other than the body's). ETag and Last-Modified are
honoured: a request with a matching If-None-Match or If-Modified-Since gets a 304.

Every request is logged with its time, path and headers, so tests can check what the client
sent and how long it waited between tries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml"
    stall: float = 0.0
    trickle: float = 0.0
    length: int | None = None  # None: the body's; -1: no Content-Length (ends at the close)
    conditional: bool = True  # answer 304 to matching validators


@dataclass
class Request:
    at: float
    path: str
    headers: dict[str, str]


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []
        self.release = threading.Event()  # ends every stall at teardown
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no Content-Length: the body ends at the close

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> str:
        self.routes[path] = list(replies)
        return self.url(path)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self.lock:
            self.requests.append(Request(time.monotonic(), path, dict(handler.headers.items())))
            replies = self.routes.get(path) or self.routes.get(path.split("?")[0])
            if not replies:
                reply = Reply(404, b"not found", content_type="text/plain")
            else:
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if reply.stall:
            self.release.wait(reply.stall)
            return
        headers = {"Content-Type": reply.content_type, **reply.headers}
        if reply.conditional and reply.status == 200:
            etag = headers.get("ETag")
            modified = headers.get("Last-Modified")
            asked_etag = handler.headers.get("If-None-Match")
            asked_since = handler.headers.get("If-Modified-Since")
            if (etag and asked_etag == etag) or (modified and not etag and asked_since == modified):
                handler.send_response(304)
                for name in ("ETag", "Last-Modified"):
                    if name in headers:
                        handler.send_header(name, headers[name])
                handler.end_headers()
                return
        handler.send_response(reply.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if reply.length is not None:
            if reply.length >= 0:
                handler.send_header("Content-Length", str(reply.length))
        elif not reply.trickle:
            handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        try:
            if reply.trickle:
                for byte in reply.body:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    if self.release.wait(reply.trickle):
                        return
            else:
                handler.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up: that is what some tests want


@contextmanager
def serving() -> Iterator[Server]:
    server = Server()
    server.thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.httpd.shutdown()
        server.httpd.server_close()
