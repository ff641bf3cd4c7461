"""Papers held as their public JSON lines (``digest parse --json``): one paper's line
(:func:`paper_line`), and :class:`PaperLines`, the list ``digest parse --json`` fills and
prints, its lines in blocks in memory or in files that worker processes wrote."""

from __future__ import annotations

import array
import bisect
import itertools
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from .model import Paper

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
