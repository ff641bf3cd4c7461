"""The commands that publish: build, serve, templates, init, send."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import pipeline
from ..config import find_config, is_example_url, split_address
from ..errors import DigestError, PartialFailure
from . import (
    DATE,
    _config,
    _day,
    _finish,
    _progress,
    _report_problems,
    _stage_bar,
    _verbose,
    _warn,
    config_option,
    main,
    offline_option,
    print_check,
    today_option,
    verbose_option,
)
from .reading import _print_fetched, print_collect_report

if TYPE_CHECKING:
    from ..send import SendReport


@main.command(short_help="Collect, rank and write the site, email, Markdown and feeds.")
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
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes that rank and render many dates (default: one per core, when there are "
    "enough dates to be worth it; 1: none but this one).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove the files manifest.json lists that no build this store recorded wrote "
    "(kept otherwise: the pages of a lost or replaced store).",
)
@verbose_option
def build(
    config_path: str | None,
    today: dt.datetime | None,
    out: str | None,
    force: bool,
    offline: bool,
    workers: int | None,
    prune: bool,
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
        config, _day(today) or dt.date.today(), out=Path(out) if out else None, force=force,
        offline=offline, workers=workers, prune=prune, bar=_stage_bar, fetched=_print_fetched,
    )  # fmt: skip
    errors = _report_problems(report.collected.sources)
    print_collect_report(report.collected, verbose=_verbose())
    for warning in report.warnings:
        _warn(warning)
    if report.check is not None:
        print_check(report.check)
    if report.search:
        click.echo(report.search)
    w = report.written
    stages = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in report.seconds.items())
    click.echo(
        f"{report.dates} date(s): {len(report.ranked)} ranked, "
        f"{len(report.rendered_dates)} rendered; "
        f"{len(w.written)} file(s) written, {w.unchanged + w.kept} unchanged, "
        f"{len(w.removed)} removed -> {_shown(report.out)} in {sum(report.seconds.values()):.2f} s "
        f"({stages})"
    )
    if w.orphans:
        _warn(pipeline.orphans_warning(w.orphans, report.out, config.store))
    if report.dates and (report.out / "index.html").is_file():  # not without the site
        click.echo(f"open {_shown(report.out / 'index.html')}  (or: digest serve)")
    _finish(errors, report.collected.sources)


def _shown(path: Path) -> Path:
    """``path`` relative to the current folder when it is inside it (shorter to read)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


