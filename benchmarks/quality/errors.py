"""The errors counted: ``python benchmarks/quality/errors.py`` (a few seconds).

On the six labelled sets of evaluate.py, with the shipped defaults and each topic alone (as a
user following it sees it), every paper graded 2 is read out with ``digest explain``'s
function (:func:`digest.rank.explain.explain`): counted by the topic, or missed, and why
(vetoed, none of the topic's words, its words within a quarter of ``WORDS_ALONE`` or further);
then each topic's first ten papers by grade and by what counted them (a keyword, or the
topic's words alone). docs/quality.md, "The errors counted", quotes it.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evaluate as ev

from digest.rank import Ranker, rank_day
from digest.rank.explain import explain
from digest.rank.score import WORDS_ALONE


def main() -> None:
    missed, top = Counter(), Counter()
    for s in ev.load_sets():
        here, first = Counter(), Counter()
        for topic in s.topics:
            ranker = Ranker.compile([topic])
            labels = s.labels[topic.name]
            for p in s.papers:
                if labels.get(p.id, 0) != 2:
                    continue
                why = explain(s.papers, ranker, p.id).topics[0]
                if why.score > 0:
                    here["counted"] += 1
                elif why.vetoed:
                    here["vetoed"] += 1
                elif not why.words:
                    here["none of its words"] += 1
                elif why.words_sum >= 0.75 * WORDS_ALONE:
                    here["its words, within a quarter of the bar"] += 1
                else:
                    here["its words, further"] += 1
            day = rank_day(ev.DAY, s.papers, ranker)
            for x in [x for x in day.papers if x.topics][: ev.K]:
                how = "a keyword" if topic.name in x.matched else "its words alone"
                first[f"grade {labels.get(x.paper.id, 0)}, by {how}"] += 1
        print(f"{s.name}: grade-2 pairs {sum(here.values())}: {dict(here)}")
        print(f"{s.name}: first ten: {dict(sorted(first.items()))}")
        missed.update(here)
        top.update(first)
    print(f"all: grade-2 pairs {sum(missed.values())}: {dict(missed)}")
    print(f"all: first ten: {dict(sorted(top.items()))}")


if __name__ == "__main__":
    main()
