"""What each topic learns from the papers it has matched: a profile of characteristic terms.

Keywords have high precision and low recall: a paper on Gaussian-process optimization of
black-box functions never says "Bayesian optimization". A topic's profile is pseudo-relevance
feedback (Rocchio): the papers of the history that match the topic's keywords with confidence
(a keyword in the title, or two distinct keywords) give its characteristic stemmed terms, each
weighted against the whole store's term statistics; the user's examples join them with a
weight, the papers to avoid push them away. A paper is then scored against the profile by a
sparse dot product, so a relevant paper that never uses a keyword can rank, and one that
mentions a keyword once in passing, with none of the topic's vocabulary, ranks lower.

For a topic, with ``v(d)`` a paper's term vector (BM25's saturated, length-normalised term
frequency, a title mention counting twice, the vector scaled to length 1)::

    profile(w) = idf(w) * ( Q * q(w)  +  mean over confident papers F of v(d)(w)
                            + E * mean over examples of v(e)(w)  -  A * mean over avoids of v(a)(w) )

    q(w) = 1 for a stem of the topic's keywords (the vector scaled to length 1)
    idf(w) = ln(1 + (N - df(w) + 0.5) / (df(w) + 0.5))     N papers in the term statistics

The profile keeps its :data:`TERMS` heaviest positive terms (each in :data:`MIN_DOCS` confident
papers at least, when there are four or more), none in more than :data:`COMMON` of all papers. A paper's similarity is ``sum over w of profile(w) * v'(d)(w)``
(``v'`` unscaled), divided by the median similarity of the confident papers: about 1 for a
paper like those the topic already matches, 0 for one that shares none of its terms.

Each example is also a small profile of its own, so that a paper much like one example counts
even where the topic's profile (the mean of many papers) is of another kind::

    like(e)(w) = idf(w) * v(e)(w), its LIKE_TERMS heaviest terms, the vector scaled to length 1
    likeness(d) = max over the topic's examples e of  sum over w of like(e)(w) * v'(d)(w)

divided by a typical paper's (the median over the confident papers, else over the examples,
each to the others), at most :data:`LIKE_CAP`, added to the similarity; a paper no keyword
matches counts for the topic of the example it is most like from :data:`LIKE_LIFT` and from
the likeness :data:`LIKE_QUANTILE` of the history's papers fall below, with :data:`SHARED` of
the topic's profile terms ("like <its title>"). The ranker (:mod:`.score`) combines the similarity with the keyword score.

Everything here is pure: the caller gives the papers (the store's history, or the files being
ranked) and the term statistics; :mod:`.profiles` keeps them in the store between builds.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
import statistics
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ahocorasick_rs
import snowballstemmer

from ..model import Paper, Topic, is_regex_keyword
from .arrays import expand
from .keywords import Matcher, WordFinder
from .words import STOPWORDS

if TYPE_CHECKING:
    import numpy as np

TERMS = 20  # terms a profile keeps
Q = 3.0  # weight of the keywords' own terms in the profile
EXAMPLES = 1.0  # weight of the examples' mean vector
AVOID = 1.0  # weight of the avoided papers' mean vector (subtracted)
K1, B = 1.2, 0.75  # BM25's term-frequency saturation and length normalisation
_K2 = K1 + 1
_FIRST = operator.itemgetter(0)
_DAY = dt.date(2000, 1, 1)
CHUNK = 512  # papers scored at once (a chunk's term counts: CHUNK x terms floats)
RELATED = 0.5  # a paper no keyword matches counts for a topic from this similarity on
TITLE = 2  # a title mention counts this many abstract mentions (the scorer reads it twice)
SHARED = 3  # a paper no keyword matches must hold this many of a profile's terms to count
REASONS = 4  # terms a reason names
LIKE = 0.6  # "like <example>": the share of the shared terms' weight one example must hold
LIKE_LIFT = 0.5  # a paper no keyword matches counts for a topic from this likeness to an example
LIKE_CAP = 1.0  # likeness adds at most this to a paper's similarity (an example itself: 1)
LIKE_TYPICAL = 0.13  # a typical paper's likeness to an example, as a share of the example's own
LIKE_FLOOR = 0.07  # ... never below this share (when confident papers or examples tell it)
LIKE_TERMS = 40  # the terms an example keeps (its heaviest)
# ... and from the likeness this share of the history's papers fall below
LIKE_QUANTILE = 0.98
LIKE_SAMPLE = 2000  # the history's papers that tell that share (every k-th)
LIKE_PAPERS = 3  # confident papers that scale likeness (fewer: the examples, each to the others)
LEARNED = 4  # what :func:`learn` makes: profiles kept by another version are learned again
MOST = 1000  # a profile learns from the latest this many confident papers
SHOWN = 200  # the words shown for a profile's terms: those of this many of its papers
COMMON = 0.5  # a term in more than this share of the papers is left out
MIN_DOCS = 1  # a term must be in this many confident papers (when there are at least 4)


_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
# what the term automaton reads: word characters in lower case, any other character a space
_WORDS = bytes(
    (c | 0x20 if 65 <= c <= 90 else c)
    if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 95 or c >= 128)
    else 32
    for c in range(256)
)
_HAS_LETTER = re.compile(rb"[a-z\x80-\xff]")


def words_of(text: str) -> list[bytes]:
    """A text's words: runs of letters, digits and ``_``, in lower case, as bytes (UTF-8)."""
    data = text.encode("ascii") if text.isascii() else text.lower().encode("utf-8", "replace")
    return data.translate(_WORDS).split()


