"""The Markdown digest of each date: highlights, one section per topic, then the count of the
rest. Reads well as a GitHub page; input can neither inject HTML nor Markdown syntax."""

from __future__ import annotations

from ..model import RankedDay
from . import Output, Rendered, Site, paths, register
from .env import render


def day_markdown(day: RankedDay, site: Site) -> list[Rendered]:
    path = paths.markdown(day.date)
    text = render(site.env, "markdown/day.md", site=site, day=day, page=path)
    return [Rendered(path, "markdown", text.encode(), day.date)]


register(Output("markdown", day=day_markdown, templates=("markdown/day.md",)))
