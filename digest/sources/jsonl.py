"""JSON Lines of generic records (``title``, ``abstract``, optional ``date``, ``url``, ``authors``,
``id``), which also reads the public arXiv metadata snapshot (``id``, ``title``, ``abstract``,
``authors`` as one string, ``categories`` space-separated, ``update_date``, ``versions``) and
Hugging Face daily-papers entries (a line with a ``paper`` object; see hf_json).

The snapshot has millions of lines, so this reader streams: one line in memory at a time, and
never more than :data:`MAX_LINE` bytes of one (a longer line is an error of its own, skipped
without being held: a 1 GB line once took 4 GB and crashed the JSON parser). A line that is not
JSON is reported with its number and the rest of the file is still read. A snapshot
paper's date is the creation date of its first version (when it was new), else ``update_date``;
a record without any date takes the input's fallback date, with one warning.

The arXiv id is the ``id`` when it is one, else the one an arXiv, Hugging Face or aggregator link
in ``id``, ``url`` or ``link`` names (``https://arxiv.org/abs/2606.27531v1``). "et al." in the
authors is not a name: ``extra["more_authors"]`` or ``extra["et_al"]`` say that some are left out.
:func:`record_to_paper` also serves json_array, which reads the same records from a JSON array.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ..ids import ARXIV_ID, abs_url, find_in_link
from ..model import Paper, Problem, title_id
from ..rows import new_paper
from ..text import ET_AL, authors_and_more, clean
from . import Context, Format, Item, Undated, iso_day, json_start, register
from .hf_json import entry_to_paper

_ABS = abs_url("")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


@functools.lru_cache(maxsize=4096)
def _rfc822_day(day: str) -> dt.date | None:
    """``"Mon, 2 Apr 2007"`` -> 2007-04-02, without the cost of email.utils (cached: a dump has
    a few thousand distinct days)."""
    parts = day.split()
    try:
        if parts[0].endswith(","):
            parts = parts[1:]
        return dt.date(int(parts[2]), _MONTHS[parts[1][:3]], int(parts[0]))
    except (IndexError, KeyError, ValueError):
        return None


def _date(record: dict[str, Any]) -> dt.date | None:
    versions = record.get("versions")
    if type(versions) is list and versions and type(versions[0]) is dict:
        created = versions[0].get("created")
        if type(created) is str:
            # "Mon, 2 Apr 2007 19:18:42 GMT": the day ends three characters before the first
            # colon (a slice, not a split: this runs once per line of the dump)
            colon = created.find(":")
            found = _rfc822_day(created[: colon - 3] if colon > 3 else created)
            if found:
                return found
    for key in ("date", "update_date", "published", "publishedAt"):
        found = iso_day(record.get(key))
        if found:
            return found
    return None


def _categories(value: Any) -> tuple[str, ...]:
    if type(value) is str:
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def record_to_paper(record: dict[str, Any], ctx: Context, undated: Undated) -> Paper | str:
    """A paper, or the reason the record was dropped. (Written for speed: it runs once per line
    of million-line dumps, so look-ups are local and the common types are tested first.)"""
    if "paper" in record and type(record["paper"]) is dict:  # a Hugging Face daily-papers entry
        return entry_to_paper(record, undated)
    get = record.get
    title = get("title")
    if type(title) is not str or not (title := clean(title)):
        return "record without a title"
    abstract = get("abstract")
    if abstract is None:
        abstract = get("summary")
    abstract = clean(abstract) if type(abstract) is str else ""
    raw_id = get("id")
    extra: dict[str, Any] = {}
    url = get("url")
    if type(url) is not str:
        url = get("link")
        if type(url) is not str:
            url = None
    match = ARXIV_ID.fullmatch(raw_id) if type(raw_id) is str else None
    if match is not None:
        paper_id = match["id"]
        versions = get("versions")
        if type(versions) is list and versions:
            extra["version"] = len(versions)
        elif match["version"]:
            extra["version"] = int(match["version"])
        if not url:
            url = _ABS + paper_id
    elif found := find_in_link(raw_id, url):  # an id or url that is an arXiv or HF link
        paper_id, version = found
        if version:
            extra["version"] = version
        if not url:
            url = raw_id if type(raw_id) is str and raw_id.startswith("http") else _ABS + paper_id
    else:
        if type(raw_id) is str and raw_id.strip():
            extra["source_id"] = raw_id.strip()  # not an arXiv id: the title is the identity
        paper_id = title_id(title)
    upvotes = get("upvotes")
    if type(upvotes) is int:
        extra["upvotes"] = upvotes
    authors, more = authors_and_more(get("authors"))
    if more is not None:
        if more == ET_AL:
            extra["et_al"] = True
        else:
            extra["more_authors"] = more
    return new_paper(
        id=paper_id, title=title, abstract=abstract, date=_date(record) or undated.date(),
        source=ctx.name, authors=authors, url=url, categories=_categories(get("categories")),
        extra=extra,
    )  # fmt: skip


MAX_LINE = 16 << 20  # a record is a few KB (the snapshot's longest about 100 KB)


def _lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """The lines of ``stream``, each read at most :data:`MAX_LINE` bytes at a time: a longer
    one is read through and dropped, and yielded as ``None``."""
    readline = stream.readline
    while line := readline(MAX_LINE):
        if len(line) == MAX_LINE and not line.endswith(b"\n"):
            while (rest := readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    undated = Undated(ctx, "records have no date")
    loads = orjson.loads
    for number, line in enumerate(_lines(stream), ctx.first_line):
        if line is None:
            yield Problem("error", f"a line over {MAX_LINE >> 20} MB; skipped", number)
            continue
        try:
            record = loads(line)
        except orjson.JSONDecodeError:
            if not line.strip():
                continue
            try:  # the standard library's reading: lone surrogates, and its error messages
                record = json.loads(line)
            except UnicodeDecodeError as exc:
                yield Problem("error", f"not UTF-8 (byte {exc.start})", number)
                continue
            except json.JSONDecodeError as exc:
                yield Problem("error", f"not JSON: {exc.msg}", number)
                continue
            except RecursionError:
                yield Problem("error", "not JSON: nested too deep", number)
                continue
        if not isinstance(record, dict):
            yield Problem("error", "not a JSON object", number)
            continue
        result = record_to_paper(record, ctx, undated)
        if undated.warning is not None:
            yield undated.take_warning()
        if isinstance(result, str):
            yield Problem("dropped", result, number)
        else:
            yield result


def sniff(head: bytes, filename: str) -> int:
    text = json_start(head)
    if not text.startswith(b"{"):
        return 0
    first = text.split(b"\n", 1)[0]
    if b'"title"' in first:
        return 85
    return 60 if filename.endswith((".jsonl", ".ndjson")) else 30


register(
    Format(
        "jsonl",
        sniff,
        parse,
        "JSON Lines of records with a title, the arXiv metadata snapshot included",
        ("json-lines",),
    )
)