@main.command(short_help="Preview on 127.0.0.1, rebuilt as you edit.")
@config_option
@click.option("-o", "--out", type=click.Path(file_okay=False), help="Folder to serve.")
@click.option("-p", "--port", type=int, default=8000, show_default=True, help="Port (0: any free).")
@click.option(
    "--watch/--no-watch",
    default=True,
    show_default=True,
    help="Build first (URL sources from their cached copies), then again whenever the config, "
    "a digest like, an examples file, a template or a local source changes; open pages "
    "reload. --no-watch: serve as built.",
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
    as you edit the config, the templates, a source file or a topic's examples file, or teach a
    topic with digest like.

    \b
    Example:
      digest serve                      # build, serve on port 8000, rebuild on changes
      digest serve --open               # and open it in a browser
      digest serve --no-watch --out public
    """
    from .. import preview  # http.server, for this command alone

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
            config = None
            if not out or config_path or find_config():
                try:  # what the folder must not hold: the config's files and state
                    config = _config(config_path)
                except DigestError:
                    if not out:
                        raise
            folder = Path(out) if out else config.output  # type: ignore[union-attr]
            if not (folder / "index.html").is_file():
                raise DigestError(f"{folder}: nothing built yet; run `digest build` first")
            server = preview.server(folder, port, config=config)
            url = f"http://127.0.0.1:{server.server_port}/"
            run, stop, watching = server.serve_forever, server.server_close, ""
    except OSError as exc:
        raise DigestError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from None
    try:  # from the line that says it is served: a Ctrl-C then stops it cleanly
        click.echo(f"serving {folder} on {url}{watching} (Ctrl-C stops)")
        if open_page:
            _open(url)
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


@main.group(
    invoke_without_command=True, short_help="List the built-in templates, or copy some to edit."
)
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
    from .. import scaffold
    from ..render.env import builtin_templates

    config = _config(config_path)
    click.echo(f"built-in: {builtin_templates()}")
    click.echo(f"yours:    {config.templates or '(none: set templates: in the config)'}")
    for t in scaffold.template_files(config.templates):
        if not t.builtin:
            _warn(f"{t.name}: yours, but no built-in template has this name: it replaces nothing")
        else:
            click.echo(f"  {t.name}" + ("   <- yours" if t.yours else ""))


@templates.command("copy", short_help="Copy built-in templates into your folder to edit.")
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
    from .. import scaffold

    config = _config(config_path)
    for name, copied in scaffold.copy_templates(config.templates, list(names)):
        where = (config.templates or Path()) / name
        click.echo(f"copied {where}" if copied else f"kept {where} (already yours)")


SCHEDULE_KINDS = ("cron", "github", "systemd")  # scaffold.SCHEDULES (loaded by init alone)


@main.command(short_help="Start a new digest (and a daily schedule).")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option(
    "--schedule",
    type=click.Choice(SCHEDULE_KINDS),
    help="Also write what runs it every day: a GitHub Actions workflow (build, publish on "
    "GitHub Pages, send), a crontab line, or a systemd service and timer. In a folder that "
    "has a digest.yaml already, only that.",
)
def init(directory: str, schedule: str | None) -> None:
    """Start a new digest in DIRECTORY: a commented digest.yaml that sets only what differs
    from the defaults (so it works from any folder), with a sample feed. Existing files are
    never overwritten. --schedule writes the file that runs it every day, beside the config.

    \b
    Example:
      digest init my-digest && cd my-digest && digest serve
      digest init --schedule github     # .github/workflows/digest.yml
      digest init --schedule cron       # digest.cron: a crontab line
      digest init --schedule systemd    # digest.service and digest.timer
    """
    from .. import scaffold

    folder = Path(directory)
    created = []
    config = folder / "digest.yaml"
    if not (schedule and config.exists()):
        created += scaffold.create(folder)
    if schedule:
        output, state = "output", ".digest"
        if config.exists():
            loaded = _config(str(config))
            output, state = _inside(loaded.output, loaded.root), _inside(loaded.state, loaded.root)
        made = scaffold.schedule(folder, schedule, output=output, state=state)
        kept = [folder / n for n in scaffold.SCHEDULES[schedule] if folder / n not in made]
        for path in kept:
            _warn(f"{path}: already there; kept as it is")
        created += made
    for path in created:
        click.echo(f"created {path}")
    here = folder.resolve() == Path.cwd().resolve()
    go = "" if here else f"cd {directory} && "
    if config in created:  # a new digest
        click.echo(
            f"next: {go}digest serve   (build, preview on http://127.0.0.1:8000/, rebuild as "
            "you edit)\n      then put your topics and sources in digest.yaml; `digest check` "
            "says how each topic fares"
        )
    if schedule:
        click.echo(f"every day: {SCHEDULE_NEXT[schedule]}")


SCHEDULE_NEXT = {
    "github": "push the folder to GitHub; .github/workflows/digest.yml says what to set "
    "(Pages, site_url, the SMTP secret)",
    "cron": "(crontab -l 2>/dev/null; cat digest.cron) | crontab -",
    "systemd": "digest.service says how to install it with digest.timer (no root needed)",
}


def _inside(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` ('/'-separated) when it is inside it, else absolute."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


@main.command(short_help="Email the day's digest to the subscribers.")
@config_option
@click.option(
    "--date",
    type=DATE,
    help="The date whose digest to send (default: the newest date not yet sent, not after today).",
)
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
@click.option(
    "--today",
    type=DATE,
    help="What counts as today: without --date, dates after it are not sent (default: today).",
)
def send(
    config_path: str | None,
    date: dt.datetime | None,
    dry_run: bool,
    to: str | None,
    out: str | None,
    resend_uncertain: bool,
    today: dt.datetime | None,
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
    if not dry_run and to is None and not config.email.unsubscribe_url:
        _warn(
            f"{config.file}: email.unsubscribe_url is not set: the letters carry no unsubscribe "
            "link (List-Unsubscribe), which large mailbox providers require of bulk senders; "
            'set it, e.g. unsubscribe_url: "https://example.org/unsubscribe?u={{ subscriber.id }}"'
        )
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
            today=_day(today),
            progress=progress,
        )
    _print_send_report(report)


SKIPS_SHOWN = 50  # skipped addresses a dry run lists, at most


def _print_send_report(report: SendReport) -> None:
    """Who was sent what, who was skipped or failed; the exit status says whether all went.
    A dry run says where it wrote, and whom it passed over and why."""
    if report.chosen:
        click.echo(f"{report.date}: {report.chosen} (--date chooses another)")
    if report.dry_run:
        for address, why in list(report.passed_over.items())[:SKIPS_SHOWN]:
            click.echo(f"  skipped {address}: {why}")
        if len(report.passed_over) > SKIPS_SHOWN:
            click.echo(f"  ... and {len(report.passed_over) - SKIPS_SHOWN} more skipped")
    for address, known in report.uncertain.items():
        # what is known: the whole message went out, and no answer was recorded
        what = known or (
            "a run was stopped after the end of the message went to the server, before its "
            "answer was recorded"
        )
        _warn(
            f"{address}: {what}; most likely delivered, so not sent again "
            "(--resend-uncertain sends it, with the same Message-ID)"
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
    verb = f"written to {report.folder}" if report.dry_run else "sent"
    click.echo(
        f"{report.date}: {len(report.sent)} {verb}, {report.skipped} skipped"
        + (f" ({', '.join(skipped)})" if skipped else "")
        + f", {len(report.failed)} failed; {report.rendered} letter(s) rendered"
    )
    if report.stopped:
        raise DigestError(f"stopped: {report.stopped}; a rerun sends to the rest")
    if report.failed:
        raise PartialFailure(f"{len(report.failed)} delivery(ies) failed; a rerun retries them")
