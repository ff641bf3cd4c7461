"""The HTML email of each date, its plain-text twin and a ready ``.eml`` (multipart/alternative,
text first). CSS is inlined with css-inline (mail clients drop <style>), the dark-mode rules kept.

Budget: Gmail clips a message's HTML past about 102 KB, so the HTML stays under ``BUDGET``:
when a day is too big, the topic sections list fewer papers in full and link to the site for
the rest (the highlights always stay)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.policy
import email.utils
import hashlib
from collections.abc import Sequence
from email.message import EmailMessage
from functools import lru_cache
from typing import Any

import css_inline
import jinja2.sandbox

from ..model import RankedDay, ScoredPaper, Topic
from . import Output, Rendered, Site, paths, register
from .env import clean, one_line

BUDGET = 100_000  # bytes of HTML
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_SUBJECT_ENV = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)

Section = tuple[Topic, Sequence[ScoredPaper], int]


def subject(day: RankedDay, site: Site) -> str:
    """The subject line from the config's ``email.subject`` template (sandboxed, one line)."""
    template = _compiled(site.email.subject)
    text = template.render(
        title=site.title, date=day.date.isoformat(), highlights=day.highlights, papers=day.papers
    )
    return one_line(text)[:250]


def sender(site: Site) -> str:
    return site.email.sender or email.utils.formataddr(
        (one_line(site.title), f"digest@{site.host}")
    )


def sections(day: RankedDay, site: Site, limit: int | None) -> list[Section]:
    """Each topic's papers that are not highlights, with how many to list (``limit``: at most)."""
    out = []
    for topic in site.topics:
        rest = [s for s in day.sections.get(topic.name, ()) if not s.highlight]
        if rest:
            out.append((topic, rest, len(rest) if limit is None else min(limit, len(rest))))
    return out


def unsubscribe_url(site: Site, to: str) -> str | None:
    url = site.email.unsubscribe_url
    if not url:
        return None
    subscriber = {"id": "", "email": email.utils.parseaddr(to)[1], "name": ""}
    return one_line(_compiled(url).render(subscriber=subscriber))


@lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    return _SUBJECT_ENV.from_string(source)


def _size(html: str) -> int:
    """Bytes of the HTML as mailed (lines end in CRLF)."""
    return len(html.encode()) + html.count("\n")


def render_email(day: RankedDay, site: Site, to: str | None = None) -> tuple[str, str, str]:
    """(subject, HTML, text) of a date's email, the HTML within :data:`BUDGET`."""
    to = to or site.email.to or sender(site)
    title = subject(day, site)
    context: dict[str, Any] = {
        "site": site,
        "day": day,
        "page": paths.email(day.date, "html"),
        "subject": title,
        "unsubscribe": unsubscribe_url(site, to),
        "preheader": "; ".join(one_line(h.paper.title)[:80] for h in day.highlights[:3]),
    }
    html_template = site.env.get_template("email/day.html")

    def html_for(limit: int | None) -> str:
        raw = clean(html_template.render(context, sections=sections(day, site, limit)))
        return _INLINER.inline(raw).rstrip("\n") + "\n"

    html = html_for(None)
    if _size(html) > BUDGET:
        low, high = 0, max((len(p) for _, p, _ in sections(day, site, None)), default=0)
        while low < high:  # the largest limit that fits
            mid = (low + high + 1) // 2
            if _size(html_for(mid)) <= BUDGET:
                low = mid
            else:
                high = mid - 1
        limit: int | None = low
        html = html_for(low)
    else:
        limit = None
    text_context = dict(context, page=paths.email(day.date, "txt"))
    text = clean(
        site.env.get_template("email/day.txt").render(
            text_context, sections=sections(day, site, limit)
        )
    )
    return title, html, text


def message(day: RankedDay, site: Site, title: str, html: str, text: str, to: str) -> bytes:
    """The ``.eml``: headers from the config, then multipart/alternative with the text part
    first (quoted-printable) and the HTML (base64). The same bytes for the same input: the Date
    is the digest's date, the Message-ID and the boundary are digests of the content.

    Headers are made and folded by the email package; the body is assembled here, since the
    package's generator took a third of the time of rendering a whole date."""
    head = EmailMessage(policy=email.policy.SMTP)
    head["Subject"] = title
    head["From"] = sender(site)
    head["To"] = to
    head["Date"] = email.utils.format_datetime(dt.datetime.combine(day.date, dt.time(), dt.UTC))
    ident = hashlib.sha256(f"{site.site_url}\0{to}\0{day.date}".encode()).hexdigest()[:16]
    head["Message-ID"] = f"<digest.{day.date.isoformat()}.{ident}@{site.host}>"
    head["List-Id"] = f"{one_line(site.title)} <digest.{site.host}>"
    unsubscribe = unsubscribe_url(site, to)
    if unsubscribe:
        head["List-Unsubscribe"] = f"<{unsubscribe}>"
        if unsubscribe.startswith("https://"):
            head["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text_bytes, html_bytes = text.encode(), html.encode()
    boundary = "==digest-" + hashlib.sha256(text_bytes + html_bytes).hexdigest()[:24]
    head["MIME-Version"] = "1.0"
    head["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    qp = binascii.b2a_qp(text_bytes.replace(b"\r\n", b"\n"), istext=True)
    parts = [
        b"".join(head.policy.fold_binary(name, value) for name, value in head.items()),
        b"\r\n",
        f"--{boundary}\r\n".encode(),
        b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
        qp.replace(b"\n", b"\r\n"),
        b"\r\n",  # the line break before a boundary belongs to the boundary
        f"--{boundary}\r\n".encode(),
        b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
        base64.encodebytes(html_bytes).replace(b"\n", b"\r\n"),
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts)


def day_email(day: RankedDay, site: Site) -> list[Rendered]:
    to = site.email.to or sender(site)
    title, html, text = render_email(day, site, to)
    eml = message(day, site, title, html, text, to)
    return [
        Rendered(paths.email(day.date, "html"), "email-html", html.encode(), day.date),
        Rendered(paths.email(day.date, "txt"), "email-text", text.encode(), day.date),
        Rendered(paths.email(day.date, "eml"), "email-eml", eml, day.date),
    ]


register(Output("email", day=day_email))
