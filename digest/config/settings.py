"""Every key of ``digest.yaml``, declared once: each field of these dataclasses (and of
:class:`~digest.model.Highlights`, :class:`~digest.model.EmailSettings`,
:class:`~digest.model.Topic` and :class:`~digest.model.Subscriber`, which the stages after
collect use) carries its type, default, one-line doc and how it is checked
(:func:`digest.model.setting`). The key sets, the defaults, the checks (:mod:`.schema`) and the
README's config reference (:func:`.schema.reference`) are derived from them.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import glob
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import EmailSettings, Highlights, Ranking, SiteSettings, Subscriber, Topic, setting

MB = 1 << 20
DEFAULT_STORE = ".digest/store.sqlite"
DEFAULT_OUTPUT = "output"
FEEDBACK_FILE = "digest-feedback.tsv"  # beside the config: what digest like / unlike append
SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DATE_FIELD = "{date}"  # in a source's URL: the day fetched, YYYY-MM-DD


@dataclass(frozen=True)
class SourceSpec:
    """One entry of ``sources``: a file or glob (``path``, relative to the config file) or an
    http(s) ``url`` fetched before collecting."""

    name: str = setting(
        "",
        "default: the file name (the folder of a glob), or the URL's last path part",
        kind="source-name",
    )
    path: str = setting("", "a file or glob, relative to the config file", kind="source-path")
    format: str | None = setting(None, "skip detection: read as this format", kind="format")
    date: dt.date | None = setting(None, "the date of an undated page")
    announce: tuple[str, ...] = setting(
        (), "arXiv listings: which announce types are new papers (default: new, cross)"
    )
    url: str | None = setting(
        None, "fetched before collecting (instead of path:); may hold {date}", kind="url"
    )
    max_pages: int = setting(10, "arXiv API queries: paged up to this many pages", minimum=1)
    catch_up_days: int = setting(
        7, "a url: with {date}: the most days one build fetches, up to today", minimum=1
    )

    @property
    def dated(self) -> bool:
        """Whether the URL names a day (``{date}``): fetched once per day, missed days too."""
        return self.url is not None and DATE_FIELD in self.url

    @property
    def options(self) -> Mapping[str, Any]:
        """What the source's reader is told besides the bytes (``announce``)."""
        return {"announce": self.announce} if self.announce else {}


@dataclass(frozen=True)
class FetchSettings:
    """``fetch``: how URL sources are downloaded. Times in seconds.

    ``deadline`` bounds one request in total, retries and their waits included (not the wait for
    a host's turn); ``hosts`` maps a host (and its subdomains) to its own minimum interval
    between requests; arXiv asks for one request every 3 s."""

    contact: str | None = setting(
        None, "an address or URL for the User-Agent (arXiv asks for one)", kind="contact"
    )
    timeout: float = setting(
        15.0, "seconds to connect, and between two reads of the response", minimum=0.01
    )
    deadline: float = setting(
        60.0, "seconds one request may take in all, retries and waits included", minimum=0.01
    )
    max_size: int = setting(
        20 * MB, "a body beyond this is refused (20MB, 512KB, 1.5GiB or bytes)", kind="size"
    )
    retries: int = setting(3, "further tries after a connection error, a timeout, 429 or 5xx")
    retry_delay: float = setting(1.0, "seconds before the first retry; doubled each time")
    max_redirects: int = setting(5, "redirects followed")
    min_interval: float = setting(1.0, "seconds between two requests to one host")
    hosts: Mapping[str, float] = setting(
        {"arxiv.org": 3.0}, "a host (and its subdomains): its own interval", kind="hosts"
    )
    keep_days: int = setting(
        30, "cached copies older than this are removed (never the last good one)", minimum=1
    )

    def interval(self, host: str) -> float:
        """The minimum interval between two requests to ``host``."""
        host = host.lower().rstrip(".")
        best, length = self.min_interval, -1
        for name, seconds in self.hosts.items():
            if (host == name or host.endswith("." + name)) and len(name) > length:
                best, length = seconds, len(name)
        return best


@dataclass(frozen=True)
class SmtpSettings:
    """``email.smtp``: where ``digest send`` delivers. The password is never in the YAML: it is
    read from the environment variable named by ``password_env`` when sending."""

    host: str = setting("", "the SMTP server", required=True)
    security: str = setting(
        "starttls", "starttls, ssl (implicit TLS) or none", choices=tuple(SECURITY_PORTS)
    )
    port: int = setting(587, "default by security: starttls 587, ssl 465, none 25", kind="port")
    username: str | None = setting(None, "optional; the password comes from password_env")
    password_env: str = setting(
        "DIGEST_SMTP_PASSWORD", "the environment variable that holds the password", kind="env-name"
    )
    timeout: float = setting(30.0, "seconds, for connecting and for each command", minimum=0.01)
    retries: int = setting(3, "more attempts after a temporary failure")
    retry_delay: float = setting(1.0, "seconds before the first retry, doubled each time")
    verify: bool = setting(True, "check the server's TLS certificate")
    ca_file: Path | None = setting(None, "trust a private relay's CA (a PEM file)", kind="file")


