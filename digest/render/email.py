"""The HTML email of each date, its plain-text twin and a ready ``.eml`` (multipart/alternative,
text first). CSS is inlined with css-inline (mail clients drop <style>), the dark-mode rules kept.

Budget: Gmail clips a message's HTML past about 102 KB, so the HTML stays under ``BUDGET``:
when a day is too big, the topic sections list fewer papers in full and link to the site for
the rest (the highlights always stay)."""

from __future__ import annotations

import binascii
import datetime as dt
import email.policy
import email.utils
import hashlib
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import css_inline
import idna
import jinja2.sandbox
import markupsafe

from ..model import EmailSettings, RankedDay, ScoredPaper, Subscriber, Topic
from . import Output, Rendered, Site, paths, register
from .env import one_line, shorten, strip_illegal

BUDGET = 100_000  # bytes of HTML
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_SUBJECT_ENV = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)

Section = tuple[Topic, Sequence[ScoredPaper], int]


def smtp_address(address: str) -> str:
    """``address`` as SMTP and the headers carry it: an internationalized domain in its ASCII
    form (IDNA A-labels: ``user@exämple.net`` -> ``user@xn--exmple-cua.net``), which every
    server takes; the local part as it is (non-ASCII, it needs a server that offers SMTPUTF8).
    Raises ``ValueError`` for a domain IDNA cannot encode (the config refuses those)."""
    local, at, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        return f"{local}{at}{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError as exc:
        raise ValueError(f"{address}: not an internationalized domain: {exc}") from None


def format_address(name: str, address: str) -> str:
    """``Name <address>`` (``email.utils.formataddr``, which refuses a non-ASCII address: one
    with a non-ASCII local part is written as it is, for a message sent with SMTPUTF8)."""
    if address.isascii():
        return email.utils.formataddr((name, address))
    if not name:
        return address
    return email.utils.formataddr((name, "x@x"))[: -len("<x@x>")] + f"<{address}>"


def recipient(address: str) -> Subscriber:
    """The subscriber of an address written ``Name <me@example.org>`` (the build's ``.eml`` and
    ``digest send --to``)."""
    name, mail = email.utils.parseaddr(address)
    return Subscriber("", mail or address, name)


def _fields(subscriber: Subscriber, quote: bool = False) -> dict[str, Any]:
    """What templates see of a subscriber; in a URL every value is percent-encoded."""
    fields = {"id": subscriber.id, "email": subscriber.email, "name": subscriber.name}
    if quote:
        fields = {k: urllib.parse.quote(v, safe="@") for k, v in fields.items()}
    return fields | {"topics": list(subscriber.topics or ())}


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 highlight``, ``3 highlights`` (``words``: the plural when it is not ``word + "s"``);
    the subject template's ``plural`` filter: ``{{ highlights|length|plural("highlight") }}``."""
    return f"{count} {word if count == 1 else words or word + 's'}"


_SUBJECT_ENV.filters["plural"] = plural
# The default subject. The config's default before it said "1 highlights": a config that
# still holds that default gets this one.
DEFAULT_SUBJECT = EmailSettings.subject  # "1 highlight", "2 highlights"
_OLD_DEFAULT_SUBJECT = "{{ title }} — {{ date }}: {{ highlights|length }} highlights"


def subject(day: RankedDay, site: Site, subscriber: Subscriber) -> str:
    """The subject line from the config's ``email.subject`` template (sandboxed, one line)."""
    source = site.email.subject
    template = _compiled(DEFAULT_SUBJECT if source == _OLD_DEFAULT_SUBJECT else source)
    text = template.render(
        title=site.title,
        date=day.date.isoformat(),
        highlights=day.highlights,
        papers=day.papers,
        subscriber=_fields(subscriber),
    )
    return one_line(text)[:250]


def sender(site: Site) -> str:
    """The From header: the config's ``email.from``, else the title at ``digest@`` the site's
    host (an internationalized domain in its ASCII form)."""
    if site.email.sender:
        name, address = email.utils.parseaddr(site.email.sender)
        if address.isascii():
            return site.email.sender
        return format_address(name, smtp_address(address))
    return format_address(one_line(site.title), smtp_address(f"digest@{site.host}"))


