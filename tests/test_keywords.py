from __future__ import annotations

import datetime as dt
import pickle

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.model import Paper
from digest.rank.keywords import Matcher


def counts(keyword: str, text: str) -> int:
    matcher = Matcher([keyword])
    return matcher.count(text).get(0, 0)


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        # case-insensitive whole words
        ("transformer", "The TRANSFORMER and a Transformer.", 2),
        ("Adam", "Adamant optimisers are not Adam.", 1),
        ("RAG", "drag the RAG", 1),
        ("rag", "drag", 0),
        # phrases across spaces, hyphens and line breaks
        ("test-time compute", "test time compute, test-time\ncompute and test-time  compute", 3),
        ("test time compute", "scaling test-time compute", 1),
        ("pre-training", "pretraining and pre-training and pre training", 3),
        ("scaling law", "scaling and law", 0),
        # inflections
        ("scaling law", "Scaling laws are useful; a scaling law is a law.", 2),
        ("diffusion model", "diffusion models", 1),
        ("prune", "pruning and pruned networks", 2),
        ("emergent ability", "emergent abilities", 1),
        # words a reader keeps apart
        ("generative model", "a generation model", 0),
        ("experiment", "experience", 0),
        ("compute", "a computer", 0),
        ("optimal", "optimization", 0),
        ("agent", "agentic workflows", 0),
        ("university", "the universe", 0),
        # acronyms in capitals match only in capitals
        ("RL", "RL and rl and RLs and Rl", 2),
        ("LLM", "LLMs beat an llm", 1),
        ("RL agent", "an RL agent and rl agents and RL agents", 2),
        # regular expressions for power users
        ("/chinchilla[- ]optimal/", "Chinchilla-optimal and chinchilla optimal", 2),
        ("/\\bGPT-\\d\\b/", "GPT-4 and GPT-5 but not GPT-45", 2),
    ],
)
def test_keyword_rules(keyword: str, text: str, expected: int) -> None:
    assert counts(keyword, text) == expected


def test_spans_mark_every_occurrence_for_bolding() -> None:
    matcher = Matcher(["scaling law", "RL"])
    text = "Scaling laws for RL: scaling\nlaw fits, not rl."
    found = matcher.count(text)
    spans = matcher.spans(text, list(found))
    assert [text[a:b] for a, b in spans] == ["Scaling laws", "RL", "scaling\nlaw"]


def test_matcher_is_picklable_for_other_processes() -> None:
    matcher = Matcher(["scaling law", "RL", "/x+y/"])
    clone = pickle.loads(pickle.dumps(matcher))
    text = "RL scaling laws xxy"
    assert clone.count(text) == matcher.count(text) == {0: 1, 1: 1, 2: 1}


def test_texts_that_match_the_same_are_one_keyword() -> None:
    # "models" is an inflection of "model", "MoE" not in capitals is an ordinary word: each
    # occurrence is counted once, under the first text's index, by both paths
    matcher = Matcher(["model", "MoE", "models", "moe", "/models?/"])
    assert matcher.index["models"] == matcher.index["model"] == 0
    assert matcher.index["moe"] == matcher.index["MoE"] == 1
    assert matcher.index["/models?/"] == 4  # a regex is never one with a keyword
    for text in ("Models of MoE: a model, moe models.", "Modèles, models of MoE: a model, moe."):
        twice = text.startswith("Modèles")  # not ASCII: compared word by word
        assert matcher.count(text) == {0: 2 if twice else 3, 1: 2, 4: 2 if twice else 3}
        assert sorted({i for i, _, _ in matcher._tokens(text)}) == [0, 1, 4]


def test_automaton_and_word_by_word_agree_on_the_samples() -> None:
    """The fast path (one automaton pass) and the exact one (word by word) must find the same
    occurrences: over every sample title and abstract, for keywords of every kind."""
    from digest.collect import parse_sources
    from digest.config import SourceSpec

    from .conftest import PAGES, TODAY

    papers, _ = parse_sources([SourceSpec("p", str(PAGES / "*.txt"))], PAGES, TODAY)
    keywords = [
        "scaling law", "test-time compute", "learning rate", "pre-training", "mixture of experts",
        "RL", "LLM", "MoE", "neural network", "language model", "policies", "scale", "abilities",
        "planning", "embedding", "state-of-the-art", "in-context learning", "gradient descent", "data",
    ]  # fmt: skip
    matcher = Matcher(keywords)
    checked = 0
    for paper in papers:
        for text in (paper.title, paper.abstract):
            fast = sorted(
                (i, text[a:b]) for i, a, b in [(i, a, b) for i, a, b in matcher._scan(text)]
            )
            exact = matcher._tokens(text)
            assert matcher.count(text) == _tally(exact), text[:80]
            checked += len(fast)
    assert checked > 500


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _tally(occurrences) -> dict[int, int]:  # type: ignore[no-untyped-def]
    out: dict[int, int] = {}
    for i, _, _ in occurrences:
        out[i] = out.get(i, 0) + 1
    return out


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        ("scaling law", "Scaling\u00a0laws for caf\u00e9 models", 1),  # non-ASCII text, NBSP
        ("LLM", "LLMs \u2014 and llm", 1),
        ("test-time compute", "test\u2010time compute", 1),  # Unicode hyphen
        ("\u00e9cole", "\u00c9COLE and \u00e9coles", 2),
    ],
)
def test_non_ascii_text(keyword: str, text: str, expected: int) -> None:
    assert counts(keyword, text) == expected
    matcher = Matcher([keyword])
    assert _tally(matcher._tokens(text)) == matcher.count(text)


