"""The readers of values that are more than their type (registered by kind for
:mod:`.schema`): lists of sources and topics, sizes, hosts, addresses, templates, files."""

from __future__ import annotations

import dataclasses
import email.utils
import os
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import idna
import jinja2

from .. import sources as formats
from ..model import OUTPUT_NAMES, Topic, is_regex_keyword
from .checks import Checker, kind_of
from .lines import KeyPath
from .schema import Value, declared, keys, kind, read_settings, read_value
from .settings import DATE_FIELD, FEEDBACK_FILE, SECURITY_PORTS, SmtpSettings, SourceSpec


def read_field(c: Checker, cls: type, name: str, raw: Any, path: KeyPath) -> Any:
    """One declared field of ``cls`` read on its own (a key of a list entry)."""
    f = next(f for f in declared(cls) if f.name == name)
    return read_value(Value(c, raw, path, f, {}, {}), cls)


# -- paths and URLs ------------------------------------------------------------------------------


@kind("path")
def _path(v: Value) -> Path:
    """A path relative to the config's folder (the store, the output)."""
    text = v.c.string(v.raw, v.path) or str(v.default)
    return (v.c.root / text).resolve()


# a templates folder holds a few templates: one far bigger is a mistake (``templates: /usr``
# made every build hash all of /usr); render.env.folder_files holds the same line
MAX_TEMPLATE_FILES = 1_000
MAX_TEMPLATE_BYTES = 50 << 20


@kind("folder")
def _folder(v: Value) -> Path | None:
    """The templates folder. One that is not there is a warning, not an error: the built-in
    templates are used meanwhile (a config copied elsewhere still builds), and `digest
    templates copy` makes it. One far bigger than templates are is refused."""
    text = v.c.string(v.raw, v.path)
    if not text:
        return None
    folder = v.c.root / text
    if folder.exists() and not folder.is_dir():
        v.c.fail(v.path, f"not a folder: {text}")
    elif not folder.exists():
        v.c.warn(
            v.path,
            f"no such folder: {text}; the built-in templates are used "
            "(`digest templates copy NAME` puts one there to edit)",
        )
    elif _too_big(folder):
        v.c.fail(
            v.path,
            f"{text} holds more than {MAX_TEMPLATE_FILES:,} files or {MAX_TEMPLATE_BYTES >> 20} MB: "
            "point it at the folder of your templates (digest templates copy puts ours there)",
        )
    return folder.resolve()


def _too_big(folder: Path) -> bool:
    """Whether ``folder`` holds more than the files or bytes a templates folder may (counted
    until either is passed, not through links to folders)."""
    files = size = 0
    for where, _, names in os.walk(folder):
        for name in names:
            try:
                st = os.stat(os.path.join(where, name))
            except OSError:
                continue
            files, size = files + 1, size + st.st_size
            if files > MAX_TEMPLATE_FILES or size > MAX_TEMPLATE_BYTES:
                return True
    return False


@kind("file")
def _file(v: Value) -> Path | None:
    return _existing(v, Path.is_file, "file")


def _existing(v: Value, exists: Callable[[Path], bool], what: str) -> Path | None:
    """A file or folder that must exist, relative to the config's folder (``None``: none)."""
    text = v.c.string(v.raw, v.path)
    if not text:
        return None
    if not exists(v.c.root / text):
        v.c.fail(v.path, f"no such {what}: {text}")
    return (v.c.root / text).resolve()


