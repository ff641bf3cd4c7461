"""Synthetic corpora built from the bundled sample abstracts, in the arXiv metadata snapshot's
JSON Lines form (line breaks in titles and abstracts included): ``python benchmarks/corpus.py 10000 100000 1000000``.

Papers are spread over days (about 125 a day, like a busy arXiv listing); titles and abstracts
are recombined from the samples so every paper is distinct but reads like a real one. About 2% of
the lines repeat an earlier paper (a later version), so de-duplication has work to do.
Files go to ``benchmarks/data/`` (git-ignored) and are reused when present.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PER_DAY = 125
START = dt.date(1990, 1, 1)  # 1M papers at 125 a day span about 22 years


def samples() -> list[tuple[str, str]]:
    pairs = []
    for page in sorted((ROOT / "feeds" / "pages").glob("*.txt")):
        paras = [p.strip() for p in page.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        start = next(i for i, p in enumerate(paras) if p[:3] in {"Mar", "Aug"}) + 1
        pairs.extend((paras[i], paras[i + 1]) for i in range(start, len(paras) - 1, 2))
    return pairs


def wrap(text: str, width: int, indent: str = "") -> str:
    """Line breaks as the arXiv snapshot has them (a newline instead of a space every ~width)."""
    out, column = [], 0
    for word in text.split(" "):
        if column and column + len(word) > width:
            out.append("\n" + indent)
            column = len(indent)
        elif column:
            out.append(" ")
            column += 1
        out.append(word)
        column += len(word)
    return "".join(out)


def generate(n: int, path: Path, seed: int = 1) -> Path:
    rng = random.Random(seed)
    pairs = samples()
    sentences = [s.strip() + "." for _, a in pairs for s in a.split(". ") if len(s) > 30]
    words = sorted({w for t, _ in pairs for w in t.split() if w.isalpha() and len(w) > 3})
    tmp = path.with_suffix(".tmp")
    written: list[tuple[str, str]] = []
    per_month: dict[str, int] = {}
    with open(tmp, "w", encoding="utf-8") as out:
        for i in range(n):
            day = START + dt.timedelta(days=i // PER_DAY)
            if written and rng.random() < 0.02:  # a later version of an earlier paper
                arxiv_id, title = written[rng.randrange(len(written))]
                versions = [
                    {"version": "v1", "created": "x"},
                    {"version": "v2", "created": day.strftime("%a, %d %b %Y 10:00:00 GMT")},
                ]
            else:
                base_title = pairs[i % len(pairs)][0]
                title = f"{base_title}: {' '.join(rng.sample(words, 2))} {i}"
                month = day.strftime("%y%m")
                per_month[month] = per_month.get(month, 0) + 1
                arxiv_id = f"{month}.{per_month[month]:05d}"
                versions = [{"version": "v1", "created": day.strftime("%a, %d %b %Y 10:00:00 GMT")}]
                if len(written) < 50_000:
                    written.append((arxiv_id, title))
            abstract = " ".join(rng.sample(sentences, 6))
            record = {
                "id": arxiv_id,
                "submitter": "A. Submitter",
                "authors": "A. Author, B. Author and C. Author",
                "title": wrap(title, 70, "  "),
                "comments": "12 pages",
                "journal-ref": None,
                "doi": None,
                "categories": "cs.LG stat.ML",
                "license": None,
                "abstract": "  " + wrap(abstract, 80) + "\n",
                "versions": versions,
                "update_date": day.isoformat(),
            }
            out.write(json.dumps(record) + "\n")
    tmp.replace(path)
    return path


def corpus(n: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"corpus-{n}.jsonl"
    if not path.exists():
        generate(n, path)
    return path


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["10000", "100000"]:
        print(corpus(int(arg)))
