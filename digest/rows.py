"""The bulk paths' way to make and store model objects, in one place: papers and scored papers
built without their ``__init__``, and the one codec of a ranked date (bytes the store keeps and
render workers send back).

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; the readers
build millions of papers and the ranker one scored paper per paper per date, and filling
``__dict__`` at once is 2.5x cheaper. The functions take every field by name, so a field added
to the model breaks them at once instead of shifting the others (a test holds them to the
dataclass's fields).
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import itertools
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from .model import Paper, RankedDay, ScoredPaper

_new = object.__new__
CODEC = 4  # the ranked-date codec's version: part of the ranking's cache key


def new_paper(
    *,
    id: str,
    title: str,
    abstract: str,
    date: dt.date,
    source: str,
    authors: tuple[str, ...],
    url: str | None,
    categories: tuple[str, ...],
    extra: dict[str, Any],
) -> Paper:
    """A :class:`Paper`, every field given, without ``__init__``."""
    paper = _new(Paper)
    paper.__dict__.update(
        id=id, title=title, abstract=abstract, date=date, source=source, authors=authors,
        url=url, categories=categories, extra=extra,
    )  # fmt: skip
    return paper


_COMPACT = (",", ":")  # as orjson writes


def paper_line(paper: Paper) -> bytes:
    """A paper's public JSON form (:meth:`Paper.to_json`) as one line of UTF-8, without its
    newline: orjson, and the standard library for a value orjson refuses (a lone surrogate).
    The date and tuples go to orjson as they are (it writes them as ``to_json`` has them):
    building ``to_json``'s copies took a third of the time."""
    try:
        return orjson.dumps(
            {
                "id": paper.id, "title": paper.title, "abstract": paper.abstract,
                "date": paper.date, "source": paper.source, "url": paper.url,
                "authors": paper.authors, "categories": paper.categories, "extra": paper.extra,
            }
        )  # fmt: skip
    except TypeError:
        data = paper.to_json()
        try:  # bytes a file name or page kept undecoded: written back as they were
            return json.dumps(data, ensure_ascii=False, separators=_COMPACT).encode(
                "utf-8", "surrogateescape"
            )
        except UnicodeEncodeError:  # any other surrogate: as \\ud800 escapes
            return json.dumps(data, separators=_COMPACT).encode("ascii")


LINES_BLOCK = 512  # papers per block of :class:`PaperLines`
FOLDER_PREFIX = "digest-parse-lines-"  # PaperLines' temporary folders
STALE_SECONDS = 24 * 3600  # a folder untouched this long was left by a run that was killed


def _remove_stale(parent: Path, prefix: str, age: float) -> None:
    """Remove the folders named ``prefix...`` in ``parent`` untouched for ``age`` seconds."""
    now = time.time()
    try:
        found = list(parent.glob(prefix + "*"))
    except OSError:
        return
    for folder in found:
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > age:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


