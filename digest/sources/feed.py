"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds, read with feedparser, arXiv's listing feeds included.

arXiv listing items carry ``arXiv:ID ... Announce Type: new|cross|replace|replace-cross ...
Abstract: ...`` in their description. The listings before 2024 (RSS 1.0/RDF, still in archives
and mirrors) put it in the title instead: ``Title. (arXiv:1805.09166v1 [hep-ex] CROSS LISTED)``,
``... UPDATED)`` or neither (new); the decoration is taken off the title, the bracketed category is
the primary one, and the announce type is ``cross``, ``replace`` or ``new``. By default ``new``
and ``cross`` are new papers; the others are dropped as replacements. A source's
``announce: [...]`` option changes that.

Authors of the old listings come as HTML links in ``dc:creator``, ending for big collaborations in
``et al. (909 additional authors not shown)``: that is no name; ``extra["more_authors"]`` keeps
the count. Summaries holding HTML are reduced to clean text.

An arXiv listing with no items is a day without announcements (weekends, holidays): the reader
says so (:data:`digest.sources.NO_ANNOUNCEMENT`) rather than leave an empty source unexplained.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import re
import time
from collections.abc import Iterator
from typing import IO, Any

from ..errors import SourceError
from ..ids import abs_url, find_in_link
from ..model import Paper, Problem, title_id
from ..text import authors_and_more, clean, html_to_text, more_authors
from . import NO_ANNOUNCEMENT, Context, Format, Item, read_document, register

DEFAULT_ANNOUNCE = ("new", "cross")

_ANNOUNCE = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL | re.IGNORECASE,
)
_OLD_TITLE = re.compile(
    r"^(?P<title>.*?)\.?\s*\(arXiv:(?P<id>[^\s\[\]()]+)(?:\s+\[(?P<cat>[^\]]+)\])?"
    r"(?:\s+(?P<kind>UPDATED|CROSS[\s-]*LISTED))?\s*\)\s*$",
    re.DOTALL | re.IGNORECASE,
)
_OLD_KINDS = {"updated": "replace", "cross listed": "cross", "crosslisted": "cross"}
_SKIP_DAYS = re.compile(rb"<skipDays>(.*?)</skipDays>", re.DOTALL | re.IGNORECASE)
_DAY = re.compile(rb"<day>\s*(\w+)\s*</day>", re.IGNORECASE)


_ENTRY_END = re.compile(rb"</(?:[\w-]+:)?(?:item|entry)\s*>", re.IGNORECASE)


