"""The stages strung together: what each CLI command calls."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import email.utils
import fcntl
import hashlib
import itertools
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import orjson

from . import __version__, inputs
from .collect import Progress, collect, group_by_date, parse_sources
from .config import Config, SourceSpec
from .deliveries import SENDING, SENT, DeliveryLog
from .errors import DigestError, StoreError
from .model import CollectReport, FetchResult, Paper, RankedDay, SourceStats, Topic
from .rank import Ranker, decode_day, encode_day, rank_day, rank_days
from .render import (
    DateInfo,
    Site,
    built,
    outputs,
    pack_pieces,
    render_day,
    render_pieces,
    render_summary,
    unpack_pieces,
)
from .render import email as email_render
from .render.email import Letter
from .render.env import (
    template_closure,
    template_problems,
    templates_digest,
    templates_fingerprint,
)
from .store import Store, known_ids
from .writer import Entry, Writer, WriteReport, atomic_write

if TYPE_CHECKING:  # digest.send (smtplib, ssl) is imported by send() alone
    from .send import Outgoing, SendReport


def source_bytes(specs: Sequence[SourceSpec], root: Path) -> int:
    """The total size of the sources' files (for a progress bar); unreadable ones and URL
    sources count 0."""
    total = 0
    for spec in specs:
        if spec.url:
            continue
        try:
            total += inputs.size_of(inputs.expand(spec.path, root))
        except Exception:
            continue
    return total


def specs_for_paths(
    paths: Sequence[str], fmt: str | None = None, date: dt.date | None = None
) -> list[SourceSpec]:
    """Source specs for files named on the command line: one source per argument, named after
    the file."""
    specs = []
    for path in paths:
        name = Path(path).stem if not any(c in path for c in "*?[") else Path(path).parent.name
        specs.append(SourceSpec(name=name, path=path, format=fmt, date=date))
    return specs


def parse(
    paths: Sequence[str],
    today: dt.date,
    date: dt.date | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
) -> tuple[list[Paper], list[SourceStats]]:
    """Read files without touching the store (``digest parse``)."""
    return parse_sources(specs_for_paths(paths, fmt), Path.cwd(), today, date, progress)


def _known(store_path: Path) -> Callable[[Sequence[str]], set[str]]:
    """Which arXiv ids the store has (for paging the arXiv API): a connection of its own per
    call, as fetching runs on other threads."""

    def known(ids: Sequence[str]) -> set[str]:
        db = sqlite3.connect(f"{store_path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
        try:
            return known_ids(db, ids)
        finally:
            db.close()

    return known


def fetch_sources(
    config: Config,
    store: Store,
    offline: bool = False,
    names: Sequence[str] | None = None,
    done: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch the URL sources (those named, or all) into the cache and record each outcome in
    the store; offline, point each at its newest cached copy instead (``digest fetch``)."""
    specs = [s for s in config.sources if s.url and (names is None or s.name in names)]
    if not specs:  # a build of local files does not even load the fetcher
        return []
    from . import fetch

    cache = fetch.Cache(config.cache)
    previous: dict[str, fetch.Previous] = {}
    for spec in specs:
        assert spec.url is not None
        row = store.fetch_state(spec.url) or {}
        previous[spec.url] = fetch.Previous(
            row.get("etag"), row.get("last_modified"), row.get("copy"), row.get("good")
        )
    if offline:
        results = [fetch.offline_result(s, cache, previous[s.url or ""]) for s in specs]
        for result in results:
            if done:
                done(result)
        return results

    def record(result: FetchResult) -> None:
        store.record_fetch(
            result.url, result.name, result.status, error=result.error, etag=result.etag,
            last_modified=result.last_modified, copy=result.copy.key if result.copy else None,
            size=result.size, pages=result.pages,
        )  # fmt: skip
        before = previous[result.url]
        keep = (result.copy.key if result.copy else before.copy, before.good)
        with contextlib.suppress(OSError):  # an old copy left behind costs only disk
            cache.prune(result.url, config.fetch.keep_days, keep, dt.datetime.now(dt.UTC))
        if done:
            done(result)

    return fetch.fetch_many(
        specs, config.fetch, cache, previous, _known(config.store), config.site_url, record
    )


