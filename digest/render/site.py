"""The static site: a page per date, the home page (the latest date), one page per topic (its
papers over the latest dates), the archive and the stylesheet. Relative links only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import RankedDay
from . import Output, Rendered, Site, paths, register


def page(site: Site, template: str, path: str, **context: Any) -> bytes:
    return site.env.get_template(template).render(site=site, page=path, **context).encode()


def day_page(day: RankedDay, site: Site) -> list[Rendered]:
    path = paths.day_page(day.date)
    previous, following = site.neighbours(day.date)
    data = page(site, "site/day.html", path, day=day, previous=previous, next=following)
    return [Rendered(path, "page", data, day.date)]


def summary_pages(recent: Sequence[RankedDay], site: Site) -> list[Rendered]:
    latest = recent[0] if recent else None
    out = [
        Rendered(paths.INDEX, "page", page(site, "site/index.html", paths.INDEX, day=latest)),
        Rendered(paths.ARCHIVE, "page", page(site, "site/archive.html", paths.ARCHIVE)),
        Rendered(paths.STYLE, "asset", page(site, "site/style.css", paths.STYLE)),
    ]
    for topic in site.topics:
        slug = site.slugs[topic.name]
        days = [(d, d.sections[topic.name]) for d in recent if d.sections.get(topic.name)]
        path = paths.topic_page(slug)
        data = page(site, "site/topic.html", path, topic=topic, slug=slug, days=days)
        out.append(Rendered(path, "page", data, topic=topic.name))
    return out


register(Output("site", day=day_page, summary=summary_pages))
