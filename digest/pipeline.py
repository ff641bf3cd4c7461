"""The stages strung together: one short function per command, each calling the stages with
keyword-only options. fetch -> collect -> rank -> render -> write; send and serve beside.

Every stage owns its work: :mod:`digest.fetch` its cache and the fetch state, :mod:`.collect`
what it read, :class:`~digest.rank.cache.RankCache` the rankings a build keeps,
:mod:`digest.render.cache` the files a build keeps, :mod:`digest.writer` the output folder (and
its lock), :mod:`digest.send` the deliveries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from . import inputs
from . import workers as process_map
from .check import check_topics, with_learned
from .collect import L, Progress, collect, group_by_date, parse_sources
from .config import Config, SourceSpec, read_feedback
from .deliveries import DeliveryLog
from .errors import DigestError
from .examples import Lookup, among, as_arxiv_id, files_key, resolve
from .model import (
    BuildReport,
    CheckReport,
    CollectReport,
    DateInfo,
    FetchResult,
    Paper,
    PaperWhy,
    SourceStats,
    Topic,
    cache_key,
    title_id,
)
from .rank import Ranker, rank_days_lines
from .rank.cache import RankCache, load_ranked, stored_lines
from .rank.explain import explain
from .rank.history import Learned, learn_from_papers, learn_from_store, learning
from .rank.keywords import Matcher
from .render import Site
from .render import cache as render_cache
from .render.env import templates_fingerprint
from .store import Store
from .writer import Writer, output_lock

if TYPE_CHECKING:  # sending and fetching are imported by the commands that use them: a daily
    # build of local files loads neither (css_inline, httpx...)
    from .send import SendReport

# A progress bar for a stage of a build: (label, total, unit: "bytes" or "dates") -> a context
# giving the function to call with each advance, or None (no bar for this one)
Bar = Callable[[str, int, str], AbstractContextManager[Progress | None]]
Fetched = Callable[[FetchResult], None]


def _no_bar(label: str, total: int, unit: str) -> AbstractContextManager[Progress | None]:
    return contextlib.nullcontext(None)


# -- reading: parse, collect, fetch, dates ---------------------------------------------------


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
    paths: Sequence[str], *, fmt: str | None = None, date: dt.date | None = None
) -> list[SourceSpec]:
    """Source specs for files, globs and http(s) URLs named on the command line: one source
    per argument, named after the file (or as a configured URL source would be)."""
    from .config.sections import check_url, default_name, url_name

    specs = []
    for path in paths:
        if path.startswith(("http://", "https://")):
            if (why := check_url(path)) is not None:
                raise DigestError(f"{path}: {why}")
            specs.append(SourceSpec(name=url_name(path), url=path, format=fmt, date=date))
        else:
            specs.append(SourceSpec(name=default_name(path), path=path, format=fmt, date=date))
    return specs


def parse(
    paths: Sequence[str],
    today: dt.date,
    *,
    date: dt.date | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
    fetched: Fetched | None = None,
    into: Callable[[], L] = list,  # type: ignore[assignment]
) -> tuple[L, list[SourceStats]]:
    """Read files and URLs without touching the store (``digest parse``), the papers in a list
    or what ``into`` makes (see :func:`~digest.collect.parse_sources`). URLs are fetched as
    URL sources are (timeouts, retries, a size cap, a pause between requests to one host), into
    a cache that is removed after; ``fetched`` hears of each."""
    specs = specs_for_paths(paths, fmt=fmt)
    urls = [spec for spec in specs if spec.url]
    if not urls:
        return parse_sources(specs, Path.cwd(), today, date, progress, into=into)
    import tempfile

    from . import fetch
    from .config import FetchSettings

    with tempfile.TemporaryDirectory(prefix="digest-parse-") as folder:
        results = fetch.fetch_many(
            urls, FetchSettings(), fetch.Cache(Path(folder)), {}, done=fetched
        )
        by_name = {r.name: [r] for r in results}
        return parse_sources(specs, Path.cwd(), today, date, progress, by_name, into=into)


def fetch_only(
    config: Config, *, names: Sequence[str] | None = None, done: Fetched | None = None
) -> list[FetchResult]:
    """Fetch the URL sources without collecting them (``digest fetch``)."""
    from . import fetch

    with Store(config.store) as store:
        return fetch.fetch_sources(config, store, today=dt.date.today(), names=names, done=done)


def run_collect(
    config: Config,
    today: dt.date,
    *,
    date: dt.date | None = None,
    progress: Progress | None = None,
    offline: bool = False,
    fetched: Fetched | None = None,
    force: bool = False,
) -> CollectReport:
    """Fetch the URL sources (unless ``offline``), then collect every source (``force``: input
    files unchanged since they were last read too) (``digest collect``)."""
    need_sources(config)
    with Store(config.store) as store:
        results: list[FetchResult] = []
        if any(spec.url for spec in config.sources):
            from . import fetch

            results = fetch.fetch_sources(config, store, today=today, offline=offline, done=fetched)
        by_name: dict[str, list[FetchResult]] = {}
        for result in results:
            by_name.setdefault(result.name, []).append(result)
        report = collect(
            config, store, today, date=date, progress=progress, fetched=by_name, force=force
        )
    return CollectReport(report.sources, report.dates, report.warnings, tuple(results))


def need_sources(config: Config) -> None:
    """A config without sources collects nothing, and builds nothing: say so, with the fix."""
    if not config.sources:
        where = f"{config.file.name}: " if config.file else ""
        raise DigestError(
            f"{where}no sources to collect papers from; add a sources: list, with a feed "
            "(- url: https://rss.arxiv.org/rss/cs.LG) or files (- path: feeds/*.xml)"
        )


def list_dates(config: Config) -> list[tuple[dt.date, int]]:
    """The store's dates with their paper counts (``digest dates``)."""
    with Store(config.store) as store:
        return store.dates()


