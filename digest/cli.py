"""The ``digest`` command: thin click commands, each loads the config and calls one function."""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__, pipeline
from . import sources as sources_registry
from .collect import Progress
from .config import Config, is_example_url, load_config, split_address
from .errors import DigestError, PartialFailure
from .model import CollectReport, FetchResult, SourceStats
from .text import size as size_text

DATE = click.DateTime(formats=["%Y-%m-%d"])

config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: ./digest.yaml).",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(sources_registry.REGISTRY)),
    help="Skip detection and read every SOURCE as this format.",
)
today_option = click.option(
    "--today", type=DATE, help="Resolve year-less dates against this day (default: today)."
)


class _Group(click.Group):
    """Shows unexpected errors as one line unless ``--verbose``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except BrokenPipeError:  # `digest parse --json ... | head`: the reader has had enough
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            raise DigestError(
                f"{type(exc).__name__}: {exc} (run with --verbose for the traceback)"
            ) from None


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _warn(message: str) -> None:
    click.secho(f"warning: {message}", fg="yellow", err=True)


def _config(path: str | None) -> Config:
    config = load_config(path)
    for warning in config.warnings:
        _warn(f"{config.file}: {warning}")
    return config


@contextmanager
def _progress(total: int, label: str, at_least: int = 8 << 20) -> Iterator[Progress | None]:
    """A progress bar on stderr for long work: ``total`` bytes (or items, with ``at_least``
    set to match), shown only on a terminal."""
    if total < at_least or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _stage_bar(label: str, total: int, unit: str) -> AbstractContextManager[Progress | None]:
    """A build stage's bar: past 8 MB of sources to read, or 50 dates to rank or render."""
    return _progress(total, label, at_least=8 << 20 if unit == "bytes" else 50)


def _report_problems(stats: list[SourceStats] | tuple[SourceStats, ...]) -> int:
    errors = 0
    for source in stats:
        for warning in source.warnings:
            _warn(warning)
        for error in source.errors:
            click.secho(f"error: {error}", fg="red", err=True)
            errors += 1
    return errors


def _finish(errors: int, stats: list[SourceStats] | tuple[SourceStats, ...]) -> None:
    if errors:
        failed = sum(1 for s in stats if s.errors)
        if failed == len(stats):
            raise PartialFailure(f"{errors} error(s); no source could be read in full")
        raise PartialFailure(
            f"{errors} error(s) in {failed} of {len(stats)} source(s); the other sources were read"
        )


def run() -> None:
    """The ``digest`` program. Every module it needs is loaded by now: they are moved out of
    the garbage collector's sight (``gc.freeze``), so that its collections, and the last one at
    exit, no longer walk them (about 30 ms of a daily build's 0.4 s; forked workers share them
    untouched too)."""
    gc.freeze()
    main()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and debug logging.")
@click.version_option(__version__, prog_name="digest")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """digest: turn the daily stream of new paper abstracts into a newsletter.

    \b
    Example:
      digest build            # collect, rank and render with ./digest.yaml
    """
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@main.command()
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
    """Read SOURCE files (or globs) and print their papers, without touching the store.

    Duplicates across the sources appear once. With --json each line is an object with id,
    title, abstract, date (YYYY-MM-DD), source, url (or null), authors, categories and extra:
    a stable interface for scripts.

    \b
    Example:
      digest parse --json feeds/pages/*.txt | jq -r .title
    """
    papers, stats = pipeline.parse(sources, _day(today) or dt.date.today(), _day(date), fmt)
    errors = _report_problems(stats)
    out = sys.stdout
    for paper in papers:
        if as_json:
            out.write(json.dumps(paper.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(f"{paper.date}  {paper.id:<24}  {paper.title}\n")
    _finish(errors, stats)


offline_option = click.option(
    "--offline",
    is_flag=True,
    help="Do not fetch URL sources: read their newest cached copies.",
)


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
    click.secho(
        f"  {result.name}: {_fetch_line(result)}", err=True, fg="red" if result.failed else None
    )


def print_collect_report(report: CollectReport) -> None:
    for day in report.dates:
        click.echo(f"{day.date}  {day.new:6d} new  {day.seen:6d} already seen")
    for s in report.sources:
        unchanged = (
            f"{s.unchanged_inputs} file(s) unchanged since last read, not read again "
            f"({s.unchanged_papers} papers)"
        )
        if s.unchanged_inputs and not (s.read or s.dropped):
            click.echo(f"  {s.name}: {unchanged}", err=True)
            continue
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(s.drop_reasons.items()))
        click.echo(
            f"  {s.name}: {s.read} read, {s.new} new, {s.seen} already seen, "
            f"{s.duplicates} duplicates merged, {s.dropped} dropped"
            + (f" ({reasons})" if reasons else "")
            + (f"; {unchanged}" if s.unchanged_inputs else ""),
            err=True,
        )
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
            config, today or dt.date.today(), date, progress, offline, _print_fetched, force
        )
    errors = _report_problems(report.sources)
    print_collect_report(report)
    _finish(errors, report.sources)


