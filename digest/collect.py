"""Collect: every source parsed into papers, identities resolved, duplicates merged, new papers
remembered in the store, everything grouped per date, and a run report.

Identity is the arXiv id without version when known, else the normalized title; a paper known by
title on one page and by arXiv id in a feed is one paper. Its date is the first date it was seen.
"""

from __future__ import annotations

import array
import datetime as dt
import functools
import hashlib
import json
import logging
import re
import shutil
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from . import inputs, stopping, workers
from . import sources as formats
from .config import Config, SourceSpec
from .errors import SourceError, brief
from .model import (
    CollectReport,
    Copy,
    DateCount,
    FetchResult,
    Paper,
    Problem,
    SourceStats,
    merge,
    normalize_title,
)
from .paper_lines import LINES_BLOCK, PaperLines, paper_line
from .store import WRITE_CACHE_MB, Store
from .version import __version__

log = logging.getLogger(__name__)

BATCH = 2000
# Beyond these a field is junk or an attack (one 50 MB "abstract" would ride into every output):
# cut, with a warning. Real titles stay under 300 characters, abstracts under 5,000.
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_AUTHORS = 1_000
QUIET_RUNS = 3  # warn when a source brings nothing (new) this many runs in a row
PROBLEM_LINES = 20  # a source's errors (and warnings) said line by line; the rest counted
FUTURE_DAYS = 1  # a paper dated past today by more than this is filed under today

Progress = Callable[[int], None]


class Deduper:
    """In-run identity. ``see(paper)`` gives the paper's slot (0, 1, 2, ... in order of first
    appearance) and whether that slot was taken before. Memory: the ids and title hashes only."""

    def __init__(self) -> None:
        self.keys: dict[str | int, int] = {}
        self.has_arxiv = bytearray()

    def __len__(self) -> int:
        return len(self.has_arxiv)

    def see(self, paper: Paper) -> tuple[int, bool]:
        return self.see_key(paper.id, hash(normalize_title(paper.title)))

    def see_key(self, id: str, tk: int) -> tuple[int, bool]:
        """:meth:`see` for a paper known by its id and the hash of its normalized title."""
        keys = self.keys
        if not id.startswith("title:"):
            slot = keys.get(id)
            if slot is not None:
                return slot, True
            slot = keys.get(tk)
            if slot is not None and not self.has_arxiv[slot]:
                keys[id] = slot
                self.has_arxiv[slot] = 1
                return slot, True
            slot = len(self.has_arxiv)
            self.has_arxiv.append(1)
            keys[id] = slot
            keys.setdefault(tk, slot)
            return slot, False
        slot = keys.get(tk)
        if slot is not None:
            return slot, True
        slot = len(self.has_arxiv)
        self.has_arxiv.append(0)
        keys[tk] = slot
        return slot, False


