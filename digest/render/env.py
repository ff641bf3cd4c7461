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
import traceback
import types
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.filters
import jinja2.runtime
import nh3
from markupsafe import Markup, escape

try:  # markupsafe's C escaping of a str, without wrapping the result in a Markup
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - a markupsafe without its speedups

    def _escape_inner(s: str, /) -> str:
        return str(escape(s))


from ..errors import TemplateProblem
from . import paths

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


def clean(text: str) -> str:
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
    return " ".join(clean(text).split())


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
    text = clean(text)
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
    return clean(env.get_template(template).render(**context))


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


def output_escape(value: object, /) -> str:
    """What an autoescaped ``{{ value }}`` writes: the same text as markupsafe's ``escape``,
    but as a plain str (the output is joined into one string anyway). markupsafe's ``escape``
    wraps each result in a new ``Markup``, which took a sixth of the time of a site page."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()  # type: ignore[no-any-return]
    return _escape_inner(str(value))


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, with autoescaped output written by :func:`output_escape`."""

    def _output_child_pre(
        self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any
    ) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write("environment.output_escape(")
        else:
            super()._output_child_pre(node, frame, finalize)


_DIRECT = (jinja2.runtime.Macro, types.BuiltinFunctionType)  # they never take a context


@lru_cache(maxsize=1024)
def _takes_nothing(function: Any) -> bool:
    return getattr(function, "jinja_pass_arg", None) is None


def _plain(call: Any) -> bool:
    """Whether a Python function or method (``site.paper_url``, ``paths.day_page``) is not
    marked to take the context, the environment or the evaluation context."""
    return _takes_nothing(getattr(call, "__func__", call))


class _Context(jinja2.runtime.Context):
    """Jinja's context, calling a macro, a built-in function (``items()``, ``isoformat()``) or
    an unmarked Python function straight away: Jinja first asks any callable whether it wants
    the context, the environment or neither, which took about a tenth of the time of a day's
    outputs."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind not in _DIRECT and not (
            (kind is types.MethodType or kind is types.FunctionType) and _plain(__obj)
        ):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's own call does
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


@jinja2.pass_eval_context
def join(eval_ctx: jinja2.nodes.EvalContext, value: Any, d: str = "", attribute: Any = None) -> str:
    """Jinja's ``join``, with words joined by a plain separator done at once (authors,
    keywords): the same string, without Jinja's look at each word for ``__html__``."""
    plain = attribute is None and type(d) is str and type(value) in (list, tuple)
    if plain and all(type(v) is str for v in value):
        return d.join(value)
    return jinja2.filters.sync_do_join(eval_ctx, value, d, attribute)  # type: ignore[no-any-return]


class _Environment(jinja2.Environment):
    code_generator_class = _CodeGenerator
    context_class = _Context
    output_escape = staticmethod(output_escape)


_CODE_VERSION = "digest-codegen-1"  # change with _CodeGenerator
ENVIRONMENTS = 4  # environments kept (each holds its compiled templates)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Templates compiled by an earlier build, kept in Jinja's own cache folder (in the temp
    directory, per user): compiling them took 0.1 s of every build and of every worker. Jinja
    checks each entry against the template's source. A cache that cannot be read or written
    only makes the build slower."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # code from another code generator (Jinja's own, an older digest) is not ours to run
        return super().get_cache_key(f"{name}|{_CODE_VERSION}", filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _BytecodeCache()
    except (RuntimeError, OSError):  # no safe temporary folder
        return None


@lru_cache(maxsize=ENVIRONMENTS)
def environment(user_dir: Path | None = None, key: str = "") -> jinja2.Environment:
    """One environment per template folder (and ``key``, the digest of its templates when it was
    asked for: templates are compiled once and not looked at again): StrictUndefined; HTML and
    XML autoescaped. Only the latest few are kept: `digest serve` asks for a new one at each
    template edit."""
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.FileSystemLoader(str(builtin_templates())))
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "xml", "opml"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(
        join=join,
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


def folder_files(folder: Path) -> list[Path]:
    """Every file below ``folder`` (a templates folder), sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def template_closure(env: jinja2.Environment, names: Iterable[str]) -> set[str] | None:
    """``names`` and every template they extend, include or import, and so on; ``None`` when
    that cannot be known without rendering (a template named by an expression, or one that does
    not read or parse: rendering it will say what is wrong)."""
    import jinja2.meta  # here: a build whose templates did not change has them from its store

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
        try:
            found = list(jinja2.meta.find_referenced_templates(env.parse(source)))
        except jinja2.TemplateSyntaxError:
            return None
        if None in found:
            return None
        waiting += found  # type: ignore[arg-type]
    return seen


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
