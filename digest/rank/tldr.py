"""An extractive TL;DR: the one sentence of an abstract that best states its contribution.

No model: sentences are split with care for abbreviations ("e.g.", "et al.", "Fig. 2") and
scored by cue phrases ("we propose", "we show", ...), position (the opening sentence is usually
background) and length; the first best one wins.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

import ahocorasick_rs

MAX_CHARS = 320

# a sentence's end: group 1 is what stands between it and the next sentence
_BOUNDARY = re.compile(r"[.!?]([\"')\]]?\s+)(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "et",
        "al",
        "etc",
        "vs",
        "cf",
        "fig",
        "figs",
        "eq",
        "eqs",
        "sec",
        "approx",
        "resp",
        "no",
        "dr",
        "prof",
        "mr",
        "ms",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
    ]
)
# (pattern, weight, words one of which the sentence must contain for the pattern to be tried:
# one automaton pass finds every cue's words, far cheaper than a regex search each, and most
# cues fail it). Patterns are searched in the sentence's lower case.
_CUES: tuple[tuple[re.Pattern[str], float, tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), weight, guards)
    for pattern, weight, guards in (
        (r"\b(?:we|this (?:paper|work|article|study)|here,? we)\s+(?:\w+\s+){0,2}?"
         r"(?:propose|introduce|present|develop|design|describe|contribute|formulate)\w*", 3.0,
         ("propose", "introduc", "present", "develop", "design", "describ", "contribut", "formulat")),
        (r"\bin this (?:paper|work|article|study)\b", 1.5, ("in this",)),
        (r"\b(?:we|our (?:results|experiments|analysis|findings))\s+(?:\w+\s+){0,2}?"
         r"(?:show|find|demonstrate|prove|establish|reveal|observe|achieve)\w*", 2.5,
         ("show", "find", "demonstrat", "prove", "establish", "reveal", "observ", "achiev")),
        (r"\b(?:outperform|surpass|improve|achiev|reduc|match)\w*\b", 1.0,
         ("outperform", "surpass", "improve", "achiev", "reduc", "match")),
        (r"\b(?:our|the proposed) (?:method|approach|model|framework|algorithm|system)\b", 1.0,
         ("our ", "proposed ")),
        (r"\b(?:state[- ]of[- ]the[- ]art|novel|first)\b", 0.5, ("state", "novel", "first")),
        (r"^(?:however|recently|although|while|despite|traditionally|existing|current|many|most)\b", -1.5,
         ("however", "recently", "although", "while", "despite", "traditionally", "existing", "current",
          "many", "most")),
        (r"\b(?:has|have) (?:been|attracted|gained|shown)\b", -1.0, ("has ", "have ")),
        (r"\b(?:code|data|models?) (?:is|are|will be) (?:publicly )?(?:available|released)\b", -2.0,
         ("available", "released")),
        (r"https?://", -1.5, ("http",)),
    )
)  # fmt: skip


# Every cue's guards in one automaton: a sentence is read once for all of them.
_GUARD_WORDS = sorted({g for _, _, guards in _CUES for g in guards})
_GUARDS = ahocorasick_rs.BytesAhoCorasick([g.encode() for g in _GUARD_WORDS])
_GUARD_CUES = [
    tuple(c for c, (_, _, guards) in enumerate(_CUES) if g in guards) for g in _GUARD_WORDS
]


def sentences(text: str) -> list[str]:
    """Split an abstract into sentences, not at abbreviations, initials or decimals."""
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start(1)
        last = text[start:end].rstrip("\"')]").rsplit(None, 1)
        word = last[-1].rstrip(".!?").lower() if last else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        out.append(text[start:end].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def _score(sentence: str, index: int, marks: int) -> float:
    score = 0.0
    tried = 0  # cues tried, as bits
    lower = sentence.lower()
    for guard, _, _ in _GUARDS.find_matches_as_indexes(
        lower.encode("utf-8", "surrogatepass"), overlapping=True
    ):
        for cue in _GUARD_CUES[guard]:
            if not tried & (1 << cue):
                tried |= 1 << cue
                pattern, weight, _ = _CUES[cue]
                if pattern.search(lower):
                    score += weight
    if index == 0:
        score -= 0.75
    length = len(sentence)
    if length < 40:
        score -= 2.0
    elif length < 70:  # "In this paper, we address both shortcomings." says nothing alone
        score -= 1.5
    elif length > 400:
        score -= 1.0
    return score + 0.5 * min(marks, 3) - 0.05 * index


def _shorten(sentence: str) -> str:
    if len(sentence) <= MAX_CHARS:
        return sentence
    cut = sentence[: MAX_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def tldr(abstract: str, marks: Sequence[tuple[int, int]] = ()) -> str | None:
    """The sentence of ``abstract`` that best states the contribution (``marks``: spans of
    matched keywords, which make a sentence more relevant to the reader)."""
    parts = sentences(abstract)
    if not parts:
        return None
    best, best_score = parts[0], float("-inf")
    offset = 0
    # marks are sorted and do not overlap: those inside a sentence are a run of them
    starts = [a for a, _ in marks]
    ends = [b for _, b in marks]
    for index, sentence in enumerate(parts):
        start = abstract.find(sentence, offset)
        end = start + len(sentence)
        offset = max(offset, end)
        inside = (
            max(0, bisect.bisect_right(ends, end) - bisect.bisect_left(starts, start))
            if start >= 0 and marks
            else 0
        )
        score = _score(sentence, index, inside)
        if score > best_score:
            best, best_score = sentence, score
    return _shorten(best)
