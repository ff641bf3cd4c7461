"""JSON Lines of generic records (``title``, ``abstract``, optional ``date``, ``url``, ``authors``,
``id``), which also reads the public arXiv metadata snapshot (``id``, ``title``, ``abstract``,
``authors`` as one string, ``categories`` space-separated, ``update_date``, ``versions``).

The snapshot has millions of lines, so this reader streams: one line in memory at a time. A line
that is not JSON is reported with its number and the rest of the file is still read. A snapshot
paper's date is the creation date of its first version (when it was new), else ``update_date``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from ..ids import abs_url, is_arxiv_id, split_version
from ..model import Paper, Problem, title_id
from ..text import clean
from . import Context, Format, Item, register

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_AUTHOR_SPLIT = re.compile(r"\s*,\s*|\s+and\s+")


def _rfc822_date(value: str) -> dt.date | None:
    """``"Mon, 2 Apr 2007 19:18:42 GMT"`` -> 2007-04-02, without the cost of email.utils."""
    parts = value.split()
    try:
        if parts[0].endswith(","):
            parts = parts[1:]
        return dt.date(int(parts[2]), _MONTHS[parts[1][:3]], int(parts[0]))
    except (IndexError, KeyError, ValueError):
        return None


def _date(record: dict[str, Any]) -> dt.date | None:
    versions = record.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        created = versions[0].get("created")
        if isinstance(created, str):
            found = _rfc822_date(created)
            if found:
                return found
    for key in ("date", "update_date", "published", "publishedAt"):
        value = record.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def _authors(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(n for n in _AUTHOR_SPLIT.split(clean(value)) if n)
    if isinstance(value, list):
        names = (v.get("name") if isinstance(v, dict) else v for v in value)
        return tuple(clean(n) for n in names if isinstance(n, str) and n.strip())
    return ()


def _categories(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def record_to_paper(record: dict[str, Any], ctx: Context, fallback: dt.date) -> Paper | str:
    """A paper, or the reason the record was dropped."""
    title = record.get("title")
    if not isinstance(title, str) or not (title := clean(title)):
        return "record without a title"
    abstract = record.get("abstract", record.get("summary"))
    abstract = clean(abstract) if isinstance(abstract, str) else ""
    raw_id = record.get("id")
    extra: dict[str, Any] = {}
    url = record.get("url") if isinstance(record.get("url"), str) else None
    paper_id, version = split_version(raw_id) if isinstance(raw_id, str) else ("", None)
    if is_arxiv_id(paper_id):
        versions = record.get("versions")
        if isinstance(versions, list) and versions:
            version = len(versions)
        if version:
            extra["version"] = version
        url = url or abs_url(paper_id)
    else:
        if paper_id:
            extra["source_id"] = paper_id  # not an arXiv id: the title is the identity
        paper_id = title_id(title)
    upvotes = record.get("upvotes")
    if isinstance(upvotes, int) and not isinstance(upvotes, bool):
        extra["upvotes"] = upvotes
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        date=_date(record) or fallback,
        source=ctx.name,
        authors=_authors(record.get("authors")),
        url=url,
        categories=_categories(record.get("categories")),
        extra=extra,
    )


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    fallback, _how = ctx.fallback_date()
    loads = json.loads
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = loads(line)
        except UnicodeDecodeError as exc:
            yield Problem("error", f"not UTF-8 (byte {exc.start})", number)
            continue
        except ValueError as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            yield Problem("error", f"not JSON: {message}", number)
            continue
        if not isinstance(record, dict):
            yield Problem("error", "not a JSON object", number)
            continue
        result = record_to_paper(record, ctx, fallback)
        if isinstance(result, str):
            yield Problem("dropped", result, number)
        else:
            yield result


def sniff(head: bytes, filename: str) -> int:
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return 0
    first = text.split(b"\n", 1)[0]
    if b'"title"' in first:
        return 85
    return 60 if filename.endswith((".jsonl", ".ndjson")) else 30


register(
    Format(
        "jsonl", sniff, parse, "JSON Lines records or the arXiv metadata snapshot", ("json-lines",)
    )
)