@dataclass
class _Tally:
    """What one source gave in one run, as it is read. A reader's problems are said line by
    line up to :data:`PROBLEM_LINES` of each kind; the rest are counted (3 million bad lines
    said 3 million times buried the one that mattered)."""

    name: str
    read: int = 0
    new: int = 0
    seen: int = 0
    duplicates: int = 0
    dropped: int = 0
    unchanged_inputs: int = 0
    unchanged_papers: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    unsaid: Counter[str] = field(default_factory=Counter)  # problems past the lines said
    future: int = 0  # papers dated past tomorrow, filed under today
    latest: dt.date | None = None  # the latest of their dates

    def problem(self, where: str, problem: Problem) -> None:
        text = f"{where}{':' + str(problem.line) if problem.line else ''}: {brief(problem.message)}"
        if problem.kind in ("error", "warning"):
            said = self.errors if problem.kind == "error" else self.warnings
            if len(said) < PROBLEM_LINES:
                said.append(text)
            else:
                self.unsaid[problem.kind] += 1
        else:
            self.dropped += 1
            self.reasons[re.sub(r":.*", "", problem.message)] += 1

    def absorb(self, part: _Tally) -> None:
        """Add what a part of an input read (on a worker, see :func:`_splitter`), as if it had
        been read here after what this tally holds."""
        self.read += part.read
        self.dropped += part.dropped
        self.reasons.update(part.reasons)
        self.unsaid.update(part.unsaid)
        for kind, said, more in (
            ("error", self.errors, part.errors),
            ("warning", self.warnings, part.warnings),
        ):
            room = max(0, PROBLEM_LINES - len(said))
            said.extend(more[:room])
            self.unsaid[kind] += max(0, len(more) - room)
        self.future += part.future
        if part.latest is not None:
            self.latest = max(part.latest, self.latest or part.latest)

    def freeze(self, today: dt.date | None = None) -> SourceStats:
        errors, warnings = list(self.errors), list(self.warnings)
        if self.unsaid["error"]:
            errors.append(f"{self.name}: and {self.unsaid['error']:,} more error(s) not shown")
        if self.unsaid["warning"]:
            warnings.append(f"{self.name}: and {self.unsaid['warning']:,} more warning(s)")
        if self.future and today is not None:
            warnings.append(
                f"{self.name}: {self.future:,} paper(s) dated after today (as late as "
                f"{self.latest}) filed under today, {today}: a wrong date would otherwise "
                "lead every page and feed"
            )
        return SourceStats(
            self.name, self.read, self.new, self.seen, self.duplicates, self.dropped,
            tuple(errors), tuple(warnings), dict(self.reasons),
            self.unchanged_inputs, self.unchanged_papers,
        )  # fmt: skip


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        try:
            return str(path.relative_to(root))
        except ValueError:
            return str(path)


@dataclass(frozen=True)
class _Input:
    path: Path
    where: str  # how problems name it
    filename: str  # what the parser sees (dates in it are fallback dates)
    span: tuple[int, int] | None = None  # only these bytes of it (a file read in parts)
    first_line: int = 1  # the number of the span's first line


def _file_inputs(spec: SourceSpec, root: Path) -> list[_Input]:
    return [_Input(p, _display(p, root), p.name) for p in inputs.expand(spec.path, root)]


def _copy_inputs(url: str, copy: Copy) -> list[_Input]:
    parts = urllib.parse.urlsplit(url)
    filename = parts.path.rsplit("/", 1)[-1] + (f"?{parts.query}" if parts.query else "")
    many = len(copy.files) > 1
    return [
        _Input(Path(f), f"{url} (page {n})" if many else url, filename)
        for n, f in enumerate(copy.files, 1)
    ]


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ", limit // 2)
    return (head[:space] if space > 0 else head).rstrip() + "…"


def _clip(paper: Paper) -> Paper:
    return replace(
        paper,
        title=_cut(paper.title, MAX_TITLE),
        abstract=_cut(paper.abstract, MAX_ABSTRACT),
        authors=paper.authors[:MAX_AUTHORS],
    )


@dataclass
class InputMemo:
    """The input files of one source that earlier collects read in full, without errors, so
    that an unchanged file is not read again: a 150 MB backfill file listed beside a daily
    feed would otherwise be parsed on every build, to find nothing new.

    A file counts as unchanged when its size, modification time (to the nanosecond) and inode
    are those recorded and so is everything else that shapes its reading (this digest's
    version and its readers', the source's format, date and options, a ``--date``);
    ``build --force`` reads everything again. Re-reading such a file could only find papers already stored."""

    known: dict[str, tuple[str, int]]
    salt: str
    record: Callable[[str, str, int], None]

    @classmethod
    def of(cls, store: Store, spec: SourceSpec, date: dt.date | None) -> InputMemo:
        salt = hashlib.blake2b(
            json.dumps(
                [
                    __version__,
                    formats.READERS_VERSION,
                    spec.format,
                    str(spec.date),
                    str(date),
                    dict(spec.options),
                ],
                sort_keys=True,
                default=str,
            ).encode(),
            digest_size=8,
        ).hexdigest()
        return cls(
            store.inputs_read(spec.name), salt, functools.partial(store.record_input, spec.name)
        )

    def fingerprint(self, path: Path) -> tuple[str, int] | None:
        """(fingerprint, size in bytes) of the file as it is now."""
        try:
            st = path.stat()
        except OSError:
            return None  # reading it will say what is wrong
        return f"{self.salt}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}", st.st_size

    def unchanged(self, path: Path, fingerprint: str) -> int | None:
        """The number of papers the file held when it was read, if it has not changed since."""
        known = self.known.get(str(path))
        return known[1] if known and known[0] == fingerprint else None