@main.command()
@config_option
@today_option
@click.option("--date", type=DATE, help="The date of undated pages.")
@offline_option
@click.option(
    "--force", is_flag=True, help="Read every input file, even those unchanged since last read."
)
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


@main.command(name="fetch")
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
    results = pipeline.fetch_only(config, names or None, _print_fetched)
    failed = [r for r in results if r.failed]
    fetched = sum(1 for r in results if r.status == "fetched")
    unchanged = sum(1 for r in results if r.status == "unchanged")
    click.echo(f"{fetched} fetched, {unchanged} unchanged, {len(failed)} failed")
    if failed:
        raise PartialFailure(f"{len(failed)} of {len(results)} source(s) could not be fetched")


@main.command(name="sources")
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


@main.command()
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


@main.command()
@config_option
@today_option
@click.option(
    "-o", "--out", type=click.Path(file_okay=False), help="Output folder (default: the config's)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Read every input file again, rank and render every date again.",
)
@offline_option
def build(
    config_path: str | None,
    today: dt.datetime | None,
    out: str | None,
    force: bool,
    offline: bool,
) -> None:
    """Fetch the URL sources, collect every source, rank each date and write the digest:
    Markdown, HTML email (with text and .eml twins), RSS feeds and a static site, listed in
    OUT/manifest.json. Only what changed is rewritten.

    \b
    Example:
      digest build                      # ./digest.yaml, into its output folder
      digest build -c my.yaml --out public
      digest build --offline            # URL sources from their cached copies
    """
    config = _config(config_path)
    report = pipeline.build(
        config, _day(today) or dt.date.today(), Path(out) if out else None, force, _stage_bar,
        offline, _print_fetched,
    )  # fmt: skip
    errors = _report_problems(report.collected.sources)
    print_collect_report(report.collected)
    w = report.written
    stages = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in report.seconds.items())
    click.echo(
        f"{report.dates} date(s): {report.ranked} ranked, {report.rendered} rendered; "
        f"{len(w.written)} file(s) written, {w.unchanged + w.kept} unchanged, "
        f"{len(w.removed)} removed -> {report.out} in {sum(report.seconds.values()):.2f} s "
        f"({stages})"
    )
    if report.dates and (report.out / "index.html").is_file():  # not without the site
        click.echo(f"open {report.out / 'index.html'}  (or: digest serve)")
    _finish(errors, report.collected.sources)


