"""Rank: each date's papers scored against the topics, the highlights picked, a TL;DR each.

Pure functions over model objects (no store, no sources, no disk), so dates can be ranked on
other processes. The score, for a paper and a topic (see docs/quality.md for how it was chosen):

    score(topic) = weight * (keywords + WORDS * words + DESCRIPTION * described
                             + PROFILE * similarity) * community

    keywords = sum over the topic's keywords k that match of
               idf(k) * (TITLE * sat(tf_title(k)) + sat(tf_abstract(k)))
    sat(tf) = tf * (K1 + 1) / (tf + K1)                  repeated mentions saturate
    idf(k)  = F + (1 - F) * bm25_idf(df(k)) / bm25_idf(1)  1 for a keyword in one paper of the
                                                         day, F = 0.5 for one in every paper
    bm25_idf(n) = ln(1 + (N - n + 0.5) / (n + 0.5))      N papers that day, df: how many match k

    words, described: the words of the topic's keywords, and of its description, each
                matched on its own (:mod:`.words`): sum over those in the paper of
                repeats(w) * rarity(w) * (TITLE * sat(tf_title(w)) + sat(tf_abstract(w))),
                rarity without the floor (about 0 for a word in every paper), repeats(w) =
                n ** WORD_REPEATS for a word in n of the topic's keywords (1 for a
                description's), divided by the day's highest for the topic; a paper no
                keyword matches counts for the topic when it holds all the words of one of
                its keywords, or when the sum over its words, each counted once (repeats 1,
                before the day's best divides it), reaches WORDS_ALONE (it is then "related"
                by its words); description words add only to a paper that counts
    WORDS, DESCRIPTION, PROFILE: ranking.words, ranking.description, ranking.profile
    similarity: the paper against the topic's learned profile (:mod:`.profile`), about 1 for a
                paper like those the keywords match with confidence; a paper no keyword matches
                counts for the topic whose profile it is most like, when it reaches
                profile.RELATED there with profile.SHARED terms in common (it is then
                "related" to that topic); a topic's example counts for it ("one of your examples")
    community = 1 + UPVOTES * ln(1 + upvotes) / ln(1 + the day's most upvotes)

A match of an exclusion vetoes the topic for that paper (score 0). A paper's score is its best
topic's. Ties break by upvotes (when a source gives them), then by id: deterministic.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import functools
import itertools
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import orjson

from .. import collector
from .. import workers as process_map
from ..model import Highlights, Paper, RankedDay, Ranking, ScoredPaper, Topic
from ..rows import (
    decode_day,
    encode_day,
    encode_ranked,
    encode_row,
    new_scored,
    unmatched,
    unmatched_row,
)
from .arrays import expand
from .keywords import FEW_PAPERS, Matcher, WordFinder
from .profile import CHUNK, REASONS, Profiles, Similar
from .tldr import tldr
from .words import content_words

if TYPE_CHECKING:
    import numpy as np

TITLE = 2.0  # a title mention counts this many abstract mentions
K1 = 3.0  # saturation: 1 mention -> 1.0, 2 -> 1.6, 5 -> 2.5, never more than 4 (chosen by measurement)
IDF_FLOOR = 0.5  # a keyword in every paper of the day still counts half (chosen by measurement)
# a paper no keyword of a topic matches counts for it from this sum of its words on (before
# the day's best divides it: a rare word in the title, or in the abstract twice), as it does
# holding all the words of one of its keywords (chosen on ml, cv and cs by cross-validation
# among 1, 1.5, 2, 3 and none, the strictest of the best; see docs/quality.md)
WORDS_ALONE = 2.0
# a word in n of a topic's keywords weighs n ** WORD_REPEATS there ("code" in "code
# generation", "code LLM" and "agentic coding" weighs 3): the words its user wrote most are
# the topic's centre (chosen on ml, cv and cs by cross-validation among 0, 0.5 and 1)
WORD_REPEATS = 1.0
# what the scores and reasons are made by: a store's ranked dates made by another version
# were scored otherwise, and are ranked again (part of the build's ranking key). Bump it with
# any change to what rank_day gives; tests/test_scoring_version.py holds it to the output.
VERSION = 6
THOUSANDTHS = 10**15  # above any score in thousandths: sort keys stay positive
_MEMO = 100_000  # texts of matched keywords kept across dates, at most
DEFAULT_RULES = Highlights()
DEFAULT_RANKING = Ranking()


class Detail(enum.IntEnum):
    """Which papers of a date get a TL;DR, or the spans of their matched keywords (for
    bolding): none, the highlights, every paper a topic matched, or every paper."""

    NONE = 0
    HIGHLIGHTS = 1
    MATCHED = 2
    ALL = 3

    def wanted(self, matched: bool, highlight: bool) -> bool:
        """Whether a paper gets it: ``matched``, whether a topic matched the paper."""
        return (
            self is Detail.ALL
            or (self is Detail.MATCHED and matched)
            or (self is not Detail.NONE and highlight)
        )


@dataclass(frozen=True)
class Ranker:
    """Topics compiled once per config: a matcher over every keyword and exclusion, and for each
    keyword the topics it counts for (``uses``) or vetoes (``vetoes``)."""

    topics: tuple[Topic, ...]
    matcher: Matcher
    uses: Mapping[int, tuple[int, ...]]
    vetoes: Mapping[int, tuple[int, ...]]
    order: tuple[Mapping[int, int], ...]  # per topic: keyword -> its place in the config
    # per topic: keyword -> the topic's keywords it stands for, as written, in the config's
    # order ("scaling law" and "scaling laws" match the same, are counted once, and are both
    # what the topic matched)
    spelled: tuple[Mapping[int, tuple[str, ...]], ...]
    profiles: Profiles | None = None  # the topics' learned profiles, in the topics' order
    settings: Ranking = DEFAULT_RANKING
    avoid: Mapping[str, frozenset[str]] = field(default_factory=dict)  # topic -> paper ids
    avoided: Mapping[str, frozenset[int]] = field(default_factory=dict)  # paper id -> topics
    words: frozenset[int] = frozenset()  # every word of a topic's keywords or description
    # per word (see .words): the slots it adds to (see _Scores), each with its weight there:
    # slot t for topic t's keywords, T + t for its description (T topics)
    word_slots: Mapping[int, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    # per word: the keywords of two words or more it is one of: (topic, the keyword's place
    # among them, all its words, the reason a paper that holds them all, apart, counts for
    # the topic)
    loose_of: Mapping[int, tuple[tuple[int, int, frozenset[int], str], ...]] = field(
        default_factory=dict
    )
    # per topic: word -> that word as the topic's keywords spell it (a reason names it so,
    # not as another topic's "models" that matches the same)
    word_spelled: tuple[Mapping[int, str], ...] = ()

    @classmethod
    def compile(
        cls,
        topics: Sequence[Topic],
        matcher: Matcher | None = None,
        papers: int | None = None,
        *,
        profiles: Profiles | None = None,
        settings: Ranking = DEFAULT_RANKING,
        avoid: Mapping[str, Collection[str]] | None = None,
    ) -> Ranker:
        """``matcher``: one already compiled over (at least) these topics' keywords;
        ``papers``: how many papers it will rank, when known (few are ranked sooner by a
        matcher that is quicker to build, see :data:`FEW_PAPERS`); ``profiles``: the topics'
        learned profiles (:func:`.profile.learn_all`), none for keywords and words alone (a
        topic whose profile is ``None`` ranks by them); ``avoid``: per topic name, the ids
        of the papers that never count for it (with or without profiles)."""
        few = papers is not None and papers < FEW_PAPERS
        keywords = [k for t in topics for k in (*t.keywords, *t.exclude)]
        words = [  # per topic: the words of its keywords, and of its description
            (
                content_words(t.keywords) if settings.words > 0 else [],
                content_words([t.description]) if settings.description > 0 else [],
            )
            for t in topics
        ]
        matcher = matcher or Matcher(
            [*keywords, *(w for pair in words for ws in pair for w in ws)], few
        )
        uses: dict[int, list[int]] = {}
        vetoes: dict[int, list[int]] = {}
        order = []
        for t, topic in enumerate(topics):
            ids = [matcher.index[k.strip()] for k in topic.keywords]
            order.append({k: place for place, k in reversed(list(enumerate(ids)))})
            for k in dict.fromkeys(ids):
                uses.setdefault(k, []).append(t)
            for k in dict.fromkeys(matcher.index[k.strip()] for k in topic.exclude):
                vetoes.setdefault(k, []).append(t)
        worded: dict[int, list[int]] = {}
        described: dict[int, list[int]] = {}
        repeats: dict[tuple[int, int], int] = {}  # (word, topic) -> keywords of the topic with it
        for t, pair in enumerate(words):
            for ws, into in zip(pair, (worded, described), strict=True):
                # a matcher compiled for other settings may lack a word: it is not counted
                for k in dict.fromkeys(matcher.index[w] for w in ws if w in matcher.index):
                    into.setdefault(k, []).append(t)
            if pair[0]:  # each keyword once ("scaling law" and "scaling laws" are one)
                distinct = {matcher.index[k.strip()]: k for k in reversed(topics[t].keywords)}
                for keyword in distinct.values():
                    for k in {matcher.index.get(w) for w in content_words([keyword])} - {None}:
                        repeats[k, t] = repeats.get((k, t), 0) + 1  # type: ignore[index]
        slots = {
            k: (
                *((t, float(repeats.get((k, t), 1)) ** WORD_REPEATS) for t in worded.get(k, ())),
                *((len(topics) + t, 1.0) for t in described.get(k, ())),
            )
            for k in {*worded, *described}
        }
        return cls(
            tuple(topics),
            matcher,
            {k: tuple(v) for k, v in uses.items()},
            {k: tuple(v) for k, v in vetoes.items()},
            tuple(order),
            tuple(_spelled(topic, matcher) for topic in topics),
            profiles if settings.profile > 0 and profiles and profiles.any() else None,
            settings,
            *_avoided(topics, avoid or {}, profiles),
            frozenset(slots),
            slots,
            _loose(topics, matcher, worded),
            tuple(
                {k: w for w in reversed(ws) if (k := matcher.index.get(w)) is not None}
                for ws, _ in words
            ),
        )

    @functools.cached_property
    def finder(self) -> WordFinder | None:
        """The matcher's automaton, also finding the profiles' words (none without profiles),
        made on first use."""
        return self.profiles.finder(self.matcher) if self.profiles is not None else None

    @functools.cached_property
    def tables(self) -> _Tables:
        """The maps from keywords to topics as arrays, made on first use (:class:`_Tables`)."""
        return _Tables.of(self)

    def only(self, names: Sequence[str]) -> Ranker:
        """The ranker of some of the topics, on the same compiled matcher and profiles (a
        keyword's weight depends on that keyword alone, a profile on its topic alone, so the
        scores are those of a ranker compiled anew)."""
        chosen = [i for i, t in enumerate(self.topics) if t.name in names]
        return Ranker.compile(
            [self.topics[i] for i in chosen],
            self.matcher,
            profiles=self.profiles.subset(chosen) if self.profiles is not None else None,
            settings=self.settings,
            avoid=self.avoid,
        )


def _spelled(topic: Topic, matcher: Matcher) -> dict[int, tuple[str, ...]]:
    """A topic's keyword texts by the matcher's index, each as written, in the config's order:
    one index may stand for two of them ("scaling law", "scaling laws")."""
    out: dict[int, dict[str, None]] = {}
    for keyword in topic.keywords:
        text = keyword.strip()
        out.setdefault(matcher.index[text], {})[text] = None
    return {k: tuple(texts) for k, texts in out.items()}


def _loose(
    topics: Sequence[Topic], matcher: Matcher, worded: Mapping[int, Collection[int]]
) -> dict[int, tuple[tuple[int, int, frozenset[int], str], ...]]:
    """Per word of the topics' keywords, the keywords of two words or more it is one of, as
    (topic, the keyword's place in the config, all its words, why): a paper that holds all of
    them counts for the topic, and says so: ``shares test, generation with your testing
    keywords`` (the keyword's words; the first such keyword of the topic's, in the config's
    order, when it holds several)."""
    out: dict[int, list[tuple[int, int, frozenset[int], str]]] = {}
    for t, topic in enumerate(topics):
        for place, keyword in enumerate(topic.keywords):
            ws = content_words([keyword])
            if len(ws) < 2 or not all(w in matcher.index for w in ws):
                continue
            ks = frozenset(matcher.index[w] for w in ws)  # two words may be one ("learn")
            if len(ks) > 1 and all(t in worded.get(k, ()) for k in ks):
                why = f"shares {', '.join(ws)} with your {topic.name} keywords"
                for k in ks:
                    out.setdefault(k, []).append((t, place, ks, why))
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def _avoided(
    topics: Sequence[Topic], avoid: Mapping[str, Collection[str]], profiles: Profiles | None
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[int]]]:
    """The papers to avoid per topic name (those ``avoid`` names, for these topics), and per
    paper id the places of the topics it must not count for (those the profiles avoid too)."""
    places = {t.name: i for i, t in enumerate(topics)}
    kept = {name: frozenset(ids) for name, ids in avoid.items() if name in places and ids}
    by_paper: dict[str, set[int]] = {}
    for name, ids in kept.items():
        for pid in ids:
            by_paper.setdefault(pid, set()).add(places[name])
    for pid, ts in (profiles.avoided if profiles is not None else {}).items():
        by_paper.setdefault(pid, set()).update(ts)
    return kept, {pid: frozenset(ts) for pid, ts in by_paper.items() if ts}


def rank_day(
    date: dt.date,
    papers: Sequence[Paper],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    *,
    tldrs: Detail = Detail.MATCHED,
    marks: Detail = Detail.MATCHED,
) -> RankedDay:
    """Score one date's papers, pick its highlights, and give the papers ``tldrs`` names a
    TL;DR and those ``marks`` names the spans of their matched keywords (for bolding)."""
    with collector.paused():
        scores = _Scores(_read(papers, ranker), ranker)
        return _assemble(date, papers, scores, ranker, rules, tldrs, marks)


Read = Callable[[Sequence[str] | None], Iterable[Paper]]


def rank_encoded(
    date: dt.date,
    read: Read,
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    *,
    tldrs: Detail = Detail.MATCHED,
    marks: Detail = Detail.MATCHED,
) -> tuple[int, int, bytes]:
    """:func:`rank_day` of a date's papers, encoded (:func:`~digest.rows.encode_day`, the same
    bytes), without holding the papers: ``read(None)`` gives every paper of the date (each
    id once), ``read(ids)`` those with these ids, in any order. The papers are read once to
    score them, keeping what ranking found of each, and those that get a TL;DR or marks once
    more. Returns (papers, highlights, the ranking encoded)."""
    return rank_encoded_many([(date, read)], ranker, rules, tldrs=tldrs, marks=marks)[0]


def rank_encoded_many(
    dates: Sequence[tuple[dt.date, Read]],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    *,
    tldrs: Detail = Detail.MATCHED,
    marks: Detail = Detail.MATCHED,
) -> list[tuple[int, int, bytes]]:
    """:func:`rank_encoded` of several dates, each ranked on its own, their papers read
    together (as :func:`rank_days` reads a batch of dates): a build's small dates, from the
    store."""
    sizes = [0] * len(dates)

    def each() -> Iterator[Paper]:
        for j, (_, read) in enumerate(dates):
            for paper in read(None):
                sizes[j] += 1
                yield paper

    with collector.paused():
        whole = _read(each(), ranker)
        return [
            _encoded(date, _Scores(part, ranker), read, ranker, rules, tldrs, marks)
            for (date, read), part in zip(dates, whole.split(sizes), strict=True)
        ]


def _encoded(
    date: dt.date,
    scores: _Scores,
    read: Read,
    ranker: Ranker,
    rules: Highlights,
    tldrs: Detail,
    marks: Detail,
) -> tuple[int, int, bytes]:
    """A date scored, its highlights picked, the papers that get a TL;DR or marks read again
    (``read(ids)``), encoded: (papers, highlights, the ranking encoded)."""
    ids, fields, n = scores.ids, scores.fields, len(scores.ids)
    order = sorted(scores.keys)
    at = [scores.places[key % n] for key in order]  # each paper's index, in rank order
    chosen = _pick_highlights(
        ((f[0], f[1]) if (f := fields[i]) is not None else (0.0, None) for i in at), rules
    )
    highlight = {at[c] for c in chosen}

    def changed(i: int) -> bool:  # by _finish, so read again
        found = fields[i]
        matched = found is not None and bool(found[2])  # its topics
        return i in highlight or tldrs.wanted(matched, False) or marks.wanted(matched, False)

    wanted = [i for i in range(n) if changed(i)]
    done: dict[int, tuple[bool, str | None, Marks, Marks]] = {}
    where = {ids[i]: i for i in wanted}
    matcher = ranker.matcher
    for paper in read([ids[i] for i in wanted]):
        i = where.pop(paper.id, -1)
        if i >= 0:
            s = _finish(_scored(paper, fields[i]), i in highlight, tldrs, marks, matcher)
            done[i] = (s.highlight, s.tldr, s.title_marks, s.abstract_marks)
    if where:
        raise ValueError(f"{date}: papers left the store while it was ranked")
    rank_of = [0] * n  # tie place -> place in rank order
    for position, key in enumerate(order):
        rank_of[key % n] = position
    encoded = encode_ranked(
        chosen,
        {
            name: [rank_of[key % n] for key in sorted(section)]
            for name, section in zip(scores.names, scores.sections, strict=True)
        },
        scores.unmatched,
        n,
        (_row(ids[i], fields[i], done.get(i)) for i in at),
    )
    return n, len(chosen), encoded


Marks = tuple[tuple[int, int], ...]
Fields = tuple[float, str | None, dict[str, float], dict[str, tuple[str, ...]], dict[str, str]]


def _scored(paper: Paper, fields: Fields | None) -> ScoredPaper:
    """A scored paper before highlights, TL;DRs and marks, from what :class:`_Scores` found
    (``None``: no topic matched it)."""
    if fields is None:
        return unmatched(paper)
    score, topic, topics, matched, related = fields
    return new_scored(
        paper=paper, score=score, topic=topic, topics=topics, matched=matched, highlight=False,
        tldr=None, title_marks=(), abstract_marks=(), related=related,
    )  # fmt: skip


def _row(
    pid: str, fields: Fields | None, done: tuple[bool, str | None, Marks, Marks] | None
) -> bytes:
    """:func:`~digest.rows.scored_row` of a paper without the paper: what :class:`_Scores`
    found, and ``done``, what :func:`_finish` added (highlight, TL;DR, marks)."""
    if fields is None and done is None:
        return unmatched_row(pid)
    score, topic, topics, matched, related = fields or (0.0, None, {}, {}, {})
    highlight, tldr, title_marks, abstract_marks = done or (False, None, (), ())
    return encode_row(
        id=pid, score=score, topic=topic, topics=topics, matched=matched, highlight=highlight,
        tldr=tldr, title_marks=title_marks, abstract_marks=abstract_marks, related=related,
    )  # fmt: skip


@dataclass
class _Read:
    """What ranking keeps of a date's papers, read once: their ids and upvotes; each keyword
    of each paper, as three arrays of the same length sorted by paper, then keyword (the
    paper's place, the keyword's index, the weight of its mentions before idf); and the
    papers' similarity to the profiles."""

    ids: list[str]
    votes: list[int]
    place: np.ndarray
    key: np.ndarray
    found: np.ndarray
    similar: Similar | None

    def split(self, sizes: Sequence[int]) -> list[_Read]:
        """What was read of several dates' papers, read together (``sizes``: how many papers
        each date has, in order), as each date's own."""
        import numpy as np

        if len(sizes) == 1:
            return [self]
        bounds = np.cumsum([0, *sizes]).tolist()
        cuts = np.searchsorted(self.place, bounds).tolist()  # rows are sorted by paper
        similar = self.similar
        candidates: list[dict[int, int]] = [{} for _ in sizes]
        if similar is not None:
            rows, saturated = np.concatenate(similar.rows), np.concatenate(similar.saturated)
            likes = np.concatenate(similar.likes) if similar.likes else None
            for k, t in similar.candidates.items():
                j = bisect.bisect_right(bounds, k) - 1
                candidates[j][k - bounds[j]] = t
        out = []
        for j in range(len(sizes)):
            a, b, lo, hi = bounds[j], bounds[j + 1], cuts[j], cuts[j + 1]
            part = None
            if similar is not None:  # in chunks of CHUNK papers, as score_chunk makes them
                starts = range(a, b, CHUNK) if b > a else [a]
                part = Similar(
                    [rows[x : min(x + CHUNK, b)] for x in starts],
                    candidates[j],
                    [saturated[x : min(x + CHUNK, b)] for x in starts],
                    [likes[x : min(x + CHUNK, b)] for x in starts] if likes is not None else [],
                )
            out.append(
                _Read(
                    self.ids[a:b],
                    self.votes[a:b],
                    self.place[lo:hi] - a,
                    self.key[lo:hi],
                    self.found[lo:hi],
                    part,
                )
            )
        return out