class PaperLines:
    """Papers in order, held as their JSON lines (:func:`paper_line`), the list that ``digest
    parse --json`` fills and prints. It supports what de-duplication needs of a list:
    ``append``, and reading and replacing a paper by its place.

    ``digest parse`` holds every paper until the end: a duplicate read later is merged into
    the first sighting, which keeps its place. 100,000 papers held as objects took 300 MB and
    were encoded at the end, each one long out of the cache; held as lines, each paper is
    encoded as it is read, lines are joined in blocks of :data:`LINES_BLOCK` (a bytes object
    from orjson keeps its buffer's whole capacity: 8 KB for a 1.4 KB line, measured), and
    the objects are let go at once. A merged paper is held as an object, and encoded when the
    lines are written out.

    Lines can also stay in a file that worker processes wrote (a large file read in parts,
    see :func:`digest.collect.parse_sources`): :meth:`add_file` names it, :meth:`adopt` takes
    its lines one by one, as de-duplication keeps them. Such files go in :meth:`folder`,
    removed by :meth:`close`.
    """

    def __init__(self) -> None:
        self._segments: list[_Block | _LineFile] = []
        self._firsts: list[int] = []  # the place of each segment's first paper
        self._sealed = 0  # papers in the segments
        self._open: list[bytes] = []  # the lines of the block being filled
        self._held: dict[int, Paper] = {}  # places whose paper was replaced
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def __len__(self) -> int:
        return self._sealed + len(self._open)

    def append(self, paper: Paper) -> None:
        self._open.append(paper_line(paper))
        if len(self._open) == LINES_BLOCK:
            self._seal()

    def _seal(self) -> None:
        if self._open:
            self._add(_Block(self._open), len(self._open))
            self._open = []

    def _add(self, segment: _Block | _LineFile, count: int) -> None:
        self._segments.append(segment)
        self._firsts.append(self._sealed)
        self._sealed += count

    def __getitem__(self, place: int) -> Paper:
        held = self._held.get(place)
        if held is not None:
            return held
        if not 0 <= place < len(self):
            raise IndexError(place)
        if place >= self._sealed:
            return _paper(self._open[place - self._sealed])
        index = bisect.bisect_right(self._firsts, place) - 1
        return _paper(self._segments[index].line(place - self._firsts[index]))

    def __setitem__(self, place: int, paper: Paper) -> None:
        if not 0 <= place < len(self):
            raise IndexError(place)
        self._held[place] = paper

    # -- lines that worker processes wrote ------------------------------------------------------

    def folder(self) -> Path:
        """A temporary folder for line files, removed by :meth:`close` (or at exit). Those
        a killed run left (as large as its output) are removed once a day old."""
        if self._folder is None:
            _remove_stale(Path(tempfile.gettempdir()), FOLDER_PREFIX, STALE_SECONDS)
            self._folder = tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX)
        return Path(self._folder.name)

    def add_file(self, path: Path, starts: array.array[int]) -> None:
        """A file of lines, ``starts`` where each begins (and where the last one ends); none of
        them is a paper of the list until :meth:`adopt` makes it the next."""
        self._seal()
        self._add(_LineFile(path, starts), 0)

    def file_paper(self, line: int) -> Paper:
        """The paper of line ``line`` of the last file added, adopted or not."""
        segment = self._segments[-1]
        assert isinstance(segment, _LineFile)
        return _paper(segment.read(line, line + 1)[:-1])

    def adopt(self, line: int) -> None:
        """Line ``line`` of the last file added is the next paper of the list."""
        segment = self._segments[-1]
        assert isinstance(segment, _LineFile) and not self._open
        segment.keep.append(line)
        self._sealed += 1

    def close(self) -> None:
        for segment in self._segments:
            if isinstance(segment, _LineFile):
                segment.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    # -- out ------------------------------------------------------------------------------------

    def chunks(self) -> Iterator[bytes]:
        """The lines, in order, a block at a time, each line ending in a newline."""
        self._seal()
        held = sorted(self._held)
        for segment, first in zip(self._segments, self._firsts, strict=True):
            for start, chunk, count in segment.chunks():
                begin = bisect.bisect_left(held, first + start)
                end = bisect.bisect_left(held, first + start + count)
                if begin < end:
                    lines = chunk.split(b"\n")
                    for place in held[begin:end]:
                        lines[place - first - start] = paper_line(self._held[place])
                    chunk = b"\n".join(lines)
                yield chunk


def _paper(line: bytes) -> Paper:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:  # written by the standard library: read it back so
        data = json.loads(line.decode("utf-8", "surrogateescape"))
    return Paper.from_json(data)


class _Block:
    """Lines joined in one bytes object, each ending in a newline."""

    def __init__(self, lines: list[bytes]) -> None:
        self.starts = array.array("I", [0])
        self.starts.extend(itertools.accumulate(len(line) + 1 for line in lines))
        self.data = b"\n".join([*lines, b""])

    def line(self, index: int) -> bytes:
        return self.data[self.starts[index] : self.starts[index + 1] - 1]

    def chunks(self) -> Iterator[tuple[int, bytes, int]]:
        yield 0, self.data, len(self.starts) - 1


class _LineFile:
    """Lines in a file, ``starts`` where each begins; ``keep``: those that are papers of the
    list, in order."""

    def __init__(self, path: Path, starts: array.array[int]) -> None:
        self.path, self.starts = path, starts
        self.keep = array.array("I")
        self._file: BinaryIO | None = None

    def read(self, first: int, end: int) -> bytes:
        """Lines ``first`` up to ``end`` (not included) of the file, the last newline too."""
        if self._file is None:
            self._file = open(self.path, "rb")  # noqa: SIM115 - closed when read through
        self._file.seek(self.starts[first])
        return self._file.read(self.starts[end] - self.starts[first])

    def line(self, index: int) -> bytes:
        line = self.keep[index]
        return self.read(line, line + 1)[:-1]

    def chunks(self) -> Iterator[tuple[int, bytes, int]]:
        """(index of the first kept line, their bytes, how many), about a block at a time."""
        keep, starts = self.keep, self.starts
        at = 0
        while at < len(keep):
            end = min(at + LINES_BLOCK, len(keep))
            first, last = keep[at], keep[end - 1]
            data = self.read(first, last + 1)
            if last - first != end - 1 - at:  # some lines between are not papers of the list
                base = starts[first]
                data = b"".join(
                    [data[starts[line] - base : starts[line + 1] - base] for line in keep[at:end]]
                )
            yield at, data, end - at
            at = end
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def new_scored(
    *,
    paper: Paper,
    score: float,
    topic: str | None,
    topics: Mapping[str, float],
    matched: Mapping[str, tuple[str, ...]],
    highlight: bool,
    tldr: str | None,
    title_marks: tuple[tuple[int, int], ...],
    abstract_marks: tuple[tuple[int, int], ...],
    related: Mapping[str, str],
) -> ScoredPaper:
    """A :class:`ScoredPaper`, every field given, without ``__init__``."""
    scored = _new(ScoredPaper)
    scored.__dict__.update(
        paper=paper, score=score, topic=topic, topics=topics, matched=matched,
        highlight=highlight, tldr=tldr, title_marks=title_marks, abstract_marks=abstract_marks,
        related=related,
    )  # fmt: skip
    return scored