def sections(day: RankedDay, site: Site, limit: int | None) -> list[Section]:
    """Each topic's papers not listed above it (not highlights, not listed in full in an
    earlier section), with how many to list (``limit``: at most)."""
    return placement(day, site, limit)[0]


def placement(
    day: RankedDay, site: Site, limit: int | None
) -> tuple[list[Section], dict[str, list[ScoredPaper]]]:
    """(sections, refs): each paper is listed once in a letter, the highlights first, then in
    the first topic section that lists it in full; ``refs`` holds, per topic, its papers listed
    above, which its section only links to. A topic whose papers are all above keeps its
    section, with those links only."""
    listed = {s.paper.id for s in day.highlights}
    out: list[Section] = []
    refs: dict[str, list[ScoredPaper]] = {}
    for topic in site.topics:
        papers = day.sections.get(topic.name, ())
        above = [s for s in papers if s.paper.id in listed]
        rest = [s for s in papers if s.paper.id not in listed]
        if not papers:
            continue
        shown = len(rest) if limit is None else min(limit, len(rest))
        listed.update(s.paper.id for s in rest[:shown])
        out.append((topic, rest, shown))
        refs[topic.name] = above
    return out, refs


def preheader(day: RankedDay) -> str:
    """What an inbox shows after the subject: the first highlights' titles, cut at a word."""
    if not day.highlights:
        n = len(day.papers)
        return f"{n} new paper{'' if n == 1 else 's'}, none of them a highlight."
    return shorten("; ".join(one_line(h.paper.title) for h in day.highlights[:3]), 150)


def unsubscribe_url(site: Site, subscriber: Subscriber) -> str | None:
    url = site.email.unsubscribe_url
    if not url:
        return None
    return one_line(_compiled(url).render(subscriber=_fields(subscriber, quote=True)))


@lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    return _SUBJECT_ENV.from_string(source)


def _size(html: str) -> int:
    """Bytes of the HTML as mailed (lines end in CRLF)."""
    return len(html.encode()) + html.count("\n")


def render_bodies(day: RankedDay, site: Site, unsubscribe: str | None) -> tuple[str, str]:
    """(HTML, text) of a date's email, the HTML within :data:`BUDGET`."""
    context: dict[str, Any] = {
        "site": site,
        "day": day,
        "page": paths.email(day.date, "html"),
        "subject": subject(day, site, recipient(site.email.to or sender(site))),
        "unsubscribe": unsubscribe,
        "preheader": preheader(day),
    }
    html_template = site.env.get_template("email/day.html")

    made: dict[tuple[int, ...], str] = {}  # by how many papers each section lists

    def html_for(limit: int | None) -> str:
        listed, refs = placement(day, site, limit)
        key = tuple((len(papers), shown) for _, papers, shown in listed)
        if key not in made:
            raw = strip_illegal(html_template.render(context, sections=listed, refs=refs))
            made[key] = _INLINER.inline(raw).rstrip("\n") + "\n"
        return made[key]

    html = html_for(None)
    limit: int | None = None
    if _size(html) > BUDGET:
        counts = [len(p) for _, p, _ in sections(day, site, None)]
        limit = largest_fitting(lambda n: _size(html_for(n)), counts, BUDGET)
        html = html_for(limit)
    text_context = dict(context, page=paths.email(day.date, "txt"))
    listed, refs = placement(day, site, limit)
    text = strip_illegal(
        site.env.get_template("email/day.txt").render(text_context, sections=listed, refs=refs)
    )
    return html, text


