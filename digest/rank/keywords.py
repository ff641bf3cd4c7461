"""Keyword matching: what a keyword in the config means.

* Case-insensitive, whole words: ``RAG`` does not match "drag", ``Adam`` not "Adamant".
* A phrase matches across spaces, hyphens and line breaks: ``test-time compute`` = "test time
  compute". A hyphenated keyword also matches its closed form (``pre-training`` = "pretraining").
* Inflections match, by the Snowball English stemmer: ``scaling law`` finds "scaling laws",
  ``diffusion model`` finds "diffusion models", ``prune`` finds "pruning". Snowball also merges
  words a reader keeps apart ("generative"/"generation", "experiment"/"experience",
  "compute"/"computer", "optimal"/"optimization"): two words match only when their stems agree
  *and* they share their derivational ending (-ive, -ion, -er, -al, -ity, ...), so only
  inflections (-s, -es, -ies, -ed, -ing) are merged.
* A keyword written in capitals in the config (``RL``, ``LLM``) is an acronym: it matches only
  in capitals (plural ``LLMs`` included), never "rl" inside ordinary text.
* A keyword written ``/regex/`` is a regular expression (case-insensitive; use ``(?-i:...)`` for
  case), matched against the text as is.

A :class:`Matcher` is compiled once per config. It finds every inflected surface form of every
keyword, wrapped in the characters that may stand around a whole word, in one pass of an
Aho-Corasick DFA (ahocorasick_rs, in Rust) over the text's bytes: a paper's title and abstract
together. Text whose lower case changes its length (a few non-ASCII letters) is tokenized and
compared word by word instead, with the same result (a property test holds the two paths to
it). It is picklable, so ranking can run on other processes.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ahocorasick_rs
import snowballstemmer

from ..model import Paper, is_regex_keyword

if TYPE_CHECKING:
    import numpy as np

WORD = re.compile(r"\w+")
SEPARATOR = re.compile(r"[\s\-\u2010\u2011]+")  # what may stand between the words of a phrase
MAX_SURFACES = 4096  # inflected spellings of one phrase kept for the automaton

# Endings that make a different word (derivation), checked after removing one inflection.
_DERIVATIONAL = tuple(
    sorted(
        ["ization", "isation", "ation", "ition", "ion", "ative", "itive", "ive", "ity", "ness",
         "ment", "ence", "ance", "ent", "ant", "er", "or", "ism", "ist", "ical", "ic", "al", "ous",
         "able", "ible", "ful", "less", "ship", "hood", "ize", "ise"],
        key=len,
        reverse=True,
    )
)  # fmt: skip
_ASCII_SEPARATORS = bytes.maketrans(b"-\t\n\r\x0b\x0c", b"      ")
# What the automaton reads (see Matcher): word characters (lower case, or as written), separators
# as spaces, any other character as "|". Other text: the same by regular expressions.
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_ASCII_CASED = bytes(
    c if c in _WORD_BYTES or c >= 128 else 32 if c in b" -\t\n\r\x0b\x0c" else 124
    for c in range(256)
)
_ASCII_LOWER = _ASCII_CASED.translate(
    bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
)
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011]+")
_NON_WORD = re.compile(r"[^\w ]")

Word = tuple[str, str]  # ("key", stem|derivation) or ("acronym", CAPITALS)
Form = tuple[Word, ...]
# One form a spelling belongs to: keyword index, form id, acronym checks (word position, the
# capitals it must be written in), whether two occurrences could overlap.
Entry = tuple[int, int, tuple[tuple[int, bytes], ...], bool]
Payload = int | tuple[Entry, ...]
_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)
# what a match's pattern stands for when not one keyword (see occurrences): a second look, or
# the text read again collapsed
_SECOND_LOOK, _COLLAPSED, _NO_KEYWORD = -1, -2, -3


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


def inflections(word: str, keys: WordKeys) -> list[str]:
    """The lower-case spellings of ``word`` that match it: its inflections (-s, -es, -ies, -ed,
    -ing, with e-dropping and consonant doubling), each confirmed by the match key."""
    word = word.lower()
    bases = {word, _strip_inflection(word)}
    bases |= {b + "e" for b in bases if b and b[-1] not in "aeiouy"}
    bases |= {b[:-1] for b in bases if len(b) > 3 and b[-1] == b[-2]}  # "planned" -> "plan"
    spellings = set(bases)
    for b in bases:
        spellings |= {b + "s", b + "es", b + "ed", b + "d", b + "ing"}
        if b.endswith("y") and len(b) > 2:
            spellings |= {b[:-1] + "ies", b[:-1] + "ied"}
        if b.endswith("e"):
            spellings.add(b[:-1] + "ing")
        if b.endswith("ie"):
            spellings.add(b[:-2] + "ying")
        if len(b) > 2 and b[-1] not in "aeiouwxy" and b[-2] in "aeiou":
            spellings |= {b + b[-1] + "ing", b + b[-1] + "ed"}
    target = keys[word]
    return sorted(s for s in spellings if s and keys[s] == target)


@dataclass(frozen=True)
class Keyword:
    """One keyword as compiled: ``forms`` are alternative word sequences (a hyphenated keyword
    also in its closed form), ``words`` each form's words as written."""

    text: str
    forms: tuple[Form, ...] = ()
    words: tuple[tuple[str, ...], ...] = ()
    regex: re.Pattern[str] | None = None


