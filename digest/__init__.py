"""digest: turn the daily stream of new research-paper abstracts into a newsletter."""

from __future__ import annotations

__version__ = "0.1.0"

from .config import load_config

__all__ = ["__version__", "load_config"]
