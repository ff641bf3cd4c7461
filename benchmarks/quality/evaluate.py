"""Ranking quality on the labelled sets, held out: ``python benchmarks/quality/evaluate.py``.

Six frozen sets, each a pool of papers, topics and a 0/1/2 judgment per paper and topic
(0 not relevant, 1 related, 2 central): ``topics.yaml`` + ``labels.tsv`` (159 papers of the
sample pages, five ML topics: the set the keyword ranker's own parameters were chosen on),
``cv/`` (172 real cs.CV papers, six topics, blind), ``cs/`` (115 rows of cs.CR/cs.SE/cs.NI,
110 distinct papers, six topics), ``nlp/`` (172 rows of cs.CL/cs.SE/cs.MA, 170 distinct
papers, six topics, blind), ``lg/`` (126 rows of cs.LG/cs.AI/math.OC, 99 distinct papers,
six topics, blind; duplicated ids counted once) and ``ro/`` (94 papers of a robotics fork's
day, six robotics topics, blind). No parameter is chosen on ``nlp``, ``lg`` or ``ro``: they
were labelled after the words' parameters were chosen on the other three (the three design
choices made with nlp and lg seen are in docs/quality.md; ro was scored once, after every
choice). With ``--hf``, a seventh: ``hf/`` (112 Hugging Face daily papers of July 2024 with
their upvotes, six topics, blind), labelled after every choice, with ``ranking.upvotes``'
default set before it was read; the one set with upvotes.

Every system ranks each pool against each topic (the pool is the history: the profile learns
from the pool, as ``digest rank FILES`` does). Per set and topic the script prints nDCG@10
(gain 2^rel - 1), P@10 (relevant: rel >= 1) and recall@20 of the grade-2 papers, for:

* naive keyword counting (substring counts of the keywords),
* BM25 (the bm25s package, Snowball-stemmed, the keywords joined as the query),
* today's ranker (keywords alone: ``ranking.words: 0``, ``ranking.description: 0``,
  ``ranking.profile: 0``, the ranker before issue 21),
* digest's defaults: keywords and the words of the topic's keywords and description
  (``ranking.words``, ``ranking.description``); a topic learns a profile only when it has
  examples, so these topics (without) learn none,
* + profile (opted in for every topic: ``ranking.learn: true``),
* + examples: three grade-2 papers per topic (drawn with a fixed seed) given as the topic's
  examples and left out of the pool for that topic (with the defaults, examples turn the
  profile on); this row is compared with today's ranker and BM25 on the same smaller pool,
  printed beside it,
* + upvotes: the defaults with the community factor (``ranking.upvotes`` 0.1, 0.2 and 0.5;
  every other row scores without it), on the one set with upvotes, hf; the pool is ranked as
  one day, so a paper's factor is its upvotes against the pool's most.

Under each table, what a topic's section holds (every paper it counts, score above 0) for
today's ranker, the defaults and + profile: the share graded 1 or 2 (precision), the share of
those it holds (recall) and its size, each the mean over topics.

Parameters are chosen by cross-validation across the sets ml, cv and cs: for each of them,
every combination of a grid is scored on the two *other* sets (mean macro nDCG@10, no topic
more than 0.02 under today's ranker) and the best is used on the held set; ``nlp``, ``lg``
and ``ro`` are scored with the combination best on all three. Only held-out figures are printed. ``--defaults``
scores the shipped defaults instead (the words' are the combination best on all three; the
profile's are not, see docs/quality.md).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import itertools
import json
import math
import random
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

import digest.rank.profile as profile_module  # noqa: E402
import digest.rank.score as score_module  # noqa: E402
from digest.collect import parse_sources  # noqa: E402
from digest.config import Highlights, SourceSpec, config_from_text  # noqa: E402
from digest.model import Paper, Ranking, Topic  # noqa: E402
from digest.rank import Detail, Ranker, rank_day  # noqa: E402
from digest.rank.profile import learn_all  # noqa: E402

K = 10
DAY = dt.date(2026, 1, 1)
SEED = 21  # which grade-2 papers are a topic's examples
EXAMPLES = 3
# The grids cross-validation chooses from: (module, constant) or Ranking field -> values.
WORDS_GRID: dict[str, tuple[float, ...]] = {
    "words": (1.0, 0.5, 2.0),  # the words of a topic's keywords
    "description": (1.0, 0.0, 0.25, 0.5),  # the words of its description
    # the sum of its words from which a paper no keyword matches counts (99: only holding all
    # the words of a keyword); on a tie the earliest, the strictest of the best, wins
    "WORDS_ALONE": (2.0, 3.0, 99.0, 1.5, 1.0),
    # a word in n of a topic's keywords weighs n ** WORD_REPEATS (0: every word alike)
    "WORD_REPEATS": (1.0, 0.5, 0.0),
}
GRID: dict[str, tuple[float, ...]] = {  # the profile's, on top of the words chosen
    "Q": (1.0, 3.0),  # the keywords' own terms in a profile
    "TERMS": (20, 60),  # terms a profile keeps
    # the similarity a paper without keywords needs; on a tie the strictest wins (fewer
    # papers shown as related, where nDCG@10 cannot tell)
    "RELATED": (0.5, 0.35),
    "profile": (0.5, 1.0, 2.0),  # the profile's weight in the score
}
TUNED = ("ml", "cv", "cs")  # the sets parameters are chosen on; the others are only scored
WORST = -0.02  # a combination may cost no topic of the sets it is chosen on more than this
EXAMPLE_GRID: dict[str, tuple[float, ...]] = {
    "examples": (1.0, 2.0, 4.0),  # the examples' weight in the profile
    "LIKE_LIFT": (0.5, 0.75, 1.0),  # the likeness to an example a paper without keywords needs
    "LIKE_CAP": (1.0, 2.0),  # the most likeness adds
}
Labels = dict[str, dict[str, int]]  # topic -> paper id -> grade


@dataclass
class LabelledSet:
    name: str
    papers: list[Paper]
    topics: list[Topic]
    labels: Labels

    def examples(self, count: int = EXAMPLES) -> dict[str, list[Paper]]:
        """Per topic, ``count`` grade-2 papers given as examples (a fixed draw)."""
        rng = random.Random(SEED)
        by_id = {p.id: p for p in self.papers}
        out = {}
        for t in self.topics:
            central = sorted(i for i, g in self.labels[t.name].items() if g == 2)
            out[t.name] = [by_id[i] for i in rng.sample(central, min(count, len(central)))]
        return out


BLIND = ("cv", "cs", "nlp", "lg", "ro")  # the sets beside ml, in the order they were labelled


def load_sets(names: Sequence[str] = BLIND) -> list[LabelledSet]:
    """ml and the sets ``names`` (``hf``, the one set with upvotes, only where asked)."""
    papers, _ = parse_sources(
        [SourceSpec("pages", str(ROOT / "feeds/pages/*.txt"))], ROOT, dt.date(2026, 11, 23)
    )
    topics = list(config_from_text((HERE / "topics.yaml").read_text(), HERE).topics)
    with open(HERE / "labels.tsv", encoding="utf-8") as f:
        rows = {r["title"]: r for r in csv.DictReader(f, delimiter="\t")}
    if len(rows) != len(papers) or any(p.title not in rows for p in papers):
        raise SystemExit("labels.tsv does not match the sample pages")
    sets = [
        LabelledSet(
            "ml",
            papers,
            topics,
            {t.name: {p.id: int(rows[p.title][t.name]) for p in papers} for t in topics},
        )
    ]
    for name in names:
        folder = HERE / name
        if not folder.is_dir():
            continue
        topics = list(config_from_text((folder / "topics.yaml").read_text(), folder).topics)
        papers, seen = [], set()
        with open(folder / "papers.jsonl", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if r["id"] in seen:  # the cs and nlp pools list a few papers twice
                    continue
                seen.add(r["id"])
                papers.append(
                    Paper(
                        r["id"],
                        " ".join(r["title"].split()),
                        " ".join(r["summary"].split()),
                        DAY,
                        name,
                        extra={"upvotes": int(r["upvotes"])} if "upvotes" in r else {},
                    )
                )
        with open(folder / "labels.tsv", encoding="utf-8") as f:
            by_id = {r["id"]: r for r in csv.DictReader(f, delimiter="\t")}
        labels = {t.name: {p.id: int(by_id[p.id][t.name]) for p in papers} for t in topics}
        sets.append(LabelledSet(name, papers, topics, labels))
    return sets


# -- measures --------------------------------------------------------------------------------


def measures(
    scores: Sequence[float], papers: Sequence[Paper], grades: Mapping[str, int]
) -> tuple[float, float, float]:
    """nDCG@10, P@10 and recall@20 of grade-2 papers; a paper scored 0 is not retrieved, and
    ties keep the pool's order (no scorer peeks at the labels)."""
    order = sorted(range(len(papers)), key=lambda i: -scores[i])
    got = [grades[papers[i].id] if scores[i] > 0 else 0 for i in order]
    ideal = sorted((grades[p.id] for p in papers), reverse=True)

    def dcg(gains: Sequence[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:K]))

    central = sum(1 for g in ideal if g == 2)
    return (
        dcg(got) / dcg(ideal) if dcg(ideal) else 0.0,
        sum(1 for g in got[:K] if g >= 1) / K,
        sum(1 for g in got[:20] if g == 2) / central if central else 0.0,
    )