def _read(papers: Iterable[Paper], ranker: Ranker) -> _Read:
    """Each paper's keywords, with the weight of their mentions before idf: ``TITLE *
    sat(tf in the title) + sat(tf in the abstract)``; and its similarity to the profiles,
    whose words the same pass finds. A chunk of papers at a time: only their keywords are
    kept."""
    import numpy as np

    matcher = ranker.matcher
    ids: list[str] = []
    votes: list[int] = []
    parts: list[tuple[np.ndarray, ...]] = []
    profiles = ranker.profiles
    similar = Similar([], {}) if profiles is not None else None
    chunk: list[Paper] = []

    def flush() -> None:
        offset = len(ids) - len(chunk)
        if profiles is None:
            place, key, in_title, in_abstract = matcher.occurrences(chunk)
        else:  # the profiles' words found in the same pass
            rows, words = matcher.occurrences_and_words(chunk, ranker.finder)  # type: ignore[arg-type]
            place, key, in_title, in_abstract = rows
            profiles.score_chunk(chunk, offset, similar, words)  # type: ignore[arg-type]
        parts.append((place + offset, key, in_title, in_abstract))
        chunk.clear()

    for paper in papers:
        ids.append(paper.id)
        votes.append(paper.upvotes)
        chunk.append(paper)
        if len(chunk) == CHUNK:
            flush()
    if chunk or not parts:
        flush()
    place, key, in_title, in_abstract = (np.concatenate(c) for c in zip(*parts, strict=True))
    # one row per paper and keyword, sorted by both: a sum over a paper's keywords (bincount)
    # adds them in the keywords' order
    cells, at = np.unique(place * len(matcher.texts) + key, return_inverse=True)
    tf_title = np.bincount(at, weights=in_title, minlength=len(cells))
    tf_abstract = np.bincount(at, weights=in_abstract, minlength=len(cells))
    found = TITLE * (tf_title * (K1 + 1) / (tf_title + K1)) + tf_abstract * (K1 + 1) / (
        tf_abstract + K1
    )
    return _Read(
        ids, votes, cells // len(matcher.texts), cells % len(matcher.texts), found, similar
    )