def source_status(config: Config) -> list[dict[str, object]]:
    """The rows of ``digest sources``."""
    from . import fetch

    return fetch.source_status(config)


# -- rank ------------------------------------------------------------------------------------


def rank_sources(
    config: Config,
    paths: Sequence[str],
    today: dt.date,
    *,
    date: dt.date | None = None,
    fmt: str | None = None,
    form: str = "json",
) -> tuple[Iterator[bytes], list[SourceStats], list[str]]:
    """Rank files without touching the store (``digest rank SOURCE...``): the papers given
    are the history the topics' profiles learn from. TL;DRs for the highlights only, and the
    keyword spans only for them (their TL;DRs are chosen by them; nothing shows spans).
    Returns the ranked dates as the lines ``digest rank`` prints (``form``: ``json`` or
    ``text``, see :data:`~digest.rank.score.LINES`), the sources' statistics and warnings
    (examples not found)."""
    papers, stats = parse(paths, today, date=date, fmt=fmt)
    ranker, warnings = _files_ranker(config, papers)
    lines = rank_days_lines(group_by_date(papers), ranker, config.highlights, form=form)
    return lines, stats, warnings


def _files_ranker(config: Config, papers: Sequence[Paper]) -> tuple[Ranker, list[str]]:
    """The ranker of papers given as files, without the store: they are the history the
    topics' profiles learn from, and hold their examples; and warnings (examples not found)."""
    ranker = Ranker.compile(config.topics, papers=len(papers))
    examples, avoid, warnings = _resolve(config, among(papers))
    profiles = learn_from_papers(
        papers, config.topics, config.ranking, ranker.matcher, examples, avoid
    )
    return _ranker(config, ranker.matcher, Learned.of(profiles, avoid)), warnings


def explain_paper(
    config: Config,
    paper: str,
    topics: Sequence[str],
    paths: Sequence[str],
    today: dt.date,
    *,
    date: dt.date | None = None,
    fmt: str | None = None,
) -> tuple[PaperWhy, list[SourceStats], list[str]]:
    """Why ``paper`` (an arXiv id or link, or a title) counts or not for ``topics`` (every
    topic when none is named) on its date (``digest explain``): ranked as ``digest rank``
    ranks it, from the SOURCE files ``paths`` (their papers the history the profiles learn
    from) or, without, from the store. Returns the explanation, the sources' statistics
    and warnings."""
    key = paper_key(paper)
    wanted = title_id(key)
    stats: list[SourceStats] = []

    def find(candidates: Iterable[Paper]) -> Paper | None:
        return next((p for p in candidates if p.id == key or title_id(p.title) == wanted), None)

    if paths:
        papers, stats = parse(paths, today, date=date, fmt=fmt)
        found = find(papers)
        where = f"the papers of {', '.join(paths)} ({len(papers):,})"
        if found is not None:
            ranker, warnings = _files_ranker(config, papers)
            day = group_by_date(papers)[found.date]
    else:
        with Store(config.store) as store:
            if not store.dates():
                raise DigestError(f"{config.store}: no papers yet; run `digest build` first")
            found = next(iter(store.find_papers([key], [key])), None)
            where = f"the store ({config.store})"
            if found is not None:
                learned, warnings = store_profiles(config, store)
                day = store.papers_on(found.date)
                ranker = _ranker(config, None, learned, len(day))
    if found is None:
        raise DigestError(
            f"{paper}: not among {where}; give its arXiv id as the sources write it, its exact "
            "title, or the files that hold it"
        )
    return explain(day, ranker, found.id, topics or None), stats, warnings


