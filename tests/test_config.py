from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from digest.config import config_from_text, load_config
from digest.errors import ConfigError


def load(tmp_path: Path, text: str):
    path = tmp_path / "digest.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value.problems


def test_minimal_configs_get_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, "topics:\n  rl:\n    keywords: [reinforcement learning]\n")
    assert config.sources == ()
    assert config.store == tmp_path / ".digest" / "store.sqlite"
    assert config.output == tmp_path / "output"
    assert (config.highlights.total, config.highlights.per_topic, config.highlights.min_score) == (
        10,
        3,
        1.0,
    )
    assert config.topics[0].keywords == ("reinforcement learning",)


def test_source_list_form(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        sources:
          - path: feeds/pages/*.txt     # a glob
          - path: feeds/arxiv-cs-lg.xml
            format: rss
            name: arxiv
            date: 2026-11-20
            announce: [new]
          - feeds/other.json
        """,
    )
    pages, arxiv, other = config.sources
    assert (pages.name, pages.path, pages.format) == ("pages", "feeds/pages/*.txt", None)
    assert (arxiv.name, arxiv.format, str(arxiv.date), arxiv.options) == (
        "arxiv",
        "rss",
        "2026-11-20",
        {"announce": ("new",)},
    )
    assert other.name == "other"


def test_every_problem_is_reported_with_path_and_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        sources:
          - path: a.txt
            format: pdf
          - name: nameless
        topics:
          rl:
            keywords: [reinforcement learning, 3, ""]
            weight: heavy
          empty:
            keywords: []
        highlights:
          total: -1
          min_score: "high"
        """,
    )
    assert (
        "sources[0].format: unknown format 'pdf' (known: arxiv-api, daily-arxiv, hf-json, json-array, json-feed, jsonl, page, rss) (line 4)"
        in found
    )
    assert "sources[1].path: required (line 5)" in found  # the entry's line
    assert "topics.rl.keywords[1]: expected a non-empty string, got a number (line 8)" in found
    assert (
        "topics.rl.keywords[2]: expected a non-empty string, got an empty string (line 8)" in found
    )
    assert "topics.rl.weight: expected a number, got a string (line 9)" in found
    assert "topics.empty.keywords: must not be empty (line 11)" in found
    assert "highlights.total: must be at least 0, got -1 (line 13)" in found
    assert "highlights.min_score: expected a number, got a string (line 14)" in found
    assert len(found) == 8


def test_unknown_keys_warn(tmp_path: Path) -> None:
    config = load(
        tmp_path, "sources: []\ncolour: blue\ntopics:\n  a:\n    keywords: [x]\n    keyword: [y]\n"
    )
    assert any(w.startswith("colour: unknown key") and "(line 2)" in w for w in config.warnings)
    assert any(w.startswith("topics.a.keyword: unknown key") for w in config.warnings)


def test_topics_as_a_list_and_duplicates(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "topics:\n  - name: rl\n    keywords: [RL]\n  - name: nlp\n    keywords: [parsing]\n",
    )
    assert [t.name for t in config.topics] == ["rl", "nlp"]
    found = problems(
        tmp_path, "topics:\n  - name: rl\n    keywords: [a]\n  - name: RL\n    keywords: [b]\n"
    )
    assert found == ["topics[1]: duplicate topic name 'RL' (line 4)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [\n", "line 2"),
        (
            "a: !!python/object:os.system {}\n",
            "line 1, column 4: could not determine a constructor for the tag",
        ),
        ("topics: {}\ntopics: {}\n", "topics: duplicate key (line 2)"),
        ("- just\n- a list\n", "expected a mapping at the top level, got a list"),
        (
            "topics:\n  rl:\n    keywords: ['/(unclosed/']\n",
            "topics.rl.keywords[0]: invalid regular expression",
        ),
        ("site_url: ftp://x\n", "site_url: expected an http(s) URL"),
        ("store: output/store.sqlite\n", "store: the store must not be inside the output folder"),
        ("topics:\n  rl: []\n", "topics.rl.keywords: must not be empty (line 2)"),
        ("title: [a]\n", "title: expected a non-empty string, got a list (line 1)"),
        (
            "x: !!python/object/apply:os.system ['touch pwned']\n",
            "could not determine a constructor",
        ),
        ("title: a\n  b: c\n", "line 2, column 4: mapping values are not allowed here"),
        (
            "topics:\n  - name: a\n    keywords: [x]\n  - name: a\n    keywords: [y]\n",
            "topics[1]: duplicate topic name 'a' (line 4)",
        ),
        ("highlights: {total: 1e999}\n", "highlights.total: expected a whole number"),
        ("recent_days: true\n", "recent_days: expected a whole number, got true/false (line 1)"),
        (
            "outputs: [site, pdf]\n",
            "outputs[1]: unknown output 'pdf' (known: email, feeds, markdown, site) (line 1)",
        ),
        ("outputs: []\n", "outputs: must not be empty (line 1)"),
        ("outputs: {site: true}\n", "outputs: expected a list of strings, got a mapping (line 1)"),
    ],
)
def test_bad_configs_give_one_clear_message(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert message in str(info.value)
    assert str(info.value).startswith(str(tmp_path / "digest.yaml"))
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"no digest\.yaml in"):
        load_config()
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_from_text_needs_no_file(tmp_path: Path) -> None:
    assert config_from_text("title: X\n", tmp_path).title == "X"


# -- delivery: email.smtp, subscribers, subscribers_file -----------------------------------------

DELIVERY = """
topics:
  scaling: [scaling law]
  rl: [RL]
email:
  smtp: {host: smtp.example.org, username: digest}
subscribers:
  - {email: ada@example.org, name: Ada, topics: [Scaling, rl]}
  - "Bob Builder <bob@example.org>"
subscribers_file: people.csv
"""


def test_subscribers_from_yaml_and_csv(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        'email,name,topics,id\ncy@example.org,Cy,rl,cy-1\n\n"Dee <dee@example.org>",,"scaling, rl",\n'
    )
    config = load(tmp_path, DELIVERY)
    people = {s.email: s for s in config.subscribers}
    assert list(people) == [
        "ada@example.org",
        "bob@example.org",
        "cy@example.org",
        "dee@example.org",
    ]
    assert people["ada@example.org"].topics == ("rl", "scaling")  # as configured, sorted
    assert people["bob@example.org"].name == "Bob Builder"
    assert people["bob@example.org"].topics is None  # every topic
    assert people["cy@example.org"].id == "cy-1"
    assert people["dee@example.org"].name == "Dee" and people["dee@example.org"].topics == (
        "rl",
        "scaling",
    )
    ids = {s.id for s in config.subscribers}
    assert (
        len(ids) == 4 and people["ada@example.org"].id == load(tmp_path, DELIVERY).subscribers[0].id
    )
    smtp = config.smtp
    assert smtp is not None and (smtp.host, smtp.port, smtp.security) == (
        "smtp.example.org",
        587,
        "starttls",
    )
    assert smtp.password_env == "DIGEST_SMTP_PASSWORD" and config.send_empty is False


def test_a_headerless_csv(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("cy@example.org,Cy,rl\nfay@example.org\n")
    config = load(tmp_path, DELIVERY)
    assert [s.email for s in config.subscribers][2:] == ["cy@example.org", "fay@example.org"]
    assert config.subscribers[3].topics is None


def test_every_subscriber_problem_names_its_entry(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        "email,name,topics\nnot-an-address,X,\ncy@example.org,Cy,rl;chess\nADA@example.org,,\n"
    )
    text = DELIVERY.replace(
        "smtp: {host: smtp.example.org, username: digest}",
        "smtp: {host: smtp.example.org, password: hunter2, security: tls, port: 70000}",
    ).replace(
        '  - "Bob Builder <bob@example.org>"\n',
        '  - "Bob Builder <bob@example.org>"\n'
        '  - {email: "eve@example.org\\nBcc: x@evil.example", topics: []}\n',
    )
    found = problems(tmp_path, text)
    assert any(
        p.startswith("email.smtp.password: never put the password in the config") for p in found
    )
    assert "email.smtp.security: expected starttls, ssl or none, got 'tls' (line 6)" in found
    assert any(p.startswith("email.smtp.port: expected a port number up to 65535") for p in found)
    assert any(p.startswith("subscribers[2].email: expected an email address") for p in found)
    assert any(p.startswith("subscribers[2].topics: must not be empty") for p in found)
    assert (
        "people.csv line 2: email: expected an email address such as me@example.org, got 'not-an-address'"
        in found
    )
    assert "people.csv line 3: topics: unknown topic 'chess' (known: rl, scaling)" in found
    assert (
        "people.csv line 4: email: duplicate subscriber address (first given at subscribers[0])"
        in found
    )


def test_a_missing_subscribers_file_and_a_bad_header(tmp_path: Path) -> None:
    assert problems(tmp_path, DELIVERY) == ["subscribers_file: no such file: people.csv (line 10)"]
    (tmp_path / "people.csv").write_text("mail,who\nx@example.org,X\n")
    assert problems(tmp_path, DELIVERY) == [
        "people.csv line 1: expected the columns email, name, topics (and id), got mail, who"
    ]


def test_the_readme_lists_every_key_as_declared() -> None:
    """The README's config reference is the table the declarations make: a key added,
    renamed or given another default without the README, or the other way round, fails."""
    from digest.config.schema import reference

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    start = readme.index("<!-- config-reference")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- /config-reference -->")
    assert readme[start:end] == reference(), "run python -m digest.config.schema"


def test_every_declared_key_is_read_and_nothing_else_is_known(tmp_path: Path) -> None:
    """Each key of the reference, given a wrong kind of value, is reported at its own path:
    the checks and the declarations are one list."""
    from digest.config.schema import declared, keys, sections, yaml_key
    from digest.config.settings import Config

    top = keys(Config)
    assert top == {yaml_key(f).split(".")[0] for f in declared(Config)}
    for _, cls, prefix in sections():
        for f in declared(cls):
            assert f.metadata["doc"] and not f.metadata["doc"].endswith("."), (prefix, f.name)
    found = problems(
        tmp_path,
        "highlights: {total: x, per_topic: x, min_score: x}\nrecent_days: x\n"
        "fetch: {timeout: x, deadline: x, retries: x, keep_days: x, max_size: x}\n",
    )
    for key in ["highlights.total", "highlights.per_topic", "highlights.min_score", "recent_days",
                "fetch.timeout", "fetch.deadline", "fetch.retries", "fetch.keep_days",
                "fetch.max_size"]:  # fmt: skip
        assert any(p.startswith(key + ": ") for p in found), key
