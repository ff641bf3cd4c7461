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

The profile keeps its :data:`TERMS` heaviest positive terms (each in two confident papers at
least, when there are several). A paper's similarity is ``sum over w of profile(w) * v'(d)(w)``
(``v'`` unscaled), divided by the median similarity of the confident papers: about 1 for a
paper like those the topic already matches, 0 for one that shares none of its terms. The ranker
(:mod:`.score`) combines it with the keyword score.

Everything here is pure: the caller gives the papers (the store's history, or the files being
ranked) and the term statistics; :mod:`.profiles` keeps them in the store between builds.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import ahocorasick_rs
import snowballstemmer

from ..model import Paper, Topic
from .keywords import Matcher

TERMS = 30  # terms a profile keeps
Q = 3.0  # weight of the keywords' own terms in the profile
EXAMPLES = 1.0  # weight of the examples' mean vector
AVOID = 1.0  # weight of the avoided papers' mean vector (subtracted)
K1, B = 1.2, 0.75  # BM25's term-frequency saturation and length normalisation
TITLE = 2  # a title mention counts this many abstract mentions
SHARED = 3  # a paper no keyword matches must hold this many of a profile's terms to count
MIN_DOCS = 1  # a term must be in this many confident papers (when there are at least 4)

# Words that carry no topic: English function words and the boilerplate of abstracts.
STOPWORDS = frozenset(
    """a about above after again against all also although am among an and any are as at be
    because been before being below between both but by can could did do does doing down
    during each either et etc few for from further had has have having he her here hers him
    his how however i if in into is it its itself just may me might more most much must my no
    nor not now of off on once only or other our ours out over own per same she should so some
    such than that the their theirs them then there these they this those through thus to too
    under until up upon us very via was we were what when where whether which while who whom
    why will with within without would yet you your also al eg ie vs paper papers propose
    proposes proposed present presents show shows shown demonstrate demonstrates result
    results approach approaches method methods novel new using use used uses based existing
    furthermore moreover therefore work works study studies introduce introduces achieve
    achieves achieved significantly respectively well often many several various first second
    one two three different""".split()  # noqa: SIM905
)

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


def bag(paper: Paper, stems: Stems) -> tuple[dict[str, int], dict[str, list[bytes]], int]:
    """A paper's stems with their weighted counts (a title mention counts :data:`TITLE`), the
    words seen for each stem, and its length (characters)."""
    counts: dict[str, int] = {}
    seen: dict[str, list[bytes]] = {}
    title, abstract = words_of(paper.title), words_of(paper.abstract)
    for words, weight in ((title, TITLE), (abstract, 1)):
        for word in words:
            stem = stems[word]
            if stem:
                counts[stem] = counts.get(stem, 0) + weight
                seen.setdefault(stem, []).append(word)
    return counts, seen, len(paper.title) + len(paper.abstract)


def saturate(tf: float, length: float, average: float) -> float:
    """BM25's term-frequency factor."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))


def vector(counts: Mapping[str, int], length: int, average: float) -> dict[str, float]:
    """The term vector of a paper, scaled to length 1."""
    v = {w: saturate(tf, length, average) for w, tf in counts.items()}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {w: x / norm for w, x in v.items()}


@dataclass(frozen=True)
class Profile:
    """One topic's profile: its terms and weights, the word to show for each term, the
    similarity of a typical confident paper (``scale``), how many papers it learned from, and
    each example's title with its terms (for "like <example>")."""

    topic: str
    weights: Mapping[str, float]
    words: Mapping[str, str]
    scale: float
    learned: int = 0
    examples: tuple[tuple[str, frozenset[str]], ...] = ()
    avoid: frozenset[str] = frozenset()  # the ids of the papers to avoid: never the topic's


def keyword_stems(topic: Topic, stems: Stems) -> list[str]:
    """The stems of a topic's keywords (regular expressions have none)."""
    out: list[str] = []
    for keyword in topic.keywords:
        k = keyword.strip()
        if len(k) > 2 and k.startswith("/") and k.endswith("/"):
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
) -> Profile:
    """A topic's profile from its confident papers, examples and papers to avoid (see the
    module's docstring); ``terms`` and ``q`` default to :data:`TERMS` and :data:`Q`."""
    terms = TERMS if terms is None else terms
    q = Q if q is None else q
    average = stats.average
    total: dict[str, float] = {}
    docs: Counter[str] = Counter()
    words: dict[str, Counter[bytes]] = {}

    def mean(papers: Sequence[Paper], sign: float, count: bool) -> list[dict[str, float]]:
        vectors = []
        for p in papers:
            counts, seen, length = bag(p, stems)
            v = vector(counts, length, average)
            vectors.append(v)
            for w, x in v.items():
                total[w] = total.get(w, 0.0) + sign * x / len(papers)
            if count:
                docs.update(v)
                for w, ws in seen.items():
                    words.setdefault(w, Counter()).update(ws)
        return vectors

    avoided = frozenset(p.id for p in avoid)
    confident = [p for p in confident if p.id not in avoided]
    mean(confident, 1.0, True)
    for w in list(total):
        if len(confident) >= 4 and docs[w] < MIN_DOCS:
            del total[w]
    if examples:
        before = dict(total)
        total.clear()
        mean(examples, example_weight, True)
        for w, x in before.items():
            total[w] = total.get(w, 0.0) + x
    if avoid:
        mean(avoid, -avoid_weight, False)
    asked = keyword_stems(topic, stems)
    for w in asked:
        total[w] = total.get(w, 0.0) + q / math.sqrt(len(asked))
    for keyword in topic.keywords:  # the keywords' own words, to show their terms by
        for word in words_of(keyword):
            if stems[word]:
                words.setdefault(stems[word], Counter())[word] += 1
    weighted = {w: x * stats.idf(w) for w, x in total.items() if x > 0}
    kept = dict(sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0]))[:terms])
    shown = {w: _word(w, words.get(w)) for w in kept}
    profile = Profile(topic.name, kept, shown, 1.0, len(confident), avoid=avoided)
    learned_from = confident or list(examples)
    sims = sorted(similarity(profile, p, stems, average) for p in learned_from)
    typical = statistics.median(sims) if sims else 0.0
    if typical <= 0:  # nothing to learn from yet: one mention of the heaviest term
        typical = max(kept.values(), default=1.0) * saturate(1, average, average)
    marks = tuple((e.title, frozenset(w for w in bag(e, stems)[0] if w in kept)) for e in examples)
    return Profile(topic.name, kept, shown, typical, len(confident), marks, avoided)