def is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def compile_keyword(text: str, keys: WordKeys) -> Keyword:
    text = text.strip()
    if is_regex_keyword(text):
        return Keyword(text, regex=re.compile(text[1:-1], re.IGNORECASE))
    words = WORD.findall(text)
    if not words:
        raise ValueError(f"keyword {text!r} has no words")

    def form_of(ws: list[str]) -> Form:
        return tuple(("acronym", w) if is_acronym(w) else ("key", keys[w]) for w in ws)

    forms = {form_of(words): tuple(words)}
    if "-" in text and len(words) > 1:  # "pre-training" also as "pretraining"
        for part in text.split():
            if "-" in part:
                closed = WORD.findall(text.replace(part, part.replace("-", "")))
                forms.setdefault(form_of(closed), tuple(closed))
    return Keyword(text, forms=tuple(forms), words=tuple(forms.values()))


def required_literals(regex: re.Pattern[str]) -> tuple[str, ...]:
    """What every match of a case-insensitive ``regex`` begins with: one of these ASCII texts,
    in lower case (``()`` when there is nothing of 3 characters or more to say). An ASCII text
    that holds none of them cannot match, so the regex engine need not scan it (a /regex/
    keyword otherwise costs a scan of every title and abstract). Read from the pattern by the
    parser re compiles with: a leading literal, or a leading group of alternatives that each
    begin with one (``(?:chinchilla|kaplan)``); not through inline flags or quantifiers."""
    from re import _parser  # the parser re compiles with (Python 3.11+)

    def leading(items: Sequence[tuple[object, object]]) -> tuple[str, ...]:
        chars: list[str] = []
        for op, value in items:
            if op is _parser.AT and not chars:
                continue  # \b, ^ before the text
            if op is _parser.LITERAL and value < 128:  # type: ignore[operator]
                chars.append(chr(value))  # type: ignore[call-overload]
                continue
            if not chars and op is _parser.BRANCH:
                alternatives = [leading(list(b)) for b in value[1]]  # type: ignore[index]
                if all(alternatives):
                    return tuple(dict.fromkeys(x for a in alternatives for x in a))
            elif not chars and op is _parser.SUBPATTERN and not any(value[1:3]):  # type: ignore[index]
                return leading(list(value[3]))  # type: ignore[index]
            break
        return ("".join(chars).lower(),) if len(chars) >= 3 else ()

    try:
        return leading(list(_parser.parse(regex.pattern, regex.flags)))
    except Exception:
        return ()  # a pattern we cannot read: no shortcut


_RUN = re.compile(rb"[^ ]+")
_NEVER = (b"\x00\x01", b"\x02\x03", b"\x04\x05")


