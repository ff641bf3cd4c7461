"""Learning the topics' profiles from a store: ``python benchmarks/bench_profiles.py [N]``
(default 1000000).

Collects the N-paper synthetic corpus (see corpus.py) into a store under ``benchmarks/data/``
once (kept for the next run), then, in a fresh process each time, learns the profiles of the 20
topics of bench_rank.py from it (opted in: ``ranking.learn: true``; topics without examples
learn nothing by default) as a first build does: the store's term statistics counted over
every paper, the papers of the last 365 days matched against the keywords, the profiles learned;
then again with the statistics kept (what a later build does: only new papers are counted).
Prints the best wall time of three runs of each and the peak memory (max RSS) of the process.
Target (issue 21): all profiles from a 1M-paper store in under 10 s and 300 MB.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from corpus import corpus  # noqa: E402

LEARN = r"""
import resource, sys, time
sys.path.insert(0, sys.argv[3])
from bench_rank import make_topics
from digest.model import Ranking
from digest.rank import Ranker
from digest.rank.history import learn_from_store
from digest.store import Store
store_path, fresh = sys.argv[1], sys.argv[2] == "fresh"
with Store(store_path) as store:
    if fresh:  # forget the term statistics and the profiles a build kept
        with store.transaction():
            store.db.execute("DELETE FROM terms")
            store.db.execute("DELETE FROM meta WHERE key LIKE 'terms.%' OR key LIKE 'profiles%'")
    else:
        with store.transaction():
            store.db.execute("DELETE FROM meta WHERE key LIKE 'profiles%'")
    from digest.store import paper_from_row  # the first 5,000 papers, as bench_rank.py picks
    rows = store.db.execute("SELECT id, title_key, title, abstract, authors, url, date, source, "
                            "categories, extra FROM papers ORDER BY rowid LIMIT 5000")
    topics = make_topics([paper_from_row(r) for r in rows])
    start = time.perf_counter()
    matcher = Ranker.compile(topics).matcher
    profiles = learn_from_store(store, topics, Ranking(learn=True), matcher, {}, {})
    seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
terms = sum(len(p.weights) for p in profiles.profiles if p)
print(f"{seconds:.2f} {peak:.0f} {terms}")
"""


def store_path(n: int) -> Path:
    return HERE / "data" / f"store-{n}.sqlite"


def store_of(n: int) -> Path:
    """The corpus collected into a store (made once), in a process of its own: a process's peak
    memory (max RSS) is kept across fork and exec, so the runs measured must not be started
    by the one that collected (they once reported its 335 MB as theirs, 203 MB without)."""
    path = store_path(n)
    if not path.exists():
        subprocess.run([sys.executable, __file__, "--collect", str(n)], check=True)
    return path


def collect_into(n: int) -> None:
    """Collect the corpus into the store (what ``store_of`` runs in a process of its own)."""
    path = store_path(n)
    if not path.exists():
        import datetime as dt

        from digest.collect import collect
        from digest.config import Config, SourceSpec
        from digest.store import Store

        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        started = time.perf_counter()
        config = Config(root=HERE, sources=(SourceSpec("bench", str(corpus(n))),), store=tmp)
        with Store(tmp) as store:
            collect(config, store, dt.date(2030, 1, 1))
        tmp.rename(path)
        print(f"collected {n:,} papers into {path.name} in {time.perf_counter() - started:.0f} s")


def run(path: Path, how: str) -> tuple[float, float, int]:
    out = subprocess.run(
        [sys.executable, "-c", LEARN, str(path), how, str(HERE)],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1]), int(out[2])


def main(n: int) -> None:
    path = store_of(n)
    for label, how in (
        ("first build: count every paper, learn", "fresh"),
        ("later build: statistics kept, learn", "kept"),
    ):
        best = min(run(path, how) for _ in range(3))
        print(f"{label:<44}{best[0]:>7.2f} s  {best[1]:>5.0f} MB peak  ({best[2]} terms)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--collect"]:
        collect_into(int(sys.argv[2]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
