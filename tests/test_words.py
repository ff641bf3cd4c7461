"""A topic's words: the words of its keywords and of its description, each matched on its own,
as the second signal after the keywords (see digest/rank/words.py and the README's score)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import replace

import pytest

from digest.model import Highlights, Paper, Ranking, Topic
from digest.rank import Ranker, rank_day, score
from digest.rank.words import content_words

DAY = dt.date(2026, 11, 20)
TESTING = Topic(
    "testing",
    ("software testing", "test generation", "fuzzing"),
    ("protocol fuzzing",),
    description="Automated testing of programs: fuzzers, unit tests and bug finding.",
)
ROWS = [
    ("k", "Software testing with coverage feedback", "We study software testing of compilers."),
    ("w", "Generation of unit tests for compilers", "We test compilers; every test is generated."),
    ("d", "Fuzzing compilers", "A fuzzer finds bugs in compilers and programs with unit tests."),
    ("f", "Fuzzing", "We use fuzzing."),
    ("o", "Testing one word", "We test a hypothesis about markets."),
    ("v", "Protocol fuzzing for test generation", "A protocol fuzzing study."),
    ("n", "Sparse attention for long documents", "Attention over documents made sparse."),
]


def rank(topics: list[Topic], settings: Ranking = Ranking(), rows=ROWS) -> dict:  # noqa: B008
    ps = [Paper(i, t, a, DAY, "test") for i, t, a in rows]
    day = rank_day(DAY, ps, Ranker.compile(topics, settings=settings), Highlights())
    return {s.paper.id: s for s in day.papers}


def test_the_words_of_keywords_and_descriptions() -> None:
    assert content_words(["test-time compute", "RL", "/pruning (?:of )?data/", "the LLM's"]) == [
        "test-time", "compute", "RL", "LLM",
    ]  # fmt: skip
    assert content_words(["Images such as CT, MRI or X-ray, e.g. of the Brain."]) == [
        "images", "CT", "MRI", "x-ray", "brain",
    ]  # fmt: skip
    assert content_words(["We propose a novel method", "3 2"]) == []  # boilerplate, numbers


def test_all_the_words_of_a_keyword_apart_make_a_paper_the_topics_and_say_which() -> None:
    by_id = rank([TESTING])
    w = by_id["w"]  # "unit tests", "generated": test + generation, not side by side
    assert "testing" not in w.matched and w.topics["testing"] > 0
    assert w.related["testing"].startswith("shares ")
    assert w.related["testing"].endswith(" with your testing keywords")
    assert {"test", "generation"} <= set(
        w.related["testing"].removeprefix("shares ").split(" with ")[0].split(", ")
    )
    # one common word of a phrase is not enough: "test" of a hypothesis, a word most of the
    # day's papers hold
    assert not by_id["o"].topics
    assert not by_id["n"].topics
    # a keyword's own match stays the first signal: above any paper its words alone lift
    assert min(by_id[i].score for i in ("k", "d", "f")) > w.score


def test_words_rank_a_paper_about_the_topic_above_a_passing_mention() -> None:
    by_id = rank([TESTING])
    # both match "fuzzing" once in the title and once in the abstract (d: "fuzzer" is not
    # "fuzzing"); d also says compilers, bugs, unit tests: the topic's words
    keywords_alone = rank([TESTING], Ranking(words=0, description=0))
    assert by_id["d"].score > by_id["f"].score
    assert keywords_alone["d"].score <= keywords_alone["f"].score


def test_description_words_add_to_a_paper_that_counts_and_never_make_one_count() -> None:
    undescribed = dataclasses.replace(TESTING, description="")
    with_it, without = rank([TESTING]), rank([undescribed])
    assert with_it["d"].score > without["d"].score  # programs, bug, fuzzers: its description's
    assert set(with_it) == set(without)
    assert {i for i, s in with_it.items() if s.topics} == {
        i for i, s in without.items() if s.topics
    }


def test_an_exclusion_vetoes_the_words_too() -> None:
    by_id = rank([TESTING])
    assert not by_id["v"].topics  # "protocol fuzzing" excluded: its words count for nothing


def test_weights_zero_rank_by_the_keywords_alone() -> None:
    off = Ranking(words=0, description=0)
    plain = rank([dataclasses.replace(TESTING, description="")], off)
    described = rank([TESTING], off)
    assert {i: s.score for i, s in plain.items()} == {i: s.score for i, s in described.items()}
    assert not plain["w"].topics and not any(s.related for s in plain.values())
    # a keyword alone, one mention in the abstract of the only paper: the score's unit
    one = rank([Topic("t", ("compilers",))], off, [("a", "x", "We study compilers.")])
    assert one["a"].score == 1.0


def test_a_word_in_capitals_is_an_acronym() -> None:
    topic = Topic("rl", ("RL agent",), description="")
    rows = [
        ("a", "An agent trained with RL", "The RL agent learns."),  # the phrase: a keyword
        ("b", "Agents and RL", "An RL method for agents."),  # RL + agent apart: its words
        ("c", "Agents and url parsing", "An rl method for agents."),  # rl in lower case: no
    ]
    by_id = rank([topic], rows=rows)
    assert by_id["a"].matched["rl"] == ("RL agent",)
    assert "rl" in by_id["b"].related and not by_id["c"].topics


def test_enough_of_the_words_make_a_paper_the_topics_without_a_whole_keyword() -> None:
    """A paper none of whose keywords match counts by its words when their sum (rarity times
    saturated mentions, a title mention twice) reaches WORDS_ALONE: a rare word of a keyword in
    the title; once in an abstract is not enough."""
    topic = Topic("graphs", ("graph neural network", "message passing"), description="")
    filler = [
        (f"f{i}", f"Topic {i} of another field", "We study something else.") for i in range(9)
    ]
    rows = [
        ("t", "Graph learning at scale", "We learn representations of a graph."),  # title
        ("a", "Learning at scale", "We learn representations of a graph."),  # abstract, once
    ]
    by_id = rank([topic], rows=rows + filler)
    assert by_id["t"].related == {"graphs": "shares graph with your graphs keywords"}
    assert not by_id["a"].topics
    assert not rank([topic], Ranking(words=0), rows + filler)["t"].topics


def test_two_spellings_of_one_word_count_once() -> None:
    # "laws" and "law", "scaling law" and "scaling laws" match the same occurrences: a topic
    # that writes both spellings ranks as one that writes one, counting each mention once
    rows = [
        ("a", "Scaling laws for language models", "We fit scaling laws to loss curves."),
        ("b", "Laws of attention", "A law of attention heads, and one more law."),
        ("c", "Scaling data", "We scale data for language models by a power law."),
        ("n", "Sparse attention for long documents", "Attention over documents made sparse."),
    ]
    once = rank([Topic("scaling", ("scaling law", "compute-optimal"))], rows=rows)
    twice = rank([Topic("scaling", ("scaling law", "scaling laws", "compute-optimal"))], rows=rows)
    assert {i: s.topics for i, s in once.items()} == {i: s.topics for i, s in twice.items()}
    # each is what the topic matched, as written (digest check finds neither silent)
    assert once["a"].matched == {"scaling": ("scaling law",)}
    assert twice["a"].matched == {"scaling": ("scaling law", "scaling laws")}
    # a topic's keyword is shown as that topic wrote it, whichever topic wrote it first
    other = rank([Topic("laws", ("laws",)), Topic("law", ("law", "scaling laws"))], rows=rows)
    assert other["b"].matched == {"laws": ("laws",), "law": ("law",)}
    assert other["a"].matched == {"laws": ("laws",), "law": ("law", "scaling laws")}


def test_a_paper_holding_the_words_of_two_keywords_names_the_first_in_the_configs_order() -> None:
    row = [("x", "Software for generation", "We test software; tests are generated.")]
    first = Topic("testing", ("software testing", "test generation"))
    second = Topic("testing", ("test generation", "software testing"))
    assert rank([first], rows=row)["x"].related == {
        "testing": "shares software, testing with your testing keywords"
    }
    assert rank([second], rows=row)["x"].related == {
        "testing": "shares test, generation with your testing keywords"
    }


def test_a_word_in_several_keywords_weighs_more(monkeypatch: pytest.MonkeyPatch) -> None:
    # x and y match the same keyword the same way; besides it, x says "code" (in two of the
    # topic's keywords), y "generation" (in one); each word is in one paper of the day
    topic = Topic("code", ("code generation", "code LLM", "program repair"))
    rows = [
        ("x", "Program repair", "We study program repair of code."),
        ("y", "Program repair", "We study program repair by generation."),
        ("n", "Sparse attention for long documents", "Attention over documents made sparse."),
    ]
    by_id = rank([topic], rows=rows)
    assert by_id["x"].score > by_id["y"].score
    monkeypatch.setattr(score, "WORD_REPEATS", 0.0)  # every word alike: a tie
    by_id = rank([topic], rows=rows)
    assert by_id["x"].score == by_id["y"].score


def test_a_word_in_several_keywords_does_not_make_a_paper_count_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = Topic("test-time compute", ("test-time compute", "inference compute", "verifier"))
    rows = [
        ("c", "Compute-optimal pretraining of sparse models", "We fit laws for pretraining."),
        ("i", "Inference for sparse models", "We spend compute at inference on sparse models."),
        *[(f"n{i}", f"Attention for documents {i}", "Attention over documents.") for i in range(6)],
    ]
    by_id = rank([topic], rows=rows)
    # "compute" in the title: rare, and in two keywords, yet one word: it does not count
    assert not by_id["c"].topics
    # all the words of one keyword, apart, still do
    assert by_id["i"].related == {
        "test-time compute": "shares inference, compute with your test-time compute keywords"
    }
    # counted with its weight (2), the title's "compute" alone reaches WORDS_ALONE: only the
    # sum with each word once keeps the paper out
    tables = score._Tables.of
    monkeypatch.setattr(
        score._Tables, "of", lambda ranker: replace(t := tables(ranker), once=t.weights)
    )
    assert rank([topic], rows=rows)["c"].topics


def test_a_reason_names_the_words_as_the_topic_spells_them() -> None:
    # "models" (a keyword of ml) and "model" (a word of verification) are looked for once;
    # verification's reason says "model", as its keywords do
    ml = Topic("ml", ("models",))
    verification = Topic("verification", ("model checking", "theorem proving"))
    rows = [
        ("p", "Proving models correct", "A short note."),
        *[(f"n{i}", f"Attention for documents {i}", "Attention over documents.") for i in range(6)],
    ]
    by_id = rank([ml, verification], rows=rows)
    assert by_id["p"].matched == {"ml": ("models",)}
    assert by_id["p"].related == {
        "verification": "shares model, proving with your verification keywords"
    }


def test_words_alone_false_keeps_the_ranking_by_words_and_counts_by_keywords_alone() -> None:
    by_id = rank([TESTING], Ranking(words_alone=False))
    keywords_alone = rank([TESTING], Ranking(words=0, description=0))
    # the same papers count as by keywords alone: "w" (by the words of "test generation",
    # apart) no longer does
    assert {i for i, s in by_id.items() if s.topics} == {
        i for i, s in keywords_alone.items() if s.topics
    }
    assert not by_id["w"].topics and not any(s.related for s in by_id.values())
    # and the words still rank those it counts: "d" (fuzzer, compilers, bugs) above "f"
    assert by_id["d"].score > by_id["f"].score
    assert keywords_alone["d"].score <= keywords_alone["f"].score
