"""Keyword matching: what a keyword in the config means.

* Case-insensitive, whole words: ``RAG`` does not match "drag", ``Adam`` not "Adamant".
* A phrase matches across spaces, hyphens and line breaks: ``test-time compute`` = "test time
  compute". A hyphenated keyword also matches its closed form (``pre-training`` = "pretraining").
* Inflections match, by the Snowball English stemmer: ``scaling law`` finds "scaling laws",
  ``diffusion model`` finds "diffusion models", ``prune`` finds "pruning". Snowball also merges
  words a reader keeps apart ("generative"/"generation", "experiment"/"experience",
  "compute"/"computer", "optimal"/"optimization"): two words match only when their stems agree
  *and* they share their derivational ending (-ive, -ion, -er, -al, -ity, ...), so only
  inflections (-s, -es, -ies, -ed, -ing, -'s) are merged.
* A keyword written in capitals in the config (``RL``, ``LLM``) is an acronym: it matches only
  in capitals (plural ``LLMs`` included), never "rl" inside ordinary text.
* A keyword written ``/regex/`` is a regular expression (case-insensitive; use ``(?-i:...)`` for
  case), matched against the text as is.

A :class:`Matcher` is compiled once per config and counts, for a text, how often each keyword
occurs. It is picklable, so ranking can run on other processes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import snowballstemmer

WORD = re.compile(r"\w+")

# Endings that make a different word (derivation), checked after removing one inflection.
_DERIVATIONAL = tuple(
    sorted(
        [
            "ization",
            "isation",
            "ation",
            "ition",
            "ion",
            "ative",
            "itive",
            "ive",
            "ity",
            "ness",
            "ment",
            "ence",
            "ance",
            "ent",
            "ant",
            "er",
            "or",
            "ism",
            "ist",
            "ical",
            "ic",
            "al",
            "ous",
            "able",
            "ible",
            "ful",
            "less",
            "ship",
            "hood",
            "ize",
            "ise",
        ],
        key=len,
        reverse=True,
    )
)


def _strip_inflection(word: str) -> str:
    if word.endswith("'s"):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def derivation(word: str) -> str:
    """The derivational ending of a (lower-case) word, '' when it has none."""
    base = _strip_inflection(word)
    for suffix in _DERIVATIONAL:
        if base.endswith(suffix) and len(base) - len(suffix) >= 3:
            return suffix
    return ""


class WordKeys(dict[str, str]):
    """word -> match key (stem plus derivational ending), computed once per distinct word."""

    def __init__(self) -> None:
        super().__init__()
        self._stem = snowballstemmer.stemmer("english").stemWord

    def __missing__(self, word: str) -> str:
        lower = word.lower()
        key = self._stem(lower) + "|" + derivation(lower)
        self[word] = key
        return key

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (WordKeys, ())


@dataclass(frozen=True)
class Keyword:
    """One keyword as compiled: ``forms`` are alternative word sequences, each word a pair
    (``"key"``, match key) or (``"acronym"``, the capitals)."""

    text: str
    forms: tuple[tuple[tuple[str, str], ...], ...] = ()
    regex: re.Pattern[str] | None = None


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def compile_keyword(text: str, keys: WordKeys) -> Keyword:
    text = text.strip()
    if len(text) > 2 and text.startswith("/") and text.endswith("/"):
        return Keyword(text, regex=re.compile(text[1:-1], re.IGNORECASE))
    words = WORD.findall(text)
    if not words:
        raise ValueError(f"keyword {text!r} has no words")
    form = tuple(("acronym", w) if _is_acronym(w) else ("key", keys[w]) for w in words)
    forms = [form]
    if "-" in text and len(words) > 1:  # "pre-training" also as "pretraining"
        for part in text.split():
            if "-" in part:
                closed = text.replace(part, part.replace("-", ""))
                closed_words = WORD.findall(closed)
                forms.append(
                    tuple(
                        ("acronym", w) if _is_acronym(w) else ("key", keys[w]) for w in closed_words
                    )
                )
    return Keyword(text, forms=tuple(dict.fromkeys(forms)))


def _positions(seq: list[str], value: str) -> list[int]:
    found, start = [], 0
    try:
        while True:
            start = seq.index(value, start)
            found.append(start)
            start += 1
    except ValueError:
        return found


def _matches_at(
    form: tuple[tuple[str, str], ...], at: int, words: list[str], keys: list[str]
) -> bool:
    for j, (kind, value) in enumerate(form):
        if kind == "key":
            if keys[at + j] != value:
                return False
        elif words[at + j] != value and words[at + j] != value + "s":
            return False
    return True


class Matcher:
    """Counts keyword occurrences in texts. ``keywords`` is the flat list of every distinct
    keyword (topic keywords and exclusions); results are indices into it."""

    def __init__(self, keywords: Sequence[str]) -> None:
        self.keys = WordKeys()
        self.texts = tuple(dict.fromkeys(k.strip() for k in keywords))
        self.keywords = tuple(compile_keyword(k, self.keys) for k in self.texts)
        self.index = {k: i for i, k in enumerate(self.texts)}
        # Single-word forms by kind, for set intersections; phrases checked one by one.
        self.single_key: dict[str, list[int]] = {}
        self.single_acronym: dict[str, list[int]] = {}
        self.phrases: list[tuple[int, tuple[tuple[str, str], ...]]] = []
        self.regexes: list[tuple[int, re.Pattern[str]]] = []
        for i, kw in enumerate(self.keywords):
            if kw.regex is not None:
                self.regexes.append((i, kw.regex))
            for form in kw.forms:
                if len(form) == 1:
                    kind, value = form[0]
                    if kind == "key":
                        self.single_key.setdefault(value, []).append(i)
                    else:
                        self.single_acronym.setdefault(value, []).append(i)
                        self.single_acronym.setdefault(value + "s", []).append(i)
                else:
                    self.phrases.append((i, form))
        self._single_key_set = frozenset(self.single_key)
        self._single_acronym_set = frozenset(self.single_acronym)
        self._any_acronym = any(
            kind == "acronym" for kw in self.keywords for form in kw.forms for kind, _ in form
        )

    def __getstate__(self) -> dict[str, object]:
        return {"texts": self.texts}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["texts"])  # type: ignore[misc, arg-type]

    def count(self, text: str) -> dict[int, int]:
        """keyword index -> number of occurrences in ``text`` (only keywords that occur)."""
        found: dict[int, int] = {}
        if not text:
            return found
        words = WORD.findall(text)
        keys = list(map(self.keys.__getitem__, words))
        key_set = set(keys)
        for key in key_set & self._single_key_set:
            n = keys.count(key)
            for i in self.single_key[key]:
                found[i] = found.get(i, 0) + n
        word_set = set(words) if self._any_acronym else None
        if word_set is not None:
            for word in word_set & self._single_acronym_set:
                n = words.count(word)
                for i in self.single_acronym[word]:
                    found[i] = found.get(i, 0) + n
        for i, form in self.phrases:
            n = self._count_phrase(form, words, keys, key_set, word_set)
            if n:
                found[i] = found.get(i, 0) + n
        for i, regex in self.regexes:
            n = sum(1 for _ in regex.finditer(text))
            if n:
                found[i] = found.get(i, 0) + n
        return found

    @staticmethod
    def _count_phrase(
        form: tuple[tuple[str, str], ...],
        words: list[str],
        keys: list[str],
        key_set: set[str],
        word_set: set[str] | None,
    ) -> int:
        for kind, value in form:
            if kind == "key":
                if value not in key_set:
                    return 0
            elif word_set is not None and value not in word_set and value + "s" not in word_set:
                return 0
        first_kind, first = form[0]
        if first_kind == "key":
            positions = _positions(keys, first)
        else:
            positions = [i for i, w in enumerate(words) if w == first or w == first + "s"]
        length, count, free = len(form), 0, 0
        for at in positions:
            if at >= free and at + length <= len(words) and _matches_at(form, at, words, keys):
                count += 1
                free = at + length
        return count

    def spans(self, text: str, indices: Sequence[int]) -> list[tuple[int, int]]:
        """Character spans of the given keywords' occurrences in ``text``, sorted and merged,
        for bolding matched keywords in outputs."""
        wanted = set(indices)
        if not wanted or not text:
            return []
        tokens = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
        words = [t[2] for t in tokens]
        keys = [self.keys[w] for w in words]
        spans: list[tuple[int, int]] = []
        for i in wanted:
            kw = self.keywords[i]
            if kw.regex is not None:
                spans.extend(m.span() for m in kw.regex.finditer(text) if m.end() > m.start())
                continue
            for form in kw.forms:
                length = len(form)
                for at in range(len(tokens) - length + 1):
                    if _matches_at(form, at, words, keys):
                        spans.append((tokens[at][0], tokens[at + length - 1][1]))
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged
