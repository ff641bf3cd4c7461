"""The static site: a page per date, the home page (the latest date in full, the days before it
in short), one page per topic (its papers over the latest dates), the archive (every date, by
month), a page of the feeds, the search page and the stylesheet. Relative links only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import RankedDay, ScoredPaper
from . import DateInfo, DatePieces, Output, Rendered, Site, paths, register
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


@dataclass
class Month:
    """A month of the archive: its first day, its dates (newest first) and their counts."""

    first: dt.date
    dates: list[DateInfo] = field(default_factory=list)
    papers: int = 0
    highlights: int = 0


@dataclass
class Year:
    year: int
    months: list[Month] = field(default_factory=list)
    dates: int = 0
    papers: int = 0


def archive_years(dates: Sequence[DateInfo]) -> list[Year]:
    """The archive's dates (newest first) by year and month, newest first."""
    years: list[Year] = []
    for d in dates:
        if not years or years[-1].year != d.date.year:
            years.append(Year(d.date.year))
        year = years[-1]
        if not year.months or year.months[-1].first.month != d.date.month:
            year.months.append(Month(d.date.replace(day=1)))
        month = year.months[-1]
        month.dates.append(d)
        month.papers += d.papers
        month.highlights += d.highlights
        year.dates += 1
        year.papers += d.papers
    return years


def day_page(day: RankedDay, site: Site) -> list[Rendered]:
    path = paths.day_page(day.date)
    previous, following = site.neighbours(day.date)
    data = page(
        site, "site/day.html", path, day=day, placed=placed(day), previous=previous, next=following
    )
    return [Rendered(path, "page", data, day.date)]


def date_pieces(day: RankedDay, site: Site) -> dict[str, str]:
    """The date's pieces of the pages that list many dates: its section of each topic page
    that lists it (``topic:<name>``) and its short section of the home page (``home``)."""
    pieces = {"home": render(site.env, "site/home_day.html", site=site, page=paths.INDEX, day=day)}
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
    earlier = [p["home"] for date, p in recent[1 : max(site.home_days, 1)] if "home" in p]
    index = render_with(
        site.env, "site/index.html", "earlier", earlier,
        site=site, page=paths.INDEX, day=latest, placed=placed(latest),
    )  # fmt: skip
    out = [
        Rendered(paths.INDEX, "page", index),
        Rendered(
            paths.ARCHIVE,
            "page",
            page(site, "site/archive.html", paths.ARCHIVE, years=archive_years(site.dates)),
        ),
        Rendered(paths.STYLE, "asset", page(site, "site/style.css", paths.STYLE)),
    ]
    if site.builds("feeds"):
        out.append(
            Rendered(paths.SUBSCRIBE, "page", page(site, "site/subscribe.html", paths.SUBSCRIBE))
        )
    if site.search:
        out += [
            Rendered(paths.SEARCH, "page", page(site, "site/search.html", paths.SEARCH)),
            Rendered(
                paths.SEARCH_SCRIPT, "asset", page(site, "site/search.js", paths.SEARCH_SCRIPT)
            ),
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
        pieces=date_pieces,
        links=True,
        templates=("site/day.html", "site/topic_day.html", "site/home_day.html"),
    )
)
