"""RSS 2.0 feeds of the highlights of the latest dates (one for all topics, one per topic) and an
OPML file listing them. Valid by the W3C validator's rules: a guid that never changes for a
paper, RFC 822 dates, ``atom:link rel="self"``, ``lastBuildDate`` from the newest item (the same
input gives the same bytes), no XML-illegal characters (the environment strips them), no CDATA.
Each feed links to its own page (a topic's feed to the topic's page) and names an XSL
stylesheet (``feeds/feed.xsl``), with which a browser shows it as a page saying how to follow
it; feed readers ignore it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import RankedDay, ScoredPaper
from . import DatePieces, Output, Rendered, Site, paths, register
from .env import render, render_with


def topic_items(day: RankedDay, site: Site, topic: str) -> list[ScoredPaper]:
    """A topic's feed items of one date: the papers scoring at least ``min_score`` on that
    topic, at most ``highlights.total`` of them, best first."""
    papers = [s for s in day.sections.get(topic, ()) if s.topics[topic] >= site.rules.min_score]
    return papers[: site.rules.total]


def feed_items(day: RankedDay, site: Site) -> dict[str, str]:
    """The date's <item> elements of each feed that lists it (``rss:<feed path>``): the
    highlights in the main feed, each topic's best papers in the topic's feed."""
    env = site.env
    made: dict[str, str] = {}

    def item(s: ScoredPaper) -> str:  # the same in every feed: made once per paper
        if s.paper.id not in made:
            html = env.get_template("feeds/item.html").render(site=site, s=s, page=paths.FEED_ALL)
            made[s.paper.id] = render(
                env, "feeds/item.xml", site=site, s=s, page=paths.FEED_ALL, description=html.strip()
            )
        return made[s.paper.id]

    feeds = {paths.FEED_ALL: list(day.highlights)} | {
        paths.topic_feed(site.slugs[t.name]): topic_items(day, site, t.name) for t in site.topics
    }
    return {f"rss:{path}": "".join(map(item, papers)) for path, papers in feeds.items() if papers}


def feed(
    site: Site,
    path: str,
    title: str,
    description: str,
    recent: Sequence[DatePieces],
    link: str | None = None,
) -> bytes:
    name = f"rss:{path}"
    dated = [(date, pieces[name]) for date, pieces in recent if name in pieces]
    return render_with(
        site.env,
        "feeds/rss.xml",
        "items",
        [items for _, items in dated],
        site=site,
        page=path,
        feed_title=title,
        description=description,
        self_url=site.site_url + path,
        link=link or site.site_url,
        updated=dated[0][0] if dated else None,
    )


def summary_feeds(
    latest: RankedDay | None, recent: Sequence[DatePieces], site: Site
) -> list[Rendered]:
    out = [
        Rendered(
            paths.FEED_ALL,
            "rss",
            feed(site, paths.FEED_ALL, f"{site.title}: highlights",
                 f"The daily highlights of {site.title}", recent),
        )
    ]  # fmt: skip
    # (title, feed URL, the URL of the page it follows)
    listed = [(f"{site.title}: highlights", site.site_url + paths.FEED_ALL, site.site_url)]
    for topic in site.topics:
        slug = site.slugs[topic.name]
        path = paths.topic_feed(slug)
        title = f"{site.title}: {topic.name}"
        description = topic.description or f"New papers on {topic.name}"
        page = site.site_url + paths.topic_page(slug) if site.builds("site") else site.site_url
        out.append(
            Rendered(
                path, "rss", feed(site, path, title, description, recent, page), topic=topic.name
            )
        )
        listed.append((title, site.site_url + path, page))
    opml = render(site.env, "feeds/feeds.opml", site=site, page=paths.OPML, feeds=listed)
    out.append(Rendered(paths.OPML, "opml", opml.encode()))
    style = render(site.env, "feeds/feed.xsl", site=site, page=paths.FEED_STYLE)
    out.append(Rendered(paths.FEED_STYLE, "asset", style.encode()))
    return out


register(
    Output(
        "feeds",
        summary=summary_feeds,
        pieces=feed_items,
        templates=("feeds/item.html", "feeds/item.xml"),
    )
)
