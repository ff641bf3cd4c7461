"""A store keeps each date's ranking, keyed by what made it (see digest/rank/cache.py), and
part of that key is the scoring's version, ``digest.rank.score.VERSION``: after an upgrade that
scores otherwise, the dates ranked before are ranked again, so old and new days of a site
agree. This test holds the version to what ranking gives: a fingerprint of the bundled sample
pages ranked by the bundled topics, with their words, with learned profiles and with
examples, and digest init's sample with two papers liked, per version. A change to any score, order, highlight or reason fails it until the
version is bumped."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

from digest.collect import group_by_date, parse_sources
from digest.config import SourceSpec, load_config
from digest.model import Ranking
from digest.rank import Ranker, rank_days, score
from digest.rank.history import learn_from_papers
from digest.rank.score import VERSION, json_lines

ROOT = Path(__file__).resolve().parent.parent
# the scoring's version -> the fingerprint of what it gives; add a line when you bump it
FINGERPRINTS = {
    5: "f2441d00de336145",
    6: "960ba87899b88753",
}


def fingerprint() -> str:
    papers, _ = parse_sources(
        [SourceSpec("pages", str(ROOT / "feeds/pages/*.txt"))], ROOT, dt.date(2026, 11, 23)
    )
    topics = list(load_config(ROOT / "digest.yaml").topics)
    days = group_by_date(papers)
    digest = hashlib.sha256()
    by_title = {p.title: p for p in papers}
    examples = {  # two papers each for two topics
        topics[0].name: [by_title[t] for t in sorted(by_title) if "Scaling" in t][:2],
        topics[-1].name: [by_title[t] for t in sorted(by_title) if "Policy" in t][:2],
    }
    assert all(len(ps) == 2 for ps in examples.values())
    # the topics name their examples (a topic without learns no profile, examples given or not)
    taught = [
        dataclasses.replace(t, examples=tuple(p.id for p in examples[t.name]))
        if t.name in examples
        else t
        for t in topics
    ]
    plain = Ranker.compile(topics)
    for settings, chosen, these in (
        (Ranking(), {}, topics),
        (Ranking(learn=True), {}, topics),
        (Ranking(), examples, taught),
    ):
        profiles = learn_from_papers(papers, these, settings, plain.matcher, chosen, {})
        assert (profiles is None) == (settings == Ranking() and not chosen)
        ranker = Ranker.compile(these, plain.matcher, profiles=profiles, settings=settings)
        for day in rank_days(days, ranker, workers=1):
            digest.update(json_lines(day))
    keywords_alone = Ranker.compile(topics, settings=Ranking(words=0, description=0))
    for day in rank_days(days, keywords_alone, workers=1):
        digest.update(json_lines(day))
    # digest init's sample (seven papers) with two papers liked for a topic, one of them on
    # nothing its keywords say (it counts for the topic all the same: one of your examples)
    starter = ROOT / "digest/starter"
    papers, _ = parse_sources(
        [SourceSpec("feed", str(starter / "feeds/arxiv-cs-lg.xml"))], ROOT, dt.date(2026, 11, 23)
    )
    liked = {"efficiency": [p for p in papers if p.id in {"2611.14201", "2308.05451"}]}
    assert len(liked["efficiency"]) == 2
    topics = [
        dataclasses.replace(t, examples=tuple(p.id for p in liked[t.name]))
        if t.name in liked
        else t
        for t in load_config(starter / "digest.yaml").topics
    ]
    plain = Ranker.compile(topics)
    profiles = learn_from_papers(papers, topics, Ranking(), plain.matcher, liked, {})
    ranker = Ranker.compile(topics, plain.matcher, profiles=profiles)
    for day in rank_days(group_by_date(papers), ranker, workers=1):
        digest.update(json_lines(day))
    return digest.hexdigest()[:16]


def test_the_scoring_version_changes_with_what_ranking_gives() -> None:
    got = fingerprint()
    assert FINGERPRINTS.get(VERSION) == got, (
        f"ranking gives other scores, orders or reasons than version {VERSION} of the scoring "
        f"did: if that is meant, bump digest.rank.score.VERSION to {VERSION + 1} (a store's "
        f"kept rankings are then made again) and add {VERSION + 1}: {got!r} to FINGERPRINTS"
    )


def test_the_fingerprint_sees_a_changed_score() -> None:
    # the same papers and topics, a title mention weighed otherwise: another fingerprint
    before = fingerprint()
    saved = score.TITLE
    try:
        score.TITLE = 2.5
        assert fingerprint() != before
    finally:
        score.TITLE = saved