Result = dict[str, tuple[float, float, float]]  # topic -> measures


def macro(result: Result) -> tuple[float, float, float]:
    n = len(result)
    return tuple(sum(v[i] for v in result.values()) / n for i in range(3))  # type: ignore[return-value]


# -- systems ---------------------------------------------------------------------------------

Scores = dict[str, list[float]]  # topic -> a score per paper of the pool


@contextmanager
def constants(values: Mapping[str, float]) -> Iterator[None]:
    """Set the module constants of the grid for a while."""
    saved = {}
    for key, value in values.items():
        for module in (profile_module, score_module):
            if hasattr(module, key):
                saved[(module, key)] = getattr(module, key)
                setattr(module, key, type(getattr(module, key))(value))
    try:
        yield
    finally:
        for (module, key), value in saved.items():
            setattr(module, key, value)


def digest_scores(
    s: LabelledSet,
    params: Mapping[str, float],
    *,
    profile: bool = True,
    examples: Mapping[str, Sequence[Paper]] | None = None,
    opt_in: bool = False,
) -> Scores:
    """Every topic's score of every paper, by digest's ranker (one topic at a time, as a
    user following it would see it). ``opt_in``: as digest's defaults decide, a topic learns a
    profile only when it has examples (:meth:`Ranking.learns`)."""
    fields = ("profile", "examples", "words", "description")
    ranking = Ranking(
        profile=float(params.get("profile", 1.0)) if profile else 0.0,
        examples=float(params.get("examples", Ranking.examples)),
        words=float(params.get("words", Ranking.words)),
        description=float(params.get("description", Ranking.description)),
        upvotes=float(params.get("upvotes", 0.0)),  # only the "+ upvotes" row counts them
    )
    out: Scores = {}
    with constants({k: v for k, v in params.items() if k not in fields}):
        for topic in s.topics:
            ranker = Ranker.compile([topic])
            found = None
            given = tuple(p.id for p in (examples or {}).get(topic.name, ()))
            if opt_in and not Ranking().learns(dataclasses.replace(topic, examples=given)):
                pass  # no examples: no profile, keywords alone
            elif profile:
                wanted = {topic.name: examples[topic.name]} if examples else None
                found = learn_all(
                    [topic], s.papers, ranker.matcher, examples=wanted,
                    example_weight=ranking.examples, avoid_weight=ranking.avoid,
                )  # fmt: skip
            ranker = Ranker.compile([topic], ranker.matcher, profiles=found, settings=ranking)
            day = rank_day(
                DAY, s.papers, ranker, Highlights(), tldrs=Detail.NONE, marks=Detail.NONE
            )
            by_id = {x.paper.id: x.score for x in day.papers}
            out[topic.name] = [by_id[p.id] for p in s.papers]
    return out