@kind("site-url")
def _site_url(v: Value) -> str:
    url: str = v.c.string(v.raw, v.path) or v.default
    if not re.match(r"^https?://[^/\s]+", url):
        v.c.fail(v.path, f"expected an http(s) URL, got {url!r}")
    return url if url.endswith("/") else url + "/"


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a source URL, or None."""
    if re.search(r"\s", url):
        return "a URL has no spaces"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"expected an http:// or https:// URL, got {url!r}"
    if not parts.hostname:
        return f"no host in {url!r}"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"bad port in {url!r}"
    return None


@kind("url")
def _url(v: Value) -> str | None:
    url = v.c.string(v.raw, v.path)
    if url is None:
        return None
    url = url.strip()
    if (why := check_url(url.replace(DATE_FIELD, "2026-01-01"))) is not None:
        v.c.fail(v.path, why)
        return None
    if re.search(r"\{(?!date\})[^}]*\}", url):
        v.c.fail(v.path, f"the only field a URL may hold is {DATE_FIELD}, got {url!r}")
        return None
    return url


MAX_SIZE = 1 << 50  # a petabyte: a size beyond is a mistake
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)


@kind("size")
def _size(v: Value) -> int:
    """A byte count: a number, or text such as ``20MB``, ``512 KB``, ``1.5 GiB``."""
    value = v.raw
    if value is None:
        return v.default  # type: ignore[no-any-return]
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIZE:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match:
        unit = (match[2] or "b").lower()[:1]
        number = float(match[1]) * {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[unit]
        if 1 <= number <= MAX_SIZE:  # float("9" * 400) is infinite
            return int(number)
    v.c.fail(v.path, f"expected a size such as 20MB or a number of bytes, got {value!r}")
    return v.default  # type: ignore[no-any-return]


# -- fetch -----------------------------------------------------------------------------------


@kind("contact")
def _contact(v: Value) -> str | None:
    contact = v.c.string(v.raw, v.path)
    if contact and (re.search(r"[\r\n\x00-\x1f]", contact) or len(contact) > 200):
        v.c.fail(v.path, "expected one line (an address or URL) of at most 200 characters")
        return None
    return contact


@kind("hosts")
def _hosts(v: Value) -> dict[str, float]:
    """Hosts' own intervals, over the default ones."""
    hosts = dict(v.default)
    if v.raw is None:
        return hosts
    if not isinstance(v.raw, dict):
        v.c.fail(v.path, f"expected a mapping of host: seconds, got {kind_of(v.raw)}")
        return hosts
    interval = v.values.get("min_interval", 1.0)
    for host, seconds in v.raw.items():
        where = (*v.path, host)
        if not isinstance(host, str) or not re.match(r"^[\w.-]+$", host):
            v.c.fail(where, f"expected a host name such as export.arxiv.org, got {host!r}")
            continue
        hosts[host.lower().rstrip(".")] = v.c.number(seconds, where, interval)
    return hosts


# -- email ----------------------------------------------------------------------------------------


def split_address(text: str) -> tuple[str, str] | None:
    """(display name, address) of ``Name <me@example.org>`` or ``me@example.org``; ``None``
    when it is not one plausible address."""
    if "\n" in text or "\r" in text or "," in text.partition("<")[2]:
        return None
    name, address = email.utils.parseaddr(text)
    local, _, domain = address.rpartition("@")
    if (
        not local
        or "." not in domain.strip(".")
        or ".." in domain
        or any(ch.isspace() or ch in '<>,;"\\' or not ch.isprintable() for ch in address)
    ):
        return None
    # RFC 6531: a local part may be UTF-8 (sent only where the server offers SMTPUTF8), a
    # domain an internationalized name, sent in its ASCII form (IDNA); every domain's labels
    # are checked as IDNA checks them (no label starting with "-", no broken "xn--" label)
    try:
        idna.encode(domain, uts46=True)
    except (idna.IDNAError, UnicodeError):
        return None
    return name, address


@kind("address")
def _address(v: Value) -> str:
    text = v.c.string(v.raw, v.path)
    if text is None:
        return ""
    found = split_address(text)
    if found is None:
        v.c.fail(v.path, f"expected an email address such as 'Name <me@example.org>', got {text!r}")
        return ""
    name, address = found
    if not name:
        return address
    if address.isascii():
        return email.utils.formataddr((name, address))
    return email.utils.formataddr((name, "x@x"))[: -len("<x@x>")] + f"<{address}>"


