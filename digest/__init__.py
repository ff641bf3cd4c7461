"""digest: turn the daily stream of new research-paper abstracts into a newsletter.

The library's public API: :func:`load_config` and :func:`build` (``digest build``), imported
on first use (the ``digest`` program imports this package before anything else, and loads the
rest with the garbage collector off)."""

from __future__ import annotations

from typing import Any

from .version import __version__

__all__ = ["__version__", "build", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "load_config":
        from .config import load_config

        return load_config
    if name == "build":
        from .pipeline import build

        return build
    raise AttributeError(f"module 'digest' has no attribute {name!r}")