class Stems(dict[bytes, str]):
    """word -> stem (Snowball English), ``""`` for a word that is no term: a function word,
    a number, one character. Each distinct word stemmed once."""

    def __init__(self) -> None:
        super().__init__()
        self._stem = snowballstemmer.stemmer("english").stemWord

    def __missing__(self, word: bytes) -> str:
        text = word.decode("utf-8", "replace")
        stem = (
            ""
            if len(word) < 2 or text in STOPWORDS or not _HAS_LETTER.search(word)
            else self._stem(text)
        )
        self[word] = stem
        return stem

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Stems, ())


@dataclass
class TermStats:
    """Document frequencies of stems over a set of papers (the store, or the files ranked):
    ``papers`` counted, ``df`` stem -> papers holding it, ``length`` their total characters
    (a paper's length, for BM25, is its title's and abstract's characters)."""

    papers: int = 0
    length: int = 0
    df: Counter[str] = field(default_factory=Counter)

    def add(self, papers: Iterable[tuple[str, str]], stems: Stems | None = None) -> None:
        """Count (title, abstract) pairs in."""
        stems = stems or Stems()
        get = stems.__getitem__
        df = self.df
        n = length = 0
        for title, abstract in papers:
            words = words_of(title + " " + abstract)
            length += len(title) + len(abstract)
            df.update(set(map(get, set(words))))
            n += 1
        df.pop("", None)
        self.papers += n
        self.length += length

    def merge(self, other: TermStats) -> None:
        self.papers += other.papers
        self.length += other.length
        self.df.update(other.df)

    @property
    def average(self) -> float:
        """Average characters per paper."""
        return self.length / self.papers if self.papers else 1000.0

    def idf(self, stem: str) -> float:
        n, d = max(self.papers, 1), self.df.get(stem, 0)
        return math.log(1 + (n - d + 0.5) / (d + 0.5))


def bag(paper: Paper, stems: Stems) -> tuple[dict[str, int], int]:
    """A paper's stems with their weighted counts (a title mention counts :data:`TITLE`), and
    its length (characters)."""
    counts: dict[str, int] = {}
    for words, weight in ((paper.abstract, 1), (paper.title, TITLE)):
        for word, n in Counter(words_of(words)).items():
            stem = stems[word]
            if stem:
                counts[stem] = counts.get(stem, 0) + weight * n
    return counts, len(paper.title) + len(paper.abstract)


def saturate(tf: float, length: float, average: float) -> float:
    """BM25's term-frequency factor."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))


class Vectors(dict[str, tuple[dict[str, float], float]]):
    """paper id -> (its saturated term frequencies, their length): each paper's computed once
    for every topic that learns from it."""

    def __init__(self, stems: Stems, average: float) -> None:
        super().__init__()
        self.stems = stems
        self.average = average

    def of(self, paper: Paper) -> tuple[dict[str, float], float]:
        found = self.get(paper.id)
        if found is None:
            counts, length = bag(paper, self.stems)
            v = {w: saturate(tf, length, self.average) for w, tf in counts.items()}
            found = self[paper.id] = (v, math.sqrt(sum(x * x for x in v.values())) or 1.0)
        return found


@dataclass(frozen=True)
class Profile:
    """One topic's profile: its terms and weights, the word to show for each term, the
    similarity of a typical confident paper (``scale``), how many papers it learned from,
    each example's title with its terms (for "like <example>") and the ids of the papers to
    avoid."""

    topic: str
    weights: Mapping[str, float]
    words: Mapping[str, str]
    scale: float
    learned: int = 0
    examples: tuple[tuple[str, frozenset[str]], ...] = ()
    avoid: frozenset[str] = frozenset()  # the ids of the papers to avoid: never the topic's
    example_ids: frozenset[str] = frozenset()  # the examples' ids: "one of your examples"
    # per example, its title and its terms' weights: a paper's likeness to it is the dot
    # product with the paper's saturated term frequencies, about 1 for a typical paper
    likes: tuple[tuple[str, Mapping[str, float]], ...] = ()
    like_lift: float = LIKE_LIFT  # the likeness from which a paper without keywords counts

    def every_term(self) -> tuple[str, ...]:
        """The profile's terms, then those of its examples' likes."""
        return (*self.weights, *(w for _, like in self.likes for w in like))


def keyword_stems(topic: Topic, stems: Stems) -> list[str]:
    """The stems of a topic's keywords (regular expressions have none)."""
    out: list[str] = []
    for keyword in topic.keywords:
        k = keyword.strip()
        if is_regex_keyword(k):
            continue
        out.extend(s for s in map(stems.__getitem__, words_of(k)) if s)
    return list(dict.fromkeys(out))