def _word(stem: str, seen: Counter[bytes] | None) -> str:
    if not seen:
        return stem
    return min(seen.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0].decode(
        "utf-8", "replace"
    )


def similarity(profile: Profile, paper: Paper, stems: Stems, average: float) -> float:
    """A paper's unscaled similarity to a profile (the slow path, for learning)."""
    counts, _, length = bag(paper, stems)
    weights = profile.weights
    return sum(
        weights[w] * saturate(tf, length, average) for w, tf in counts.items() if w in weights
    )


def confident(found: Mapping[int, tuple[int, int]], keywords: Iterable[int]) -> bool:
    """Whether a paper matches a topic with confidence: one of its keywords in the title, or
    two distinct keywords. ``found``: keyword -> (mentions in the title, in the abstract)."""
    distinct = 0
    for k in keywords:
        counts = found.get(k)
        if counts is None:
            continue
        if counts[0]:
            return True
        distinct += 1
        if distinct >= 2:
            return True
    return False


# -- scoring many papers: one pass of an automaton over every profile's words -------------------


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
        self.profiles = tuple(profiles)
        self.average = average
        self.vocabulary = {
            w: tuple(sorted(set(vocabulary.get(w, ()))))
            for p in self.profiles
            if p is not None
            for w in p.weights
        }
        terms = sorted(self.vocabulary)
        self.terms = tuple(terms)
        number = {w: i for i, w in enumerate(terms)}
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
        self._payloads = payloads
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                patterns, implementation=ahocorasick_rs.Implementation.DFA
            )
            if patterns
            else None
        )
        self._k1 = K1 * (1 - B)
        self._k1b = K1 * B / average
        self.avoided: dict[str, set[int]] = {}  # paper id -> the topics it must not count for
        for t, p in enumerate(self.profiles):
            for pid in p.avoid if p is not None else ():
                self.avoided.setdefault(pid, set()).add(t)

    def __getstate__(self) -> dict[str, object]:
        return {"profiles": self.profiles, "vocabulary": self.vocabulary, "average": self.average}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["profiles"], state["vocabulary"], state["average"])  # type: ignore[misc, arg-type]

    def hits(self, title: str, abstract: str) -> tuple[dict[int, int], int]:
        """The profile terms of a paper with their weighted counts (a title mention counts
        :data:`TITLE`), and the paper's length (characters)."""
        if self._automaton is None:
            return {}, 0
        if title.isascii() and abstract.isascii():
            head = b" " + title.encode("ascii").translate(_WORDS) + b" "
            tail = abstract.encode("ascii").translate(_WORDS) + b" "
        else:
            head = b" " + title.lower().encode("utf-8", "replace").translate(_WORDS) + b" "
            tail = abstract.lower().encode("utf-8", "replace").translate(_WORDS) + b" "
        text = head + tail
        cut = len(head)
        payloads = self._payloads
        found: dict[int, int] = {}
        for pid, start, _ in self._automaton.find_matches_as_indexes(text, overlapping=True):
            i = payloads[pid]
            found[i] = found.get(i, 0) + (TITLE if start < cut else 1)
        return found, len(title) + len(abstract)

    def scores(self, title: str, abstract: str) -> tuple[dict[int, float], dict[int, int]]:
        """Each topic's similarity for a paper (scaled: about 1 for a typical confident
        paper), and the profile terms found (their weighted counts)."""
        found, length = self.hits(title, abstract)
        if not found:
            return {}, found
        norm = self._k1 + self._k1b * length
        uses = self.uses
        out: dict[int, float] = {}
        for i, tf in found.items():
            factor = tf * (K1 + 1) / (tf + norm)
            for t, x in uses[i]:
                out[t] = out.get(t, 0.0) + x * factor
        return out, found

    def subset(self, chosen: Sequence[int]) -> Profiles:
        """The profiles of some of the topics (by their places), on the same automaton."""
        other = object.__new__(Profiles)
        other.__dict__.update(self.__dict__)
        other.profiles = tuple(self.profiles[i] for i in chosen)
        renumber = {old: new for new, old in enumerate(chosen)}
        other.uses = [tuple((renumber[t], x) for t, x in use if t in renumber) for use in self.uses]
        return other

    def reason(self, t: int, found: Mapping[int, int]) -> str:
        """Why a paper no keyword matched counts for topic ``t``: ``like <example title>``
        when it shares most of its profile terms with one example, else ``shares a, b, c with
        your <topic> papers``."""
        profile = self.profiles[t]
        assert profile is not None
        example = self.like(t, found)
        if example is not None:
            return f"like {example}"
        return f"shares {', '.join(self.reasons(t, found))} with your {profile.topic} papers"

    def shared(self, t: int, found: Mapping[int, int]) -> int:
        """How many terms of topic ``t``'s profile a paper holds."""
        profile = self.profiles[t]
        if profile is None:
            return 0
        weights, terms = profile.weights, self.terms
        return sum(1 for i in found if terms[i] in weights)

    def reasons(self, t: int, found: Mapping[int, int], count: int = 4) -> tuple[str, ...]:
        """The words of the terms a paper shares with topic ``t``'s profile, heaviest first."""
        profile = self.profiles[t]
        if profile is None:
            return ()
        weights = profile.weights
        shared = [
            (weights[self.terms[i]] * tf / (tf + 1), self.terms[i])
            for i, tf in found.items()
            if self.terms[i] in weights
        ]
        shared.sort(key=lambda s: (-s[0], s[1]))
        return tuple(profile.words[w] for _, w in shared[:count])

    def like(self, t: int, found: Mapping[int, int]) -> str | None:
        """The title of the example a paper is most like, when it shares most of its profile
        terms with one."""
        profile = self.profiles[t]
        if profile is None or not profile.examples:
            return None
        terms = {self.terms[i] for i in found} & profile.weights.keys()
        if not terms:
            return None
        weights = profile.weights
        whole = sum(weights[w] for w in terms)
        best, share = None, 0.0
        for title, ts in profile.examples:
            part = sum(weights[w] for w in terms & ts)
            if part > share:
                best, share = title, part
        return best if share >= 0.6 * whole and best is not None else None


