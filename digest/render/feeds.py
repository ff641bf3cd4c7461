"""RSS 2.0 feeds of the highlights of the latest dates (one for all topics, one per topic) and an
OPML file listing them. Valid by the W3C validator's rules: a guid that never changes for a
paper, RFC 822 dates, ``atom:link rel="self"``, ``lastBuildDate`` from the newest item (the same
input gives the same bytes), no XML-illegal characters (the environment strips them), no CDATA.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import RankedDay, ScoredPaper
from . import Fragments, Output, Rendered, Site, paths, register
from .env import render

Item = tuple[ScoredPaper, str | None]


def topic_items(recent: Sequence[RankedDay], site: Site, topic: str) -> list[Item]:
    """A topic's feed: per date, the papers scoring at least ``min_score`` on that topic, at most
    ``highlights.total`` of them, best first; newest date first."""
    items: list[Item] = []
    for day in recent:
        papers = [s for s in day.sections.get(topic, ()) if s.topics[topic] >= site.rules.min_score]
        items += [(s, topic) for s in papers[: site.rules.total]]
    return items


def feed(
    site: Site, path: str, title: str, description: str, items: list[Item], fragments: Fragments
) -> bytes:
    env = site.env
    item_template = env.get_template("feeds/item.html")

    def item_html(s: ScoredPaper) -> str:
        """The item's HTML, escaped once more by the XML template (the reader unescapes).
        The same in every feed (they all are in ``feeds/``): rendered once per paper, with
        ``page`` the main feed, and kept with the paper's date."""
        return fragments.get(s.paper.date, f"item:{s.paper.id}", lambda: item_template.render(
            site=site, s=s, page=paths.FEED_ALL
        ).strip())  # fmt: skip

    xml = render(
        env,
        "feeds/rss.xml",
        site=site,
        page=path,
        feed_title=title,
        description=description,
        self_url=site.site_url + path,
        items=items,
        item_html=item_html,
    )
    return xml.encode()


def summary_feeds(recent: Sequence[RankedDay], site: Site, fragments: Fragments) -> list[Rendered]:
    everything = [(s, s.topic) for day in recent for s in day.highlights]
    out = [
        Rendered(
            paths.FEED_ALL,
            "rss",
            feed(site, paths.FEED_ALL, f"{site.title}: highlights",
                 f"The daily highlights of {site.title}", everything, fragments),
        )
    ]  # fmt: skip
    listed = [(f"{site.title}: highlights", site.site_url + paths.FEED_ALL)]
    for topic in site.topics:
        path = paths.topic_feed(site.slugs[topic.name])
        title = f"{site.title}: {topic.name}"
        description = topic.description or f"New papers on {topic.name}"
        items = topic_items(recent, site, topic.name)
        data = feed(site, path, title, description, items, fragments)
        out.append(Rendered(path, "rss", data, topic=topic.name))
        listed.append((title, site.site_url + path))
    opml = render(site.env, "feeds/feeds.opml", site=site, page=paths.OPML, feeds=listed)
    out.append(Rendered(paths.OPML, "opml", opml.encode()))
    return out


register(Output("feeds", summary=summary_feeds))