@main.command()
@config_option
@click.option("-o", "--out", type=click.Path(file_okay=False), help="Folder to serve.")
@click.option("-p", "--port", type=int, default=8000, show_default=True, help="Port (0: any free).")
@click.option(
    "--watch/--no-watch",
    default=True,
    show_default=True,
    help="Build first (URL sources from their cached copies), then again whenever the config, "
    "a template or a local source changes; open pages reload. --no-watch: serve as built.",
)
@click.option("--open", "open_page", is_flag=True, help="Open the home page in a browser.")
@today_option
def serve(
    config_path: str | None,
    out: str | None,
    port: int,
    watch: bool,
    open_page: bool,
    today: dt.datetime | None,
) -> None:
    """Preview the digest on http://127.0.0.1:PORT/ (local only; Ctrl-C stops), built again
    as you edit the config, the templates or a source file.

    \b
    Example:
      digest serve                      # build, serve on port 8000, rebuild on changes
      digest serve --open               # and open it in a browser
      digest serve --no-watch --out public
    """
    from . import preview  # http.server, for this command alone

    try:
        if watch:
            config = _config(config_path)
            live = preview.Preview(
                config, Path(out) if out else None, port, _say_now,
                lambda: _day(today) or dt.date.today(),
            )  # fmt: skip
            folder, url, run, stop = live.out, live.url, live.run, live.close
            watching = f", watching {live.watching} file(s)"
        else:
            folder = Path(out) if out else _config(config_path).output
            if not (folder / "index.html").is_file():
                raise DigestError(f"{folder}: nothing built yet; run `digest build` first")
            server = preview.server(folder, port)
            url = f"http://127.0.0.1:{server.server_port}/"
            run, stop, watching = server.serve_forever, server.server_close, ""
    except OSError as exc:
        raise DigestError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from None
    click.echo(f"serving {folder} on {url}{watching} (Ctrl-C stops)")
    if open_page:
        _open(url)
    try:
        run()
    except KeyboardInterrupt:
        pass
    finally:
        stop()


def _open(url: str) -> None:
    """Open ``url`` in the user's browser (the BROWSER variable, else the system's)."""
    import webbrowser

    if not webbrowser.open(url):
        _warn(f"no browser to open; visit {url}")


def _say_now(line: str) -> None:
    click.echo(f"{dt.datetime.now():%H:%M:%S} {line}")


@main.group(invoke_without_command=True)
@config_option
@click.pass_context
def templates(ctx: click.Context, config_path: str | None) -> None:
    """List the templates (every built-in one, and which your templates folder replaces),
    or copy built-in ones there to edit. A file there replaces the built-in one with the same
    path.

    \b
    Example:
      digest templates                        # list them
      digest templates copy site/day.html     # then edit templates/site/day.html
    """
    ctx.obj = config_path
    if ctx.invoked_subcommand is not None:
        return
    from . import scaffold
    from .render.env import builtin_templates

    config = _config(config_path)
    click.echo(f"built-in: {builtin_templates()}")
    click.echo(f"yours:    {config.templates or '(none: set templates: in the config)'}")
    for t in scaffold.template_files(config.templates):
        if not t.builtin:
            _warn(f"{t.name}: yours, but no built-in template has this name: it replaces nothing")
        else:
            click.echo(f"  {t.name}" + ("   <- yours" if t.yours else ""))


@templates.command("copy")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def templates_copy(config_path: str | None, names: tuple[str, ...]) -> None:
    """Copy built-in templates (by path, or a glob such as 'site/*') into your templates folder,
    to edit; a file already there is kept as it is.

    \b
    Example:
      digest templates copy site/day.html email/day.html
      digest templates copy 'site/*'
    """
    from . import scaffold

    config = _config(config_path)
    for name, copied in scaffold.copy_templates(config.templates, list(names)):
        where = (config.templates or Path()) / name
        click.echo(f"copied {where}" if copied else f"kept {where} (already yours)")


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def init(directory: str) -> None:
    """Start a new digest in DIRECTORY: a commented digest.yaml, a sample feed and an empty
    templates/ folder for your overrides. Existing files are never overwritten.

    \b
    Example:
      digest init my-digest && cd my-digest && digest build
    """
    from . import scaffold

    created = scaffold.create(Path(directory))
    for path in created:
        click.echo(f"created {path}")
    click.echo(
        f"next: cd {directory} && digest build   (or digest serve: build, preview, rebuild as you edit)"
    )