@pytest.mark.parametrize(
    "text",
    [
        "We study test - time  compute and scaling\n\nlaws with RL - and LLMs.",
        "a  b scaling   laws -- test-time compute",
        "\tscaling law  ",
    ],
)
def test_spans_map_back_through_collapsed_separators(text: str) -> None:
    matcher = Matcher(["test-time compute", "scaling law", "RL", "LLM", "/laws? with/"])
    found = list(matcher.count(text))
    exact = _merge_spans(sorted({(a, b) for _, a, b in matcher._tokens(text)}))
    assert matcher.spans(text, found) == exact


_PIECES = [
    "scaling", "Scaling", "laws", "law", "test", "time", "compute", "computes", "RL", "rl",
    "Rl", "RLs", "LLM", "llms", "data", "to", "pre", "training", "pretraining", "mixture",
    "of", "experts", "école", "ÉCOLE", "İ", "x+y", "xxy", "drag", "RAG", "\ud800",
]  # fmt: skip
_GLUE = [" ", "  ", "-", " - ", "--", "\n", "\t", ", ", ".", "(", ")", "/", "_", "\u2010", ""]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GLUE)), max_size=14))
def test_automaton_agrees_with_word_by_word_on_any_text(parts: list[tuple[str, str]]) -> None:
    """Whatever stands between words (runs of separators, punctuation, nothing), in any case,
    ASCII or not, the automaton and the word-by-word path count and mark the same things."""
    text = "".join(word + glue for word, glue in parts)
    matcher = _EVERY_KIND
    assert matcher.count(text) == _tally(matcher._tokens(text)), text
    found = list(range(len(matcher.texts)))
    exact = _merge_spans(sorted({(a, b) for _, a, b in matcher._tokens(text)}))
    assert matcher.spans(text, found) == exact, text


