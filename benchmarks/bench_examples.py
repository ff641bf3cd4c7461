"""A topic taught by a whole library: ``python benchmarks/bench_examples.py [N...]`` (default
30 300 3000).

A user may point a topic's ``examples:`` at a reference manager's whole export (thousands of
papers, as zotero-arxiv-daily ranks against a whole Zotero library). Learns one of
bench_rank.py's topics from 20,000 papers of the synthetic corpus (corpus.py) with N of the
others as its examples, each an example's own small profile too, then scores the 20,000 papers
against it. Prints the time of each (the best of three). Learning was quadratic in the
examples (each compared to each in Python): 3,000 took about a minute.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_rank import load, make_topics

from digest.model import Highlights, Ranking
from digest.rank import Detail, Ranker, rank_day
from digest.rank.profile import learn_all

HISTORY = 20_000


def main(sizes: list[int]) -> None:
    papers = load(100_000)
    history, library = papers[:HISTORY], papers[HISTORY:]
    topic = make_topics(papers)[0]
    print(f"one topic, {HISTORY:,} papers of history; examples: learn, then score the history")
    for n in sizes:
        given = library[:n]
        taught = dataclasses.replace(topic, examples=tuple(p.id for p in given))
        matcher = Ranker.compile([taught]).matcher
        best_learn = best_score = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            profiles = learn_all(
                [taught], history, matcher, examples={taught.name: given}, example_weight=1.0
            )
            best_learn = min(best_learn, time.perf_counter() - t)
            ranker = Ranker.compile([taught], matcher, profiles=profiles, settings=Ranking())
            t = time.perf_counter()
            rank_day(
                history[0].date, history, ranker, Highlights(), tldrs=Detail.NONE,
                marks=Detail.NONE,
            )  # fmt: skip
            best_score = min(best_score, time.perf_counter() - t)
        print(f"{n:>6,} examples: learned in {best_learn:6.2f} s, scored in {best_score:6.2f} s")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [30, 300, 3000])