# Reads an input file in parts on other processes, and keeps its papers, if it can: whether it did
Split = Callable[
    ["SourceSpec", "_Input", "Reading", "_Tally", "list[tuple[str, re.Match[str]]]"], bool
]


@dataclass(frozen=True)
class Reading:
    """How this run reads its sources: paths relative to ``root``; ``today`` (year-less dates
    resolve against it); ``date``, the date of undated inputs given on the command line;
    ``progress`` hears of the bytes read; ``good(url, copy key)`` of each URL source's copy read
    without errors; ``copies``: whether URL sources have earlier copies to fall back on (not
    for ``digest parse URL``); ``split``: reads a large input in parts, if it can."""

    root: Path
    today: dt.date
    date: dt.date | None = None
    progress: Progress | None = None
    good: Callable[[str, str], None] | None = None
    copies: bool = True
    split: Split | None = None


def read_source(
    spec: SourceSpec,
    reading: Reading,
    tally: _Tally,
    *,
    fetched: Sequence[FetchResult] = (),
    memo: InputMemo | None = None,
) -> Iterator[Paper]:
    """The papers of one configured source, problems counted in ``tally``. Never raises for bad
    input: a file that cannot be read becomes an error line and the next file is read.

    A URL source is read from the copies ``fetched`` names (one, or one per day of a URL with
    ``{date}``, each with that day for undated content). When the fetch failed, or the new copy
    cannot be read, the last good copy is read instead, with a warning that says how old it
    is. ``memo``: the input files read in full before, not read again while unchanged."""
    if spec.url is None:
        try:
            files = _file_inputs(spec, reading.root)
        except SourceError as exc:
            tally.errors.append(f"{spec.name}: {exc.message}")
            return
        yield from _read_inputs(spec, files, reading, tally, memo)
        return
    if not fetched:
        tally.errors.append(f"{spec.name}: {spec.url} was not fetched")
        return
    for result in fetched:
        day = reading if reading.date or not result.date else replace(reading, date=result.date)
        yield from _read_copies(spec, result, day, tally, memo)


def _read_copies(
    spec: SourceSpec,
    fetched: FetchResult,
    reading: Reading,
    tally: _Tally,
    memo: InputMemo | None,
) -> Iterator[Paper]:
    """A URL source from its new copy, or from its last good one when the fetch failed or the
    new copy cannot be read in full."""
    url = fetched.url
    fallback = fetched.good
    if fetched.copy is None:
        if fallback is None:
            earlier = "; no earlier copy to fall back on" if reading.copies else ""
            tally.errors.append(f"{url}: {fetched.error}{earlier}")
            return
        tally.warnings.append(
            f"{url}: {fetched.error}; using the last good copy ({fallback.described()})"
        )
        yield from _read_inputs(spec, _copy_inputs(url, fallback), reading, tally, memo)
        return
    if fetched.error:  # fetched in part (a later page of an API query failed)
        tally.warnings.append(f"{url}: {fetched.error}")
    before = len(tally.errors)
    yield from _read_inputs(spec, _copy_inputs(url, fetched.copy), reading, tally, memo)
    if len(tally.errors) == before:
        if reading.good is not None:
            reading.good(url, fetched.copy.key)
        return
    if fallback is None or fallback.key == fetched.copy.key:
        return
    first = tally.errors[before]
    problems = len(tally.errors) - before
    del tally.errors[before:]
    more = f" and {problems - 1} more problem(s)" if problems > 1 else ""
    tally.warnings.append(
        f"{first}{more}; the new copy cannot be read in full, so the last good copy is read "
        f"too ({fallback.described()})"
    )
    yield from _read_inputs(spec, _copy_inputs(url, fallback), reading, tally, memo)