def _idf(df: np.ndarray, n: int, floors: Sequence[float] = (IDF_FLOOR,)) -> list[np.ndarray]:
    """Each keyword's idf among the date's ``n`` papers, from ``df`` (by keyword: how many
    papers it is in; see the module's docstring), once per floor of ``floors``; a word's
    (floor 0) is 1 for a word in one paper of the day, about 0 for one in every paper.
    Computed once per count (by ``math.log``, the same on every machine), where ``df`` is
    not 0."""
    import numpy as np

    present = np.flatnonzero(df)
    counts, at = np.unique(df[present], return_inverse=True)
    top_idf = math.log(1 + (n - 1 + 0.5) / 1.5) if n > 1 else 1.0
    base = [
        math.log(1 + (n - d + 0.5) / (d + 0.5)) / top_idf if n > 1 else 1.0 for d in counts.tolist()
    ]
    out = []
    for floor in floors:
        idf = np.zeros(len(df))
        idf[present] = np.array([floor + (1 - floor) * b for b in base], dtype=np.float64)[at]
        out.append(idf)
    return out


@dataclass(frozen=True)
class _Tables:
    """A ranker's maps from keywords (by the matcher's index) to what they count for, as
    arrays for :class:`_Scores`: each a pair (``ptr``, ``items``), keyword ``k``'s items
    being ``items[ptr[k]:ptr[k + 1]]`` (compressed sparse rows)."""

    uses: tuple[np.ndarray, np.ndarray]  # the topics a keyword counts for
    vetoes: tuple[np.ndarray, np.ndarray]  # the topics it vetoes
    slots: tuple[np.ndarray, np.ndarray]  # the slots a word adds to (Ranker.word_slots)
    weights: np.ndarray  # the word's weight in each of those slots (by slots' items)
    once: np.ndarray  # its weight there for WORDS_ALONE: 1, each word counted once
    loose: tuple[np.ndarray, np.ndarray]  # the keywords of two words or more it is one of
    # per such keyword, by loose's items: its topic, its place in the topic's keywords, how
    # many words it has, why a paper that holds them all counts for the topic
    loose_topic: np.ndarray
    loose_place: np.ndarray
    needed: np.ndarray
    loose_why: tuple[str, ...]
    # what a topic matched of a paper holding several of its keywords, as it is shown
    matched: dict[tuple[int, tuple[int, ...]], tuple[str, ...]] = field(
        default_factory=dict, compare=False
    )

    @classmethod
    def of(cls, ranker: Ranker) -> _Tables:
        import numpy as np

        size = len(ranker.matcher.texts)

        def csr(rows: Mapping[int, Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
            ptr = np.zeros(size + 1, dtype=np.int_)
            for k, items in rows.items():
                ptr[k + 1] = len(items)
            items = [x for k in sorted(rows) for x in rows[k]]
            return np.cumsum(ptr), np.array(items, dtype=np.int_)

        loose = list(dict.fromkeys(e for entries in ranker.loose_of.values() for e in entries))
        number = {entry: j for j, entry in enumerate(loose)}
        slots = ranker.word_slots
        return cls(
            csr(ranker.uses),
            csr(ranker.vetoes),
            csr({k: [s for s, _ in v] for k, v in slots.items()}),
            np.array([w for k in sorted(slots) for _, w in slots[k]], dtype=np.float64),
            np.ones(sum(map(len, slots.values())), dtype=np.float64),
            csr({k: [number[e] for e in v] for k, v in ranker.loose_of.items()}),
            np.array([t for t, _, _, _ in loose], dtype=np.int_),
            np.array([place for _, place, _, _ in loose], dtype=np.int_),
            np.array([len(ws) for _, _, ws, _ in loose], dtype=np.int_),
            tuple(why for _, _, _, why in loose),
        )


class _Scores:
    """Every paper of a date scored against every topic: ``fields``, what each paper's scored
    paper holds before highlights, TL;DRs and marks (``None``: no topic matched it), in the
    papers' order; ``keys``, each one's sort key; ``sections``, each topic's section as sort
    keys; ``places``, the papers' indices in tie order; ``unmatched``, how many papers no topic
    matched.

    The order of a date and of each section is defined here and nowhere else: by score, ties
    by upvotes, then id. Each paper's place in that tie order makes a sort key one integer,
    ``(THOUSANDTHS - score in thousandths) * n + place``, and a sort key names its paper's
    place (``key % n``).

    The scores are computed for the whole date at once, a matrix of papers by topics per
    part of the score (sums by ``bincount`` over the papers' keywords, in the keywords'
    order); Python then builds each scored paper's fields."""

    def __init__(self, read: _Read, ranker: Ranker, trace: dict[str, object] | None = None) -> None:
        """``trace``: filled with the parts of every cell's score (``digest explain``)."""
        import numpy as np

        ids, votes, similar = read.ids, read.votes, read.similar
        where, keys_of, found = read.place, read.key, read.found
        tables = ranker.tables
        n, count = len(ids), len(ranker.topics)
        cells = n * count
        df = np.bincount(keys_of, minlength=len(ranker.matcher.texts))  # papers each is in
        # a keyword's idf, and a word's rarity (idf without a floor) when words count
        idf, *rarities = _idf(df, n, (IDF_FLOOR, 0.0) if ranker.words else (IDF_FLOOR,))
        # keywords: each paper's sum over the topic's keywords it holds of idf * mentions
        rows, at = expand(keys_of, tables.uses[0])
        kw_cell = where[rows] * count + tables.uses[1][at]
        keyword = np.bincount(kw_cell, weights=(idf[keys_of] * found)[rows], minlength=cells)
        has_keyword = np.bincount(kw_cell, minlength=cells) > 0
        vetoed = np.zeros(cells, dtype=bool)
        if len(tables.vetoes[1]):
            rows_v, at_v = expand(keys_of, tables.vetoes[0])
            vetoed[where[rows_v] * count + tables.vetoes[1][at_v]] = True
        avoided = ranker.avoided
        if avoided:  # a paper to avoid: never the topic's
            for i, pid in enumerate(ids):
                if pid in avoided:
                    vetoed[[i * count + t for t in avoided[pid]]] = True
        counting = has_keyword & ~vetoed  # by their keywords
        counts = counting.copy()  # the topics that count the paper, so far
        total = np.where(counts, keyword, 0.0)
        # the profiles: added where keywords count; the topic a paper's profile is most like
        # counts it without them
        lift = ranker.settings.profile
        if similar is not None:
            sims = np.concatenate(similar.rows).reshape(cells)
            total = total + np.where(counts, lift * sims, 0.0)
            chosen = similar.candidates
            cand = [i * count + t for i in range(n) if (t := chosen.get(i)) is not None]
            if cand:
                cand_cells = np.array(cand, dtype=np.int_)
                cand_cells = cand_cells[~counts[cand_cells] & ~vetoed[cand_cells]]
                total[cand_cells] = lift * sims[cand_cells]
                counts[cand_cells] = True  # by the profile alone
            # a topic's example counts for it ("one of your examples"), like it as it may be
            mine = ranker.profiles.exemplars  # type: ignore[union-attr]
            if mine:
                own = [i * count + t for i, pid in enumerate(ids) if pid in mine for t in mine[pid]]
                own = [c for c in own if not counts[c] and not vetoed[c]]
                if own:
                    total[own] = lift * sims[own]
                    counts[own] = True
        # words: per paper and slot (topic t's keywords' in t, its description's in T + t),
        # the sum over its words of weight * rarity * mentions, and its share of the date's best
        by_words = np.zeros(cells, dtype=bool)
        whole: dict[int, str] = {}  # cell -> why: the paper holds all the words of a keyword
        rarity = rarities[0] if rarities else idf
        # what explain reads of the words, by cell: their part, whether the paper holds some,
        # their share of the day's best, their sum each counted once, the description's part
        words_part = words_held = share = once = described = None
        if ranker.words:
            value = rarity[keys_of] * found  # rarity(w) * mentions
            rows_w, at_w = expand(keys_of, tables.slots[0])
            slot_cell = where[rows_w] * (2 * count) + tables.slots[1][at_w]
            sums = np.bincount(
                slot_cell, weights=value[rows_w] * tables.weights[at_w], minlength=2 * cells
            ).reshape(n, 2 * count)
            held = (np.bincount(slot_cell, minlength=2 * cells) > 0).reshape(n, 2 * count)
            best = sums.max(axis=0) if n else np.zeros(2 * count)
            top = np.where(best > 0, best, 1.0)
            words_part, words_held = sums[:, :count].reshape(cells), held[:, :count].reshape(cells)
            share = words_part / np.tile(top[:count], n)
            add = counts & words_held
            total = total + np.where(add, ranker.settings.words * share, 0.0)
            if ranker.settings.words_alone:
                alone = words_held & ~counts & ~vetoed
                if len(tables.loose[1]):
                    rows_l, at_l = expand(keys_of, tables.loose[0])
                    loose = len(tables.needed)
                    # (paper, such keyword) pairs, with how many of its words the paper holds
                    pairs, held_l = np.unique(
                        where[rows_l] * loose + tables.loose[1][at_l], return_counts=True
                    )
                    i, j = np.divmod(pairs[held_l == tables.needed[pairs % loose]], loose)
                    # per cell, the first of the topic's keywords (in the config's order)
                    # whose words the paper holds all of
                    cell_l = i * count + tables.loose_topic[j]
                    by = np.lexsort((tables.loose_place[j], cell_l))
                    cell_l, j = cell_l[by], j[by]
                    first_l = np.r_[True, cell_l[1:] != cell_l[:-1]] if len(j) else j > 0
                    whys = tables.loose_why
                    whole = dict(
                        zip(
                            cell_l[first_l].tolist(),
                            [whys[x] for x in j[first_l].tolist()],
                            strict=True,
                        )
                    )
                # a paper's words score with each word once (see WORDS_ALONE)
                once = (
                    np.bincount(
                        slot_cell, weights=value[rows_w] * tables.once[at_w], minlength=2 * cells
                    )
                    .reshape(n, 2 * count)[:, :count]
                    .reshape(cells)
                )
                enough = (words_part >= WORDS_ALONE) & (once >= WORDS_ALONE)
                if whole:
                    enough[list(whole)] = True
                alone &= enough
                alone_cells = np.flatnonzero(alone)
                total[alone_cells] = ranker.settings.words * share[alone_cells]
                if similar is not None:
                    total[alone_cells] += lift * sims[alone_cells]
                counts[alone_cells] = by_words[alone_cells] = True
            described = held[:, count:].reshape(cells) & counts
            total = total + np.where(
                described,
                ranker.settings.description
                * sums[:, count:].reshape(cells)
                / np.tile(top[count:], n),
                0.0,
            )
        # the score in thousandths
        weights = np.array([t.weight for t in ranker.topics] * n, dtype=np.float64)
        community = _community(votes, ranker.settings.upvotes)
        scaled = total * weights
        if community:
            scaled = scaled * np.repeat(np.array(community), count)
        milli = np.where(counts, np.trunc(scaled * 1000 + 0.5), 0.0).astype(np.int64)
        if trace is not None:  # what explain reads: the parts, by cell (paper * topics + topic)
            trace.update(
                keyword=keyword, vetoed=vetoed, counting=counting, counts=counts,
                by_words=by_words, whole=whole, rarity=rarity, milli=milli, community=community,
                words_part=words_part, words_held=words_held, share=share, once=once,
                described=described,
            )  # fmt: skip
            if ranker.words:  # the description's share of the day's best, by cell
                trace["described_share"] = (sums[:, count:] / top[count:]).reshape(cells)
            trace["sims"] = sims if similar is not None else None
        self._fields(read, ranker, milli, counting, by_words, whole, rarity, kw_cell, keys_of[rows])

    def _fields(
        self,
        read: _Read,
        ranker: Ranker,
        milli: np.ndarray,
        by_keywords: np.ndarray,
        by_words: np.ndarray,
        whole: Mapping[int, str],
        rarity: np.ndarray,
        kw_cell: np.ndarray,
        kw_key: np.ndarray,
    ) -> None:
        """Each paper's fields and sort key, each topic's section, from the scores in
        thousandths (by cell: paper * topics + topic) and how each topic counts the paper:
        by its keywords (``by_keywords``), its words alone (``by_words``) or its profile
        alone (neither). ``kw_cell``, ``kw_key``: each keyword a paper holds, by cell."""
        import numpy as np

        ids, votes, similar = read.ids, read.votes, read.similar
        n, count = len(ids), len(ranker.topics)
        places = sorted(
            range(n), key=[(-v, pid) for v, pid in zip(votes, ids, strict=True)].__getitem__
        )
        place = [0] * n
        for position, i in enumerate(places):
            place[i] = position
        names = [t.name for t in ranker.topics]
        spelled, order = ranker.spelled, ranker.order
        # what each topic matched of each paper: its keywords as the topic spells them, in
        # the config's order
        keep = by_keywords[kw_cell]
        cells = kw_cell[keep]
        by = np.argsort(cells, kind="stable")  # each cell's keywords stay in their order
        cells, held = cells[by], kw_key[keep][by]
        starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]]) if len(cells) else cells
        group_cells = cells[starts]
        group_topics = (group_cells % count).tolist()
        # one keyword: as the topic spells it; more: each so, in the config's order
        texts = [spelled[t][k] for t, k in zip(group_topics, held[starts].tolist(), strict=True)]
        ends = [*starts.tolist(), len(cells)]
        held_list = held.tolist()
        memo = ranker.tables.matched  # (topic, keywords) -> the text, across dates
        for g in np.flatnonzero(np.diff(ends) > 1).tolist():
            t, ks = group_topics[g], tuple(held_list[ends[g] : ends[g + 1]])
            text = memo.get((t, ks))
            if text is None:
                if len(memo) >= _MEMO:
                    memo.clear()
                text = memo[t, ks] = tuple(
                    x for k in sorted(ks, key=order[t].__getitem__) for x in spelled[t][k]
                )
            texts[g] = text
        # the cells that score, by paper then topic: each paper's part of them is a slice
        positive = np.flatnonzero(milli > 0)
        paper_of, topic_of = np.divmod(positive, count)
        thousandths = milli[positive]
        label = np.array(names, dtype=object)
        scores = (thousandths / 1000).tolist()
        topic_names = label[topic_of].tolist()
        bounds = np.searchsorted(paper_of, np.arange(n + 1)).tolist()
        kind = np.where(by_keywords[positive], 0, np.where(by_words[positive], 1, 2))
        are_matched = kind == 0
        matched_at = np.searchsorted(paper_of[are_matched], np.arange(n + 1)).tolist()
        matched_names = label[topic_of[are_matched]].tolist()
        matched_texts = [
            texts[g] for g in np.searchsorted(group_cells, positive[are_matched]).tolist()
        ]
        # why a topic counts a paper without its keywords: all the words of one of them (made
        # when the ranker was compiled), its heaviest words, or its profile (once every paper
        # is scored)
        related_cells = positive[~are_matched].tolist()
        related_at = np.searchsorted(paper_of[~are_matched], np.arange(n + 1)).tolist()
        related_names = label[topic_of[~are_matched]].tolist()
        reasons = [whole.get(cell, "") for cell in related_cells]
        lifted: list[tuple[int, int, str]] = []  # (paper, topic, its name)
        for x in np.flatnonzero(~by_words[positive[~are_matched]]).tolist():
            i, t = divmod(related_cells[x], count)
            lifted.append((i, t, names[t]))
        for x in [x for x, why in enumerate(reasons) if not why]:
            i, t = divmod(related_cells[x], count)
            if by_words[related_cells[x]]:  # by the sum of its words
                reasons[x] = _word_reason(_found(read, i), t, ranker, rarity)
        table = milli.reshape(n, count)
        best_topic = table.argmax(axis=1).tolist() if count else [0] * n
        highest = table.max(axis=1) if count else np.zeros(n, dtype=np.int64)
        best_milli = highest.tolist()
        scored: list[Fields | None] = [None] * n
        for i in np.flatnonzero(np.array(best_milli, dtype=np.int64) > 0).tolist():
            a, b = bounds[i], bounds[i + 1]
            c, d = matched_at[i], matched_at[i + 1]
            scored[i] = (
                best_milli[i] / 1000,
                names[best_topic[i]],
                dict(zip(topic_names[a:b], scores[a:b], strict=True)),
                dict(zip(matched_names[c:d], matched_texts[c:d], strict=True)),
                dict(zip(related_names[e:f], reasons[e:f], strict=True))
                if (e := related_at[i]) < (f := related_at[i + 1])
                else {},
            )
        at = np.array(place, dtype=np.int64)
        keys = _sort_keys(at, highest, n)
        # each topic's section: its papers' sort keys
        by_topic = np.argsort(topic_of, kind="stable")
        section_keys = _sort_keys(at[paper_of[by_topic]], thousandths[by_topic], n)
        cut = np.searchsorted(topic_of[by_topic], np.arange(count + 1)).tolist()
        sections = [section_keys[cut[t] : cut[t + 1]] for t in range(count)]
        if lifted:
            why = ranker.profiles.explain(  # type: ignore[union-attr]
                similar,  # type: ignore[arg-type]
                [(i, t) for i, t, _ in lifted],
                [ids[i] for i, _, _ in lifted],
            )
            for (i, _, name), reason in zip(lifted, why, strict=True):
                scored[i][4][name] = reason  # type: ignore[index]
        self.ids, self.names = ids, names
        self.fields, self.keys, self.sections, self.places = scored, keys, sections, places
        self.unmatched = scored.count(None)


