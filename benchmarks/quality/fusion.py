"""Fusing digest's ranking with BM25's: ``python benchmarks/quality/fusion.py`` (needs the
``bench`` extra, for bm25s).

On the six labelled sets of evaluate.py, the shipped defaults' scores (keywords and their words,
no profile) are fused with bm25s's (the keywords joined as the query) in two ways: reciprocal-
rank fusion, ``1 / (k + digest's rank) + w / (k + BM25's rank)`` (a paper scored 0 by one of
them gets nothing from it), and a weighted sum of the two scores, each divided by the topic's
highest. Each set is scored with the option best (mean macro nDCG@10) on the tuned sets other
than it (evaluate.py's TUNED), as evaluate.py chooses its parameters; the sets not tuned on take
the option best on all of them. Prints every option on every set, then the held-out figures
beside the defaults and BM25, and what the chosen option does to each topic against the
defaults. Measured 2026-12-03 (docs/quality.md): it does not ship.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evaluate as ev

Option = tuple[str, int, float]  # ("rrf", k, w) or ("sum", 0, w)
OPTIONS: list[Option] = [("rrf", k, w) for k in (5, 10, 20, 60) for w in (0.25, 0.5, 1.0)] + [
    ("sum", 0, w) for w in (0.1, 0.25, 0.5, 1.0)
]


def ranks(scores: Sequence[float]) -> list[int | None]:
    """Each paper's rank (1 first) among those scored above 0; None for the others."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    out: list[int | None] = [None] * len(scores)
    for position, i in enumerate(order):
        if scores[i] > 0:
            out[i] = position + 1
    return out


def fused(ours: Sequence[float], bm25: Sequence[float], option: Option) -> list[float]:
    how, k, w = option
    if how == "rrf":
        return [
            (1 / (k + a) if a else 0.0) + (w / (k + b) if b else 0.0)
            for a, b in zip(ranks(ours), ranks(bm25), strict=True)
        ]
    top_a, top_b = max(ours, default=0) or 1, max(bm25, default=0) or 1
    return [a / top_a + w * b / top_b for a, b in zip(ours, bm25, strict=True)]


def main() -> None:
    sets = ev.load_sets()
    ours = {s.name: ev.digest_scores(s, {}, profile=False) for s in sets}
    bm25 = {s.name: ev.bm25_scores(s) for s in sets}

    def run(s: ev.LabelledSet, option: Option) -> ev.Result:
        return ev.evaluate(
            s, {t.name: fused(ours[s.name][t.name], bm25[s.name][t.name], option) for t in s.topics}
        )

    results = {(s.name, o): run(s, o) for s in sets for o in OPTIONS}
    defaults = {s.name: ev.evaluate(s, ours[s.name]) for s in sets}
    plain = {s.name: ev.evaluate(s, bm25[s.name]) for s in sets}
    for o in OPTIONS:
        cells = ", ".join(f"{s.name} {ev.macro(results[s.name, o])[0]:.3f}" for s in sets)
        print(f"{o}: {cells}")
    print(
        "\n| set | BM25 | defaults | fused, held out | option | worst topic against the defaults |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for s in sets:
        others = [n for n in ev.TUNED if n != s.name]
        best = max(OPTIONS, key=lambda o: sum(ev.macro(results[n, o])[0] for n in others))
        got, base = results[s.name, best], defaults[s.name]
        worst = min(s.topics, key=lambda t: got[t.name][0] - base[t.name][0]).name
        print(
            f"| {s.name} | {ev.macro(plain[s.name])[0]:.3f} | {ev.macro(base)[0]:.3f} | "
            f"{ev.macro(got)[0]:.3f} | {best} | {got[worst][0] - base[worst][0]:+.3f} ({worst}) |"
        )


if __name__ == "__main__":
    main()
