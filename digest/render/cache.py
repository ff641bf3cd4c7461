"""What a build keeps of its rendering, and the rendering it must do: a date's files of one
output depend on the date's ranking, the config, the templates they are made from and, for an
output whose files link to the dates around (the site's page), on those dates. Unchanged files
in place are not even rendered: a new day makes the page of the day before again, not its
email, and an edited email template makes the emails again, not the pages.

The files that list many dates (home, archive, topic pages, feeds) are rendered again when any
date's ranking, the set of dates or any template changed, from each recent date's pieces (its
section of a topic page, its items of a feed), which depend on that date alone and are kept.

What was rendered is kept in the store, reached through :class:`RenderedRows` only; a ranked
date is read back by the ``load`` function given (each worker process opens the store again
with ``reader``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from .. import workers as process_map
from ..model import RankedDay, WriteReport, cache_key
from ..version import __version__
from ..writer import Entry, Writer
from . import (
    Site,
    built,
    outputs,
    pack_pieces,
    render_day,
    render_pieces,
    render_summary,
    unpack_pieces,
)
from .env import template_closure, templates_digest

DatedRow = tuple[dt.date, str, bytes]  # date, key, data
Job = tuple[dt.date, tuple[str, ...]]  # a date, and the outputs whose files to make
Made = dict[str, list[Entry]]  # a date's files, by output
Files = dict[str, tuple[str, list[Entry]]]  # a date's files as kept: output -> (key, files)


class RenderedRows(Protocol):
    """The store's side of the cache."""

    def rendered(self) -> dict[dt.date, tuple[str, bytes]]: ...
    def rendered_summary(self) -> tuple[str, bytes] | None: ...
    def fragments(self) -> dict[dt.date, tuple[str, bytes]]: ...
    def note(self, key: str) -> str | None: ...
    def set_note(self, key: str, value: str) -> None: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def save_fragments(self, rows: Iterable[DatedRow], keep: Iterable[dt.date]) -> None: ...
    def save_rendered(
        self, rows: Iterable[DatedRow], dates: Iterable[dt.date], summary: tuple[str, bytes]
    ) -> None: ...


Load = Callable[[Any, dt.date], RankedDay]  # (a store, a date) -> the date's ranking


@dataclass
class Rendering:
    """What :func:`render` did: per output, the dates whose files it rendered; the dates whose
    ranking it read back; the dates whose pieces it rendered; whether it rendered the files
    listing many dates; whether it parsed the templates; how many processes it used."""

    rendered: dict[str, list[dt.date]] = field(default_factory=dict)
    loaded: list[dt.date] = field(default_factory=list)
    pieces: list[dt.date] = field(default_factory=list)
    summary: bool = False
    templates_parsed: bool = False
    workers: int = 1
    written: WriteReport = field(default_factory=WriteReport)


def render(
    store: RenderedRows,
    site: Site,
    writer: Writer,
    *,
    base: str,
    rankings: Mapping[dt.date, tuple[str, int, int]],
    load: Load,
    reader: Callable[[], Any],
    force: bool = False,
    workers: int | None = None,
    prune: bool = False,
    progress: Callable[[str, int], AbstractContextManager[Callable[[int], None] | None]],
    before_finish: Callable[[Writer, Rendering], None] | None = None,
) -> Rendering:
    """Render and write what changed of every date of ``rankings`` (date -> its ranking's key,
    papers, highlights), newest first in ``site.dates``, then the files that list many dates;
    record it all in ``store`` in one transaction. ``base``: the key of what every file is made
    from besides its date and templates (the config's topics, rules, title, links...);
    ``progress(label, total)``: a context giving a function to call with each date done.
    Files an earlier build listed and this one does not make are removed if the store recorded
    a build writing them; the others are kept (``prune``: removed too)."""
    done = Rendering()
    dates = [info.date for info in site.dates]
    made_from = _made_from(store, site, done)
    plan = _DayPlan(site, base, made_from, rankings)
    before = store.rendered()
    rows, todo = plan.sort(before, writer, force)
    jobs: list[Job] = [(d, tuple(n for n in keys if n not in kept)) for d, keys, kept in todo]
    done.workers = process_map.count(len(jobs), workers)
    made = process_map.ordered_map(
        _render_job, jobs, workers=done.workers, init=_open,
        initargs=(reader, site, writer.out, load, None if done.workers > 1 else (store, writer)),
    )  # fmt: skip
    with progress("rendering", len(jobs)) as advance:
        for (date, keys, kept), (files, report) in zip(todo, made, strict=True):
            if report is not None:  # written by a worker
                writer.adopt([e for entries in files.values() for e in entries], report)
            rows.append(_row(date, keys, kept | files))
            done.loaded.append(date)
            for name in files:
                done.rendered.setdefault(name, []).append(date)
            if advance:
                advance(1)
    summary = _Summary(store, site, base, made_from, rankings, done)
    summary_files, new_pieces = summary.render(writer, force, load)
    if before_finish is not None:
        before_finish(writer, done)
    done.written = writer.finish(lambda: _recorded(before, store.rendered_summary()), prune)
    with store.transaction():  # one commit for what this build rendered
        if new_pieces is not None:
            store.save_fragments(new_pieces, keep=summary.recent)
        store.save_rendered(rows, dates, (summary.key, summary_files))
    return done


