"""A date of 100,000 papers is ranked without holding its papers, and read back for the outputs
only as far as they show it (``site.section_papers``): the same bytes and the same files as
ranking and reading it whole."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence

import pytest

from digest.collect import group_by_date, parse_sources
from digest.config import config_from_text
from digest.model import Highlights, Paper, RankedDay, Ranking, Topic
from digest.rank import Detail, Ranker, rank_day
from digest.rank.profile import CHUNK, learn_all
from digest.rank.score import rank_encoded, rank_encoded_many
from digest.render import Site, render_day, shown
from digest.rows import day_matches, decode_day, decode_shown, encode_day

from .conftest import ROOT, TODAY
from .test_profile import DAY, FILLER, SAMPLE_PAPERS, TUNING

BIO = Topic("bio", ("protein", "molecular"), ("survey",))


def reader(papers: Sequence[Paper]):
    """A date's papers as the store gives them: all in order, or some, in another order."""

    def read(ids: Sequence[str] | None) -> Iterable[Paper]:
        if ids is None:
            return iter(papers)
        wanted = set(ids)
        return [p for p in reversed(papers) if p.id in wanted]

    return read


def big_day() -> list[Paper]:
    """More papers than a chunk of profile scoring, some with upvotes."""
    rows = SAMPLE_PAPERS + FILLER
    return [
        Paper(f"{i}-{n}", t, a, DAY, "test", extra={"upvotes": n % 7} if n % 3 else {})
        for n in range(CHUNK * 2 // len(rows) + 2)
        for i, t, a in rows
    ]


def rankers() -> list[tuple[str, list[Paper], Ranker]]:
    config = config_from_text((ROOT / "digest.yaml").read_text(), ROOT)
    papers, _ = parse_sources(config.sources, ROOT, TODAY)
    sample = max(group_by_date(papers).values(), key=len)
    topics = [TUNING, BIO]
    day = big_day()
    plain = Ranker.compile(topics)
    profiles = learn_all(topics, day, plain.matcher, avoid={"tuning": [day[1]]})
    lifted = Ranker.compile(
        topics, plain.matcher, profiles=profiles, settings=Ranking(upvotes=0.2),
        avoid={"bio": ["h1-1", "y-2"]},
    )  # fmt: skip
    return [
        ("the sample's biggest date", sample, Ranker.compile(config.topics)),
        ("keywords alone", day, plain),
        ("profiles, papers to avoid, upvotes", day, lifted),
    ]


@pytest.mark.parametrize("detail", list(Detail))
def test_a_date_ranked_as_read_gives_the_bytes_of_the_date_ranked_whole(detail: Detail) -> None:
    rules = Highlights(total=7, per_topic=2, min_score=0.5)
    for name, papers, ranker in rankers():
        whole = rank_day(DAY, papers, ranker, rules, tldrs=detail, marks=Detail.HIGHLIGHTS)
        other = rank_day(DAY, papers, ranker, rules, tldrs=Detail.NONE, marks=detail)
        for day, (tldrs, marks) in ((whole, (detail, Detail.HIGHLIGHTS)),
                                    (other, (Detail.NONE, detail))):  # fmt: skip
            made = rank_encoded(DAY, reader(papers), ranker, rules, tldrs=tldrs, marks=marks)
            assert made == (len(day.papers), len(day.highlights), encode_day(day)), name
            assert decode_day(DAY, papers, made[2]) == day, name
        assert any(s.topics for s in whole.papers) and whole.unmatched, name
    _, papers, ranker = rankers()[2]
    profiled = rank_day(DAY, papers, ranker)
    assert any(s.related for s in profiled.papers)  # lifted by a profile alone, with why


def test_dates_ranked_from_the_store_together_give_each_dates_own_bytes() -> None:
    """A build reads a batch of small dates together (rank.cache): each date's bytes are
    those of the date ranked alone, empty dates and a date over a chunk among them."""
    rules = Highlights(total=5, per_topic=2, min_score=0.5)
    for name, papers, ranker in rankers():
        sizes = [0, 7, 1, CHUNK + 3, 0, 40, len(papers)]
        pool = papers * (sum(sizes) // len(papers) + 1)
        cuts, dates = 0, []
        for j, size in enumerate(sizes):
            part = [dataclasses.replace(p, id=f"{j}/{p.id}") for p in pool[cuts : cuts + size]]
            cuts += size
            dates.append((DAY + dt.timedelta(days=j), part))
        made = rank_encoded_many([(d, reader(p)) for d, p in dates], ranker, rules)
        alone = [rank_encoded(d, reader(p), ranker, rules) for d, p in dates]
        assert made == alone, name
        assert [m[0] for m in made] == sizes, name
        assert any(m[1] for m in made), name


def test_a_date_whose_papers_left_the_store_while_it_was_ranked_is_not_saved() -> None:
    papers = big_day()
    read = reader(papers)
    ranker = Ranker.compile([TUNING])
    with pytest.raises(ValueError, match="left the store"):
        rank_encoded(DAY, lambda ids: read(ids) if ids is None else [], ranker)


def test_a_date_read_as_the_outputs_show_it_renders_as_the_whole_ranking() -> None:
    _, papers, ranker = rankers()[2]
    day = rank_day(DAY, papers, ranker, Highlights(total=4))
    assert max(len(s) for s in day.sections.values()) > 3 and len(day.unmatched) > 3
    data = encode_day(day)
    site = Site.make(title="t", site_url="https://example.org/", topics=ranker.topics)
    fetched: list[list[str]] = []
    whole: list[int] = []

    def fetch(ids: Sequence[str]) -> list[Paper]:
        fetched.append(list(ids))
        return [p for p in papers if p.id in set(ids)]

    def every() -> list[Paper]:
        whole.append(1)
        return papers

    topics = [t.name for t in ranker.topics]
    for cap in (1, 3, 10_000):
        read = decode_shown(DAY, data, cap, fetch, every)
        assert len(fetched.pop()) <= len(day.highlights) + cap * (len(day.sections) + 1)
        expected = shown(day, cap)
        assert read.left_out == expected.left_out
        assert read.highlights == expected.highlights
        assert read.sections == expected.sections and read.unmatched == expected.unmatched
        assert [read.count(t) for t in topics] == [day.count(t) for t in topics]
        assert read.unmatched_count == day.unmatched_count
        site = dataclasses.replace(site, section_papers=cap)
        assert _files(render_day(read, site)) == _files(render_day(day, site))
        assert len(read.papers) == len(day.papers) and not whole  # counted, not read
        assert tuple(read.papers) == day.papers and read.papers[-1] == day.papers[-1]
        assert whole.pop() and not whole and not fetched  # read once, when asked for


def test_check_reads_a_date_as_it_was_ranked() -> None:
    _, papers, ranker = rankers()[0]
    day = rank_day(DAY, papers, ranker)
    sections, highlights, matched, related = day_matches(encode_day(day))
    assert sections == {name: len(p) for name, p in day.sections.items()}
    assert highlights == [s.topic for s in day.highlights]
    assert matched == {(t, k) for s in day.papers for t, ks in s.matched.items() for k in ks}
    assert related == dict(Counter(t for s in day.papers for t in s.related))


def _files(files: list) -> dict[str, bytes]:
    return {f.path: f.data for f in files}


def test_a_ranking_of_another_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="another format"):
        decode_day(DAY, [], b'{"rows": [], "highlights": [], "sections": {}, "unmatched": 0}')
    day = RankedDay(dt.date(2026, 1, 1), (), (), {}, ())
    assert decode_day(day.date, [], encode_day(day)) == day
