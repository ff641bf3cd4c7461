"""The Markdown digest of each date: highlights, one section per topic, then the count of the
rest; and the folder's README.md (the latest highlights, every date). Reads well as a GitHub page;
input can neither inject HTML nor Markdown syntax."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import RankedDay
from . import DatePieces, Output, Rendered, Site, paths, register
from .env import render


def day_markdown(day: RankedDay, site: Site) -> list[Rendered]:
    path = paths.markdown(day.date)
    text = render(site.env, "markdown/day.md", site=site, day=day, page=path)
    return [Rendered(path, "markdown", text.encode(), day.date)]


def markdown_index(
    latest: RankedDay | None, recent: Sequence[DatePieces], site: Site
) -> list[Rendered]:
    """``markdown/README.md``: GitHub shows it below the list of the folder's files (which
    it sorts oldest first)."""
    path = paths.MARKDOWN_INDEX
    text = render(site.env, "markdown/index.md", site=site, latest=latest, page=path)
    return [Rendered(path, "markdown-index", text.encode())]


register(
    Output("markdown", day=day_markdown, summary=markdown_index, templates=("markdown/day.md",))
)
