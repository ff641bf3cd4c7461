"""Errors shown to users as one line (click prints ``Error: <message>``), never a traceback."""

from __future__ import annotations

import click


def brief(text: str, limit: int = 300) -> str:
    """``text`` as one line of at most ``limit`` characters (an error quoting a whole abstract,
    or a page of a file, is cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class DigestError(click.ClickException):
    """Any failure a user can act on. ``str()`` is the one-line message."""

    exit_code = 1


class ConfigError(DigestError):
    """The config file is missing, not YAML, or has values of the wrong kind."""

    def __init__(self, problems: list[str] | str, path: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        where = f"{path}: " if path else ""
        if len(self.problems) == 1:
            message = where + self.problems[0]
        else:
            message = where + f"{len(self.problems)} problems: " + "; ".join(self.problems)
        super().__init__(message)


class SourceError(DigestError):
    """A source that cannot be read at all (missing, empty, binary, unrecognised, not well-formed)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


class StoreError(DigestError):
    """The store file cannot be opened or written."""


class PartialFailure(DigestError):
    """The job finished, but some sources failed: the exit status says so."""

    exit_code = 2


class TemplateProblem(DigestError):
    """A template (ours, or one of the user's overriding it) that cannot be rendered."""
