"""`digest explain`: why a paper counts for a topic on its date, or why not, read from the very
scores ranking made (never a second estimate): every part beside the bar it had to reach."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.collect import group_by_date, parse_sources
from digest.config import SourceSpec, load_config
from digest.model import Ranking, Topic
from digest.rank import Ranker, rank_day
from digest.rank.explain import explain
from digest.rank.history import learn_from_papers
from digest.rank.score import WORDS_ALONE
from tests.helpers import build_project

ROOT = Path(__file__).resolve().parent.parent


def sample() -> tuple[list, list[Topic]]:
    papers, _ = parse_sources(
        [SourceSpec("pages", str(ROOT / "feeds/pages/*.txt"))], ROOT, dt.date(2026, 11, 23)
    )
    return papers, list(load_config(ROOT / "digest.yaml").topics)


def test_explain_says_what_ranking_did_for_every_paper_and_topic() -> None:
    # the sample pages with learned profiles and two examples for one topic: for each paper
    # of each date, explain's score, how and reason are the ranked day's, topic by topic
    papers, topics = sample()
    by_title = {p.title: p for p in papers}
    liked = {topics[0].name: [by_title[t] for t in sorted(by_title) if "Video" in t][:2]}
    taught = [
        dataclasses.replace(t, examples=tuple(p.id for p in liked.get(t.name, ()))) for t in topics
    ]
    plain = Ranker.compile(taught)
    settings = Ranking(learn=True)
    profiles = learn_from_papers(papers, taught, settings, plain.matcher, liked, {})
    ranker = Ranker.compile(taught, plain.matcher, profiles=profiles, settings=settings)
    seen = {"keywords": 0, "words": 0, "profile": 0, "": 0}
    for date, day in group_by_date(papers).items():
        ranked = {s.paper.id: s for s in rank_day(date, day, ranker).papers}
        for paper in day:
            why = explain(day, ranker, paper.id)
            assert why.paper == paper and why.papers == len(day)
            s = ranked[paper.id]
            for t in why.topics:
                seen[t.how] += 1
                assert t.score == s.topics.get(t.topic, 0.0), (paper.id, t)
                # the parts add up to the score (each rounded to a thousandth)
                total = sum(x for _, x in t.parts) * t.weight * t.community
                assert abs(total - t.score) < 0.005 and bool(t.parts) == (t.score > 0), t
                if t.how == "keywords":
                    assert t.reason == ", ".join(s.matched[t.topic])
                    assert t.keywords
                elif t.how:
                    assert t.reason == s.related[t.topic]
                else:
                    assert t.topic not in s.topics and not t.reason
                if t.words_needed is not None and not t.keywords and t.how != "profile":
                    # the words count a paper without keywords exactly when they reach the bar
                    # (or hold all the words of one keyword)
                    assert (t.how == "words") == (t.words_sum >= WORDS_ALONE or bool(t.whole))
    assert all(seen.values()), seen  # every way to count, and not counting, was met


def test_a_paper_no_keyword_matches_is_told_what_it_lacks() -> None:
    papers, topics = sample()
    ranker = Ranker.compile(topics)
    date, day = next(iter(group_by_date(papers).items()))
    ranked = rank_day(date, day, ranker)
    missed = next(s for s in ranked.papers if not s.topics)
    why = explain(day, ranker, missed.paper.id)
    assert [t.topic for t in why.topics] == [t.name for t in topics]
    for t in why.topics:
        assert t.score == 0 and t.how == "" and not t.keywords
        assert t.words_needed == WORDS_ALONE and t.words_sum < WORDS_ALONE
        assert t.similarity is None  # no topic learns a profile without examples
    # only the topics asked about
    assert [t.topic for t in explain(day, ranker, missed.paper.id, {"rl"}).topics] == ["rl"]


def test_an_exclusion_or_a_paper_to_avoid_is_why_a_paper_never_counts() -> None:
    papers, topics = sample()
    date, day = next(iter(group_by_date(papers).items()))
    ranker = Ranker.compile(topics)
    counted = next(s for s in rank_day(date, day, ranker).papers if s.matched)
    name = next(iter(counted.matched))
    keyword = counted.matched[name][0]
    vetoing = [dataclasses.replace(t, exclude=(keyword,)) if t.name == name else t for t in topics]
    why = explain(day, Ranker.compile(vetoing), counted.paper.id, {name}).topics[0]
    assert why.score == 0 and why.vetoed == f"the exclusion {keyword!r} matched"
    avoided = Ranker.compile(topics, avoid={name: [counted.paper.id]})
    why = explain(day, avoided, counted.paper.id, {name}).topics[0]
    assert why.score == 0 and why.vetoed == "a paper to avoid"


def test_digest_explain_from_the_store_and_from_files(runner: CliRunner, project: Path) -> None:
    config = str(project / "digest.yaml")
    empty = runner.invoke(main, ["explain", "2611.14237", "-c", config])
    assert empty.exit_code == 1 and "no papers yet; run `digest build` first" in empty.output
    build_project(project)
    result = runner.invoke(main, ["explain", "2611.14237", "-c", config])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2611.14237  Reward Models Are Not Enough")
    assert "rl: counts, " in result.stdout and "by its keywords: " in result.stdout
    assert "scaling: does not count" in result.stdout
    # by its title, one topic, as JSON
    result = runner.invoke(
        main,
        ["explain", "Reward models are not enough: offline reinforcement learning from human "
         "preferences with uncertainty", "-t", "rl", "--json", "-c", config],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "2611.14237" and [t["topic"] for t in data["topics"]] == ["rl"]
    assert data["topics"][0]["how"] == "keywords" and data["topics"][0]["score"] > 0
    # the interface the README documents, every key of it
    assert set(data) == {"id", "title", "date", "papers", "topics"}
    assert set(data["topics"][0]) == {
        "topic", "score", "how", "reason", "vetoed", "keywords", "words", "words_sum",
        "words_needed", "whole", "similarity", "profile_alone", "shared", "similarity_needed",
        "shared_needed", "closest", "most_like", "likeness", "lift", "weight", "community",
        "parts",
    }  # fmt: skip
    # from files, without the store: the same paper, the same score
    pages = str(project / "feeds/pages/*.txt")
    files = runner.invoke(
        main, ["explain", "one epoch is all you need", pages, "--json", "-c", config]
    )
    assert files.exit_code == 0, files.output
    told = json.loads(files.stdout)
    assert told["title"] == "One Epoch Is All You Need" and told["papers"] > 1
    stored = runner.invoke(main, ["explain", "One Epoch Is All You Need", "--json", "-c", config])
    assert json.loads(stored.stdout)["topics"] == told["topics"]  # the pages are all the store's
    # what it cannot find, and a topic misspelled, are one line each
    missing = runner.invoke(main, ["explain", "2611.99999", "-c", config])
    assert missing.exit_code == 1 and "2611.99999: not among the store" in missing.output
    link = runner.invoke(main, ["explain", "https://openreview.net/forum?id=x1", "-c", config])
    assert link.exit_code == 1 and "a link that names no arXiv paper" in link.output
    typo = runner.invoke(main, ["explain", "2611.14237", "-t", "rl2", "-c", config])
    assert typo.exit_code == 1 and "did you mean 'rl'?" in typo.output


def test_a_score_says_what_multiplies_it(runner: CliRunner, project: Path) -> None:
    config = project / "digest.yaml"
    text = config.read_text().replace("  rl:\n", "  rl:\n    weight: 1.5\n")
    config.write_text(text)
    build_project(project)
    result = runner.invoke(main, ["explain", "2611.14201", "--json", "-c", str(config)])
    assert result.exit_code == 0, result.output
    told = {t["topic"]: t for t in json.loads(result.stdout)["topics"]}
    # its upvotes among its day's (the Hugging Face sample's, all of that day), as the README's
    # score says: 1 + 0.2 ln(1 + upvotes) / ln(1 + the most)
    votes = {e["paper"]["id"]: e["paper"]["upvotes"]
             for e in json.loads((project / "feeds/hf-daily-papers.json").read_text())}  # fmt: skip
    factor = 1 + 0.2 * math.log1p(votes["2611.14201"]) / math.log1p(max(votes.values()))
    assert told["scaling"]["community"] == round(factor, 3) and 1 < factor < 1.2
    assert told["rl"]["weight"] == 1.5
    said = runner.invoke(main, ["explain", "2611.14201", "-t", "scaling", "-c", str(config)])
    assert f"(times {round(factor, 3):g} for its upvotes)" in said.stdout
    # the upvotes count by default (ranking.upvotes 0.2); 0 turns them off
    config.write_text(config.read_text() + "ranking:\n  upvotes: 0\n")
    build_project(project)
    off = runner.invoke(main, ["explain", "2611.14201", "--json", "-c", str(config)])
    plain = {t["topic"]: t for t in json.loads(off.stdout)["topics"]}
    assert plain["scaling"]["community"] == 1
    assert told["scaling"]["score"] == pytest.approx(plain["scaling"]["score"] * factor, abs=0.002)


def test_a_broken_source_beside_is_said_and_the_paper_explained(
    runner: CliRunner, project: Path
) -> None:
    (project / "bad.xml").write_text("<rss><channel><item><title>x</broken")
    pages = sorted(str(p) for p in (project / "feeds/pages").glob("*.txt"))
    result = runner.invoke(
        main,
        ["explain", "One Epoch Is All You Need", *pages, str(project / "bad.xml"), "-t",
         "scaling", "-c", str(project / "digest.yaml")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output  # some sources failed, the rest were read
    assert "One Epoch Is All You Need" in result.stdout and "scaling: " in result.stdout
    assert "bad.xml:" in result.stderr


def test_explain_with_the_words_and_profiles_turned_off() -> None:
    papers, topics = sample()
    date, day = next(iter(group_by_date(papers).items()))
    off = Ranking(words=0, description=0, profile=0)
    taught = [dataclasses.replace(topics[0], examples=(day[0].id,)), *topics[1:]]
    plain = Ranker.compile(taught, settings=off)
    profiles = learn_from_papers(papers, taught, off, plain.matcher, {}, {})
    ranker = Ranker.compile(taught, plain.matcher, profiles=profiles, settings=off)
    ranked = {s.paper.id: s for s in rank_day(date, day, ranker).papers}
    for paper in day[:20]:
        for t in explain(day, ranker, paper.id).topics:
            assert t.words == () and t.words_needed is None and t.similarity is None
            assert t.score == ranked[paper.id].topics.get(t.topic, 0.0)
            assert t.how in ("keywords", "")