def _sort_keys(place: np.ndarray, milli: np.ndarray, n: int) -> list[int]:
    """Sort keys (see :class:`_Scores`) of papers at ``place`` in the tie order with these
    scores in thousandths, among ``n``: in 64 bits while they fit (up to 9,000 papers)."""

    if THOUSANDTHS * (n + 1) < 2**63:
        return ((THOUSANDTHS - milli) * n + place).tolist()  # type: ignore[no-any-return]
    return [
        (THOUSANDTHS - m) * n + at for at, m in zip(place.tolist(), milli.tolist(), strict=True)
    ]


def _found(read: _Read, i: int) -> dict[int, float]:
    """Paper ``i``'s keywords (and words), with the weight of their mentions before idf."""
    import numpy as np

    a, b = np.searchsorted(read.place, [i, i + 1]).tolist()
    return dict(zip(read.key[a:b].tolist(), read.found[a:b].tolist(), strict=True))


def _topic_words(
    found: Mapping[int, float], t: int, ranker: Ranker, rarity: np.ndarray
) -> list[tuple[float, float, int]]:
    """The words of topic ``t``'s keywords a paper holds, each as (its rarity times its
    mentions, its weight in the topic, the word)."""
    return [
        (rarity[k] * found[k], weight, k)
        for k in ranker.words.intersection(found)
        for slot, weight in ranker.word_slots[k]
        if slot == t
    ]


