"""Configs that are valid YAML but hostile or mistaken: alias bombs, numbers no setting can take,
an output folder that holds the config or a source, a templates folder that is a whole system
folder, and topic names whose slugs collide or whose accents are spelt two ways."""

from __future__ import annotations

import textwrap
import time
import unicodedata
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import main
from digest.config import config_from_text, load_config
from digest.config import lines as config_lines
from digest.errors import ConfigError, TemplateProblem
from digest.model import Topic
from digest.render import Site

ROOT = Path(__file__).resolve().parent.parent


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "digest.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


# -- aliases and the C parser ----------------------------------------------------------------


def bomb(levels: int) -> str:
    """``levels`` lists of nine aliases to the list before: 9**levels strings in ~40 bytes a
    level (9 levels: 387 million)."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    lines.append(f"topics:\n  rl:\n    keywords: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    text = bomb(9)
    assert len(text) < 600
    started = time.monotonic()
    [problem] = problems(tmp_path, text)
    assert time.monotonic() - started < 2  # was over a minute and 2.2 GB
    assert problem.startswith("l5[0]: aliases (*name) stand for more than 100,000 values by here")
    assert problem.endswith("(line 6); write the values out, or alias less")


def test_an_alias_that_holds_itself_is_refused(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "topics:\n  rl: &me {keywords: [x], description: *me}\n")
    assert problem.startswith("topics.rl.description: aliases (*name) stand for more than")


def test_a_few_aliases_still_work_and_keep_their_lines(tmp_path: Path) -> None:
    text = """\
        shared: &words [scaling law, compute-optimal]
        topics:
          scaling: {keywords: *words}
          more:
            keywords: *words
            weight: many
        """
    [problem] = problems(tmp_path, text)
    assert problem.startswith("topics.more.weight: expected a number") and "(line 6)" in problem
    config = config_from_text(textwrap.dedent(text).replace("many", "2"), tmp_path)
    assert [t.keywords for t in config.topics] == [("scaling law", "compute-optimal")] * 2


def test_libyaml_reads_the_config_with_the_lines_of_the_pure_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    assert config_lines._SafeLoader is yaml.CSafeLoader
    text = (ROOT / "digest.yaml").read_text() + textwrap.dedent("""\
        subscribers:
          - {email: a@example.org, topics: [rl]}
          - "Bob <bob@example.org>"
        email: {smtp: {host: h, port: 25}}
        """)
    fast = config_lines.parse_yaml(text, "x")
    monkeypatch.setattr(config_lines, "_SafeLoader", yaml.SafeLoader)
    assert config_lines.parse_yaml(text, "x") == fast
    assert fast[1][("subscribers", 1)] == text.splitlines().index('  - "Bob <bob@example.org>"') + 1


# -- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("topics.rl.weight", ".inf", "expected a finite number, got inf"),
        ("topics.rl.weight", ".nan", "expected a finite number, got nan"),
        ("topics.rl.weight", "1.0e+308", "must be at most 1,000,000,000, got 1e+308"),
        ("highlights.min_score", ".nan", "expected a finite number, got nan"),
        ("fetch.timeout", ".inf", "expected a finite number, got inf"),
        ("fetch.max_size", '"' + "9" * 400 + 'MB"', "expected a size such as 20MB"),
        ("recent_days", "10000000000000000000000", "must be at most 1,000,000,000"),
    ],
)
def test_numbers_no_setting_can_take_are_refused_with_their_key_path(
    tmp_path: Path, setting: str, value: str, message: str
) -> None:
    data: dict = {"topics": {"rl": {"keywords": ["reinforcement learning"]}}}
    *parents, last = setting.split(".")
    here = data
    for key in parents:
        here = here.setdefault(key, {})
    here[last] = "VALUE"
    text = yaml.safe_dump(data).replace("VALUE", value)
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{setting}: {message}"), problem
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if value in text_line)
    assert problem.endswith(f"(line {line})")


def test_the_largest_weight_ranks_without_overflow(tmp_path: Path) -> None:
    from digest.rank import Ranker, rank_day
    from tests.test_rank import DAY, paper

    config = config_from_text(
        "topics:\n  rl: {keywords: [reward model], weight: 1.0e+9}\n", tmp_path
    )
    found = paper("1", "A reward model", "We train a reward model. Reward models help.")
    day = rank_day(DAY, [found], Ranker.compile(config.topics), config.highlights)
    assert day.papers[0].score > 1e9


# -- the output folder -------------------------------------------------------------------------


def test_an_output_that_holds_the_config_or_a_source_is_refused(tmp_path: Path) -> None:
    base = "topics: {rl: [x]}\nsources: [feeds/*.xml]\n"
    [problem] = problems(tmp_path, base + f"output: .\nstore: {tmp_path.parent}/elsewhere.sqlite\n")
    assert problem.startswith(f"output: {tmp_path} holds the config file")
    [problem] = problems(tmp_path, base + "output: feeds\n")
    assert problem.startswith(f"output: {tmp_path / 'feeds'} holds the source 'feeds/*.xml'")
    deep = "topics: {rl: [x]}\nsources: ['**/*.xml']\noutput: site\n"
    [problem] = problems(tmp_path, deep)
    assert "holds the source '**/*.xml'" in problem and "read back as papers" in problem
    fine = load_config_text(tmp_path, "topics: {rl: [x]}\nsources: ['*.xml', 'in/*/a.xml']\n")
    assert fine.output == tmp_path / "output"


def load_config_text(tmp_path: Path, text: str):
    path = tmp_path / "digest.yaml"
    path.write_text(text)
    return load_config(path)


def test_build_out_over_the_sources_is_refused(project: Path) -> None:
    result = CliRunner().invoke(
        main, ["build", "-c", str(project / "digest.yaml"), "--out", str(project / "feeds")]
    )
    assert result.exit_code == 1
    assert "holds the source 'feeds/pages/*.txt'" in result.output
    assert not (project / "feeds" / "manifest.json").exists()
    result = CliRunner().invoke(
        main, ["build", "-c", str(project / "digest.yaml"), "--out", str(project)]
    )
    assert result.exit_code == 1 and "must not hold the store" in result.output


# -- templates and topic names -----------------------------------------------------------------


def test_a_templates_folder_far_bigger_than_templates_is_refused(tmp_path: Path) -> None:
    started = time.monotonic()
    [problem] = problems(tmp_path, "topics: {rl: [x]}\ntemplates: /usr\n")
    assert time.monotonic() - started < 5  # a build hashed all of /usr: a minute
    assert problem.startswith("templates: /usr holds more than 1,000 files or 50 MB")
    from digest.render.env import folder_files, templates_fingerprint

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "a.html").write_text("x")
    assert folder_files(folder) == [folder / "a.html"]
    for n in range(1001):  # grown after the config was read (digest serve reloads it)
        (folder / f"{n}.html").write_text("x")
    with pytest.raises(TemplateProblem, match="more than 1,000 files"):
        templates_fingerprint(folder)


def test_a_topic_name_with_a_decomposed_accent_is_its_composed_self(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Café scaling")
    assert decomposed != "Café scaling"
    text = (
        f"topics:\n  {decomposed}: [scaling law]\n"
        f"subscribers:\n  - {{email: a@example.org, topics: [{decomposed}]}}\n"
        f"  - {{email: b@example.org, topics: [Café scaling]}}\n"
    )
    config = load_config_text(tmp_path, text)
    assert [t.name for t in config.topics] == ["Café scaling"]
    assert [s.topics for s in config.subscribers] == [("Café scaling",)] * 2
    both = f"topics:\n  {decomposed}: [x]\n  Café scaling: [y]\n"
    assert "duplicate topic name" in problems(tmp_path, both)[0]


def slugs(*names: str) -> dict[str, str]:
    topics = tuple(Topic(n, ("x",)) for n in names)
    return dict(Site.make(title="t", site_url="https://example.org/", topics=topics).slugs)


def test_colliding_topic_slugs_do_not_depend_on_the_order_of_the_topics() -> None:
    one = slugs("R L", "vision", "R-L", "All")
    assert one == slugs("All", "R-L", "vision", "R L")  # the config's order does not matter
    assert one["vision"] == "vision"
    assert len(set(one.values())) == 4
    assert all(one[n].startswith(p) for n, p in (("R L", "r-l-"), ("R-L", "r-l-"), ("All", "all-")))
    # a new topic moves only the slugs it collides with
    more = slugs("R L", "vision", "R-L", "All", "Vision!")
    assert {n: s for n, s in more.items() if not n.lower().startswith("vision")} == {
        n: s for n, s in one.items() if n != "vision"
    }
    assert more["vision"] != "vision" and more["Vision!"] != more["vision"]
    assert slugs("R L") == {"R L": "r-l"}  # alone, as before