@kind("template")
def _template(v: Value) -> str:
    text: str = v.c.string(v.raw, v.path) or v.default
    try:
        jinja2.Environment().parse(text)
    except jinja2.TemplateSyntaxError as exc:
        v.c.fail(v.path, f"invalid template: {exc.message}")
    return text


@kind("unsubscribe-url")
def _unsubscribe_url(v: Value) -> str | None:
    url = v.c.string(v.raw, v.path)
    if url and not re.match(r"^(https?://[^/\s]+|mailto:\S+@)", url):
        v.c.fail(v.path, f"expected an http(s) or mailto: URL, got {url!r}")
    return url


@kind("port")
def _port(v: Value) -> int:
    default = SECURITY_PORTS.get(v.values.get("security", ""), v.default)
    port: int = v.c.number(v.raw, v.path, default, minimum=1, integer=True)
    if port > 65535:
        v.c.fail(v.path, f"expected a port number up to 65535, got {port}")
    return port


@kind("env-name")
def _env_name(v: Value) -> str:
    name: str = v.c.string(v.raw, v.path) or v.default
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        v.c.fail(v.path, f"expected an environment variable name, got {name!r}")
    return name


@kind("smtp")
def _smtp(v: Value) -> SmtpSettings | None:
    c, value, path = v.c, v.raw, v.path
    if value is None:
        return None
    if isinstance(value, dict) and "password" in value:
        c.fail(
            (*path, "password"),
            "never put the password in the config: set it in an environment variable and name "
            "that variable in password_env (default DIGEST_SMTP_PASSWORD)",
        )
        value = {k: v for k, v in value.items() if k != "password"}
    settings = read_settings(c, SmtpSettings, value, path)
    if settings.username and settings.security == "none":
        c.warn((*path, "security"), "the password would cross the network unencrypted")
    return settings if settings.host else None


@kind("outputs")
def _outputs(v: Value) -> tuple[str, ...] | None:
    """The outputs named in ``outputs:`` (each once), or ``None`` (every output)."""
    if v.raw is None:
        return None
    names = v.c.strings(v.raw, v.path, non_empty=True)
    for index, name in enumerate(names):
        if name not in OUTPUT_NAMES:
            known = ", ".join(OUTPUT_NAMES)
            v.c.fail((*v.path, index), f"unknown output {name!r} (known: {known})")
    return tuple(dict.fromkeys(n for n in names if n in OUTPUT_NAMES))


# -- sources ------------------------------------------------------------------------------------


@kind("format")
def _format(v: Value) -> str | None:
    fmt = v.c.string(v.raw, v.path)
    if fmt is not None and fmt not in formats.REGISTRY:
        known = ", ".join(sorted({f.name for f in formats.formats()}))
        v.c.fail(v.path, f"unknown format {fmt!r} (known: {known})")
    return fmt


@kind("source-name")
@kind("source-path")
@kind("topic-name")
def _text(v: Value) -> str | None:
    return v.c.string(v.raw, v.path)


def url_name(url: str) -> str:
    """A source name from a URL: the query of an arXiv API search, else the last part of the
    path (``https://rss.arxiv.org/rss/cs.CL`` -> ``cs.CL``), else the host."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query).get("search_query")
    if query and parts.path.rstrip("/").endswith("/api/query"):
        return "arxiv-" + re.sub(r"[^\w.]+", "-", query[0]).strip("-").lower()
    segments = [s for s in parts.path.split("/") if s and DATE_FIELD not in s]
    if segments:
        return re.sub(r"\.(?:xml|rss|atom|rdf|json|jsonl|txt|html?)$", "", segments[-1], flags=re.I)
    return parts.hostname or url


def default_name(pattern: str) -> str:
    """A source name from a file or glob: the file's name, or the folder of a glob."""
    parts = Path(pattern).parts
    if parts and any(ch in parts[-1] for ch in "*?[") and len(parts) > 1:
        return parts[-2]
    return Path(pattern).stem or pattern