def _word_reason(found: Mapping[int, float], t: int, ranker: Ranker, rarity: np.ndarray) -> str:
    """Why a paper no keyword of topic ``t`` matched counts for it by its words' score:
    ``shares fuzzing, compilers with your testing keywords``, the words of the topic's
    keywords it holds, by their part of that score, the heaviest :data:`~.profile.REASONS`."""
    texts = ranker.matcher.texts
    spelled = ranker.word_spelled[t] if ranker.word_spelled else {}
    parts = sorted(
        (-(value * weight), spelled.get(k) or texts[k])
        for value, weight, k in _topic_words(found, t, ranker, rarity)
    )[:REASONS]
    return f"shares {', '.join(w for _, w in parts)} with your {ranker.topics[t].name} keywords"


def _community(votes: Sequence[int], weight: float) -> list[float] | None:
    """Each paper's community factor among the day's papers: ``1 + weight * ln(1 + upvotes) /
    ln(1 + the day's most upvotes)``, from 1 to ``1 + weight``; None when no paper of the day
    has upvotes (or the weight is 0)."""
    if weight <= 0:
        return None
    most = max(votes, default=0)
    if most <= 0:
        return None
    top = math.log1p(most)
    return [1.0 + weight * math.log1p(max(v, 0)) / top for v in votes]