def _made_from(store: RenderedRows, site: Site, done: Rendering) -> dict[str, str]:
    """Per output with day files or pieces: a digest of the templates they are made from
    (those it names and what they extend, include or import). Finding them parses the
    templates, so they are kept in the store under the digest of every template."""
    every = site.templates_key
    key = cache_key(__version__, site.templates, every, [(o.name, o.templates) for o in outputs()])
    note = store.note("templates")
    if note is not None and note.startswith(key + "\n"):
        return orjson.loads(note[len(key) + 1 :])  # type: ignore[no-any-return]
    done.templates_parsed = True
    env = site.env
    found: dict[str, str] = {}
    for o in outputs():
        if o.day or o.pieces:
            used = None if o.templates is None else template_closure(env, o.templates)
            found[o.name] = every if used is None else templates_digest(env, used)
    with store.transaction():
        store.set_note("templates", key + "\n" + orjson.dumps(found).decode())
    return found


class _DayPlan:
    """Each date's key per output, and which of its files are kept."""

    def __init__(
        self,
        site: Site,
        base: str,
        made_from: Mapping[str, str],
        rankings: Mapping[dt.date, tuple[str, int, int]],
    ) -> None:
        self.site = site
        self.outputs = [o for o in built(site) if o.day]
        self.bases = {o.name: cache_key(base, made_from[o.name])[:20] for o in self.outputs}
        self.rankings = rankings

    def keys(self, date: dt.date) -> dict[str, str]:
        keys = {o.name: self.bases[o.name] + self.rankings[date][0] for o in self.outputs}
        for o in self.outputs:
            if o.links:
                keys[o.name] += "".join(map(str, self.site.neighbours(date)))
        return keys

    def sort(
        self, done: Mapping[dt.date, tuple[str, bytes]], writer: Writer, force: bool
    ) -> tuple[list[DatedRow], list[tuple[dt.date, dict[str, str], Made]]]:
        """The rows of dates whose files are all kept (their key changed, or not), and the
        dates to render (with their keys, and the files of them that are kept)."""
        rows: list[DatedRow] = []
        todo: list[tuple[dt.date, dict[str, str], Made]] = []
        for info in self.site.dates:
            date = info.date
            keys = self.keys(date)
            key = "|".join(keys.values())
            old = None if force else _files(done.get(date))
            if old is not None and old[0] == key and writer.keep(_every_file(old[1])):
                continue
            kept = {
                name: entries
                for name, (was, entries) in (old[1] if old else {}).items()
                if keys.get(name) == was and writer.keep(entries)
            }
            if len(kept) == len(keys):  # every file kept; the outputs were listed anew
                rows.append(_row(date, keys, kept))
            else:
                todo.append((date, keys, kept))
        return rows, todo


