"""A JSON array of records in the JSON Lines schema: generic records (``title``, ``abstract``,
``date``, ``url``, ``authors``, ``id``) or the arXiv metadata snapshot (Kaggle's
``arxiv-metadata-oai-snapshot``: ``id``, ``submitter``, ``authors``, ``title``, ``comments``,
``journal-ref``, ``doi``, ``report-no``, ``categories``, ``license``, ``abstract``,
``versions[{version, created}]``, ``update_date``, ``authors_parsed``) saved as one array,
pretty-printed or not.

Recognised by its fields, not by being an array (an array of Hugging Face entries is hf-json).
Read as a stream with ijson: one record in memory at a time, so a 2 GB array takes a few MB. The
records become papers as in jsonl (:func:`digest.sources.jsonl.record_to_paper`); a record that
is not an object is dropped, and JSON that breaks off is an error naming its line, the records
before it kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from ..model import Paper, Problem
from . import Context, Format, Item, Undated, json_keys, json_start, jsonstream, register
from .hf_json import HF_KEYS
from .jsonl import record_to_paper

# Fields of the arXiv metadata snapshot that generic records and daily-papers entries lack.
SNAPSHOT_KEYS = frozenset(
    (b"submitter", b"authors_parsed", b"journal-ref", b"report-no", b"update_date", b"versions")
)


def parse(stream: IO[bytes], ctx: Context) -> Iterator[Item]:
    undated = Undated(ctx, "records have no date")
    for number, record in jsonstream.items(stream):
        if not isinstance(record, dict):
            yield Problem("dropped", f"not an object: record {number}")
            continue
        result = record_to_paper(record, ctx, undated)
        if undated.warning is not None:
            yield undated.take_warning()
        if isinstance(result, Paper):
            yield result
        else:
            yield Problem("dropped", f"{result}: record {number}")


def sniff(head: bytes, filename: str) -> int:
    text = json_start(head)
    if not text.startswith(b"["):
        return 0
    keys = json_keys(text)
    if len(keys & SNAPSHOT_KEYS) >= 2:
        return 95
    if b"paper" in keys or len(keys & HF_KEYS) >= 2:
        return 0  # daily-papers entries
    if b"title" in keys:
        return 70
    return 20  # an array of something: read, and said so if nothing in it is a paper


register(
    Format(
        "json-array",
        sniff,
        parse,
        "a JSON array of records with a title, the arXiv metadata snapshot included; streamed",
        ("json",),
    )
)