def _assemble(
    date: dt.date,
    papers: Sequence[Paper],
    scores: _Scores,
    ranker: Ranker,
    rules: Highlights,
    tldrs: Detail,
    marks: Detail,
) -> RankedDay:
    """The date in rank order, its highlights picked, TL;DRs and marks added where asked."""
    n = len(papers)
    order = sorted(scores.keys)
    fields, places = scores.fields, scores.places
    final = [_scored(papers[i], fields[i]) for i in (places[key % n] for key in order)]
    chosen = _pick_highlights(((s.score, s.topic) for s in final), rules)
    matcher = ranker.matcher
    if tldrs >= Detail.MATCHED or marks >= Detail.MATCHED:
        picked = set(chosen)
        final = [_finish(s, at in picked, tldrs, marks, matcher) for at, s in enumerate(final)]
    else:  # only the highlights change
        for at in chosen:
            final[at] = _finish(final[at], True, tldrs, marks, matcher)
    by_place: list[ScoredPaper] = final[:1] * n
    for s, key in zip(final, order, strict=True):
        by_place[key % n] = s
    unmatched_count = scores.unmatched
    return RankedDay(
        date=date,
        papers=tuple(final),
        highlights=tuple(final[at] for at in chosen),
        sections={
            name: tuple([by_place[key % n] for key in sorted(section)])
            for name, section in zip(scores.names, scores.sections, strict=True)
        },
        unmatched=tuple(final[n - unmatched_count :]) if unmatched_count else (),
    )