@kind("sources")
def _sources(v: Value) -> tuple[SourceSpec, ...]:
    c = v.c
    if v.raw is None:
        return ()
    if not isinstance(v.raw, list):
        c.fail(v.path, f"expected a list, got {kind_of(v.raw)}")
        return ()
    specs: list[SourceSpec] = []
    names: set[str] = set()
    for index, entry in enumerate(v.raw):
        spec = _source(c, (*v.path, index), {"path": entry} if isinstance(entry, str) else entry)
        if spec is None:
            continue
        name = spec.name
        if not name:
            base = name = url_name(spec.url) if spec.url else default_name(spec.path)
            suffix = 2
            while name in names:
                name, suffix = f"{base}-{suffix}", suffix + 1
        elif name in names:
            c.fail((*v.path, index, "name"), f"duplicate source name {name!r}")
        names.add(name)
        specs.append(dataclasses.replace(spec, name=name))
    return tuple(specs)


def _source(c: Checker, path: KeyPath, entry: Any) -> SourceSpec | None:
    """One entry of ``sources``; its name may be left for the caller to choose."""
    entry = c.mapping(entry, path, keys(SourceSpec))
    if not entry:
        if entry == {}:
            c.fail(path, "expected a mapping with path:")
        return None
    pattern: str | None = ""
    url = None
    if "url" in entry:
        if "path" in entry and isinstance(entry["url"], str):
            c.fail(path, "give either path: (a file) or url: (fetched), not both")
            return None
        url = read_field(c, SourceSpec, "url", entry["url"], (*path, "url"))
        if url is None:
            return None
    else:
        if "max_pages" in entry:
            c.warn((*path, "max_pages"), "only URL sources are paged; ignored")
        pattern = c.string(entry.get("path"), (*path, "path"), required=True)
    fields = {
        name: read_field(c, SourceSpec, name, entry.get(name), (*path, name))
        for name in ("max_pages", "format", "name", "date", "announce", "catch_up_days")
    }
    if pattern is None:
        return None
    return SourceSpec(
        path="" if url else pattern, url=url, **{**fields, "name": fields["name"] or ""}
    )


# -- topics -------------------------------------------------------------------------------------


@kind("keywords")
def _keywords(v: Value) -> tuple[str, ...]:
    words = v.c.strings(v.raw, v.path, non_empty=v.rules.get("required", False))
    for index, word in enumerate(words):
        if is_regex_keyword(word):
            try:
                re.compile(word[1:-1])
            except re.error as exc:
                v.c.fail((*v.path, index), f"invalid regular expression: {exc}")
    return words


@kind("topics")
def _topics(v: Value) -> tuple[Topic, ...]:
    c, value = v.c, v.raw
    if value is None:
        return ()
    entries: list[tuple[KeyPath, str | None, Any]] = []
    if isinstance(value, dict):
        entries = [((*v.path, str(k)), str(k), body) for k, body in value.items()]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = item.get("name") if isinstance(item, dict) else None
            entries.append(((*v.path, index), name, item))
    else:
        c.fail(v.path, f"expected a mapping of topic names (or a list), got {kind_of(value)}")
        return ()
    topics: list[Topic] = []
    paths: list[KeyPath] = []  # each topic's place in the config
    seen: set[str] = set()
    for path, name, body in entries:
        if isinstance(body, list):  # `name: [kw, kw]` shorthand
            body = {"keywords": body}
        known = keys(Topic) if isinstance(value, list) else keys(Topic) - {"name"}
        body = c.mapping(body, path, known)
        if not body and not isinstance(body, dict):
            continue
        if isinstance(value, list):
            name = c.string(body.get("name"), (*path, "name"), required=True)
        if not name:
            continue
        # one spelling of each accent: "é" typed as e and a combining accent is "é"
        name = unicodedata.normalize("NFC", name)
        if not re.fullmatch(r"[\w][\w .+-]*", name):
            c.fail(path, f"topic name {name!r}: use letters, digits, spaces, '.', '+', '-' or '_'")
            continue
        if name.casefold() in seen:
            c.fail(path, f"duplicate topic name {name!r}")
        seen.add(name.casefold())
        read = {
            key: read_field(c, Topic, key, body.get(key), (*path, key))
            for key in ("keywords", "exclude", "description", "weight", "examples", "avoid")
        }
        topics.append(Topic(name=name, **read))
        paths.append(path)
    merged = _with_feedback(c, tuple(topics))
    for path, topic in zip(paths, merged, strict=True):
        avoided = set(topic.avoid)
        if both := [p for p in topic.examples if p in avoided]:
            c.warn(
                path,
                f"{', '.join(both)}: both an example and a paper to avoid (examples: or digest "
                "like, and avoid: or digest unlike); it is avoided: it never counts for the topic",
            )
    return merged