def _resolve(
    config: Config, lookup: Lookup
) -> tuple[dict[str, list[Paper]], dict[str, list[Paper]], list[str]]:
    """The topics' examples and papers to avoid, found (:func:`.examples.resolve`); nothing is
    looked up when no topic has any."""
    if not any(t.examples or t.avoid for t in config.topics):
        return {}, {}, []
    return resolve(config.topics, lookup)


def _ranker(
    config: Config, matcher: Matcher | None, learned: Learned, papers: int | None = None
) -> Ranker:
    return Ranker.compile(
        config.topics, matcher, papers, profiles=learned.profiles, settings=config.ranking,
        avoid=learned.avoid,
    )  # fmt: skip


def store_profiles(
    config: Config, store: Store, files: str | None = None
) -> tuple[Learned, list[str]]:
    """What the topics learned: the profiles of those that learn one (with examples, or every
    topic with ``ranking.learn``), learned from the store and kept there between builds, and
    the papers to avoid; and warnings (examples not found). Without examples, likes or
    ``ranking.learn`` nothing is read or learned: every topic ranks by its keywords and their
    words. ``files``: the example files' key (:func:`files_key`), when the caller has it."""
    examples, avoid, warnings = _resolve(config, store.find_papers)
    if not learning(config.topics, config.ranking):
        return Learned.of(None, avoid), warnings
    matcher = Ranker.compile(config.topics).matcher
    profiles = learn_from_store(
        store,
        config.topics,
        config.ranking,
        matcher,
        examples,
        avoid,
        files_key(config.topics) if files is None else files,
    )
    return Learned.of(profiles, avoid), warnings


def rank_store(
    config: Config, *, date: dt.date | None = None, form: str = "json"
) -> tuple[Iterator[bytes], list[str]]:
    """Rank the store's papers of ``date`` (default: of every date), each date on its own,
    with the profiles learned from the store; TL;DRs and keyword spans for the highlights
    only. Returns the lines ``digest rank`` prints (``form``: ``json`` or ``text``), made a
    date at a time as they are read (by worker processes on many dates), and warnings."""
    with Store(config.store) as store:
        counts = dict(store.dates())
        if not counts:
            raise DigestError(f"{config.store}: no papers yet; run `digest build` first")
        if date is not None and date not in counts:
            raise DigestError(f"no papers on {date} in the store (newest: {max(counts)})")
        dates = [date] if date else sorted(counts)
        learned, warnings = store_profiles(config, store)
    lines = stored_lines(
        functools.partial(Store.reader, config.store), dates, config.topics, config.highlights,
        config.ranking, learned, sizes=[counts[d] for d in dates], form=form,
    )  # fmt: skip
    return lines, warnings


def paper_key(paper: str) -> str:
    """A paper as ``digest like`` and ``digest explain`` take it: its arXiv id (from an id or an
    arXiv or Hugging Face link), else its title with its spaces collapsed. An empty paper, and a
    link that names no arXiv paper, are errors."""
    arxiv = as_arxiv_id(paper)
    if arxiv is not None:
        return arxiv
    key = " ".join(paper.split())
    if not key:
        raise DigestError(
            f"{paper!r}: no paper; give its arXiv id (or its arXiv or Hugging Face link), "
            "or its title"
        )
    if re.match(r"https?://", key, re.IGNORECASE):
        raise DigestError(
            f"{paper}: a link that names no arXiv paper; give the paper's arXiv id "
            "(or its arXiv or Hugging Face link), or its title"
        )
    return key