def unmatched(paper: Paper) -> ScoredPaper:
    """The scored paper of one no topic matched."""
    return new_scored(
        paper=paper, score=0.0, topic=None, topics={}, matched={}, highlight=False, tldr=None,
        title_marks=(), abstract_marks=(), related={},
    )  # fmt: skip


def scored_row(s: ScoredPaper) -> bytes:
    """One line of a ranked date's codec: a scored paper, its paper named by id."""
    return encode_row(
        id=s.paper.id, score=s.score, topic=s.topic, topics=s.topics, matched=s.matched,
        highlight=s.highlight, tldr=s.tldr, title_marks=s.title_marks,
        abstract_marks=s.abstract_marks, related=s.related,
    )  # fmt: skip


def encode_row(
    *,
    id: str,
    score: float,
    topic: str | None,
    topics: Mapping[str, float],
    matched: Mapping[str, tuple[str, ...]],
    highlight: bool,
    tldr: str | None,
    title_marks: tuple[tuple[int, int], ...],
    abstract_marks: tuple[tuple[int, int], ...],
    related: Mapping[str, str],
) -> bytes:
    """:func:`scored_row` from the fields themselves (the ranker makes most rows without the
    paper: see :func:`digest.rank.score.rank_encoded`)."""
    return orjson.dumps(
        (id, score, topic, topics, matched, highlight, tldr, title_marks, abstract_marks, related)
    )


def unmatched_row(id: str) -> bytes:
    """The line of a paper no topic matched (:func:`unmatched`), without the paper."""
    return encode_row(
        id=id, score=0.0, topic=None, topics={}, matched={}, highlight=False, tldr=None,
        title_marks=(), abstract_marks=(), related={},
    )  # fmt: skip


def encode_ranked(
    highlights: Sequence[int],
    sections: Mapping[str, Sequence[int]],
    unmatched: int,
    count: int,
    rows: Iterable[bytes],
) -> bytes:
    """A ranked date as bytes, one JSON line each: first what it holds (how many papers; the
    highlights and every topic's section as places in rank order, so decoding sorts nothing;
    how many papers, the last, no topic matched), then each of the ``count`` papers' rows in
    rank order. A reader of a few places (:func:`decode_shown`) parses those lines only.

    The rows are written as they come, not kept: each bytes object orjson makes holds a few
    KB of the heap that the next can reuse (100,000 rows kept took 400 MB)."""
    out = bytearray(
        orjson.dumps(
            {
                "papers": count,
                "highlights": highlights,
                "sections": sections,
                "unmatched": unmatched,
            }
        )
    )
    written = 0
    for row in rows:
        out += b"\n"
        out += row
        written += 1
    if written != count:
        raise ValueError(f"{written} rows for {count} papers")
    return bytes(out)


def encode_day(day: RankedDay) -> bytes:
    """A ranked date as bytes (:func:`encode_ranked`): its papers named by id in rank order,
    each with what ranking found. :func:`decode_day` rejoins them with the date's papers."""
    place = {id(s): i for i, s in enumerate(day.papers)}
    return encode_ranked(
        [place[id(s)] for s in day.highlights],
        {name: [place[id(s)] for s in papers] for name, papers in day.sections.items()},
        len(day.unmatched),
        len(day.papers),
        map(scored_row, day.papers),
    )


def _head(date: dt.date, data: bytes) -> tuple[dict[str, Any], list[bytes]]:
    """What a ranked date holds, and its rows' lines (not parsed)."""
    lines = data.split(b"\n")
    try:
        head = orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        head = None
    if (
        not isinstance(head, dict)
        or not {"papers", "sections"} <= head.keys()
        or head["papers"] != len(lines) - 1
    ):
        raise ValueError(f"{date}: a ranking in another format")
    return head, lines[1:]