def fetch_only(
    config: Config,
    names: Sequence[str] | None = None,
    done: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch the URL sources without collecting them (``digest fetch``)."""
    with Store(config.store) as store:
        return fetch_sources(config, store, False, names, done)


def run_collect(
    config: Config,
    today: dt.date,
    date: dt.date | None = None,
    progress: Progress | None = None,
    offline: bool = False,
    fetched: Callable[[FetchResult], None] | None = None,
    force: bool = False,
) -> CollectReport:
    """Fetch the URL sources (unless ``offline``), then collect every source (``force``: input
    files unchanged since they were last read too)."""
    with Store(config.store) as store:
        results = fetch_sources(config, store, offline, done=fetched)
        report = collect(config, store, today, date, progress, {r.name: r for r in results}, force)
    return replace(report, fetched=tuple(results))


def list_dates(config: Config) -> list[tuple[dt.date, int]]:
    with Store(config.store) as store:
        return store.dates()


def rank_sources(
    config: Config,
    paths: Sequence[str],
    today: dt.date,
    date: dt.date | None = None,
    fmt: str | None = None,
) -> tuple[list[RankedDay], list[SourceStats]]:
    """Rank files without touching the store (``digest rank SOURCE...``)."""
    papers, stats = parse(paths, today, date, fmt)
    ranker = Ranker.compile(config.topics)
    return rank_days(group_by_date(papers), ranker, config.highlights, tldr_for="all"), stats


def rank_store(config: Config, date: dt.date | None = None) -> list[RankedDay]:
    """Rank the store's papers of ``date`` (default: of every date), each date on its own."""
    ranker = Ranker.compile(config.topics)
    with Store(config.store) as store:
        dates = [date] if date else [d for d, _ in store.dates()]
        days = {d: store.papers_on(d) for d in dates}
    return rank_days(days, ranker, config.highlights, tldr_for="all")


def _site(
    config: Config,
    topics: Sequence[Topic],
    dates: Sequence[DateInfo] = (),
    templates_key: str = "",
) -> Site:
    """What the outputs know of the digest: the config's, for these topics and dates."""
    return Site.make(
        title=config.title,
        site_url=config.site_url,
        topics=tuple(topics),
        dates=tuple(dates),
        rules=config.highlights,
        email=config.email,
        recent_days=config.recent_days,
        templates=config.templates,
        templates_key=templates_key,
        outputs=config.outputs,
    )


# -- build: collect -> rank -> render -> write ----------------------------------------------

RANK_CHUNK = 64  # ranked dates saved per transaction


@dataclass
class BuildReport:
    collected: CollectReport
    out: Path
    dates: int = 0
    ranked: int = 0  # dates ranked this time (the others were unchanged)
    rendered: int = 0  # dates rendered this time
    written: WriteReport = field(default_factory=WriteReport)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage: collect, rank, render


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _load_day(store: Store, date: dt.date, topics: Sequence[str]) -> RankedDay:
    found = store.ranked(date)
    if found is None:
        raise StoreError(f"{date}: not ranked")
    return decode_day(date, store.papers_on(date), found[1], topics)


RankedRow = tuple[dt.date, int, int, bytes]
T = TypeVar("T")
A = TypeVar("A")
PARALLEL_MIN_DATES = 24  # below this, rendering in this process is faster than starting others
WINDOW = 4  # dates under way per worker
_RENDER: tuple[Store, Site, list[str], Path] | None = None


def _init_renderer(store_path: Path, site: Site, names: list[str], out: Path) -> None:
    global _RENDER
    _RENDER = (Store(store_path), site, names, out)


Job = tuple[dt.date, tuple[str, ...]]  # a date, and the outputs whose files to make
Made = dict[str, list[Entry]]  # a date's files, by output


def _render_date(store: Store, site: Site, names: list[str], writer: Writer, job: Job) -> Made:
    date, wanted = job
    day = _load_day(store, date, names)
    return {name: writer.write_all(render_day(day, site, only=(name,))) for name in wanted}


def _render_one(job: Job) -> tuple[Made, WriteReport]:
    """A date rendered and written by a worker: only the manifest's entries come back (the
    files themselves were a few hundred KB a date to pass between processes)."""
    assert _RENDER is not None
    store, site, names, out = _RENDER
    writer = Writer(out)
    return _render_date(store, site, names, writer, job), writer.report


_RANK: tuple[Store, Ranker, Config] | None = None


def _init_ranker(store_path: Path, config: Config) -> None:
    global _RANK
    _RANK = (Store(store_path), Ranker.compile(config.topics), config)


def _rank_one(date: dt.date) -> RankedRow:
    assert _RANK is not None
    return _rank_with(*_RANK, date)


def _rank_with(store: Store, ranker: Ranker, config: Config, date: dt.date) -> RankedRow:
    day = rank_day(date, store.papers_on(date), ranker, config.highlights)
    return date, len(day.papers), len(day.highlights), encode_day(day)


def _rank_dates(
    store: Store, dates: list[dt.date], config: Config, papers: int
) -> Iterator[RankedRow]:
    """Each date ranked, in order (``papers``: how many they hold); each worker reads its
    dates' papers from the store itself, so no process holds more than a few dates."""
    if _workers(len(dates)) <= 1:
        ranker = Ranker.compile(config.topics, papers=papers)
        return (_rank_with(store, ranker, config, date) for date in dates)
    return _on_workers(_rank_one, dates, _init_ranker, (store.path, config))


def _on_workers(
    job: Callable[[A], T], items: list[A], init: Callable[..., None], args: tuple
) -> Iterator[T]:
    """``job`` over ``items`` (dates) on every core (forked workers set up by
    ``init(*args)``), the results in order. Only a few items per worker are under way at a
    time: results the writer has not taken yet wait in memory, so the whole list at once
    (``pool.map``) made memory grow with the number of dates."""
    import multiprocessing  # here: a daily build of a date or two stays in this process
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    workers = _workers(len(items))
    with ProcessPoolExecutor(workers, context, init, args) as pool:
        waiting = iter(items)
        running = collections.deque(
            pool.submit(job, item) for item in itertools.islice(waiting, workers * WINDOW)
        )
        while running:
            result = running.popleft().result()
            for item in itertools.islice(waiting, 1):
                running.append(pool.submit(job, item))
            yield result


def _workers(dates: int) -> int:
    if dates < PARALLEL_MIN_DATES:
        return 1
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(os.cpu_count() or 1, 8)


def _write_days(
    store: Store, jobs: list[Job], site: Site, names: list[str], writer: Writer
) -> Iterator[Made]:
    """Each date's files (all, or some: see :data:`Job`) rendered and written, in order; their
    entries. Many dates are spread over every core: each worker reads the store on its own
    connection and writes its dates' files (atomically, like ``writer``), which adopts them."""
    if _workers(len(jobs)) <= 1:
        for job in jobs:
            yield _render_date(store, site, names, writer, job)
        return
    made = _on_workers(_render_one, jobs, _init_renderer, (store.path, site, names, writer.out))
    for files, report in made:
        writer.adopt([entry for entries in files.values() for entry in entries], report)
        yield files


# A progress bar for a stage of a build: (label, total, unit: "bytes" or "dates") -> a context
# giving the function to call with each advance, or None (no bar for this one)
Bar = Callable[[str, int, str], AbstractContextManager[Progress | None]]


def _no_bar(label: str, total: int, unit: str) -> AbstractContextManager[Progress | None]:
    return contextlib.nullcontext(None)


def build(
    config: Config,
    today: dt.date,
    out: Path | None = None,
    force: bool = False,
    bar: Bar | None = None,
    offline: bool = False,
    fetched: Callable[[FetchResult], None] | None = None,
) -> BuildReport:
    """Collect the sources, rank every date whose papers changed, render every date whose
    ranking, neighbours, config or templates changed, and write (``digest build``). ``bar``:
    a progress bar for each long stage (collecting, ranking, rendering)."""
    out = (out or config.output).resolve()
    if config.store.resolve().is_relative_to(out):
        raise DigestError(f"{out}: the output folder must not hold the store ({config.store})")
    with output_lock(out):
        return _build(config, today, out, force, bar, offline, fetched)


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """One build at a time per output folder: an exclusive flock on the folder itself (no lock
    file to publish or to leave behind; the system releases it when the process dies, even by
    SIGKILL). A second build exits at once with a clear message."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise DigestError(f"{out}: cannot create the output folder: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DigestError(
                f"{out}: another digest build is writing this folder; run again when it ends"
            ) from None
        yield
    finally:
        os.close(fd)


def _build(
    config: Config,
    today: dt.date,
    out: Path,
    force: bool,
    bar: Bar | None,
    offline: bool,
    fetched: Callable[[FetchResult], None] | None,
) -> BuildReport:
    clock = time.perf_counter()
    total = source_bytes(config.sources, config.root) if bar else 0
    bar = bar or _no_bar
    with bar("collecting", total, "bytes") as progress:
        collected = run_collect(config, today, None, progress, offline, fetched, force)
    report = BuildReport(collected, out)
    report.seconds["collect"] = time.perf_counter() - clock
    names = [t.name for t in config.topics]
    with Store(config.store) as store:
        # rank: dates whose papers changed since they were last ranked, or every date when
        # the topics or highlight rules changed
        rank_base = _digest(__version__, config.topics, config.highlights)
        versions = store.day_versions()
        keys = {d: _digest(rank_base, v) for d, v in versions.items()}
        have = store.ranked_keys()
        stale = [d for d in sorted(versions) if force or have.get(d, ("",))[0] != keys[d]]
        if stale:
            batch: list[tuple[dt.date, str, int, int, bytes]] = []
            with bar("ranking", len(stale), "dates") as advance:
                papers = sum(versions[d][0] for d in stale)
                for date, n, h, data in _rank_dates(store, stale, config, papers):
                    batch.append((date, keys[date], n, h, data))
                    if len(batch) >= RANK_CHUNK:
                        store.save_ranked(batch)
                        batch = []
                    if advance:
                        advance(1)
            store.save_ranked(batch)
            have = store.ranked_keys()
        report.ranked = len(stale)
        report.seconds["rank"] = time.perf_counter() - clock - report.seconds["collect"]
        dates = sorted(versions, reverse=True)
        report.dates = len(dates)
        every = templates_fingerprint(config.templates)
        infos = [DateInfo(d, have[d][1], have[d][2]) for d in dates]
        site = _site(config, config.topics, infos, templates_key=every)
        # render: an output's files of a date depend on the date's ranking, the config, the
        # templates they are made from and, for an output whose files link to the dates
        # around (the site's page), on those dates; unchanged files in place are not even
        # rendered. So a new day makes the page of the day before again, not its email, and
        # an edited email template makes the emails again, not the pages.
        render_base = _digest(  # the outputs built: the templates link to the site and feeds
            rank_base, config.title, config.site_url, config.email, config.templates,
            config.outputs,
        )  # fmt: skip
        made_from = _made_from(store, site, every)
        day_outputs = [o for o in built(site) if o.day]
        bases = {o.name: _digest(render_base, made_from[o.name])[:20] for o in day_outputs}
        done = store.rendered()
        writer = Writer(out)
        rows: list[tuple[dt.date, str, bytes]] = []  # of the dates whose key changed
        todo: list[tuple[dt.date, dict[str, str], Made]] = []  # keys; files kept as they are
        for date in dates:
            keys = {o.name: bases[o.name] + have[date][0] for o in day_outputs}
            for o in day_outputs:
                if o.links:
                    keys[o.name] += "".join(map(str, site.neighbours(date)))
            key = "|".join(keys.values())
            old = None if force else _rendered_files(done.get(date))
            if old is not None and old[0] == key and writer.keep(_every_file(old[1])):
                continue
            kept = {
                name: entries
                for name, (was, entries) in (old[1] if old else {}).items()
                if keys.get(name) == was and writer.keep(entries)
            }
            if len(kept) == len(keys):  # every file kept; the outputs were listed anew
                rows.append(_rendered_row(date, keys, kept))
            else:
                todo.append((date, keys, kept))
        jobs: list[Job] = [(d, tuple(n for n in keys if n not in kept)) for d, keys, kept in todo]
        written = _write_days(store, jobs, site, names, writer)
        with bar("rendering", len(jobs), "dates") as advance:
            for (date, keys, kept), made in zip(todo, written, strict=True):
                report.rendered += 1
                rows.append(_rendered_row(date, keys, kept | made))
                if advance:
                    advance(1)
        # the home, topic and archive pages and the feeds list many dates: rendered again
        # when any date's ranking (or the set of dates) or any template changed, else kept
        # like a date's files
        summary_key = _digest(render_base, every, config.recent_days, [(d, have[d]) for d in dates])
        summary_files = None if force else _kept(writer, store.rendered_summary(), summary_key)
        new_pieces: list[tuple[dt.date, dict[str, bytes]]] | None = None
        recent = dates[: config.recent_days]
        pieces_base = _digest(  # "bytes": how they are stored (text before)
            render_base, "bytes", [made_from[o.name] for o in outputs() if o.pieces]
        )
        pieces_keys = {d: pieces_base[:20] + have[d][0] for d in recent}
        if summary_files is None:
            # each recent date's pieces (its topic page sections, its feed items) depend on
            # that date alone: those an earlier build made are kept while the date's ranking,
            # the config and their templates stay the same; a new day renders its own
            stored = {} if force else store.fragments()
            pieces, new_pieces = [], []
            latest: RankedDay | None = None  # the newest date, for the home page
            for date in recent:
                if stored.get(date, ("",))[0] == pieces_keys[date]:
                    pieces.append((date, unpack_pieces(stored[date][1])))
                    continue
                day = _load_day(store, date, names)
                latest = day if date == dates[0] else latest
                new_pieces.append((date, render_pieces(day, site)))
                pieces.append(new_pieces[-1])
            if latest is None and dates:  # its pieces were kept: read it for the home page
                latest = _load_day(store, dates[0], names)
            entries = writer.write_all(render_summary(latest, pieces, site))
            summary_files = orjson.dumps([e.pack() for e in entries])
        report.written = writer.finish()
        with store.transaction():  # one commit for what this build rendered
            if new_pieces is not None:
                store.save_fragments(
                    [(d, pieces_keys[d], pack_pieces(p)) for d, p in new_pieces], keep=recent
                )
            store.save_rendered(rows, dates, (summary_key, summary_files))
    report.seconds["render"] = time.perf_counter() - clock - sum(report.seconds.values())
    return report


def _rendered_files(
    row: tuple[str, bytes] | None,
) -> tuple[str, dict[str, tuple[str, list[Entry]]]] | None:
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


def _rendered_row(date: dt.date, keys: dict[str, str], files: Made) -> tuple[dt.date, str, bytes]:
    """What the store keeps of a date's files (:func:`_rendered_files` reads it back)."""
    packed = {name: [keys[name], [e.pack() for e in files[name]]] for name in keys}
    return date, "|".join(keys.values()), orjson.dumps(packed)


def _every_file(files: dict[str, tuple[str, list[Entry]]]) -> list[Entry]:
    return [entry for _, entries in files.values() for entry in entries]


def _made_from(store: Store, site: Site, every: str) -> dict[str, str]:
    """Per output with day files or pieces: a digest of the templates they are made from
    (those it names and what they extend, include or import). Finding them parses the
    templates, so they are kept in the store under ``every`` (the digest of every template)."""
    key = _digest(__version__, site.templates, every, [(o.name, o.templates) for o in outputs()])
    note = store.note("templates")
    if note is not None and note.startswith(key + "\n"):
        return orjson.loads(note[len(key) + 1 :])
    env = site.env
    found: dict[str, str] = {}
    for o in outputs():
        if o.day or o.pieces:
            used = None if o.templates is None else template_closure(env, o.templates)
            found[o.name] = every if used is None else templates_digest(env, used)
    with store.transaction():
        store.set_note("templates", key + "\n" + orjson.dumps(found).decode())
    return found


def _kept(writer: Writer, old: tuple[str, bytes] | None, key: str) -> bytes | None:
    """The files last rendered under ``key`` (``old``: that key and the files, as stored), if
    all are in place: then they are kept, neither rendered nor written again."""
    if old is None or old[0] != key:
        return None
    entries = [Entry.unpack(r) for r in orjson.loads(old[1])]
    return old[1] if writer.keep(entries) else None


# -- sources: what is configured and how each fared --------------------------------------


def source_status(config: Config) -> list[dict[str, object]]:
    """Each configured source with its last fetch (URL sources) and last collect: the rows of
    ``digest sources --json`` (keep the keys stable)."""
    from . import fetch

    cache = fetch.Cache(config.cache)
    rows: list[dict[str, object]] = []
    with Store(config.store) as store:
        runs = store.last_source_runs()
        for spec in config.sources:
            state = store.fetch_state(spec.url) if spec.url else None
            run = runs.get(spec.name)
            row: dict[str, object] = {
                "name": spec.name,
                "kind": "url" if spec.url else "file",
                "location": spec.url or spec.path,
                "format": spec.format,
                "last_fetch": state["checked"] if state else None,
                "fetch_status": state["status"] if state else None,
                "fetch_error": state["error"] if state else None,
                "cached": None,
                "last_collect": run[0] if run else None,
                "items": run[1] if run else None,
                "new": run[2] if run else None,
                "errors": run[3] if run else None,
            }
            if spec.url and state:
                copy = cache.copy(spec.url, state["good"]) or cache.copy(spec.url, state["copy"])
                row["cached"] = copy.fetched.isoformat(timespec="seconds") if copy else None
            rows.append(row)
    return rows


# -- send: the day's email to every subscriber ---------------------------------------------


def _letters(
    config: Config, date: dt.date, papers: Sequence[Paper], report: SendReport
) -> Callable[[tuple[str, ...] | None], Letter]:
    """A date's letter per set of topics, ranked and rendered on first use, then reused."""
    made: dict[tuple[str, ...] | None, Letter] = {}
    everything = Ranker.compile(config.topics, papers=len(papers))

    def letter_for(names: tuple[str, ...] | None) -> Letter:
        if names not in made:
            ranker = everything if names is None else everything.only(names)
            day = rank_day(date, papers, ranker, config.highlights)
            with template_problems():
                made[names] = email_render.letter(day, _site(config, ranker.topics))
            report.rendered += 1
        return made[names]

    return letter_for


def outbox_name(address: str) -> str:
    """A file name for a subscriber's ``.eml`` (``--dry-run``): the address, made safe, and a
    digest of it where it had to change."""
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", address).lstrip(".-") or "_"
    if safe != address:
        safe += "-" + hashlib.sha256(address.encode()).hexdigest()[:8]
    return safe[:200] + ".eml"


def send(
    config: Config,
    date: dt.date | None = None,
    *,
    dry_run: bool = False,
    to: str | None = None,
    out: Path | None = None,
    resend_uncertain: bool = False,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> SendReport:
    """The date's digest to every subscriber, each with the topics they follow, exactly once
    (``digest send``). ``to``: one copy to that address, recorded nowhere (a preview);
    ``dry_run``: write the ``.eml`` files into ``out`` instead of sending."""
    from .send import Mailer, Outgoing, SendReport, send_all

    if to is None and not config.subscribers:
        raise DigestError("no subscribers: add subscribers: or subscribers_file: to the config")
    if not dry_run and config.smtp is None:
        raise DigestError("email.smtp is not configured: give its host (and port, security)")
    with Store(config.store) as store:
        known = [d for d, _ in store.dates()]
        if not known:
            raise DigestError(f"{config.store}: no papers yet; run `digest build` first")
        date = date or known[-1]
        papers = store.papers_on(date)
    if not papers:
        raise DigestError(f"no papers on {date} in the store (newest: {known[-1]})")
    report = SendReport(date, dry_run=dry_run)
    letter_for = _letters(config, date, papers, report)
    sent_at = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    recipients = [email_render.recipient(to)] if to else config.subscribers

    def outgoing(deliveries: DeliveryLog | None) -> Iterator[Outgoing]:
        for subscriber in recipients:
            if deliveries is not None:
                status = deliveries.status(date, subscriber.key)
                if status == SENT:
                    report.already += 1
                    continue
                if status == SENDING and not resend_uncertain:
                    report.uncertain.append(subscriber.email)
                    continue
            made = letter_for(subscriber.topics)
            if made.empty and not config.send_empty and to is None:
                report.empty += 1
                continue
            ident = email_render.message_id(made.site, date, subscriber.email)
            yield Outgoing(
                subscriber.key,
                subscriber.email,
                ident,
                lambda m=made, s=subscriber: email_render.personalise(m, s, sent_at)[1],
            )

    with DeliveryLog(config.store) as deliveries:
        record = None if to else deliveries
        if dry_run:
            folder = out or config.store.parent / "outbox" / date.isoformat()
            for item in outgoing(record):
                atomic_write(folder / outbox_name(item.address), item.data())
                report.sent.append(item.address)
                if progress:
                    progress(1)
            return report
        assert config.smtp is not None
        mailer = Mailer(
            config.smtp, email.utils.parseaddr(email_render.sender(_site(config, config.topics)))[1]
        )
        if record is None:
            return send_all(date, outgoing(None), mailer, None, report, progress)
        with deliveries.lock():
            return send_all(date, outgoing(record), mailer, record, report, progress)
