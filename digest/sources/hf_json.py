"""The Hugging Face daily-papers JSON (``/api/daily_papers``): a list of entries, each with the
paper (``paper``: arXiv ``id``, ``title``, ``summary``, ``authors[].name``, ``upvotes``,
``publishedAt``, ``submittedOnDailyAt``, ``githubRepo``, ...) and the listing's own fields
(``title``, ``summary``, ``publishedAt``, ``numComments``, ``submittedBy``, ...). A bare list of
papers (``/api/papers``) reads too, and so do the same entries as JSON Lines (see jsonl).

Dates. A paper's date is the UTC day of ``paper.submittedOnDailyAt``: the day it was put on the
Daily Papers list. The entry's top-level ``publishedAt`` is *not* that day: in today's responses
it is the arXiv submission time shifted by a few hours (``2026-02-26T12:08:18.000Z`` for a paper
whose ``paper.publishedAt`` is ``2026-02-26T17:08:18.000Z``), which spread one day's list over a
week of dates. Older responses (before ``submittedOnDailyAt`` existed, until 2024) had only the
listing time there, so an entry without ``submittedOnDailyAt`` takes, in order: a top-level
``submittedOnDailyAt``; the top-level ``publishedAt`` unless it is ``paper.publishedAt`` shifted
by whole hours; the given date or a date in the file name (``daily_papers?date=2026-03-06``);
then the arXiv day ``paper.publishedAt``; then the file's date; with one warning for the input.

Kept: ``extra["upvotes"]`` (for the ranker), the authors (``hidden`` ones too: hiding concerns
an author's Hugging Face profile, not the author list), the HF paper page as ``url``, and in
``extra`` the arXiv ``published`` day, ``arxiv_url`` and ``pdf_url``, and ``code_url``
(``githubRepo``). Entries marked withdrawn (``withdrawnAt``) are dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO, Any

from ..errors import SourceError
from ..ids import abs_url, find_in_link, pdf_url
from ..model import Paper, Problem, title_id
from ..text import authors_and_more, clean, more_authors
from . import Context, Format, Item, Undated, json_keys, json_start, jsonstream, register, utc_day

_HOURS = 3600


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _shifted(listed: Any, published: Any) -> bool:
    """Whether the entry's ``publishedAt`` is the paper's ``publishedAt`` moved by whole hours
    (today's responses), not a time of its own (the listing time of older responses)."""
    a, b = _moment(listed), _moment(published)
    if a is None or b is None:
        return False
    seconds = (a - b).total_seconds()
    return abs(seconds) < 24 * _HOURS and seconds % _HOURS == 0


def listing_day(entry: dict[str, Any], paper: dict[str, Any], undated: Undated) -> dt.date:
    """The day the paper was put on the Daily Papers list (see the module's docstring)."""
    for value in (paper.get("submittedOnDailyAt"), entry.get("submittedOnDailyAt")):
        day = utc_day(value)
        if day is not None:
            return day
    if paper is not entry and not _shifted(entry.get("publishedAt"), paper.get("publishedAt")):
        day = utc_day(entry.get("publishedAt"))
        if day is not None:
            return day
    if undated.ctx.date is None and undated.ctx.file_name_date() is None:
        day = utc_day(paper.get("publishedAt"))
        if day is not None:
            undated.note("entries have no Daily Papers listing date", "their arXiv dates")
            return day
    return undated.date()


def entry_to_paper(entry: dict[str, Any], undated: Undated) -> Paper | str:
    """A paper from one daily-papers entry (or a bare paper object), or the reason it was
    dropped."""
    paper = entry.get("paper")
    if not isinstance(paper, dict):
        paper = entry
    ctx = undated.ctx
    raw_id = paper.get("id")
    title = paper.get("title") or entry.get("title")
    title = clean(title) if isinstance(title, str) else ""
    if not title:
        return "entry without a title"
    if paper.get("withdrawnAt") or entry.get("withdrawnAt"):
        return "withdrawn"
    found = find_in_link(raw_id) if isinstance(raw_id, str) else None
    extra: dict[str, Any] = {}
    if found:
        paper_id, version = found
        url = f"https://huggingface.co/papers/{paper_id}"
        extra["arxiv_url"] = abs_url(paper_id)
        extra["pdf_url"] = pdf_url(paper_id)
        if version:
            extra["version"] = version
    elif isinstance(raw_id, str) and raw_id.strip():
        paper_id, url = title_id(title), None  # a paper Hugging Face hosts without arXiv
        extra["source_id"] = raw_id.strip()
    else:
        return "entry without a paper id"
    upvotes = paper.get("upvotes", entry.get("upvotes"))
    if type(upvotes) is int or (type(upvotes) is float and upvotes.is_integer()):
        extra["upvotes"] = int(upvotes)
    published = utc_day(paper.get("publishedAt"))
    if published:
        extra["published"] = published.isoformat()
    code = paper.get("githubRepo")
    if isinstance(code, str) and code.startswith(("https://", "http://")):
        extra["code_url"] = code
    authors, more = authors_and_more(paper.get("authors") or entry.get("authors"))
    more_authors(extra, more)
    summary = paper.get("summary") or entry.get("summary")
    return Paper(
        id=paper_id,
        title=title,
        abstract=clean(summary) if isinstance(summary, str) else "",
        date=listing_day(entry, paper, undated),
        source=ctx.name,
        authors=authors,
        url=url,
        extra=extra,
    )


_WRAPPERS = (b"papers", b"data", b"items", b"dailyPapers")


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    first, reader = jsonstream.open_document(stream)
    prefix = "item"
    if first == b"{":  # some dumps wrap the list: {"papers": [...]}
        keys = json_keys(reader.pending)
        wrapper = next((k for k in _WRAPPERS if k in keys), None)
        if wrapper is None:
            raise SourceError("expected a JSON list of daily-papers entries")
        prefix = wrapper.decode() + ".item"
    undated = Undated(ctx, "entries have no date")
    for number, entry in jsonstream.read_items(reader, prefix):
        if not isinstance(entry, dict):
            yield Problem("dropped", f"not an object: entry {number}")
            continue
        result = entry_to_paper(entry, undated)
        if undated.warning is not None:
            yield undated.take_warning()
        if isinstance(result, str):
            yield Problem("dropped", f"{result}: entry {number}")
        else:
            yield result


# Keys only the daily-papers JSON has (a paper object nested in each entry, or the listing's).
HF_KEYS = frozenset(
    (b"submittedOnDailyAt", b"submittedOnDailyBy", b"discussionId", b"numComments", b"upvotes",
     b"submittedBy", b"isAuthorParticipating", b"mediaUrls", b"ai_summary")
)  # fmt: skip


def sniff(head: bytes, filename: str) -> int:
    text = json_start(head)
    if not text.startswith((b"[", b"{")):
        return 0
    keys = json_keys(text)
    if text.startswith(b"{") and not keys & set(_WRAPPERS):
        return 0
    if b"paper" in keys and (keys & HF_KEYS or b"title" in keys):
        return 90
    if len(keys & HF_KEYS) >= 2:
        return 80
    if text.startswith(b"[") and text[1:].lstrip().startswith(b"]") and "papers" in filename:
        return 50  # an empty list, as /api/daily_papers answers for a weekend date
    return 0


register(Format("hf-json", sniff, parse, "Hugging Face daily-papers JSON", ("daily-papers-json",)))
