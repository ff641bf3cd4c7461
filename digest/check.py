"""``digest check``, and the lines at the end of every build: how each topic fares in the store.

Per topic: the papers it matched in the 7 and 30 days to the store's newest date, and its
highlights that day, read from the rankings the build keeps (no paper is ranked again). A topic
that matched nothing in those 30 days is a warning. A keyword that matched no paper in the store
is listed with its topic, and is a warning with a "did you mean" when the store's papers use a
word close to it (``difusion`` -> ``diffusion``): most often a typo, which otherwise builds
silently.

The vocabulary is the words of the titles and abstracts of the store's newest papers (at most
:data:`VOCABULARY_PAPERS`), counted once per check and only when a keyword matched nothing;
a misspelled word is matched to the frequent words close to it by difflib's ratio, then by edit
distance, the most frequent winning a tie (``modle`` -> ``model``, not ``module``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import ahocorasick_rs
import orjson

from .model import CheckReport, LearnedSummary, Topic, TopicCheck, is_regex_keyword
from .rank.keywords import WORD, WordKeys, inflections
from .rank.profile import Profiles, Stems, keyword_stems
from .rows import day_matches

WEEK, MONTH = 7, 30
LEARNED_WORDS = 8  # the heaviest words of a learned profile that check shows
MEMO = "check"  # the store's note of what the last check found
VOCABULARY_PAPERS = 2000  # the newest papers whose words make the vocabulary (about 60 ms)
_LETTERS = bytes(c if 97 <= c <= 122 else c + 32 if 65 <= c <= 90 else 32 for c in range(256))


class CheckRows(Protocol):
    """The store's side: the rankings a build keeps, and the recent papers' text."""

    def ranked(self, date: dt.date) -> tuple[str, bytes] | None: ...
    def newest_texts(self, limit: int) -> list[str]: ...
    def note(self, key: str) -> str | None: ...
    def set_note(self, key: str, value: str) -> None: ...
    def transaction(self) -> AbstractContextManager[None]: ...


def check_topics(
    store: CheckRows,
    topics: Sequence[Topic],
    dates: Mapping[dt.date, tuple[str, int]],
    base: str = "",
) -> CheckReport:
    """The topics against the store. ``dates``: each date of the store with the key its
    ranking must have (a ranking made for other topics is not read) and its papers; ``base``:
    what every ranking is made from besides its papers (the topics, the rules), under which
    the keywords found in no date are remembered for the next check."""
    if not dates:
        return CheckReport(None)
    newest = max(dates)
    week, month = newest - dt.timedelta(WEEK - 1), newest - dt.timedelta(MONTH - 1)
    counts: dict[str, Counter[str]] = {t.name: Counter() for t in topics}
    matched: set[tuple[str, str]] = set()
    papers = 0
    for date in sorted((d for d in dates if d >= month), reverse=True):
        found = store.ranked(date)
        if found is None or found[0] != dates[date][0]:
            continue
        sections, highlights, hits, related = day_matches(found[1])
        papers += dates[date][1]
        matched |= hits
        for name, n in sections.items():
            if name in counts:
                counts[name]["month"] += n
                counts[name]["week"] += n if date >= week else 0
                counts[name]["related"] += related.get(name, 0)
        if date == newest:
            for name in highlights:
                if name in counts:
                    counts[name]["highlights"] += 1
    memo = Memo.load(store, base)
    silent = _silent(store, topics, dates, month, matched, memo)
    todo = [k for ks in silent.values() for k in ks if k not in memo.hints]
    suggest = Suggestions(store) if todo else None
    hints = {k: memo.hints[k] if k in memo.hints else suggest(k) if suggest else None
             for ks in silent.values() for k in ks}  # fmt: skip
    memo.save(store, {d: key for d, (key, _) in dates.items()}, hints)
    checks, warnings = [], []
    span = f"the 30 days to {newest} ({_plural(papers, 'paper')})"
    everything = _plural(sum(n for _, n in dates.values()), "paper")
    for t in topics:
        c = counts[t.name]
        found = tuple((k, hints[k]) for k in silent[t.name])
        checks.append(
            TopicCheck(t.name, c["week"], c["month"], c["highlights"], found, c["related"])
        )
        if not c["month"]:
            warnings.append(
                f"topic {t.name!r} matched no paper in {span}; are its keywords too narrow, "
                "or do the sources cover it?"
            )
        elif c["related"] == c["month"]:  # kept alive by its words or profile alone
            warnings.append(
                f"topic {t.name!r}: no keyword of it matched a paper in {span}, only its "
                f'words or profile did ({_plural(c["month"], "paper")}, "related"); are its '
                "keywords too narrow, or do the sources cover it?"
            )
        for keyword, close in found:
            if close:  # a keyword nothing matched may be new, or rare; one with a typo is wrong
                warnings.append(
                    f"topic {t.name!r}: keyword {keyword!r} matched no paper in the store "
                    f"({everything}); did you mean {close!r}?"
                )
    return CheckReport(newest, papers, tuple(checks), tuple(warnings))


def with_learned(
    report: CheckReport, topics: Sequence[Topic], profiles: Profiles | None
) -> CheckReport:
    """``report`` with what each topic that learns a profile learned it from, and the
    profile's :data:`LEARNED_WORDS` heaviest words besides its keywords' own (by their weight
    in it, as the papers spell them): what a paper it lifts shares with the topic, seen
    before one is."""
    if profiles is None or not report.topics:
        return report
    by_name = {p.topic: p for p in profiles.profiles if p is not None}
    stems = Stems()
    own = {t.name: set(keyword_stems(t, stems)) for t in topics}
    checked = []
    for t in report.topics:
        p = by_name.get(t.name)
        if p is not None:
            heaviest = [w for w in p.weights if w not in own.get(t.name, ())][:LEARNED_WORDS]
            words = tuple(p.words.get(w, w) for w in heaviest)
            summary = LearnedSummary(p.learned, len(p.example_ids), len(p.avoid), words)
            t = dataclasses.replace(t, learned=summary)
        checked.append(t)
    return dataclasses.replace(report, topics=tuple(checked))


@dataclass
class Memo:
    """What the last check found, for the same topics (``base``): the key of every date's
    ranking then, and the keywords no date matched with their suggestions. A keyword silent
    then is looked for again only in the dates ranked since: a daily build, one new date."""

    base: str
    keys: dict[str, str]
    hints: dict[str, str | None]
    saved: bytes = b""

    @classmethod
    def load(cls, store: CheckRows, base: str) -> Memo:
        text = store.note(MEMO) if base else None
        try:
            found = orjson.loads(text) if text else None
        except orjson.JSONDecodeError:
            found = None
        if not isinstance(found, dict) or found.get("base") != base:
            return cls(base, {}, {})
        return cls(base, found["keys"], found["hints"], text.encode() if text else b"")

    def save(
        self, store: CheckRows, keys: Mapping[dt.date, str], hints: dict[str, str | None]
    ) -> None:
        if not self.base:
            return
        data = orjson.dumps(
            {"base": self.base, "keys": {d.isoformat(): k for d, k in keys.items()},
             "hints": hints}, option=orjson.OPT_SORT_KEYS,
        )  # fmt: skip
        if data != self.saved:
            with store.transaction():
                store.set_note(MEMO, data.decode())


def _silent(
    store: CheckRows,
    topics: Sequence[Topic],
    dates: Mapping[dt.date, tuple[str, int]],
    month: dt.date,
    matched: set[tuple[str, str]],
    memo: Memo,
) -> dict[str, list[str]]:
    """Per topic, its keywords that matched no paper in the store. Those that matched none in
    the last 30 days are looked for in the older rankings, newest first, as the bytes of a
    matched keyword (a JSON string in a list: followed by a comma or a bracket), all of them in
    one pass over each ranking, without decoding it; most are found within weeks. A keyword the
    last check found nowhere is looked for only in the dates ranked since (a typo is looked for
    everywhere once: 100,000 papers over 800 dates, about 60 ms)."""
    wanted = {k for t in topics for k in t.keywords if (t.name, k) not in matched}
    if wanted:
        keywords = sorted(wanted)
        quoted = [orjson.dumps(k) for k in keywords]
        forms = [q + end for q in quoted for end in (b",", b"]")]
        find = ahocorasick_rs.BytesAhoCorasick(forms).find_matches_as_indexes
        for date in sorted((d for d in dates if d < month), reverse=True):
            key = dates[date][0]
            if wanted <= memo.hints.keys() and memo.keys.get(date.isoformat()) == key:
                continue  # every keyword looked for was looked for here before, in vain
            found = store.ranked(date)
            if found is None or found[0] != key:
                continue
            wanted -= {keywords[form // 2] for form, _, _ in find(found[1])}
            if not wanted:
                break
    return {t.name: [k for k in t.keywords if k in wanted] for t in topics}


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


class Suggestions:
    """Close words from the store's recent papers for a keyword that matched nothing."""

    def __init__(self, store: CheckRows) -> None:
        text = " ".join(store.newest_texts(VOCABULARY_PAPERS))
        counted = Counter(text.encode("utf-8", "ignore").translate(_LETTERS).split())
        self.counts = {w.decode(): n for w, n in counted.items() if len(w) > 2}
        self.by_length: dict[int, list[str]] = {}  # the frequent words, by length
        for word, n in self.counts.items():
            if n > 1:
                self.by_length.setdefault(len(word), []).append(word)
        self.keys = WordKeys()

    def known(self, word: str) -> bool:
        """Whether the papers use ``word``, or one of its inflections."""
        return word in self.counts or any(s in self.counts for s in inflections(word, self.keys))

    def closest(self, word: str) -> str | None:
        """The frequent word closest to ``word``: within one edit (two for words of six letters
        or more), the most frequent first."""
        limit = 1 if len(word) < 6 else 2
        sized = range(len(word) - limit, len(word) + limit + 1)
        candidates = [w for n in sized for w in self.by_length.get(n, ())]
        near = difflib.get_close_matches(word, candidates, n=20, cutoff=0.7)
        scored = [(distance(word, w), -self.counts[w], w) for w in near]
        best = min((s for s in scored if s[0] <= limit), default=None)
        return best[2] if best else None

    def __call__(self, keyword: str) -> str | None:
        """The keyword with each word the papers never use replaced by the closest one they
        do; ``None`` when every word is used (the phrase is not) or one has nothing close."""
        if is_regex_keyword(keyword):
            return None
        out, at, changed = [], 0, False
        for match in WORD.finditer(keyword):
            word = match[0]
            if not word.isalpha() or self.known(word.lower()):
                continue
            close = self.closest(word.lower())
            if close is None:
                return None
            if word.isupper():
                close = close.upper()
            out += [keyword[at : match.start()], close]
            at, changed = match.end(), True
        return "".join([*out, keyword[at:]]) if changed else None


def distance(a: str, b: str) -> int:
    """The optimal string alignment distance: insertions, deletions, substitutions and swaps
    of two neighbours, one edit each (``modle`` -> ``model`` is one)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]