def _scored(date: dt.date, row: list[Any], paper: Paper | None) -> ScoredPaper:
    pid, score, topic, scores, matched, highlight, summary, tmarks, amarks, related = row
    if paper is None:
        raise ValueError(f"{date}: ranked paper {pid} is not in the store")
    return new_scored(
        paper=paper, score=score, topic=topic, topics=scores,
        matched={k: tuple(v) for k, v in matched.items()}, highlight=highlight,
        tldr=summary, title_marks=tuple(map(tuple, tmarks)),
        abstract_marks=tuple(map(tuple, amarks)), related=related,
    )  # fmt: skip


def decode_day(date: dt.date, papers: Sequence[Paper], data: bytes) -> RankedDay:
    """The :class:`RankedDay` :func:`encode_day` made, with the date's papers; ``ValueError``
    when they no longer match (or the bytes are from another codec)."""
    head, lines = _head(date, data)
    by_id = {p.id: p for p in papers}
    loads = orjson.loads
    final: list[ScoredPaper] = []
    for line in lines:
        row = loads(line)
        final.append(_scored(date, row, by_id.get(row[0])))
    count = head["unmatched"]
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(final[i] for i in head["highlights"]),
        sections={name: tuple([final[i] for i in at]) for name, at in head["sections"].items()},
        unmatched=tuple(final[len(final) - count :]) if count else (),
    )


class Every(Sequence[ScoredPaper]):
    """Every paper of a ranked date read with :func:`decode_shown`: its count at once, the
    papers themselves (``papers()``) the first time one is asked for."""

    def __init__(self, count: int, papers: Callable[[], Sequence[ScoredPaper]]) -> None:
        self._count = count
        self._papers = papers
        self._read: Sequence[ScoredPaper] | None = None

    def _all(self) -> Sequence[ScoredPaper]:
        if self._read is None:
            self._read = self._papers()
        return self._read

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, at):  # type: ignore[no-untyped-def, override]
        return self._all()[at]

    def __iter__(self) -> Iterator[ScoredPaper]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]


def decode_shown(
    date: dt.date,
    data: bytes,
    cap: int,
    fetch: Callable[[Sequence[str]], Iterable[Paper]],
    every: Callable[[], Sequence[Paper]],
) -> RankedDay:
    """A ranked date as the outputs show it (:func:`digest.render.shown`): each section and
    the papers no topic matched cut to their best ``cap`` (``left_out`` counts the rest), the
    highlights whole; of the rows only those lines parsed, and of the papers only those
    fetched (``fetch(ids)``: the papers with these ids). ``papers`` holds every paper, read
    (``every()``: the date's papers) the first time one is asked for."""
    head, lines = _head(date, data)
    n, count = head["papers"], head["unmatched"]
    sections = {name: at[:cap] for name, at in head["sections"].items()}
    unmatched = range(n - count, n - count + min(count, cap))
    wanted = sorted({*head["highlights"], *itertools.chain(*sections.values()), *unmatched})
    rows = {i: orjson.loads(lines[i]) for i in wanted}
    by_id = {p.id: p for p in fetch([rows[i][0] for i in wanted])}
    scored = {i: _scored(date, rows[i], by_id.get(rows[i][0])) for i in wanted}
    left_out = {name: len(at) - cap for name, at in head["sections"].items() if len(at) > cap}
    if count > cap:
        left_out[""] = count - cap
    return RankedDay(
        date=date,
        papers=Every(n, lambda: decode_day(date, every(), data).papers),
        highlights=tuple(scored[i] for i in head["highlights"]),
        sections={name: tuple([scored[i] for i in at]) for name, at in sections.items()},
        unmatched=tuple(scored[i] for i in unmatched),
        left_out=left_out,
    )


def day_matches(data: bytes) -> tuple[dict[str, int], list[str], set[tuple[str, str]]]:
    """What ``digest check`` needs of a ranked date, from :func:`encode_day` bytes without the
    papers: the papers each topic matched, the topic of each highlight, and every (topic,
    keyword) that matched a paper (the rows parsed one at a time)."""
    head, lines = _head(dt.date.min, data)
    loads = orjson.loads
    matched: set[tuple[str, str]] = set()
    for line in lines:
        row = loads(line)
        if row[4]:
            matched.update((topic, k) for topic, ks in row[4].items() for k in ks)
    return (
        {name: len(at) for name, at in head["sections"].items()},
        [loads(lines[i])[2] for i in head["highlights"]],
        matched,
    )
