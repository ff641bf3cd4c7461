"""Ranking speed: ``python benchmarks/bench_rank.py [N]`` (default 100000).

Ranks the N-paper synthetic corpus (see corpus.py), date by date, against 20 topics of 10
keywords each (phrases, single words, acronyms and one regular expression, drawn from the
corpus vocabulary with a fixed seed). Prints papers per second (the best of three runs) for scoring on one
core, with the highlights' TL;DRs and keyword marks, with one keyword a regular expression (the
regex engine scans every text), with TL;DRs and marks for every matched paper (what ``digest
build`` asks for), and on every core (this process ranking too); and, for context, two simpler matchers over the
same texts: one big alternation regex and a pyahocorasick pass with word-boundary checks.
Keywords are the corpus's mid-frequency words and phrases, as a person would pick them, and an
acronym per topic.
Target (issue 3): scoring >= 40k papers/s on one core, and faster on two. Issue 21: the topics
are a user's topics without examples, so by default they rank by their keywords and their words
(each word of their keywords matched on its own: these topics' words are the corpus's most
common, a worst case), timed beside keywords alone (``ranking.words: 0``) and beside the bundled
default's five topics, descriptions and all, both ways. Opting in (``ranking.learn: true``: every topic learns
a profile, learned from the corpus's last 365 days, timed) is timed in alternation with it, the
best of four each (target: at most down to 25k papers/s), and beside it the same topics with
three examples each (papers their keywords match; each example also a profile of its own); ``digest rank --json FILE`` through
the CLI (parse, learn, rank, print; TL;DRs for the highlights) with the defaults and opted in, at
no less than half the scoring rate. The rows from "+ highlights" on rank with the defaults.
The context lines time pyahocorasick when it is installed (it is not a dependency).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import itertools

from corpus import corpus

from digest.collect import group_by_date
from digest.config import load_config
from digest.model import Paper, Ranking, Topic
from digest.rank import Detail, Ranker, rank_days
from digest.rank.history import learn_from_papers
from digest.rank.profile import confident_papers
from digest.sources import Context
from digest.sources.jsonl import parse

ROOT = Path(__file__).resolve().parent.parent


def load(n: int) -> list[Paper]:
    with open(corpus(n), "rb") as f:
        return [
            p
            for p in parse(f, Context("bench", "c.jsonl", dt.date(2030, 1, 1)))
            if isinstance(p, Paper)
        ]


def make_topics(papers: list[Paper], seed: int = 7) -> list[Topic]:
    rng = random.Random(seed)
    words = Counter(w.lower() for p in papers[:5000] for w in re.findall(r"[A-Za-z]{4,}", p.title))
    # Keywords a person would follow are specific: mid-frequency words and phrases of the corpus
    # (ranks 50 to 1000), not its most common ones ("neural networks", "language models").
    common = [w for w, _ in words.most_common(1000)[50:]]
    pairs = Counter()
    for p in papers[:5000]:
        tokens = re.findall(r"[A-Za-z]{3,}", p.abstract.lower())
        pairs.update(itertools.pairwise(tokens))
    stop = set(
        [
            "the",
            "and",
            "for",
            "with",
            "that",
            "this",
            "are",
            "our",
            "from",
            "which",
            "can",
            "has",
            "have",
            "its",
            "into",
            "their",
            "these",
            "those",
            "such",
            "was",
            "were",
            "been",
            "being",
            "not",
            "but",
            "also",
            "than",
            "then",
            "over",
            "under",
            "both",
            "each",
            "more",
            "most",
            "other",
            "some",
            "only",
            "all",
            "any",
            "how",
            "what",
            "when",
            "where",
            "who",
            "why",
            "will",
            "would",
            "should",
            "could",
            "may",
            "might",
            "must",
        ]
    )
    phrases = [
        f"{a} {b}" for (a, b), _ in pairs.most_common(3000)[50:] if a not in stop and b not in stop
    ][:1000]
    acronyms = ["LLM", "RL", "SGD", "GPU", "CNN", "MLP", "NLP", "GAN", "PDE", "MoE"]
    topics = []
    for t in range(20):
        keywords = rng.sample(phrases, 5) + rng.sample(common, 4) + [rng.choice(acronyms)]
        topics.append(Topic(f"topic-{t}", tuple(keywords), (rng.choice(phrases),)))
    return topics


def cli_rank(n: int, topics: list[Topic], ranking: dict[str, object] | None = None) -> float:
    """Seconds ``digest rank --json`` takes over the corpus with these topics (read, profiles
    learned from the papers given when ``ranking`` asks, ranked, printed), in its own process:
    the best of two."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "digest.yaml"
        config.write_text(json.dumps({
            "topics": {t.name: {"keywords": list(t.keywords), "exclude": list(t.exclude)} for t in topics},
            **({"ranking": ranking} if ranking else {}),
        }))  # fmt: skip
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "digest", "rank", "--json", "--config", str(config), "--today",
                 "2030-01-01", str(corpus(n))],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            best = min(best, time.perf_counter() - t)
    return best


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f} papers/s  ({seconds:.2f} s)"