def feedback(config: Config, verb: str, topic: str, papers: Sequence[str]) -> list[str]:
    """Append ``like`` or ``unlike`` lines for ``papers`` (arXiv ids or titles) and ``topic`` to
    the feedback file beside the config (``digest like`` / ``digest unlike``); what to tell the
    user, a line per paper. A paper given twice, or already so in the file, is not written
    again."""
    ids = [as_arxiv_id(p) for p in papers]
    keys = [arxiv or paper_key(p) for p, arxiv in zip(papers, ids, strict=True)]
    for paper, key, arxiv in zip(papers, keys, ids, strict=True):
        if arxiv is None and key == paper and Path(paper).suffix and Path(paper).is_file():
            what = "examples" if verb == "like" else "avoid"
            raise DigestError(
                f"{paper}: a file; name it under topics.{topic}.{what}: in {config.file or 'the config'}"
                f" (digest {verb} takes papers: arXiv ids, links or titles)"
            )
    found: dict[str, Paper] = {}  # by id, and by a title's identity
    if config.store.is_file():
        with Store(config.store) as store:
            titles = [k for k, i in zip(keys, ids, strict=True) if i is None]
            for p in store.find_papers(keys, titles):
                found[p.id] = found[title_id(p.title)] = p
    now = read_feedback(config.feedback)[0].get(topic, {})  # paper -> liked, as the file says
    # the papers the config itself avoids for the topic (an avoid wins over a like)
    written = next((t.avoid for t in config.topics if t.name == topic), ())
    avoided = set(written).difference(p for p, liked in now.items() if not liked)
    lines, said = [], []
    what = "example" if verb == "like" else "to avoid"
    for key in keys:
        paper_found = found.get(key) or found.get(title_id(key))
        if paper_found is not None:  # a title the store knows is kept as its paper's id
            key, title = paper_found.id, paper_found.title
            known = f" ({title})"
        else:
            title, known = "", " (not in the store yet: the next build looks for it)"
        if now.get(key) == (verb == "like"):
            said.append(f"{topic}: {what}: {key}{known}: already so, not written again")
            continue
        now[key] = verb == "like"
        lines.append(f"{verb}\t{topic}\t{key}\t{title}\n")
        said.append(f"{topic}: {what}: {key}{known}")
        if verb == "like" and key in avoided:
            said.append(
                f"{topic}: {key} is in topics.{topic}.avoid of {config.file or 'the config'}: "
                "it stays avoided (never counts for the topic) until it is taken out there"
            )
    if not lines:
        return said
    new = not config.feedback.exists()
    with open(config.feedback, "a", encoding="utf-8") as f:
        if new:
            f.write("# digest like / unlike: verb, topic, paper (arXiv id or title), title\n")
        f.writelines(lines)
    said.append(f"written to {config.feedback}; the next build learns from it")
    return said


# -- build: collect -> rank -> render -> write -------------------------------------------------


def site_of(
    config: Config, topics: Sequence[Topic], dates: Sequence[DateInfo] = (), templates_key: str = ""
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
        home_days=config.site.home_days,
        search=config.site.search,
        section_papers=config.site.section_papers,
    )


def build(
    config: Config,
    today: dt.date,
    *,
    out: Path | None = None,
    force: bool = False,
    offline: bool = False,
    workers: int | None = None,
    prune: bool = False,
    bar: Bar | None = None,
    fetched: Fetched | None = None,
) -> BuildReport:
    """Collect the sources, rank every date whose papers changed, render every date whose
    ranking, neighbours, config or templates changed, and write (``digest build``).
    ``workers``: processes for ranking and rendering many dates (default: one per core);
    ``prune``: also remove the files an earlier build listed that no build the store
    recorded wrote (see :meth:`digest.writer.Writer.finish`); ``bar``: a progress bar for each
    long stage; ``fetched`` hears of each URL source."""
    need_sources(config)
    out = (out or config.output).resolve()
    if config.store.resolve().is_relative_to(out):
        raise DigestError(f"{out}: the output folder must not hold the store ({config.store})")
    if (why := config.output_problem(out)) is not None:
        raise DigestError(why)
    bar = bar or _no_bar
    with output_lock(out):
        clock = time.perf_counter()
        total = source_bytes(config.sources, config.root) if bar is not _no_bar else 0
        with bar("collecting", total, "bytes") as progress:
            collected = run_collect(
                config, today, progress=progress, offline=offline, fetched=fetched, force=force
            )
        seconds = {"collect": time.perf_counter() - clock}
        with Store(config.store) as store:
            ranks = RankCache(
                store, config.topics, config.highlights,
                functools.partial(Store.reader, store.path), config.ranking,
                files=files_key(config.topics),
            )  # fmt: skip
            stale = ranks.stale(force)
            warnings: list[str] = []
            if stale:  # the profiles are learned only for a build that ranks
                ranks.learned, warnings = store_profiles(config, store, ranks.files)
            if stale:
                with bar("ranking", len(stale), "dates") as advance:
                    count = process_map.count(len(stale), workers)
                    ranks.refresh(stale, workers=count, progress=advance)
            seconds["rank"] = time.perf_counter() - clock - seconds["collect"]
            searched: list[str] = []

            def search_index(writer: Writer, rendering: render_cache.Rendering) -> None:
                seconds["render"] = time.perf_counter() - clock - sum(seconds.values())
                searched.append(_search(config, writer, rendering, workers=workers))
                seconds["search"] = time.perf_counter() - clock - sum(seconds.values())

            done = _render(
                config, store, ranks, out, force=force, workers=workers, prune=prune, bar=bar,
                before_finish=search_index,
            )  # fmt: skip
            seconds["render"] += time.perf_counter() - clock - sum(seconds.values())
            checked = _check(store, ranks, config.topics)
    return BuildReport(
        collected=collected,
        out=out,
        dates=len(ranks.ranked),
        ranked=tuple(stale),
        rendered={name: tuple(sorted(dates)) for name, dates in done.rendered.items()},
        loaded=tuple(done.loaded),
        pieces=tuple(done.pieces),
        summary=done.summary,
        templates_parsed=done.templates_parsed,
        workers=done.workers,
        written=done.written,
        seconds=seconds,
        warnings=tuple(warnings),
        check=checked,
        search=searched[0] if searched else "",
    )


