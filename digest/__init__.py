"""digest: turn the daily stream of new research-paper abstracts into a newsletter."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_config"]


def __getattr__(name: str) -> Any:
    """``digest.load_config``, imported on first use: the ``digest`` program imports this
    package before anything else, and loads the rest with the garbage collector off."""
    if name == "load_config":
        from .config import load_config

        return load_config
    raise AttributeError(f"module 'digest' has no attribute {name!r}")
