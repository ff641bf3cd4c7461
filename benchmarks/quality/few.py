"""Three keywords and two examples: ``python benchmarks/quality/few.py`` (needs the ``bench``
extra, for bm25s).

Issue 21's test of done: a user who writes three keywords and two example papers gets a topic
that finds the papers a reader would file under it. On the six labelled sets of evaluate.py,
each topic keeps only the first three keywords its author wrote (no exclusions; its
description with ``--description``, none by default) and gets two of its grade-2 papers as
``examples:`` (drawn with evaluate.py's seed), which leave that topic's pool. Every system is
scored on that smaller pool, with the shipped defaults (no parameter is chosen here):

* BM25 (bm25s, the three keywords as the query), and BM25 with the two examples' titles added
  to the query (a plain way to use examples);
* keywords alone (today's ranker before issue 21);
* digest's defaults without the examples (keywords and their words);
* digest's defaults with the two examples (they turn the topic's profile on: learned from the
  examples and from the pool's papers its keywords match with confidence).

Prints per set the macro nDCG@10 / P@10 / recall@20 of grade-2 papers, then per topic the
nDCG@10 of each system.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evaluate as ev

KEYWORDS = 3
EXAMPLES = 2


def few(s: ev.LabelledSet, description: bool) -> ev.LabelledSet:
    topics = [
        dataclasses.replace(
            t,
            keywords=t.keywords[:KEYWORDS],
            exclude=(),
            description=t.description if description else "",
        )
        for t in s.topics
    ]
    return dataclasses.replace(s, topics=topics)


def bm25_with(s: ev.LabelledSet, given: dict[str, list[ev.Paper]]) -> ev.Scores:
    """BM25 with each topic's examples' titles added to its keywords as the query."""
    s = dataclasses.replace(
        s,
        topics=[
            dataclasses.replace(t, keywords=(*t.keywords, *(p.title for p in given[t.name])))
            for t in s.topics
        ],
    )
    return ev.bm25_scores(s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--description", action="store_true", help="keep topics' descriptions")
    parser.add_argument("--hf", action="store_true", help="also the hf set (labelled last)")
    args = parser.parse_args()
    rows: list[tuple[str, ev.LabelledSet, dict[str, ev.Result]]] = []
    for whole in ev.load_sets((*ev.BLIND, "hf") if args.hf else ev.BLIND):
        s = few(whole, args.description)
        given = s.examples(EXAMPLES)
        systems = {
            "BM25": ev.bm25_scores(s),
            "BM25, examples' titles in the query": bm25_with(s, given),
            "keywords alone": ev.digest_scores(s, ev.TODAY, profile=False),
            "defaults": ev.digest_scores(s, {}, profile=False),
            "**defaults + 2 examples**": ev.digest_scores(s, {}, examples=given, opt_in=True),
        }
        rows.append((s.name, s, {k: ev.evaluate(s, v, given) for k, v in systems.items()}))
    names = list(rows[0][2])
    print(f"{KEYWORDS} keywords a topic, {EXAMPLES} examples, the pool without them; ", end="")
    print("descriptions kept" if args.description else "no descriptions")
    print("\n| set | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for name, _, results in rows:
        cells = []
        for system in names:
            m = ev.macro(results[system])
            cells.append(f"{m[0]:.3f} / {m[1]:.2f} / {m[2]:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    mean = [sum(ev.macro(r[system])[0] for _, _, r in rows) / len(rows) for system in names]
    print("| mean nDCG@10 | " + " | ".join(f"{m:.3f}" for m in mean) + " |")
    print("\nPer topic, nDCG@10 (" + ", ".join(names) + "):\n")
    for name, s, results in rows:
        for t in s.topics:
            cells = " / ".join(f"{results[system][t.name][0]:.2f}" for system in names)
            print(f"- {name}, {t.name} ({', '.join(t.keywords)}): {cells}")


if __name__ == "__main__":
    main()
