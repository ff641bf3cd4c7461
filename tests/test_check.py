"""Feedback on topics: `digest check` (and the same lines at the end of every build) says per
topic what it matched lately, warns of a topic that matched nothing and of a keyword that
matched no paper (with a "did you mean" from the store's own words); a config without sources,
a date without papers and a misspelled key are each said with the fix."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from digest.check import MEMO, Suggestions, check_topics, distance
from digest.cli import main
from digest.config import load_config
from digest.model import Paper, Topic
from digest.pipeline import check
from digest.rank import Ranker, rank_day
from digest.rows import encode_day
from tests.helpers import build_project

TODAY = ["--today", "2026-11-23"]


def topics(project: Path, text: str) -> None:
    """Replace the project's topics with ``text`` (YAML under ``topics:``)."""
    config = project / "digest.yaml"
    head = config.read_text().split("topics:")[0]
    config.write_text(head + "topics:\n" + text)


def warnings(output: str) -> list[str]:
    return [line.removeprefix("warning: ") for line in output.splitlines() if "warning: " in line]


def test_check_says_per_topic_what_it_matched_lately(runner: CliRunner, project: Path) -> None:
    build_project(project)
    result = runner.invoke(main, ["check", "-c", str(project / "digest.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "topics: papers matched in the 7 / 30 days to 2026-11-20 (7 papers), highlights that day"
    )
    rows = {line.split("  ")[1].strip(): line for line in lines[1:6]}
    assert list(rows) == ["scaling", "test-time compute", "optimization", "efficiency", "rl"]
    assert re.search(r"scaling\s+2 / 2\s+2 highlights$", rows["scaling"])
    # optimization's keywords match none of the newest 30 days' papers; one has all the
    # words of "learning rate", apart, and counts by them: said, and a warning (a topic kept
    # alive by its words alone may be kept alive by noise)
    assert re.search(r"optimization\s+1 / 1\s+-\s+1 of the 1 related only$", rows["optimization"])
    assert not any("related" in rows[name] for name in rows if name != "optimization")
    assert warnings(result.stderr) == [
        "topic 'optimization': no keyword of it matched a paper in the 30 days to 2026-11-20 "
        '(7 papers), only its words or profile did (1 paper, "related"); are its keywords too '
        "narrow, or do the sources cover it?"
    ]
    # keywords alone, optimization matched 49 papers before, none in the newest 30 days: a
    # warning
    config = project / "digest.yaml"
    config.write_text(config.read_text() + "ranking:\n  words: 0\n")
    result = runner.invoke(main, ["check", "-c", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = {line.split("  ")[1].strip(): line for line in lines[1:6]}
    assert re.search(r"optimization\s+0 / 0\s+-$", rows["optimization"])
    assert warnings(result.stderr) == [
        "topic 'optimization' matched no paper in the 30 days to 2026-11-20 (7 papers); are its "
        "keywords too narrow, or do the sources cover it?"
    ]
    assert lines[-1] == "1 warning; see above"


def test_a_misspelled_keyword_gets_a_did_you_mean_from_the_store(
    runner: CliRunner, project: Path
) -> None:
    topics(project, "  images:\n    keywords: [difusion modle, reinforcment lerning, zebra]\n")
    result = runner.invoke(main, ["build", "-c", str(project / "digest.yaml"), *TODAY])
    assert result.exit_code == 0, result.output
    said = warnings(result.stderr)
    assert (
        "topic 'images': keyword 'difusion modle' matched no paper in the store (166 papers); "
        "did you mean 'diffusion model'?"
    ) in said
    assert any("'reinforcment lerning'" in w and "'reinforcement learning'?" in w for w in said)
    # a word no paper uses, with nothing close: new or rare, not a typo; listed with its topic
    assert not [w for w in said if "zebra" in w]
    assert re.search(
        r"^  images\s+0 / 0\s+-\s+no paper in the store: difusion modle, reinforcment lerning, "
        r"zebra$",
        result.stdout,
        re.M,
    )
    # the same from `digest check`, which ranks nothing again (the build kept the rankings)
    checked = runner.invoke(main, ["check", "-c", str(project / "digest.yaml")])
    assert warnings(checked.stderr) == said[-len(warnings(checked.stderr)) :]
    assert "ranking" not in checked.output


def test_an_edited_topic_is_checked_without_a_build(runner: CliRunner, project: Path) -> None:
    build_project(project)
    topics(project, "  rl: [reinforcement learning, RLHF, reward modle]\n")
    result = runner.invoke(main, ["check", "-c", str(project / "digest.yaml")])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^  rl\s+1 / 1\s+1 highlight\s+no paper in the store: reward modle$", result.stdout, re.M
    )
    assert warnings(result.stderr) == [
        "topic 'rl': keyword 'reward modle' matched no paper in the store (166 papers); "
        "did you mean 'reward model'?"
    ]


def test_check_says_which_examples_the_store_does_not_hold_every_time(
    runner: CliRunner, project: Path
) -> None:
    build_project(project)
    topics(project, "  rl:\n    keywords: [reinforcement learning]\n"
                    "    examples: [2611.14237, 2611.99999]\n")  # fmt: skip
    missing = "topics.rl.examples: 2611.99999: not found among the papers known"
    for _ in range(2):  # the first ranks the dates for the new topics, the second has nothing to
        result = runner.invoke(main, ["check", "-c", str(project / "digest.yaml")])
        assert result.exit_code == 0, result.output
        assert warnings(result.stderr)[0] == missing
        assert result.stdout.splitlines()[-1] == "1 warning; see above"


def built_and_checked(runner: CliRunner, project: Path, text: str) -> Result:
    """``digest check`` of the project built, then given the topics ``text``."""
    build_project(project)
    topics(project, text)
    result = runner.invoke(main, ["check", "-c", str(project / "digest.yaml")])
    assert result.exit_code == 0, result.output
    return result


def test_check_shows_what_a_learning_topic_learned_and_from_what(
    runner: CliRunner, project: Path
) -> None:
    result = built_and_checked(runner, project, "  rl:\n    keywords: [reinforcement learning, RLHF]\n"
                               "    examples: [2611.14237]\n"
                               "  scaling:\n    keywords: [scaling law]\n")  # fmt: skip
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["rl"])
    said = lines[at + 1].strip()
    # the line under the topic's: the papers its keywords match with confidence, the example
    assert re.fullmatch(r"learned from \d+ papers?, 1 example: (\w[\w-]*, ){7}\w[\w-]*", said), said
    words = said.split(": ", 1)[1].split(", ")
    assert not {"reinforcement", "learning", "rlhf"} & set(words)  # its keywords' own: not news
    # a topic without examples learns nothing, and says nothing of it
    assert not any("learned from" in line for line in lines[at + 2 :]), result.stdout
    report = check(load_config(project / "digest.yaml"))
    learned = {t.name: t.learned for t in report.topics}
    assert learned["scaling"] is None and learned["rl"].examples == 1
    assert learned["rl"].papers >= 1 and learned["rl"].words == tuple(words)


def test_check_advises_more_keywords_for_a_topic_of_one_or_two(
    runner: CliRunner, project: Path
) -> None:
    result = built_and_checked(runner, project, "  rl: [reinforcement learning, RLHF]\n"
                               "  taught:\n    keywords: [scaling law]\n    examples: [2611.14201]\n"
                               "  scaling: [scaling law, compute-optimal, chinchilla]\n")  # fmt: skip
    said = [w for w in warnings(result.stderr) if "rank better" in w]
    # one for the topic of two keywords; none for the one with an example, nor for three
    assert len(said) == 1 and said[0].startswith("topic 'rl': 2 keywords and no examples"), said
    build = build_project(project)  # a build's closing lines do not repeat the advice
    assert build.check is not None and not any("rank better" in w for w in build.check.warnings)


def test_two_spellings_of_one_keyword_are_both_matched(runner: CliRunner, project: Path) -> None:
    # "scaling law" and "scaling laws" match the same and count once; neither is silent, in
    # the topic that writes both or in one that writes the second alone
    topics(
        project,
        "  scaling: [scaling law, scaling laws]\n  laws: [scaling laws, zebra]\n",
    )
    result = runner.invoke(main, ["build", "-c", str(project / "digest.yaml"), *TODAY])
    assert result.exit_code == 0, result.output
    assert re.search(r"^  scaling\s+\d+ / \d+\s+\S.*[^:]$", result.stdout, re.M)
    assert "no paper in the store: zebra" in result.stdout
    assert "scaling law" not in result.stdout.split("no paper in the store:")[-1]


def test_a_silent_keyword_is_found_in_a_date_added_later(runner: CliRunner, project: Path) -> None:
    """What the last check found is remembered; a keyword it found nowhere is looked for in
    the dates ranked since, old ones too."""
    topics(project, "  animals: [scaling law, zebra]\n")
    build_project(project)
    config = load_config(project / "digest.yaml")
    (first,) = check(config).topics
    assert first.silent == (("zebra", None),)
    with sqlite3.connect(config.store) as db:
        assert json.loads(db.execute("SELECT value FROM meta WHERE key = ?", (MEMO,)).fetchone()[0])
    late = {"id": "2601.00001", "title": "A zebra benchmark", "abstract": "Zebra crossings.",
            "date": "2026-01-05"}  # fmt: skip
    (project / "feeds" / "late.jsonl").write_text(json.dumps(late) + "\n")
    text = (project / "digest.yaml").read_text()
    (project / "digest.yaml").write_text(
        text.replace("sources:\n", "sources:\n  - path: feeds/late.jsonl\n")
    )
    build_project(project)
    (after,) = check(load_config(project / "digest.yaml")).topics
    assert after.silent == ()


def test_a_config_with_topics_and_no_sources_says_how_to_add_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "digest.yaml").write_text("topics:\n  rl: [reinforcement learning]\n")
    for command in (["build", *TODAY], ["check"], ["collect"]):
        result = runner.invoke(main, [*command[:1], "-c", str(tmp_path / "digest.yaml"),
                                      *command[1:]])  # fmt: skip
        assert result.exit_code == 1, result.output
        assert result.output == (
            "Error: digest.yaml: no sources to collect papers from; add a sources: list, with a "
            "feed (- url: https://rss.arxiv.org/rss/cs.LG) or files (- path: feeds/*.xml)\n"
        )
    assert not (tmp_path / "output").exists()


def test_check_before_any_build_says_to_build(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(main, ["check", "-c", str(project / "digest.yaml")])
    assert result.exit_code == 1
    assert "no papers yet; run `digest build` first" in result.output


def test_rank_on_a_date_without_papers_says_so(runner: CliRunner, project: Path) -> None:
    config = ["-c", str(project / "digest.yaml")]
    result = runner.invoke(main, ["rank", *config])
    assert result.exit_code == 1
    assert "no papers yet; run `digest build` first" in result.output
    build_project(project)
    result = runner.invoke(main, ["rank", *config, "--date", "2020-01-01"])
    assert result.exit_code == 1
    assert result.output == "Error: no papers on 2020-01-01 in the store (newest: 2026-11-20)\n"
    assert runner.invoke(main, ["rank", *config, "--date", "2026-11-20"]).exit_code == 0


@pytest.mark.parametrize(
    ("yaml", "said"),
    [
        ("ouputs: [site]\n", "ouputs: unknown key; did you mean outputs? (known: "),
        (
            "topics:\n  a: {keywords: [x], exlude: [y]}\n",
            "topics.a.exlude: unknown key; did you mean exclude?",
        ),
        ("email:\n  form: a@b.org\n", "email.form: unknown key; did you mean from?"),
        ("colour: blue\n", "colour: unknown key (known: "),  # nothing close: the list only
    ],
)
def test_an_unknown_key_gets_a_did_you_mean(tmp_path: Path, yaml: str, said: str) -> None:
    (tmp_path / "digest.yaml").write_text(yaml)
    [warning] = load_config(tmp_path / "digest.yaml").warnings
    assert warning.startswith(said), warning


class FakeStore:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def newest_texts(self, limit: int) -> list[str]:
        return self.texts[:limit]


def test_suggestions_prefer_the_most_frequent_close_word() -> None:
    words = ["We train a diffusion model.", "Models of diffusion.", "A model module mode."] * 3
    suggest = Suggestions(FakeStore(words))  # type: ignore[arg-type]
    assert suggest("modle") == "model"  # model, module and mode are one edit away
    assert suggest("difusion Modles") == "diffusion models"
    assert suggest("DIFUSION") == "DIFFUSION"
    assert suggest("diffusion models") is None  # every word is used: not a typo
    assert suggest("quokka") is None  # nothing close
    assert suggest("/difusion/") is None
    assert distance("modle", "model") == 1 and distance("difusion", "diffusion") == 1
    assert distance("kitten", "sitting") == 3


class RankedStore:
    """The store's side of a check: one ranked date, kept as a build keeps it."""

    def __init__(self, data: bytes) -> None:
        self.data, self.notes = data, {}

    def ranked(self, date: dt.date) -> tuple[str, bytes]:
        return ("k", self.data)

    def newest_texts(self, limit: int) -> list[str]:
        return []

    def note(self, key: str) -> str | None:
        return self.notes.get(key)

    def set_note(self, key: str, value: str) -> None:
        self.notes[key] = value

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


def test_papers_counted_by_words_alone_are_said_and_warned_of_only_when_all_are() -> None:
    day = dt.date(2026, 11, 20)
    rows = [
        ("k", "Software testing with coverage feedback", "We study software testing of compilers."),
        (
            "w",
            "Generation of unit tests for compilers",
            "We test compilers; every test is generated.",
        ),
        ("n", "Sparse attention for long documents", "Attention over documents made sparse."),
    ]
    papers = [Paper(i, t, a, day, "test") for i, t, a in rows]
    both = Topic("testing", ("software testing", "test generation"))
    words_only = Topic("generation", ("test generation",))
    ranked = rank_day(day, papers, Ranker.compile([both, words_only]))
    assert ranked.sections["testing"] and ranked.sections["generation"]
    report = check_topics(RankedStore(encode_day(ranked)), [both, words_only], {day: ("k", 3)})
    by_name = {t.name: t for t in report.topics}
    # "testing": k by its keyword, w by the words of "test generation", apart
    assert (by_name["testing"].month, by_name["testing"].related) == (2, 1)
    # "generation": only w, by its words
    assert (by_name["generation"].month, by_name["generation"].related) == (1, 1)
    assert [w.split(":")[0] for w in report.warnings] == ["topic 'generation'"]
