"""A topic's examples and papers to avoid, found: each entry of ``examples:`` / ``avoid:`` is
an arXiv id, a title, or a file — BibTeX, CSL JSON or RIS as Zotero (and Mendeley, EndNote,
DBLP, arXiv) export them, or a list of ids or titles, one a line. A file's entry that carries
an abstract is a paper even when the store has never seen it; any other is looked up (by
arXiv id, else by title) among the papers known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .ids import find_in_link
from .latex import latex_to_text
from .model import Paper, Topic, title_id
from .text import clean

_BIB_ENTRY = re.compile(r"@\s*(\w+)\s*[{(]", re.IGNORECASE)  # @misc{...} or @misc(...)
_BIB_FIELD = re.compile(r"(\w+)\s*=\s*", re.IGNORECASE)
# where a BibTeX entry names its arXiv id: Better BibTeX and arXiv's own export (eprint, doi),
# Zotero (url, doi; ``journal = {arXiv:ID [cs]}`` before Zotero 7, ``note = {arXiv:ID [cs]}``
# since), DBLP (url, ee; ``journal = {CoRR}, volume = {abs/ID}``, as Semantic Scholar's
# ``journal = {ArXiv}``), hand-written entries (journal, number, note)
_BIB_ID_FIELDS = ("eprint", "doi", "url", "ee", "journal", "number", "note", "volume")
_ABS_VOLUME = re.compile(r"abs/", re.IGNORECASE)
# RIS: the DOI, the links, Zotero's note (``N1  - arXiv:ID [cs]``), its older ``T2  - arXiv:ID``
_RIS_ID_FIELDS = ("DO", "UR", "L2", "N1", "T2", "JO", "AN", "M1", "M3")
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*)|)$")
# a list's bullet: "- ", "* ", "1. ", "2) "
_BULLET = re.compile(r"^(?:[-*+\u2022]|\d{1,3}[.)])\s+")
# CSL's fields, then Zotero's own items' (the web API's, Better BibTeX's JSON)
_CSL_ID_FIELDS = (
    "number",
    "DOI",
    "URL",
    "note",
    "id",
    "archive_location",
    "archiveID",
    "url",
    "extra",
)
# the markup Zotero's CSL JSON keeps in a title (its rich text): the tags, never the text
_CSL_MARKUP = re.compile(r"</?(?:i|b|sub|sup|span)(?:\s[^<>]*)?>", re.IGNORECASE)


@dataclass(frozen=True)
class Wanted:
    """One paper asked for: its arXiv id and title when known, and an abstract when the file
    gave one (so the paper can count without the store); ``origin`` names the entry."""

    origin: str
    arxiv_id: str | None = None
    title: str | None = None
    abstract: str | None = None


def arxiv_id(text: str) -> str | None:
    """The arXiv id (without version) a field names: a bare id, an arXiv URL, the DOI
    10.48550/arXiv.ID or an ``arXiv:ID`` tag (``arXiv:2104.05704 [cs]``, ``arXiv: 2104.05704``),
    by the one grammar of :mod:`digest.ids`; any other number that looks like one is none (a
    Zotero item's ``http://zotero.org/users/12345678/items/...``)."""
    found = find_in_link(" ".join(text.split()))
    return found[0] if found else None


def as_arxiv_id(text: str) -> str | None:
    """The arXiv id (without version) when ``text`` is one (or an arXiv URL or tag), else None:
    an entry that is anything more is a title."""
    text = " ".join(text.split())
    if " " in re.sub(r"^arxiv:\s*", "", text, flags=re.IGNORECASE):
        return None
    return arxiv_id(text)


def _clean(text: str) -> str:
    return clean(latex_to_text(text))


def _bib_value(text: str, at: int) -> tuple[str, int]:
    """A BibTeX field's value starting at ``at`` ({...}, "..." or a bare word), and where it
    ends."""
    if at < len(text) and text[at] in '{"':
        # braces nest; a quoted value ends at a quote outside them (``"M{\\"u}ller"``)
        close, depth = "}" if text[at] == "{" else '"', 0
        for i in range(at + 1, len(text)):
            if depth == 0 and text[i] == close:
                return text[at + 1 : i], i + 1
            depth += {"{": 1, "}": -1}.get(text[i], 0)
        return text[at + 1 :], len(text)
    match = re.match(r"[^,}\s]+", text[at:])
    return (match[0], at + match.end()) if match else ("", at)


def parse_bibtex(text: str, origin: str) -> list[Wanted]:
    out = []
    entries = list(_BIB_ENTRY.finditer(text))
    ends = [m.start() for m in entries[1:]] + [len(text)] * bool(entries)
    for entry, end in zip(entries, ends, strict=True):
        kind, start = entry[1].lower(), entry.end()
        if kind in ("comment", "string", "preamble"):
            continue
        body = text[start:end]
        fields: dict[str, str] = {}
        at = body.find(",") + 1
        while True:
            match = _BIB_FIELD.search(body, at)
            if not match:
                break
            value, at = _bib_value(body, match.end())
            fields.setdefault(match[1].lower(), value)
        if _ABS_VOLUME.match(volume := fields.get("volume", "")):
            fields["volume"] = "arXiv:" + volume[4:]  # CoRR's and ArXiv's volume abs/ID
        else:
            fields.pop("volume", None)
        title = _clean(fields.get("title", ""))
        wanted = _wanted(
            origin,
            [fields.get(k) for k in _BIB_ID_FIELDS],
            title,
            fields.get("abstract", ""),
            _clean,
        )
        if wanted:
            out.append(wanted)
    return out


def parse_csl(data: object, origin: str) -> list[Wanted]:
    """CSL JSON (Zotero's, Better BibTeX's), and Zotero's own items: the web API's (each under
    ``data``) and Better BibTeX's JSON (under ``items``), whose abstract is ``abstractNote``."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    out = []
    for entry in data if isinstance(data, list) else [data]:
        item = entry.get("data") if isinstance(entry, dict) else None
        item = item if isinstance(item, dict) else entry
        # a library's attachments (its PDFs, "arXiv Fulltext PDF") and notes are no papers
        if isinstance(item, dict) and item.get("itemType") not in ("attachment", "note"):
            title, abstract = (
                _CSL_MARKUP.sub("", str(value or ""))
                for value in (item.get("title"), item.get("abstract") or item.get("abstractNote"))
            )
            wanted = _wanted(
                origin, [item.get(k) for k in _CSL_ID_FIELDS], clean(title), abstract, clean
            )
            if wanted:
                out.append(wanted)
    return out


def parse_ris(text: str, origin: str) -> list[Wanted]:
    """RIS (Zotero, Mendeley, EndNote): ``TAG  - value`` lines, a record from ``TY`` to ``ER``;
    a line without a tag goes on the field before it (a long abstract)."""
    out = []
    fields: dict[str, list[str]] = {}
    last = ""
    for line in [*text.splitlines(), "ER  - "]:
        tag = _RIS_LINE.match(line)
        if tag is None:
            if last and line.strip():
                fields[last][-1] += " " + line.strip()
            continue
        last, value = tag[1], (tag[2] or "").strip()
        if last in ("ER", "TY") and fields:  # a record's end (or, its ER lost, the next's start)
            ids = [v for k in _RIS_ID_FIELDS for v in fields.get(k, ())]
            title = clean(next(iter(fields.get("TI", []) + fields.get("T1", [])), ""))
            abstract = " ".join(fields.get("AB", []) or fields.get("N2", []))
            wanted = _wanted(origin, ids, title, abstract, clean)
            if wanted:
                out.append(wanted)
            fields = {}
        if last != "ER":
            fields.setdefault(last, []).append(value)
        else:
            last = ""
    return out


def _wanted(
    origin: str, ids: Iterable[object], title: str, abstract: str, tidy: Callable[[str], str]
) -> Wanted | None:
    """An entry of a file as a paper asked for: the first arXiv id of ``ids`` (its fields that
    may hold one, by preference), its title and, tidied, its abstract; None without either an
    id or a title."""
    found = next((i for v in ids if v and (i := arxiv_id(str(v)))), None)
    if not (found or title):
        return None
    return Wanted(f"{origin}: {title or found}", found, title or None, tidy(abstract) or None)


def parse_entry(entry: str) -> tuple[list[Wanted], str | None]:
    """The papers one entry asks for, and a problem (a file unreadable, or naming no paper),
    if any."""
    path = Path(entry)
    if not path.is_absolute():
        return [_one(entry, None)], None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], f"{entry}: not UTF-8 text (byte {exc.start + 1}); export it as UTF-8"
    except OSError as exc:
        return [], f"{entry}: cannot read: {exc.strerror or exc}"
    name = path.name
    if path.suffix.lower() == ".bib" or text.lstrip().startswith("@"):
        found, kind = parse_bibtex(text, name), "BibTeX entry with a title or an arXiv id"
    elif (
        path.suffix.lower() == ".ris"
        or _RIS_LINE.match(text.lstrip().split("\n", 1)[0].rstrip("\r")) is not None
    ):
        found, kind = parse_ris(text, name), "RIS record with a title or an arXiv id"
    elif path.suffix.lower() == ".json":
        try:
            found, kind = parse_csl(json.loads(text), name), "CSL JSON item with a title or id"
        except ValueError as exc:
            return [], f"{entry}: not JSON: {exc}"
    else:
        lines = [_BULLET.sub("", line.split("\t")[0].strip()) for line in text.splitlines()]
        found = [_listed(line, name) for line in lines if line and not line.startswith("#")]
        kind = "line with an arXiv id or a title"
    return found, None if found else f"{entry}: no paper in it (no {kind})"


def _listed(line: str, origin: str) -> Wanted:
    """A line of a list: an arXiv id (or link) first, whatever follows it (``2104.05704
    Escaping the Big Data Paradigm``), else a title."""
    first = line.split(maxsplit=1)[0]
    if first != line and (found := as_arxiv_id(first)):
        return Wanted(f"{origin}: {line}", arxiv_id=found)
    return _one(line, origin)


def _one(text: str, origin: str | None) -> Wanted:
    found = as_arxiv_id(text)
    where = f"{origin}: {text}" if origin else text
    return Wanted(where, arxiv_id=found) if found else Wanted(where, title=text.strip())


def example_files(topics: Iterable[Topic]) -> Iterator[tuple[str, Path]]:
    """The files the topics' ``examples:`` and ``avoid:`` name (the config made them absolute;
    any other entry is an id or a title), each with its topic's name."""
    for topic in topics:
        for entry in (*topic.examples, *topic.avoid):
            if (path := Path(entry)).is_absolute():
                yield topic.name, path