def substring_scores(s: LabelledSet) -> Scores:
    out = {}
    for topic in s.topics:
        words = [k.lower().strip("/") for k in topic.keywords]
        out[topic.name] = [
            float(sum((p.title + " " + p.abstract).lower().count(w) for w in words))
            for p in s.papers
        ]
    return out


def bm25_scores(s: LabelledSet) -> Scores:
    import bm25s
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("english")
    corpus = bm25s.tokenize(
        [p.title + " " + p.abstract for p in s.papers], stopwords="en", stemmer=stemmer,
        show_progress=False,
    )  # fmt: skip
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    out = {}
    for topic in s.topics:
        query = bm25s.tokenize(
            " ".join(topic.keywords), stopwords="en", stemmer=stemmer, return_ids=False,
            show_progress=False,
        )[0]  # fmt: skip
        out[topic.name] = [float(x) for x in retriever.get_scores(query)]
    return out


def evaluate(
    s: LabelledSet, scores: Scores, leave_out: Mapping[str, Sequence[Paper]] | None = None
) -> Result:
    """Measures per topic; ``leave_out``: per topic, papers taken out of the pool."""
    result = {}
    for topic in s.topics:
        gone = {p.id for p in (leave_out or {}).get(topic.name, ())}
        keep = [i for i, p in enumerate(s.papers) if p.id not in gone]
        result[topic.name] = measures(
            [scores[topic.name][i] for i in keep], [s.papers[i] for i in keep], s.labels[topic.name]
        )
    return result