def learn(
    topic: Topic,
    confident: Sequence[Paper],
    stats: TermStats,
    stems: Stems,
    examples: Sequence[Paper] = (),
    avoid: Sequence[Paper] = (),
    *,
    terms: int | None = None,
    q: float | None = None,
    example_weight: float = EXAMPLES,
    avoid_weight: float = AVOID,
    vectors: Vectors | None = None,
    background: Sequence[Paper] = (),
) -> Profile:
    """A topic's profile from its confident papers (the :data:`MOST` latest count), examples
    and papers to avoid (see the module's docstring); ``terms`` and ``q`` default to
    :data:`TERMS` and :data:`Q`."""
    terms = TERMS if terms is None else terms
    q = Q if q is None else q
    vectors = vectors if vectors is not None else Vectors(stems, stats.average)
    total: dict[str, float] = {}
    docs: Counter[str] = Counter()

    def mean(papers: Sequence[Paper], weight: float) -> None:
        for p in papers:
            v, norm = vectors.of(p)
            share = weight / norm / len(papers)
            for w, x in v.items():
                total[w] = total.get(w, 0.0) + x * share
            docs.update(v.keys())  # an iterable: counted in C

    avoided = frozenset(p.id for p in avoid)
    confident = [p for p in confident if p.id not in avoided][-MOST:]
    examples = [e for e in examples if e.id not in avoided]  # a paper to avoid wins
    mean(confident, 1.0)
    if len(confident) >= 4:
        for w in [w for w in total if docs[w] < MIN_DOCS]:
            del total[w]
    mean(examples, example_weight)
    mean(avoid, -avoid_weight)
    asked = keyword_stems(topic, stems)
    for w in asked:
        total[w] = total.get(w, 0.0) + q / math.sqrt(len(asked))
    common = COMMON * stats.papers  # a term in more papers than this tells no topic
    weighted = {
        w: x * stats.idf(w) for w, x in total.items() if x > 0 and stats.df.get(w, 0) <= common
    }
    kept = dict(sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0]))[:terms])
    shown = _shown(kept, topic, [*examples, *confident[-SHOWN:]], stems)
    sims = sorted(
        sum(kept[w] * x for w, x in vectors.of(p)[0].items() if w in kept)
        for p in (confident or examples)
    )
    typical = statistics.median(sims) if sims else 0.0
    if typical <= 0:  # nothing to learn from yet: one mention of the heaviest term
        typical = max(kept.values(), default=1.0) * saturate(1, 1, 1)
    marks = tuple((e.title, frozenset(w for w in vectors.of(e)[0] if w in kept)) for e in examples)
    return Profile(
        topic.name, kept, shown, typical, len(confident), marks, avoided,
        frozenset(e.id for e in examples), *_likes(examples, confident, stats, vectors, background),
    )  # fmt: skip


def _likes(
    examples: Sequence[Paper],
    confident: Sequence[Paper],
    stats: TermStats,
    vectors: Vectors,
    background: Sequence[Paper] = (),
) -> tuple[tuple[tuple[str, dict[str, float]], ...], float]:
    """Each example as its own small profile (see the module's docstring): its
    :data:`LIKE_TERMS` heaviest terms by ``v(e)(w) * idf(w)`` (none in more than
    :data:`COMMON` of the papers), the vector scaled to length 1, then divided by the
    likeness of a typical paper of the topic: the median,
    over the confident papers (at least :data:`LIKE_PAPERS`), of a paper's likeness to the
    example it is most like; else over the examples, of each one's to the others; else over
    the confident papers there are; never less than :data:`LIKE_FLOOR` of an example's
    likeness to itself, and :data:`LIKE_TYPICAL` of it when nothing tells (one example, no
    confident paper). And the likeness from which a paper without keywords counts: at least
    :data:`LIKE_LIFT`, and what :data:`LIKE_QUANTILE` of the ``background`` papers (a sample
    of the history) fall below."""
    import numpy as np  # here: numpy loads only when papers are ranked

    if not examples:
        return (), LIKE_LIFT
    common = COMMON * stats.papers
    vecs = []
    for e in examples:
        v = {
            w: x * stats.idf(w) for w, x in vectors.of(e)[0].items() if stats.df.get(w, 0) <= common
        }
        v = dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:LIKE_TERMS])
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({w: x / norm for w, x in v.items() if x > 0})

    # each term's examples and weights: a paper's likeness to every example is summed over
    # its own terms, in their order (as a sum over them would, without the terms it lacks:
    # linear in the examples, where a library of thousands compared each to each took minutes)
    holders: dict[str, tuple[list[int], list[float]]] = {}
    for j, u in enumerate(vecs):
        for w, x in u.items():
            at, weights = holders.setdefault(w, ([], []))
            at.append(j)
            weights.append(x)
    index = {w: (np.array(a, dtype=np.int_), np.array(x)) for w, (a, x) in holders.items()}

    def likeness(paper: Paper, skip: int = -1) -> float:
        to = np.zeros(len(vecs))
        for w, x in vectors.of(paper)[0].items():
            if (held := index.get(w)) is not None:
                to[held[0]] += x * held[1]
        if skip >= 0:
            to[skip] = -math.inf
        return max(float(to.max()), 0.0) if len(vecs) > (skip >= 0) else 0.0

    ids = {e.id for e in examples}
    sims = [likeness(p) for p in confident if p.id not in ids]
    if len(sims) < LIKE_PAPERS and len(examples) > 1:
        sims = [likeness(e, j) for j, e in enumerate(examples)]
    # an example's likeness to itself: a typical paper's is LIKE_TYPICAL of it, at least
    # LIKE_FLOOR (the median and the least over the labelled sets' topics)
    itself = statistics.median(
        sum(x * u.get(w, 0.0) for w, x in vectors.of(e)[0].items())
        for e, u in zip(examples, vecs, strict=True)
    )
    typical = max(statistics.median(sims), LIKE_FLOOR * itself) if sims else LIKE_TYPICAL * itself
    if typical <= 0:
        return (), LIKE_LIFT
    # a paper without keywords counts from LIKE_LIFT, and from the likeness LIKE_QUANTILE of the
    # history's papers fall below: where the topic's papers are little like its examples, a
    # typical paper's likeness is low, and many a paper would reach half of it
    around = sorted(likeness(p) for p in background if p.id not in ids)
    lift = LIKE_LIFT
    if around:
        lift = max(lift, around[int(LIKE_QUANTILE * (len(around) - 1))] / typical)
    return tuple(
        (e.title, {w: x / typical for w, x in sorted(v.items())})
        for e, v in zip(examples, vecs, strict=True)
    ), lift


