"""Render: ranked dates -> files (relative path -> bytes), one module per output, registered by
name. Pure: templates are read, nothing is written (that is the writer's job).

Two kinds of work: ``day`` renders the files of one date (they depend on that date only, and on
its neighbours for links), ``summary`` the files that list many dates (home page, archive,
topics, feeds), from the latest ranked dates and one line per older date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from operator import attrgetter
from pathlib import Path

import jinja2
import orjson

from ..model import (
    OUTPUT_NAMES,
    DateInfo,
    EmailSettings,
    Highlights,
    Paper,
    RankedDay,
    Rendered,
    Topic,
)
from ..rows import cut_section
from . import paths
from .env import SLUG_MAX, anchor, environment, safe_url, slugify, template_problems


@dataclass(frozen=True)
class Site:
    """What every output knows of the whole digest."""

    title: str
    site_url: str
    topics: tuple[Topic, ...]
    dates: tuple[DateInfo, ...] = ()  # newest first
    rules: Highlights = field(default_factory=Highlights)
    email: EmailSettings = field(default_factory=EmailSettings)
    recent_days: int = 14
    templates: Path | None = None
    slugs: Mapping[str, str] = field(default_factory=dict)
    # the digest of the templates as the build found them: a process keeps an environment (and
    # its compiled templates) per folder and digest, so one that builds again sees an edit
    templates_key: str = ""
    outputs: tuple[str, ...] | None = None  # the outputs built (None: every one)
    speedups: bool = True  # render with digest's Jinja speedups (the same bytes, sooner)
    home_days: int = 7  # dates the home page shows: the latest in full, the others in short
    search: bool = True  # a search page and box (digest.search.index_site makes its index)
    section_papers: int = 500  # papers a date's section lists at most (see shown)

    def builds(self, output: str) -> bool:
        """Whether this digest builds ``output`` (templates link to the site and the feeds only
        when they are built)."""
        return self.outputs is None or output in self.outputs

    @classmethod
    def make(cls, **fields: object) -> Site:
        site = cls(**fields)  # type: ignore[arg-type]
        object.__setattr__(site, "slugs", topic_slugs([t.name for t in site.topics]))
        return site

    @property
    def env(self) -> jinja2.Environment:
        return environment(self.templates, self.templates_key, self.speedups)

    @cached_property
    def _places(self) -> dict[dt.date, int]:
        return {d.date: i for i, d in enumerate(self.dates)}

    def neighbours(self, date: dt.date) -> tuple[dt.date | None, dt.date | None]:
        """The dates before and after ``date`` in the archive."""
        i = self._places.get(date)
        if i is None:
            return None, None
        days = self.dates
        return (days[i + 1].date if i + 1 < len(days) else None), (days[i - 1].date if i else None)

    def paper_url(self, paper: Paper) -> str:
        """Where a paper's title links: its own http(s) URL, else its place on the site (``""``
        when the site is not built)."""
        url = safe_url(paper.url)
        if url or not self.builds("site"):
            return url
        return f"{self.site_url}{paths.day_page(paper.date)}#{anchor(paper.id)}"

    @property
    def host(self) -> str:
        return self.site_url.split("://", 1)[-1].split("/", 1)[0]


def topic_slugs(names: Sequence[str]) -> dict[str, str]:
    """Each topic's slug (its pages' and feed's file name): :func:`~.env.slugify` of its name,
    unless another topic's name (or a reserved name such as ``all``) gives the same; then each
    of those names gets a hash of itself appended. So a slug depends on the set of names alone,
    never on their order: adding, removing or moving a topic moves no other topic's URL (but
    those of the names it collides with)."""
    plain = {name: slugify(name) for name in names}
    count: dict[str, int] = {}
    for slug in plain.values():
        count[slug] = count.get(slug, 0) + 1
    taken = {s for s, n in count.items() if n == 1} - paths.RESERVED_SLUGS
    slugs = {name: slug for name, slug in plain.items() if slug in taken}
    for name in sorted(n for n in names if n not in slugs):
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
        base = plain[name][: SLUG_MAX - 12].rstrip("-")
        size = 6
        while (slug := f"{base}-{digest[:size]}") in taken:  # a name spelt like a hashed one
            size += 2
        slugs[name] = slug
        taken.add(slug)
    return slugs


Piece = bytes | memoryview  # UTF-8; a view into the blob a build kept them in (no copy)
Pieces = Mapping[str, Piece]  # a date's pieces of the summary files, by name
DatePieces = tuple[dt.date, Pieces]


DayRenderer = Callable[[RankedDay, Site], list[Rendered]]
PiecesRenderer = Callable[[RankedDay, Site], dict[str, str]]
SummaryRenderer = Callable[[RankedDay | None, Sequence[DatePieces], Site], list[Rendered]]


@dataclass(frozen=True)
class Output:
    """An output format. ``day``: the files of one date. ``summary``: the files that list
    the latest dates (home, topics, archive, feeds), made from the latest ranked date and each
    recent date's ``pieces`` (a topic page's section of the date, a feed's items of the date):
    a date's pieces depend on that date alone, so a build keeps them while the date, the config
    and the templates are unchanged, and a new day renders its own pieces only.

    ``templates``: the templates its day files and pieces are rendered from (what they extend,
    include or import is found in them): a build makes an output's files again when one of
    those changed, not when another output's did. ``None``: every template."""

    name: str
    day: DayRenderer | None = None
    summary: SummaryRenderer | None = None
    pieces: PiecesRenderer | None = None
    links: bool = False  # its day files link to the dates before and after (made again with them)
    templates: tuple[str, ...] | None = None