# an example entry ending so is a file
EXAMPLE_FILES = (".bib", ".bibtex", ".json", ".ris", ".txt", ".tsv", ".csv")


@kind("examples")
def _examples(v: Value) -> tuple[str, ...]:
    """Papers by arXiv id, title, or a file (BibTeX, CSL JSON, RIS, a list): a file is made
    absolute (relative to the config), and must exist."""
    raw = v.raw
    if isinstance(raw, list):  # an arXiv id written unquoted is a number to YAML: 2301.01234
        raw = [_arxiv_number(x) if isinstance(x, float) else x for x in raw]
    out = []
    for index, entry in enumerate(v.c.strings(raw, v.path)):
        if entry.lower().endswith(EXAMPLE_FILES) and "\n" not in entry:
            file = v.c.root / entry
            if not file.is_file():
                v.c.fail((*v.path, index), f"no such file: {entry}")
                continue
            entry = str(file.resolve())
        out.append(entry)
    return tuple(out)


def _arxiv_number(value: float) -> str:
    """The arXiv id YAML read as a number: ids from 2015 on (YYMM >= 1501) have five digits
    after the dot, older ones four (2301.1 was 2301.10000)."""
    return f"{value:.5f}" if value >= 1501 else f"{value:.4f}"


def read_feedback(
    file: Path, topics: Collection[str] | None = None
) -> tuple[dict[str, dict[str, bool]], list[str]]:
    """What ``digest like`` and ``digest unlike`` wrote to ``file``: per topic, each paper
    (id or title) and whether it is liked (``True``) or to avoid, the later line about a
    paper winning; and the problems, a line each (``digest-feedback.tsv line 5: ...``), a
    topic not among ``topics`` (when given) one. Missing: nothing."""
    likes: dict[str, dict[str, bool]] = {}
    if not file.is_file():
        return likes, []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return likes, [f"{file.name}: cannot read: {exc}"]
    problems = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] not in ("like", "unlike") or not parts[2].strip():
            problems.append(f"{file.name} line {number}: expected like|unlike, topic, paper")
            continue
        if topics is not None and parts[1] not in topics:
            problems.append(f"{file.name} line {number}: unknown topic {parts[1]!r}")
            continue
        wanted = likes.setdefault(parts[1], {})
        wanted.pop(parts[2].strip(), None)
        wanted[parts[2].strip()] = parts[0] == "like"
    return likes, problems


def _with_feedback(c: Checker, topics: tuple[Topic, ...]) -> tuple[Topic, ...]:
    """The topics with what ``digest like`` and ``digest unlike`` wrote to the feedback file
    beside the config: a liked paper joins the topic's examples, an unliked one its papers to
    avoid (the later line about a paper wins)."""
    if not topics:
        return topics
    likes, problems = read_feedback(c.root / FEEDBACK_FILE, {t.name for t in topics})
    for problem in problems:
        c.note(problem)
    return tuple(
        dataclasses.replace(
            t,
            examples=tuple(
                dict.fromkeys([*t.examples, *(p for p, ok in likes[t.name].items() if ok)])
            ),
            avoid=tuple(
                dict.fromkeys([*t.avoid, *(p for p, ok in likes[t.name].items() if not ok)])
            ),
        )
        if t.name in likes
        else t
        for t in topics
    )
