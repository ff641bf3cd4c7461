"""Small days: ``python benchmarks/quality/small_days.py [SIZES]`` (a few seconds).

A word's rarity is measured within its day, so on a day of ten papers every word in one paper
is as rare as a word can be, and a single title word lets a paper no keyword matched count
for a topic. The labelled pools are days of 94-172 papers; a source like the Hugging Face daily
list gives 20-60. Each of the six labelled sets is shuffled (a fixed seed) and cut into days of
SIZES papers (default 10, 30, 60; 0 is the whole pool as one day), every day ranked on its own
with the shipped defaults, one topic at a time. Prints per set, then the mean over sets:

* what the topics' sections hold (every paper a topic counts), as evaluate.py's ``Sections``
  line: precision and recall of the papers graded 1 or 2, and the papers counted;
* nDCG@5 of each topic on each day that has a paper graded for it, the mean.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evaluate as ev

SEED = 7
TOP = 5


def days(s: ev.LabelledSet, size: int) -> list[list[ev.Paper]]:
    order = list(s.papers)
    random.Random(SEED).shuffle(order)
    return [order[i : i + size] for i in range(0, len(order), size)] if size else [order]


def ranked(s: ev.LabelledSet, size: int) -> tuple[ev.Scores, list[float]]:
    """Every topic's score of every paper, each day ranked alone, and the nDCG@TOP of each
    (topic, day) with a graded paper."""
    scores: ev.Scores = {}
    ndcg = []
    for topic in s.topics:
        ranker = ev.Ranker.compile([topic])
        grades = s.labels[topic.name]
        by_id: dict[str, float] = {}
        for day in days(s, size):
            out = ev.rank_day(
                ev.DAY, day, ranker, ev.Highlights(), tldrs=ev.Detail.NONE, marks=ev.Detail.NONE
            )
            got = {x.paper.id: x.score for x in out.papers}
            by_id.update(got)
            if any(grades[p.id] for p in day):
                ndcg.append(ndcg_at([got[p.id] for p in day], day, grades))
        scores[topic.name] = [by_id[p.id] for p in s.papers]
    return scores, ndcg


def ndcg_at(scores: Sequence[float], papers: Sequence[ev.Paper], grades: dict[str, int]) -> float:
    saved, ev.K = ev.K, TOP
    try:
        return ev.measures(scores, papers, grades)[0]
    finally:
        ev.K = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="?", default="10,30,60", help="papers a day, e.g. 10,30")
    args = parser.parse_args()
    sets = ev.load_sets()
    print("day size: per set " + " ".join(s.name for s in sets) + " | mean")
    for size in [0, *(int(x) for x in args.sizes.split(","))]:
        rows = []
        for s in sets:
            scores, ndcg = ranked(s, size)
            rows.append((*ev.sections(s, scores), sum(ndcg) / len(ndcg)))
        label = f"{size:>4}" if size else "pool"
        for name, at in (("precision", 0), ("recall", 1), ("papers", 2), (f"nDCG@{TOP}", 3)):
            values = [r[at] for r in rows]
            line = " ".join(f"{v:.2f}" if at != 2 else f"{v:.1f}" for v in values)
            print(f"{label} {name:>9}: {line} | {sum(values) / len(values):.3f}")


if __name__ == "__main__":
    main()