class _Summary:
    """The files that list many dates, and the recent dates' pieces they are made of."""

    def __init__(
        self,
        store: RenderedRows,
        site: Site,
        base: str,
        made_from: Mapping[str, str],
        rankings: Mapping[dt.date, tuple[str, int, int]],
        done: Rendering,
    ) -> None:
        self.store, self.site, self.done = store, site, done
        self.dates = [info.date for info in site.dates]
        listed = [(d, rankings[d]) for d in self.dates]
        self.key = cache_key(base, site.templates_key, site.recent_days, listed)
        self.recent = self.dates[: site.recent_days]
        pieces_base = cache_key(  # "bytes": how they are stored (text before)
            base, "bytes", [made_from[o.name] for o in outputs() if o.pieces]
        )
        self.pieces_keys = {d: pieces_base[:20] + rankings[d][0] for d in self.recent}

    def render(
        self, writer: Writer, force: bool, load: Load
    ) -> tuple[bytes, list[DatedRow] | None]:
        """(the summary files' entries, as kept; the pieces rendered anew, or ``None`` when the
        files were kept)."""
        old = None if force else self.store.rendered_summary()
        if old is not None and old[0] == self.key:
            entries = [Entry.unpack(r) for r in orjson.loads(old[1])]
            if writer.keep(entries):
                return old[1], None
        self.done.summary = True
        stored = {} if force else self.store.fragments()
        pieces, new_pieces = [], []
        latest: RankedDay | None = None  # the newest date, for the home page
        for date in self.recent:
            if stored.get(date, ("",))[0] == self.pieces_keys[date]:
                pieces.append((date, unpack_pieces(stored[date][1])))
                continue
            day = self._load(load, date)
            latest = day if date == self.dates[0] else latest
            made = render_pieces(day, self.site)
            new_pieces.append((date, self.pieces_keys[date], pack_pieces(made)))
            pieces.append((date, made))
            self.done.pieces.append(date)
        if latest is None and self.dates:  # its pieces were kept: read it for the home page
            latest = self._load(load, self.dates[0])
        entries = writer.write_all(render_summary(latest, pieces, self.site))
        return orjson.dumps([e.pack() for e in entries]), new_pieces

    def _load(self, load: Load, date: dt.date) -> RankedDay:
        self.done.loaded.append(date)
        return load(self.store, date)


def _files(row: tuple[str, bytes] | None) -> tuple[str, Files] | None:
    """(key, per output: (key, files)) of a date as last rendered; ``None`` for none, or for
    a row of an older digest (then the date is made again)."""
    if row is None:
        return None
    files = orjson.loads(row[1])
    if not isinstance(files, dict) or not all(
        isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) for v in files.values()
    ):
        return None
    return row[0], {
        name: (key, [Entry.unpack(r) for r in entries]) for name, (key, entries) in files.items()
    }


def _row(date: dt.date, keys: dict[str, str], files: Made) -> DatedRow:
    """What the store keeps of a date's files (:func:`_files` reads it back)."""
    packed = {name: [keys[name], [e.pack() for e in files[name]]] for name in keys}
    return date, "|".join(keys.values()), orjson.dumps(packed)


def _recorded(
    rendered: Mapping[dt.date, tuple[str, bytes]], summary: tuple[str, bytes] | None
) -> set[str]:
    """Every file the store records builds writing: each date's files and those that list
    many dates, as last rendered."""
    paths: set[str] = set()
    for row in rendered.values():
        files = _files(row)
        if files is not None:
            paths.update(e.path for e in _every_file(files[1]))
    if summary is not None:
        paths.update(Entry.unpack(r).path for r in orjson.loads(summary[1]))
    return paths


def _every_file(files: Files) -> list[Entry]:
    return [entry for _, entries in files.values() for entry in entries]


# -- a date's files, rendered and written (on a worker process, or here) ---------------------

_WORKER: tuple[Any, Site, Path, Writer | None, Load] | None = None


def _open(
    reader: Callable[[], Any], site: Site, out: Path, load: Load, here: tuple[Any, Writer] | None
) -> None:
    """Set up a process to render dates: ``here``, the build's store and writer; on a worker,
    its own read-only store connection and a writer per date (whose files the build adopts)."""
    global _WORKER
    store, writer = here if here is not None else (reader(), None)
    _WORKER = (store, site, out, writer, load)


def _render_job(job: Job) -> tuple[Made, WriteReport | None]:
    """A date's files of the outputs named, rendered and written: their manifest entries (the
    files themselves were a few hundred KB a date to pass between processes), and the report
    of the writer that wrote them when it is not the build's."""
    assert _WORKER is not None
    store, site, out, writer, load = _WORKER
    own = writer or Writer(out)
    date, wanted = job
    day = load(store, date)
    made = {name: own.write_all(render_day(day, site, only=(name,))) for name in wanted}
    return made, None if writer is not None else own.report
