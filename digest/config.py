"""The config file: YAML in, frozen dataclasses out, validated in this one place.

Every problem is collected with its key path and YAML line (``topics.rl.keywords[2]: expected a
string (line 14)``) and reported together; unknown keys are warnings. Only ``yaml.safe_load``
semantics: tags such as ``!!python/object`` are refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import hashlib
import io
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from .errors import ConfigError
from .model import Subscriber, Topic

CONFIG_NAMES = ("digest.yaml", "digest.yml")
DEFAULT_STORE = ".digest/store.sqlite"
DEFAULT_OUTPUT = "output"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceSpec:
    """One entry of ``sources``: a file or glob (``path``, relative to the config file) or an
    http(s) ``url`` fetched before collecting (``max_pages``: how far an arXiv API query is
    paged)."""

    name: str
    path: str = ""
    format: str | None = None
    date: dt.date | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    max_pages: int = 10


MB = 1 << 20


@dataclass(frozen=True)
class FetchSettings:
    """``fetch``: how URL sources are downloaded. Times in seconds.

    ``deadline`` bounds one request in total, retries and their waits included (not the wait for
    a host's turn); ``hosts`` maps a host (and its subdomains) to its own minimum interval
    between requests; arXiv asks for one request every 3 s."""

    contact: str | None = None
    timeout: float = 15.0  # to connect, and between two reads of the response
    deadline: float = 60.0
    max_size: int = 20 * MB
    retries: int = 3
    retry_delay: float = 1.0  # before the first retry; doubled each time, with jitter
    max_redirects: int = 5
    min_interval: float = 1.0
    hosts: Mapping[str, float] = field(default_factory=lambda: {"arxiv.org": 3.0})
    keep_days: int = 30  # cached copies older than this are removed (never the last good one)

    def interval(self, host: str) -> float:
        """The minimum interval between two requests to ``host``."""
        host = host.lower().rstrip(".")
        best, length = self.min_interval, -1
        for name, seconds in self.hosts.items():
            if (host == name or host.endswith("." + name)) and len(name) > length:
                best, length = seconds, len(name)
        return best


@dataclass(frozen=True)
class Highlights:
    total: int = 10
    per_topic: int = 3
    min_score: float = 1.0


@dataclass(frozen=True)
class EmailSettings:
    """``email``: the headers of the built ``.eml`` (and, later, of every delivery)."""

    sender: str = ""  # `from:`; default: "<title> <digest@<site host>>"
    to: str = ""  # default: the sender
    subject: str = "{{ title }} — {{ date }}: {{ highlights|length }} highlights"
    unsubscribe_url: str | None = None


SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """``email.smtp``: where ``digest send`` delivers. The password is never in the YAML: it is
    read from the environment variable named by ``password_env`` when sending."""

    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str | None = None
    password_env: str = "DIGEST_SMTP_PASSWORD"
    timeout: float = 30.0  # seconds, for connecting and for each command
    retries: int = 3  # further attempts after a temporary failure
    retry_delay: float = 1.0  # seconds before the first retry; doubled each time, with jitter
    verify: bool = True  # check the server's TLS certificate
    ca_file: Path | None = None  # trust this CA bundle (a private relay's own CA)


@dataclass(frozen=True)
class Config:
    root: Path
    file: Path | None = None
    sources: tuple[SourceSpec, ...] = ()
    store: Path = Path(DEFAULT_STORE)
    output: Path = Path(DEFAULT_OUTPUT)
    topics: tuple[Topic, ...] = ()
    highlights: Highlights = Highlights()
    title: str = "Paper digest"
    site_url: str = "https://example.org/digest/"
    templates: Path | None = None
    recent_days: int = 14
    email: EmailSettings = EmailSettings()
    smtp: SmtpSettings | None = None
    send_empty: bool = False
    subscribers: tuple[Subscriber, ...] = ()
    fetch: FetchSettings = FetchSettings()
    outputs: tuple[str, ...] | None = None  # the outputs to build; None: every one
    warnings: tuple[str, ...] = ()

    @property
    def state(self) -> Path:
        """The state folder (the store's): the fetch cache and other private files live here."""
        return self.store.parent

    @property
    def cache(self) -> Path:
        return self.state / "cache"


# -- YAML with line numbers --------------------------------------------------------------------


def _lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[str]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append(
                    f"{_fmt(path + (key,))}: duplicate key (line {key_node.start_mark.line + 1})"
                )
            seen.add(key)
            _lines(value_node, path + (key,), lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, path + (index,), lines, problems)


def _fmt(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_yaml(text: str, name: str) -> tuple[Any, dict[Path_, int]]:
    """``yaml.safe_load`` plus the line of every key path; YAML errors as one-line ConfigErrors."""
    lines: dict[Path_, int] = {}
    problems: list[str] = []
    loader = yaml.SafeLoader(text)  # read once: the nodes (for their lines), then the data
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = (exc.problem or exc.context or "invalid YAML").strip()
        raise ConfigError(f"{where}{what}", name) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", name) from None
    finally:
        loader.dispose()
    if node is not None:
        _lines(node, (), lines, problems)
    if problems:
        raise ConfigError(problems, name)
    return data, lines


# -- validation ---------------------------------------------------------------------------------


class _Checker:
    def __init__(self, lines: dict[Path_, int]) -> None:
        self.lines = lines
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def line(self, path: Path_) -> int | None:
        """The YAML line of ``path``, else of its nearest ancestor that has one (a key that is
        missing is reported at its parent: ``rl: []`` has no ``keywords`` line)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def fail(self, path: Path_, message: str) -> None:
        line = self.line(path)
        self.problems.append(f"{_fmt(path)}: {message}" + (f" (line {line})" if line else ""))

    def warn(self, path: Path_, message: str) -> None:
        line = self.line(path)
        self.warnings.append(f"{_fmt(path)}: {message}" + (f" (line {line})" if line else ""))

    def mapping(self, value: Any, path: Path_, known: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_kind(value)}")
            return {}
        for key in value:
            if not isinstance(key, str):
                self.fail(path + (key,), "keys must be strings")
            elif key not in known:
                self.warn(path + (key,), f"unknown key (known: {', '.join(sorted(known))})")
        return value

    def string(self, value: Any, path: Path_, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.fail(path, "required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(path, f"expected a non-empty string, got {_kind(value)}")
            return None
        return value

    def number(
        self, value: Any, path: Path_, default: float, *, minimum: float = 0, integer: bool = False
    ) -> Any:
        if value is None:
            return default
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            self.fail(
                path, f"expected {'a whole number' if integer else 'a number'}, got {_kind(value)}"
            )
            return default
        if value < minimum:
            self.fail(path, f"must be at least {minimum}, got {value}")
            return default
        return value

    def strings(self, value: Any, path: Path_, *, non_empty: bool = False) -> tuple[str, ...]:
        if value is None:
            if non_empty:
                self.fail(path, "required: a list of strings")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(path, f"expected a list of strings, got {_kind(value)}")
            return ()
        out = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
            else:
                got = "an empty string" if isinstance(item, str) else _kind(item)
                self.fail(path + (index,), f"expected a non-empty string, got {got}")
        if non_empty and not value:
            self.fail(path, "must not be empty")
        return tuple(out)

    def date(self, value: Any, path: Path_) -> dt.date | None:
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f"expected a date YYYY-MM-DD, got {value!r}")
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), f"a {type(value).__name__}")


TOP_KEYS = {
    "sources", "store", "output", "topics", "highlights", "title", "site_url", "templates",
    "recent_days", "email", "subscribers", "subscribers_file", "fetch", "outputs",
}  # fmt: skip
FETCH_KEYS = {
    "contact", "timeout", "deadline", "max_size", "retries", "retry_delay", "max_redirects",
    "min_interval", "hosts", "keep_days",
}  # fmt: skip
EMAIL_KEYS = {"from", "to", "subject", "unsubscribe_url", "smtp", "send_empty"}
SMTP_KEYS = {
    "host", "port", "security", "username", "password_env", "timeout", "retries", "retry_delay",
    "verify", "ca_file",
}  # fmt: skip
SUBSCRIBER_KEYS = {"email", "name", "topics", "id"}
SOURCE_KEYS = {"path", "url", "format", "name", "date", "announce", "max_pages"}
TOPIC_KEYS = {"name", "description", "keywords", "exclude", "weight"}
HIGHLIGHT_KEYS = {"total", "per_topic", "min_score"}


def _url_name(url: str) -> str:
    """A source name from a URL: the query of an arXiv API search, else the last part of the
    path (``https://rss.arxiv.org/rss/cs.CL`` -> ``cs.CL``), else the host."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query).get("search_query")
    if query and parts.path.rstrip("/").endswith("/api/query"):
        return "arxiv-" + re.sub(r"[^\w.]+", "-", query[0]).strip("-").lower()
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        return re.sub(r"\.(?:xml|rss|atom|rdf|json|jsonl|txt|html?)$", "", segments[-1], flags=re.I)
    return parts.hostname or url


def _check_url(url: str) -> str | None:
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


def _default_name(pattern: str) -> str:
    parts = Path(pattern).parts
    if parts and any(ch in parts[-1] for ch in "*?[") and len(parts) > 1:
        return parts[-2]
    return Path(pattern).stem or pattern


def _sources(c: _Checker, value: Any) -> tuple[SourceSpec, ...]:
    from . import sources as formats  # the registry, for format names

    if value is None:
        return ()
    if not isinstance(value, list):
        c.fail(("sources",), f"expected a list, got {_kind(value)}")
        return ()
    specs: list[SourceSpec] = []
    names: set[str] = set()
    for index, entry in enumerate(value):
        path: Path_ = ("sources", index)
        if isinstance(entry, str):
            entry = {"path": entry}
        entry = c.mapping(entry, path, SOURCE_KEYS)
        if not entry:
            if entry == {}:
                c.fail(path, "expected a mapping with path:")
            continue
        url = c.string(entry.get("url"), path + ("url",))
        if url is not None:
            url = url.strip()
            if "path" in entry:
                c.fail(path, "give either path: (a file) or url: (fetched), not both")
                continue
            if (why := _check_url(url)) is not None:
                c.fail(path + ("url",), why)
                continue
            pattern = url
        else:
            if "max_pages" in entry:
                c.warn(path + ("max_pages",), "only URL sources are paged; ignored")
            if "url" in entry:  # present but not a string: already reported
                continue
            pattern = c.string(entry.get("path"), path + ("path",), required=True)
        max_pages = c.number(
            entry.get("max_pages"), path + ("max_pages",), 10, minimum=1, integer=True
        )
        fmt = c.string(entry.get("format"), path + ("format",))
        if fmt is not None and fmt not in formats.REGISTRY:
            known = ", ".join(sorted({f.name for f in formats.formats()}))
            c.fail(path + ("format",), f"unknown format {fmt!r} (known: {known})")
        name = c.string(entry.get("name"), path + ("name",))
        date = c.date(entry.get("date"), path + ("date",))
        announce = c.strings(entry.get("announce"), path + ("announce",))
        if pattern is None:
            continue
        if name is None:
            base = name = _url_name(pattern) if url else _default_name(pattern)
            suffix = 2
            while name in names:
                name, suffix = f"{base}-{suffix}", suffix + 1
        elif name in names:
            c.fail(path + ("name",), f"duplicate source name {name!r}")
        names.add(name)
        options = {"announce": announce} if announce else {}
        specs.append(
            SourceSpec(
                name=name,
                path="" if url else pattern,
                format=fmt,
                date=date,
                options=options,
                url=url,
                max_pages=max_pages,
            )
        )
    return tuple(specs)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)


def _size(c: _Checker, value: Any, path: Path_, default: int) -> int:
    """A byte count: a number, or text such as ``20MB``, ``512 KB``, ``1.5 GiB``."""
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match:
        unit = (match[2] or "b").lower()[:1]
        number = float(match[1]) * {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[unit]
        if number >= 1:
            return int(number)
    c.fail(path, f"expected a size such as 20MB or a number of bytes, got {value!r}")
    return default


def _fetch(c: _Checker, value: Any) -> FetchSettings:
    body = c.mapping(value, ("fetch",), FETCH_KEYS)
    if not body:
        return FetchSettings()
    at: Callable[[str], Path_] = lambda key: ("fetch", key)  # noqa: E731
    d = FetchSettings()
    contact = c.string(body.get("contact"), at("contact"))
    if contact and (re.search(r"[\r\n\x00-\x1f]", contact) or len(contact) > 200):
        c.fail(at("contact"), "expected one line (an address or URL) of at most 200 characters")
        contact = None
    hosts = dict(d.hosts)
    raw_hosts = body.get("hosts")
    if raw_hosts is not None:
        if not isinstance(raw_hosts, dict):
            c.fail(at("hosts"), f"expected a mapping of host: seconds, got {_kind(raw_hosts)}")
        else:
            for host, seconds in raw_hosts.items():
                where = ("fetch", "hosts", host)
                if not isinstance(host, str) or not re.match(r"^[\w.-]+$", host):
                    c.fail(where, f"expected a host name such as export.arxiv.org, got {host!r}")
                    continue
                hosts[host.lower().rstrip(".")] = c.number(seconds, where, d.min_interval)
    return FetchSettings(
        contact=contact,
        timeout=c.number(body.get("timeout"), at("timeout"), d.timeout, minimum=0.01),
        deadline=c.number(body.get("deadline"), at("deadline"), d.deadline, minimum=0.01),
        max_size=_size(c, body.get("max_size"), at("max_size"), d.max_size),
        retries=c.number(body.get("retries"), at("retries"), d.retries, integer=True),
        retry_delay=c.number(body.get("retry_delay"), at("retry_delay"), d.retry_delay),
        max_redirects=c.number(
            body.get("max_redirects"), at("max_redirects"), d.max_redirects, integer=True
        ),
        min_interval=c.number(body.get("min_interval"), at("min_interval"), d.min_interval),
        hosts=hosts,
        keep_days=c.number(
            body.get("keep_days"), at("keep_days"), d.keep_days, minimum=1, integer=True
        ),
    )


def _topics(c: _Checker, value: Any) -> tuple[Topic, ...]:
    if value is None:
        return ()
    entries: list[tuple[Path_, str | None, Any]] = []
    if isinstance(value, dict):
        entries = [(("topics", str(k)), str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = item.get("name") if isinstance(item, dict) else None
            entries.append((("topics", index), name, item))
    else:
        c.fail(("topics",), f"expected a mapping of topic names (or a list), got {_kind(value)}")
        return ()
    topics: list[Topic] = []
    seen: set[str] = set()
    for path, name, body in entries:
        if isinstance(body, list):  # `name: [kw, kw]` shorthand
            body = {"keywords": body}
        body = c.mapping(
            body, path, TOPIC_KEYS if isinstance(value, list) else TOPIC_KEYS - {"name"}
        )
        if not body and not isinstance(body, dict):
            continue
        if isinstance(value, list):
            name = c.string(body.get("name"), path + ("name",), required=True)
        if not name:
            continue
        if not re.fullmatch(r"[\w][\w .+-]*", name):
            c.fail(path, f"topic name {name!r}: use letters, digits, spaces, '.', '+', '-' or '_'")
            continue
        if name.casefold() in seen:
            c.fail(path, f"duplicate topic name {name!r}")
        seen.add(name.casefold())
        keywords = c.strings(body.get("keywords"), path + ("keywords",), non_empty=True)
        exclude = c.strings(body.get("exclude"), path + ("exclude",))
        for key, words in (("keywords", keywords), ("exclude", exclude)):
            for index, word in enumerate(words):
                if len(word) > 2 and word.startswith("/") and word.endswith("/"):
                    try:
                        re.compile(word[1:-1])
                    except re.error as exc:
                        c.fail(path + (key, index), f"invalid regular expression: {exc}")
        description = c.string(body.get("description"), path + ("description",)) or ""
        weight = c.number(body.get("weight"), path + ("weight",), 1.0, minimum=0)
        topics.append(Topic(name, keywords, exclude, description, float(weight)))
    return tuple(topics)


def _highlights(c: _Checker, value: Any) -> Highlights:
    body = c.mapping(value, ("highlights",), HIGHLIGHT_KEYS)
    return Highlights(
        total=c.number(body.get("total"), ("highlights", "total"), 10, minimum=0, integer=True),
        per_topic=c.number(
            body.get("per_topic"), ("highlights", "per_topic"), 3, minimum=1, integer=True
        ),
        min_score=float(
            c.number(body.get("min_score"), ("highlights", "min_score"), 1.0, minimum=0)
        ),
    )


def _outputs(c: _Checker, value: Any) -> tuple[str, ...] | None:
    """The outputs named in ``outputs:`` (each once), or ``None`` (every output)."""
    if value is None:
        return None
    names = c.strings(value, ("outputs",), non_empty=True)
    from .render import outputs  # the registry (render's modules import this one)

    known = [o.name for o in outputs()]
    for index, name in enumerate(names):
        if name not in known:
            c.fail(("outputs", index), f"unknown output {name!r} (known: {', '.join(known)})")
    return tuple(dict.fromkeys(n for n in names if n in known))


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
        or any(ch.isspace() or ch in '<>,;"\\' for ch in address)
    ):
        return None
    return name, address


def _address(c: _Checker, value: Any, path: Path_) -> str:
    text = c.string(value, path)
    if text is None:
        return ""
    found = split_address(text)
    if found is None:
        c.fail(path, f"expected an email address such as 'Name <me@example.org>', got {text!r}")
        return ""
    name, address = found
    return email.utils.formataddr((name, address)) if name else address


def _email(c: _Checker, value: Any) -> EmailSettings:
    body = c.mapping(value, ("email",), EMAIL_KEYS)
    subject = c.string(body.get("subject"), ("email", "subject")) or EmailSettings.subject
    try:
        jinja2.Environment().parse(subject)
    except jinja2.TemplateSyntaxError as exc:
        c.fail(("email", "subject"), f"invalid template: {exc.message}")
    url = c.string(body.get("unsubscribe_url"), ("email", "unsubscribe_url"))
    if url and not re.match(r"^(https?://[^/\s]+|mailto:\S+@)", url):
        c.fail(("email", "unsubscribe_url"), f"expected an http(s) or mailto: URL, got {url!r}")
    return EmailSettings(
        sender=_address(c, body.get("from"), ("email", "from")),
        to=_address(c, body.get("to"), ("email", "to")),
        subject=subject,
        unsubscribe_url=url,
    )


def _smtp(c: _Checker, value: Any, root: Path) -> SmtpSettings | None:
    path: Path_ = ("email", "smtp")
    if value is None:
        return None
    if isinstance(value, dict) and "password" in value:
        c.fail(
            path + ("password",),
            "never put the password in the config: set it in an environment variable and name "
            "that variable in password_env (default DIGEST_SMTP_PASSWORD)",
        )
        value = {k: v for k, v in value.items() if k != "password"}
    body = c.mapping(value, path, SMTP_KEYS)
    host = c.string(body.get("host"), path + ("host",), required=True)
    security = c.string(body.get("security"), path + ("security",)) or "starttls"
    if security not in SECURITY_PORTS:
        c.fail(path + ("security",), f"expected starttls, ssl or none, got {security!r}")
        security = "starttls"
    port = c.number(body.get("port"), path + ("port",), SECURITY_PORTS[security], minimum=1,
                    integer=True)  # fmt: skip
    if port > 65535:
        c.fail(path + ("port",), f"expected a port number up to 65535, got {port}")
    username = c.string(body.get("username"), path + ("username",))
    password_env = (
        c.string(body.get("password_env"), path + ("password_env",)) or SmtpSettings.password_env
    )
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
        c.fail(
            path + ("password_env",), f"expected an environment variable name, got {password_env!r}"
        )
    if username and security == "none":
        c.warn(path + ("security",), "the password would cross the network unencrypted")
    verify = body.get("verify", True)
    if not isinstance(verify, bool):
        c.fail(path + ("verify",), f"expected true/false, got {_kind(verify)}")
        verify = True
    ca_file = c.string(body.get("ca_file"), path + ("ca_file",))
    if ca_file and not (root / ca_file).is_file():
        c.fail(path + ("ca_file",), f"no such file: {ca_file}")
    if host is None:
        return None
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        username=username,
        password_env=password_env,
        timeout=float(c.number(body.get("timeout"), path + ("timeout",), 30.0, minimum=0.01)),
        retries=c.number(body.get("retries"), path + ("retries",), 3, integer=True),
        retry_delay=float(c.number(body.get("retry_delay"), path + ("retry_delay",), 1.0)),
        verify=verify,
        ca_file=(root / ca_file).resolve() if ca_file else None,
    )


def subscriber_id(address: str) -> str:
    """The default id of a subscriber: stable, and not the address itself."""
    return hashlib.sha256(address.casefold().encode()).hexdigest()[:16]


class _Subscribers:
    """Every subscriber from ``subscribers`` and ``subscribers_file``, each address and id once."""

    def __init__(self, c: _Checker, topics: tuple[Topic, ...]) -> None:
        self.c = c
        self.known = {t.name.casefold(): t.name for t in topics}
        self.out: list[Subscriber] = []
        self.where: dict[str, str] = {}  # address or id -> where it was first given

    def add(self, fail: Any, where: str, address: Any, name: Any, topics: Any, ident: Any) -> None:
        """``fail(field, message)`` reports a problem at the entry's path or line."""
        problems = len(self.c.problems)
        found = split_address(address.strip()) if isinstance(address, str) else None
        if found is None:
            shown = repr(address) if isinstance(address, str) else _kind(address)
            fail("email", f"expected an email address such as me@example.org, got {shown}")
        if name is not None and not isinstance(name, str):
            fail("name", f"expected a string, got {_kind(name)}")
        chosen: tuple[str, ...] | None = None
        if isinstance(topics, str):
            topics = [t.strip() for t in re.split(r"[;,|]", topics) if t.strip()] or None
        if topics is not None and not isinstance(topics, list):
            fail("topics", f"expected a list of topic names, got {_kind(topics)}")
        elif topics is not None:
            if not topics:
                fail("topics", "must not be empty (leave it out to follow every topic)")
            names = []
            for index, topic in enumerate(topics):
                key = topic.strip().casefold() if isinstance(topic, str) else None
                if key not in self.known:
                    known = ", ".join(sorted(self.known.values())) or "none configured"
                    fail(f"topics[{index}]", f"unknown topic {topic!r} (known: {known})")
                else:
                    names.append(self.known[key])
            chosen = tuple(sorted(set(names)))
        if ident is not None and (not isinstance(ident, str | int) or isinstance(ident, bool)):
            fail("id", f"expected a string, got {_kind(ident)}")
        if found is None or len(self.c.problems) > problems:
            return
        parsed_name, address = found
        ident = str(ident).strip() if ident is not None else subscriber_id(address)
        for key, label in ((address.casefold(), "address"), ("id:" + ident, "id")):
            if key in self.where:
                fail("email" if label == "address" else "id",
                     f"duplicate subscriber {label} (first given at {self.where[key]})")  # fmt: skip
                return
        self.where[address.casefold()] = self.where["id:" + ident] = where
        display = " ".join(
            (name if isinstance(name, str) and name.strip() else parsed_name).split()
        )
        self.out.append(Subscriber(ident, address, display[:200], chosen))

    def from_yaml(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.c.fail(("subscribers",), f"expected a list, got {_kind(value)}")
            return
        for index, entry in enumerate(value):
            path: Path_ = ("subscribers", index)
            if isinstance(entry, str):
                entry = {"email": entry}
            body = self.c.mapping(entry, path, SUBSCRIBER_KEYS)
            if not isinstance(entry, dict):
                continue

            def fail(key: str, message: str, path: Path_ = path) -> None:
                parts: Path_ = tuple(
                    int(p) if p.isdigit() else p for p in re.findall(r"[^\[\]]+", key)
                )
                self.c.fail(path + parts, message)

            self.add(fail, _fmt(path), body.get("email"), body.get("name"), body.get("topics"),
                     body.get("id"))  # fmt: skip

    def from_csv(self, name: str, root: Path) -> None:
        """A CSV with the columns email, name, topics (and optionally id); a header row is
        optional; topics are separated by ';' (or ',' inside a quoted cell)."""
        file = root / name
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            self.c.fail(("subscribers_file",), f"no such file: {name}")
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.c.fail(("subscribers_file",), f"cannot read {name}: {exc}")
            return
        columns = ["email", "name", "topics", "id"]
        reader = csv.reader(io.StringIO(text, newline=""))
        first = True
        try:
            for row in reader:
                number = reader.line_num  # the file's line where the row ends
                if first and row and "@" not in row[0]:
                    header = [h.strip().casefold() for h in row]
                    if "email" not in header or any(h not in columns for h in header):
                        self.c.problems.append(
                            f"{name} line 1: expected the columns email, name, topics (and id), "
                            f"got {', '.join(row)}"
                        )
                        return
                    columns, first = header, False
                    continue
                first = False
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > len(columns):
                    self.c.problems.append(
                        f"{name} line {number}: {len(row)} cells, expected at most {len(columns)}"
                    )
                    continue
                cells = dict(zip(columns, row, strict=False))

                def fail(key: str, message: str, number: int = number) -> None:
                    self.c.problems.append(f"{name} line {number}: {key.split('[')[0]}: {message}")

                self.add(fail, f"{name} line {number}", cells.get("email"),
                         cells.get("name") or None, cells.get("topics") or None,
                         cells.get("id") or None)  # fmt: skip
        except csv.Error as exc:
            self.c.problems.append(f"{name} line {reader.line_num}: not CSV: {exc}")


def validate(data: Any, lines: dict[Path_, int], root: Path, file: Path | None = None) -> Config:
    """Config from parsed YAML; raises one ConfigError listing every problem."""
    c = _Checker(lines)
    name = str(file) if file else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping at the top level, got {_kind(data)}", name)
    c.mapping(data, (), TOP_KEYS)
    sources = _sources(c, data.get("sources"))
    topics = _topics(c, data.get("topics"))
    highlights = _highlights(c, data.get("highlights"))
    store = c.string(data.get("store"), ("store",)) or DEFAULT_STORE
    output = c.string(data.get("output"), ("output",)) or DEFAULT_OUTPUT
    title = c.string(data.get("title"), ("title",)) or Config.title
    site_url = c.string(data.get("site_url"), ("site_url",)) or Config.site_url
    templates = c.string(data.get("templates"), ("templates",))
    recent_days = c.number(data.get("recent_days"), ("recent_days",), 14, minimum=1, integer=True)
    email_settings = _email(c, data.get("email"))
    fetch = _fetch(c, data.get("fetch"))
    outputs = _outputs(c, data.get("outputs"))
    email_body = data.get("email") if isinstance(data.get("email"), dict) else {}
    smtp = _smtp(c, email_body.get("smtp"), root)
    send_empty = email_body.get("send_empty", False)
    if not isinstance(send_empty, bool):
        c.fail(("email", "send_empty"), f"expected true/false, got {_kind(send_empty)}")
        send_empty = False
    subscribers = _Subscribers(c, topics)
    subscribers.from_yaml(data.get("subscribers"))
    subscribers_file = c.string(data.get("subscribers_file"), ("subscribers_file",))
    if subscribers_file:
        subscribers.from_csv(subscribers_file, root)
    if templates and not (root / templates).is_dir():
        c.fail(("templates",), f"no such folder: {templates}")
    if site_url and not re.match(r"^https?://[^/\s]+", site_url):
        c.fail(("site_url",), f"expected an http(s) URL, got {site_url!r}")
    store_path, output_path = (root / store).resolve(), (root / output).resolve()
    if store_path.is_relative_to(output_path):
        c.fail(("store",), "the store must not be inside the output folder (which is published)")
    if c.problems:
        raise ConfigError(c.problems, name)
    return Config(
        root=root,
        file=file,
        sources=sources,
        store=store_path,
        output=output_path,
        topics=topics,
        highlights=highlights,
        title=title,
        site_url=site_url if site_url.endswith("/") else site_url + "/",
        templates=(root / templates).resolve() if templates else None,
        recent_days=recent_days,
        email=email_settings,
        smtp=smtp,
        send_empty=send_empty,
        subscribers=tuple(subscribers.out),
        fetch=fetch,
        outputs=outputs,
        warnings=tuple(c.warnings),
    )


def find_config(start: Path | None = None) -> Path | None:
    start = start or Path.cwd()
    for name in CONFIG_NAMES:
        if (start / name).is_file():
            return start / name
    return None


def is_example_url(url: str) -> bool:
    """Whether ``url`` is on a domain reserved for examples (RFC 2606), as the starter's
    ``site_url`` is: links to it lead nowhere."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower().rstrip(".")
    reserved = ("example.org", "example.com", "example.net")
    return host in reserved or host.endswith(tuple("." + r for r in (*reserved, "example")))


def load_config(path: Path | str | None = None) -> Config:
    """Load and validate a config file (default: ``digest.yaml`` in the current folder)."""
    if path is None:
        found = find_config()
        if found is None:
            raise ConfigError(
                f"no {CONFIG_NAMES[0]} in {Path.cwd()}; give --config FILE or start one with `digest init`"
            )
        path = found
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("config file not found", str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", str(path)) from None
    data, lines = parse_yaml(text, str(path))
    return validate(data, lines, path.parent.resolve(), path)


def config_from_text(text: str, root: Path, name: str = "<config>") -> Config:
    data, lines = parse_yaml(text, name)
    return validate(data, lines, root)