def _read_inputs(
    spec: SourceSpec,
    files: Iterable[_Input],
    reading: Reading,
    tally: _Tally,
    memo: InputMemo | None = None,
) -> Iterator[Paper]:
    """The papers of a source's input files, each file read on its own: one that cannot be
    read is an error line, and the next is read. The dates undated inputs took are one warning
    for the source (:func:`_undated_warnings`)."""
    undated: list[tuple[str, re.Match[str]]] = []  # (where, the reader's warning) per input
    for item in files:
        stat = memo.fingerprint(item.path) if memo else None
        if stat and memo and (papers := memo.unchanged(item.path, stat[0])) is not None:
            tally.unchanged_inputs += 1
            tally.unchanged_papers += papers
            if reading.progress is not None:
                reading.progress(stat[1])
            continue
        errors, read = len(tally.errors), tally.read
        try:
            if reading.split is None or not reading.split(spec, item, reading, tally, undated):
                yield from _read_input(spec, item, reading, tally, undated)
            if memo is not None and stat is not None and len(tally.errors) == errors:
                memo.record(str(item.path), stat[0], tally.read - read)
        except Exception as exc:
            _failed(item, exc, tally)
    tally.warnings.extend(_undated_warnings(spec.name, undated))


def _failed(item: _Input, exc: Exception, tally: _Tally) -> None:
    """An input that could not be read: one error line (a reader's bug included: it must not
    stop the other sources)."""
    if isinstance(exc, SourceError):
        line = f":{exc.line}" if exc.line else ""
        tally.errors.append(f"{item.where}{line}: {brief(exc.message)}")
        return
    log.debug("reader failed on %s", item.where, exc_info=exc)
    tally.errors.append(f"{item.where}: cannot read ({type(exc).__name__}: {brief(str(exc))})")


@dataclass
class _InputCounts:
    """What the end of an input's reading checks, counted as it is read (over all its parts,
    for a file read in parts)."""

    papers: int = 0
    errors: int = 0
    clipped: int = 0  # papers cut to the limits
    unread: Counter[str] = field(default_factory=Counter)  # entries dropped as unreadable

    def add(self, other: _InputCounts) -> None:
        self.papers += other.papers
        self.errors += other.errors
        self.clipped += other.clipped
        self.unread.update(other.unread)


def _format(spec: SourceSpec, item: _Input) -> formats.Format:
    if spec.format:
        return formats.get(spec.format)
    return formats.detect(inputs.read_head(item.path, formats.HEAD_BYTES), item.filename)


def _read_input(
    spec: SourceSpec,
    item: _Input,
    reading: Reading,
    tally: _Tally,
    undated: list[tuple[str, re.Match[str]]],
) -> Iterator[Paper]:
    """The papers of one input file, by the source's format (else the one detected); its
    problems in ``tally`` (the reader's date fallback in ``undated``); fields beyond their
    limits cut, with a warning. A file whose entries were all dropped as unreadable is an
    error: a schema digest does not know, which would otherwise be read as nothing."""
    fmt = _format(spec, item)
    counts = _InputCounts()
    yield from _read_stream(spec, item, fmt, reading, tally, undated, counts)
    _input_read(item, fmt, tally, counts)


def _read_stream(
    spec: SourceSpec,
    item: _Input,
    fmt: formats.Format,
    reading: Reading,
    tally: _Tally,
    undated: list[tuple[str, re.Match[str]]],
    counts: _InputCounts,
) -> Iterator[Paper]:
    """The papers of an input (or of its span) by ``fmt``, counted in ``counts``."""
    stream = inputs.open_input(item.path, reading.progress, item.span)
    errors = len(tally.errors)
    try:
        ctx = formats.Context(
            name=spec.name,
            filename=item.filename,
            today=reading.today,
            date=reading.date or spec.date,
            file_date=inputs.file_date(item.path),
            options=spec.options,
            first_line=item.first_line,
        )
        latest = reading.today + dt.timedelta(days=FUTURE_DAYS)  # time zones, a clock behind
        unread = counts.unread
        for found in fmt.parse(stream, ctx):
            if isinstance(found, Paper):
                tally.read += 1
                counts.papers += 1
                if found.date > latest:
                    tally.future += 1
                    tally.latest = max(found.date, tally.latest or found.date)
                    found = replace(found, date=reading.today)
                if (
                    len(found.abstract) > MAX_ABSTRACT
                    or len(found.title) > MAX_TITLE
                    or len(found.authors) > MAX_AUTHORS
                ):
                    found = _clip(found)
                    counts.clipped += 1
                yield found
                continue
            if found.kind == "warning" and (fell_back := formats.UNDATED.match(found.message)):
                undated.append((item.where, fell_back))
                continue
            if found.kind == "dropped" and not formats.is_choice(found.message):
                unread[re.sub(r":.*", "", found.message)] += 1
            tally.problem(item.where, found)
    finally:
        stream.close()
        counts.errors += len(tally.errors) - errors


