"""The static site: a page per date, the home page (the latest date), one page per topic (its
papers over the latest dates), the archive and the stylesheet. Relative links only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import RankedDay, ScoredPaper
from . import DatePieces, Output, Rendered, Site, paths, register
from .env import render, render_with


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


def topic_sections(day: RankedDay, site: Site) -> dict[str, str]:
    """The date's section of each topic page that lists it (``topic:<name>``)."""
    pieces = {}
    for topic in site.topics:
        papers = day.sections.get(topic.name)
        if papers:
            slug = site.slugs[topic.name]
            pieces[f"topic:{topic.name}"] = render(
                site.env, "site/topic_day.html", site=site, page=paths.topic_page(slug),
                topic=topic, slug=slug, day=day, papers=papers,
            )  # fmt: skip
    return pieces


def summary_pages(
    latest: RankedDay | None, recent: Sequence[DatePieces], site: Site
) -> list[Rendered]:
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
        path = paths.topic_page(slug)
        name = f"topic:{topic.name}"
        sections = [pieces[name] for _, pieces in recent if name in pieces]
        data = render_with(
            site.env, "site/topic.html", "sections", sections,
            site=site, page=path, topic=topic, slug=slug,
        )  # fmt: skip
        out.append(Rendered(path, "page", data, topic=topic.name))
    return out


register(
    Output(
        "site",
        day=day_page,
        summary=summary_pages,
        pieces=topic_sections,
        links=True,
        templates=("site/day.html", "site/topic_day.html"),
    )
)
