"""The only code that talks SMTP: one connection reused for every message, STARTTLS or
implicit TLS, a timeout on connecting and on each command, temporary failures retried with
backoff on a fresh connection, and each delivery recorded in the delivery log as it happens.

What counts as what:
- 2xx: delivered.
- 4xx, a dropped connection, a timeout: temporary; retried (``smtp.retries`` more attempts,
  ``smtp.retry_delay`` doubled each time, with jitter). Still failing: recorded as failed and
  the next subscriber is tried; when the server cannot even be reached, the run stops (the
  rest are left for a rerun).
- 5xx for a recipient: permanent; recorded as failed, the others go on.
- Authentication refused, TLS failing, the sender refused: nothing can be sent; the run stops
  with a message that says which setting to check.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable

from .. import stopping
from ..config import SmtpSettings
from ..deliveries import FAILED, SENDING, SENT, DeliveryLog
from ..errors import StoreError
from ..render.email import smtp_address
from .plan import Outgoing, SendError

log = logging.getLogger(__name__)

MAX_DELAY = 30.0  # seconds: the longest wait between two attempts


class Temporary(Exception):
    """A failure worth another attempt on a fresh connection. ``answered``: the server replied
    (a 4xx); otherwise the connection failed and no reply came."""

    def __init__(self, reason: str, answered: bool = False) -> None:
        super().__init__(reason)
        self.answered = answered


class Unreachable(Temporary):
    """No connection could be made (refused, timed out, no greeting)."""


class Permanent(Exception):
    """The server refused this message for good (5xx)."""


def _reply(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(text.split())[:200]


class Mailer:
    """One SMTP session, opened on first use and again after a failure."""

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings = settings
        self.sender = sender
        self.conn: smtplib.SMTP | None = None
        self.password: str | None = None
        if settings.username:
            self.password = os.environ.get(settings.password_env)
            if self.password is None:
                raise SendError(
                    f"email.smtp.username is set but the environment variable "
                    f"{settings.password_env} (email.smtp.password_env) is not"
                )

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _tls(self) -> ssl.SSLContext:
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        if not s.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def connect(self) -> smtplib.SMTP:
        if self.conn is not None:
            return self.conn
        s = self.settings
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=self._tls()
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            # The message and the dot that ends it are two writes (the delivery is recorded
            # between them): without TCP_NODELAY, Nagle's algorithm holds the dot back until
            # the server's delayed ACK, 40 ms a message.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    conn.close()
                    raise SendError(
                        f"{self.where} does not offer STARTTLS; set email.smtp.security to ssl "
                        "(usually port 465) or, on a trusted network only, none"
                    )
                conn.starttls(context=self._tls())
                conn.ehlo()
            if s.username:
                assert self.password is not None
                conn.login(s.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"{self.where} refused the login of {s.username!r}: {exc.smtp_code} "
                f"{_reply(exc.smtp_error)}; check email.smtp.username and ${s.password_env}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(f"{self.where}: {exc}; check email.smtp.security") from None
        except ssl.SSLError as exc:
            raise SendError(
                f"TLS with {self.where} failed: {exc.reason or exc}; security {s.security} "
                "(starttls is usually port 587, ssl port 465; a private CA goes in "
                "email.smtp.ca_file)"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Unreachable(f"cannot connect to {self.where}: {_describe(exc)}") from None
        self.conn = conn
        return conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None

    def drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _envelope(self, conn: smtplib.SMTP, address: str) -> tuple[str, str, list[str]]:
        """(sender, recipient, MAIL FROM options) as this server takes them: domains in their
        ASCII form; a non-ASCII local part only with SMTPUTF8 (RFC 6531), which the server must
        offer, or this one address fails for good."""
        sender = smtp_address(self.sender)
        try:
            rcpt = smtp_address(address)
        except ValueError as exc:
            raise Permanent(str(exc)) from None
        if (sender + rcpt).isascii():
            return sender, rcpt, []
        if conn.has_extn("smtputf8"):
            return sender, rcpt, ["SMTPUTF8"]
        if not sender.isascii():
            raise SendError(
                f"{self.where} does not offer SMTPUTF8, which the sender {self.sender} needs "
                "(its part before the @ is not ASCII); check email.from"
            )
        raise Permanent(
            f"{self.where} does not offer SMTPUTF8, which this address needs (its part "
            "before the @ is not ASCII)"
        )

    def deliver(
        self, item: Outgoing, before_end: Callable[[], None], after_end: Callable[[], None]
    ) -> None:
        """One attempt; raises :class:`Temporary` or :class:`Permanent`. ``before_end`` runs
        when all of the message but its last piece has been sent: that piece and the ``.``
        that ends the message then go in one write, with nothing in between that takes time
        (nor a stop by a signal); ``after_end`` runs right after, while the server takes the
        message."""
        conn = self.connect()
        try:
            sender, rcpt, options = self._envelope(conn, item.address)
            code, reply = conn.mail(sender, options)
            if code >= 500:
                raise SendError(
                    f"{self.where} refused the sender {self.sender}: {code} {_reply(reply)}; "
                    "check email.from"
                )
            _check("MAIL FROM", code, reply, 250)
            code, reply = conn.rcpt(rcpt)
            _check("RCPT TO", code, reply, 250, 251)
            code, reply = conn.docmd("data")
            _check("DATA", code, reply, 354)
            body = _LEADING_DOT.sub(b"..", item.data())
            body = body if body.endswith(b"\r\n") else body + b"\r\n"
            last = body.rfind(b"\r\n", 0, len(body) - 2) + 2  # the last line
            conn.send(body[:last])
            with stopping.held():
                before_end()
                conn.send(body[last:] + b".\r\n")
            after_end()
            code, reply = conn.getreply()
            _check("end of DATA", code, reply, 250)
        except Permanent:
            self._reset()
            raise
        except UnicodeError as exc:  # a command this address cannot be written in
            self._reset()
            raise Permanent(f"cannot write this address in an SMTP command: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Temporary(_describe(exc)) from None
        except BaseException:  # the log failed, a stop: the message must not be ended later
            self.drop()  # (a QUIT now would be read as a line of it)
            raise

    def _reset(self) -> None:
        """End a refused transaction so the connection serves the next message."""
        try:
            if self.conn is not None:
                self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self.drop()


def _check(step: str, code: int, reply: bytes, *ok: int) -> None:
    if code not in ok:
        reason = f"{step}: {code} {_reply(reply)}"
        raise Permanent(reason) if code >= 500 else Temporary(reason, answered=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_reply(exc.smtp_error)}"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"connection closed by the server ({exc})" if str(exc) else "connection closed"
    return str(exc) or type(exc).__name__


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _backoff(settings: SmtpSettings, attempt: int) -> float:
    """Exponential with full jitter: somewhere in [delay/2, delay]."""
    delay = min(settings.retry_delay * 2 ** (attempt - 1), MAX_DELAY)
    return delay * (0.5 + random.random() / 2)


class SmtpDelivery:
    """The :class:`~digest.send.plan.Delivery` by SMTP: each message delivered once over the
    mailer's connection, retried on temporary failures, every outcome recorded in
    ``deliveries`` as it happens (``None``: a preview, recorded nowhere)."""

    def __init__(self, mailer: Mailer, date: dt.date, deliveries: DeliveryLog | None) -> None:
        self.mailer = mailer
        self.date = date
        self.deliveries = deliveries

    def close(self) -> None:
        self.mailer.close()

    def deliver(self, item: Outgoing) -> tuple[str, str]:
        """Deliver one item, retrying temporary failures on a fresh connection: (status,
        reason). Raises :class:`SendError` when nothing more can be sent.

        A failure after the end of the message was sent (no reply, a dropped connection)
        leaves the record at ``sending``: the server may have taken the message, so it is not
        sent again."""
        mailer, settings = self.mailer, self.mailer.settings
        ended = False

        def end() -> None:  # the record survives a kill from here on, and the end goes next
            nonlocal ended
            self._mark(item, SENDING, durable=False)
            ended = True

        def ended_now() -> None:  # ... and a power cut once this returns
            if self.deliveries is not None:
                self._store(self.deliveries.sync)

        reason, unreachable = "", False
        for attempt in range(settings.retries + 1):
            if attempt:
                wait = _backoff(settings, attempt)
                log.info("%s: %s; attempt %d in %.1fs", item.address, reason, attempt + 1, wait)
                time.sleep(wait)
            try:
                ended = False
                mailer.deliver(item, end, ended_now)
            except Temporary as exc:
                mailer.drop()
                reason, unreachable = str(exc), isinstance(exc, Unreachable)
                if ended and not exc.answered:  # did the server take it? nobody can tell
                    known = f"the whole message was sent, then: {reason}"
                    self._mark(item, SENDING, known)
                    return SENDING, known
                if ended:  # refused, so certainly not delivered
                    self._mark(item, FAILED, reason)
                continue
            except Permanent as exc:
                reason = f"{exc} (permanent)"
                break
            self._mark(item, SENT)
            return SENT, ""
        else:
            tries = settings.retries + 1
            if unreachable:
                raise SendError(f"{reason} ({tries} attempts)")
            reason = f"{reason} (temporary; {tries} attempt{'s' if tries > 1 else ''})"
        self._mark(item, FAILED, reason)
        return FAILED, reason

    def _mark(self, item: Outgoing, status: str, reason: str = "", durable: bool = True) -> None:
        if self.deliveries is not None:
            log = self.deliveries
            self._store(
                lambda: log.mark(
                    self.date, item.key, status, item.message_id, reason, durable=durable
                )
            )

    @staticmethod
    def _store(step: Callable[[], None]) -> None:
        """A step of the delivery log; when it fails (a full disk, a read-only file), nothing
        more can be sent exactly once: the run stops, naming the file."""
        try:
            step()
        except StoreError as exc:
            raise SendError(str(exc)) from None