def _input_read(item: _Input, fmt: formats.Format, tally: _Tally, counts: _InputCounts) -> None:
    """The warning for papers cut, and the error for a file none of whose entries is a paper."""
    if counts.clipped:
        tally.warnings.append(
            f"{item.where}: {counts.clipped} paper(s) cut to {MAX_TITLE:,} characters of title, "
            f"{MAX_ABSTRACT:,} of abstract and {MAX_AUTHORS:,} authors"
        )
    if counts.unread and not counts.papers and not counts.errors:
        reason, _ = counts.unread.most_common(1)[0]
        tally.errors.append(
            f"{item.where}: {counts.unread.total()} entries, none of them a paper ({reason}, "
            f"read as {fmt.name}); digest reads: {formats.known_formats()}"
        )


def _undated_warnings(name: str, undated: list[tuple[str, re.Match[str]]]) -> list[str]:
    """One warning per source about the dates its undated inputs took: the reader's own for a
    single input, else one line for them all, with where the dates came from and their span."""
    if len(undated) <= 1:
        return [f"{where}: {found.group(0)}" for where, found in undated]
    hows = Counter(found["how"] for _, found in undated)
    dates = sorted(found["date"] for _, found in undated)
    span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    using = ", ".join(f"{how} ({n})" for how, n in hows.most_common())
    return [
        f"{name}: {len(undated)} inputs have no dates ({undated[0][1]['what']}); using {using}: {span}"
    ]


class PaperList(Protocol):
    """Where :func:`parse_sources` puts the papers: a list, or :class:`~digest.paper_lines.PaperLines`."""

    def __len__(self) -> int: ...
    def append(self, paper: Paper, /) -> None: ...
    def __getitem__(self, place: int, /) -> Paper: ...
    def __setitem__(self, place: int, paper: Paper, /) -> None: ...


L = TypeVar("L", bound=PaperList)


def parse_sources(
    specs: Sequence[SourceSpec],
    root: Path,
    today: dt.date,
    date: dt.date | None = None,
    progress: Progress | None = None,
    fetched: Mapping[str, Sequence[FetchResult]] | None = None,
    *,
    into: Callable[[], L] = list,  # type: ignore[assignment]
) -> tuple[L, list[SourceStats]]:
    """Read sources without a store: every paper once (duplicates merged), in order of first
    appearance, and a report per source. Holds the merged papers in memory, in a list or what
    ``into`` makes (:class:`~digest.paper_lines.PaperLines`: as their JSON lines). URL sources are
    read from the copies ``fetched`` names (by source name)."""
    deduper = Deduper()
    papers = into()
    stats = []
    split = _splitter(deduper, papers) if isinstance(papers, PaperLines) else None
    # no store, no earlier copy
    reading = Reading(root, today, date, progress, copies=False, split=split)
    for spec in specs:
        tally = _Tally(spec.name)
        found = (fetched or {}).get(spec.name, ())
        for paper in read_source(spec, reading, tally, fetched=found):
            _keep(paper, deduper, papers, tally)
        stats.append(tally.freeze(today))
    return papers, stats


SPLIT_BYTES = 32 << 20  # a JSON Lines file this large is read in parts, on every core


