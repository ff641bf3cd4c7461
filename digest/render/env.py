"""The Jinja environment every output renders with: the built-in templates, overridable file by
file from the user's folder, StrictUndefined, autoescape for HTML and XML, and the filters that
turn untrusted text into safe output (escaped, sanitized). :func:`render` strips the characters
no output may carry (XML-illegal controls, bidi overrides) from every rendered file."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import posixpath
import re
import secrets
import stat
import traceback
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import nh3
from markupsafe import Markup

from ..errors import TemplateProblem
from . import paths
from .jinja_speedups import FastEnvironment, bytecode_cache, join
from .jinja_speedups import escape_text as _escape_inner

# Not allowed in XML 1.0 (C0 controls but tab/newline/return, lone surrogates, U+FFFE/FFFF);
# C1 controls and bidi overrides are legal but only ever garbage or tricks in a title.
_ILLEGAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
_SPACE = re.compile(r"\s+")
_URL_BAD = re.compile("[\\s\"'<>`\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_MD_ANY = re.compile(r"[\\`*_\[\]#|~&<>]")
_SAFE_SCHEMES = ("http://", "https://")


def builtin_templates() -> Path:
    """The shipped templates: inside the installed package, or the checkout's ``templates/``."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def strip_illegal(text: str) -> str:
    """Text with the characters no output may carry removed (see ``_ILLEGAL``)."""
    if text.isascii() and text.isprintable():  # none of them: most titles and abstracts
        return text
    return _ILLEGAL.sub("", text)


def safe_url(url: str | None) -> str:
    """``url`` when it is an http(s) URL without spaces or quotes; otherwise ``""``."""
    if not url or not url.lower().startswith(_SAFE_SCHEMES):
        return ""
    return "" if _URL_BAD.search(url) else url


def one_line(text: str) -> str:
    """Cleaned, every run of whitespace one space, no space at the ends (``str.split`` and
    ``\\s`` agree on what whitespace is; a regex substitution took 24 us an abstract)."""
    return " ".join(strip_illegal(text).split())


@lru_cache(maxsize=4096)  # a TL;DR is shortened in each output of its date
def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word and marked with an ellipsis."""
    return _cut(one_line(text), (), limit)[0]


def _spans(text: str, spans: Iterable[Sequence[int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, marked) by the character spans (sorted, overlaps merged)."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        start = max(start, at)
        if end <= start:
            continue
        pieces += [(text[at:start], False), (text[start:end], True)]
        at = end
    pieces.append((text[at:], False))
    return [(p, m) for p, m in pieces if p]


def _cut(text: str, spans: Iterable[Sequence[int]], limit: int | None) -> tuple[str, list]:
    """``text`` cut to ``limit`` characters at a word (with an ellipsis), the spans within it."""
    if limit is None or len(text) <= limit:
        return text, list(spans)
    cut = text[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    cut = cut.rstrip(" ,;:.")
    return cut + "…", [s for s in spans if s[1] <= len(cut)]


_OPEN, _CLOSE = "\x02", "\x03"  # stand for <strong> and </strong> while a text is escaped


def marked_html(text: str, spans: Iterable[Sequence[int]] = (), limit: int | None = None) -> Markup:
    """Escaped text with the matched keywords in ``<strong>``; at most ``limit`` characters.

    The marks go in as two control characters, the text is escaped at once, then the marks
    become the tags: escaping piece by piece took three times as long (and a ``Markup`` per
    piece, joined by ``Markup.join``, twice the time of the whole site page). A text holding
    either character itself (no output keeps them) is escaped piece by piece."""
    text, spans = _cut(text, spans, limit)
    if not spans:
        return Markup(_escape_inner(text).strip())
    pieces = _spans(text, spans)
    if _OPEN in text or _CLOSE in text:
        html = "".join(
            [f"<strong>{_escape_inner(p)}</strong>" if m else _escape_inner(p) for p, m in pieces]
        )
    else:
        html = _escape_inner("".join([f"{_OPEN}{p}{_CLOSE}" if m else p for p, m in pieces]))
        html = html.replace(_OPEN, "<strong>").replace(_CLOSE, "</strong>")
    return Markup(html.strip())


def md_escape(text: str) -> str:
    """Text that Markdown shows as itself: no HTML, links, emphasis or headings from input."""
    return _md(one_line(text))


def _md(text: str) -> str:
    if _MD_ANY.search(text) is None:  # nothing to escape: most titles
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _single_spaced(text: str) -> str:
    """Each run of whitespace one space (the ends kept)."""
    if text.isprintable() and "  " not in text:  # no whitespace but single spaces
        return text
    return _SPACE.sub(" ", text)


def marked_md(text: str, spans: Iterable[Sequence[int]] = (), limit: int | None = None) -> str:
    text, spans = _cut(text, spans, limit)
    out = []
    for piece, mark in _spans(text, spans):
        escaped = _md(_single_spaced(piece))
        out.append(f"**{escaped}**" if mark and escaped.strip() == escaped else escaped)
    return "".join(out).strip()


# One line of words and plain punctuation, starting with a letter: no Markdown syntax can be
# in it, and Markdown makes it one paragraph as it is.
_PLAIN = re.compile(r"[A-Za-z](?:[A-Za-z0-9,.;:()'\"?/ -]*[A-Za-z0-9,.;:()'\"?/-])?\Z")


def markdown_html(text: str) -> Markup:
    """Markdown (from the config) as sanitized HTML: raw HTML in it is cleaned by nh3. Plain
    text (most topic descriptions) is a paragraph without the markdown package, which takes
    14 ms to load, on every build that renders the topic pages."""
    text = strip_illegal(text)
    if _PLAIN.match(text) and "  " not in text:
        return Markup(f"<p>{text}</p>")
    import markdown

    html = markdown.markdown(text, output_format="html")
    return Markup(nh3.clean(html, url_schemes={"http", "https", "mailto"}))


def rfc822(day: dt.date | dt.datetime) -> str:
    """``Fri, 20 Nov 2026 00:00:00 +0000``: RSS dates, four-digit year, UTC midnight of a date."""
    if not isinstance(day, dt.datetime):
        day = dt.datetime.combine(day, dt.time(), dt.UTC)
    return email.utils.format_datetime(day)


SLUG_MAX = 64  # file names stay far below the 255 bytes file systems allow


def slugify(name: str) -> str:
    """A topic's file name part: ASCII letters, digits and '-'; a name with none of those, or
    a long one, gets (or ends with) a hash of the whole name, so distinct names stay distinct."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if not slug:
        return "topic-" + digest
    if len(slug) > SLUG_MAX:
        return slug[: SLUG_MAX - 9].rstrip("-") + "-" + digest
    return slug