def _search(
    config: Config, writer: Writer, done: render_cache.Rendering, *, workers: int | None
) -> str:
    """The site's search index brought up to date, and its files listed in the manifest: the
    months whose day pages were rendered (or that have no index yet) indexed again; removed
    when search is off or the site not built. What was done, in a line (``""``: nothing to
    say)."""
    from . import search

    out = writer.out
    if not config.site.search or (config.outputs is not None and "site" not in config.outputs):
        return "search: index removed (search is off)" if search.remove_index(out) else ""
    months = {d.isoformat()[:7] for d in done.rendered.get("site", ())}
    report = search.index_site(out, months=months, workers=workers or os.cpu_count() or 1)
    writer.list_made_elsewhere(search.FOLDER, "search-index")
    return report.describe() if report.months or not report.indexed else ""


def check(config: Config, *, workers: int | None = None, bar: Bar | None = None) -> CheckReport:
    """The topics against the store (``digest check``): the dates whose ranking is not for
    these topics are ranked first (and kept, as a build keeps them)."""
    need_sources(config)
    if not config.topics:
        raise DigestError(
            f"{config.file or 'the config'}: no topics to check; add a topics: section "
            "(a name and its keywords: `diffusion: [diffusion model, score matching]`)"
        )
    bar = bar or _no_bar
    with Store(config.store) as store:
        ranks = RankCache(
            store, config.topics, config.highlights,
            functools.partial(Store.reader, store.path), config.ranking,
            files=files_key(config.topics),
        )  # fmt: skip
        stale = ranks.stale()
        # the profiles learned from the store (kept there: learned again only when it or the
        # topics changed), and the examples and papers to avoid it does not hold
        ranks.learned, warnings = store_profiles(config, store, ranks.files)
        if stale:  # ranked as a build ranks them
            with bar("ranking", len(stale), "dates") as advance:
                count = process_map.count(len(stale), workers)
                ranks.refresh(stale, workers=count, progress=advance)
        report = _check(store, ranks, config.topics)
        report = with_learned(report, config.topics, ranks.learned.profiles)
    return dataclasses.replace(
        report, warnings=(*warnings, *report.warnings, *_short_topics(config.topics))
    )


def _short_topics(topics: Sequence[Topic]) -> list[str]:
    """``digest check``'s advice for a topic of one or two keywords and no examples: measured,
    such topics rank below BM25 on average, those of three or more above it."""
    out = []
    for t in topics:
        count = len({k.strip().casefold() for k in t.keywords})
        if count < 3 and not t.examples:
            out.append(
                f"topic {t.name!r}: {count} keyword{'s' if count > 1 else ''} and no examples; "
                "topics of three keywords or more rank better (measured: docs/quality.md), so "
                "add keywords, or examples (digest like)"
            )
    return out


def _check(store: Store, ranks: RankCache, topics: Sequence[Topic]) -> CheckReport:
    dates = {d: (ranks.key(d), v[0]) for d, v in ranks.versions.items()}
    return check_topics(store, topics, dates, ranks.base)