def _splitter(deduper: Deduper, papers: PaperLines) -> Split:
    """How ``digest parse --json`` reads a large JSON Lines file: in parts, one per core, each
    on a worker process that writes its papers' lines to a file of ``papers``' folder and
    sends back their ids and titles; here they are de-duplicated in order, as if read here.
    The result is the same, byte for byte, and so is the report (tests hold both). On two
    cores, 100,000 papers (150 MB) take 1.3-1.4 s instead of 1.9-2.0 s (a plain loop of
    ``json.loads`` and ``json.dumps`` over the file: 1.4-1.55 s). The files of lines go to a
    temporary folder and take as much room as the output: without room for them, or when a
    part cannot write its lines, this process reads the file (or the parts not taken)."""

    def split(
        spec: SourceSpec,
        item: _Input,
        reading: Reading,
        tally: _Tally,
        undated: list[tuple[str, re.Match[str]]],
    ) -> bool:
        cores = workers.cores()
        if cores < 2 or reading.progress is not None or item.span is not None:
            return False
        try:
            size = item.path.stat().st_size
        except OSError:
            return False  # reading it says what is wrong
        if size < SPLIT_BYTES:
            return False
        fmt = _format(spec, item)
        if fmt.name != "jsonl":
            return False
        folder = papers.folder()
        if shutil.disk_usage(folder).free < 2 * size:
            return False  # no room for the lines: read here, in one go
        spans = inputs.line_spans(item.path, cores)
        jobs = [
            _Part(spec, replace(item, span=span), reading.root, reading.today, reading.date,
                  str(folder / f"{len(papers)}-{n}.jsonl"))
            for n, span in enumerate(spans)
        ]  # fmt: skip
        counts = _InputCounts()
        taken = 0
        try:
            for part in workers.ordered_map(_read_part, jobs, workers=len(jobs)):
                _take_part(part, item, deduper, papers, tally, counts, undated)
                taken += 1
        except _SpillError as exc:  # a disk filling up: the parts not taken are read here
            log.debug("%s: parts %d and on read in this process: %s", item.where, taken + 1, exc)
            for job in jobs[taken:]:
                Path(job.lines).unlink(missing_ok=True)
                said = any(where == item.where for where, _ in undated)
                before = len(undated)
                for paper in _read_stream(
                    spec, _numbered(job.input), fmt, reading, tally, undated, counts
                ):
                    _keep(paper, deduper, papers, tally)
                if said:  # the reader's fallback date was said for this file already
                    del undated[before:]
        _input_read(item, fmt, tally, counts)
        return True

    return split


def _take_part(
    part: _PartRead,
    item: _Input,
    deduper: Deduper,
    papers: PaperLines,
    tally: _Tally,
    counts: _InputCounts,
    undated: list[tuple[str, re.Match[str]]],
) -> None:
    """A part a worker read, taken in: its problems and counts, its papers de-duplicated in
    order (a new one adopted from its file, a duplicate merged into its first sighting)."""
    tally.absorb(part.tally)
    counts.add(part.counts)
    if part.undated and not any(where == item.where for where, _ in undated):
        fell_back = formats.UNDATED.match(part.undated)
        if fell_back:
            undated.append((item.where, fell_back))
    papers.add_file(Path(part.lines), array.array("Q", part.starts))
    if not part.ids:
        return
    see, adopt = deduper.see_key, papers.adopt
    for line, (id, title) in enumerate(
        zip(part.ids.split("\n"), part.titles.split(b"\n"), strict=True)
    ):
        slot, duplicate = see(id, hash(title))
        if duplicate:
            tally.duplicates += 1
            papers[slot] = merge(papers[slot], papers.file_paper(line))
        else:
            tally.new += 1
            adopt(line)


def _keep(paper: Paper, deduper: Deduper, papers: PaperList, tally: _Tally) -> None:
    """A paper read without a store, kept once: merged into its first sighting, if any."""
    slot, duplicate = deduper.see(paper)
    if duplicate:
        tally.duplicates += 1
        papers[slot] = merge(papers[slot], paper)
    else:
        tally.new += 1
        papers.append(paper)


@dataclass(frozen=True)
class _Part:
    """A span of an input file to read on a worker, and the file its papers' lines go to."""

    spec: SourceSpec
    input: _Input
    root: Path
    today: dt.date
    date: dt.date | None
    lines: str


@dataclass
class _PartRead:
    """What a worker read of a :class:`_Part`: the lines' file and where each line starts, the
    papers' ids and normalized titles (a line each), its problems, counts, and the reader's
    warning of a fallback date, if any."""

    lines: str
    starts: bytes
    ids: str
    titles: bytes
    tally: _Tally
    counts: _InputCounts
    undated: str | None


