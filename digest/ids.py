"""arXiv identifiers: find them in text and links, split off the version."""

from __future__ import annotations

import re

# New style (0704.0001 onwards: YYMM.NNNN or YYMM.NNNNN) and old style (hep-th/9901001, math.AG/0101001).
_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})"
ARXIV_ID = re.compile(rf"(?<![\w.])(?P<id>{_ID})(?:v(?P<version>\d+))?(?![\w])")
_IN_LINK = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/|oai:arXiv\.org:|arxiv:)"
    rf"(?P<id>{_ID})(?:v(?P<version>\d+))?",
    re.IGNORECASE,
)


def split_version(value: str) -> tuple[str, int | None]:
    """``"2403.08540v2"`` -> ``("2403.08540", 2)``; an id without version -> ``(id, None)``."""
    match = ARXIV_ID.fullmatch(value.strip())
    if not match:
        return value.strip(), None
    version = match["version"]
    return match["id"], int(version) if version else None


def find_in_link(*values: str | None) -> tuple[str, int | None] | None:
    """The arXiv id named by an arXiv or Hugging Face paper link (or an ``arXiv:`` tag)."""
    for value in values:
        if value and isinstance(value, str):
            match = _IN_LINK.search(value)
            if match:
                version = match["version"]
                return match["id"], int(version) if version else None
    return None


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"