_NOT_IN_ID = re.compile(r"[^A-Za-z0-9.-]")


def anchor(paper_id: str) -> str:
    """An HTML id for a paper: its id with anything but letters, digits, '.' and '-' replaced."""
    return "p-" + _NOT_IN_ID.sub("-", paper_id)


@jinja2.pass_context
def rel(context: jinja2.runtime.Context, target: str) -> str:
    """A link from the page being rendered (``page`` in its context) to ``target``: relative,
    so the output works from any folder and straight from disk."""
    return _rel(target, context["page"])


@lru_cache(maxsize=4096)  # a page links to the same few pages many times
def _rel(target: str, page: str) -> str:
    fragment = ""
    if "#" in target:
        target, fragment = target.split("#", 1)
        fragment = "#" + fragment
    if not target:
        return fragment
    return relative(target, posixpath.dirname(page)) + fragment


def relative(target: str, folder: str) -> str:
    """``posixpath.relpath(target, folder or ".")`` for the output's own paths (relative,
    '/'-separated, no '.' or '..' parts), without its two calls to ``os.getcwd``: the archive
    links to every date."""
    there = target.split("/")
    here = folder.split("/") if folder else []
    common = 0
    for a, b in zip(there, here, strict=False):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:]) or "."


def wrap(text: str, width: int = 72, indent: int = 0) -> str:
    """Words filled into lines of at most ``width`` (a longer word gets a line of its own);
    lines after the first indented by ``indent`` spaces. Much faster than textwrap."""
    lines: list[str] = []
    line: list[str] = []
    size = 0
    for word in one_line(text).split(" "):
        if line and size + 1 + len(word) > width:
            lines.append(" ".join(line))
            line, size = [word], len(word)
        else:
            size += len(word) + (1 if line else 0)
            line.append(word)
    if line:
        lines.append(" ".join(line))
    return ("\n" + " " * indent).join(lines)


_TEMPLATE_FILES = (".html", ".xml", ".md", ".txt", ".opml", ".css")


