"""The JSON of the daily-arxiv family (cv-arxiv-daily and its many forks): one object per topic,
each mapping arXiv ids to one Markdown line about the paper:

* a table row: ``|**2023-09-29**|**Title**|First Author et.al.|[2305.19935](http://arxiv.org/abs/2305.19935)|**[link](https://github.com/...)**|`` (``null`` for no code),
* or a list line (the "web"/"wechat" files): ``- 2022-11-30, **Title**, First Author et.al., Paper: [http://arxiv.org/abs/2211.16882v1](http://arxiv.org/abs/2211.16882v1), Code: **[url](url)**``.

Each paper is read once, with every topic it is listed under in ``extra["topics"]`` and its
code link in ``extra["code_url"]``; its date is the line's date (the paper's arXiv date), its
authors the first author only (``extra["et_al"]``), its abstract empty: these files have none. A
whole history of such a file imports in one run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from ..errors import SourceError
from ..ids import find_in_link
from ..model import Paper, Problem, title_id
from ..text import authors_and_more, clean, more_authors
from . import MAX_JSON_DOCUMENT, Context, Format, Item, Undated, json_start, read_document, register

_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*(https?://[^)\s]+)\s*\)")
_ROW = re.compile(
    r"^\s*\|\s*(?P<date>[^|]*)\|\s*\*\*(?P<title>.+?)\*\*\s*\|(?P<authors>[^|]*)\|"
    r"(?P<paper>[^|]*)\|(?P<code>.*?)\|?\s*$",
    re.S,
)
_LINE = re.compile(
    r"^\s*-\s*(?P<date>\d{4}-\d{2}-\d{2})\s*,\s*\*\*(?P<title>.+?)\*\*\s*,(?P<authors>.*?),"
    r"\s*Paper:\s*(?P<paper>\[[^\]]*\]\([^)]*\))(?:\s*,\s*Code:\s*(?P<code>.*))?\s*$",
    re.S,
)
_KEY = re.compile(rb'^\{\s*"[^"\\]*"\s*:\s*\{\s*"[^"\\]+"\s*:\s*"\s*(?:\||-\s*\d{4}-)')
_ANY_ROW = re.compile(
    rb'"(?:\d{4}\.\d{4,5}|[a-z-]+/\d{7})(?:v\d+)?"\s*:\s*"\s*(?:\|\*\*\d{4}-|-\s*\d{4}-)'
)


def _day(text: str) -> dt.date | None:
    found = _DATE.search(text)
    if not found:
        return None
    try:
        return dt.date(*map(int, found.groups()))
    except ValueError:
        return None


def _read_line(value: str) -> dict[str, str] | None:
    """The fields of one table row or list line, or None when it is neither."""
    match = _ROW.match(value) or _LINE.match(value)
    return match.groupdict() if match else None


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    data = read_document(stream, MAX_JSON_DOCUMENT)
    try:
        topics = json.loads(data)
    except RecursionError:
        raise SourceError("JSON nested too deep") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 JSON (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(topics, dict):
        raise SourceError("expected a JSON object of topics")
    papers: dict[str, tuple[dict[str, str], list[str], str]] = {}  # key -> fields, topics, id
    for topic, rows in topics.items():
        if not isinstance(rows, dict):
            yield Problem("dropped", f"topic without papers: {topic[:60]!r}")
            continue
        for key, value in rows.items():
            fields = _read_line(value) if isinstance(value, str) else None
            if fields is None:
                yield Problem("dropped", f"not a daily-arxiv table row or list line: {key[:30]!r}")
                continue
            found = find_in_link(*(u for _, u in _LINK.findall(fields["paper"])), key)
            ident = found[0] if found else title_id(clean(fields["title"]))
            if ident in papers:
                if topic not in papers[ident][1]:
                    papers[ident][1].append(topic)
            else:
                papers[ident] = (fields, [topic], key)
    undated = Undated(ctx, "rows have no date")
    for ident, (fields, listed, key) in papers.items():
        title = clean(fields["title"])
        if not title:
            yield Problem("dropped", f"row without a title: {key[:30]!r}")
            continue
        extra: dict[str, Any] = {"topics": listed}
        links = [u for _, u in _LINK.findall(fields["paper"])]
        found = find_in_link(*links, key)
        if found and found[1]:
            extra["version"] = found[1]
        code = [u for _, u in _LINK.findall(fields.get("code") or "")]
        if code:
            extra["code_url"] = code[0]
        authors, more = authors_and_more(fields["authors"])
        more_authors(extra, more)
        date = _day(fields["date"])
        if date is None:
            date = undated.date()
            if undated.warning is not None:
                yield undated.take_warning()
        yield Paper(
            id=ident,
            title=title,
            abstract="",
            date=date,
            source=ctx.name,
            authors=authors,
            url=links[0] if links else None,
            extra=extra,
        )


def sniff(head: bytes, filename: str) -> int:
    text = json_start(head)
    if not text.startswith(b"{"):
        return 0
    if _KEY.match(text) or _ANY_ROW.search(text):
        return 95
    return 0


register(
    Format(
        "daily-arxiv",
        sniff,
        parse,
        "the JSON of cv-arxiv-daily and its forks (topics of Markdown rows)",
        ("cv-arxiv-daily",),
    )
)