def _words(most: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Up to ``most`` words, each with what follows it."""
    return st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GLUE)), max_size=most)


_EVERY_KIND = Matcher(
    ["scaling law", "test-time compute", "RL", "LLM", "data to data", "pre-training",
     "mixture of experts", "école", "law", "laws", "/x\\+y/", "RAG"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_words(6), _words(10))
def test_a_title_and_abstract_counted_together_as_apart(
    title_parts: list[tuple[str, str]], abstract_parts: list[tuple[str, str]]
) -> None:
    """One pass over title and abstract: nothing matches across the two, nothing is lost."""
    title = "".join(w + g for w, g in title_parts)
    abstract = "".join(w + g for w, g in abstract_parts)
    together = _EVERY_KIND.count_pair(title, abstract)
    assert together == (_EVERY_KIND.count(title), _EVERY_KIND.count(abstract)), (title, abstract)


_EVERY_KIND_FEW = Matcher(_EVERY_KIND.texts, few=True)


@settings(max_examples=300, deadline=None)
@given(_words(6), _words(10))
def test_the_matcher_built_for_few_papers_counts_and_marks_the_same(
    title_parts: list[tuple[str, str]], abstract_parts: list[tuple[str, str]]
) -> None:
    """The automaton a daily build uses (quicker to build, slower to scan) finds what the one
    a backfill uses finds, pickled to a worker too."""
    title = "".join(w + g for w, g in title_parts)
    abstract = "".join(w + g for w, g in abstract_parts)
    found = list(range(len(_EVERY_KIND.texts)))
    for few in (_EVERY_KIND_FEW, pickle.loads(pickle.dumps(_EVERY_KIND_FEW))):
        assert few.few
        assert few.count_pair(title, abstract) == _EVERY_KIND.count_pair(title, abstract)
        assert few.spans(abstract, found) == _EVERY_KIND.spans(abstract, found)


_ASCII_PIECES = [p for p in _PIECES if p.isascii()]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_ASCII_PIECES), st.sampled_from(_GLUE[:-2])), max_size=6),
    st.lists(st.tuples(st.sampled_from(_ASCII_PIECES), st.sampled_from(_GLUE[:-2])), max_size=10),
)
@example([("scaling", "  "), ("RL", "")], [("scaling", "  "), ("law", " "), ("RL", "")])
@example([("scaling", " "), ("laws", "  ")], [("test", "-"), ("time", "\n\n"), ("compute", "")])
def test_ascii_title_and_abstract_with_runs_counted_together_as_apart(
    title_parts: list[tuple[str, str]], abstract_parts: list[tuple[str, str]]
) -> None:
    """The same for ASCII text, which takes the one-pass path, also when a run of separators
    after a phrase's word makes both be read again collapsed: matches at the edges stay on
    their side."""
    title = "".join(w + g for w, g in title_parts)
    abstract = "".join(w + g for w, g in abstract_parts)
    together = _EVERY_KIND.count_pair(title, abstract)
    assert together == (_EVERY_KIND.count(title), _EVERY_KIND.count(abstract)), (title, abstract)


_REGEXES = [
    r"/pruning (?:of )?(?:[\w-]+ ){0,3}datasets?/",
    r"/\bscal(?:e|ing) laws?\b/",
    r"/test\-time (?:compute|scaling)/",
    r"/prun(?:e|ing)|distill/",
    r"/(?-i:RL)hf/",
    r"/Ab*c/",
    r"/\b(?:chinchilla|kaplan)[- ]optimal\b/",
    r"/(?:abc|(?:defg|hij))k/",
]
_REGEX_TEXT = st.lists(
    st.sampled_from(
        ["pruning", "Pruning", "PRUNING", "of", "datasets", "dataset", "scaling", "law", "laws",
         "Scale", "test-time", "compute", "RLHF", "rlhf", "ac", "abbc", "ABC", "distill", "x",
         "chinchilla-optimal", "Kaplan optimal", "KAPLAN-OPTIMAL", "abck", "DEFGk", "hijk",
         "\u212a", "\u017f"]  # the Kelvin sign and the long s: matched by (?i) k and s
    ),
    max_size=12,
).map(" ".join)  # fmt: skip


@given(_REGEX_TEXT, _REGEX_TEXT)
@settings(max_examples=300)
def test_a_regex_counts_the_same_with_its_shortcut(title: str, abstract: str) -> None:
    """A /regex/ keyword is not run on an ASCII text that lacks each of the literals one of
    which every match begins with: the counts and spans are those of running it on every
    text."""
    import re

    fast = Matcher(_REGEXES)
    assert any(literal for _, _, literal in fast.regexes)  # the shortcut is taken somewhere
    slow = Matcher(_REGEXES)
    slow.regexes = [(i, regex, ()) for i, regex, _ in slow.regexes]
    assert fast.count_pair(title, abstract) == slow.count_pair(title, abstract)
    assert fast.count(title) == slow.count(title)
    everything = range(len(_REGEXES))
    assert fast.spans(abstract, everything) == slow.spans(abstract, everything)
    for i, regex, _ in fast.regexes:
        assert fast.count(abstract).get(i, 0) == len(
            [m for m in re.finditer(regex, abstract) if m.end() > m.start()]
        )


TODAY = dt.date(2026, 12, 3)


def _summed(matcher: Matcher, papers: list[Paper]) -> list[tuple[dict[int, int], dict[int, int]]]:
    """:meth:`Matcher.occurrences` of the papers, as :meth:`Matcher.count_pair` gives them."""
    out: list[tuple[dict[int, int], dict[int, int]]] = [({}, {}) for _ in papers]
    rows = zip(*(column.tolist() for column in matcher.occurrences(papers)), strict=True)
    for at, k, in_title, in_abstract in rows:
        for counts, tf in zip(out[at], (in_title, in_abstract), strict=True):
            if tf:
                counts[k] = counts.get(k, 0) + tf
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_words(6), _words(10)), min_size=1, max_size=6))
@example([([("RL", "  "), ("scaling", "  ")], [("scaling", "  "), ("law", " "), ("RL", "")])])
@example([([("data", " "), ("to", " "), ("data", " ")], [("école", "  "), ("RAG", "")])])
def test_many_papers_counted_at_once_as_one_by_one(
    papers: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]],
) -> None:
    """The ranker counts a date's papers at once (:meth:`Matcher.occurrences`): acronyms
    checked, runs of separators collapsed, non-ASCII and /regex/ keywords, each paper's counts
    are those of counting its title and abstract alone."""
    given_papers = [
        Paper(f"p{i}", "".join(w + g for w, g in t), "".join(w + g for w, g in a), TODAY, "-")
        for i, (t, a) in enumerate(papers)
    ]
    for matcher in (_EVERY_KIND, _EVERY_KIND_FEW, Matcher(["scaling law", "RL"])):
        expected = [matcher.count_pair(p.title, p.abstract) for p in given_papers]
        assert _summed(matcher, given_papers) == expected


@given(st.lists(st.tuples(_REGEX_TEXT, _REGEX_TEXT), min_size=1, max_size=5))
@settings(max_examples=150, deadline=None)
def test_regexes_counted_at_once_as_one_by_one(papers: list[tuple[str, str]]) -> None:
    """A paper holding none of the literals a /regex/'s matches begin with is not searched
    when a date is counted at once: the counts are those of each paper alone."""
    given_papers = [Paper(f"p{i}", t, a, TODAY, "-") for i, (t, a) in enumerate(papers)]
    for matcher in (Matcher(_REGEXES), Matcher([*_REGEXES, "/[a-c]+k/", "scaling law", "RL"])):
        expected = [matcher.count_pair(p.title, p.abstract) for p in given_papers]
        assert _summed(matcher, given_papers) == expected
