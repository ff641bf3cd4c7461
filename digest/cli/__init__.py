"""The ``digest`` command: thin click commands, each loads the config and calls one function."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import click

from .. import collector, stopping
from .. import sources as sources_registry
from ..collect import Progress
from ..config import Config, load_config
from ..errors import DigestError, PartialFailure, brief
from ..model import CheckReport, LearnedSummary, SourceStats
from ..stopping import Stopped
from ..version import __version__

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


# `digest --help` lists the commands in the order a newcomer uses them, then the rest
FIRST = ("init", "build", "check", "serve", "send", "templates")


def _stopped(stop: Stopped) -> DigestError:
    """The one line a stop signal ends a command with, and its exit status (128 + signal)."""
    error = DigestError(f"stopped by {stop.name}; what was done is kept, run again")
    error.exit_code = 128 + stop.signum
    return error


class _Group(click.Group):
    """Shows unexpected errors as one line unless ``--verbose``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return [n for n in FIRST if n in names] + [n for n in names if n not in FIRST]

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except Stopped as stop:  # while the options are read: click would say "Aborted!", 1
            raise _stopped(stop) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Stopped as stop:  # SIGTERM, SIGHUP, Ctrl-C: everything on the way out has run
            raise _stopped(stop) from None
        except KeyboardInterrupt:
            raise click.Abort() from None
        except BrokenPipeError:  # `digest parse --json ... | head`: the reader has had enough
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:
            if (signum := stopping.requested()) is not None:  # a stop Python wrapped
                raise _stopped(Stopped(signum)) from None
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            raise DigestError(
                f"{type(exc).__name__}: {brief(str(exc))} (run with --verbose for the traceback)"
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


def _verbose() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().obj and ctx.find_root().obj.get("verbose"))


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """``digest build -v`` as ``digest -v build``."""
    if value:
        root = ctx.find_root()
        root.obj = {**(root.obj or {}), "verbose": True}
        logging.getLogger().setLevel(logging.DEBUG)
    return value


verbose_option = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    expose_value=False,
    callback=_set_verbose,
    help="Say more: a line per date and per source, tracebacks.",
)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def plain_drops(reasons: dict[str, int] | Any) -> list[str]:
    """What a source skipped, in plain words: ``1 revised paper skipped: arXiv replacement``
    rather than the listing's ``announce type replace``."""
    out = []
    for reason, n in sorted(reasons.items()):
        kind = (
            reason.removeprefix("announce type ") if reason.startswith("announce type ") else None
        )
        if kind in ("replace", "replace-cross"):
            out.append(f"{_plural(n, 'revised paper')} skipped: arXiv replacement")
        elif kind == "cross":
            out.append(f"{_plural(n, 'cross-listed paper')} skipped: arXiv cross-list")
        elif kind is not None:
            out.append(f"{_plural(n, 'paper')} skipped: arXiv announcement ({kind})")
        else:
            out.append(f"{n} {reason}")
    return out


def print_check(report: CheckReport) -> None:
    """Per topic, the papers matched in the last 7 and 30 days and the newest date's
    highlights; then the warnings (a topic that matched nothing, a keyword with a typo)."""
    if report.newest is None:
        return
    if report.topics:
        click.echo(
            f"topics: papers matched in the 7 / 30 days to {report.newest} "
            f"({_plural(report.papers, 'paper')}), highlights that day"
        )
        width = max(len(t.name) for t in report.topics)
        for t in report.topics:
            shown = _plural(t.highlights, "highlight") if t.highlights else "-"
            silent = ", ".join(k for k, _ in t.silent)
            notes = [f"{t.related} of the {t.month} related only"] if t.related else []
            if silent:
                notes.append(f"no paper in the store: {silent}")
            more = f"   {'; '.join(notes)}" if notes else ""
            click.echo(
                f"  {t.name:<{width}}  {t.week:>5} / {t.month:<5}  {shown:<12}{more}".rstrip()
            )
            if t.learned is not None:
                click.echo(f"  {'':<{width}}  {_learned(t.learned)}")
    for warning in report.warnings:
        _warn(warning)


def _learned(learned: LearnedSummary) -> str:
    """``learned from 37 papers, 2 examples (1 avoided): experts, sparse, routing, ...``"""
    sources = [_plural(learned.papers, "paper")]
    if learned.examples:
        sources.append(_plural(learned.examples, "example"))
    avoided = f" ({learned.avoided:,} avoided)" if learned.avoided else ""
    if not learned.words:
        return f"learned from {', '.join(sources)}{avoided}: nothing besides its keywords yet"
    return f"learned from {', '.join(sources)}{avoided}: {', '.join(learned.words)}"


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
    global PROGRAM
    PROGRAM = True  # this process is one command's: it may tune the collector
    gc.freeze()
    stopping.install()
    main()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and debug logging.")
@click.version_option(__version__, prog_name="digest")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """digest: turn the daily stream of new paper abstracts into a newsletter.

    \b
    Example:
      digest init my-digest && cd my-digest   # a config, a sample feed
      digest build            # collect, rank and render with ./digest.yaml
      digest check            # how each topic fares
      digest serve            # preview, rebuilt as you edit
    """
    ctx.obj = {"verbose": verbose}
    if PROGRAM and ctx.invoked_subcommand != "serve":  # a long-lived server keeps the defaults
        collector.fewer_collections()
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


PROGRAM = False  # run as the program (run), not called in another's process


offline_option = click.option(
    "--offline",
    is_flag=True,
    help="Do not fetch URL sources: read their newest cached copies.",
)


from . import feedback, publishing, reading  # noqa: E402, F401  (each registers its commands)
