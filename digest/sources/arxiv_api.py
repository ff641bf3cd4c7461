"""arXiv API responses (Atom with the arxiv: namespace).

Each entry gives the id and version, title, abstract, authors, categories and primary category,
published (v1) and updated dates, abs and PDF links, and the authors' comment. The paper's date is
its v1 publication date.

A response whose ``opensearch:totalResults`` is 0 found nothing: the reader says the query matched
nothing (:data:`digest.sources.NOTHING_MATCHED`), which is not a changed layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ..ids import abs_url, find_in_link
from ..model import Paper, Problem
from ..text import clean, more_authors
from . import NOTHING_MATCHED, Context, Format, Item, register
from .feed import _authors, read_feed, struct_date


def _str(value: Any) -> str:
    """A field's text; feedparser's lenient mode can hand back a mapping for a broken element."""
    return value if isinstance(value, str) else ""


def _links(entry: Any) -> tuple[str | None, str | None]:
    page = pdf = None
    for link in entry.get("links") or ():
        href = link.get("href")
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            pdf = pdf or href
        elif link.get("rel") == "alternate":
            page = page or href
    return page, pdf


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    parsed, problems = read_feed(stream)
    yield from problems
    total = _str(parsed.feed.get("opensearch_totalresults")).strip()
    if total == "0" and not parsed.entries:
        yield Problem("warning", f"{NOTHING_MATCHED} (opensearch:totalResults is 0)")
        return
    warned = False
    for number, entry in enumerate(parsed.entries, 1):
        found = find_in_link(entry.get("id"), entry.get("link"))
        title = clean(_str(entry.get("title")))
        if not found:
            # The API reports errors as an entry whose id is .../api/errors#...
            reason = clean(_str(entry.get("summary"))) or "entry without an arXiv id"
            yield Problem(
                "error" if "errors" in (entry.get("id") or "") else "dropped", reason, number
            )
            continue
        if not title:
            yield Problem("dropped", "entry without a title", number)
            continue
        arxiv_id, version = found
        published = struct_date(dict.get(entry, "published_parsed"))
        updated = struct_date(
            dict.get(entry, "updated_parsed")
        )  # not feedparser's get: see feed.entry_date
        date = published or updated
        extra: dict[str, Any] = {}
        if date is None:
            date, warning = ctx.undated("entries have no date")
            if not warned:
                warned = True
                yield warning
        page, pdf = _links(entry)
        if version:
            extra["version"] = version
        if pdf:
            extra["pdf_url"] = pdf
        if _str(entry.get("arxiv_comment")):
            extra["comments"] = clean(entry["arxiv_comment"])
        primary_category = entry.get("arxiv_primary_category")
        primary = _str(primary_category.get("term")) if isinstance(primary_category, dict) else ""
        if primary:
            extra["primary_category"] = primary
        if published:
            extra["published"] = published.isoformat()
        if updated:
            extra["updated"] = updated.isoformat()
        categories = [
            t["term"]
            for t in entry.get("tags") or ()
            if isinstance(t, dict) and _str(t.get("term"))
        ]
        if primary and primary not in categories:
            categories.insert(0, primary)
        authors, more = _authors(entry)
        more_authors(extra, more)
        yield Paper(
            id=arxiv_id,
            title=title,
            abstract=clean(_str(entry.get("summary"))),
            date=date,
            source=ctx.name,
            authors=authors,
            url=page or abs_url(arxiv_id),
            categories=tuple(dict.fromkeys(categories)),
            extra=extra,
        )


def sniff(head: bytes, filename: str) -> int:
    text = head[:4096].lower()
    if b"<feed" in text and (b"arxiv.org/api" in text or b"arxiv.org/schemas/atom" in text):
        return 95
    return 0


register(Format("arxiv-api", sniff, parse, "arXiv API response (Atom)", ("arxiv",)))
