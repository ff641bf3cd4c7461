"""The commands that train a topic from the terminal: like, unlike."""

from __future__ import annotations

import difflib

import click

from .. import pipeline
from ..errors import DigestError
from . import _config, config_option, main


def _feedback(verb: str, papers: tuple[str, ...], topic: str, config_path: str | None) -> None:
    config = _config(config_path)
    names = [t.name for t in config.topics]
    if topic not in names:
        close = difflib.get_close_matches(topic, names, n=1, cutoff=0.6)
        mean = f"; did you mean {close[0]!r}?" if close else ""
        raise DigestError(f"unknown topic {topic!r} (topics: {', '.join(names) or 'none'}){mean}")
    for line in pipeline.feedback(config, verb, topic, papers):
        click.echo(line)


@main.command(short_help="Teach a topic: these papers are examples of it.")
@click.argument("papers", nargs=-1, required=True)
@click.option("-t", "--topic", required=True, help="The topic the papers are about.")
@config_option
def like(papers: tuple[str, ...], topic: str, config_path: str | None) -> None:
    """Count PAPERS (arXiv ids, arXiv or Hugging Face links, or titles) as examples of a topic:
    its profile learns from them from the next build on. A title the store knows is written as
    its paper's id. Appends to digest-feedback.tsv beside the config (no YAML edited; the file
    is plain text, a line per paper, and may be edited or deleted).

    \b
    Example:
      digest like 2611.14302 --topic "test-time compute"
      digest like https://huggingface.co/papers/2611.14302 --topic "test-time compute"
    """
    _feedback("like", papers, topic, config_path)


@main.command(short_help="Teach a topic: these papers must not count for it.")
@click.argument("papers", nargs=-1, required=True)
@click.option("-t", "--topic", required=True, help="The topic the papers are not about.")
@config_option
def unlike(papers: tuple[str, ...], topic: str, config_path: str | None) -> None:
    """Count PAPERS (arXiv ids, links or titles) as papers a topic must not count: its profile is
    pushed away from them from the next build on (an earlier like of the paper is undone).
    Appends to digest-feedback.tsv beside the config.

    \b
    Example:
      digest unlike 2611.14237 --topic optimization
    """
    _feedback("unlike", papers, topic, config_path)