def _shown(
    kept: Mapping[str, float], topic: Topic, papers: Sequence[Paper], stems: Stems
) -> dict[str, str]:
    """The word to show for each term: the one the topic's keywords use, else the one the
    papers use most (the shortest on a tie)."""
    seen: dict[str, Counter[bytes]] = {}
    for keyword in topic.keywords:
        for word in words_of(keyword):
            if stems[word] in kept:
                seen.setdefault(stems[word], Counter())[word] += 1000
    for p in papers:
        for word in words_of(p.title + " " + p.abstract):
            if stems[word] in kept:
                seen.setdefault(stems[word], Counter())[word] += 1
    return {w: _word(w, seen.get(w)) for w in kept}


def _word(stem: str, seen: Counter[bytes] | None) -> str:
    if not seen:
        return stem
    return min(seen.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0].decode(
        "utf-8", "replace"
    )


# -- scoring many papers: one pass of an automaton over every profile's words -------------------


@dataclass
class Similar:
    """Papers against the profiles: per paper, its similarity to each topic (a row of its
    chunk's array, by topic); and per paper (by its place) the topic its profile is most like,
    when the paper reaches :data:`RELATED` there with :data:`SHARED` terms shared (it may then
    count for that topic without its keywords)."""

    rows: list[np.ndarray]  # by chunk of CHUNK papers: papers x topics
    candidates: dict[int, int]
    saturated: list[np.ndarray] = field(default_factory=list)  # by chunk of CHUNK papers
    likes: list[np.ndarray] = field(default_factory=list)  # by chunk: papers x examples


@dataclass(frozen=True)
class ProfileDetail:
    """A paper against one topic's profile (:meth:`Profiles.detail`): its similarity (the
    likeness added), the profile's alone (what :data:`RELATED` weighs), the profile's words it
    holds by their part, the example it is most like with that likeness and the likeness
    from which it would count, and the topic whose profile it is most like."""

    similarity: float
    profile: float
    shared: tuple[str, ...]
    most_like: str
    likeness: float
    lift: float | None
    closest: int


