"""JSON Feed (jsonfeed.org, versions 1 and 1.1): ``{"version": "https://jsonfeed.org/version/1.1",
"title", "items": [...]}``, as some services publish Hugging Face's daily papers.

An item gives ``id``, ``url`` (or ``external_url``), ``title``, ``content_text`` or
``content_html`` (HTML reduced to text), ``summary``, ``date_published`` (else ``date_modified``),
``authors`` (1.1: a list of objects with ``name``) or ``author`` (1.0: one object) and ``tags``
(the categories). The abstract is the content, else the summary. The arXiv id is the one the
item's ``id``, ``url`` or ``external_url`` names (``https://huggingface.co/papers/2506.14965``),
else the title is the identity and the item's ``id`` is kept as ``extra["source_id"]``.

Scraped Hugging Face pages put the paper's "AI-generated summary" before its abstract in the
content (``<summary> AI-generated summary <abstract>``): only the abstract is kept. An item's date
is the day written in ``date_published`` (its own time zone, or as written when it has none).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from ..errors import SourceError
from ..ids import abs_url, find_in_link
from ..model import Paper, Problem, title_id
from ..text import authors_and_more, clean, html_to_text, more_authors
from . import (
    MAX_JSON_DOCUMENT,
    Context,
    Format,
    Item,
    Undated,
    iso_day,
    json_start,
    read_document,
    register,
)

VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/1')
_PDF = re.compile(r"arxiv\.org/pdf/|\.pdf$", re.IGNORECASE)
_AI_SUMMARY = re.compile(r"^(?P<ai>.{0,2000}?)\s+AI-generated summary\s+(?P<abstract>\S.*)$", re.S)


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _abstract(item: dict[str, Any]) -> str:
    text = clean(_text(item, "content_text"))
    if not text and _text(item, "content_html"):
        text = html_to_text(_text(item, "content_html"))
    if not text:
        text = html_to_text(_text(item, "summary"))
    scraped = _AI_SUMMARY.match(text)
    return scraped["abstract"] if scraped else text


def _day(value: Any) -> dt.date | None:
    """The day written in an RFC 3339 date (``2025-06-20T07:55:47``, ``...+02:00``, ``...Z``)."""
    return iso_day(value.strip()) if isinstance(value, str) else None


def _authors(item: dict[str, Any]) -> Any:
    authors = item.get("authors")
    if isinstance(authors, list):
        return authors
    author = item.get("author")
    if isinstance(author, dict):
        return [author]
    return author if isinstance(author, str) else None


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    data = read_document(stream, MAX_JSON_DOCUMENT)
    try:
        feed = json.loads(data)
    except RecursionError:
        raise SourceError("JSON nested too deep") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 JSON (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
        raise SourceError("a JSON Feed without an items list")
    undated = Undated(ctx, "items have no date")
    for number, item in enumerate(feed["items"], 1):
        if not isinstance(item, dict):
            yield Problem("dropped", f"not an object: item {number}")
            continue
        title = clean(_text(item, "title"))
        if not title:
            yield Problem("dropped", f"item without a title: item {number}")
            continue
        item_id = item.get("id")
        if isinstance(item_id, int | float) and not isinstance(item_id, bool):
            item_id = str(item_id)  # version 1 allowed numbers
        url = _text(item, "url") or _text(item, "external_url") or None
        extra: dict[str, Any] = {}
        found = find_in_link(item_id, url, _text(item, "external_url"))
        if found:
            paper_id, version = found
            if version:
                extra["version"] = version
            if url and _PDF.search(url):  # a PDF link: the paper's page is its abs page
                extra["pdf_url"], url = url, None
        else:
            paper_id = title_id(title)
            if isinstance(item_id, str) and item_id.strip():
                extra["source_id"] = item_id.strip()
        date = _day(item.get("date_published")) or _day(item.get("date_modified"))
        if date is None:
            date = undated.date()
            if undated.warning is not None:
                yield undated.take_warning()
        authors, more = authors_and_more(_authors(item))
        more_authors(extra, more)
        tags = item.get("tags")
        categories = (
            tuple(clean(t) for t in tags if isinstance(t, str) and clean(t))
            if (isinstance(tags, list))
            else ()
        )
        yield Paper(
            id=paper_id,
            title=title,
            abstract=_abstract(item),
            date=date,
            source=ctx.name,
            authors=authors,
            url=url or (abs_url(paper_id) if found else None),
            categories=tuple(dict.fromkeys(categories)),
            extra=extra,
        )


def sniff(head: bytes, filename: str) -> int:
    text = json_start(head)
    if text.startswith(b"{") and VERSION.search(text):
        return 98
    return 0


register(Format("json-feed", sniff, parse, "JSON Feed 1 or 1.1 (jsonfeed.org)", ("jsonfeed",)))