@dataclass(frozen=True)
class Config:
    """A validated config. ``root`` is the config's folder (paths are relative to it), ``file``
    the config file, ``warnings`` what loading it found odd (unknown keys)."""

    root: Path
    file: Path | None = None
    sources: tuple[SourceSpec, ...] = setting((), "files, globs and URLs to read", kind="sources")
    store: Path = setting(
        Path(DEFAULT_STORE), "the store, beside the config; never inside the output", kind="path"
    )
    output: Path = setting(Path(DEFAULT_OUTPUT), "where the digest is written", kind="path")
    topics: tuple[Topic, ...] = setting(
        (),
        "name: keywords, or name: {keywords, exclude, description, weight, examples, avoid}",
        kind="topics",
    )
    highlights: Highlights = setting(Highlights(), "how each date's highlights are picked")
    ranking: Ranking = setting(
        Ranking(), "how keywords, learned profiles and upvotes make one score"
    )
    title: str = setting("Paper digest", "the digest's name, in every output")
    site_url: str = setting(
        "https://example.org/digest/",
        "where the site will live: full links in feeds and email",
        kind="site-url",
    )
    templates: Path | None = setting(
        None, "your templates, overriding ours file by file", kind="folder"
    )
    recent_days: int = setting(14, "dates the home page, topic pages and feeds cover", minimum=1)
    site: SiteSettings = setting(SiteSettings(), "what the static site shows")
    email: EmailSettings = setting(EmailSettings(), "the email's headers")
    smtp: SmtpSettings | None = setting(
        None, "where digest send delivers", key="email.smtp", kind="smtp"
    )
    send_empty: bool = setting(
        False, "also mail those with nothing in their topics that day", key="email.send_empty"
    )
    subscribers: tuple[Subscriber, ...] = setting(
        (), "who digest send mails: an address, or {email, name, topics, id}", kind="subscribers"
    )
    subscribers_file: Path | None = setting(
        None, "a CSV of subscribers: email, name, topics[, id]", kind="subscribers-file"
    )
    fetch: FetchSettings = setting(FetchSettings(), "how URL sources are downloaded")
    outputs: tuple[str, ...] | None = setting(
        None, "the outputs to build (default: all of them)", kind="outputs"
    )
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def output_problem(self, out: Path | None = None) -> str | None:
        """Why ``out`` (default: the config's output folder) cannot be the output folder, or
        ``None``: a build writes and publishes all of it, so it must hold neither the config,
        the store and its state folder, the subscribers, the templates, nor a source file (the
        built feeds would be read back as sources)."""
        out = (out or self.output).resolve()
        private = [
            ("the store", self.store),
            ("the state folder", self.state),
            ("the config file", self.file),
            ("the subscribers file", self.subscribers_file),
            ("the templates folder", self.templates),
        ]
        for what, path in private:
            if path is not None and path.resolve().is_relative_to(out):
                return f"{out} holds {what} ({path}); give the output a folder of its own"
        for spec in self.sources:
            if spec.path and not spec.url and reaches_into(spec.path, self.root, out):
                return (
                    f"{out} holds the source {spec.path!r} ({spec.name}): built files would be "
                    "read back as papers; give the output a folder of its own"
                )
        return None

    @property
    def state(self) -> Path:
        """The state folder (the store's): the fetch cache and other private files live here."""
        return self.store.parent

    @property
    def cache(self) -> Path:
        return self.state / "cache"

    @property
    def feedback(self) -> Path:
        """The feedback file beside the config (``digest like`` / ``digest unlike``)."""
        return self.root / FEEDBACK_FILE


def reaches_into(pattern: str, root: Path, folder: Path) -> bool:
    """Whether the source ``pattern`` (a file or a glob, relative to ``root``) can name a file
    inside ``folder`` (resolved)."""
    full = Path(pattern).expanduser()
    parts = (full if full.is_absolute() else root / full).parts
    fixed = next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))
    start = Path(*parts[:fixed]).resolve()
    if start.is_relative_to(folder):
        return True
    if not folder.is_relative_to(start):
        return False
    inside, rest = folder.relative_to(start).parts, parts[fixed:]
    for at, part in enumerate(rest):
        if part == "**" or at == len(inside):
            return True  # the rest of the pattern goes on below the folder
        if not fnmatch.fnmatchcase(inside[at], part):
            return False
    return False  # it names the folder or one above it, no file inside
