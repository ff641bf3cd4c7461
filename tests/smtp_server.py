"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping every message it accepts,
and misbehaving on request (refused recipients, temporary failures, dropped connections,
a message it takes and then hangs on)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """The handler: what it accepted, and how it should misbehave."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)  # (recipient, bytes)
    refuse: dict[str, str] = field(default_factory=dict)  # RCPT address -> reply
    fail_data: dict[int, str] = field(default_factory=dict)  # n-th DATA (1-based) -> reply, once
    tempfail: set[str] = field(default_factory=set)  # addresses whose DATA always gets 451
    drop_at_mail: set[int] = field(default_factory=set)  # n-th MAIL: close the connection
    drop_after_accept: set[int] = field(default_factory=set)  # n-th DATA: keep it, no reply
    hold: tuple[str, int] | None = None  # ("MAIL" | "DATA", n): never answer the n-th one
    on_data: dict[int, Any] = field(default_factory=dict)  # n-th DATA: call this, once
    held: threading.Event = field(default_factory=threading.Event)
    mails = 0
    datas = 0
    sessions: set[int] = field(default_factory=set)  # the connections that sent a MAIL FROM

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails += 1
        self.sessions.add(id(session))
        if self.hold == ("MAIL", self.mails):
            await self._hang()
        if self.mails in self.drop_at_mail:
            server.transport.close()
            return "421 4.3.2 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.datas += 1
        n = self.datas
        if n in self.on_data:
            self.on_data.pop(n)()
        if n in self.fail_data:
            return self.fail_data.pop(n)
        if any(r in self.tempfail for r in envelope.rcpt_tos):
            return "451 4.3.0 try again later"
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, envelope.original_content or envelope.content))
        if n in self.drop_after_accept:
            server.transport.close()
            return "250 OK"
        if self.hold == ("DATA", n):  # kept, but the 250 never comes
            await self._hang()
        return "250 OK"

    async def _hang(self) -> None:
        self.held.set()
        await asyncio.sleep(3600)

    def counts(self) -> Counter[str]:
        return Counter(rcpt for rcpt, _ in self.messages)

    def parsed(self) -> list[tuple[str, EmailMessage]]:
        return [
            (rcpt, email.message_from_bytes(data, policy=email.policy.default))  # type: ignore[misc]
            for rcpt, data in self.messages
        ]


class Server:
    """aiosmtpd running in a thread on 127.0.0.1 (a free port) until :meth:`stop`."""

    def __init__(self, mailbox: Mailbox | None = None, **smtp: Any) -> None:
        self.mailbox = mailbox or Mailbox()
        self.port = free_port()
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, ready_timeout=10, **smtp
        )

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.controller.stop()


def password_check(login: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting one login and password."""

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == login.encode()
            and data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return check