def _map_offsets(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in the normalized form of an ASCII text (separators translated to spaces, runs of
    spaces collapsed) as spans of the text itself."""
    raw = text.encode("ascii").translate(_ASCII_SEPARATORS)
    runs = [(m.start(), m.end()) for m in _RUN.finditer(raw)]
    norm_starts, position = [], 0
    for start, end in runs:
        norm_starts.append(position)
        position += end - start + 1

    def original(offset: int) -> int:
        k = bisect.bisect_right(norm_starts, offset) - 1
        return runs[k][0] + offset - norm_starts[k]

    return [(original(a), original(b - 1) + 1) for a, b in spans]


def _collapse(raw: bytes) -> bytes:
    """A haystack with each run of separators made one space (and none at its ends), the
    normalized form :func:`_map_offsets` maps back from."""
    return b"|" + b" ".join(raw[1:-1].split()) + b"|"


def _collapse_pair(text: bytes, cut: int) -> tuple[bytes, int]:
    """A title and abstract's haystack in its own case (``|title|abstract|``, the abstract's
    "|" at ``cut``), collapsed on either side of that "|": the haystack and where it is now."""
    cased = text.translate(_ASCII_CASED)
    head, tail = _collapse(cased[: cut + 1]), _collapse(cased[cut:])
    return head[:-1] + tail, len(head) - 1


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Below this many papers to scan, the automaton is built as a contiguous NFA, not a DFA: it
# builds in a third of the time (5 against 15 ms for the benchmark's 20 topics) and scans a
# paper about 2 us slower, so a daily build's hundred papers are ranked sooner.
FEW_PAPERS = 5_000


def _patterns(
    surfaces: dict[str, list[Entry]], inner: set[str]
) -> tuple[list[bytes], list[Payload]]:
    """The automaton's patterns and their payloads.

    The automaton reads a text's bytes with word characters in lower case, separators as one
    space and any other character as "|", between two "|". Each spelling is wrapped in the two
    characters that may stand around a whole word (" " or "|" on either side), so every match
    is a whole-word occurrence with no check afterwards. Its payload is the keyword's index, or
    its entries when a match needs a second look (an acronym's case, a phrase that could overlap
    itself, a spelling shared by keywords). A phrase's word followed by a run of separators
    (two spaces) has the empty payload: the text is then collapsed and read again, as the
    phrase may continue after the run.

    Every pattern starts with " " or "|", and with three start bytes or fewer the automaton
    first looks for them with memchr (a "prefilter"): here it would stop at every space and the
    scan would take half as long again. Three patterns that cannot occur (a haystack holds no
    control character) give it five start bytes, and no prefilter."""
    patterns: list[bytes] = []
    payloads: list[Payload] = []
    for surface, entries in surfaces.items():
        i, _, checks, overlaps = entries[0]
        payload: Payload = (
            i if len(entries) == 1 and not checks and not overlaps else tuple(entries)
        )
        for pattern in _whole(surface.encode()):
            patterns.append(pattern)
            payloads.append(payload)
    for word in sorted(inner):
        for before in (b" ", b"|"):
            patterns.append(before + word.encode() + b"  ")
            payloads.append(())
    for never in _NEVER:
        patterns.append(never)
        payloads.append(())  # were one found, the slow path would still count right
    return patterns, payloads


def _whole(surface: bytes) -> list[bytes]:
    """The patterns of a spelling's whole-word occurrences: between the two characters that
    may stand around a word (see :func:`_patterns`)."""
    return [before + surface + after for before in (b" ", b"|") for after in (b" ", b"|")]


def _payload_keys(payloads: Sequence[Payload]) -> np.ndarray:
    """Per pattern, the keyword a match of it is an occurrence of; :data:`_SECOND_LOOK` for
    one that needs a second look, :data:`_COLLAPSED` for one that needs the text collapsed."""
    import numpy as np

    return np.array(
        [p if p.__class__ is int else _SECOND_LOOK if p else _COLLAPSED for p in payloads],
        dtype=np.int_,
    )


class Matcher:
    """Counts keyword occurrences in texts. ``texts`` is the flat list of every distinct
    keyword (topic keywords and exclusions); results are indices into it. ``few``: only a few
    texts will be scanned (see :data:`FEW_PAPERS`); the counts are the same."""

    def __init__(self, keywords: Sequence[str], few: bool = False) -> None:
        self.few = few
        self.keys = WordKeys()
        self.texts = tuple(dict.fromkeys(k.strip() for k in keywords))
        self.keywords = tuple(compile_keyword(k, self.keys) for k in self.texts)
        # texts that match exactly what an earlier one matches ("model" and "models", "MoE"
        # and "moe") are looked for once, under the earlier's index: counted twice, a paper's
        # "models" would add to a topic twice
        first: dict[tuple[Form, ...], int] = {}
        self.index = {
            k: first.setdefault(kw.forms, i) if kw.forms else i
            for i, (k, kw) in enumerate(zip(self.texts, self.keywords, strict=True))
        }
        self.regexes = [
            (i, kw.regex, required_literals(kw.regex))
            for i, kw in enumerate(self.keywords)
            if kw.regex is not None
        ]
        self._by_first: dict[tuple[str, str], list[tuple[int, int, Form]]] = {}
        surfaces, inner = self._surfaces()
        patterns, payloads = _patterns(surfaces, inner)
        self._empty = len(patterns) == len(_NEVER)
        self._payloads = payloads
        self._keys: np.ndarray | None = None  # per pattern, its keyword (see occurrences)
        self._patterns = patterns
        self._lengths = [len(p) for p in patterns]
        kind = ahocorasick_rs.Implementation
        self._automaton = ahocorasick_rs.BytesAhoCorasick(
            patterns, implementation=kind.ContiguousNFA if few else kind.DFA
        )

    def _surfaces(self) -> tuple[dict[str, list[Entry]], set[str]]:
        """Every form once, numbered: by its first word's key or acronym (plural too) for the
        token path (``_by_first``); every inflected spelling, lower case, one space between
        words, for the automaton (with its entries); and the spellings of a phrase's words
        before its last."""
        surfaces: dict[str, list[Entry]] = {}
        inner: set[str] = set()
        forms = (
            (i, f, w)
            for i, (text, kw) in enumerate(zip(self.texts, self.keywords, strict=True))
            if self.index[text] == i  # not one looked for under an earlier text's index
            for f, w in zip(kw.forms, kw.words, strict=True)
        )
        for form_id, (i, form, words) in enumerate(forms):
            kind, value = form[0]
            self._by_first.setdefault((kind, value), []).append((i, form_id, form))
            if kind == "acronym":
                self._by_first.setdefault((kind, value + "s"), []).append((i, form_id, form))
            options = [
                [w.lower(), w.lower() + "s"] if k == "acronym" else inflections(w, self.keys)
                for (k, _), w in zip(form, words, strict=True)
            ]
            checks = tuple((j, v.encode()) for j, (k, v) in enumerate(form) if k == "acronym")
            overlaps = form[0] in form[1:]  # two occurrences could share words ("data to data")
            inner.update(*options[:-1])
            for combo in itertools.islice(itertools.product(*options), MAX_SURFACES):
                entry = (i, form_id, checks, overlaps)
                surfaces.setdefault(" ".join(combo), []).append(entry)
        return surfaces, inner

    def __getstate__(self) -> dict[str, object]:
        return {"texts": self.texts, "few": self.few}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["texts"], bool(state.get("few")))  # type: ignore[misc, arg-type]

    def count(self, text: str) -> dict[int, int]:
        """keyword index -> number of occurrences in ``text`` (only keywords that occur)."""
        found: dict[int, int] = {}
        raw = None if self._empty or not text else self._haystack(text)
        if raw is not None and not self._tally(raw, found):
            occurrences: Iterable[tuple[int, int, int]] = self._regex_matches(text)
        else:  # some match needs a second look, with positions
            found.clear()
            occurrences = self._scan(text)
        for i, _, _ in occurrences:
            found[i] = found.get(i, 0) + 1
        return found

    def count_pair(self, title: str, abstract: str) -> tuple[dict[int, int], dict[int, int]]:
        """:meth:`count` of a title and of an abstract, in one pass of the automaton over both
        (the ranker's inner loop)."""
        if self._empty or not (title.isascii() and abstract.isascii()):
            return self.count(title), self.count(abstract)
        text = f"|{title}|{abstract}|".encode("ascii")
        cut = len(title) + 1  # where the abstract's "|" is: a match starting before is the title's
        found = self._count_cut(text, text.translate(_ASCII_LOWER), cut)
        if found is None:  # separators ran together after a phrase's word: read it collapsed
            cased, cut = _collapse_pair(text, cut)
            found = self._count_cut(cased, cased.translate(_ASCII_LOWER), cut)
            assert found is not None  # a collapsed haystack has no run left
        if self.regexes:
            for part, counts in ((title, found[0]), (abstract, found[1])):
                for i, _, _ in self._regex_matches(part):
                    counts[i] = counts.get(i, 0) + 1
        return found

    def occurrences(
        self, papers: Sequence[Paper]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`count_pair` of many papers' titles and abstracts, as four arrays of the same
        length: a paper's place, a keyword's index, and how many times it occurs in the title
        and in the abstract (a paper and keyword may have several rows: their sum is the count).
        The automaton's matches are collected in C (``map`` into arrays); only the matches that
        need a second look, a paper whose separators run together after a phrase's word (read
        again collapsed), one with non-ASCII text, and one a /regex/ may match go through
        Python."""
        return self._occurrences(papers, self._automaton, self._pattern_keys(), self._lengths)[0]

    def occurrences_and_words(
        self, papers: Sequence[Paper], words: WordFinder
    ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """:meth:`occurrences`, and in the same pass the occurrences of ``words``' words (whole
        words, in lower case) as three arrays: a paper's place, the word's number, whether it
        is in the title; and which papers were read so (a paper with non-ASCII text is not:
        its words are for the caller to find)."""
        rows, found = self._occurrences(papers, words.automaton, words.keys, words.lengths, words)
        return rows, found  # type: ignore[return-value]

    def _pattern_keys(self) -> np.ndarray:
        """Per pattern of the automaton, its keyword (:func:`_payload_keys`), made once."""
        if self._keys is None:
            self._keys = _payload_keys(self._payloads)
        return self._keys

    def _occurrences(
        self,
        papers: Sequence[Paper],
        automaton: ahocorasick_rs.BytesAhoCorasick,
        keys_of: np.ndarray,
        lengths: Sequence[int],
        words: WordFinder | None = None,
    ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...] | None]:
        """:meth:`occurrences` with ``automaton`` (this matcher's, or a :class:`WordFinder`'s,
        whose patterns begin with this matcher's), its patterns' keywords and lengths; and
        ``words``' occurrences when it is given."""
        import numpy as np

        find = automaton.find_matches_as_indexes
        pids: array[int] = array("q")
        starts: array[int] = array("q")
        sizes: list[int] = []
        cuts: list[int] = []
        slow: list[int] = []  # the places of papers counted by count_pair
        lower = _ASCII_LOWER
        empty = self._empty
        # the literals one of which each match of a regex begins with (see _regex_matches):
        # a paper that holds none of them is not searched (every paper, when a regex has none)
        literals = tuple(x.encode() for _, _, lits in self.regexes for x in lits)
        every = any(not lits for _, _, lits in self.regexes)
        searched: list[int] = []  # the places of ASCII papers a regex may match
        texts: list[bytes] = []  # each paper's |title|abstract|, for a second look
        for at, paper in enumerate(papers):
            title, abstract = paper.title, paper.abstract
            if empty or not (title.isascii() and abstract.isascii()):
                slow.append(at)
                sizes.append(0)
                cuts.append(0)
                texts.append(b"")
                continue
            text = f"|{title}|{abstract}|".encode("ascii")
            matches = find(text.translate(lower), overlapping=True)
            pids.extend(map(_FIRST, matches))
            starts.extend(map(_SECOND, matches))
            sizes.append(len(matches))
            cuts.append(len(title) + 1)  # a match starting before the abstract's "|" is the title's
            texts.append(text)
            if every or (literals and any(map(text.lower().__contains__, literals))):
                searched.append(at)
        place = np.repeat(np.arange(len(sizes)), sizes)
        pattern = np.frombuffer(pids, dtype=np.int64)
        start = np.frombuffer(starts, dtype=np.int64)
        keys = keys_of[pattern]
        if (keys == _COLLAPSED).any():
            # separators ran together after a phrase's word: those papers are read collapsed
            keep = ~np.isin(place, again := np.unique(place[keys == _COLLAPSED]))
            place, pattern, start = [place[keep]], [pattern[keep]], [start[keep]]
            for at in again.tolist():
                cased, cuts[at] = _collapse_pair(texts[at], cuts[at])
                texts[at] = cased
                matches = find(cased.translate(lower), overlapping=True)
                place.append(np.full(len(matches), at, dtype=np.int_))
                pattern.append(np.array([m[0] for m in matches], dtype=np.int_))
                start.append(np.array([m[1] for m in matches], dtype=np.int_))
            place, pattern, start = map(np.concatenate, (place, pattern, start))  # type: ignore[assignment]
            keys = keys_of[pattern]
        extra: list[tuple[int, int, int, int]] = []
        cut_at = np.array(cuts, dtype=np.int_)
        found_words = None
        if words is not None:
            term = words.terms[pattern]
            held = term >= 0
            scanned = np.ones(len(sizes), dtype=bool)
            scanned[slow] = False
            found_words = (place[held], term[held], start[held] < cut_at[place[held]], scanned)
        if (keys < 0).any():
            # matches that need a second look (an acronym's case, a self-overlapping phrase)
            looks = np.flatnonzero(keys == _SECOND_LOOK)
            if len(looks):
                extra.extend(
                    self._second_looks(
                        texts, place[looks], pattern[looks], start[looks], cut_at, lengths
                    )
                )
            keep = keys >= 0
            place, keys, start = place[keep], keys[keep], start[keep]
        in_title = (start < cut_at[place]).astype(np.int_)
        parts = [(place, keys, in_title, 1 - in_title)]
        for at in slow:
            in_t, in_a = self.count_pair(papers[at].title, papers[at].abstract)
            extra.extend((at, k, tf, 0) for k, tf in in_t.items())
            extra.extend((at, k, 0, tf) for k, tf in in_a.items())
        for at in searched:  # count_pair counted the slow papers' regexes
            paper = papers[at]
            extra.extend((at, i, 1, 0) for i, _, _ in self._regex_matches(paper.title))
            extra.extend((at, i, 0, 1) for i, _, _ in self._regex_matches(paper.abstract))
        if extra:
            parts.append(
                tuple(np.array(column, dtype=np.int_) for column in zip(*extra, strict=True))
            )
        rows = tuple(np.concatenate(column) for column in zip(*parts, strict=True))
        return rows, found_words

    def _second_looks(
        self,
        texts: Sequence[bytes],
        place: np.ndarray,
        pattern: np.ndarray,
        start: np.ndarray,
        cuts: np.ndarray,
        lengths: Sequence[int],
    ) -> list[tuple[int, int, int, int]]:
        """The occurrences among matches that need a second look (:meth:`_second_look`), as
        :meth:`occurrences`' rows: each match's paper, pattern and start, by paper (whose
        haystack in its own case is ``texts[paper]`` translated, and whose title ends at
        ``cuts[paper]``; ``lengths``, the patterns')."""
        out: list[tuple[int, int, int, int]] = []
        matches = zip(place.tolist(), pattern.tolist(), start.tolist(), strict=True)
        for at, group in itertools.groupby(matches, key=_FIRST):
            cut = cuts[at]
            found = [(pid, s, s + lengths[pid]) for _, pid, s in group]
            for i, s, _ in self._second_look(found, texts[at].translate(_ASCII_CASED)):
                out.append((at, i, 1, 0) if s < cut else (at, i, 0, 1))
        return out

    def _count_cut(
        self, text: bytes, raw: bytes, cut: int
    ) -> tuple[dict[int, int], dict[int, int]] | None:
        """Counts in the haystack ``raw`` of a title and abstract (``text`` in its own case),
        split at ``cut``; None when separators run together after a phrase's word."""
        in_title: dict[int, int] = {}
        in_abstract: dict[int, int] = {}
        second: list[tuple[int, int, int]] = []
        payloads = self._payloads
        for pid, start, end in self._automaton.find_matches_as_indexes(raw, overlapping=True):
            i = payloads[pid]
            if i.__class__ is int:
                found = in_title if start < cut else in_abstract
                found[i] = found.get(i, 0) + 1  # type: ignore[index]
            elif i:
                second.append((pid, start, end))
            else:
                return None
        if second:
            for i, start, _ in self._second_look(second, text.translate(_ASCII_CASED)):
                found = in_title if start < cut else in_abstract
                found[i] = found.get(i, 0) + 1
        return in_title, in_abstract

    def spans(self, text: str, indices: Collection[int]) -> list[tuple[int, int]]:
        """Character spans of the given keywords' occurrences in ``text``, sorted and merged,
        for bolding matched keywords in outputs."""
        if not indices or not text:
            return []
        wanted = set(indices)
        return _merge([(a, b) for i, a, b in self._scan(text) if i in wanted])

    def _haystack(self, text: str) -> bytes | None:
        """The bytes the automaton reads (for ASCII text, their offsets less one are those of
        ``text`` unless separators ran together); None for text whose lower case changes its
        length (a few non-ASCII letters), which goes word by word."""
        if text.isascii():
            return b"|" + text.encode("ascii").translate(_ASCII_LOWER) + b"|"
        low = text.lower()
        if len(low) != len(text):
            return None
        low = _NON_WORD.sub("|", _SEPARATORS.sub(" ", low))
        return ("|" + low + "|").encode("utf-8", "surrogatepass")

    def _tally(self, raw: bytes, found: dict[int, int]) -> list[tuple[int, int, int]]:
        """Count in ``found`` the matches in ``raw`` that need no second look; return the
        others."""
        second: list[tuple[int, int, int]] = []
        payloads = self._payloads
        for match in self._automaton.find_matches_as_indexes(raw, overlapping=True):
            i = payloads[match[0]]
            if i.__class__ is int:
                found[i] = found.get(i, 0) + 1  # type: ignore[index]
            else:
                second.append(match)
        return second

    def _second_look(
        self, matches: Iterable[tuple[int, int, int]], cased: bytes
    ) -> Iterator[tuple[int, int, int]]:
        """The occurrences among matches whose spelling needs a second look: acronyms checked
        against ``cased`` (the haystack in its own case), self-overlapping phrases skipped.
        Offsets are those of the haystack, less one."""
        last_end: dict[int, int] = {}
        payloads = self._payloads
        for pid, start, end in matches:
            payload = payloads[pid]
            start, end = start + 1, end - 1  # the word characters
            if payload.__class__ is int:
                yield payload, start - 1, end - 1  # type: ignore[misc]
                continue
            for i, form_id, checks, overlaps in payload:  # type: ignore[union-attr]
                if overlaps:
                    if last_end.get(form_id, 0) > start:
                        continue
                    last_end[form_id] = end
                if checks:
                    words = cased[start:end].split(b" ")
                    if any(words[j] != value and words[j] != value + b"s" for j, value in checks):
                        continue
                yield i, start - 1, end - 1

    def _scan(self, text: str) -> list[tuple[int, int, int]]:
        """Every occurrence (keyword, start, end), with offsets into ``text``."""
        raw = None if self._empty or not text.isascii() else self._haystack(text)
        if raw is None:
            return list(self._tokens(text))
        cased = b"|" + text.encode("ascii").translate(_ASCII_CASED) + b"|"
        matches = self._automaton.find_matches_as_indexes(raw, overlapping=True)
        collapsed = any(not self._payloads[pid] for pid, _, _ in matches)
        if collapsed:
            raw, cased = _collapse(raw), _collapse(cased)
            matches = self._automaton.find_matches_as_indexes(raw, overlapping=True)
        found = list(self._second_look(matches, cased))
        if collapsed:
            spans = _map_offsets(text, [(a, b) for _, a, b in found])
            found = [(i, a, b) for (i, _, _), (a, b) in zip(found, spans, strict=True)]
        return found + list(self._regex_matches(text))

    def _regex_matches(self, text: str) -> Iterator[tuple[int, int, int]]:
        if not self.regexes:
            return
        lower = text.lower() if text.isascii() else None
        for i, regex, literals in self.regexes:
            if literals and lower is not None and not any(x in lower for x in literals):
                continue  # it cannot match: the text lacks what every match begins with
            yield from (
                (i, m.start(), m.end()) for m in regex.finditer(text) if m.end() > m.start()
            )

    def _tokens(self, text: str, wanted: set[int] | None = None) -> Iterator[tuple[int, int, int]]:
        """The same occurrences, with offsets into ``text`` itself, by comparing its words one
        by one: for spans, and for any text the automaton cannot take."""
        tokens = list(WORD.finditer(text))
        words = [m.group() for m in tokens]
        keys = list(map(self.keys.__getitem__, words))
        free: dict[int, int] = {}
        by_first = self._by_first
        for at in range(len(tokens)):
            candidates = by_first.get(("key", keys[at]), []) + by_first.get(
                ("acronym", words[at]), []
            )
            for i, form_id, form in candidates:
                last = len(form) - 1
                if (wanted is not None and i not in wanted) or at < free.get(form_id, 0):
                    continue
                if at + last < len(tokens) and self._matches_at(
                    form, at, text, tokens, words, keys
                ):
                    free[form_id] = at + last + 1
                    yield i, tokens[at].start(), tokens[at + last].end()
        yield from (o for o in self._regex_matches(text) if wanted is None or o[0] in wanted)

    @staticmethod
    def _matches_at(
        form: Form,
        at: int,
        text: str,
        tokens: list[re.Match[str]],
        words: list[str],
        keys: list[str],
    ) -> bool:
        for j, (kind, value) in enumerate(form):
            if kind == "key":
                if keys[at + j] != value:
                    return False
            elif words[at + j] != value and words[at + j] != value + "s":
                return False
            if j and not SEPARATOR.fullmatch(
                text, tokens[at + j - 1].end(), tokens[at + j].start()
            ):
                return False
        return True


class WordFinder:
    """A matcher's automaton that also finds some words, whole and in lower case (a learned
    profile's), for :meth:`Matcher.occurrences_and_words`: one pass over a paper for both.
    ``words``: each word (bytes) and its number. A word that is also a keyword's spelling
    shares its patterns."""

    def __init__(self, matcher: Matcher, words: Mapping[bytes, int]) -> None:
        import numpy as np

        self.matcher, self.words = matcher, dict(words)
        patterns = list(matcher._patterns)
        keys = matcher._pattern_keys().tolist()
        terms = [-1] * len(patterns)
        number = {p: i for i, p in enumerate(patterns)}
        for word, term in self.words.items():
            for pattern in _whole(word):
                at = number.setdefault(pattern, len(patterns))
                if at == len(patterns):
                    patterns.append(pattern)
                    keys.append(_NO_KEYWORD)
                    terms.append(-1)
                terms[at] = term
        kind = ahocorasick_rs.Implementation
        self.automaton = ahocorasick_rs.BytesAhoCorasick(
            patterns, implementation=kind.ContiguousNFA if matcher.few else kind.DFA
        )
        self.keys = np.array(keys, dtype=np.int_)
        self.terms = np.array(terms, dtype=np.int_)
        self.lengths = [len(p) for p in patterns]

    def __reduce__(self) -> tuple[type[WordFinder], tuple[Matcher, dict[bytes, int]]]:
        return WordFinder, (self.matcher, self.words)