@main.command()
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
    id, title, date, score, topics (topic -> score), matched (topic -> keywords), highlight
    and tldr: a stable interface for scripts.

    \b
    Example:
      digest rank --json feeds/pages/*.txt | jq 'select(.highlight)'
    """
    config = _config(config_path)
    if not config.topics:
        raise DigestError(f"{config.file}: no topics to rank against; add a topics: section")
    stats: list[SourceStats] = []
    if sources:
        days, stats = pipeline.rank_sources(
            config, sources, _day(today) or dt.date.today(), _day(date), fmt
        )
    else:
        days = pipeline.rank_store(config, _day(date))
    errors = _report_problems(stats)
    for day in days:
        for scored in day.papers:
            if as_json:
                click.echo(json.dumps(scored.to_json(), ensure_ascii=False))
            else:
                star = "*" if scored.highlight else " "
                click.echo(
                    f"{day.date} {star} {scored.score:7.3f}  {scored.topic or '-':<16.16}  {scored.paper.title}"
                )
    _finish(errors, stats)


@main.command()
@config_option
@click.option("--date", type=DATE, help="The date whose digest to send (default: the newest).")
@click.option("--dry-run", is_flag=True, help="Write the .eml files that would be sent; send none.")
@click.option("--to", "to", metavar="ADDRESS", help="Send one copy to ADDRESS only, unrecorded.")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    help="With --dry-run: the folder for the .eml files (default: .digest/outbox/DATE).",
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="Also send to those an earlier run stopped on mid-message (they may get it twice).",
)
def send(
    config_path: str | None,
    date: dt.datetime | None,
    dry_run: bool,
    to: str | None,
    out: str | None,
    resend_uncertain: bool,
) -> None:
    """Send the day's digest by email: each subscriber gets the topics they follow, exactly
    once. A rerun after a crash or a failure sends only to those not yet served. The SMTP
    password is read from the environment variable named by email.smtp.password_env.

    \b
    Example:
      digest send --dry-run              # write .digest/outbox/DATE/*.eml
      digest send --to me@example.org    # one preview copy
      DIGEST_SMTP_PASSWORD=... digest send
    """
    config = _config(config_path)
    if to is not None and split_address(to) is None:
        raise click.BadParameter(f"not an email address: {to!r}", param_hint="--to")
    if not dry_run and is_example_url(config.site_url):
        _warn(
            f"{config.file}: site_url is {config.site_url}, an example address: the letters' "
            "links to the site lead nowhere; set site_url to where the site is published"
        )
    total = 1 if to else len(config.subscribers)
    label = "writing" if dry_run else "sending"
    with _progress(total, label, at_least=50) as progress:
        report = pipeline.send(
            config,
            _day(date),
            dry_run=dry_run,
            to=to,
            out=Path(out) if out else None,
            resend_uncertain=resend_uncertain,
            progress=progress,
        )
    for address in report.uncertain:
        _warn(
            f"{address}: an earlier run stopped while the server was taking the message; "
            "not sent again (--resend-uncertain sends it)"
        )
    for address, reason in report.failed.items():
        click.secho(f"failed: {address}: {reason}", fg="red", err=True)
    skipped = [
        f"{n} {what}"
        for n, what in (
            (report.already, "already sent"),
            (report.empty, "with nothing in their topics"),
            (len(report.uncertain), "uncertain"),
        )
        if n
    ]
    verb = "written" if report.dry_run else "sent"
    click.echo(
        f"{report.date}: {len(report.sent)} {verb}, {report.skipped} skipped"
        + (f" ({', '.join(skipped)})" if skipped else "")
        + f", {len(report.failed)} failed; {report.rendered} letter(s) rendered"
    )
    if report.stopped:
        raise DigestError(f"stopped: {report.stopped}; a rerun sends to the rest")
    if report.failed:
        raise PartialFailure(f"{len(report.failed)} delivery(ies) failed; a rerun retries them")
