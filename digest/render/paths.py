"""Where each output lives in the output folder (relative, '/'-separated). Dates are ISO dates
and topics are slugs of letters, digits and '-', so no input can name a path outside it."""

from __future__ import annotations

import datetime as dt

INDEX = "index.html"
ARCHIVE = "archive.html"
STYLE = "style.css"
FEED_ALL = "feeds/all.xml"
RESERVED_SLUGS = frozenset({"all"})  # a topic named "All" must not write over FEED_ALL
OPML = "feeds/feeds.opml"
FEED_STYLE = "feeds/feed.xsl"  # how a browser shows a feed
SUBSCRIBE = "subscribe.html"  # the site's page of feeds: how to subscribe
SEARCH = "search.html"
SEARCH_SCRIPT = "search.js"
SEARCH_INDEX = "pagefind"  # the folder digest.search.index_site writes
MARKDOWN_INDEX = "markdown/README.md"


def day_page(date: dt.date) -> str:
    return f"days/{date.isoformat()}.html"


def topic_page(slug: str) -> str:
    return f"topics/{slug}.html"


def topic_feed(slug: str) -> str:
    return f"feeds/{slug}.xml"


def markdown(date: dt.date) -> str:
    return f"markdown/{date.isoformat()}.md"


def email(date: dt.date, ext: str) -> str:
    return f"email/{date.isoformat()}.{ext}"