def vocabulary(papers: Iterable[Paper], stems: Stems) -> dict[str, set[bytes]]:
    """term -> the words that stem to it, in ``papers``."""
    out: dict[str, set[bytes]] = {}
    seen: set[bytes] = set()
    for p in papers:
        seen.update(words_of(p.title + " " + p.abstract))
    for word in seen:
        stem = stems[word]
        if stem:
            out.setdefault(stem, set()).add(word)
    return out


def confident_papers(
    topics: Sequence[Topic], papers: Iterable[Paper], matcher: Matcher
) -> list[list[Paper]]:
    """Per topic, the papers that match it with confidence (see :func:`confident`) and whose
    exclusions do not veto it."""
    index = matcher.index
    wanted = [[index[k.strip()] for k in t.keywords] for t in topics]
    vetoes = [{index[k.strip()] for k in t.exclude} for t in topics]
    out: list[list[Paper]] = [[] for _ in topics]
    for paper in papers:
        in_title, in_abstract = matcher.count_pair(paper.title, paper.abstract)
        if not in_title and len(in_abstract) < 2:
            continue
        found = {k: (in_title.get(k, 0), in_abstract.get(k, 0)) for k in {*in_title, *in_abstract}}
        for t, keywords in enumerate(wanted):
            if confident(found, keywords) and vetoes[t].isdisjoint(found):
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
    **settings: float,
) -> Profiles:
    """Every topic's profile from ``history`` (the store's window, or the files ranked), with
    ``stats`` the term statistics (default: counted over ``history``), compiled for scoring."""
    stems = Stems()
    if stats is None:
        stats = TermStats()
        stats.add(((p.title, p.abstract) for p in history), stems)
    examples, avoid = examples or {}, avoid or {}
    picked = confident_papers(topics, history, matcher)
    profiles = [
        learn(t, found, stats, stems, examples.get(t.name, ()), avoid.get(t.name, ()), **settings)  # type: ignore[arg-type]
        for t, found in zip(topics, picked, strict=True)
    ]
    seen = [*history, *(p for ps in examples.values() for p in ps)]
    return Profiles(profiles, vocabulary(seen, stems), stats.average)