def _numbered(span: _Input) -> _Input:
    """A span of an input with the number of its first line (counted from the file's start:
    problems name lines as one reading of the file would)."""
    assert span.span is not None
    return replace(span, first_line=inputs.lines_before(span.path, span.span[0]) + 1)


class _SpillError(Exception):
    """A part's lines could not be written (a full disk): the file is read in one go instead."""


def _read_part(part: _Part) -> _PartRead:
    """A worker's reading of a span of a JSON Lines file."""
    tally, counts = _Tally(part.spec.name), _InputCounts()
    undated: list[tuple[str, re.Match[str]]] = []
    item = _numbered(part.input)
    reading = Reading(part.root, part.today, part.date, copies=False)
    starts = array.array("Q", [0])
    ids: list[str] = []
    titles: list[bytes] = []
    at = 0
    block: list[bytes] = []  # written a block at a time: a write a line took 0.4 s in 100k
    try:
        out = open(part.lines, "wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _SpillError(f"{part.lines}: {exc.strerror}") from None
    with out:
        try:
            for paper in _read_stream(
                part.spec, item, formats.get("jsonl"), reading, tally, undated, counts
            ):
                line = paper_line(paper)
                block.append(line)
                at += len(line) + 1
                starts.append(at)
                ids.append(paper.id)
                titles.append(normalize_title(paper.title))
                if len(block) == LINES_BLOCK:
                    _spill(out, block)
                    block = []
        except _SpillError:
            raise
        except Exception as exc:
            _failed(item, exc, tally)
            counts.errors += 1
        _spill(out, block)
    return _PartRead(
        part.lines, starts.tobytes(), "\n".join(ids), b"\n".join(titles), tally, counts,
        undated[0][1].string if undated else None,
    )  # fmt: skip


def _spill(out: BinaryIO, lines: list[bytes]) -> None:
    if lines:
        try:
            out.write(b"\n".join([*lines, b""]))
        except OSError as exc:
            raise _SpillError(f"{out.name}: {exc.strerror}") from None


class _Batch:
    """Papers of one source waiting to be stored, with in-batch duplicates merged in memory."""

    def __init__(self, store: Store, tally: _Tally, seen_per_date: Counter[dt.date]) -> None:
        self.store, self.tally, self.seen_per_date = store, tally, seen_per_date
        self.papers: list[Paper] = []
        self.repeats: list[bool] = []  # repeats a paper stored earlier in this run
        self.position: dict[int, int] = {}  # deduper slot -> index in papers

    def add(self, paper: Paper, slot: int, duplicate: bool) -> None:
        index = self.position.get(slot) if duplicate else None
        if index is not None:  # repeats a paper not stored yet: merge it here
            self.tally.duplicates += 1
            self.papers[index] = merge(self.papers[index], paper)
            return
        self.position[slot] = len(self.papers)
        self.papers.append(paper)
        self.repeats.append(duplicate)
        if len(self.papers) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.papers:
            return
        stored = self.store.merge_batch(self.papers)
        for paper, repeat, old in zip(self.papers, self.repeats, stored, strict=True):
            if old is None:
                self.tally.new += 1
            elif repeat:
                self.tally.duplicates += 1
            else:
                self.tally.seen += 1
                self.seen_per_date[min(old.date, paper.date)] += 1
        self.papers, self.repeats, self.position = [], [], {}


def collect(
    config: Config,
    store: Store,
    today: dt.date,
    *,
    date: dt.date | None = None,
    progress: Progress | None = None,
    fetched: Mapping[str, Sequence[FetchResult]] | None = None,
    force: bool = False,
) -> CollectReport:
    """Collect every configured source into the store, in one transaction. URL sources are
    read from the copies in ``fetched`` (by source name). Input files unchanged since a collect
    read them in full are not read again (see :class:`InputMemo`) unless ``force``."""
    fetched = fetched or {}
    seen_per_date: Counter[dt.date] = Counter()
    results: list[SourceStats] = []
    warnings: list[str] = []
    reading = Reading(config.root, today, date, progress, store.mark_good)
    with store.cache(WRITE_CACHE_MB), store.transaction():
        store.start_run("collect")
        deduper = Deduper()
        for spec in config.sources:
            stopping.check()
            tally = _Tally(spec.name)
            batch = _Batch(store, tally, seen_per_date)
            memo = None if force else InputMemo.of(store, spec, date)
            found = fetched.get(spec.name, ())
            papers = read_source(spec, reading, tally, fetched=found, memo=memo)
            for paper in papers:
                batch.add(paper, *deduper.see(paper))
            batch.flush()
            frozen = tally.freeze(today)
            results.append(frozen)
            if _untouched(spec, frozen):
                continue  # a local file as it was: not a run of a quiet source
            store.record_source(frozen)
            warnings.extend(_quiet_warning(store, frozen))
        new_per_date = store.new_in_run()
    dates = sorted(set(new_per_date) | set(seen_per_date))
    return CollectReport(
        sources=tuple(results),
        dates=tuple(DateCount(d, new_per_date.get(d, 0), seen_per_date[d]) for d in dates),
        warnings=tuple(warnings),
    )


def _untouched(spec: SourceSpec, stats: SourceStats) -> bool:
    """Whether a local source's files were all as a collect last read them (so nothing was
    read): a file nobody changed is not a stale feed, and such a run is not counted as one of
    the source's runs that brought nothing new. A URL source's copy unchanged (a 304, or the
    same bytes) is counted: that is what a stale feed looks like."""
    return (
        spec.url is None
        and stats.unchanged_inputs > 0
        and not (stats.read or stats.dropped or stats.errors or stats.warnings)
    )


def _announcing(moment: dt.datetime) -> bool:
    """Whether a run at this moment (UTC) is on an arXiv announcement day: arXiv announces
    nothing on Saturdays and Sundays, so no source of new papers is quiet then for a reason."""
    return moment.astimezone(dt.UTC).weekday() < 5


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def quiet_runs(runs: Sequence[tuple[int, int, str]]) -> tuple[int, int]:
    """Of a source's latest runs (newest first: read, new, started), how many in a row read
    nothing, and how many in a row brought nothing new, counting only runs on announcement
    days that read something (an empty read is a day without announcements, or a broken
    source, which the "no papers read" warning is about). The run under way is counted: its
    caller checked the day."""
    empty, quiet = 0, 0
    counting_empty = True
    for number, (read, new, started) in enumerate(runs):
        if new:
            break
        if counting_empty and read == 0:
            empty += 1
        else:
            counting_empty = False
        try:
            announcing = number == 0 or _announcing(dt.datetime.fromisoformat(started))
        except (TypeError, ValueError):
            announcing = True
        if read and announcing:
            quiet += 1
    return empty, quiet


def _quiet_warning(store: Store, stats: SourceStats) -> Iterable[str]:
    """Warn when a source brings nothing, or nothing new, for runs in a row: its layout may have
    changed, or the feed gone stale. Not when it says why it is empty (a query that matched
    nothing, an arXiv listing of a day without announcements), nor on a run on a Saturday or
    Sunday (UTC), when arXiv announces nothing; and "nothing new" counts announcement days."""
    if stats.errors or not _announcing(_now()):
        return
    explained = any(
        formats.NOTHING_MATCHED in w or formats.NO_ANNOUNCEMENT in w for w in stats.warnings
    )
    empty, no_new = quiet_runs(store.recent_runs(stats.name))
    if stats.read + stats.unchanged_papers == 0:
        if explained:
            return
        runs = f" ({empty} runs in a row)" if empty >= QUIET_RUNS else ""
        yield f"{stats.name}: no papers read{runs}; has the page layout or feed changed?"
        return
    if no_new >= QUIET_RUNS:
        yield f"{stats.name}: nothing new for {no_new} runs in a row; is the feed stale?"


def group_by_date(papers: Iterable[Paper]) -> dict[dt.date, list[Paper]]:
    """Papers per date, dates ascending, each date's papers in their incoming order."""
    groups: dict[dt.date, list[Paper]] = {}
    for paper in papers:
        groups.setdefault(paper.date, []).append(paper)
    return dict(sorted(groups.items()))
