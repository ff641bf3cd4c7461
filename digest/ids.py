"""arXiv identifiers: find them in text and links, split off the version.

An id is only taken from a link of a shape that names arXiv papers, never from any number that
looks like one: ``arxiv.org/<abs|pdf|html|...>/ID`` (``.pdf`` and a version allowed),
``huggingface.co/papers/ID``, the arXiv DOI ``10.48550/arXiv.ID``, the tags ``arXiv:ID`` and
``oai:arXiv.org:ID``, and any other http(s) link whose *last* path part is exactly an id (an
aggregator's ``.../p/2604.26238`` or ``.../arxiv/2604.26238``). New-style ids are checked for a
real month and the right number of digits (``YYMM.NNNN`` until 1412, ``YYMM.NNNNN`` from 1501), so
``2023.1015`` (no 23rd month) or ``2101.123`` are never ids; a DOI's ``10.1234/...`` path never
gives one.
"""

from __future__ import annotations

import re

# New style (YYMM.NNNNN from 2015, YYMM.NNNN from 0704 to 1412; the common one first) and old
# style (hep-th/9901001, math.AG/0101001).
_NEW = r"(?:1[5-9]|[2-9]\d)(?:0[1-9]|1[0-2])\.\d{5}|(?:0[7-9]|1[0-4])(?:0[1-9]|1[0-2])\.\d{4}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?:{_NEW}|{_OLD})"
_VERSIONED = rf"(?P<id>{_ID})(?:v(?P<version>\d+))?"
# an id with its version, as a whole string (``ARXIV_ID.fullmatch``: the bulk readers run it on
# every record, so it has no look-arounds)
ARXIV_ID = re.compile(_VERSIONED)
# what may follow an id in a link: the end, a separator, or ".pdf"; never another digit or letter
_END = r"(?=$|[/?#\s\"'<>)\],;]|\.pdf\b|\.(?!\d))"
_IN_LINK = re.compile(
    rf"(?:\barxiv\.org/[a-z_-]+/|\b(?:huggingface|hf)\.co/papers/|\b10\.48550/arxiv\."
    rf"|\boai:arxiv\.org:|\barxiv:\s?){_VERSIONED}{_END}",
    re.IGNORECASE,
)
# any other web link whose last path part is exactly an id (with a version or .pdf)
_LAST_PART = re.compile(
    rf"^https?://(?P<host>[^/\s?#]+)(?P<path>/(?:[^\s?#]*/)?){_VERSIONED}(?:\.pdf)?/?(?:[?#]\S*)?$",
    re.IGNORECASE,
)
_DOI_PATH = re.compile(r"/10\.\d{4,9}/")


def split_version(value: str) -> tuple[str, int | None]:
    """``"2403.08540v2"`` -> ``("2403.08540", 2)``; an id without version -> ``(id, None)``."""
    match = ARXIV_ID.fullmatch(value.strip())
    if not match:
        return value.strip(), None
    version = match["version"]
    return match["id"], int(version) if version else None


def find_in_link(*values: object) -> tuple[str, int | None] | None:
    """The arXiv id (and version) named by the first of ``values`` that names one: a bare id
    (``2606.27531v1``), an arXiv, Hugging Face or aggregator paper link, the arXiv DOI or an
    ``arXiv:`` tag. Links of other shapes give nothing (see the module's docstring)."""
    for value in values:
        if not value or not isinstance(value, str):
            continue
        value = value.strip()
        match = ARXIV_ID.fullmatch(value) or _IN_LINK.search(value)
        if match is None:
            match = _LAST_PART.match(value)
            if match is not None and (
                "doi.org" in match["host"].lower() or _DOI_PATH.search(match["path"])
            ):
                match = None
        if match is not None:
            version = match["version"]
            return match["id"], int(version) if version else None
    return None


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