class Profiles:
    """The profiles of a ranker's topics, compiled to score papers fast: one Aho-Corasick pass
    over a paper's words finds every profile term (by each word the history used for it), and
    each term adds its weight to the topics whose profile holds it.

    ``profiles``: one per topic (``None`` for a topic without one), in the ranker's order;
    ``vocabulary``: term -> the words that stem to it (only the profiles' terms are needed).
    """

    def __init__(
        self,
        profiles: Sequence[Profile | None],
        vocabulary: Mapping[str, Iterable[bytes]],
        average: float,
    ) -> None:
        import numpy as np  # here: numpy loads only when papers are ranked

        self.profiles = tuple(profiles)
        self.average = average
        self.vocabulary = {
            w: tuple(sorted(set(vocabulary.get(w, ()))))
            for p in self.profiles
            if p is not None
            for w in p.every_term()
        }
        # the profiles' terms first (the columns of the dense matrices), then the terms only
        # examples' likes hold (counted sparsely)
        dense = sorted({w for p in self.profiles if p is not None for w in p.weights})
        terms = dense + sorted(set(self.vocabulary).difference(dense))
        self.terms = tuple(terms)
        self._dense = len(dense)
        number = self._number = {w: i for i, w in enumerate(terms)}  # term -> its place
        self.uses: list[tuple[tuple[int, float], ...]] = [() for _ in terms]
        for t, p in enumerate(self.profiles):
            if p is None:
                continue
            for w, x in p.weights.items():
                self.uses[number[w]] += ((t, x / p.scale),)
        patterns: list[bytes] = []
        payloads: list[int] = []
        for i, w in enumerate(terms):
            for word in self.vocabulary[w]:
                patterns.append(b" " + word + b" ")
                payloads.append(i)
        # Every pattern starts with " ": with so few start bytes the automaton would first
        # look for them with memchr and stop at every space (as keywords.py explains); three
        # patterns that cannot occur (a haystack holds no control character) turn that off.
        for never in (b"\x00\x01", b"\x02\x03", b"\x04\x05"):
            patterns.append(never)
            payloads.append(-1)
        self._payloads = payloads
        self._terms_of = np.array(payloads, dtype=np.int_)
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                patterns, implementation=ahocorasick_rs.Implementation.DFA
            )
            if len(patterns) > 3
            else None
        )
        self._k1 = K1 * (1 - B)
        self._k1b = K1 * B / average
        self.avoided: dict[str, set[int]] = {}  # paper id -> the topics it must not count for
        self.exemplars: dict[str, set[int]] = {}  # paper id -> the topics it is an example of
        for t, p in enumerate(self.profiles):
            for pid in p.avoid if p is not None else ():
                self.avoided.setdefault(pid, set()).add(t)
            for pid in p.example_ids if p is not None else ():
                self.exemplars.setdefault(pid, set()).add(t)
        self._index()
        self._matrices()

    def any(self) -> bool:
        """Whether any topic has a profile."""
        return any(p is not None for p in self.profiles)

    def __getstate__(self) -> dict[str, object]:
        return {"profiles": self.profiles, "vocabulary": self.vocabulary, "average": self.average}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["profiles"], state["vocabulary"], state["average"])  # type: ignore[misc, arg-type]

    def _index(self) -> None:
        """Per topic: its terms by weight (for reasons) and as a set (to count shared ones), and
        which of its examples hold each term."""
        import numpy as np  # here: numpy loads only when papers are ranked

        number = self._number
        self.order: list[tuple[int, ...]] = []
        self.members: list[frozenset[int]] = []
        # per topic, each term's examples (their places) that hold it, for _like
        self._holders: list[dict[str, np.ndarray]] = []
        for p in self.profiles:
            ranked = sorted(p.weights.items(), key=lambda kv: (-kv[1], kv[0])) if p else []
            self.order.append(tuple(number[w] for w, _ in ranked))
            self.members.append(frozenset(self.order[-1]))
            holders: dict[str, list[int]] = {}
            for j, (_, ts) in enumerate(p.examples if p else ()):
                for w in ts:
                    holders.setdefault(w, []).append(j)
            self._holders.append({w: np.array(js, dtype=np.int_) for w, js in holders.items()})

    def _matrices(self) -> None:
        """The profiles as matrices: term x topic weights (each divided by the topic's
        scale), and which terms each topic holds."""
        import numpy as np  # here: numpy loads only when papers are ranked

        weights = np.zeros((self._dense, len(self.profiles)))
        for i, use in enumerate(self.uses):
            for t, x in use:
                weights[i, t] = x
        self._weights = weights
        # the examples' likes, a column each (by topic): each term's (column, weight) pairs as
        # compressed rows; the first column of each topic that has some, and the topics
        columns = [
            (t, title, like) for t, p in enumerate(self.profiles) if p for title, like in p.likes
        ]
        number = self._number
        held = sorted(
            (number[w], c, x) for c, (_, _, like) in enumerate(columns) for w, x in like.items()
        )
        self._like_ptr = np.searchsorted(
            np.array([i for i, _, _ in held], dtype=np.int_), np.arange(len(self.terms) + 1)
        )
        self._like_col = np.array([c for _, c, _ in held], dtype=np.int_)
        self._like_w = np.array([x for _, _, x in held], dtype=np.float64)
        self._like_titles = [title for _, title, _ in columns]
        self._like_lift = np.array(
            [p.like_lift if p is not None and p.likes else np.inf for p in self.profiles]
        )
        self._like_topic = np.array([t for t, _, _ in columns], dtype=np.int_)  # by column
        self._like_starts = (
            np.flatnonzero(np.r_[True, np.diff(self._like_topic) != 0])
            if columns
            else self._like_topic
        )
        self._like_topics = self._like_topic[self._like_starts]
        self._words = [  # per topic: the word shown for each term (by the term's number)
            [p.words.get(w, w) if p else w for w in self.terms] for p in self.profiles
        ]

    def score(self, papers: Sequence[Paper]) -> Similar:
        """Every paper's similarity to every topic (see :class:`Similar`), by chunks of
        :data:`CHUNK` papers: the terms found by the automaton are counted in C (``map``,
        ``bincount``), and scored by one product of matrices."""
        similar = Similar([], {})
        for start in range(0, len(papers), CHUNK):
            self.score_chunk(papers[start : start + CHUNK], start, similar)
        return similar

    def score_chunk(
        self,
        papers: Sequence[Paper],
        offset: int,
        similar: Similar,
        found: tuple[np.ndarray, ...] | None = None,
    ) -> None:
        """Score ``papers`` (at most :data:`CHUNK`), the day's from place ``offset`` on, into
        ``similar`` (which holds those before them): :meth:`score` a chunk at a time.
        ``found``: the profiles' words the keyword matcher found in the same pass
        (:meth:`~.keywords.Matcher.occurrences_and_words` with :meth:`finder`); the papers it
        did not read are read here."""
        import numpy as np  # here: numpy loads only when papers are ranked

        n, count, topics = len(papers), self._dense, len(self.profiles)
        total, columns = len(self.terms), len(self._like_titles)
        if self._automaton is None or not n:
            similar.rows.append(np.zeros((n, topics)))
            similar.saturated.append(np.zeros((n, count)))
            if columns:
                similar.likes.append(np.zeros((n, columns)))
            return
        # each (paper, term) found, sorted by both, with its count (a title's counted twice)
        if found is None:
            paper, term = np.nonzero(tf_all := self._term_counts(papers))
            tf_found = tf_all[paper, term].astype(np.float64)
        else:
            place, term_of, in_title, scanned = found
            cells, at = np.unique(place * total + term_of, return_inverse=True)
            tf_found = np.bincount(at, weights=np.where(in_title, TITLE, 1), minlength=len(cells))
            paper, term = np.divmod(cells, total)
            if not scanned.all():  # papers with non-ASCII text
                rest = np.flatnonzero(~scanned)
                tf_rest = self._term_counts([papers[i] for i in rest.tolist()])
                r_paper, r_term = np.nonzero(tf_rest)
                paper = np.concatenate([paper, rest[r_paper]])
                term = np.concatenate([term, r_term])
                tf_found = np.concatenate([tf_found, tf_rest[r_paper, r_term]])
                by = np.lexsort((term, paper))
                paper, term, tf_found = paper[by], term[by], tf_found[by]
        in_dense = term < count
        tf = np.zeros((n, count))
        tf[paper[in_dense], term[in_dense]] = tf_found[in_dense]
        lengths = np.array([len(p.title) + len(p.abstract) for p in papers], dtype=np.float64)
        norm = self._k1 + self._k1b * lengths
        saturated = tf * _K2 / (tf + norm[:, None])
        # a product of CHUNK rows whatever n is: BLAS rounds a row alike wherever it stands in
        # a matrix of that many, not in matrices of other sizes, so a paper's similarity is
        # the same bits whatever it is ranked with (alone, or with other dates' papers)
        full = saturated
        if n < CHUNK:
            full = np.zeros((CHUNK, count))
            full[:n] = saturated
        sims = (full @ self._weights)[:n]
        # the topic each paper is most like, when it reaches RELATED with SHARED terms
        best = sims.argmax(axis=1)
        ks = np.flatnonzero(sims[np.arange(n), best] >= RELATED)
        for k, t in self._sharing(tf, ks, best[ks]):
            similar.candidates[offset + k] = t
        if columns:  # likeness to each example: a sum over the paper's terms, in their order
            sat_found = tf_found * _K2 / (tf_found + norm[paper])
            pair, at_like = expand(term, self._like_ptr)
            likes = np.bincount(
                paper[pair] * columns + self._like_col[at_like],
                weights=sat_found[pair] * self._like_w[at_like],
                minlength=n * columns,
            ).reshape(n, columns)
            # a topic's: the example it is most like (at most LIKE_CAP)
            liked = self._liked(likes)
            sims = sims + np.minimum(liked, LIKE_CAP)
            # a paper no profile counts: the topic whose examples it is most like, from their
            # lift (see _likes), when it holds SHARED of the topic's profile terms too
            over = liked / self._like_lift
            best = over.argmax(axis=1)
            ks = np.flatnonzero(over[np.arange(n), best] >= 1.0)
            for k, t in self._sharing(tf, ks, best[ks]):
                similar.candidates.setdefault(offset + k, t)
            similar.likes.append(likes)
        similar.rows.append(sims)
        similar.saturated.append(saturated)

    def _sharing(self, tf: np.ndarray, ks: np.ndarray, ts: np.ndarray) -> list[tuple[int, int]]:
        """The (paper, topic) pairs of ``ks`` and ``ts`` whose paper holds :data:`SHARED` of
        the topic's profile terms (``tf``: the chunk's counts of them)."""
        shared = ((tf[ks] > 0) & (self._weights[:, ts].T > 0)).sum(axis=1)
        keep = shared >= SHARED
        return list(zip(ks[keep].tolist(), ts[keep].tolist(), strict=True))

    def _term_counts(self, papers: Sequence[Paper]) -> np.ndarray:
        """Each paper's count of each term (papers x terms), its title counted twice: this
        pass's own automaton over the paper's words."""
        import numpy as np  # here: numpy loads only when papers are ranked

        n, count = len(papers), len(self.terms)
        find = self._automaton.find_matches_as_indexes  # type: ignore[union-attr]
        found: array[int] = array("q")  # the patterns found, paper after paper
        per_paper: list[int] = []
        for p in papers:
            # the title twice (a title mention counts TITLE = 2), then the abstract
            text = f" {p.title} {p.title} {p.abstract} "
            raw = (
                text.encode("ascii") if text.isascii() else text.lower().encode("utf-8", "replace")
            )
            before = len(found)
            found.extend(map(_FIRST, find(raw.translate(_WORDS), overlapping=True)))  # in C
            per_paper.append(len(found) - before)
        cells = (
            np.repeat(np.arange(n) * count, per_paper)
            + self._terms_of[np.frombuffer(found, dtype=np.int64)]
        )
        return np.bincount(cells, minlength=n * count).reshape(n, count)

    def finder(self, matcher: Matcher) -> WordFinder:
        """``matcher``'s automaton, also finding the words of the profiles' terms (each word
        numbered by its term), for :meth:`score_chunk`'s ``found``."""
        number = self._number
        return WordFinder(
            matcher, {word: number[t] for t, words in self.vocabulary.items() for word in words}
        )

    def explain(
        self, similar: Similar, pairs: Sequence[tuple[int, int]], ids: Sequence[str] = ()
    ) -> list[str]:
        """Why each (paper, topic) of ``pairs`` counts by the profile alone: ``one of your
        examples`` for a paper that is one (``ids``: the papers' ids, by pair), else ``like
        <example title>``, else ``shares a, b, c with your <topic> papers``, the terms it
        shares with the topic by their part of its similarity, the heaviest :data:`REASONS`."""
        import numpy as np  # here: numpy loads only when papers are ranked

        if not pairs:
            return []
        chunks = similar.saturated
        rows = np.stack([chunks[k // CHUNK][k % CHUNK] for k, _ in pairs])
        likes = similar.likes
        liked = [likes[k // CHUNK][k % CHUNK] if likes else None for k, _ in pairs]
        ts = [t for _, t in pairs]
        part = rows * self._weights[:, ts].T
        top = np.argsort(-part, axis=1, kind="stable")[:, :REASONS]
        keep = np.take_along_axis(part, top, axis=1) > 0
        words = self._words
        out = []
        for at, (t, best, kept) in enumerate(zip(ts, top.tolist(), keep.tolist(), strict=True)):
            profile = self.profiles[t]
            if ids and profile is not None and ids[at] in profile.example_ids:
                out.append("one of your examples")  # not "like" itself
                continue
            terms = [i for i, ok in zip(best, kept, strict=True) if ok]
            out.append(
                self._most_like(liked[at], t)
                or self._like(t, terms)
                or f"shares {', '.join([words[t][i] for i in terms])} "
                f"with your {self.profiles[t].topic} papers"  # type: ignore[union-attr]
            )
        return out

    def scores(self, title: str, abstract: str) -> tuple[dict[int, float], dict[int, str]]:
        """One paper's similarity to each topic (those above 0), and the topics it may reach
        by its profile alone, with why: :meth:`score` for one paper."""
        similar = self.score([Paper("-", title, abstract, _DAY, "-")])
        lifted = [(0, similar.candidates[0])] if 0 in similar.candidates else []
        why = dict(zip([t for _, t in lifted], self.explain(similar, lifted), strict=True))
        return {t: x for t, x in enumerate(similar.rows[0][0].tolist()) if x}, why

    def subset(self, chosen: Sequence[int]) -> Profiles:
        """The profiles of some of the topics (by their places), on the same automaton."""
        other = object.__new__(Profiles)
        other.__dict__.update(self.__dict__)
        other.profiles = tuple(self.profiles[i] for i in chosen)
        renumber = {old: new for new, old in enumerate(chosen)}
        other.uses = [tuple((renumber[t], x) for t, x in use if t in renumber) for use in self.uses]
        other.avoided, other.exemplars = (
            {
                pid: kept
                for pid, ts in papers.items()
                if (kept := {renumber[t] for t in ts if t in renumber})
            }
            for papers in (self.avoided, self.exemplars)
        )
        other._index()
        other._matrices()
        return other

    def detail(self, similar: Similar, k: int, t: int) -> ProfileDetail:
        """Paper ``k`` (its place among those ``similar`` holds) against topic ``t``'s
        profile and examples, as :meth:`score_chunk` weighed it (``digest explain``)."""
        import numpy as np  # here: numpy loads only when papers are ranked

        row = similar.rows[k // CHUNK][k % CHUNK]
        saturated = similar.saturated[k // CHUNK][k % CHUNK]
        likes = similar.likes[k // CHUNK][k % CHUNK] if similar.likes else None
        part = saturated * self._weights[:, t]
        held = [int(i) for i in np.argsort(-part, kind="stable") if part[i] > 0]
        liked, like_title = 0.0, ""
        columns = np.flatnonzero(self._like_topic == t)
        if likes is not None and columns.size:
            best = int(columns[likes[columns].argmax()])  # the first of the most like
            liked, like_title = float(likes[best]), self._like_titles[best]
        # the similarity RELATED weighs is the profile's alone (likeness is added after)
        alone = row - np.minimum(self._liked(likes), LIKE_CAP)
        return ProfileDetail(
            float(row[t]), float(alone[t]), tuple(self._words[t][i] for i in held),
            like_title, liked, float(self._like_lift[t]) if like_title else None,
            int(alone.argmax()) if alone.max() > alone[t] else t,
        )  # fmt: skip

    def _liked(self, likes: np.ndarray | None) -> np.ndarray:
        """Per topic, a paper's likeness to the example of it it is most like (0 without):
        ``likes``, one paper's likeness to each example, or a row of them per paper."""
        import numpy as np  # here: numpy loads only when papers are ranked

        if likes is None:
            return np.zeros(len(self.profiles))
        liked = np.zeros((*likes.shape[:-1], len(self.profiles)))
        if len(self._like_titles):
            liked[..., self._like_topics] = np.maximum.reduceat(likes, self._like_starts, axis=-1)
        return liked

    def shared(self, t: int, found: Mapping[int, int]) -> int:
        """How many terms of topic ``t``'s profile a paper holds."""
        return len(self.members[t].intersection(found))

    def _most_like(self, likes: np.ndarray | None, t: int) -> str | None:
        """``like <title>`` of the example of topic ``t`` a paper is most like (``likes``: its
        likeness to each example), when it is at least :data:`LIKE_LIFT` like it."""
        if likes is None:
            return None
        import numpy as np  # here: numpy loads only when papers are ranked

        columns = np.flatnonzero(self._like_topic == t)
        if not columns.size:
            return None
        best = int(columns[likes[columns].argmax()])  # the first of the most like
        return f"like {self._like_titles[best]}" if likes[best] >= self._like_lift[t] else None

    def _like(self, t: int, shared: Sequence[int]) -> str | None:
        """``like <title>`` of the example a paper is most like: the one whose terms carry
        :data:`LIKE` of the weight of those it shares with topic ``t`` (``shared``)."""
        profile = self.profiles[t]
        if profile is None or not profile.examples or not shared:
            return None
        import numpy as np  # here: numpy loads only when papers are ranked

        weights = profile.weights
        terms = sorted({self.terms[i] for i in shared})
        whole = sum(weights[w] for w in terms)
        # each example's part, summed over the terms in one order (a library of thousands at
        # once), rounded so that equal parts are equal whatever their sums' rounding; the
        # first of the most like (it was the first in a set's order, which Python's hashing
        # of strings changes from run to run)
        part = np.zeros(len(profile.examples))
        for w in terms:
            if (holders := self._holders[t].get(w)) is not None:
                part[holders] += weights[w]
        part = part.round(9)
        best = int(part.argmax())
        if part[best] <= 0 or part[best] < round(LIKE * whole, 9):
            return None
        return f"like {profile.examples[best][0]}"


def vocabulary(
    papers: Iterable[Paper], stems: Stems, wanted: Collection[str]
) -> dict[str, set[bytes]]:
    """term -> the words that stem to it in ``papers``, for the ``wanted`` terms."""
    out: dict[str, set[bytes]] = {}
    seen: set[bytes] = set()
    for p in papers:
        seen.update(words_of(p.title + " " + p.abstract))
    for word in seen:
        stem = stems[word]
        if stem in wanted:
            out.setdefault(stem, set()).add(word)
    return out


def confident_papers(
    topics: Sequence[Topic], papers: Iterable[Paper], matcher: Matcher
) -> list[list[Paper]]:
    """Per topic, the papers that match it with confidence (one of its keywords in the title,
    or two distinct keywords) and whose exclusions do not veto it."""
    index = matcher.index
    counts: dict[int, list[int]] = {}  # keyword -> the topics it counts for
    vetoes: dict[int, list[int]] = {}  # keyword -> the topics it vetoes
    for t, topic in enumerate(topics):
        for k in dict.fromkeys(index[k.strip()] for k in topic.keywords):
            counts.setdefault(k, []).append(t)
        for k in dict.fromkeys(index[k.strip()] for k in topic.exclude):
            vetoes.setdefault(k, []).append(t)
    out: list[list[Paper]] = [[] for _ in topics]
    for paper in papers:
        in_title, in_abstract = matcher.count_pair(paper.title, paper.abstract)
        if not in_title and len(in_abstract) < 2:
            continue
        distinct: dict[int, int] = {}
        sure: set[int] = set()
        vetoed: set[int] = set()
        for k in {*in_title, *in_abstract}:
            for t in counts.get(k, ()):
                distinct[t] = distinct.get(t, 0) + 1
                if k in in_title:
                    sure.add(t)
            vetoed.update(vetoes.get(k, ()))
        sure.update(t for t, n in distinct.items() if n >= 2)
        for t in sure - vetoed:
            out[t].append(paper)
    return out


def learn_all(
    topics: Sequence[Topic],
    history: Sequence[Paper],
    matcher: Matcher,
    stats: TermStats | None = None,
    *,
    examples: Mapping[str, Sequence[Paper]] | None = None,
    avoid: Mapping[str, Sequence[Paper]] | None = None,
    learners: Collection[str] | None = None,
    **settings: float,
) -> Profiles:
    """The topics' profiles from ``history`` (the store's window, or the files ranked), with
    ``stats`` the term statistics (default: counted over ``history``), compiled for scoring.
    ``learners``: the names of the topics that learn one (default: every topic); the others
    have none (``None`` in their place) and rank by their keywords and words alone."""
    stems = Stems()
    if stats is None:
        stats = TermStats()
        stats.add(((p.title, p.abstract) for p in history), stems)
    examples, avoid = examples or {}, avoid or {}
    chosen = [t for t in topics if learners is None or t.name in learners]
    picked = dict(
        zip([t.name for t in chosen], confident_papers(chosen, history, matcher), strict=True)
    )
    vectors = Vectors(stems, stats.average)
    background = history[:: max(1, -(-len(history) // LIKE_SAMPLE))]
    profiles = [
        learn(
            t,
            picked[t.name],
            stats,
            stems,
            examples.get(t.name, ()),
            avoid.get(t.name, ()),
            vectors=vectors,
            background=background if examples.get(t.name) else (),
            **settings,  # type: ignore[arg-type]
        )
        if t.name in picked
        else None
        for t in topics
    ]
    seen = [*history, *(p for t in chosen for p in examples.get(t.name, ()))]
    wanted = {w for p in profiles if p is not None for w in p.every_term()}
    return Profiles(profiles, vocabulary(seen, stems, wanted), stats.average)