def largest_fitting(size: Callable[[int], int], counts: Sequence[int], budget: int) -> int:
    """The largest ``limit`` (papers listed per section, at most ``max(counts)``) whose email
    ``size(limit)`` is within ``budget``, or 0; ``size`` grows with ``limit`` and
    ``size(max(counts))`` is over budget. Each ``size`` renders and inlines the whole email, so
    few are tried: the size is taken to grow with the number of papers listed,
    ``sum(min(limit, n))``, between the two closest limits tried so far; the guess and its
    neighbour are tried (about four renders where halving the range took about nine)."""
    lo, hi = 0, max(counts, default=0)
    size_lo = size(lo)
    if size_lo > budget or hi == 0:
        return 0
    size_hi = size(hi)

    def listed(limit: int) -> int:
        return sum(min(limit, n) for n in counts)

    def check(limit: int) -> bool:  # narrows [lo, hi]: size(lo) <= budget < size(hi)
        nonlocal lo, hi, size_lo, size_hi
        found = size(limit)
        if found <= budget:
            lo, size_lo = limit, found
        else:
            hi, size_hi = limit, found
        return found <= budget

    tries = 0
    while hi - lo > 1:
        tries += 1
        if tries > 3:  # the sizes are far from the model: halve the range
            check((lo + hi) // 2)
            continue
        want = listed(lo) + (budget - size_lo) * (listed(hi) - listed(lo)) / (size_hi - size_lo)
        guess = lo
        while guess + 1 < hi and listed(guess + 1) <= want:
            guess += 1
        guess = min(max(guess, lo + 1), hi - 1)
        if check(guess):
            if guess + 1 < hi:
                check(guess + 1)
        elif guess - 1 > lo:
            check(guess - 1)
    return lo


# Stands for each subscriber's own unsubscribe URL in a letter rendered once for many: letters
# and digits only, so escaping, CSS inlining and cleaning leave it as it is.
UNSUBSCRIBE_MARK = "https://unsubscribe.invalid/digestunsubscribemark0c5e7a91d2"


@dataclass(frozen=True)
class Letter:
    """A date's email for one set of topics, rendered once and personalised per subscriber
    (:func:`personalise`): the address, the subject, the unsubscribe link and the Message-ID."""

    day: RankedDay
    site: Site
    html: str
    text: str

    @property
    def empty(self) -> bool:
        """Whether no paper of the day matched any of the letter's topics."""
        return not any(self.day.sections.values())


def letter(day: RankedDay, site: Site) -> Letter:
    mark = UNSUBSCRIBE_MARK if site.email.unsubscribe_url else None
    return Letter(day, site, *render_bodies(day, site, mark))


def filled(letter: Letter, subscriber: Subscriber) -> tuple[str | None, str, str]:
    """(unsubscribe URL, HTML, text) of a letter with the subscriber's own unsubscribe link."""
    html, text = letter.html, letter.text
    unsubscribe = unsubscribe_url(letter.site, subscriber)
    if unsubscribe:
        html = html.replace(UNSUBSCRIBE_MARK, str(markupsafe.escape(unsubscribe)))
        text = text.replace(UNSUBSCRIBE_MARK, unsubscribe)
        if _size(html) > BUDGET:  # a long link tipped it over: render this one on its own
            html, text = render_bodies(letter.day, letter.site, unsubscribe)
    return unsubscribe, html, text


def personalise(
    letter: Letter, subscriber: Subscriber, sent: dt.datetime | None = None
) -> tuple[str, bytes]:
    """(Message-ID, ``.eml`` bytes) of a letter for one subscriber. ``sent``: the Date header
    (default: midnight UTC of the digest's date, so a build gives the same bytes)."""
    return addressed(letter, subscriber, *filled(letter, subscriber), sent)


def addressed(
    letter: Letter,
    subscriber: Subscriber,
    unsubscribe: str | None,
    html: str,
    text: str,
    sent: dt.datetime | None = None,
) -> tuple[str, bytes]:
    """(Message-ID, ``.eml`` bytes) of bodies already :func:`filled` for the subscriber."""
    day, site = letter.day, letter.site
    to = format_address(one_line(subscriber.name), smtp_address(subscriber.email))
    ident = message_id(site, day.date, subscriber.email)
    title = subject(day, site, subscriber)
    return ident, message(day, site, title, html, text, to, ident, unsubscribe, sent)


def message_id(site: Site, date: dt.date, address: str) -> str:
    """The same for every send of one date's digest to one address, so a mail client can tell
    a copy sent again."""
    key = f"{site.site_url}\0{address.casefold()}\0{date}"
    return (
        f"<digest.{date.isoformat()}.{hashlib.sha256(key.encode()).hexdigest()[:16]}@{site.host}>"
    )


def message(
    day: RankedDay,
    site: Site,
    title: str,
    html: str,
    text: str,
    to: str,
    ident: str,
    unsubscribe: str | None,
    sent: dt.datetime | None = None,
) -> bytes:
    """The ``.eml``: headers, then multipart/alternative with the text part first
    (quoted-printable) and the HTML (base64). Without ``sent`` the same bytes for the same
    input: the Date is the digest's date, the boundary a digest of the content.

    The body is assembled here, since the email package's generator took a third of the time
    of rendering a whole date; headers are folded by :func:`_header`."""
    when = sent or dt.datetime.combine(day.date, dt.time(), dt.UTC)
    head = [
        ("Subject", title),
        ("From", sender(site)),
        ("To", to),
        ("Date", email.utils.format_datetime(when)),
        ("Message-ID", ident),
        ("List-Id", f"{one_line(site.title)} <digest.{site.host}>"),
    ]
    if unsubscribe:
        head.append(("List-Unsubscribe", f"<{unsubscribe}>"))
        if unsubscribe.startswith("https://"):
            head.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    text_bytes, html_bytes = text.encode(), html.encode()
    boundary = "==digest-" + hashlib.sha256(text_bytes + html_bytes).hexdigest()[:24]
    qp = binascii.b2a_qp(text_bytes.replace(b"\r\n", b"\n"), istext=True)
    parts = [
        *(_header(name, value) for name, value in head),
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'.encode(),
        b"\r\n",
        f"--{boundary}\r\n".encode(),
        b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
        qp.replace(b"\n", b"\r\n"),
        b"\r\n",  # the line break before a boundary belongs to the boundary
        f"--{boundary}\r\n".encode(),
        b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
        _base64_lines(html_bytes),
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts)


def _base64_lines(data: bytes) -> bytes:
    """``base64.encodebytes`` with CRLF line ends: the whole encoded at once, then cut into
    lines of 76 (encodebytes makes a Python call per 57-byte line). Quoted-printable would be
    a fifth smaller for this HTML but takes three times as long to make."""
    encoded = binascii.b2a_base64(data, newline=False)
    lines = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
    return b"".join(line + b"\r\n" for line in lines)


def _header(name: str, value: str) -> bytes:
    """One header, as the email package folds it for SMTP; a short plain-ASCII value (the
    per-subscriber Date, Message-ID, To, List-Unsubscribe) needs no folding and is written as
    it is, a long or non-ASCII one (a subject, a name) is folded once and remembered."""
    if len(name) + len(value) <= 76 and value.isascii() and value.isprintable():
        return f"{name}: {value}\r\n".encode()
    # an address with a non-ASCII local part cannot be an encoded word: it goes as UTF-8
    # (RFC 6532), in a message only a server offering SMTPUTF8 is given
    utf8 = name in ("To", "From") and not value.rpartition("<")[2].isascii()
    return _folded(name, value, utf8)


@lru_cache(maxsize=1024)
def _folded(name: str, value: str, utf8: bool = False) -> bytes:
    policy = email.policy.SMTPUTF8 if utf8 else email.policy.SMTP
    return policy.fold_binary(name, policy.header_factory(name, value))


def day_email(day: RankedDay, site: Site) -> list[Rendered]:
    """The build's email of a date, addressed to ``email.to`` (default: the sender)."""
    made, to = letter(day, site), recipient(site.email.to or sender(site))
    unsubscribe, html, text = filled(made, to)
    _, eml = addressed(made, to, unsubscribe, html, text)
    return [
        Rendered(paths.email(day.date, "html"), "email-html", html.encode(), day.date),
        Rendered(paths.email(day.date, "txt"), "email-text", text.encode(), day.date),
        Rendered(paths.email(day.date, "eml"), "email-eml", eml, day.date),
    ]


register(Output("email", day=day_email, templates=("email/day.html", "email/day.txt")))
