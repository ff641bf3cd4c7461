"""The commands that read: parse, collect, fetch, sources, dates, rank."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import BinaryIO

import click

from .. import pipeline
from ..config import Config
from ..errors import DigestError, PartialFailure
from ..model import CollectReport, FetchResult, SourceStats
from ..paper_lines import PaperLines
from ..text import size as size_text
from . import (
    DATE,
    _config,
    _day,
    _finish,
    _plural,
    _progress,
    _report_problems,
    _stage_bar,
    _verbose,
    _warn,
    config_option,
    format_option,
    main,
    offline_option,
    plain_drops,
    print_check,
    today_option,
    verbose_option,
)


@main.command(short_help="Print the papers of files, without the store.")
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per paper per line.")
@today_option
@click.option("--date", type=DATE, help="The date of undated pages.")
@format_option
def parse(
    sources: tuple[str, ...],
    as_json: bool,
    today: dt.datetime | None,
    date: dt.datetime | None,
    fmt: str | None,
) -> None:
    """Read SOURCE files, globs or URLs and print their papers, without touching the store.

    Duplicates across the sources appear once. With --json each line is an object with id,
    title, abstract, date (YYYY-MM-DD), source, url (or null), authors, categories and extra:
    a stable interface for scripts.

    \b
    Example:
      digest parse --json feeds/pages/*.txt | jq -r .title
      digest parse https://rss.arxiv.org/rss/cs.CL
    """
    day, since = _day(today) or dt.date.today(), _day(date)
    if as_json:
        lines, stats = pipeline.parse(sources, day, date=since, fmt=fmt, into=PaperLines)
    else:
        papers, stats = pipeline.parse(sources, day, date=since, fmt=fmt)
    errors = _report_problems(stats)
    for s in stats:
        if s.dropped:
            click.echo(f"  {s.name}: {s.read} read, {_dropped(s)}", err=True)
    if as_json:
        try:
            _write_chunks(lines.chunks())
        finally:
            lines.close()
    else:
        out = sys.stdout
        for paper in papers:
            out.write(f"{paper.date}  {paper.id:<24}  {paper.title}\n")
    _finish(errors, stats)


def _write_chunks(chunks: Iterable[bytes]) -> None:
    """Bytes of UTF-8 text on stdout: to its binary buffer, or, for a text-only stream (click's
    test runner), decoded."""
    out = sys.stdout
    out.flush()
    buffer: BinaryIO | None = getattr(out, "buffer", None)
    for chunk in chunks:
        if buffer is not None:
            buffer.write(chunk)
        else:
            out.write(chunk.decode("utf-8", "surrogateescape"))


def _dropped(s: SourceStats) -> str:
    """``3 dropped (2 record without a title, 1 ...)``: what a source left out, and why."""
    reasons = "; ".join(plain_drops(s.drop_reasons))
    return f"{s.dropped} dropped" + (f" ({reasons})" if reasons else "")


def _fetch_line(result: FetchResult) -> str:
    if result.status == "fetched":
        pages = f", {result.pages} pages" if result.pages > 1 else ""
        tries = f", {result.attempts} attempts" if result.attempts > 1 else ""
        partly = f"; {result.error}" if result.error else ""
        return f"fetched {size_text(result.size)}{pages} in {result.seconds:.1f} s{tries}{partly}"
    if result.status == "unchanged":
        return "unchanged (304 Not Modified)"
    if result.status == "offline":
        assert result.copy is not None
        return f"offline: the cached copy ({result.copy.described()})"
    fallback = (
        f"; falls back on the last good copy ({result.good.described()})"
        if result.good
        else "; no earlier copy to fall back on"
    )
    return f"FAILED: {result.error}{fallback}"


def _print_fetched(result: FetchResult) -> None:
    name = f"{result.name} ({result.date})" if result.date else result.name
    click.secho(f"  {name}: {_fetch_line(result)}", err=True, fg="red" if result.failed else None)


DATES_SHOWN = 14  # per-date lines of `digest collect` without -v (a backfill has hundreds)


def print_dates(report: CollectReport, limit: int | None = None) -> None:
    """A line per date the run touched: how many papers were new, how many already seen (the
    newest ``limit`` dates, and a line for the rest)."""
    dates = report.dates
    if limit is not None and len(dates) > limit:
        earlier = dates[:-limit]
        click.echo(
            f"{earlier[0].date} to {earlier[-1].date}: {len(earlier)} dates, "
            f"{sum(d.new for d in earlier):,} new, {sum(d.seen for d in earlier):,} already seen "
            "(-v: a line each)"
        )
        dates = dates[-limit:]
    for day in dates:
        click.echo(f"{day.date}  {day.new:6d} new  {day.seen:6d} already seen")


def print_sources(report: CollectReport) -> None:
    """A line per source: read, new, already seen, merged, skipped (in plain words)."""
    for s in report.sources:
        unchanged = (
            f"{s.unchanged_inputs} file(s) unchanged since last read, not read again "
            f"({s.unchanged_papers} papers)"
        )
        if s.unchanged_inputs and not (s.read or s.dropped):
            click.echo(f"  {s.name}: {unchanged}", err=True)
            continue
        click.echo(
            f"  {s.name}: {s.read} read, {s.new} new, {s.seen} already seen, "
            f"{s.duplicates} duplicates merged, {_dropped(s)}"
            + (f"; {unchanged}" if s.unchanged_inputs else ""),
            err=True,
        )


def collect_summary(report: CollectReport) -> str:
    """The collect in one line: the new papers and their dates, what was already seen, the
    files not read again, what was skipped."""
    new = sum(d.new for d in report.dates)
    seen = sum(d.seen for d in report.dates)
    sources = _plural(len(report.sources), "source")
    if new:
        dated = [d.date for d in report.dates if d.new]
        span = (
            f"on {dated[0]}"
            if len(dated) == 1
            else (f"on {len(dated)} dates, {dated[0]} to {dated[-1]}")
        )
        head = f"collected {_plural(new, 'new paper')} {span}, from {sources}"
    else:
        head = f"nothing new from {sources}"
    more = [f"{seen:,} already seen"] if seen else []
    unchanged = sum(s.unchanged_inputs for s in report.sources)
    if unchanged:
        more.append(f"{_plural(unchanged, 'file')} unchanged since last read")
    drops: dict[str, int] = {}
    for s in report.sources:
        for reason, n in s.drop_reasons.items():
            drops[reason] = drops.get(reason, 0) + n
    more += plain_drops(drops)
    return head + ("; " + "; ".join(more) if more else "")


def print_collect_report(report: CollectReport, *, verbose: bool = True) -> None:
    """The run report: with ``verbose``, a line per date and per source, else one line."""
    if verbose:
        print_dates(report)
        print_sources(report)
    else:
        click.echo(collect_summary(report))
    for warning in report.warnings:
        _warn(warning)


def _collect(
    config: Config,
    today: dt.date | None,
    date: dt.date | None,
    offline: bool = False,
    force: bool = False,
) -> None:
    """Collect with a progress bar, print the report, fail at the end if a source failed."""
    with _progress(pipeline.source_bytes(config.sources, config.root), "collecting") as progress:
        report = pipeline.run_collect(
            config, today or dt.date.today(), date=date, progress=progress, offline=offline,
            fetched=_print_fetched, force=force,
        )  # fmt: skip
    errors = _report_problems(report.sources)
    print_dates(report, None if _verbose() else DATES_SHOWN)
    print_sources(report)
    for warning in report.warnings:
        _warn(warning)
    _finish(errors, report.sources)


@main.command(short_help="Fetch and collect the sources into the store.")
@config_option
@today_option
@click.option("--date", type=DATE, help="The date of undated pages.")
@offline_option
@click.option(
    "--force", is_flag=True, help="Read every input file, even those unchanged since last read."
)
@verbose_option
def collect(
    config_path: str | None,
    today: dt.datetime | None,
    date: dt.datetime | None,
    offline: bool,
    force: bool,
) -> None:
    """Fetch the URL sources, collect every source into the store and print, per date, how
    many papers were new and how many already seen. An input file unchanged since a collect
    read it in full is not read again.

    \b
    Example:
      digest collect --config digest.yaml
      digest collect --offline          # URL sources from their cached copies
    """
    _collect(_config(config_path), _day(today), _day(date), offline, force)


@main.command(short_help="How each topic fares: papers matched, highlights, typos.")
@config_option
def check(config_path: str | None) -> None:
    """Check the topics against the store: per topic, the papers it matched in the 7 and 30
    days to the newest date (and how many of the 30 days' only its words or profile counted,
    no keyword: "related only"), and its highlights that day; under a topic that learns a
    profile (examples, digest like, ranking.learn), what it learned from and its heaviest
    words besides its keywords' own. A topic that matched nothing in
    those 30 days is a warning, as is one only its words matched, and so is a keyword that
    matched no paper in the store, with a "did you mean" from the words the papers use
    (difusion -> diffusion), and an example (or paper to avoid) the store does not hold;
    unknown keys of the config get one too. Dates ranked for other
    topics are ranked first (a build then keeps them).
    `digest build` ends with the same lines (but what the profiles learned).

    \b
    Example:
      digest check                      # after editing the topics of ./digest.yaml
      digest check -c lab.yaml
    """
    config = _config(config_path)
    report = pipeline.check(config, bar=_stage_bar)
    if report.newest is None:
        raise DigestError(f"{config.store}: no papers yet; run `digest build` first")
    print_check(report)
    found = len(report.warnings) + len(config.warnings)
    click.echo(
        f"{_plural(found, 'warning')}; see above" if found else "no warnings: every topic matched"
    )


@main.command(name="fetch", short_help="Download the URL sources into the cache.")
@config_option
@click.option(
    "-s", "--source", "names", multiple=True, help="Fetch only this source (by name); repeatable."
)
def fetch_command(config_path: str | None, names: tuple[str, ...]) -> None:
    """Fetch every URL source into the cache beside the store, politely: conditional GET,
    retries with backoff, a minimum interval per host, a deadline and a size cap (see the
    config's fetch: section). Collecting is left to `digest collect` or `digest build`.

    \b
    Example:
      digest fetch
      digest fetch --source cs.CL
    """
    config = _config(config_path)
    known = {s.name for s in config.sources if s.url}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DigestError(
            f"no URL source named {', '.join(map(repr, unknown))} "
            f"(URL sources: {', '.join(sorted(known)) or 'none'})"
        )
    if not known:
        click.echo("no URL sources in the config (give a source url: to fetch it)")
        return
    results = pipeline.fetch_only(config, names=names or None, done=_print_fetched)
    failed = [r for r in results if r.failed]
    fetched = sum(1 for r in results if r.status == "fetched")
    unchanged = sum(1 for r in results if r.status == "unchanged")
    click.echo(f"{fetched} fetched, {unchanged} unchanged, {len(failed)} failed")
    if failed:
        raise PartialFailure(f"{len(failed)} of {len(results)} source(s) could not be fetched")


@main.command(name="sources", short_help="The sources, their last fetch and collect.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source per line.")
def sources_command(config_path: str | None, as_json: bool) -> None:
    """List the configured sources: where each comes from, its last fetch (time and status),
    its cached copy, and how many papers its last collect read.

    With --json each line has name, kind (file|url), location, format, last_fetch,
    fetch_status (fetched|unchanged|failed), fetch_error, cached, last_collect, items, new and
    errors (null where unknown): a stable interface for scripts.

    \b
    Example:
      digest sources
      digest sources --json | jq -r 'select(.fetch_status == "failed") | .name'
    """
    rows = pipeline.source_status(_config(config_path))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo("no sources configured")
        return
    width = max(len(str(r["name"])) for r in rows)
    for row in rows:
        if row["kind"] == "url":
            status = row["fetch_status"] or "never fetched"
            when = f" {row['last_fetch']}" if row["last_fetch"] else ""
            fetched = f"{status}{when}"
            if row["fetch_error"]:
                fetched += f" ({row['fetch_error']})"
            if row["cached"] and row["fetch_status"] == "failed":
                fetched += f"; cached copy from {row['cached']}"
        else:
            fetched = "file"
        items = "never collected" if row["items"] is None else f"{row['items']} items"
        if row["errors"]:
            items += f", {row['errors']} error(s)"
        click.echo(f"{row['name']!s:<{width}}  {items:<18}  {fetched}")
        click.echo(f"{'':<{width}}  {row['location']}")


@main.command(short_help="The dates in the store, with paper counts.")
@config_option
@click.option(
    "--json", "as_json", is_flag=True, help='One object per line: {"date": ..., "papers": N}.'
)
def dates(config_path: str | None, as_json: bool) -> None:
    """List the dates in the store with their paper counts.

    \b
    Example:
      digest dates --json
    """
    config = _config(config_path)
    for day, count in pipeline.list_dates(config):
        if as_json:
            click.echo(json.dumps({"date": day.isoformat(), "papers": count}))
        else:
            click.echo(f"{day}  {count}")


@main.command(short_help="Score papers against the topics.")
@click.argument("sources", nargs=-1)
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per paper per date.")
@today_option
@click.option(
    "--date",
    type=DATE,
    help="With SOURCEs: the date of undated pages. Without: rank only this date of the store.",
)
@format_option
def rank(
    sources: tuple[str, ...],
    config_path: str | None,
    as_json: bool,
    today: dt.datetime | None,
    date: dt.datetime | None,
    fmt: str | None,
) -> None:
    """Score papers against the config's topics and pick each date's highlights.

    With SOURCE files it ranks them without touching the store (like `digest parse`);
    without, it ranks the store's papers per date. With --json each line is an object with
    id, title, date, score, topics (topic -> score), matched (topic -> keywords), related
    (topic -> why a paper no keyword matched counts), highlight and tldr (the highlights';
    null for the others): a stable interface for scripts.

    \b
    Example:
      digest rank --json feeds/pages/*.txt | jq 'select(.highlight)'
    """
    config = _config(config_path)
    if not config.topics:
        raise DigestError(f"{config.file}: no topics to rank against; add a topics: section")
    stats: list[SourceStats] = []
    form = "json" if as_json else "text"
    if sources:
        lines, stats, warnings = pipeline.rank_sources(
            config, sources, _day(today) or dt.date.today(), date=_day(date), fmt=fmt,
            form=form,
        )  # fmt: skip
    else:
        lines, warnings = pipeline.rank_store(config, date=_day(date), form=form)
    errors = _report_problems(stats)
    for warning in warnings:
        _warn(warning)
    _write_chunks(lines)  # as the dates are ranked
    _finish(errors, stats)