def orphans_warning(paths: Sequence[str], out: Path, store: Path) -> str:
    """What a build says of the files it kept because no build the store recorded wrote them
    (:attr:`~digest.model.WriteReport.orphans`): what they are, and how to keep or drop them."""
    dates = sorted({m[0] for p in paths if (m := re.search(r"\d{4}-\d{2}-\d{2}", p))})
    of = f" (of {len(dates)} date(s), {dates[0]} to {dates[-1]})" if dates else ""
    return (
        f"{out}: kept {len(paths)} file(s) that manifest.json lists{of}: this build does not "
        f"make them, and the store ({store}) does not know a build that wrote them (is it new, "
        "or was it lost?). They stay published and listed. To make them again, restore the "
        "store from a backup, or give the sources that held their papers; `digest build "
        "--prune` removes them."
    )


def _render(
    config: Config,
    store: Store,
    ranks: RankCache,
    out: Path,
    *,
    force: bool,
    workers: int | None,
    prune: bool,
    bar: Bar,
    before_finish: Callable[[Writer, render_cache.Rendering], None],
) -> render_cache.Rendering:
    """Render and write every date of the store that changed, and what lists them."""
    ranked = ranks.ranked
    dates = sorted(ranked, reverse=True)
    infos = [DateInfo(d, ranked[d][1], ranked[d][2]) for d in dates]
    every = templates_fingerprint(config.templates)
    site = site_of(config, config.topics, infos, templates_key=every)
    base = cache_key(  # the outputs built: the templates link to the site and feeds
        ranks.base, config.title, config.site_url, config.email, config.templates,
        config.outputs, config.site,
    )  # fmt: skip
    return render_cache.render(
        store, site, Writer(out), base=base, rankings=ranked,
        load=functools.partial(load_ranked, cap=config.site.section_papers),
        reader=functools.partial(Store.reader, store.path), force=force, workers=workers,
        prune=prune, progress=lambda label, total: bar(label, total, "dates"),
        before_finish=before_finish,
    )  # fmt: skip


# -- send --------------------------------------------------------------------------------------


def send(
    config: Config,
    date: dt.date | None = None,
    *,
    dry_run: bool = False,
    to: str | None = None,
    out: Path | None = None,
    resend_uncertain: bool = False,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> SendReport:
    """The date's digest to every subscriber (``digest send``); without ``date``, the newest
    date not yet sent (:func:`date_to_send`; ``today``: what counts as today)."""
    from . import send as sending

    sending.check(config, dry_run=dry_run, to=to)
    with Store(config.store) as store:
        known = [d for d, _ in store.dates()]
        if not known:
            raise DigestError(f"{config.store}: no papers yet; run `digest build` first")
        chosen = None
        if date is None:
            with DeliveryLog(config.store) as log:
                sent = set() if to else log.dates()
            date, chosen = date_to_send(known, sent, today or dt.date.today())
        papers = store.papers_on(date)
        learned = store_profiles(config, store)[0]
    if not papers:
        raise DigestError(f"no papers on {date} in the store (newest: {known[-1]})")
    report = sending.send(
        config, date, papers, lambda topics: site_of(config, topics), dry_run=dry_run, to=to,
        out=out, resend_uncertain=resend_uncertain, now=now, progress=progress,
        learned=learned,
    )  # fmt: skip
    report.chosen = chosen
    return report


def date_to_send(
    known: Sequence[dt.date], sent: set[dt.date], today: dt.date
) -> tuple[dt.date, str]:
    """The date a send without ``--date`` mails, and why: the newest date (not after
    ``today``) newer than every date sent so far; when none is, the last date sent again (a
    rerun reaches only those it has not). A date after today (one paper dated in the future)
    is never taken by itself: it would be the newest for good, and every later daily send would
    find it sent already."""
    later = [d for d in known if d > today]
    past = [d for d in known if d <= today] or list(known)
    last = max((d for d in sent if d in set(past)), default=None)
    fresh = [d for d in past if d not in sent and (last is None or d > last)]
    note = (
        f"; {len(later)} date(s) after today ({later[0]}{'...' if len(later) > 1 else ''}) go "
        "only with --date"
        if later and past != list(known)
        else ""
    )
    if fresh:
        return max(fresh), f"the newest date not yet sent{note}"
    assert last is not None
    return last, f"no newer date to send: the last date sent, for whoever it has not reached{note}"
