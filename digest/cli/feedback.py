"""The commands that train a topic from the terminal: like, unlike; and explain, why a paper
counts for a topic or not."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib

import click
import orjson

from .. import pipeline
from ..errors import DigestError
from ..model import PaperWhy, TopicWhy
from . import (
    DATE,
    _config,
    _day,
    _finish,
    _report_problems,
    _warn,
    config_option,
    format_option,
    main,
    today_option,
)


def _known(topic: str, names: list[str]) -> None:
    """A topic the config names, or an error with the one it most likely means."""
    if topic not in names:
        close = difflib.get_close_matches(topic, names, n=1, cutoff=0.6)
        mean = f"; did you mean {close[0]!r}?" if close else ""
        raise DigestError(f"unknown topic {topic!r} (topics: {', '.join(names) or 'none'}){mean}")


def _feedback(verb: str, papers: tuple[str, ...], topic: str, config_path: str | None) -> None:
    config = _config(config_path)
    _known(topic, [t.name for t in config.topics])
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


@main.command(short_help="Why a paper counts for a topic, or why not.")
@click.argument("paper")
@click.argument("sources", nargs=-1)
@click.option("-t", "--topic", "topics", multiple=True, help="Only this topic (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, every part named.")
@config_option
@today_option
@click.option("--date", type=DATE, help="With SOURCEs: the date of undated pages.")
@format_option
def explain(
    paper: str,
    sources: tuple[str, ...],
    topics: tuple[str, ...],
    as_json: bool,
    config_path: str | None,
    today: dt.datetime | None,
    date: dt.datetime | None,
    fmt: str | None,
) -> None:
    """Why PAPER (an arXiv id or link, or its title) counts for each topic on its date, or why
    not: the keywords it holds, the topic's words it holds with what they weigh, its similarity
    to the topic's learned profile and the profile's words it shares, the example it is most
    like; each beside what it had to reach. Ranked as `digest rank` ranks it: from the store,
    or from SOURCE files (their papers are then the history the profiles learn from).

    \b
    Example:
      digest explain 2611.14302                  # every topic
      digest explain 2611.14302 -t rl            # why not rl?
      digest explain "Reward Models Are Not Enough" feeds/pages/*.txt --json
    """
    config = _config(config_path)
    if not config.topics:
        raise DigestError(f"{config.file}: no topics to explain; add a topics: section")
    for topic in topics:
        _known(topic, [t.name for t in config.topics])
    why, stats, warnings = pipeline.explain_paper(
        config, paper, topics, sources, _day(today) or dt.date.today(), date=_day(date), fmt=fmt
    )
    errors = _report_problems(stats)
    for warning in warnings:
        _warn(warning)
    if as_json:
        p = why.paper
        data = {
            "id": p.id, "title": p.title, "date": p.date.isoformat(), "papers": why.papers,
            "topics": [dataclasses.asdict(t) for t in why.topics],
        }  # fmt: skip
        click.echo(orjson.dumps(data).decode())
    else:
        for line in explained(why):
            click.echo(line)
    _finish(errors, stats)


SHOWN = 8  # the profile's words a line names, at most


def explained(why: PaperWhy) -> list[str]:
    """``digest explain``'s lines: the paper, then a paragraph per topic."""
    p = why.paper
    lines = [f"{p.id}  {p.title}", f"  {p.date}, one of {why.papers:,} papers that day"]
    for t in why.topics:
        lines.append("")
        lines.extend(_topic_lines(t))
    return lines


def _topic_lines(t: TopicWhy) -> list[str]:
    how = {"keywords": "by its keywords", "words": "by its words alone",
           "profile": "by its profile alone"}  # fmt: skip
    if t.score > 0:
        head = f"{t.topic}: counts, {t.score:g}, {how[t.how]}: {t.reason}"
        times = [f"the topic's weight {t.weight:g}"] if t.weight != 1 else []
        times += [f"{t.community:g} for its upvotes"] if t.community != 1 else []
        head += f" (times {' and '.join(times)})" if times else ""
    elif t.vetoed:
        head = f"{t.topic}: never counts: {t.vetoed}"
    else:
        head = f"{t.topic}: does not count"
    out = [head]
    if t.parts:
        out.append("  score: " + " + ".join(f"{name} {x:g}" for name, x in t.parts))
    if not t.keywords:
        out.append("  keywords: none of the topic's matched")
    elif t.how != "keywords":
        out.append(f"  keywords: {', '.join(t.keywords)}")
    if t.words:
        held = ", ".join(f"{w} {x:g}" for w, x in t.words)
        out.append(f"  words: {held}")
        if not t.keywords and t.words_needed is not None and t.score <= 0:
            need = f"{t.words_sum:g}, each word once; without a keyword it counts from {t.words_needed:g}"
            out.append(f"    {need}, or holding all the words of one keyword")
    elif t.words_needed is not None:
        out.append("  words: none of the topic's")
    if t.whole and not t.keywords and t.whole != t.reason:
        out.append(f"    {t.whole}")
    if t.similarity is not None:
        shared = ", ".join(t.shared[:SHOWN]) + (", ..." if len(t.shared) > SHOWN else "")
        sim = f"  profile: similarity {t.similarity:g} (the profile's alone {t.profile_alone:g}"
        if not t.keywords and t.score <= 0:
            sim += f"; without a keyword it counts from {t.similarity_needed:g}"
        out.append(sim + ")")
        count = f"{len(t.shared)} of its words" + (
            f" (counts from {t.shared_needed})" if not t.keywords and t.score <= 0 else ""
        )
        out.append(f"    {count}" + (f": {shared}" if shared else ""))
        if t.closest and not t.keywords and t.score <= 0:  # the profile lifts into one topic
            out.append(
                f"    it is more like {t.closest}'s profile (a paper counts for one at most)"
            )
        if t.most_like:
            like = f"  examples: most like {t.most_like!r} ({t.likeness:g}"
            if not t.keywords and t.score <= 0 and t.lift is not None:
                like += f"; counts from {t.lift:g}"
            out.append(like + ")")
    return out
