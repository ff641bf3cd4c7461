"""TL;DRs that stand alone: no sentence that points at one the reader cannot see, no raw LaTeX."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from digest.collect import group_by_date, parse_sources
from digest.config import config_from_text
from digest.rank import Detail, Ranker, rank_days
from digest.rank.tldr import readable, standalone, tldr
from tests.conftest import ROOT

# the benchmark's own list (benchmarks/tldr_quality.py), shortened
DANGLING = re.compile(
    r"^(?:for (?:instance|example)|additionally|finally|moreover|furthermore|also|in addition|"
    r"specifically|first|second|then|therefore|thus|to (?:this|that) end|"
    r"to \w+ (?:this|these|that|those|such)\b|(?:inspired|motivated) by (?:this|these)\b|"
    r"(?:this|these|such)\b(?! (?:paper|work|study|article|research)\b)|it|they)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("sentence", "alone"),
    [
        ("To address this memory bottleneck, we propose FlashKAT, a fused kernel.",
         "We propose FlashKAT, a fused kernel."),
        ("Additionally, in a FLOPs-matched evaluation, we find that small models win.",
         "In a FLOPs-matched evaluation, we find that small models win."),
        ("To address this challenge, inspired by rule-based reinforcement learning, we "
         "propose CLS-RL.", "Inspired by rule-based reinforcement learning, we propose CLS-RL."),
        ("Based on these properties, we develop ReMax, a new algorithm for RLHF.",
         "We develop ReMax, a new algorithm for RLHF."),
        ("(2) Building on this, we propose a masked autoregressive model of motion.",
         "We propose a masked autoregressive model of motion."),
        ("Then we applied XAI techniques on all four models.",
         "We applied XAI techniques on all four models."),
    ],
)  # fmt: skip
def test_a_connective_that_only_ties_a_sentence_to_the_one_before_is_dropped(
    sentence: str, alone: str
) -> None:
    assert standalone(sentence) == (alone, True)


@pytest.mark.parametrize(
    "sentence",
    [
        "For instance, scaling is usually studied in the compute-optimal regime.",
        "These results show that the method is robust.",
        "It serves as a versatile plug-in for existing methods.",
        "This novel approach draws inspiration from neuroscience.",
        "In contrast, our models keep improving.",
    ],
)
def test_a_sentence_that_cannot_stand_alone_is_known(sentence: str) -> None:
    text, alone = standalone(sentence)
    assert text == sentence and not alone


def test_a_paper_naming_itself_stands_alone() -> None:
    for sentence in ["This paper proposes SortedNet, a generalized solution.",
                     "This work introduces a benchmark of 50 tasks."]:  # fmt: skip
        assert standalone(sentence) == (sentence, True)


def test_the_sentence_that_points_elsewhere_loses_to_one_that_states_the_contribution() -> None:
    abstract = (
        "Scaling laws are useful guides for developing language models. "
        "For instance, scaling is usually studied in the compute-optimal training regime, "
        "which we show matters a great deal for the scaling law of the model. "
        "We fit scaling laws that extrapolate in both the number of model parameters and tokens."
    )
    assert tldr(abstract) == (
        "We fit scaling laws that extrapolate in both the number of model parameters and tokens."
    )


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        # as a scraped page kept it: the backslashes lost
        ("a law $L(s) = L_0 + Acdot S_1^{-alpha}$ holds", "a law L(s) = L₀ + A·S₁^(−α) holds"),
        ("the best fit ($R^2 = 0.80$, $\\alpha = 3$)", "the best fit (R² = 0.80, α = 3)"),
        ("a \\textbf{Light}weight 4DGS framework", "a Lightweight 4DGS framework"),
        ("cost cut by $330\\times$ and $\\frac{1}{\\sqrt{n}}$", "cost cut by 330× and 1/(√n)"),
        ("a new O(dlog(sigma_{1:T}^2)) bound", "a new O(dlog(σ_(1:T)²)) bound"),
        ("plain text, snake_case and C++ stay", "plain text, snake_case and C++ stay"),
    ],
)
def test_latex_math_becomes_readable_text(latex: str, text: str) -> None:
    assert readable(latex) == text


def test_no_sample_highlight_opens_with_a_dangling_connective_or_shows_latex() -> None:
    config = config_from_text((ROOT / "digest.yaml").read_text(), ROOT)
    papers, _ = parse_sources(config.sources, ROOT, dt.date(2026, 11, 23))
    days = rank_days(group_by_date(papers), Ranker.compile(config.topics), config.highlights,
                     tldrs=Detail.ALL)  # fmt: skip
    tldrs = [s for day in days for s in day.papers if s.tldr]
    assert len(tldrs) > 150
    assert [s.tldr for s in tldrs if DANGLING.match(s.tldr or "")] == []
    assert [s.tldr for s in tldrs if re.search(r"\$|\\[a-z]|[\^_]\{", s.tldr or "")] == []
