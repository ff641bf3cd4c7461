from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.collect import group_by_date, parse_sources
from digest.config import Highlights, config_from_text
from digest.model import Paper, Topic
from digest.rank import Detail, Ranker, rank_day, rank_days, rank_days_lines
from digest.rank.tldr import readable, sentences, tldr

from .conftest import FEEDS, PAGES, ROOT, TODAY

DAY = dt.date(2026, 11, 20)
FILLER = "We study something else entirely. It is about graphs. Results are mixed."


def paper(pid: str, title: str, abstract: str = FILLER, upvotes: int | None = None) -> Paper:
    extra = {"upvotes": upvotes} if upvotes is not None else {}
    return Paper(pid, title, abstract, DAY, "test", extra=extra)


def ranked(papers: list[Paper], topics: list[Topic], **rules: float):
    return rank_day(DAY, papers, Ranker.compile(topics), Highlights(**rules))  # type: ignore[arg-type]


SCALING = Topic("scaling", ("scaling law", "compute-optimal"), ("temperature scaling",))
PRUNING = Topic("pruning", ("pruning",), ("data pruning",))


def test_exclusion_vetoes_the_topic() -> None:
    day = ranked(
        [
            paper("a", "Scaling laws for language models"),
            paper(
                "b", "Temperature scaling and scaling laws", "Calibration by temperature scaling."
            ),
            paper("c", "Data pruning beats scaling", "We study data pruning of training sets."),
            paper("d", "Structured pruning of diffusion models"),
        ],
        [SCALING, PRUNING],
    )
    by_id = {s.paper.id: s for s in day.papers}
    assert "scaling" in by_id["a"].topics and "scaling" not in by_id["b"].topics
    assert "pruning" not in by_id["c"].topics and "pruning" in by_id["d"].topics


def test_title_counts_more_mentions_saturate_rarer_keywords_count_more() -> None:
    topic = Topic("t", ("scaling law", "transformer"))
    others = [
        paper(f"o{i}", f"Paper {i}", "We fit a transformer. It holds. Really.") for i in range(8)
    ]
    day = ranked(
        [
            paper("title", "Scaling laws", "Nothing here. We do things. More text."),
            paper("abstract", "Something", "We fit a scaling law. It holds. Really."),
            paper("twice", "Else", "A scaling law. Another scaling law. A third scaling law here."),
            *others,
        ],
        [topic],
    )
    score = {s.paper.id: s.score for s in day.papers}
    assert score["title"] > score["abstract"]
    assert score["abstract"] < score["twice"] < 3 * score["abstract"]  # saturates
    assert (
        score["o0"] < 0.8 * score["abstract"]
    )  # "transformer" is everywhere that day: counts little


def test_highlights_total_per_topic_min_score_and_best_topic() -> None:
    a = Topic("a", ("alpha",))
    b = Topic("b", ("beta",))
    papers = [paper(f"a{i}", f"Alpha study {i}", f"Alpha alpha {'alpha ' * i}.") for i in range(5)]
    papers += [paper(f"b{i}", f"Beta study {i}") for i in range(3)]
    papers += [paper("both", "Alpha and beta", "beta beta beta beta")]
    papers += [paper("weak", "Nothing", "A passing alpha. " + FILLER)]
    papers += [paper(f"filler{i}", f"Unrelated {i}") for i in range(20)]
    day = ranked(papers, [a, b], total=5, per_topic=2, min_score=1.0)
    ids = [s.paper.id for s in day.highlights]
    assert len(ids) == 4  # two per topic: the cap stops it before total
    topics = [s.topic for s in day.highlights]
    assert topics.count("a") == 2 and topics.count("b") == 2
    assert all(s.score >= 1.0 and s.highlight for s in day.highlights)
    assert "weak" not in ids
    assert len(set(ids)) == len(ids)
    both = next(s for s in day.papers if s.paper.id == "both")
    assert both.topic == max(both.topics, key=both.topics.get)
    assert set(day.sections) == {"a", "b"}
    assert {s.paper.id for s in day.sections["b"]} == {"b0", "b1", "b2", "both"}
    assert [s.topics["a"] for s in day.sections["a"]] == sorted(
        (s.topics["a"] for s in day.sections["a"]), reverse=True
    )


def test_per_topic_cap_is_exact() -> None:
    a = Topic("a", ("alpha",))
    day = ranked(
        [paper(f"p{i}", f"Alpha {i}") for i in range(6)], [a], total=10, per_topic=3, min_score=0.1
    )
    assert len(day.highlights) == 3


def test_min_score_zero_never_highlights_unmatched_papers() -> None:
    day = ranked([paper("x", "Nothing relevant")], [Topic("a", ("alpha",))], min_score=0.0)
    assert day.highlights == () and [s.paper.id for s in day.unmatched] == ["x"]


def test_ties_break_by_upvotes_then_id() -> None:
    topic = Topic("a", ("alpha",))
    papers = [paper("2", "Alpha"), paper("1", "Alpha"), paper("3", "Alpha", upvotes=5)]
    day = ranked(papers, [topic], min_score=0.0)
    assert [s.paper.id for s in day.papers] == ["3", "1", "2"]
    again = ranked(list(reversed(papers)), [topic], min_score=0.0)
    assert [s.paper.id for s in again.papers] == ["3", "1", "2"]


