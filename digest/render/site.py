"""The static site: a page per date, the home page (the latest date), one page per topic (its
papers over the latest dates), the archive and the stylesheet. Relative links only."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from ..model import RankedDay, ScoredPaper
from . import Fragments, Output, Rendered, Site, paths, register
from .env import render


def page(site: Site, template: str, path: str, **context: Any) -> bytes:
    return render(site.env, template, site=site, page=path, **context).encode()


def placed(day: RankedDay | None) -> dict[str, list[tuple[ScoredPaper, bool]]]:
    """Each topic section's papers, each with whether it is shown in full there: a paper is
    shown once on a page (the highlights first, then its first section), later a link to it."""
    if day is None:
        return {}
    shown = {s.paper.id for s in day.highlights}
    out: dict[str, list[tuple[ScoredPaper, bool]]] = {}
    for name, papers in day.sections.items():
        out[name] = [(s, s.paper.id not in shown) for s in papers]
        shown.update(s.paper.id for s in papers)
    return out


def day_page(day: RankedDay, site: Site) -> list[Rendered]:
    path = paths.day_page(day.date)
    previous, following = site.neighbours(day.date)
    data = page(
        site, "site/day.html", path, day=day, placed=placed(day), previous=previous, next=following
    )
    return [Rendered(path, "page", data, day.date)]


def summary_pages(recent: Sequence[RankedDay], site: Site, fragments: Fragments) -> list[Rendered]:
    latest = recent[0] if recent else None
    out = [
        Rendered(
            paths.INDEX,
            "page",
            page(site, "site/index.html", paths.INDEX, day=latest, placed=placed(latest)),
        ),
        Rendered(paths.ARCHIVE, "page", page(site, "site/archive.html", paths.ARCHIVE)),
        Rendered(paths.STYLE, "asset", page(site, "site/style.css", paths.STYLE)),
    ]
    for topic in site.topics:
        slug = site.slugs[topic.name]
        days = [(d, d.sections[topic.name]) for d in recent if d.sections.get(topic.name)]
        path = paths.topic_page(slug)
        sections = [
            Markup(fragments.get(day.date, f"topic:{topic.name}", functools.partial(
                render, site.env, "site/topic_day.html",
                site=site, page=path, topic=topic, slug=slug, day=day, papers=papers,
            )))
            for day, papers in days
        ]  # fmt: skip
        data = page(
            site, "site/topic.html", path, topic=topic, slug=slug, days=days, sections=sections
        )
        out.append(Rendered(path, "page", data, topic=topic.name))
    return out


register(Output("site", day=day_page, summary=summary_pages))
