"""Topics that learn: profiles from the papers their keywords match, examples, papers to avoid,
feedback from the terminal, upvotes, and the reasons every pick carries."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import config_from_text, load_config
from digest.examples import among, parse_entry, resolve
from digest.model import Highlights, Paper, Ranking, ScoredPaper, Topic
from digest.rank import Ranker, rank_day, rank_days
from digest.rank.history import decode, encode, learn_from_store, term_stats
from digest.rank.profile import learn_all
from digest.rows import decode_day, encode_day, new_scored
from digest.store import Store
from tests.helpers import build_project

DAY = dt.date(2026, 11, 20)
TUNING = Topic("tuning", ("hyperparameter optimization", "Bayesian optimization"))
SAMPLE_PAPERS = [
    ("h1", "Hyperparameter optimization with multi-fidelity bandits",
     "We tune hyperparameters of deep networks with successive halving and a Gaussian process "
     "surrogate; the acquisition function picks configurations under a budget."),
    ("h2", "Bayesian optimization for hyperparameter optimization at scale",
     "A Gaussian process surrogate with an expected improvement acquisition function searches "
     "the hyperparameter space of black-box training runs."),
    ("h3", "Fast hyperparameter optimization by early stopping",
     "Learning curves predict which configurations to stop; a surrogate model and an "
     "acquisition function choose the next hyperparameters."),
    ("h4", "Population-based Bayesian optimization",
     "We combine a Gaussian process surrogate, an acquisition function and population-based "
     "search for black-box hyperparameter tuning."),
    ("g", "Global optimization of expensive black-box functions",
     "We place a Gaussian process surrogate over an expensive black-box function, such as the "
     "hyperparameters of a network, and maximize an acquisition function to choose which "
     "configurations to evaluate next, with regret guarantees."),
    ("x", "Graph neural networks for molecules",
     "Message passing over atoms predicts molecular properties; we mention hyperparameter "
     "optimization once, in passing, as future work."),
    ("y", "A survey of protein language models",
     "Protein sequences are modelled with transformers trained on evolutionary data."),
    ("z", "Sparse attention for long documents",
     "Attention over long documents is made sparse by local windows and global tokens."),
]  # fmt: skip


FILLER = [  # the rest of a day: papers on other things
    (f"f{n}", f"{subject} for {task}", f"We study {subject.lower()} for {task} and report {what}.")
    for n, (subject, (task, what)) in enumerate(
        (s, tw)
        for s in ("Diffusion models", "Contrastive learning", "Speech recognition", "Robot control")
        for tw in (
            ("images", "sharper samples"),
            ("video", "longer clips"),
            ("text", "fewer errors"),
        )
    )
]


def papers(rows: list[tuple[str, str, str]] = SAMPLE_PAPERS + FILLER, **extra: dict) -> list[Paper]:
    return [Paper(i, t, a, DAY, "test", extra=extra.get(i, {})) for i, t, a in rows]


def ranked(ps: list[Paper], topics: list[Topic], settings: Ranking | None = None, **given):
    ranker = Ranker.compile(topics)
    profiles = learn_all(topics, ps, ranker.matcher, **given)
    ranker = Ranker.compile(
        topics, ranker.matcher, profiles=profiles, settings=settings or Ranking()
    )
    return rank_day(DAY, ps, ranker, Highlights())


def test_a_paper_without_keywords_ranks_by_the_profile_and_says_why() -> None:
    day = ranked(papers(), [TUNING])
    by_id = {s.paper.id: s for s in day.papers}
    related = by_id["g"]
    assert "tuning" in related.topics and "tuning" not in related.matched
    why = related.related["tuning"]
    assert why.startswith("shares ") and why.endswith(" with your tuning papers")
    assert 3 <= len(why.removeprefix("shares ").split(" with ")[0].split(", ")) <= 4
    assert "black" in why or "gaussian" in why or "acquisition" in why
    # every topic is explained by its keywords or by the profile, never both
    for s in day.papers:
        assert set(s.matched) | set(s.related) == set(s.topics)
        assert not set(s.matched) & set(s.related)
    # the passing mention ranks below every paper about the topic that uses its keywords,
    # and gains little from the profile (it shares little else with them)
    plain = rank_day(DAY, papers(), Ranker.compile([TUNING]), Highlights())
    before = {s.paper.id: s.score for s in plain.papers}
    assert min(by_id[h].score for h in ("h1", "h2", "h3", "h4")) > by_id["x"].score > 0
    gain = {i: by_id[i].score - before[i] for i in ("h1", "h2", "h3", "h4", "x")}
    assert gain["x"] < min(gain[h] for h in ("h1", "h2", "h3", "h4"))
    assert not by_id["y"].topics and not by_id["z"].topics


def test_keywords_alone_when_the_profile_weight_is_zero() -> None:
    words_off = Ranking(words=0, description=0)
    on = {s.paper.id: s for s in ranked(papers(), [TUNING], words_off).papers}
    off = {
        s.paper.id: s
        for s in ranked(papers(), [TUNING], dataclasses.replace(words_off, profile=0)).papers
    }
    plain = {
        s.paper.id: s
        for s in rank_day(
            DAY, papers(), Ranker.compile([TUNING], settings=words_off), Highlights()
        ).papers
    }
    assert {i: s.score for i, s in off.items()} == {i: s.score for i, s in plain.items()}
    assert not off["g"].topics and on["g"].topics
    assert on["h2"].score > off["h2"].score  # a confident paper gains from its profile


def test_a_paper_to_avoid_never_counts_without_profiles_either() -> None:
    bio = Topic("bio", ("protein",))
    plain = rank_day(DAY, papers(), Ranker.compile([TUNING, bio]), Highlights())
    ranker = Ranker.compile([TUNING, bio], avoid={"tuning": ["h2"], "chess": ["h1"]})
    assert ranker.profiles is None
    day = rank_day(DAY, papers(), ranker, Highlights())
    before = {s.paper.id: s.topics for s in plain.papers}
    after = {s.paper.id: s.topics for s in day.papers}
    assert before["h2"] and not after["h2"]  # its keywords match, but the user said no
    assert {i: t for i, t in after.items() if i != "h2"} == {
        i: t for i, t in before.items() if i != "h2"
    }  # every other paper ranks as before (an unknown topic's avoid is ignored)
    assert ranker.only(["tuning"]).avoided == {"h2": frozenset({0})}


def test_an_example_lifts_papers_like_it_and_says_so() -> None:
    topic = Topic("bio", ("protein folding",))
    example = Paper(
        "e1", "Protein language models learn evolutionary structure",
        "Transformers trained on protein sequences and evolutionary data model protein "
        "structure; language models of proteins scale with data.", DAY, "test",
    )  # fmt: skip
    day = ranked(papers(), [topic], examples={"bio": [example]})
    by_id = {s.paper.id: s for s in day.papers}
    assert by_id["y"].related["bio"] == "like Protein language models learn evolutionary structure"
    # without the example: its words alone ("protein", in the title and four times more)
    assert ranked(papers(), [topic]).papers[0].related == {
        "bio": "shares protein with your bio keywords"
    }
    assert not ranked(papers(), [topic], Ranking(words=0)).papers[0].topics  # keywords: nothing


NAS = Paper(
    "e1", "Neural architecture search by evolution",
    "We evolve the cell structures of convolutional networks with mutation and tournament "
    "selection, searching architectures under a compute budget.", DAY, "test",
)  # fmt: skip
EVOLVED = (
    "n", "Evolving network cells with tournament selection",
    "Mutation and tournament selection evolve the cell structures of convolutional networks; "
    "the search finds architectures that train faster.",
)  # fmt: skip


def test_a_paper_like_one_example_counts_though_the_profile_is_of_other_papers() -> None:
    # each example is a profile of its own: a paper much like it counts for its topic, even
    # where the topic's profile (learned from the papers its keywords match: Gaussian
    # processes, acquisition functions) is of another kind
    rows = SAMPLE_PAPERS + FILLER + [EVOLVED]
    day = ranked(papers(rows), [TUNING], examples={"tuning": [NAS]})
    by_id = {s.paper.id: s for s in day.papers}
    assert by_id["n"].related == {"tuning": f"like {NAS.title}"}
    assert by_id["n"].score > 0.5
    # papers unlike it are not lifted (the protein survey, the rest of the day); the
    # black-box optimization paper is, by the topic's profile, as without the example
    assert {s.paper.id: s.related["tuning"][:6] for s in day.papers if s.related} == {
        "n": "like N",
        "g": "shares",
    }
    # without the example, its profile alone: nothing to the topic
    alone = {s.paper.id: s for s in ranked(papers(rows), [TUNING]).papers}
    assert not alone["n"].topics
    # one example and no paper its keywords match: likeness is scaled by the example's own
    nas = Topic("nas", ("neural architecture search",))
    one = ranked(papers(rows), [nas], examples={"nas": [NAS]}).papers
    assert one[0].paper.id == "n" and one[0].related == {"nas": f"like {NAS.title}"}
    assert not any(s.topics for s in one if s.paper.id in {"y", "z", *(f[0] for f in FILLER)})


def test_likeness_lifts_only_the_papers_few_of_the_history_are_as_like() -> None:
    # a topic whose papers are little like its example: many papers reach half a typical
    # paper's likeness (they share "convolutional networks"), and none of them counts, but
    # the one that is like the example as almost none of the history is
    rows = SAMPLE_PAPERS + FILLER + [EVOLVED] + [
        (f"c{i}", f"Convolutional networks for {task}",
         f"We train convolutional networks on {task} and report accuracy under a budget.")
        for i, task in enumerate(["images", "audio", "radar", "video", "sonar", "text",
                                  "maps", "retinas", "crops", "faces", "scans", "traffic"])
    ]  # fmt: skip
    day = ranked(papers(rows), [TUNING], examples={"tuning": [NAS]})
    liked = sorted(s.paper.id for s in day.papers if "like" in s.related.get("tuning", ""))
    assert liked == ["n"]


BIO = Topic("bio", ("protein folding",))


def on_the_day(pid: str, title: str, abstract: str) -> Paper:
    """A paper of the day ranked (an example liked on the day it came out)."""
    return Paper(pid, title, abstract, DAY, "test")


def test_an_example_on_the_day_ranked_is_one_of_your_examples_not_like_itself() -> None:
    # a paper liked (digest like) is an example; the day it came out, built again, shows it
    topic = BIO
    example = on_the_day(
        "y", "A survey of protein language models",
        "Protein sequences are modelled with transformers trained on evolutionary data.",
    )  # fmt: skip
    day = ranked(papers(), [topic], Ranking(words=0), examples={"bio": [example]})
    assert {s.paper.id: s for s in day.papers}["y"].related == {"bio": "one of your examples"}
    # and through the store's codec (examples' ids kept with the profiles)
    ranker = Ranker.compile([topic])
    profiles = decode(
        encode(learn_all([topic], papers(), ranker.matcher, examples={"bio": [example]}))
    )
    assert profiles.profiles[0].example_ids == {"y"}


def test_an_example_counts_for_its_topic_and_no_other() -> None:
    # a paper liked for a topic that shares none of the topic's words (the user's judgment,
    # not the vocabulary's): the day it came out it is in the topic's section, and says why;
    # for another topic it counts only as the other papers do (digest init's sample, where
    # the profile held too little of it to count it before: tests/test_init.py)
    topic, other = BIO, Topic("vision", ("image segmentation",))
    example = on_the_day(
        "pde", "Sparse solvers for coupled partial differential equations",
        "We precondition Krylov iterations for stiff systems arising in plasma physics.",
    )  # fmt: skip
    rows = papers() + [example]
    day = ranked(rows, [other, topic], Ranking(words=0), examples={"bio": [example]})
    by_id = {s.paper.id: s for s in day.papers}
    assert by_id["pde"].related == {"bio": "one of your examples"}
    assert set(by_id["pde"].topics) == {"bio"} and by_id["pde"].topics["bio"] > 0
    # a paper to avoid wins over an example of the same topic
    avoided = ranked(
        rows, [other, topic], Ranking(words=0), examples={"bio": [example]},
        avoid={"bio": [example]},
    )  # fmt: skip
    assert not {s.paper.id: s for s in avoided.papers}["pde"].topics
    # and a ranker of the other topic alone does not count it
    alone = ranked(rows, [other], Ranking(words=0), examples={"bio": [example]})
    assert not {s.paper.id: s for s in alone.papers}["pde"].topics
    # the same on worker processes (the profiles pickled), and for a ranker of some topics
    plain = Ranker.compile([other, topic])
    profiles = learn_all([other, topic], rows, plain.matcher, examples={"bio": [example]})
    ranker = Ranker.compile(
        [other, topic], plain.matcher, profiles=profiles, settings=Ranking(words=0)
    )
    days = {DAY: rows, DAY + dt.timedelta(days=1): [example, *rows[:3]]}
    serial = rank_days(days, ranker, workers=1)
    assert rank_days(days, ranker, workers=2) == serial
    for day in serial:
        assert {s.paper.id: s for s in day.papers}["pde"].related == {"bio": "one of your examples"}
    for names, shown in ((["bio"], {"bio": "one of your examples"}), (["vision"], {})):
        some = rank_day(DAY, rows, ranker.only(names))
        assert {s.paper.id: s for s in some.papers}["pde"].related == shown


def test_a_paper_to_avoid_never_counts_and_pushes_the_profile_away() -> None:
    avoid = [p for p in papers() if p.id == "h2"]
    day = ranked(papers(), [TUNING], avoid={"tuning": avoid})
    by_id = {s.paper.id: s for s in day.papers}
    assert not by_id["h2"].topics  # its keywords match, but the user said no
    assert "tuning" in by_id["h1"].topics


def test_upvotes_lift_a_paper_by_a_bounded_share_and_weight_zero_turns_them_off() -> None:
    rows = [
        ("a", "Hyperparameter optimization A", "x y z"),
        ("b", "Hyperparameter optimization B", "x y z"),
    ]
    ps = papers(rows, a={"upvotes": 1}, b={"upvotes": 100})
    topic = [TUNING]
    plain = {s.paper.id: s.score for s in ranked(ps, topic, Ranking(upvotes=0)).papers}
    voted = {s.paper.id: s.score for s in ranked(ps, topic, Ranking(upvotes=0.2)).papers}
    assert plain["a"] == plain["b"]
    assert voted["b"] == pytest.approx(plain["b"] * 1.2, abs=0.002)  # the day's most: + 20%
    assert plain["a"] < voted["a"] < voted["b"]
    assert voted["a"] == pytest.approx(plain["a"] * (1 + 0.2 * 0.693 / 4.615), abs=0.002)


def test_a_scored_paper_round_trips_through_the_codec_with_every_field() -> None:
    names = {f.name for f in dataclasses.fields(ScoredPaper)}
    assert set(new_scored.__kwdefaults__ or {}) | set(new_scored.__code__.co_varnames[:0]) <= names
    assert set(new_scored.__annotations__) - {"return"} == names
    day = ranked(papers(), [TUNING, Topic("bio", ("protein",))])
    again = decode_day(DAY, papers(), encode_day(day))
    assert again == day
    assert any(s.related for s in again.papers)


def test_profiles_survive_pickling_and_the_store_codec() -> None:
    import pickle

    rows = papers(SAMPLE_PAPERS + FILLER + [EVOLVED])
    ranker = Ranker.compile([TUNING])
    profiles = learn_all([TUNING], rows, ranker.matcher, examples={"tuning": [NAS]})
    assert profiles.profiles[0].likes  # the example's own profile is kept too
    for copy in (pickle.loads(pickle.dumps(profiles)), decode(encode(profiles))):
        assert copy.profiles == profiles.profiles
        a = Ranker.compile([TUNING], ranker.matcher, profiles=profiles)
        b = Ranker.compile([TUNING], ranker.matcher, profiles=copy)
        day = rank_day(DAY, rows, a)
        assert day == rank_day(DAY, rows, b)
        assert any(s.related.get("tuning", "").startswith("like ") for s in day.papers)


def test_many_dates_at_once_equal_one_by_one_and_only_equals_compiled_anew() -> None:
    days = {DAY: papers(), DAY + dt.timedelta(days=1): papers()[:5]}
    bio = Topic("bio", ("protein",))
    ranker = Ranker.compile([TUNING, bio])
    profiles = learn_all([TUNING, bio], papers(), ranker.matcher)
    ranker = Ranker.compile([TUNING, bio], ranker.matcher, profiles=profiles)
    together = rank_days(days, ranker, workers=1)
    alone = [rank_day(d, ps, ranker) for d, ps in days.items()]
    assert together == alone
    assert rank_days(days, ranker, workers=2) == alone
    only = ranker.only(["tuning"])
    fresh = Ranker.compile([TUNING], profiles=learn_all([TUNING], papers(), ranker.matcher))
    assert rank_day(DAY, papers(), only) == rank_day(DAY, papers(), fresh)


def test_dates_read_together_across_chunks_rank_as_each_alone() -> None:
    # rank_days reads small dates' papers together, CHUNK papers and more at a time; each
    # date, and each paper's similarity to the profiles, must come out as if ranked alone
    from digest.rank.profile import CHUNK

    # each sample paper after a filler paper, so that a paper's place matters ("g", holding
    # none of the topic's keywords, is lifted by the profile)
    rows = [p for pair in zip(FILLER, SAMPLE_PAPERS, strict=False) for p in pair] + FILLER[8:]
    base = papers(rows)
    sizes = [3, 1, 40, 0, 200, 7, CHUNK - 5, 9, CHUNK + 30, 2, 1]
    days: dict[dt.date, list[Paper]] = {}
    for d, size in enumerate(sizes):
        day = DAY + dt.timedelta(days=d)
        days[day] = [
            dataclasses.replace(
                base[k % len(base)], id=f"{d}.{k}", date=day, extra={"upvotes": k % 5}
            )
            for k in range(size)
        ]
    bio = Topic("bio", ("protein",))
    ranker = Ranker.compile([TUNING, bio])
    profiles = learn_all([TUNING, bio], papers(), ranker.matcher)
    ranker = Ranker.compile([TUNING, bio], ranker.matcher, profiles=profiles)
    together = rank_days(days, ranker, workers=1)
    assert [len(day.papers) for day in together] == sizes
    g = rows.index(SAMPLE_PAPERS[4])
    lifted = [s for day in together for s in day.papers if s.paper.id.split(".")[1] == str(g)]
    assert lifted and all("with your tuning papers" in s.related["tuning"] for s in lifted)
    for (day, ps), got in zip(days.items(), together, strict=True):
        assert got == rank_day(day, ps, ranker), day
    assert rank_days(days, ranker, workers=2) == together  # batches of dates on the workers


def test_a_papers_similarity_is_the_same_bits_whatever_it_is_scored_with() -> None:
    # BLAS may round a row of a product differently in matrices of different sizes: a
    # paper scored in a chunk of 3 and in one of 300 must get the same floats
    import numpy as np

    from digest.rank.profile import CHUNK

    words = [w for _, t, a in SAMPLE_PAPERS for w in (t + " " + a).split()]
    many = [
        Paper(
            f"m{k}", " ".join(words[k % 50 : k % 50 + 6]), " ".join(words[k % 97 :][:60]), DAY, "t"
        )
        for k in range(CHUNK)
    ]
    bio = Topic("bio", ("protein",))
    ranker = Ranker.compile([TUNING, bio])
    profiles = learn_all([TUNING, bio], papers() + many, ranker.matcher)
    together = np.concatenate(profiles.score(many).rows)
    assert together.any()
    for start, size in ((0, 3), (7, 1), (100, 200), (CHUNK - 5, 5)):
        alone = np.concatenate(profiles.score(many[start : start + size]).rows)
        assert np.array_equal(alone, together[start : start + size]), (start, size)


def test_the_profiles_words_found_with_the_keywords_equal_their_own_pass() -> None:
    # the keyword matcher's pass finds the profiles' words too (one automaton for both); a
    # paper it does not read that way (non-ASCII) is read by the profiles' own pass: every
    # paper's similarity is what the own pass gives, across a run of separators, punctuation,
    # capitals, a title's words counted twice, and words that are also keywords' spellings
    from digest.rank.profile import Similar

    ps = papers()
    ps += [
        Paper("u", "Gaussian-process SURROGATE über Alles", "Acquisition  function; regret.", DAY, "t"),
        Paper("r", "Surrogate surrogate: acquisition", "Gaussian   process -- black-box (regret)", DAY, "t"),
        Paper("e", "", "", DAY, "t"),
    ]  # fmt: skip
    ranker = Ranker.compile([TUNING])
    profiles = learn_all([TUNING], papers(), ranker.matcher)
    ranker = Ranker.compile([TUNING], ranker.matcher, profiles=profiles)
    assert ranker.finder is not None and any(t >= 0 for t in ranker.finder.terms.tolist())
    own, merged = Similar([], {}), Similar([], {})
    profiles.score_chunk(ps, 0, own)
    _, found = ranker.matcher.occurrences_and_words(ps, ranker.finder)
    assert not found[3].all()  # "u" is read by the profiles' own pass
    profiles.score_chunk(ps, 0, merged, found)
    rows = own.rows[0].tolist()
    assert merged.rows[0].tolist() == rows and merged.candidates == own.candidates
    assert any(row[0] > 0 for row in rows[-3:])


def test_the_example_a_reason_names_is_the_same_in_every_run() -> None:
    # two examples share the paper's terms equally (0.1 + 0.2 + 0.3 and 0.3 + 0.3): the first
    # is named, in every process; the sum over a set of strings, whose order Python's hashing
    # changes from run to run, named one or the other (4 runs of 10)
    code = (
        "from digest.rank.profile import Profile, Profiles\n"
        "w = {'a': 0.1, 'b': 0.2, 'c': 0.3, 'd': 0.3}\n"
        "ex = (('CD', frozenset('cd')), ('ABC', frozenset('abc')))\n"
        "ps = Profiles([Profile('t', w, {}, 1.0, examples=ex)], {}, 1.0)\n"
        "print(ps._like(0, [ps.terms.index(x) for x in 'abcd']))\n"
    )
    said = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        for seed in range(6)
    }  # fmt: skip
    assert said == {"like CD"}


# -- examples: ids, titles, BibTeX, CSL JSON, lists ---------------------------------------------


def test_examples_from_bibtex_csl_json_and_a_list(tmp_path: Path) -> None:
    bib = tmp_path / "mine.bib"
    bib.write_text(
        "@article{a, title = {Global Optimization of Expensive {Black-Box} Functions},\n"
        "  eprint = {2301.00001}, archivePrefix = {arXiv}}\n"
        '@misc{b, title = "A paper the store never saw", abstract = {Gaussian process '
        "surrogates and acquisition functions.}}\n"
        "@misc{c, title = {Nowhere to be found}}\n"
    )
    csl = tmp_path / "zotero.json"
    csl.write_text(json.dumps([
        {"id": "x", "title": "Whatever", "URL": "http://arxiv.org/abs/2301.00002v2"},
        {"title": "Fast hyperparameter optimization by early stopping"},
    ]))  # fmt: skip
    ids = tmp_path / "ids.txt"
    ids.write_text("# mine\n2301.00003\narXiv:2301.00004v1\n")
    wanted = [w for e in (bib, csl, ids) for w in parse_entry(str(e))[0]]
    assert [w.arxiv_id for w in wanted] == [
        "2301.00001",
        None,
        None,
        "2301.00002",
        None,
        "2301.00003",
        "2301.00004",
    ]
    assert wanted[0].title == "Global Optimization of Expensive Black-Box Functions"
    assert wanted[1].abstract == "Gaussian process surrogates and acquisition functions."
    known = [
        *papers(),
        Paper("2301.00002", "From the store", "An abstract.", DAY, "test"),
    ]
    topic = Topic("tuning", ("x",), examples=(str(bib), str(csl), "h1", "2301.00003"))
    examples, avoid, warnings = resolve([topic], among(known))
    found = [p.title for p in examples["tuning"]]
    assert found == [
        "Global optimization of expensive black-box functions",  # by its title
        "A paper the store never saw",  # the file gave its abstract
        "From the store",  # by the arXiv id in its URL
        "Fast hyperparameter optimization by early stopping",  # by its title
        "Hyperparameter optimization with multi-fidelity bandits",  # by its id
    ]  # fmt: skip
    assert len(warnings) == 2 and all("not found among the papers known" in w for w in warnings)
    assert any("Nowhere to be found" in w for w in warnings) and avoid == {}


def test_config_examples_avoid_and_ranking_are_checked(tmp_path: Path) -> None:
    config = config_from_text(
        "topics:\n  t:\n    keywords: [a]\n    examples: [2301.00001, 'A title']\n"
        "    avoid: [2301.00002]\nranking:\n  history_days: 30\n  upvotes: 0\n",
        tmp_path,
    )
    assert config.topics[0].examples == ("2301.00001", "A title")
    assert config.topics[0].avoid == ("2301.00002",)
    assert config.ranking == Ranking(history_days=30, upvotes=0.0)
    with pytest.raises(Exception, match=r"topics\.t\.examples\[0\]: no such file: mine\.bib"):
        config_from_text("topics:\n  t:\n    keywords: [a]\n    examples: [mine.bib]\n", tmp_path)
    with pytest.raises(Exception, match=r"ranking\.profile: must be at least 0"):
        config_from_text("topics:\n  t: [a]\nranking:\n  profile: -1\n", tmp_path)


def test_examples_with_the_profile_off_are_said_to_be_unused(tmp_path: Path) -> None:
    text = "topics:\n  t:\n    keywords: [a]\n    examples: [2301.00001]\n    avoid: [2301.00002]\n"
    assert config_from_text(text, tmp_path).warnings == ()
    off = config_from_text(text + "ranking:\n  profile: 0\n", tmp_path)
    assert [w for w in off.warnings if "not used" in w] == [
        "topics.t.examples: not used: ranking.profile is 0, so no topic learns from its examples"
        " (line 4)"
    ]


# -- feedback from the terminal --------------------------------------------------------------


def test_like_and_unlike_append_to_the_feedback_file_the_config_reads(tmp_path: Path) -> None:
    (tmp_path / "digest.yaml").write_text("topics:\n  tuning: [hyperparameter]\n  bio: [protein]\n")
    runner = CliRunner()
    config = str(tmp_path / "digest.yaml")
    result = runner.invoke(main, ["like", "2301.00001", "A title", "-t", "tuning", "-c", config])
    assert result.exit_code == 0, result.output
    assert "tuning: example: 2301.00001" in result.output
    result = runner.invoke(
        main, ["unlike", "https://arxiv.org/abs/2301.00009v3", "-t", "bio", "-c", config]
    )
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(main, ["unlike", "2301.00001", "-t", "tuning", "-c", config]).exit_code == 0
    )
    lines = (tmp_path / "digest-feedback.tsv").read_text().splitlines()
    assert lines[0].startswith("#") and len(lines) == 5
    loaded = {t.name: t for t in load_config(config).topics}
    assert loaded["tuning"].examples == ("A title",)  # the later unlike undid the like
    assert loaded["tuning"].avoid == ("2301.00001",)
    assert loaded["bio"].avoid == ("2301.00009",)
    bad = runner.invoke(main, ["like", "2301.00001", "-t", "chess", "-c", config])
    assert bad.exit_code == 1 and "unknown topic 'chess'" in bad.output
    # a link that names no arXiv paper is refused whole: nothing is written
    link = runner.invoke(
        main,
        ["like", "2301.00002", "https://openreview.net/forum?id=x1", "-t", "bio", "-c", config],
    )
    assert link.exit_code == 1 and "a link that names no arXiv paper" in link.output
    # a file is for the config's examples: said, nothing written
    (tmp_path / "mine.bib").write_text("@misc{a, title = {A paper}}\n")
    with contextlib.chdir(tmp_path):
        file = runner.invoke(main, ["unlike", "mine.bib", "-t", "bio", "-c", config])
    assert file.exit_code == 1 and "name it under topics.bio.avoid:" in file.output
    assert len((tmp_path / "digest-feedback.tsv").read_text().splitlines()) == 5


def test_like_twice_writes_once_and_a_paper_must_be_named(tmp_path: Path) -> None:
    (tmp_path / "digest.yaml").write_text("topics:\n  tuning: [hyperparameter]\n")
    runner = CliRunner()
    config = str(tmp_path / "digest.yaml")
    feedback = tmp_path / "digest-feedback.tsv"

    def like(*args: str) -> str:
        result = runner.invoke(main, [*args, "-t", "tuning", "-c", config])
        assert result.exit_code == 0, result.output
        return result.output

    like("like", "2301.00001", "https://arxiv.org/abs/2301.00001v2")  # one paper, twice
    said = like("like", "2301.00001")  # and again
    assert "already so, not written again" in said and "written to" not in said
    like("unlike", "2301.00001")  # a change of mind is written
    like("like", "2301.00001")  # and back
    assert [line.split("\t")[0] for line in feedback.read_text().splitlines()[1:]] == [
        "like", "unlike", "like",
    ]  # fmt: skip
    # an empty paper is refused (it was written, and every later load warned of its line)
    empty = runner.invoke(main, ["like", " ", "-t", "tuning", "-c", config])
    assert empty.exit_code == 1 and "no paper" in empty.output
    assert len(feedback.read_text().splitlines()) == 4
    # a topic misspelled gets a did-you-mean
    typo = runner.invoke(main, ["like", "2301.00002", "-t", "tunning", "-c", config])
    assert typo.exit_code == 1 and "did you mean 'tuning'?" in typo.output
    # a line the config cannot read is a warning naming the file and line, not a key
    with feedback.open("a") as f:
        f.write("like\ttuning\n")
        f.write("like\tchess\t2301.00003\t\n")
    warned = load_config(config).warnings
    assert "digest-feedback.tsv line 5: expected like|unlike, topic, paper" in warned
    assert "digest-feedback.tsv line 6: unknown topic 'chess'" in warned


def test_a_paper_both_liked_and_avoided_is_said_to_stay_avoided(tmp_path: Path) -> None:
    (tmp_path / "digest.yaml").write_text(
        "topics:\n  tuning:\n    keywords: [hyperparameter]\n    avoid: [2301.00001]\n"
    )
    config = str(tmp_path / "digest.yaml")
    result = CliRunner().invoke(main, ["like", "2301.00001", "-t", "tuning", "-c", config])
    assert result.exit_code == 0, result.output
    assert "2301.00001 is in topics.tuning.avoid of" in result.output
    assert "stays avoided" in result.output
    warned = load_config(config).warnings
    assert any(
        w.startswith("topics.tuning: 2301.00001: both an example and a paper to avoid")
        for w in warned
    ), warned
    topic = load_config(config).topics[0]
    # and it is avoided: a paper to avoid never counts, example or not
    one = papers([("2301.00001", "Hyperparameter optimization at scale", "We tune them.")])
    day = ranked(one, [topic], examples={"tuning": one}, avoid={"tuning": one})
    assert not day.papers[0].topics
    # nor does it teach the profile: it is neither in its mean nor an example of its own
    learned = learn_all([topic], one, Ranker.compile([topic]).matcher,
                        examples={"tuning": one}, avoid={"tuning": one}).profiles[0]  # fmt: skip
    assert learned.example_ids == frozenset() and learned.likes == ()
    # an unlike in the file undone by a like is no conflict: only the config's avoid is
    (tmp_path / "digest.yaml").write_text("topics:\n  tuning: [hyperparameter]\n")
    runner = CliRunner()
    for verb in ("unlike", "like"):
        result = runner.invoke(main, [verb, "2301.00002", "-t", "tuning", "-c", config])
        assert result.exit_code == 0 and "stays avoided" not in result.output, result.output
    assert not load_config(config).warnings


def test_like_by_a_title_the_store_knows_keeps_the_papers_id(
    runner: CliRunner, project: Path
) -> None:
    build_project(project)
    config = str(project / "digest.yaml")
    # the title as a reader might type it, in lower case
    result = runner.invoke(
        main, ["like", "reward models are not enough: offline reinforcement learning from human "
               "preferences with uncertainty", "-t", "rl", "-c", config],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "rl: example: 2611.14237 (Reward Models Are Not Enough" in result.output
    line = (project / "digest-feedback.tsv").read_text().splitlines()[-1]
    assert line.split("\t")[:3] == ["like", "rl", "2611.14237"]


def test_an_example_file_exported_again_is_learned_again(project: Path) -> None:
    # a reference manager keeping its export in sync changes the file, not the config
    library = project / "library.bib"
    library.write_text("@misc{a, title = {Nothing the store holds}}\n")
    config = project / "digest.yaml"
    head, _ = config.read_text().split("topics:")
    config.write_text(
        head + "topics:\n  rl:\n    keywords: [reinforcement learning]\n"
        "    examples: [library.bib]\n"
    )
    assert build_project(project).ranked  # the first build ranks every date
    assert build_project(project).ranked == ()  # nothing changed: nothing ranked
    library.write_text(
        "@misc{a, title = {Nothing the store holds}}\n"
        "@misc{b, title = {Reward Models Are Not Enough: Offline Reinforcement Learning from "
        "Human Preferences with Uncertainty}}\n"
    )
    again = build_project(project)
    assert again.ranked, "the file's new example was not learned"
    assert build_project(project).ranked == ()
    with Store(project / ".digest" / "store.sqlite") as store:
        learned = decode(store.kept_profiles()[1])  # type: ignore[index]
    assert learned.profiles[0].example_ids == {"2611.14237"}


# -- the store: term statistics counted on, profiles kept ------------------------------------


def test_profiles_from_the_store_are_kept_and_learned_again_when_it_grows(tmp_path: Path) -> None:
    from digest.collect import collect
    from digest.config import Config, SourceSpec

    first = tmp_path / "a.jsonl"
    first.write_text("".join(
        json.dumps({"id": f"2301.0000{n}", "title": t, "abstract": a, "date": "2026-11-19"}) + "\n"
        for n, (_, t, a) in enumerate(SAMPLE_PAPERS)
    ))  # fmt: skip
    config = Config(
        root=tmp_path, sources=(SourceSpec("a", str(first)),), store=tmp_path / "s.sqlite"
    )
    learn = Ranking(learn=True)
    with Store(config.store) as store:
        collect(config, store, DAY)
        matcher = Ranker.compile([TUNING]).matcher
        # a topic without examples learns nothing by default: the store is not even counted
        assert learn_from_store(store, [TUNING], Ranking(), matcher, {}, {}) is None
        assert store.term_counts() == ({}, {})
        profiles = learn_from_store(store, [TUNING], learn, matcher, {}, {})
        assert profiles is not None and profiles.profiles[0].learned == 4
        numbers, _df = store.term_counts()
        assert numbers["papers"] == len(SAMPLE_PAPERS) and numbers["upto"] == len(SAMPLE_PAPERS)
        again = learn_from_store(store, [TUNING], learn, matcher, {}, {})
        assert encode(again) == encode(profiles)  # kept, not learned again
        (tmp_path / "b.jsonl").write_text(json.dumps({
            "id": "2301.00100", "title": "Hyperparameter optimization of everything",
            "abstract": "A Gaussian process surrogate tunes everything.", "date": "2026-11-20",
        }) + "\n")  # fmt: skip
        grown = dataclasses.replace(
            config, sources=(*config.sources, SourceSpec("b", str(tmp_path / "b.jsonl")))
        )
        collect(grown, store, DAY)
        stats = term_stats(store)
        assert stats.papers == len(SAMPLE_PAPERS) + 1  # only the new paper counted on
        later = learn_from_store(store, [TUNING], learn, matcher, {}, {})
        assert later.profiles[0].learned == 5
        off = Ranking(learn=True, profile=0)
        assert learn_from_store(store, [TUNING], off, matcher, {}, {}) is None
        # with examples, a topic learns one without ranking.learn, and only that topic
        bio = Topic("bio", ("protein",))
        liked = dataclasses.replace(TUNING, examples=("2301.00004",))
        found = learn_from_store(store, [bio, liked], Ranking(), matcher, {}, {})
        assert found is not None and found.profiles[0] is None
        assert found.profiles[1] is not None and found.profiles[1].learned == 5


def test_a_build_ranks_with_the_profiles_and_rank_json_says_why(project: Path) -> None:
    runner = CliRunner()
    config = str(project / "digest.yaml")
    with open(config, "a") as f:
        f.write("ranking:\n  learn: true\n")  # every topic learns, without examples
    result = runner.invoke(main, ["build", "-c", config, "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    rows = [
        json.loads(x)
        for x in runner.invoke(main, ["rank", "--json", "-c", config]).stdout.splitlines()
    ]
    lifted = [r for r in rows if r["related"]]
    assert lifted and all(
        v.startswith(("shares ", "like ")) for r in lifted for v in r["related"].values()
    )
    assert all(r["tldr"] is None for r in rows if not r["highlight"])
    page = (project / "output" / "days" / "2026-08-12.html").read_text()
    assert "related: shares" in page


# -- opt-in: a topic learns a profile only with examples (or ranking.learn) ------------------


def _rank_json(runner: CliRunner, config: Path) -> dict[str, dict]:
    args = ["rank", "--json", "-c", str(config), "--today", "2026-11-23"]
    result = runner.invoke(main, [*args, str(config.parent / "feeds/pages/*.txt")])
    assert result.exit_code == 0, result.output
    return {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}


def test_only_a_topic_with_examples_learns_and_the_others_rank_by_keywords(project: Path) -> None:
    runner = CliRunner()
    config = project / "digest.yaml"
    text = config.read_text()
    default = _rank_json(runner, config)
    config.write_text(text + "ranking:\n  profile: 0\n")
    assert _rank_json(runner, config) == default  # the defaults: no profile
    related = [v for r in default.values() for v in r["related"].values()]
    assert related and all(v.endswith(" keywords") for v in related)  # only by their words
    config.write_text(text)
    liked = runner.invoke(
        main, ["like", "Symbolic Discovery of Optimization Algorithms", "-t", "optimization",
               "-c", str(config)],
    )  # fmt: skip
    assert liked.exit_code == 0, liked.output
    learned = _rank_json(runner, config)
    assert learned.keys() == default.keys()
    changed = False
    for pid, row in learned.items():
        before = default[pid]["topics"]
        others = {n: x for n, x in row["topics"].items() if n != "optimization"}
        assert others == {n: x for n, x in before.items() if n != "optimization"}
        assert {n: v for n, v in row["related"].items() if n != "optimization"} == {
            n: v for n, v in default[pid]["related"].items() if n != "optimization"
        }
        changed |= row["topics"].get("optimization") != before.get("optimization")
    assert changed  # the liked topic ranks with its profile
    config.write_text(text + "ranking:\n  learn: true\n")
    assert any(
        set(r["related"]) - {"optimization"} or r["topics"] != default[i]["topics"]
        for i, r in _rank_json(runner, config).items()
        if "optimization" not in r["topics"]
    )  # ranking.learn: every topic learns