def sections(s: LabelledSet, scores: Scores) -> tuple[float, float, float]:
    """What a topic's section holds, the papers it counts (score above 0), against the labels:
    the share of them graded 1 or 2 (precision, 1 for an empty section), the share of the
    papers graded 1 or 2 it holds (recall), and how many it holds; each the mean over topics."""
    precision, recall, size = [], [], []
    for topic in s.topics:
        counted = [p.id for p, x in zip(s.papers, scores[topic.name], strict=True) if x > 0]
        relevant = {p.id for p in s.papers if s.labels[topic.name][p.id] >= 1}
        hit = sum(1 for pid in counted if pid in relevant)
        precision.append(hit / len(counted) if counted else 1.0)
        recall.append(hit / len(relevant) if relevant else 1.0)
        size.append(len(counted))
    n = len(s.topics)
    return sum(precision) / n, sum(recall) / n, sum(size) / n


# -- cross-validation ------------------------------------------------------------------------


def combinations(grid: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def choose(
    sets: Sequence[LabelledSet],
    grid: Mapping[str, Sequence[float]],
    run: Callable[[LabelledSet, dict[str, float]], Result],
    today: Mapping[str, Result],
    fixed: Mapping[str, dict[str, float]] | None = None,
    fixed_all: Mapping[str, float] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Per set, the parameters it is scored with: ``fixed`` (chosen before, per set) and the
    grid's combination best on the :data:`TUNED` sets other than it, by mean macro nDCG@10
    among those that cost no topic of theirs more than :data:`WORST` against ``today``
    (per set, today's ranker's results); a set not tuned on takes the combination best on
    all of them (with ``fixed_all``). And that combination."""
    options = combinations(grid)
    tuned = [s for s in sets if s.name in TUNED]
    cache: dict[tuple[str, tuple[tuple[str, float], ...], int], tuple[float, float]] = {}

    def score(o: LabelledSet, base: Mapping[str, float], i: int) -> tuple[float, float]:
        key = (o.name, tuple(sorted(base.items())), i)
        if key not in cache:
            r = run(o, {**base, **options[i]})
            cache[key] = (macro(r)[0], min(r[t][0] - today[o.name][t][0] for t in r))
        return cache[key]

    def best_on(names: Collection[str], base: Mapping[str, float]) -> dict[str, float]:
        def key(i: int) -> tuple[bool, float, int]:
            got = [score(o, base, i) for o in tuned if o.name in names]
            return (all(w >= WORST for _, w in got), round(sum(m for m, _ in got), 9), -i)

        return options[max(range(len(options)), key=key)]

    everywhere = best_on(TUNED, fixed_all or {})
    chosen = {}
    for s in sets:
        if s.name in TUNED:
            base = (fixed or {}).get(s.name, {})
            others = [n for n in TUNED if n != s.name]
            chosen[s.name] = {**base, **best_on(others, base)}
        else:
            chosen[s.name] = {**(fixed_all or {}), **everywhere}
    return chosen, everywhere


def row(label: str, result: Result, topics: Sequence[Topic]) -> str:
    cells = " | ".join(
        f"{result[t.name][0]:.3f} / {result[t.name][1]:.1f} / {result[t.name][2]:.2f}"
        for t in topics
    )
    m = macro(result)
    return f"| {label} | {cells} | **{m[0]:.3f}** / {m[1]:.2f} / {m[2]:.2f} |"


TODAY = {"words": 0.0, "description": 0.0}  # today's ranker: keywords alone
UPVOTES = (0.1, 0.2, 0.5)  # the community factor's weights scored on a set with upvotes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defaults", action="store_true", help="score the shipped defaults")
    parser.add_argument(
        "--hf", action="store_true", help="also score hf, the set with upvotes (not tuned on)"
    )
    args = parser.parse_args()
    sets = load_sets((*BLIND, "hf") if args.hf else BLIND)
    shipped = {
        "words": Ranking.words, "description": Ranking.description,
        "WORDS_ALONE": score_module.WORDS_ALONE, "WORD_REPEATS": score_module.WORD_REPEATS,
        "Q": profile_module.Q, "TERMS": profile_module.TERMS,
        "RELATED": profile_module.RELATED, "profile": Ranking.profile,
        "examples": Ranking.examples,
    }  # fmt: skip
    examples = {s.name: s.examples() for s in sets}
    today = {s.name: evaluate(s, digest_scores(s, TODAY, profile=False)) for s in sets}
    today_ex = {
        s.name: evaluate(s, digest_scores(s, TODAY, profile=False), examples[s.name]) for s in sets
    }
    if args.defaults:
        words = profiled = taught = {s.name: shipped for s in sets}
    else:
        words, best_words = choose(
            sets, WORDS_GRID, lambda s, p: evaluate(s, digest_scores(s, p, profile=False)), today
        )
        print(
            f"the words' weights best on {', '.join(TUNED)} (the defaults should be): {best_words}"
        )
        profiled, best_profile = choose(
            sets, GRID, lambda s, p: evaluate(s, digest_scores(s, p)), today, words, best_words
        )
        print(f"the profile's parameters best on {', '.join(TUNED)}: {best_profile}")
        taught, best_examples = choose(
            sets,
            EXAMPLE_GRID,
            lambda s, p: evaluate(
                s, digest_scores(s, p, examples=examples[s.name], opt_in=True), examples[s.name]
            ),
            today_ex,
            profiled,
            {**best_words, **best_profile},
        )
        print(f"the examples' weight best on {', '.join(TUNED)}: {best_examples}")
    verdicts = []
    for s in sets:
        how = "the shipped defaults, not held out" if args.defaults else "held out"
        if s.name not in TUNED and not args.defaults:
            how = "not tuned on: the parameters best on the other three"
        print(f"\n### {s.name}: {len(s.papers)} papers, {how} (parameters: {profiled[s.name]})\n")
        names = [t.name for t in s.topics]
        print("| system | " + " | ".join(names) + " | macro |")
        print("| --- |" + " --- |" * (len(names) + 1))
        bm25 = evaluate(s, bm25_scores(s))
        our_scores = digest_scores(s, words[s.name], opt_in=True)
        learned_scores = digest_scores(s, profiled[s.name])
        ours, learned = evaluate(s, our_scores), evaluate(s, learned_scores)
        print(row("naive keyword counting", evaluate(s, substring_scores(s)), s.topics))
        print(row("BM25 (bm25s)", bm25, s.topics))
        print(row("today's ranker (keywords alone)", today[s.name], s.topics))
        print(row("**keywords + their words + description** (digest's defaults)", ours, s.topics))
        print(row("+ profile (ranking.learn)", learned, s.topics))
        ex = examples[s.name]
        taught_result = evaluate(s, digest_scores(s, taught[s.name], examples=ex, opt_in=True), ex)
        print(row(f"+ examples ({EXAMPLES}/topic; pool without them)", taught_result, s.topics))
        bm25_ex = evaluate(s, bm25_scores(s), ex)
        print(row("  today's ranker, same pool", today_ex[s.name], s.topics))
        print(row("  BM25, same pool", bm25_ex, s.topics))
        if any(p.upvotes for p in s.papers):
            for weight in UPVOTES:
                voted = evaluate(
                    s, digest_scores(s, {**words[s.name], "upvotes": weight}, opt_in=True)
                )
                shipped_mark = " (the default)" if weight == Ranking.upvotes else ""
                print(row(f"+ upvotes (ranking.upvotes {weight:g}{shipped_mark})", voted, s.topics))
        else:
            print("| + upvotes | no upvotes in this set: as above |")
        kept = [
            (name, sections(s, scores))
            for name, scores in (
                ("today's ranker", digest_scores(s, TODAY, profile=False)),
                ("defaults", our_scores),
                ("+ profile", learned_scores),
            )
        ]
        print(
            "\nSections (the papers a topic counts, score > 0), mean over topics: "
            + "; ".join(
                f"{n} {p:.2f} precision / {r:.2f} recall ({k:.1f} papers)" for n, (p, r, k) in kept
            )
            + " (grade >= 1 relevant)"
        )
        better = max(macro(today[s.name])[0], macro(bm25)[0])
        verdicts.append((
            s.name,
            macro(ours)[0] - macro(today[s.name])[0],
            macro(ours)[0] - macro(bm25)[0],
            min(ours[n][0] - today[s.name][n][0] for n in names),
            macro(learned)[0] - better,
            min(learned[n][0] - today[s.name][n][0] for n in names),
            macro(taught_result)[0] - max(macro(today_ex[s.name])[0], macro(bm25_ex)[0]),
            min(taught_result[n][0] - today_ex[s.name][n][0] for n in names),
        ))  # fmt: skip
    print()
    for name, vs_today, vs_bm25, worst, learn, learn_worst, ex, ex_worst in verdicts:
        print(
            f"{name}: defaults {vs_today:+.3f} macro nDCG@10 over today's ranker, {vs_bm25:+.3f} "
            f"over BM25 (target +0.04 over both), worst topic against today's {worst:+.3f} "
            f"(target >= -0.02); + profile {learn:+.3f} over the better of the two (worst topic "
            f"{learn_worst:+.3f}); with {EXAMPLES} examples {ex:+.3f} over the better of the two "
            f"on the same pool (worst topic {ex_worst:+.3f})"
        )


if __name__ == "__main__":
    main()
