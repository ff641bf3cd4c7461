"""Ranking quality on a labelled set: ``python benchmarks/quality/evaluate.py``.

``labels.tsv`` holds, for each of the 159 distinct papers of the bundled sample pages and each
topic of ``topics.yaml``, a relevance judgment made by reading the abstract: 0 not relevant,
1 related, 2 central. The set has traps: data pruning is not model pruning, dataset distillation
is not model distillation, sampling temperature is not a scaling law, "reward models" used at
inference are not reinforcement learning.

For each topic the script ranks all papers and prints nDCG@10 (gain 2^rel - 1) and P@10
(relevant: rel >= 1) for digest's ranker, for ablations of its formula, and for two baselines
on the same keywords: naive substring counting, and BM25 (the bm25s package, Snowball-stemmed,
the keywords joined as the query). The ranker must beat both on the macro average.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

import digest.rank.score as rank_module  # noqa: E402
from digest.collect import parse_sources  # noqa: E402
from digest.config import Highlights, SourceSpec, config_from_text  # noqa: E402
from digest.model import Paper, Topic  # noqa: E402
from digest.rank import Detail, Ranker, rank_day  # noqa: E402

K = 10
Scorer = Callable[[Sequence[Paper], Topic], list[float]]


def load() -> tuple[list[Paper], list[Topic], dict[str, dict[str, int]]]:
    papers, _ = parse_sources(
        [SourceSpec("pages", str(ROOT / "feeds/pages/*.txt"))], ROOT, dt.date(2026, 11, 23)
    )
    topics = list(config_from_text((HERE / "topics.yaml").read_text(), HERE).topics)
    with open(HERE / "labels.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    labels = {t.name: {r["title"]: int(r[t.name]) for r in rows} for t in topics}
    titles = {p.title for p in papers}
    missing = [r["title"] for r in rows if r["title"] not in titles]
    if missing or len(rows) != len(papers):
        raise SystemExit(f"labels.tsv does not match the sample pages: {missing[:3]}")
    return papers, topics, labels


def ndcg(ranked: list[int], ideal: list[int]) -> float:
    def dcg(gains: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:K]))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(ranked) / best if best else 0.0


def evaluate(
    scorer: Scorer, papers: list[Paper], topics: list[Topic], labels: dict[str, dict[str, int]]
) -> dict[str, tuple[float, float]]:
    out = {}
    for topic in topics:
        scores = scorer(papers, topic)
        # Ties (equal scores) keep the pages' order: no scorer gets to peek at the labels.
        order = sorted(range(len(papers)), key=lambda i: -scores[i])
        rels = [labels[topic.name][papers[i].title] if scores[i] > 0 else 0 for i in order]
        ideal = [labels[topic.name][p.title] for p in papers]
        out[topic.name] = (ndcg(rels, ideal), sum(1 for r in rels[:K] if r >= 1) / K)
    return out


def digest_scorer(**overrides: float) -> Scorer:
    def score(papers: Sequence[Paper], topic: Topic) -> list[float]:
        saved = {k: getattr(rank_module, k) for k in overrides}
        try:
            for k, v in overrides.items():
                setattr(rank_module, k, v)
            day = rank_day(
                dt.date(2026, 1, 1),
                papers,
                Ranker.compile([topic]),
                Highlights(),
                tldrs=Detail.HIGHLIGHTS,
            )
        finally:
            for k, v in saved.items():
                setattr(rank_module, k, v)
        by_id = {s.paper.id: s.score for s in day.papers}
        return [by_id[p.id] for p in papers]

    return score


def no_exclusions(papers: Sequence[Paper], topic: Topic) -> list[float]:
    return digest_scorer()(papers, Topic(topic.name, topic.keywords))


def substring_scorer(papers: Sequence[Paper], topic: Topic) -> list[float]:
    words = [k.lower().strip("/") for k in topic.keywords]
    return [
        float(sum((p.title + " " + p.abstract).lower().count(w) for w in words)) for p in papers
    ]


def bm25_scorer(papers: Sequence[Paper], topic: Topic) -> list[float]:
    import bm25s
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("english")
    corpus = bm25s.tokenize(
        [p.title + " " + p.abstract for p in papers],
        stopwords="en",
        stemmer=stemmer,
        show_progress=False,
    )
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    query = bm25s.tokenize(
        " ".join(topic.keywords),
        stopwords="en",
        stemmer=stemmer,
        return_ids=False,
        show_progress=False,
    )[0]
    return [float(s) for s in retriever.get_scores(query)]


def main() -> None:
    papers, topics, labels = load()
    systems: list[tuple[str, Scorer]] = [
        ("digest", digest_scorer()),
        ("  without rarity (idf)", digest_scorer(IDF_FLOOR=1.0)),
        ("  without title weight", digest_scorer(TITLE=1.0)),
        ("  without saturation", digest_scorer(K1=1e9)),
        ("  without exclusions", no_exclusions),
        ("substring counting", substring_scorer),
        ("BM25 (bm25s)", bm25_scorer),
    ]
    names = [t.name for t in topics]
    print(f"{'nDCG@10 / P@10':<24}" + "".join(f"{n[:16]:>18}" for n in names) + f"{'macro':>18}")
    results = {}
    for label, scorer in systems:
        r = evaluate(scorer, papers, topics, labels)
        results[label] = r
        macro = (sum(v[0] for v in r.values()) / len(r), sum(v[1] for v in r.values()) / len(r))
        cells = "".join(f"{r[n][0]:>11.3f} / {r[n][1]:.1f}" for n in names)
        print(f"{label:<24}{cells}{macro[0]:>11.3f} / {macro[1]:.2f}")
    ours = sum(v[0] for v in results["digest"].values())
    beaten = all(
        ours > sum(v[0] for v in results[b].values())
        for b in ("substring counting", "BM25 (bm25s)")
    )
    print("digest beats both baselines on macro nDCG@10:", "yes" if beaten else "NO")
    sys.exit(0 if beaten else 1)


if __name__ == "__main__":
    main()
