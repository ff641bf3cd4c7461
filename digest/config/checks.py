"""The checks every value of the config goes through: each problem is collected with its key
path and line, not raised, so that one run reports them all."""

from __future__ import annotations

import datetime as dt
import difflib
import math
from pathlib import Path
from typing import Any

from .lines import KeyPath, key_path

# the largest number a setting takes unless it declares its own ``maximum``: a weight of 1e308
# made every score infinite, and .inf or .nan no comparison catches
MAX_NUMBER = 1e9


class Checker:
    """Collects every problem (and warning) of a config, each with its key path and line."""

    def __init__(self, lines: dict[KeyPath, int], root: Path) -> None:
        self.lines = lines
        self.root = root
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def line(self, path: KeyPath) -> int | None:
        """The YAML line of ``path``, else of its nearest ancestor that has one (a key that is
        missing is reported at its parent: ``rl: []`` has no ``keywords`` line)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def fail(self, path: KeyPath, message: str) -> None:
        line = self.line(path)
        self.problems.append(f"{key_path(path)}: {message}" + (f" (line {line})" if line else ""))

    def note(self, message: str) -> None:
        """A warning of no key of the config (of a file beside it)."""
        self.warnings.append(message)

    def warn(self, path: KeyPath, message: str) -> None:
        line = self.line(path)
        self.warnings.append(f"{key_path(path)}: {message}" + (f" (line {line})" if line else ""))

    def mapping(self, value: Any, path: KeyPath, known: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {kind_of(value)}")
            return {}
        for key in value:
            if not isinstance(key, str):
                self.fail(path + (key,), "keys must be strings")
            elif key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.warn(path + (key,), f"unknown key{hint} (known: {', '.join(sorted(known))})")
        return value

    def string(self, value: Any, path: KeyPath, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.fail(path, "required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(path, f"expected a non-empty string, got {kind_of(value)}")
            return None
        return value

    def number(
        self,
        value: Any,
        path: KeyPath,
        default: float,
        *,
        minimum: float = 0,
        maximum: float = MAX_NUMBER,
        integer: bool = False,
    ) -> Any:
        if value is None:
            return default
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            self.fail(
                path,
                f"expected {'a whole number' if integer else 'a number'}, got {kind_of(value)}",
            )
            return default
        if not math.isfinite(value):
            self.fail(path, f"expected a finite number, got {value}")
            return default
        if value < minimum:
            self.fail(path, f"must be at least {minimum}, got {value}")
            return default
        if value > maximum:
            self.fail(path, f"must be at most {maximum:,.0f}, got {value:g}")
            return default
        return value

    def strings(self, value: Any, path: KeyPath, *, non_empty: bool = False) -> tuple[str, ...]:
        if value is None:
            if non_empty:
                self.fail(path, "required: a list of strings")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(path, f"expected a list of strings, got {kind_of(value)}")
            return ()
        out = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
            else:
                got = "an empty string" if isinstance(item, str) else kind_of(item)
                self.fail(path + (index,), f"expected a non-empty string, got {got}")
        if non_empty and not value:
            self.fail(path, "must not be empty")
        return tuple(out)

    def flag(self, value: Any, path: KeyPath, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(path, f"expected true/false, got {kind_of(value)}")
            return default
        return value

    def date(self, value: Any, path: KeyPath) -> dt.date | None:
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f"expected a date YYYY-MM-DD, got {value!r}")
        return None


def kind_of(value: Any) -> str:
    """What a value is, in words: ``a list``, ``a number``, ``true/false``."""
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), f"a {type(value).__name__}")