def entry_date(entry: Any) -> dt.date | None:
    """The entry's date as the feed wrote it (in the feed's own time zone, so an item dated
    late in the evening west of UTC keeps its day), else feedparser's UTC reading."""
    for key in ("published", "updated", "dc_date", "created"):
        # dict.get: feedparser's own get maps a missing "updated" to "published", with a warning
        raw = dict.get(entry, key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        raw = raw.strip()
        try:
            return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
        except ValueError:
            pass
        try:
            return email.utils.parsedate_to_datetime(raw).date()
        except (TypeError, ValueError, IndexError):
            pass
        parsed = struct_date(dict.get(entry, f"{key}_parsed"))
        if parsed:
            return parsed
    return None


def struct_date(value: time.struct_time | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    except (ValueError, TypeError):
        return None


_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)["']""")


def repair_utf8(data: bytes) -> tuple[bytes, int]:
    """A UTF-8 feed with a few invalid bytes (a bad scrape, a broken mirror) has those bytes
    replaced with U+FFFD, and the count; feedparser would otherwise re-read the whole feed as
    windows-1252 and garble every accent in it. A feed that declares another encoding, has a
    UTF-16 byte order mark, or looks like another encoding throughout is left alone."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data, 0
    declared = _DECLARED.match(data[:512])
    if declared and declared[1].lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return data, 0
    try:
        data.decode("utf-8")
        return data, 0
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for ch in text if ord(ch) > 127) - bad
    if valid <= bad:  # more likely latin-1 or windows-1252 throughout, whatever it declares
        return data, 0
    return text.encode("utf-8"), bad


def read_feed(stream: IO[bytes]) -> tuple[Any, list[Problem]]:
    """Parse with feedparser; a feed that is not well-formed and yields nothing is an error."""
    data = read_document(stream)
    if not data.strip():
        raise SourceError("empty file")
    data, replaced = repair_utf8(data)
    # imported here: a build whose sources are all JSON need not load it (20 ms at start-up)
    import feedparser

    # A file object, never the bytes: given bytes or a string, feedparser first tries them as a
    # URL or a file name (a short "feed" could make it read a local file or the network).
    try:
        parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=False)
    except Exception as exc:  # feedparser is lenient; anything it still raises is bad input
        raise SourceError(f"cannot read the feed: {type(exc).__name__}: {exc}") from None
    problems: list[Problem] = []
    if replaced:
        problems.append(
            Problem("warning", f"{replaced} invalid UTF-8 byte sequence(s) replaced with U+FFFD")
        )
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
        reason = str(getattr(exc, "getMessage", lambda: exc)()) if exc else "unknown error"
        if isinstance(exc, feedparser.CharacterEncodingOverride):
            problems.append(Problem("warning", f"feed encoding: {reason}"))
        else:
            # feedparser's lenient reading recovers entries from broken XML, a truncated last one
            # included: keep only as many as were closed.
            complete = len(_ENTRY_END.findall(data))
            entries = parsed.entries[:complete]
            if not entries:
                raise SourceError(f"feed is not well-formed: {reason}", line=line)
            parsed["entries"] = entries
            problems.append(
                Problem(
                    "error",
                    f"feed is not well-formed ({reason}); kept {len(entries)} complete entries",
                    line,
                )
            )
    if not parsed.get("version") and not parsed.entries:
        raise SourceError("not an RSS or Atom feed")
    skip = _SKIP_DAYS.search(data[:16384])
    parsed["skip_days"] = (
        [d.decode("ascii", "replace").capitalize() for d in _DAY.findall(skip[1])] if skip else []
    )
    return parsed, problems


def _text(entry: Any, key: str) -> str:
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    if "html" in (detail.get("type") or "") or "<" in value or "&" in value:
        return html_to_text(value)
    return clean(value)


def _authors(entry: Any) -> tuple[tuple[str, ...], int | None]:
    """The entry's authors, and how many more it says were left out (see authors_and_more)."""
    names: list[str] = []
    more = None
    for author in entry.get("authors") or ():
        found, left = authors_and_more(html_to_text(author.get("name") or ""))
        names.extend(found)
        more = left if left is not None else more
    if not names and entry.get("author"):
        found, more = authors_and_more(html_to_text(entry["author"]))
        names = list(found)
    return tuple(dict.fromkeys(names)), more


def _is_arxiv_listing(feed: Any) -> bool:
    where = " ".join(str(feed.get(k) or "") for k in ("link", "title", "id")).lower()
    return "arxiv.org" in where


def _no_announcement(parsed: Any) -> Problem | None:
    """Why an arXiv listing without items is empty: the feed's own day, and its skip days."""
    if parsed.entries or not _is_arxiv_listing(parsed.feed):
        return None
    day = entry_date(parsed.feed)
    skip = parsed.get("skip_days") or []
    if day is None:
        return Problem("warning", f"{NO_ANNOUNCEMENT}: the listing is empty")
    weekday = day.strftime("%A")
    why = "it announces nothing on " + " and ".join(skip) if weekday in skip else "a holiday?"
    return Problem("warning", f"{NO_ANNOUNCEMENT} on {weekday} {day.isoformat()} ({why})")


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    parsed, problems = read_feed(stream)
    yield from problems
    empty = _no_announcement(parsed)
    if empty is not None:
        yield empty
        return
    announce = tuple(ctx.options.get("announce") or DEFAULT_ANNOUNCE)
    feed_date = entry_date(parsed.feed)
    warned_date = False
    for number, entry in enumerate(parsed.entries, 1):
        title = _text(entry, "title")
        summary = _text(entry, "summary") or _text(entry, "description")
        link = entry.get("link")
        extra: dict[str, Any] = {}
        found = None
        announce_match = _ANNOUNCE.match(summary)
        if announce_match:
            kind = announce_match["type"].lower()
            extra["announce_type"] = kind
            summary = announce_match["abstract"].strip()
            found = find_in_link("arXiv:" + announce_match["id"])
            if kind not in announce:
                yield Problem("dropped", f"announce type {kind}", number)
                continue
        old = _OLD_TITLE.match(title) if "arXiv:" in title or "arxiv:" in title else None
        if old and find_in_link("arXiv:" + old["id"]):
            title = old["title"].strip()
            found = find_in_link("arXiv:" + old["id"])
            kind = _OLD_KINDS.get(" ".join((old["kind"] or "new").lower().split()), "new")
            extra["announce_type"] = kind
            if old["cat"]:
                extra["primary_category"] = old["cat"].strip()
            if kind not in announce:
                yield Problem("dropped", f"announce type {kind}", number)
                continue
        if not title:
            yield Problem("dropped", "entry without a title", number)
            continue
        found = found or find_in_link(link, entry.get("id"), entry.get("guid"))
        if found:
            paper_id, version = found
            if version:
                extra["version"] = version
        else:
            paper_id = title_id(title)
        date = entry_date(entry) or feed_date
        if date is None:
            date, warning = ctx.undated("entries have no date")
            if not warned_date:
                warned_date = True
                yield warning
        categories = tuple(
            dict.fromkeys(t.get("term") for t in entry.get("tags") or () if t.get("term"))
        )
        if not categories and extra.get("primary_category"):
            categories = (extra["primary_category"],)
        authors, more = _authors(entry)
        more_authors(extra, more)
        yield Paper(
            id=paper_id,
            title=title,
            abstract=summary,
            date=date,
            source=ctx.name,
            authors=authors,
            url=link or (abs_url(paper_id) if found else None),
            categories=categories,
            extra=extra,
        )


def sniff(head: bytes, filename: str) -> int:
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith(b"<"):
        return 0
    if b"<rss" in text or b"<rdf:rdf" in text or b"purl.org/rss/1.0" in text:
        return 80
    if b"<feed" in text:
        return 70
    return 0


register(Format("rss", sniff, parse, "RSS 2.0, RSS 1.0 (RDF) or Atom feed", ("atom", "feed")))