REGISTRY: dict[str, Output] = {}


def register(output: Output) -> Output:
    REGISTRY[output.name] = output
    return output


def shown(day: RankedDay, cap: int) -> RankedDay:
    """``day`` as the outputs show it: each topic section cut to its best ``cap`` papers and
    its highlights (:func:`digest.rows.cut_section`), the papers no topic matched to their
    best ``cap``; ``left_out`` counts the rest. The highlights and ``papers`` stay whole (the
    counts a page gives are of every paper). A day already cut (:func:`digest.rows.decode_shown`)
    comes back as it is."""
    sections = {
        name: cut_section(p, cap, attrgetter("highlight")) for name, p in day.sections.items()
    }
    unmatched = day.unmatched[:cap]
    cut = {name: len(p) - len(sections[name]) for name, p in day.sections.items()}
    cut[""] = len(day.unmatched) - len(unmatched)
    if not any(cut.values()):
        return day
    left_out = dict(day.left_out)
    for name, n in cut.items():
        if n:
            left_out[name] = left_out.get(name, 0) + n
    return replace(day, sections=sections, unmatched=unmatched, left_out=left_out)


def render_day(day: RankedDay, site: Site, only: Collection[str] | None = None) -> list[Rendered]:
    """The files of ``day``: of every output, or of the outputs named in ``only``."""
    day = shown(day, site.section_papers)
    with template_problems():
        return [
            f
            for o in built(site)
            if o.day and (only is None or o.name in only)
            for f in o.day(day, site)
        ]


def render_pieces(day: RankedDay, site: Site) -> dict[str, bytes]:
    """Every output's pieces of ``day`` for the summary files, by output and name, as the
    bytes they will be in their files."""
    day = shown(day, site.section_papers)
    with template_problems():
        return {
            f"{o.name}/{name}": piece.encode()
            for o in built(site)
            if o.pieces
            for name, piece in o.pieces(day, site).items()
        }


def pack_pieces(pieces: Pieces) -> bytes:
    """A date's pieces as one blob (what a build keeps of them): a JSON line of their names and
    sizes, then the pieces themselves, so that reading them back decodes no text."""
    sizes = orjson.dumps([[name, len(piece)] for name, piece in pieces.items()])
    return sizes + b"\n" + b"".join(pieces.values())


def unpack_pieces(blob: bytes) -> dict[str, Piece]:
    """The pieces :func:`pack_pieces` packed: views into ``blob``, not copies (the recent
    dates' pieces are some 5 MB, read on every build that makes the summary again)."""
    at = blob.index(b"\n")  # JSON has no raw line break
    sizes, data, at = orjson.loads(blob[:at]), memoryview(blob), at + 1
    pieces = {}
    for name, size in sizes:
        pieces[name] = data[at : at + size]
        at += size
    return pieces


def render_summary(
    latest: RankedDay | None, recent: Sequence[DatePieces], site: Site
) -> list[Rendered]:
    """The files that list many dates: ``latest`` is the newest ranked date, ``recent`` the
    latest dates' pieces (:func:`render_pieces`), newest first."""
    files: list[Rendered] = []
    latest = latest and shown(latest, site.section_papers)
    for o in built(site):
        if o.summary:
            with template_problems():
                prefix = o.name + "/"
                own = [
                    (date, {k[len(prefix) :]: v for k, v in p.items() if k.startswith(prefix)})
                    for date, p in recent
                ]
                files += o.summary(latest, own, site)
    return files


def summarize(recent: Sequence[RankedDay], site: Site) -> list[Rendered]:
    """:func:`render_summary` of the latest ranked dates (newest first), every piece made now."""
    pieces = [(day.date, render_pieces(day, site)) for day in recent]
    return render_summary(recent[0] if recent else None, pieces, site)


def outputs() -> list[Output]:
    """Every output, by name (the same order whichever module was imported first: a build's
    keys list them in it)."""
    from . import email, feeds, markdown, site  # noqa: F401  (each registers itself)

    assert tuple(sorted(REGISTRY)) == OUTPUT_NAMES, "model.OUTPUT_NAMES names every output"
    return sorted(REGISTRY.values(), key=lambda o: o.name)


def built(site: Site) -> list[Output]:
    """The outputs this digest builds (the config's ``outputs:``), by name."""
    return [o for o in outputs() if site.builds(o.name)]
