"""digest send against a real SMTP server (aiosmtpd on 127.0.0.1): delivery, personalisation,
failures of every kind and reruns; in every case each subscriber ends with exactly one message."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import main
from digest.config import load_config
from digest.deliveries import SENDING, SENT, DeliveryLog
from digest.pipeline import run_collect, send
from digest.send import SendError
from tests.helpers import parse_html
from tests.smtp_server import Mailbox, Server, password_check

DATE = dt.date(2026, 11, 20)
TODAY = dt.date(2026, 11, 23)
PEOPLE = [
    {"email": "ada@example.org", "name": "Ada", "topics": ["scaling", "rl"]},
    {"email": "bob@example.org", "name": "Bob"},  # every topic
    {"email": "cy@example.org", "topics": ["rl"]},
    {"email": "dee@example.org", "topics": ["quantum"]},  # nothing that day
    {"email": "eve@example.org", "name": "Eve", "topics": ["rl"]},
]
SERVED = ["ada@example.org", "bob@example.org", "cy@example.org", "eve@example.org"]


def configure(project: Path, port: int, people: list[dict] | None = None, **smtp: Any) -> Path:
    """The bundled config plus email settings for a server on 127.0.0.1:port; the store
    collected."""
    path = project / "digest.yaml"
    data = yaml.safe_load(path.read_text())
    # a topic no paper of the sample is about (dee's)
    data["topics"]["quantum"] = {"keywords": ["qubit", "quantum error correction"]}
    data["email"] = {
        "from": "ML Digest <digest@example.org>",
        "unsubscribe_url": "https://example.org/unsubscribe?u={{ subscriber.id }}",
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5,
                 "retries": 2, "retry_delay": 0.01} | smtp,
    }  # fmt: skip
    data["subscribers"] = PEOPLE if people is None else people
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    if not (project / ".digest" / "store.sqlite").exists():
        run_collect(load_config(path), TODAY)
    return path


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["send", "--config", str(config), *args])


def exactly_once(box: Mailbox, people: list[str] = SERVED) -> None:
    """Each of ``people`` got one message, and every message is whole: multipart/alternative,
    text then HTML, every header."""
    assert box.counts() == {a: 1 for a in people}
    for rcpt, msg in box.parsed():
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        for header in ("Date", "Message-ID", "Subject", "From", "To", "List-Id",
                       "List-Unsubscribe", "List-Unsubscribe-Post"):  # fmt: skip
            assert msg[header], (rcpt, header)
        assert msg["To"].addresses[0].addr_spec == rcpt


def titles(message: Any) -> set[str]:
    html = message.get_body(("html",)).get_content()
    return {" ".join(a.text.split()) for a in parse_html(html).find("a") if a.text.strip()}


# -- delivery and personalisation -------------------------------------------------------------


def test_each_subscriber_gets_one_message_of_their_topics_with_every_header(project: Path) -> None:
    with Server() as server:
        config = load_config(configure(project, server.port))
        report = send(config)
        box = server.mailbox
    assert report.date == DATE
    assert sorted(report.sent) == SERVED
    assert report.empty == 1  # dee follows a topic with nothing that day
    assert report.rendered == 4  # one letter per distinct topic set, not per person
    assert len(box.sessions) == 1  # one connection for every message
    exactly_once(box)
    ids = set()
    by_rcpt = dict(box.parsed())
    for rcpt, msg in by_rcpt.items():
        assert msg.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in msg.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
        for header in ("Date", "Message-ID", "Subject", "From", "To", "List-Id"):
            assert msg[header], header
        assert msg["To"].addresses[0].addr_spec == rcpt
        person = config.subscribers[[s.email for s in config.subscribers].index(rcpt)]
        assert msg["List-Unsubscribe"] == f"<https://example.org/unsubscribe?u={person.id}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = [a for a in parse_html(msg.get_body(("html",)).get_content()).find("a")
                       if a.text == "Unsubscribe"]  # fmt: skip
        assert [a.attrs["href"] for a in unsubscribe] == [msg["List-Unsubscribe"][1:-1]]
        assert msg["List-Unsubscribe"][1:-1] in msg.get_body(("plain",)).get_content()
        ids.add(msg["Message-ID"])
    assert len(ids) == len(by_rcpt)
    ttc = "Test-Time Compute Scaling for Small Language Models via Verifier-Guided Search"
    rl = [t for t in titles(by_rcpt["cy@example.org"]) if t.startswith("Reward Models")]
    assert rl, "cy follows rl and gets its highlight"
    assert ttc not in titles(by_rcpt["cy@example.org"])  # not cy's topic
    assert ttc in titles(by_rcpt["bob@example.org"])  # every topic
    assert by_rcpt["eve@example.org"].get_body(("html",)).get_content().count("Reward Models") >= 1


def test_a_rerun_sends_nothing_and_send_empty_sends_to_those_with_nothing(project: Path) -> None:
    with Server() as server:
        path = configure(project, server.port)
        send(load_config(path))
        again = send(load_config(path))
        assert again.sent == [] and again.already == 4 and again.empty == 1
        data = yaml.safe_load(path.read_text())
        data["email"]["send_empty"] = True
        path.write_text(yaml.safe_dump(data))
        third = send(load_config(path))
        assert third.sent == ["dee@example.org"]
        assert server.mailbox.counts() == {a: 1 for a in [*SERVED, "dee@example.org"]}


def test_the_cli_prints_a_summary_and_dry_run_writes_the_messages_it_would_send(
    project: Path, tmp_path: Path
) -> None:
    with Server() as server:
        path = configure(project, server.port)
        out = tmp_path / "outbox"
        result = run(path, "--dry-run", "--out", str(out))
        assert result.exit_code == 0, result.output
        assert (
            f"4 written to {out}, 1 skipped (1 with nothing in their topics), 0 failed"
            in result.output
        )
        # whom it passed over, and why
        assert "  skipped dee@example.org: nothing in quantum that day\n" in result.output
        assert "site_url" not in result.output  # a dry run sends nobody a dead link
        assert "unsubscribe_url" not in result.output
        written = sorted(p.name for p in out.iterdir())
        assert written == [f"{a}.eml" for a in SERVED]
        assert server.mailbox.messages == []  # nothing sent, nothing recorded
        result = run(path)
        assert result.exit_code == 0, result.output
        assert "4 sent" in result.output and "4 letter(s) rendered" in result.output
        # the sample's site_url is an example address: the letters' site links lead nowhere
        assert "site_url is https://example.org/digest/, an example address" in result.output
        exactly_once(server.mailbox)


def test_a_real_send_without_an_unsubscribe_link_is_told_what_providers_need(
    project: Path,
) -> None:
    with Server() as server:
        path = configure(project, server.port)
        path.write_text(path.read_text().replace("unsubscribe_url:", "no_unsubscribe_url:"))
        warned = "email.unsubscribe_url is not set"
        assert warned not in run(path, "--dry-run", "--out", str(project / "o")).output
        result = run(path)
        assert result.exit_code == 0 and warned in result.output
        assert server.mailbox.counts() == {a: 1 for a in SERVED}
        assert all("List-Unsubscribe" not in msg for _, msg in server.mailbox.parsed())


@pytest.mark.parametrize(
    ("url", "example"),
    [("https://example.org/digest/", True), ("http://EXAMPLE.com:8080/", True),
     ("https://lab.example/", True), ("https://docs.example.net/x", True),
     ("https://lab.university.edu/digest/", False), ("https://notexample.org/", False),
     ("https://example.org.evil.com/", False)],
)  # fmt: skip
def test_an_example_site_url_is_told_apart(url: str, example: bool) -> None:
    from digest.config import is_example_url

    assert is_example_url(url) is example


def test_to_sends_one_unrecorded_copy(project: Path) -> None:
    with Server() as server:
        path = configure(project, server.port)
        result = run(path, "--to", "Me <me@example.org>")
        assert result.exit_code == 0, result.output
        assert server.mailbox.counts() == {"me@example.org": 1}
        send(load_config(path))  # the preview served nobody
        assert server.mailbox.counts() == {"me@example.org": 1} | {a: 1 for a in SERVED}
        assert run(path, "--to", "not an address").exit_code == 2


# -- failures ------------------------------------------------------------------------------------


def test_refused_recipients_are_recorded_and_the_rest_go_on(project: Path) -> None:
    box = Mailbox(refuse={"bob@example.org": "550 5.1.1 no such user"})
    with Server(box) as server:
        path = configure(project, server.port)
        result = run(path)
        assert result.exit_code == 2, result.output
        assert (
            "failed: bob@example.org: RCPT TO: 550 5.1.1 no such user (permanent)" in result.output
        )
        assert "3 sent" in result.output and "1 failed" in result.output
        assert box.counts() == {a: 1 for a in SERVED if a != "bob@example.org"}
        with DeliveryLog(load_config(path).store) as log:
            assert log.counts(DATE) == {"sent": 3, "failed": 1}
        box.refuse.clear()
        assert run(path).exit_code == 0  # the rerun retries the failure, and only it
        exactly_once(box)


def test_a_451_on_the_third_message_is_retried_on_a_fresh_connection(project: Path) -> None:
    box = Mailbox(fail_data={3: "451 4.3.0 try again later"})
    with Server(box) as server:
        report = send(load_config(configure(project, server.port)))
    assert sorted(report.sent) == SERVED and not report.failed
    assert len(box.sessions) == 2  # the retry came on a fresh connection
    exactly_once(box)


def test_a_451_that_persists_fails_then_a_rerun_sends_only_that_one(project: Path) -> None:
    box = Mailbox(tempfail={"cy@example.org"})
    with Server(box) as server:
        path = configure(project, server.port)
        first = send(load_config(path))
        assert list(first.failed) == ["cy@example.org"]
        assert (
            "451" in first.failed["cy@example.org"]
            and "3 attempts" in first.failed["cy@example.org"]
        )
        box.tempfail.clear()
        second = send(load_config(path))
        assert second.sent == ["cy@example.org"] and second.already == 3
    exactly_once(box)


def test_a_connection_dropped_once_is_retried(project: Path) -> None:
    box = Mailbox(drop_at_mail={2})
    with Server(box) as server:
        report = send(load_config(configure(project, server.port)))
    assert sorted(report.sent) == SERVED
    exactly_once(box)


def test_connections_dropped_mid_list_then_a_rerun(project: Path) -> None:
    box = Mailbox(drop_at_mail=set(range(3, 100)))  # from the third message on
    with Server(box) as server:
        path = configure(project, server.port)
        first = run(path)
        assert first.exit_code == 2, first.output
        assert "connection closed" in first.output
        assert len(box.messages) == 2
        box.drop_at_mail.clear()
        assert run(path).exit_code == 0
    exactly_once(box)


def test_a_message_taken_then_the_connection_dropped_is_not_sent_twice(project: Path) -> None:
    box = Mailbox(drop_after_accept={2})  # kept the message, closed before the 250
    with Server(box) as server:
        path = configure(project, server.port)
        result = run(path)
        assert result.exit_code == 0, result.output
        second = sorted(SERVED)[1]
        exactly_once(box)
        assert "1 uncertain" in result.output
        with DeliveryLog(load_config(path).store) as log:
            assert log.status(DATE, second) == SENDING
        assert f"{second}: the whole message was sent, then: connection closed" in result.output
        again = run(path)  # what is known is said again, from the record
        assert f"{second}: the whole message was sent, then: connection closed" in again.output
        assert "most likely delivered, so not sent again (--resend-uncertain" in again.output
        exactly_once(box)
        forced = send(load_config(path), resend_uncertain=True)
        assert forced.sent == [second]  # only when asked to
        with DeliveryLog(load_config(path).store) as log:
            assert log.status(DATE, second) == SENT


def test_a_server_that_never_answers_fails_within_the_timeout(project: Path) -> None:
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        path = configure(project, silent.getsockname()[1], timeout=0.5, retries=1)
        start = time.monotonic()
        result = run(path)
        elapsed = time.monotonic() - start
    assert result.exit_code == 1, result.output
    assert "cannot connect to 127.0.0.1" in result.output and "timed out" in result.output
    assert "a rerun sends to the rest" in result.output
    assert elapsed < 5, elapsed  # two attempts of 0.5 s, not a hang


def test_a_server_that_never_answers_the_end_of_a_message_times_out(project: Path) -> None:
    box = Mailbox(hold=("DATA", 1))
    with Server(box) as server:
        path = configure(project, server.port, timeout=0.5)
        start = time.monotonic()
        report = send(load_config(path))
        assert time.monotonic() - start < 10
        # the first message was taken but never acknowledged: not sent again
        assert len(report.uncertain) == 1 and len(report.sent) == 3
    exactly_once(box)


def test_without_a_server_every_subscriber_is_left_for_a_rerun(project: Path) -> None:
    port = Server().port  # nothing listens there
    path = configure(project, port, retries=1)
    result = run(path)
    assert result.exit_code == 1
    assert "Connection refused" in result.output
    assert result.output.count("not sent:") == 3
    with Server() as server:  # a server comes up (on another port)
        data = yaml.safe_load(path.read_text())
        data["email"]["smtp"]["port"] = server.port
        path.write_text(yaml.safe_dump(data))
        assert run(path).exit_code == 0
        exactly_once(server.mailbox)


# -- a process killed mid-list -----------------------------------------------------------------


@pytest.mark.parametrize(
    "hold", [("DATA", 3), ("MAIL", 3)], ids=["taken-unanswered", "before-data"]
)
def test_killed_mid_list_then_a_rerun(project: Path, hold: tuple[str, int]) -> None:
    """SIGKILL while the server holds the third message after taking it (its 250 never comes),
    or while it holds the third MAIL FROM (nothing of that message was sent)."""
    box = Mailbox(hold=hold)
    with Server(box) as server:
        path = configure(project, server.port)
        child = subprocess.Popen(
            [sys.executable, "-c", "from digest.cli import main; main()", "send", "-c", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert box.held.wait(30), child.communicate(timeout=5)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        taken = box.counts()
        assert sum(taken.values()) == (3 if hold[0] == "DATA" else 2)
        box.hold = None
        result = run(path)
        assert result.exit_code == 0, result.output
    exactly_once(box)


# -- TLS, authentication, locking ----------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _tls(certificate: tuple[Path, Path]) -> Any:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def test_starttls_with_a_login(
    project: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = _tls(certificate)
    with Server(tls_context=context, require_starttls=True,
                authenticator=password_check("digest", "s3cret"), auth_required=True) as server:  # fmt: skip
        path = configure(project, server.port, security="starttls", username="digest",
                         ca_file=str(certificate[0]))  # fmt: skip
        monkeypatch.delenv("DIGEST_SMTP_PASSWORD", raising=False)
        with pytest.raises(SendError, match="DIGEST_SMTP_PASSWORD"):
            send(load_config(path))
        monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "wrong")
        result = run(path)
        assert result.exit_code == 1
        assert "refused the login of 'digest': 535" in result.output
        assert "check email.smtp.username and $DIGEST_SMTP_PASSWORD" in result.output
        monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "s3cret")
        assert run(path).exit_code == 0
        exactly_once(server.mailbox)


def test_implicit_tls_and_an_untrusted_certificate(
    project: Path, certificate: tuple[Path, Path]
) -> None:
    with Server(ssl_context=_tls(certificate)) as server:
        path = configure(project, server.port, security="ssl")
        result = run(path)  # the self-signed certificate is not trusted by default
        assert result.exit_code == 1
        assert (
            "TLS with 127.0.0.1" in result.output and "CERTIFICATE_VERIFY_FAILED" in result.output
        )
        assert server.mailbox.messages == []
        data = yaml.safe_load(path.read_text())
        data["email"]["smtp"]["ca_file"] = str(certificate[0])
        path.write_text(yaml.safe_dump(data))
        assert run(path).exit_code == 0
        exactly_once(server.mailbox)


def test_two_sends_at_once_the_second_refuses(project: Path) -> None:
    with Server() as server:
        path = configure(project, server.port)
        config = load_config(path)
        with DeliveryLog(config.store) as log, log.lock():
            result = run(path)
            assert result.exit_code == 1
            assert f"another `digest send` is running (pid {os.getpid()}" in result.output
        assert server.mailbox.messages == []
        assert run(path).exit_code == 0


def test_sending_needs_smtp_settings_and_subscribers(project: Path) -> None:
    path = configure(project, 25, people=[])
    result = run(path)
    assert result.exit_code == 1 and "no subscribers" in result.output
    data = yaml.safe_load(path.read_text())
    del data["email"]["smtp"]
    data["subscribers"] = PEOPLE
    path.write_text(yaml.safe_dump(data))
    result = run(path)
    assert "email.smtp is not configured" in result.output
    assert run(path, "--dry-run").exit_code == 0  # a dry run needs no server


@pytest.mark.parametrize("outputs", [["site"], ["markdown"]])
def test_send_mails_whatever_outputs_the_digest_builds(
    project: Path, tmp_path: Path, outputs: list[str]
) -> None:
    """`digest send` does not need the email among the outputs built; its letters link to the
    site only when the site is built (and to the feeds only when they are)."""
    path = configure(project, 1)  # a dry run: no server
    with path.open("a") as fh:
        fh.write(f"outputs: {outputs}\n")
    out = tmp_path / "outbox"
    result = run(path, "--dry-run", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [f"{a}.eml" for a in SERVED]
    for eml in out.iterdir():
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        for body in (html, text):
            assert ("https://example.org/digest/days/" in body) == ("site" in outputs), eml.name
            assert "feeds/all.xml" not in body


# -- internationalized addresses -----------------------------------------------------------------

WORLD = [
    PEOPLE[0],
    {"email": "üser@example.net", "name": "Üser"},  # needs SMTPUTF8
    {"email": "user@exämple.net", "name": "Ünder"},  # goes as user@xn--exmple-cua.net
    *PEOPLE[1:],
]


@pytest.mark.parametrize("utf8", [True, False], ids=["smtputf8", "no-smtputf8"])
def test_non_ascii_addresses_go_as_the_server_can_take_them_and_stop_nobody(
    project: Path, utf8: bool
) -> None:
    with Server(enable_SMTPUTF8=utf8) as server:
        path = configure(project, server.port, WORLD)
        result = run(path)
        box = server.mailbox
    served = [*SERVED, "user@xn--exmple-cua.net"] + (["üser@example.net"] if utf8 else [])
    assert box.counts() == {a: 1 for a in served}, result.output
    for rcpt, raw in box.messages:  # UTF-8 headers read as UTF-8 (RFC 6532)
        msg = email.message_from_string(raw.decode(), policy=email.policy.default)
        assert msg["To"].addresses[0].addr_spec == rcpt
    with DeliveryLog(load_config(path).store) as log:
        counts = log.counts(DATE)
    if utf8:
        assert result.exit_code == 0, result.output
        assert counts == {"sent": 6}
        [(_, raw)] = [(r, d) for r, d in box.messages if r == "üser@example.net"]
        assert "To: Üser <üser@example.net>".encode() in raw  # RFC 6532: UTF-8 as it is
    else:
        assert result.exit_code == 2, result.output
        assert counts == {"sent": 5, "failed": 1}
        assert (
            "failed: üser@example.net: 127.0.0.1:" in result.output
            and "does not offer SMTPUTF8, which this address needs" in result.output
        )
        assert "5 sent, 1 skipped (1 with nothing in their topics), 1 failed" in result.output


def test_addresses_are_checked_as_rfc_6531_allows(tmp_path: Path) -> None:
    from digest.config import split_address

    for good in ("üser@example.net", "user@exämple.net", "Ünder <用户@例子.广告>"):
        assert split_address(good) is not None, good
    for bad in (
        "user@☃.net",
        "user@-exämple.net",
        "us\x07er@example.org",
        "user@exa\u0080mple.net",
    ):
        assert split_address(bad) is None, bad


# -- a kill while the delivery log is made durable --------------------------------------------


def _traced_send(path: Path, trace: Path, inject: int | None = None) -> int:
    """``digest send`` under strace, its fsync/fdatasync and sendto calls written to
    ``trace``; ``inject``: SIGKILL it at the start of its inject-th fsync or fdatasync."""
    command = ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,sendto", "-e", "signal=none",
               "-o", str(trace)]  # fmt: skip
    if inject is not None:
        command += ["-e", f"inject=fsync,fdatasync:signal=SIGKILL:when={inject}"]
    command += [sys.executable, "-m", "digest", "send", "-c", str(path)]
    return subprocess.run(command, cwd=path.parent, capture_output=True, check=False).returncode


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("strace") is None
    or subprocess.run(["strace", "-qq", "-o", os.devnull, "true"], check=False).returncode,
    reason="needs strace and the right to trace",
)  # fmt: skip
def test_a_kill_while_the_log_is_synced_leaves_sending_only_for_a_message_sent_whole(
    project: Path, tmp_path: Path
) -> None:
    """SIGKILL at the fsync that makes a delivery's record durable (strace injects it, so it
    lands there every time): a record left at ``sending`` must be of a message whose end went
    to the server. When that fsync came between the record and the end of the message (as it
    did), a kill there left ``sending`` for a message never sent: not sent again, never got."""
    people = [PEOPLE[1]]
    with Server() as server:
        path = configure(project, server.port, people)
        log = load_config(path).store.with_name("store-deliveries.sqlite")
        trace = tmp_path / "trace.txt"

        def afresh() -> None:  # nothing sent yet, the store as it is
            server.mailbox.messages.clear()
            with contextlib.closing(sqlite3.connect(log)) as db, db:
                db.execute("DELETE FROM deliveries")

        assert run(path).exit_code == 0  # the store and the log made
        afresh()
        assert _traced_send(path, trace) == 0  # where the syncs are: those after DATA
        calls = trace.read_text().splitlines()
        data = next(i for i, call in enumerate(calls) if '"data\\r\\n"' in call.lower())
        syncs = [i for i, call in enumerate(calls) if "sync(" in call]
        before = sum(1 for i in syncs if i < data)
        after = len(syncs) - before
        assert after >= 2
        for at in range(before + 1, before + min(after, 4) + 1):  # each sync of the message
            afresh()
            assert _traced_send(path, trace, inject=at) != 0, at
            with contextlib.closing(sqlite3.connect(log)) as db:  # closed: the next one reads
                left = dict(db.execute("SELECT address, status FROM deliveries").fetchall())
            got = server.mailbox.counts()
            assert left.get("bob@example.org") in (None, "sent") or got["bob@example.org"] == 1, (
                f"killed at sync {at}: the record says {left}, the server got {got}"
            )


# -- which date, without --date ---------------------------------------------------------------


def test_without_a_date_the_newest_date_not_yet_sent_goes_not_a_future_one(
    project: Path,
) -> None:
    """One item dated in the future was the newest date for good: the first send mailed it,
    and every later daily send found it sent already."""
    future = project / "feeds" / "future.jsonl"
    future.write_text(
        '{"title": "A scaling law from the future", "abstract": "Scaling law.", '
        '"date": "2027-06-01"}\n'
    )
    with Server() as server:
        path = configure(project, server.port)
        data = yaml.safe_load(path.read_text())
        data["sources"].append({"path": "feeds/future.jsonl", "name": "future"})
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        # a collect today files a paper dated months ahead under today (test_collect); one
        # collected by a machine whose clock ran ahead, or by an older digest, keeps its date
        run_collect(load_config(path), dt.date(2027, 6, 1))
        first = run(path, "--today", "2026-11-23")
        assert first.exit_code == 0, first.output
        assert "2026-11-20: the newest date not yet sent; 1 date(s) after today (2027-06-01)" in (
            first.output
        )
        assert "2026-11-20: 4 sent" in first.output
        exactly_once(server.mailbox)
        again = run(path, "--today", "2026-11-23")  # a rerun: nothing newer
        assert "2026-11-20: no newer date to send: the last date sent" in again.output
        assert "0 sent, 5 skipped (4 already sent" in again.output
        # the next day brings its papers: they go, not the future date, nor an older one
        (project / "feeds" / "next.jsonl").write_text(
            '{"title": "A reward model for the next day", "abstract": "Reinforcement learning '
            'with a reward model.", "date": "2026-11-21"}\n'
        )
        data["sources"].append({"path": "feeds/next.jsonl", "name": "next"})
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        run_collect(load_config(path), dt.date(2026, 11, 24))
        server.mailbox.messages.clear()
        third = run(path, "--today", "2026-11-24")
        assert "2026-11-21: the newest date not yet sent" in third.output, third.output
        exactly_once(server.mailbox)  # those following rl, or every topic
        assert all("2026-11-21" in m["Subject"] for _, m in server.mailbox.parsed())
        assert run(path, "--date", "2027-06-01", "--dry-run").exit_code == 0  # when asked


def test_the_date_to_send_by_the_rules() -> None:
    from digest.pipeline import date_to_send

    d = dt.date
    days = [d(2026, 11, 18), d(2026, 11, 19), d(2026, 11, 20), d(2027, 1, 1)]
    today = d(2026, 11, 21)
    assert date_to_send(days, set(), today)[0] == d(2026, 11, 20)
    assert date_to_send(days, {d(2026, 11, 20)}, today)[0] == d(2026, 11, 20)  # a rerun
    assert date_to_send(days, {d(2027, 1, 1)}, today)[0] == d(2026, 11, 20)
    assert date_to_send(days, {d(2026, 11, 18)}, today)[0] == d(2026, 11, 20)
    # an older date never sent is not mailed after a newer one was
    assert date_to_send(days[:2] + [d(2026, 11, 20)], {d(2026, 11, 19)}, today)[0] == d(
        2026, 11, 20
    )
    assert date_to_send(days[:2], {d(2026, 11, 19)}, today)[0] == d(2026, 11, 19)
    assert date_to_send([d(2027, 1, 1)], set(), today)[0] == d(2027, 1, 1)  # only future ones