def _pick_highlights(ordered: Iterable[tuple[float, str | None]], rules: Highlights) -> list[int]:
    """The top ``total`` papers at or above ``min_score``, each under its best topic, at most
    ``per_topic`` from one topic; ``ordered``: each paper's (score, best topic), already in rank
    order (ties broken). Their places in ``ordered``."""
    chosen: list[int] = []
    per_topic: dict[str, int] = {}
    for at, (score, topic) in enumerate(ordered):
        if len(chosen) >= rules.total or score < rules.min_score:
            break
        if topic is None or per_topic.get(topic, 0) >= rules.per_topic:
            continue
        per_topic[topic] = per_topic.get(topic, 0) + 1
        chosen.append(at)
    return chosen


def _finish(
    s: ScoredPaper, highlight: bool, tldrs: Detail, marks: Detail, matcher: Matcher
) -> ScoredPaper:
    matched = bool(s.topics)
    if not highlight and not tldrs.wanted(matched, False) and not marks.wanted(matched, False):
        return s
    title_marks: tuple[tuple[int, int], ...] = ()
    abstract_marks: tuple[tuple[int, int], ...] = ()
    if s.matched and marks.wanted(matched, highlight):
        index = matcher.index
        keywords = {index[k] for ks in s.matched.values() for k in ks}
        title_marks = tuple(matcher.spans(s.paper.title, keywords))
        abstract_marks = tuple(matcher.spans(s.paper.abstract, keywords))
    summary = tldr(s.paper.abstract, abstract_marks) if tldrs.wanted(matched, highlight) else None
    return replace(
        s, highlight=highlight, tldr=summary, title_marks=title_marks, abstract_marks=abstract_marks
    )


