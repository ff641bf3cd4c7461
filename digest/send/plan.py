"""Who gets what: one letter per set of topics, rendered on first use; the subscribers to
send to this run by the exactly-once rules of the delivery log; one delivery interface that
takes each message (by SMTP, or into the outbox of a dry run) and the loop that drives it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .. import stopping
from ..deliveries import SENDING, SENT, DeliveryLog
from ..errors import DigestError
from ..model import Highlights, Paper, Subscriber
from ..rank import Ranker, rank_day
from ..render import Site
from ..render import email as email_render
from ..render.email import Letter
from ..render.env import template_problems


class SendError(DigestError):
    """Nothing more can be sent this run (authentication, TLS, an unreachable server)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: to whom (``key``: the address as recorded), its Message-ID and
    bytes (made only when it is sent)."""

    key: str
    address: str
    message_id: str
    data: Callable[[], bytes]


@dataclass
class SendReport:
    date: dt.date
    sent: list[str] = field(default_factory=list)
    already: int = 0  # sent by an earlier run
    empty: int = 0  # nothing in their topics that day
    # may have been taken, so not sent (again): address -> what is known ("": a run stopped
    # right at the end of the message)
    uncertain: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # address -> reason
    rendered: int = 0  # letters rendered (one per distinct topic set)
    dry_run: bool = False
    stopped: str | None = None  # why the run stopped early
    passed_over: dict[str, str] = field(default_factory=dict)  # skipped address -> why
    folder: Path | None = None  # a dry run's: where the .eml files are
    chosen: str | None = None  # why this date, when none was given

    @property
    def skipped(self) -> int:
        return self.already + self.empty + len(self.uncertain)


class Delivery(Protocol):
    """Takes each message once: ``deliver`` returns (``sent``, ``sending`` when it cannot be
    known whether the server took it, or ``failed``; the reason), or raises
    :class:`SendError` when nothing more can be sent."""

    def deliver(self, item: Outgoing) -> tuple[str, str]: ...
    def close(self) -> None: ...


class Letters:
    """A date's letter per set of topics, ranked and rendered on first use, then reused."""

    def __init__(
        self,
        date: dt.date,
        papers: Sequence[Paper],
        ranker: Ranker,
        rules: Highlights,
        site: Callable[[Ranker], Site],
        report: SendReport,
    ) -> None:
        """``site``: what the letters know of the digest, for a ranker's topics."""
        self.date, self.papers, self.everything, self.rules = date, papers, ranker, rules
        self.site, self.report = site, report
        self.made: dict[tuple[str, ...] | None, Letter] = {}

    def __call__(self, topics: tuple[str, ...] | None) -> Letter:
        """The letter of these topics (``None``: every topic)."""
        if topics not in self.made:
            ranker = self.everything if topics is None else self.everything.only(topics)
            day = rank_day(self.date, self.papers, ranker, self.rules)
            with template_problems():
                self.made[topics] = email_render.letter(day, self.site(ranker))
            self.report.rendered += 1
        return self.made[topics]


def outgoing(
    recipients: Iterable[Subscriber],
    letter_for: Callable[[tuple[str, ...] | None], Letter],
    report: SendReport,
    deliveries: DeliveryLog | None,
    *,
    sent_at: dt.datetime,
    send_empty: bool,
    resend_uncertain: bool,
) -> Iterator[Outgoing]:
    """The messages of this run, by the exactly-once rules: nobody the log records as sent;
    nobody it records as ``sending`` (the server may have taken the message) unless
    ``resend_uncertain``; nobody with nothing in their topics unless ``send_empty``
    (``deliveries`` ``None``: a preview to one address, which goes whatever it holds)."""
    date = report.date
    for subscriber in recipients:
        if deliveries is not None:
            status, known = deliveries.record(date, subscriber.key) or (None, "")
            if status == SENT:
                report.already += 1
                report.passed_over[subscriber.email] = "already sent"
                continue
            if status == SENDING and not resend_uncertain:
                report.uncertain[subscriber.email] = known
                report.passed_over[subscriber.email] = known or (
                    "an earlier run stopped while the server was taking the message"
                )
                continue
        made = letter_for(subscriber.topics)
        if made.empty and not send_empty:
            report.empty += 1
            topics = ", ".join(subscriber.topics or ()) or "any topic"
            report.passed_over[subscriber.email] = f"nothing in {topics} that day"
            continue
        ident = email_render.message_id(made.site, date, subscriber.email)
        yield Outgoing(
            subscriber.key,
            subscriber.email,
            ident,
            lambda m=made, s=subscriber: email_render.personalise(m, s, sent_at)[1],
        )


def deliver_all(
    items: Iterable[Outgoing],
    delivery: Delivery,
    report: SendReport,
    progress: Callable[[int], None] | None = None,
) -> SendReport:
    """Each item to ``delivery`` once. Stops early only when nothing more can be sent: the
    items not tried are reported as failed, with the reason, and left for a rerun."""
    pending = iter(items)
    try:
        for item in pending:
            stopping.check()
            if progress:
                progress(1)
            try:
                status, reason = delivery.deliver(item)
            except SendError as exc:
                report.stopped = str(exc)
                report.failed[item.address] = str(exc)
                break
            if status == SENT:
                report.sent.append(item.address)
            elif status == SENDING:
                report.uncertain[item.address] = reason
            else:
                report.failed[item.address] = reason
    finally:
        delivery.close()
    for item in pending:  # after a stop: not tried
        report.failed[item.address] = f"not sent: {report.stopped}"
    return report
