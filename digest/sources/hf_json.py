"""The Hugging Face daily-papers JSON: a list of entries whose ``paper`` holds the arXiv id,
title, summary, authors, upvotes and publishedAt. The upvotes are kept (``extra["upvotes"]``) for
the ranker. The paper's date is the entry's ``publishedAt`` (the day it was listed), else the
paper's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from ..errors import SourceError
from ..ids import split_version
from ..model import Paper, Problem
from ..text import author_names, clean
from . import Context, Format, Item, iso_day, register


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    data = stream.read()
    try:
        entries = json.loads(data)
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 JSON (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if isinstance(entries, dict):  # some dumps wrap the list
        entries = entries.get("papers") or entries.get("data") or entries.get("items")
    if not isinstance(entries, list):
        raise SourceError("expected a JSON list of daily-papers entries")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            yield Problem("dropped", f"entry {number} is not an object")
            continue
        paper = entry.get("paper") if isinstance(entry.get("paper"), dict) else entry
        raw_id = paper.get("id")
        title = clean(str(paper.get("title") or entry.get("title") or ""))
        if not isinstance(raw_id, str) or not raw_id.strip() or not title:
            yield Problem("dropped", f"entry {number} has no paper id or title")
            continue
        arxiv_id, version = split_version(raw_id)
        date = iso_day(entry.get("publishedAt")) or iso_day(paper.get("publishedAt"))
        if date is None:
            date, _ = ctx.fallback_date()
        extra: dict[str, Any] = {}
        upvotes = paper.get("upvotes", entry.get("upvotes"))
        if isinstance(upvotes, int) and not isinstance(upvotes, bool):
            extra["upvotes"] = upvotes
        if version:
            extra["version"] = version
        if paper.get("publishedAt"):
            extra["published"] = str(paper["publishedAt"])[:10]
        yield Paper(
            id=arxiv_id,
            title=title,
            abstract=clean(str(paper.get("summary") or entry.get("summary") or "")),
            date=date,
            source=ctx.name,
            authors=author_names(paper.get("authors")),
            url=f"https://huggingface.co/papers/{arxiv_id}",
            extra=extra,
        )


def sniff(head: bytes, filename: str) -> int:
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"[") and b'"paper"' in text:
        return 90
    if text.startswith((b"[", b'{"papers"')) and filename.endswith(".json"):
        return 40
    return 0


register(Format("hf-json", sniff, parse, "Hugging Face daily-papers JSON", ("daily-papers-json",)))