# -- many dates ------------------------------------------------------------------------------

Dates = list[tuple[dt.date, list[Paper]]]
_SHARED: tuple[Ranker, Dates, Highlights, Detail, Detail] | None = None


def _share(ranker: Ranker, items: Dates, rules: Highlights, tldrs: Detail, marks: Detail) -> None:
    global _SHARED
    _SHARED = (ranker, items, rules, tldrs, marks)


def _encoded_batch(encode: Callable[[RankedDay], bytes], batch: range) -> list[bytes]:
    """The dates at ``batch`` (indices) of the shared dates, ranked (:func:`_rank_batch`) and
    each encoded by ``encode`` (the codec, :func:`encode_day`, or the lines ``digest rank``
    prints)."""
    assert _SHARED is not None
    ranker, items, rules, tldrs, marks = _SHARED
    days = _rank_batch([items[i] for i in batch], ranker, rules, tldrs, marks)
    return [encode(day) for day in days]


def _on_workers(
    items: Dates,
    ranker: Ranker,
    rules: Highlights,
    tldrs: Detail,
    marks: Detail,
    workers: int,
    encode: Callable[[RankedDay], bytes],
) -> Iterator[bytes]:
    """The dates ranked on ``workers`` processes that inherit them, a batch (:func:`_batches`)
    a task, each sent back encoded by ``encode`` (a function of this module's level: it goes
    to them pickled), in order."""
    made = process_map.ordered_map(
        functools.partial(_encoded_batch, encode), batches([len(p) for _, p in items]),
        workers=workers, init=_share, initargs=(ranker, items, rules, tldrs, marks),
    )  # fmt: skip
    return itertools.chain.from_iterable(made)


def json_lines(day: RankedDay) -> bytes:
    """A ranked date as ``digest rank --json`` prints it: a line per paper, best first."""
    return b"".join([orjson.dumps(s.to_json()) + b"\n" for s in day.papers])


def text_lines(day: RankedDay) -> bytes:
    """A ranked date as ``digest rank`` prints it: date, a star for a highlight, score, topic
    and title, a line per paper, best first."""
    return "".join(
        f"{day.date} {'*' if s.highlight else ' '} {s.score:7.3f}  {s.topic or '-':<16.16}  "
        f"{s.paper.title}\n"
        for s in day.papers
    ).encode("utf-8", "surrogateescape")


LINES: dict[str, Callable[[RankedDay], bytes]] = {"json": json_lines, "text": text_lines}


def rank_days(
    days: Mapping[dt.date, Sequence[Paper]] | Iterable[tuple[dt.date, Sequence[Paper]]],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    *,
    tldrs: Detail = Detail.MATCHED,
    marks: Detail = Detail.MATCHED,
    workers: int | None = None,
) -> list[RankedDay]:
    """Rank many dates, in date order, each on its own. Many dates are spread over ``workers``
    processes (default: one per core; ``workers=1`` keeps everything in this process): they
    inherit the compiled topics and the papers, rank a date each and send it back encoded."""
    items = [(d, list(p)) for d, p in (days.items() if isinstance(days, Mapping) else days)]
    count = process_map.count(len(items), workers)
    if count <= 1:
        return list(_rank_here(items, ranker, rules, tldrs, marks))
    encoded = _on_workers(items, ranker, rules, tldrs, marks, count, encode_day)
    with collector.paused():
        return [
            decode_day(date, papers, data)
            for (date, papers), data in zip(items, encoded, strict=True)
        ]


def rank_days_lines(
    days: Mapping[dt.date, Sequence[Paper]],
    ranker: Ranker,
    rules: Highlights = DEFAULT_RULES,
    *,
    form: str = "json",
    tldrs: Detail = Detail.HIGHLIGHTS,
    marks: Detail = Detail.HIGHLIGHTS,
    workers: int | None = None,
) -> Iterator[bytes]:
    """:func:`rank_days`, each date as the lines ``digest rank`` prints (:data:`LINES`:
    ``json`` or ``text``), made where the date is ranked: on many dates the workers send back
    the lines, and nothing is decoded here (decoding 100,000 ranked papers to print them took
    1.2 s)."""
    items = [(d, list(p)) for d, p in days.items()]
    count = process_map.count(len(items), workers)
    if count <= 1:
        yield from map(LINES[form], _rank_here(items, ranker, rules, tldrs, marks))
        return
    yield from _on_workers(items, ranker, rules, tldrs, marks, count, LINES[form])


def _rank_here(
    items: Dates, ranker: Ranker, rules: Highlights, tldrs: Detail, marks: Detail
) -> Iterator[RankedDay]:
    """The dates ranked in this process, in order, a batch (:func:`batches`) at a time."""
    with collector.paused():
        for batch in batches([len(p) for _, p in items]):
            yield from _rank_batch([items[i] for i in batch], ranker, rules, tldrs, marks)


def batches(sizes: Sequence[int]) -> list[range]:
    """The indices of consecutive dates (of ``sizes`` papers) in batches of at least
    :data:`CHUNK` papers (the last may hold fewer): the dates read together."""
    out: list[range] = []
    first = total = 0
    for i, size in enumerate(sizes):
        total += size
        if total >= CHUNK:
            out.append(range(first, i + 1))
            first, total = i + 1, 0
    if first < len(sizes):
        out.append(range(first, len(sizes)))
    return out


def date_batches(dates: Sequence[dt.date], sizes: Sequence[int]) -> list[list[dt.date]]:
    """``dates`` (of ``sizes`` papers) in the batches :func:`batches` makes."""
    return [list(dates[b.start : b.stop]) for b in batches(sizes)]


def _rank_batch(
    batch: Sequence[tuple[dt.date, Sequence[Paper]]],
    ranker: Ranker,
    rules: Highlights,
    tldrs: Detail,
    marks: Detail,
) -> list[RankedDay]:
    """Dates ranked each on its own, their papers read together (their keywords and profile
    words, a paper at a time: nothing of a date is needed to read its papers): the keyword
    automaton reads on while it is in the processor's cache, and a chunk's work is shared.
    With 125 papers a date, reading a date at a time cost some 10 us more a paper."""
    read = _read(itertools.chain.from_iterable(p for _, p in batch), ranker)
    return [
        _assemble(d, p, _Scores(part, ranker), ranker, rules, tldrs, marks)
        for (d, p), part in zip(batch, read.split([len(p) for _, p in batch]), strict=True)
    ]
