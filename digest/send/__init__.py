"""``digest send``: a date's email to every subscriber, each with the topics they follow,
exactly once. :mod:`.plan` decides who gets what and drives a delivery; :mod:`.smtp` is the
only code that talks SMTP; :mod:`.outbox` writes the messages of a dry run."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import Config
from ..deliveries import DeliveryLog
from ..errors import DigestError
from ..model import Paper, Topic
from ..rank import Ranker
from ..rank.history import Learned
from ..render import Site
from ..render import email as email_render
from .outbox import Outbox, outbox_name
from .plan import Delivery, Letters, SendError, SendReport, deliver_all, outgoing

__all__ = ["SendError", "SendReport", "check", "outbox_name", "send"]


def check(config: Config, *, dry_run: bool, to: str | None) -> None:
    """Whether the config can send at all: someone to send to, and an SMTP server."""
    if to is None and not config.subscribers:
        raise DigestError("no subscribers: add subscribers: or subscribers_file: to the config")
    if not dry_run and config.smtp is None:
        raise DigestError("email.smtp is not configured: give its host (and port, security)")


def send(
    config: Config,
    date: dt.date,
    papers: Sequence[Paper],
    site: Callable[[Sequence[Topic]], Site],
    *,
    dry_run: bool = False,
    to: str | None = None,
    out: Path | None = None,
    resend_uncertain: bool = False,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    learned: Learned | None = None,
) -> SendReport:
    """The date's digest (its ``papers``) to every subscriber, each with the topics they
    follow, exactly once. ``site(topics)``: what the letters know of the digest. ``to``: one
    copy to that address, recorded nowhere (a preview); ``dry_run``: write the ``.eml`` files
    into ``out`` instead of sending; ``learned``: the topics' learned profiles and papers to
    avoid."""
    check(config, dry_run=dry_run, to=to)
    report = SendReport(date, dry_run=dry_run)
    learned = learned or Learned()
    ranker = Ranker.compile(
        config.topics, papers=len(papers), profiles=learned.profiles, settings=config.ranking,
        avoid=learned.avoid,
    )  # fmt: skip
    letters = Letters(date, papers, ranker, config.highlights, lambda r: site(r.topics), report)
    recipients = [email_render.recipient(to)] if to else config.subscribers
    with DeliveryLog(config.store) as deliveries:
        record = None if to else deliveries
        items = outgoing(
            recipients, letters, report, record,
            sent_at=now or dt.datetime.now(dt.UTC).replace(microsecond=0),
            send_empty=config.send_empty or to is not None, resend_uncertain=resend_uncertain,
        )  # fmt: skip
        delivery: Delivery
        if dry_run:
            report.folder = out or config.store.parent / "outbox" / date.isoformat()
            return deliver_all(items, Outbox(report.folder), report, progress)
        from .smtp import Mailer, SmtpDelivery  # smtplib and ssl, for a real send alone

        assert config.smtp is not None
        sender = email.utils.parseaddr(email_render.sender(site(config.topics)))[1]
        delivery = SmtpDelivery(Mailer(config.smtp, sender), date, record)
        if record is None:
            return deliver_all(items, delivery, report, progress)
        with deliveries.lock():
            return deliver_all(items, delivery, report, progress)