@contextlib.contextmanager
def template_problems() -> Iterator[None]:
    """A template that fails (a syntax error, an undefined variable, a filter given the wrong
    arguments) as one line naming its file and line: a user's own template is input like any
    other. Anything else raised inside one of ours stays as it is (a bug of digest's)."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name
        raise TemplateProblem(f"{where}, line {exc.lineno}: {exc.message}") from None
    except Exception as exc:
        where = None
        for frame, line in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename.endswith(_TEMPLATE_FILES):
                where = (frame.f_code.co_filename, line)  # the innermost template
        ours = where is not None and Path(where[0]).is_relative_to(builtin_templates())
        if where is None or (ours and not isinstance(exc, jinja2.TemplateError)):
            raise
        raise TemplateProblem(f"{where[0]}, line {where[1]}: {type(exc).__name__}: {exc}") from None


def render(env: jinja2.Environment, template: str, **context: Any) -> str:
    """A template rendered, with the characters no output may carry removed."""
    return strip_illegal(env.get_template(template).render(**context))


def render_with(
    env: jinja2.Environment,
    template: str,
    name: str,
    pieces: Sequence[bytes | memoryview],
    **context: Any,
) -> bytes:
    """:func:`render`, encoded, with ``context[name]`` a list of pieces that :func:`render`
    made (so already clean), encoded: the template gets a stand-in for each, only its own text
    is cleaned and encoded, then the pieces take their places. A topic page is some 2 MB of
    pieces around 2 KB of its own; cleaning it all again took longer than putting it
    together, and decoding and encoding the pieces took longer still."""
    tag = secrets.token_hex(8)  # no text or template holds it by chance
    stand_ins = [Markup(f"<!--digest-piece-{tag}-{i}-->") for i in range(len(pieces))]
    text = render(env, template, **context, **{name: stand_ins}).encode()
    parts: list[bytes | memoryview] = re.split(f"<!--digest-piece-{tag}-([0-9]+)-->".encode(), text)
    parts[1::2] = [pieces[int(i)] for i in parts[1::2]]
    return b"".join(parts)


ENVIRONMENTS = 4  # environments kept (each holds its compiled templates)


@lru_cache(maxsize=ENVIRONMENTS)
def environment(
    user_dir: Path | None = None, key: str = "", fast: bool = True
) -> jinja2.Environment:
    """One environment per template folder (and ``key``, the digest of its templates when it was
    asked for: templates are compiled once and not looked at again): StrictUndefined; HTML and
    XML autoescaped. Only the latest few are kept: `digest serve` asks for a new one at each
    template edit. ``fast``: with the speedups of :mod:`.jinja_speedups` (the same bytes,
    sooner)."""
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.FileSystemLoader(str(builtin_templates())))
    kind = FastEnvironment if fast else jinja2.Environment
    env = kind(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "xml", "opml"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=bytecode_cache() if fast else None,
    )
    if fast:
        env.filters["join"] = join
    env.filters.update(
        marked=marked_html,
        md=md_escape,
        marked_md=marked_md,
        markdown=markdown_html,
        safe_url=safe_url,
        one_line=one_line,
        shorten=shorten,
        wrap=wrap,
        rfc822=rfc822,
        anchor=anchor,
        rel=rel,
        slug=slugify,
    )
    env.globals["paths"] = paths
    return env


def templates_fingerprint(user_dir: Path | None) -> str:
    """A digest of every template that can be used (built-in and the user's): part of the key of
    the files that list many dates, so editing any template makes them again."""
    h = hashlib.sha256()
    for folder in (user_dir, builtin_templates()):
        if folder is None:
            continue
        for path in folder_files(folder):
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


# what a templates folder may hold: the built-in templates are 17 files and 40 KB; a folder far
# beyond is a mistake (``templates: /usr`` hashed all of /usr on every build, a minute)
MAX_TEMPLATE_FILES = 1_000
MAX_TEMPLATE_BYTES = 50 << 20


def folder_files(folder: Path) -> list[Path]:
    """Every file below ``folder`` (a templates folder), sorted; more than
    :data:`MAX_TEMPLATE_FILES` files or :data:`MAX_TEMPLATE_BYTES` bytes is refused (before
    reading them)."""
    found: list[Path] = []
    size = 0
    for path in folder.rglob("*"):
        try:
            st = path.stat()
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        found.append(path)
        size += st.st_size
        if len(found) > MAX_TEMPLATE_FILES or size > MAX_TEMPLATE_BYTES:
            raise TemplateProblem(
                f"{folder}: a templates folder of more than {MAX_TEMPLATE_FILES:,} files or "
                f"{MAX_TEMPLATE_BYTES >> 20} MB; point templates: at the folder of your templates"
            )
    return sorted(found)


def template_closure(env: jinja2.Environment, names: Iterable[str]) -> set[str] | None:
    """``names`` and every template they extend, include or import, and so on; ``None`` when
    that cannot be known without rendering (a template named by an expression, or one that does
    not read or parse: rendering it will say what is wrong)."""
    seen: set[str] = set()
    waiting = list(names)
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            continue  # "ignore missing", or a mistake that rendering reports
        except UnicodeDecodeError:
            return None
        found = _referenced(source)
        if found is None:
            return None
        waiting += found
    return seen


@lru_cache(maxsize=256)
def _referenced(source: str) -> tuple[str, ...] | None:
    """The templates ``source`` extends, includes or imports by name; ``None`` when one is named
    by an expression or the source does not parse. Kept by source: parsing is most of the time
    of finding a closure, and `digest serve` (or any process that builds more than once) asks
    again for templates that did not change."""
    import jinja2.meta

    try:
        found = list(jinja2.meta.find_referenced_templates(_PARSER.parse(source)))
    except jinja2.TemplateSyntaxError:
        return None
    if None in found:
        return None
    return tuple(found)  # type: ignore[arg-type]


# Parses only (the settings that change what a template refers to are Jinja's defaults, as in
# every environment of :func:`environment`).
_PARSER = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def templates_digest(env: jinja2.Environment, names: set[str]) -> str:
    """A digest of the templates ``names`` (a :func:`template_closure`) as ``env`` finds them
    (a user's own or the built-in one; a missing one too, so that creating it counts as a
    change)."""
    h = hashlib.sha256()
    for name in sorted(names):
        try:
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            source = "\0missing"
        h.update(f"{name}\0{len(source)}\0{source}".encode())
    return h.hexdigest()
