"""An extractive TL;DR: the one sentence of an abstract that best states its contribution.

No model: sentences are split with care for abbreviations ("e.g.", "et al.", "Fig. 2") and
scored by cue phrases ("we propose", "we show", ...), position (the opening sentence is usually
background) and length; the first best one wins.

A TL;DR is read alone, so it must not point at a sentence the reader cannot see: a leading
connective that only ties the sentence to the one before ("Additionally,", "To address this
challenge,", "Inspired by this finding,") is dropped; a sentence that cannot stand without the
one before ("For instance, ...", "These results ...", "It ...") is never picked while another
can; and LaTeX math becomes readable text (``$L_0 + A\\cdot S^{-\\alpha}$``: "L₀ + A·S^(−α)").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

import ahocorasick_rs

MAX_CHARS = 320
# what a TL;DR is made by: a store's ranked dates made by another version hold other TL;DRs
# (for the build's ranking key)
VERSION = 2

# a sentence's end: group 1 is what stands between it and the next sentence (nothing where a
# scrape lost the space: "... their stability.We propose ...")
_BOUNDARY = re.compile(
    r"[.!?](?:([\"')\]]?\s+)(?=[\"'(\[]?[A-Z0-9])|(?<=[a-z]{3}[.!?])()(?=[A-Z][a-z]+[\s,]))"
)
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
        (r"^(?:here,? )?we\s+(?:\w+\s+)?(?:fit|create|build|train|evaluate|relate|derive|"
         r"construct|conduct|extend|identify|compare|analy[sz]e|investigate|study|provide|"
         r"release|curate|collect|benchmark|characteri[sz]e|model|measure)\w*", 1.0,
         ("we ",)),
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
        end = match.start(1) if match.group(1) is not None else match.start(2)
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


# A connective that only ties a sentence to the one before, and can be dropped: the rest says
# the same on its own ("To address this memory bottleneck, we propose X" -> "We propose X").
_LEAD = re.compile(
    r"(?:\(?(?:\d|[ivx]{1,3})\)\s+"  # "(2) we propose": an item of a list begun before
    r"|(?:additionally|moreover|furthermore|further|finally|also|besides|in addition|lastly|"
    r"first(?:ly)?|second(?:ly)?|third(?:ly)?|next|then|thus|therefore|hence|consequently|"
    r"as a result|accordingly|specifically|in particular|importantly|notably|crucially|"
    r"most (?:significantly|importantly|notably)|similarly|likewise|however|nevertheless|"
    r"nonetheless|meanwhile|instead|in this way|in doing so|by doing so|to do so|for this|"
    r"to(?:wards?)? (?:this|that) end|on this basis|overall|taken together|together)"
    r"(?:,\s*|\s+(?=we\b))"
    r"|(?:(?:in order )?to \w+(?: \w+)? (?:this|these|that|those|such|both|the above|the"
    r" aforementioned)|(?:based|building|relying|drawing) (?:up)?on (?:this|these|that|those|"
    r"such|the above)|(?:inspired|motivated|guided|driven|informed) by (?:this|these|that|"
    r"those|such|the above)|(?:given|with|leveraging|using) (?:this|these|those|such))"
    r"(?: [\w-]+){0,4}?,\s*)",
    re.IGNORECASE,
)
# What cannot stand without the sentence before: an example of it, a contrast with it, or a
# subject pointing back at it ("These results", "Such models", "It", "They"); a paper naming
# itself ("This paper proposes") is fine.
_POINTING = re.compile(
    r"(?:for (?:instance|example)|e\.g\.|in contrast|by contrast|on the other hand|"
    r"conversely|otherwise|(?:this|these|that|those|such)\b(?! (?:paper|work|study|article|"
    r"survey|report|thesis|letter|note|chapter|manuscript|position paper|technical report|"
    r"tutorial|review|research|project|dissertation|preprint)\b)|(?:it|its|they|their|them|both|the latter|the former)\b)",
    re.IGNORECASE,
)
# the first words _LEAD and _POINTING can match (a set look-up spares most sentences the regex)
_LEAD_WORDS = frozenset(
    [
        "additionally",
        "moreover",
        "furthermore",
        "further",
        "finally",
        "also",
        "besides",
        "in",
        "lastly",
        "first",
        "firstly",
        "second",
        "secondly",
        "third",
        "thirdly",
        "next",
        "then",
        "thus",
        "therefore",
        "hence",
        "consequently",
        "as",
        "accordingly",
        "specifically",
        "importantly",
        "notably",
        "crucially",
        "most",
        "similarly",
        "likewise",
        "however",
        "nevertheless",
        "nonetheless",
        "meanwhile",
        "instead",
        "by",
        "to",
        "for",
        "towards",
        "toward",
        "on",
        "overall",
        "taken",
        "together",
        "based",
        "building",
        "relying",
        "drawing",
        "inspired",
        "motivated",
        "guided",
        "driven",
        "informed",
        "given",
        "with",
        "leveraging",
        "using",
    ]
) | {f"({n})" for n in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "i", "ii", "iii", "iv")}
_LEAD_WORDS |= {w[1:] for w in _LEAD_WORDS if w.startswith("(")}  # "2)"
_POINTING_WORDS = frozenset(
    [
        "for",
        "e.g.",
        "in",
        "by",
        "on",
        "conversely",
        "otherwise",
        "this",
        "these",
        "that",
        "those",
        "such",
        "it",
        "its",
        "they",
        "their",
        "them",
        "both",
        "the",
    ]
)
# the problem a sentence answers, named in the one before
_BACK = re.compile(
    r"\b(?:this|these|such|the above) (?:\w+ )?(?:gap|issue|problem|challenge|"
    r"limitation|shortcoming|drawback|bottleneck|difficult(?:y|ie)|concern)s?\b",
    re.IGNORECASE,
)
_MATHY = re.compile(r"\$|\\[A-Za-z]|[\^_]\{|\b[A-Za-z]\^[-\d]|\w_\w\b")


def standalone(sentence: str) -> tuple[str, bool]:
    """The sentence without the connectives that tie it to the one before (capitalised again),
    and whether it can be read alone."""
    text = sentence
    for _ in range(3):
        if _first_word(text) not in _LEAD_WORDS:  # most sentences: no regex to try
            break
        match = _LEAD.match(text)
        if match is None or match.end() >= len(text) - 20:
            break
        text = text[match.end() :]
    if text is not sentence and text[:1].islower():
        text = text[0].upper() + text[1:]
    return text, _first_word(text) not in _POINTING_WORDS or _POINTING.match(text) is None


def _first_word(text: str) -> str:
    space = text.find(" ", 0, 30)
    return (text[:space] if space > 0 else text[:30]).lower().rstrip(",")


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
    alone, alone_score = "", float("-inf")  # the best sentence that can be read alone
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
        if score <= best_score and score <= alone_score:
            continue  # what follows only lowers it
        text, readable_alone = standalone(sentence)
        lower = text.lower()
        if ("this " in lower or "these " in lower or "such " in lower or "above " in lower) and (
            _BACK.search(text)
        ):
            score -= 1.0  # "... bridge this gap": the gap was told before
        if score > best_score:
            best, best_score = text, score
        if readable_alone and score > alone_score:
            alone, alone_score = text, score
    return _shorten(readable(alone or best))


# -- LaTeX as text -----------------------------------------------------------------------------

_GREEK = (
    "alpha α beta β gamma γ delta δ epsilon ε varepsilon ε zeta ζ eta η theta θ vartheta θ "
    "iota ι kappa κ lambda λ mu μ nu ν xi ξ pi π rho ρ sigma σ tau τ upsilon υ phi φ varphi φ "
    "chi χ psi ψ omega ω Gamma Γ Delta Δ Theta Θ Lambda Λ Xi Ξ Pi Π Sigma Σ Phi Φ Psi Ψ Omega Ω"
)
_SYMBOLS = dict(zip(*[iter(_GREEK.split())] * 2, strict=True)) | {
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤",
    "leqslant": "≤", "geq": "≥", "ge": "≥", "geqslant": "≥", "neq": "≠", "ne": "≠",
    "approx": "≈", "sim": "~", "simeq": "≃", "propto": "∝", "infty": "∞", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "in": "∈", "notin": "∉",
    "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃",
    "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "Π", "int": "∫", "circ": "°",
    "ldots": "…", "cdots": "…", "dots": "…", "ll": "≪", "gg": "≫", "star": "*", "ast": "*",
    "%": "%", "&": "&", "_": "_", "#": "#", "$": "$", ",": " ", ";": " ", ":": " ", "!": "",
    "quad": " ", "qquad": " ", "left": "", "right": "", "big": "", "Big": "", "bigl": "",
    "bigr": "", "displaystyle": "", "textstyle": "",
}  # fmt: skip
# names a scraped page kept without their backslash ("Acdot S^{-alpha}"): long enough not to be
# part of a word by chance
_BARE = re.compile(
    r"(?<![A-Za-z])(?:[A-Za-z])?(cdot|times|alpha|beta|gamma|delta|epsilon|lambda|sigma|"
    r"Sigma|theta|omega|Omega|infty|approx|leq|geq|neq)(?![a-z])"
)
_COMMAND_ARG = re.compile(
    r"\\(?:text(?:bf|it|rm|sf|tt|up)?|emph|math(?:rm|bf|it|cal|bb|sf|tt|frak|scr)|"
    r"operatorname|boldsymbol|bm|mbox|hat|bar|tilde|vec|overline|underline|widetilde|widehat)"
    r"\s*\{([^{}]*)\}"
)
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+|[%&_#$,;:!])")
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}]*)\}|([A-Za-z0-9]))")
_SUPER = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_MATH = re.compile(r"\$\$?([^$]+)\$\$?")


def _group(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 1 or text.isalnum() else f"({text})"


def _script(match: re.Match[str]) -> str:
    mark, body = match[1], match[2] if match[2] is not None else match[3]
    body = body.strip()
    table = _SUPER if mark == "^" else _SUB
    small = body.translate(table)
    if body and all(c != o for c, o in zip(small, body, strict=True)):
        return small  # every character has a raised or lowered form
    return f"{mark}{_group(body)}" if body else ""


def _math(text: str, bare: bool) -> str:
    for _ in range(3):  # nested: \frac{\sqrt{x}}{2}
        text = _COMMAND_ARG.sub(r"\1", text)
        text = _FRAC.sub(lambda m: f"{_group(m[1])}/{_group(m[2])}", text)
        text = _SQRT.sub(lambda m: f"√{_group(m[1])}", text)
    text = _COMMAND.sub(lambda m: _SYMBOLS.get(m[1], m[1]), text)
    if bare:
        text = _BARE.sub(lambda m: m[0][: len(m[0]) - len(m[1])] + _SYMBOLS[m[1]], text)
    text = _SCRIPT.sub(_script, text.replace("-", "−") if bare else text)
    text = text.replace("{", "").replace("}", "").replace("· ", "·").replace(" ·", "·")
    return " ".join(text.split())


def readable(text: str) -> str:
    """A sentence with its LaTeX as plain text: ``$L_0 + A\\cdot S^{-\\alpha}$`` reads
    "L₀ + A·S^(−α)", ``\\textbf{Light}weight`` "Lightweight"."""
    if ("$" not in text and "\\" not in text and "^" not in text and "_" not in text) or (
        not _MATHY.search(text)
    ):
        return text
    text = _MATH.sub(lambda m: _math(m[1], True), text)
    # outside $...$: commands, and words holding a sub- or superscript
    if "\\" in text:
        text = _math(text, False)
    return " ".join(
        _math(word, True) if ("_{" in word or "^{" in word or "^" in word) else word
        for word in text.split(" ")
    )