def main(n: int) -> None:
    papers = load(n)
    days = group_by_date(papers)
    topics = make_topics(papers)
    ranker = Ranker.compile(topics)
    print(
        f"{n:,} papers over {len(days):,} days, {len(topics)} topics x {len(topics[0].keywords)} keywords"
    )

    def best_of(runs: int, **options: object) -> float:
        """The fastest of a few runs (the first also pays for warming caches and the heap)."""
        fastest = float("inf")
        for _ in range(runs):
            t = time.perf_counter()
            rank_days(days, ranker, **options)  # type: ignore[arg-type]
            fastest = min(fastest, time.perf_counter() - t)
        return fastest

    # as digest ranks them: no topic has examples, so none learns a profile (nothing is read)
    assert learn_from_papers(papers, topics, Ranking(), ranker.matcher, {}, {}) is None
    t = time.perf_counter()
    profiles = learn_from_papers(papers, topics, Ranking(learn=True), ranker.matcher, {}, {})
    learned = time.perf_counter() - t
    print(f"{'profiles learned (ranking.learn)':<34}{len(papers):>10,} papers   ({learned:.2f} s)")
    learning = Ranker.compile(topics, ranker.matcher, profiles=profiles)
    # three examples a topic (papers its keywords match with confidence, drawn with a seed):
    # each example a profile of its own too
    rng = random.Random(3)
    confident = confident_papers(topics, papers, ranker.matcher)
    given = {t.name: rng.sample(c, min(3, len(c))) for t, c in zip(topics, confident, strict=True)}
    taught = [dataclasses.replace(t, examples=tuple(p.id for p in given[t.name])) for t in topics]
    t = time.perf_counter()
    liked = learn_from_papers(papers, taught, Ranking(), ranker.matcher, given, {})
    print(
        f"{'profiles with 3 examples a topic':<34}{len(papers):>10,} papers   ({time.perf_counter() - t:.2f} s)"
    )
    examples = Ranker.compile(taught, ranker.matcher, profiles=liked)
    alone = Ranker.compile(topics, settings=Ranking(words=0, description=0))
    # the bundled default's five topics, descriptions and all: a user's topics, beside the
    # 20 drawn from the corpus's most common words and phrases (a worst case for the words)
    bundled = load_config(ROOT / "digest.yaml").topics
    named = {
        "bundled": Ranker.compile(bundled),
        "bundled alone": Ranker.compile(bundled, settings=Ranking(words=0, description=0)),
    }
    # A/B in alternation, the best of each: this shared machine's speed moves between runs
    runs = {"keywords": ranker, "alone": alone, "profiles": learning, "examples": examples, **named}
    fastest = dict.fromkeys(runs, float("inf"))
    for _ in range(4):
        for label, which in runs.items():
            t = time.perf_counter()
            rank_days(days, which, tldrs=Detail.NONE, marks=Detail.NONE, workers=1)
            fastest[label] = min(fastest[label], time.perf_counter() - t)
    scoring = fastest["keywords"]
    print(f"{'scoring, 1 core (defaults)':<34}{rate(n, scoring)}")
    print(
        f"{'  keywords alone (words 0)':<34}{rate(n, fastest['alone'])}"
        f"  the defaults take {scoring / fastest['alone']:.2f}x its time"
    )
    print(
        f"{'  opted in: 20 topics, profiles':<34}{rate(n, fastest['profiles'])}"
        f"  {fastest['profiles'] / scoring:.2f}x the time"
    )
    print(
        f"{'  3 examples a topic':<34}{rate(n, fastest['examples'])}"
        f"  {fastest['examples'] / fastest['profiles']:.2f}x opted in's time"
    )
    print(
        f"{'  the bundled 5 topics, defaults':<34}{rate(n, fastest['bundled'])}"
        f"  {fastest['bundled'] / fastest['bundled alone']:.2f}x keywords alone's time"
    )
    print(f"{'  the bundled 5, keywords alone':<34}{rate(n, fastest['bundled alone'])}")
    full = best_of(3, tldrs=Detail.HIGHLIGHTS, marks=Detail.HIGHLIGHTS, workers=1)
    print(f"{'  + highlights TL;DRs and marks':<34}{rate(n, full)}")
    with_regex = [
        topics[0].__class__(
            topics[0].name, (*topics[0].keywords[:-1], "/\\b(?:chinchilla|kaplan)[- ]optimal\\b/")
        )
    ]
    t = time.perf_counter()
    rank_days(
        days,
        Ranker.compile(with_regex + topics[1:]),
        tldrs=Detail.HIGHLIGHTS,
        marks=Detail.HIGHLIGHTS,
        workers=1,
    )
    print(f"{'  ... one keyword a /regex/':<34}{rate(n, time.perf_counter() - t)}")
    t = time.perf_counter()
    rank_days(days, ranker, tldrs=Detail.MATCHED, workers=1)
    print(f"{'with TL;DRs, marks for matched':<34}{rate(n, time.perf_counter() - t)}")
    cores = os.cpu_count() or 1
    spread = best_of(3, tldrs=Detail.NONE, marks=Detail.NONE, workers=cores)
    one_core = scoring
    print(f"{f'scoring, {cores} cores':<34}{rate(n, spread)}  {one_core / spread:.2f}x one core")
    spread = best_of(3, tldrs=Detail.HIGHLIGHTS, marks=Detail.HIGHLIGHTS, workers=cores)
    print(
        f"{'  + highlights TL;DRs and marks':<34}{rate(n, spread)}  {full / spread:.2f}x one core"
    )

    print(f"{'digest rank --json FILE (CLI)':<34}{rate(n, cli_rank(n, topics))}")
    print(f"{'  opted in (ranking.learn)':<34}{rate(n, cli_rank(n, topics, {'learn': True}))}")

    words = sorted(
        {k for topic in topics for k in topic.keywords if not k.startswith("/")},
        key=len,
        reverse=True,
    )
    big = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    sample = papers[:10_000]  # about 2k papers/s: a sample gives the rate
    t = time.perf_counter()
    for p in sample:
        big.findall(p.title)
        big.findall(p.abstract)
    print(f"{'context: one big regex':<34}{rate(len(sample), time.perf_counter() - t)}")
    try:
        import ahocorasick
    except ImportError:
        return
    automaton = ahocorasick.Automaton()
    for i, w in enumerate(words):
        automaton.add_word(w.lower(), (i, len(w)))
    automaton.make_automaton()
    t = time.perf_counter()
    for p in papers:
        for text in (p.title.lower(), p.abstract.lower()):
            for end, (_, length) in automaton.iter(text):
                start = end - length + 1
                if (start == 0 or not text[start - 1].isalnum()) and (
                    end + 1 == len(text) or not text[end + 1].isalnum()
                ):
                    pass
    print(f"{'context: pyahocorasick + bounds':<34}{rate(n, time.perf_counter() - t)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