def test_matched_keywords_and_marks_for_bolding() -> None:
    day = ranked(
        [paper("x", "Compute-optimal scaling laws", "We fit a scaling law. It works well enough.")],
        [SCALING],
    )
    (s,) = day.papers
    assert s.matched == {"scaling": ("scaling law", "compute-optimal")}
    assert [s.paper.title[a:b] for a, b in s.title_marks] == ["Compute-optimal", "scaling laws"]
    assert [s.paper.abstract[a:b] for a, b in s.abstract_marks] == ["scaling law"]


def test_weight_scales_a_topic() -> None:
    light = Topic("light", ("alpha",), weight=0.5)
    heavy = Topic("heavy", ("beta",), weight=2.0)
    (s,) = ranked([paper("x", "Alpha beta")], [light, heavy]).papers
    assert s.topics["heavy"] == pytest.approx(4 * s.topics["light"])
    assert s.topic == "heavy"


def test_sentences_and_tldr() -> None:
    abstract = (
        "Large models are expensive, e.g. GPT-4 costs a lot (Smith et al. 2020). "
        "Recently, many methods have been proposed. "
        "We propose Foo, a method that cuts the cost of inference by 3.5x without loss of accuracy. "
        "Code is available at https://example.org."
    )
    assert len(sentences(abstract)) == 4
    assert (
        tldr(abstract)
        == "We propose Foo, a method that cuts the cost of inference by 3.5x without loss of accuracy."
    )
    assert tldr("") is None
    long = "We propose " + "a very " * 80 + "long thing."
    assert len(tldr(long) or "") <= 320 and (tldr(long) or "").endswith("\u2026")


def test_every_sample_highlight_has_a_tldr_from_its_abstract() -> None:
    config = config_from_text((ROOT / "digest.yaml").read_text(), ROOT)
    papers, _ = parse_sources(config.sources, ROOT, TODAY)
    days = rank_days(group_by_date(papers), Ranker.compile(config.topics), config.highlights)
    assert sum(len(d.highlights) for d in days) >= 20
    for day in days:
        for h in day.highlights:
            # a sentence of the abstract: its leading connective dropped (so capitalised
            # again), its LaTeX as text
            assert h.tldr and h.tldr.rstrip("\u2026")[1:] in readable(h.paper.abstract)


def test_parallel_ranking_equals_serial() -> None:
    config = config_from_text((ROOT / "digest.yaml").read_text(), ROOT)
    papers, _ = parse_sources(config.sources, ROOT, TODAY)
    ranker = Ranker.compile(config.topics)
    serial = rank_days(group_by_date(papers), ranker, config.highlights, workers=1)
    parallel = rank_days(group_by_date(papers), ranker, config.highlights, workers=2)
    assert serial == parallel
    assert rank_days(group_by_date(papers), ranker, config.highlights, workers=3) == serial


def test_rank_lines_are_the_ranked_papers_on_one_process_or_many() -> None:
    """``digest rank [--json]`` prints lines its workers make (rank_days_lines): they must be
    the ranked papers' JSON (or text), best first, dates in order, as rank_days ranks them."""
    config = config_from_text((ROOT / "digest.yaml").read_text(), ROOT)
    papers, _ = parse_sources(config.sources, ROOT, TODAY)
    days = group_by_date(papers)
    ranker = Ranker.compile(config.topics)
    ranked = rank_days(
        days, ranker, config.highlights, tldrs=Detail.HIGHLIGHTS, marks=Detail.HIGHLIGHTS
    )
    expected = [s.to_json() for day in ranked for s in day.papers]
    text = [
        f"{day.date} {'*' if s.highlight else ' '} {s.score:7.3f}  {s.topic or '-':<16.16}  "
        f"{s.paper.title}"
        for day in ranked
        for s in day.papers
    ]
    assert any(r["tldr"] for r in expected) and len(days) > 1
    for workers in (1, 2):
        lines = b"".join(rank_days_lines(days, ranker, config.highlights, workers=workers))
        assert [json.loads(line) for line in lines.splitlines()] == expected
        lines = b"".join(
            rank_days_lines(days, ranker, config.highlights, form="text", workers=workers)
        )
        assert lines.decode().splitlines() == text


