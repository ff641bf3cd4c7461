"""``digest serve``: the built output over HTTP on 127.0.0.1, for a preview."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/rss+xml; charset=utf-8",
        ".opml": "text/x-opml; charset=utf-8",
        ".md": "text/markdown; charset=utf-8",
        ".eml": "message/rfc822",
        ".html": "text/html; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
    }

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def server(folder: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (``port`` 0: any free port); call ``serve_forever``."""
    handler = functools.partial(_Handler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
