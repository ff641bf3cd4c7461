"""TL;DRs that stand alone: ``python benchmarks/tldr_quality.py [--json FILE]``.

Ranks the bundled sample (``digest.yaml``'s sources) and the 172 real arXiv papers of
``shared/samples/real/*.jsonl`` against the sample's topics, a TL;DR for every paper (as
``digest rank --json`` makes them), then counts the TL;DRs that

- open with a connective pointing at a sentence the reader cannot see ("For instance,",
  "Additionally,", "Finally,", "Moreover,", "To address this", "These results", "It"...),
- show LaTeX (``$...$``, ``\\cdot``, ``^{...}``),

in all and among the highlights. The patterns here are the benchmark's own, not the ones
digest's TL;DR code uses, so that the counts before and after a change are taken alike.
``--json FILE`` writes every TL;DR (id -> text) to compare two versions.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.collect import group_by_date, parse_sources  # noqa: E402
from digest.config import SourceSpec, load_config  # noqa: E402
from digest.rank import Detail, Ranker, rank_days  # noqa: E402

REAL = sorted(Path("/work/shared/samples/real").glob("*.jsonl")) or sorted(
    (ROOT.parent / "shared" / "samples" / "real").glob("*.jsonl")
)
# what a reader cannot follow without the sentence before (a paper naming itself is fine:
# "This paper proposes ...", "This work ...")
DANGLING = re.compile(
    r"^(?:for (?:instance|example)|additionally|finally|moreover|furthermore|further|"
    r"in addition|also|besides|thus|therefore|hence|consequently|as a result|accordingly|"
    r"in contrast|by contrast|on the other hand|however|nevertheless|nonetheless|instead|"
    r"meanwhile|similarly|likewise|specifically|in particular|first(?:ly)?|second(?:ly)?|"
    r"third(?:ly)?|lastly|next|then|to(?:wards?)? (?:this|that) end|to do so|in this way|for this|"
    r"(?:to|in order to) \w+ (?:this|these|that|those|such|the above|both)\b|"
    r"(?:based on|building on|inspired by|motivated by|guided by|given) "
    r"(?:this|these|that|those|such)\b|"
    r"(?:this|these|that|those|such)\b(?! (?:paper|work|study|article|survey|report|thesis|"
    r"letter|note|chapter|manuscript|position paper|technical report)\b)|"
    r"it|they|its|their|both)\b",
    re.IGNORECASE,
)
LATEX = re.compile(r"\$|\\[a-zA-Z]+|[\^_]\{")


def sample_days() -> dict:
    config = load_config(ROOT / "digest.yaml")
    papers, _ = parse_sources(config.sources, config.root, dt.date(2026, 11, 23))
    ranker = Ranker.compile(config.topics)
    days = rank_days(group_by_date(papers), ranker, config.highlights, tldrs=Detail.ALL)
    return {"sample": (days, ranker)}


def real_days() -> dict:
    if not REAL:
        return {}
    config = load_config(ROOT / "digest.yaml")
    papers, _ = parse_sources(
        [SourceSpec("real", str(p)) for p in REAL], ROOT, dt.date(2025, 3, 19)
    )
    ranker = Ranker.compile(config.topics)
    days = rank_days(group_by_date(papers), ranker, config.highlights, tldrs=Detail.ALL)
    return {"real": (days, ranker)}


def main() -> None:
    out: dict[str, str] = {}
    for name, (days, _) in (sample_days() | real_days()).items():
        tldrs = [(s, s.tldr) for day in days for s in day.papers if s.tldr]
        dangling = [(s, t) for s, t in tldrs if DANGLING.match(t)]
        latex = [(s, t) for s, t in tldrs if LATEX.search(t)]
        hl = [x for x in tldrs if x[0].highlight]
        print(
            f"{name:7} {len(tldrs):4} TL;DRs ({len(hl)} highlights): "
            f"{len(dangling)} open with a dangling connective "
            f"({sum(s.highlight for s, _ in dangling)} highlights), "
            f"{len(latex)} show LaTeX ({sum(s.highlight for s, _ in latex)} highlights)"
        )
        for s, t in dangling + latex:
            print(f"   {'*' if s.highlight else ' '} {t[:110]}")
        out |= {f"{name}:{s.paper.id}": t for s, t in tldrs}
    if "--json" in sys.argv:
        Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