def files_key(topics: Iterable[Topic]) -> str:
    """What the topics' example and avoid files hold (a hash of their bytes, by path): a file
    edited or exported again (a reference manager that keeps its export in sync) is a change
    of examples, as a changed list in the config is."""
    digest = hashlib.sha256()
    for name, path in example_files(topics):
        try:
            data = path.read_bytes()
        except OSError:
            data = b""  # unreadable: said when the examples are read
        digest.update(f"{name}\0{path}\0{len(data)}\0".encode())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()[:32]


Lookup = Callable[[Sequence[str], Sequence[str]], list[Paper]]  # (ids, titles) -> papers found
MISSES_SAID = 3  # a file's papers not found, said one by one up to this many (else counted)


def resolve(
    topics: Iterable[Topic], lookup: Lookup
) -> tuple[dict[str, list[Paper]], dict[str, list[Paper]], list[str]]:
    """Each topic's examples and papers to avoid, as papers, and warnings: one per entry that
    could not be found (or read), or for a file with more than :data:`MISSES_SAID` of them
    one that counts them. ``lookup`` finds papers by arXiv id and by title."""
    asked: dict[tuple[str, str], list[tuple[str, Wanted]]] = {}
    warnings: list[str] = []
    for topic in topics:
        for kind, entries in (("examples", topic.examples), ("avoid", topic.avoid)):
            for entry in entries:
                wanted, problem = parse_entry(entry)
                if problem:
                    warnings.append(f"topics.{topic.name}.{kind}: {problem}")
                asked.setdefault((topic.name, kind), []).extend((entry, w) for w in wanted)
    every = [w for ws in asked.values() for _, w in ws]
    titles = sorted({w.title for w in every if w.title})
    # an entry that is no arXiv id may still be a paper's id (``title:...``): asked both ways
    known = lookup(sorted({w.arxiv_id for w in every if w.arxiv_id} | set(titles)), titles)
    by_id = {p.id: p for p in known}
    by_title = {title_id(p.title): p for p in known}
    examples: dict[str, list[Paper]] = {}
    avoid: dict[str, list[Paper]] = {}
    for (name, kind), wanted in asked.items():
        found: list[Paper] = []
        missed: dict[str, list[Wanted]] = {}  # by entry
        for entry, w in wanted:
            paper = (
                by_id.get(w.arxiv_id or "")
                or by_id.get(w.title or "")
                or (by_title.get(title_id(w.title)) if w.title else None)
            )
            if paper is None and w.title and w.abstract:
                paper = Paper(
                    w.arxiv_id or title_id(w.title), w.title, w.abstract, dt.date.min, "examples"
                )
            if paper is None:
                missed.setdefault(entry, []).append(w)
                continue
            found.append(paper)
        for entry, ws in missed.items():
            where = f"topics.{name}.{kind}"
            if len(ws) <= MISSES_SAID:
                warnings.extend(
                    f"{where}: {w.origin}: not found among the papers known" for w in ws
                )
                continue
            named = sum(1 for e, _ in wanted if e == entry)
            first = "; ".join(w.title or w.arxiv_id or "" for w in ws[:MISSES_SAID])
            warnings.append(
                f"{where}: {Path(entry).name}: {len(ws)} of its {named} papers not found among "
                f"the papers known (the first: {first}); the next builds look for them again"
            )
        (examples if kind == "examples" else avoid)[name] = list({p.id: p for p in found}.values())
    return examples, avoid, warnings


def among(papers: Sequence[Paper]) -> Lookup:
    """A lookup over the papers given (``digest rank FILES``), indexed when first asked (most
    configs have no examples to look up: 100,000 papers took 0.15 s to index)."""
    by_id: dict[str, Paper] = {}
    by_title: dict[str, Paper] = {}

    def find(ids: Sequence[str], titles: Sequence[str]) -> list[Paper]:
        if not by_id and papers:
            by_id.update((p.id, p) for p in papers)
            by_title.update((title_id(p.title), p) for p in papers)
        out = [by_id[i] for i in ids if i in by_id]
        out += [by_title[title_id(t)] for t in titles if title_id(t) in by_title]
        return out

    return find