def test_parallel_ranking_where_processes_cannot_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without fork (macOS, Windows) the workers are spawned: the ranker and the papers reach
    them pickled."""
    config = config_from_text((ROOT / "digest.yaml").read_text(), ROOT)
    papers, _ = parse_sources(config.sources, ROOT, TODAY)
    ranker = Ranker.compile(config.topics)
    serial = rank_days(group_by_date(papers), ranker, config.highlights, workers=1)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert rank_days(group_by_date(papers), ranker, config.highlights, workers=2) == serial


def test_rank_json_cli_with_sources(tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "rank",
        "--json",
        "--config",
        str(ROOT / "digest.yaml"),
        "--today",
        "2026-11-23",
        str(PAGES / "*.txt"),
        str(FEEDS / "*.json"),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert set(rows[0]) == {
        "id",
        "title",
        "date",
        "score",
        "topics",
        "matched",
        "related",
        "highlight",
        "tldr",
    }
    assert len(rows) == 159 + 4
    for date in {r["date"] for r in rows}:
        day = [r for r in rows if r["date"] == date]
        assert [r["score"] for r in day] == sorted((r["score"] for r in day), reverse=True)
        assert sum(r["highlight"] for r in day) <= 10
    for r in rows:  # every topic explained: by its keywords, or by its words alone
        assert set(r["matched"]) | set(r["related"]) == set(r["topics"])
        assert not set(r["matched"]) & set(r["related"])
        assert all(v > 0 for v in r["topics"].values())
        assert r["score"] == max(r["topics"].values(), default=0.0)
        assert (r["tldr"] is not None) == r["highlight"]  # TL;DRs for the highlights alone
    # no examples, no profile: a paper no keyword matched counts by the words of one of the
    # topic's keywords, all in it apart, and says which
    why = [(t, v) for r in rows for t, v in r["related"].items()]
    assert why and all(
        v.startswith("shares ") and v.endswith(f" with your {t} keywords") for t, v in why
    )
    assert all(max(r["topics"][t] for t in r["related"]) <= 2 for r in rows if r["related"])


def test_rank_from_the_store(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    runner = CliRunner()
    assert runner.invoke(main, ["collect", "--today", "2026-11-23"]).exit_code == 0
    result = runner.invoke(main, ["rank", "--json", "--date", "2026-11-20"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["date"] for r in rows} == {"2026-11-20"} and len(rows) == 7
    assert rows[0]["highlight"] and rows[0]["tldr"]


def test_rank_of_the_whole_store_is_each_date_ranked_in_order(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --date, every date of the store, read and ranked a date at a time (on workers
    when there are many): the same papers, scores and TL;DRs as ranking the store's papers
    at once, in date order; and the text form is the same ranking."""
    from digest.config import load_config
    from digest.store import Store

    monkeypatch.chdir(project)
    runner = CliRunner()
    assert runner.invoke(main, ["collect", "--today", "2026-11-23"]).exit_code == 0
    config = load_config(project / "digest.yaml")
    with Store(config.store) as store:
        days = {d: store.papers_on(d) for d, _ in store.dates()}
    ranked = rank_days(
        days, Ranker.compile(config.topics), config.highlights, tldrs=Detail.HIGHLIGHTS,
        marks=Detail.HIGHLIGHTS, workers=1,
    )  # fmt: skip
    assert len(ranked) > 2
    monkeypatch.setattr("digest.workers.MIN_ITEMS", 2)  # workers, even for a few dates
    result = runner.invoke(main, ["rank", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [s.to_json() for day in ranked for s in day.papers]
    text = runner.invoke(main, ["rank"]).stdout.splitlines()
    assert [line.split()[0] for line in text] == [r["date"] for r in rows]
    assert all(line.endswith(r["title"]) for line, r in zip(text, rows, strict=True))


def test_rank_needs_topics(tmp_path: Path) -> None:
    config = tmp_path / "digest.yaml"
    config.write_text("sources: []\n")
    result = CliRunner().invoke(main, ["rank", "--config", str(config)])
    assert result.exit_code == 1 and "no topics to rank against" in result.stderr


def test_a_ranker_of_some_topics_scores_as_one_compiled_for_them_alone() -> None:
    from digest.collect import group_by_date
    from digest.config import load_config
    from digest.pipeline import parse
    from tests.conftest import PAGES, ROOT, TODAY

    config = load_config(ROOT / "digest.yaml")
    papers, _ = parse([str(PAGES / "*.txt")], TODAY)
    everything = Ranker.compile(config.topics)
    for names in (["rl"], ["scaling", "efficiency"], ["optimization", "rl", "test-time compute"]):
        alone = Ranker.compile([t for t in config.topics if t.name in names])
        for date, day in group_by_date(papers).items():
            assert rank_day(date, day, everything.only(names)) == rank_day(date, day, alone)


@pytest.mark.parametrize("n", [3, 9_000, 12_000])
def test_sort_keys_are_the_same_in_64_bits_and_beyond(n: int) -> None:
    # (THOUSANDTHS - score in thousandths) * n + place: in 64-bit integers up to 9,000 papers
    # a date, in Python's beyond them; the order and the place each key names are the same
    import numpy as np

    from digest.rank.score import THOUSANDTHS, _sort_keys

    place = np.array([0, n - 1, n // 2], dtype=np.int64)
    milli = np.array([0, 123_456, 7], dtype=np.int64)
    keys = _sort_keys(place, milli, n)
    expected = zip(place.tolist(), milli.tolist(), strict=True)
    assert keys == [(THOUSANDTHS - m) * n + at for at, m in expected]
    assert [key % n for key in keys] == place.tolist()
    assert all(isinstance(key, int) for key in keys)
