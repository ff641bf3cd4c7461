"""Campaigns of hostile conditions, small here and long in ``benchmarks/robustness.py``
(``DIGEST_CAMPAIGN_SCALE``; the counts go to ``DIGEST_CAMPAIGN_REPORT``, a JSON-lines file):

- sends to addresses of every kind (non-ASCII local parts, internationalized domains, the odd
  but valid), to servers with and without SMTPUTF8, then again: nobody served twice, nobody
  left out but the addresses no server offered SMTPUTF8 to, no run stopped;
- sends killed (SIGKILL) at random points, then run again: no message twice, and how many
  deliveries a kill left uncertain, and how many of those the server never got;
- links planted in the output folder (folders and files leading out of it, to the state, to
  the config) and paths added to ``manifest.json``, then builds, forced and pruned ones: no file
  outside the output written or removed;
- papers dated in the future (tomorrow to the year 9999), then builds and sends on the days
  after: no future date published or mailed, no real day left unsent;
- requests a hostile page can make of ``digest serve`` (traversals in every encoding, NUL,
  hidden names, links, other Host names): nothing outside the output served, no error.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from digest.cli import main
from digest.config import load_config, split_address
from digest.pipeline import send
from digest.render.email import smtp_address
from tests.smtp_server import Server
from tests.test_send import configure

SCALE = float(os.environ.get("DIGEST_CAMPAIGN_SCALE", "1"))
REPORT = os.environ.get("DIGEST_CAMPAIGN_REPORT")


def report(campaign: str, **counts: int) -> None:
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"campaign": campaign, **counts}) + "\n")


# -- sends to addresses of every kind ------------------------------------------------------

LOCALS = ["ada", "b.o+b", "üser", "用户", "josé.garcía", "o'neil", "x_y-z", "ÄÖÜ", "δοκιμή",
          "a" * 60, "UPPER", "dot.ted.name", "ñ", "x+tag+more", "ಬೆಂಬಲ", "ok"]  # fmt: skip
DOMAINS = ["example.org", "exämple.net", "例子.广告", "bücher.example", "xn--bcher-kva.example",
           "sub.domain.example.co", "ex-ample.org", "EXAMPLE.COM", "münchen.example",
           "παράδειγμα.δοκιμή"]  # fmt: skip
REFUSED = ["user@☃.net", "a b@example.org", "x@-bad.example", "@example.org", "x@example",
           "x@exa..mple.org", "tab\there@example.org", "x@exa\u0080mple.org", "x@xn--a.org"]  # fmt: skip


def test_sends_to_addresses_of_every_kind(project: Path) -> None:
    rng = random.Random(11)
    rounds, per_round = max(1, round(2 * SCALE)), max(6, round(10 * SCALE))
    counts = {"addresses": 0, "refused_at_load": 0, "sent": 0, "failed_no_smtputf8": 0,
              "crashes": 0, "duplicates": 0, "left_out": 0}  # fmt: skip
    for bad in REFUSED:
        assert split_address(bad) is None, bad
        counts["refused_at_load"] += 1
    for round_ in range(rounds):
        utf8 = round_ % 2 == 0
        people = [
            f"{rng.choice(LOCALS)}{round_}x{n}@{rng.choice(DOMAINS)}" for n in range(per_round)
        ]
        counts["addresses"] += len(people)
        with Server(enable_SMTPUTF8=utf8) as server:
            path = configure(project, server.port, [{"email": a} for a in people])
            config = load_config(path)
            for _ in range(2):  # a run, then a rerun
                try:
                    send(config, dt_of(config), now=None)
                except Exception:
                    counts["crashes"] += 1
            got = server.mailbox.counts()
        for address in people:
            wire = smtp_address(address)
            if got[wire] > 1:
                counts["duplicates"] += 1
            elif got[wire] == 1:
                counts["sent"] += 1
            elif not utf8 and not address.split("@")[0].isascii():
                counts["failed_no_smtputf8"] += 1
            else:
                counts["left_out"] += 1
    report("send-addresses", **counts)
    assert counts["crashes"] == counts["duplicates"] == counts["left_out"] == 0, counts


def dt_of(config: Any) -> Any:
    import datetime as dt

    return dt.date(2026, 11, 20)


# -- sends killed at random points ------------------------------------------------------------

KILLED_SENDS = max(2, round(2 * SCALE))


def test_sends_killed_at_random_points_send_nothing_twice(project: Path) -> None:
    people = [{"email": f"reader{n}@example.org"} for n in range(8)]
    everyone = {p["email"] for p in people}
    rng = random.Random(5)
    counts = {"kills": 0, "uncertain": 0, "uncertain_never_received": 0, "duplicates": 0,
              "left_out": 0}  # fmt: skip
    with Server() as server:
        path = configure(project, server.port, people)
        log = load_config(path).store.with_name("store-deliveries.sqlite")
        command = [sys.executable, "-m", "digest", "send", "-c", str(path), "--date", "2026-11-20"]

        def afresh() -> None:
            server.mailbox.messages.clear()
            if log.exists():
                with closing(sqlite3.connect(log)) as db, db:
                    db.execute("DELETE FROM deliveries")

        afresh()
        started = time.monotonic()
        subprocess.run(command, cwd=project, capture_output=True, check=True)
        whole = time.monotonic() - started
        for _ in range(KILLED_SENDS):
            afresh()
            child = subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(rng.uniform(0.2, whole))
            child.send_signal(signal.SIGKILL)
            child.wait(30)
            counts["kills"] += 1
            with closing(sqlite3.connect(log)) as db:
                sending = {a for (a,) in db.execute(
                    "SELECT address FROM deliveries WHERE status = 'sending'")}  # fmt: skip
            got = server.mailbox.counts()
            counts["uncertain"] += len(sending)
            counts["uncertain_never_received"] += sum(1 for a in sending if not got[a])
            subprocess.run(command, cwd=project, capture_output=True, check=False)
            got = server.mailbox.counts()
            counts["duplicates"] += sum(1 for a in everyone if got[a] > 1)
            counts["left_out"] += sum(1 for a in everyone if not got[a] and a not in sending)
    report("send-kills", **counts)
    # An uncertain delivery ("sending": the record made, the end of the message maybe sent) is
    # the one case the rerun does not settle: a kill that lands after the record and before
    # the end leaves it unreceived. That is why it is said to the user and not sent again; it
    # is counted, not asserted (a loaded machine widens that window, and a run found it).
    assert counts["duplicates"] == counts["left_out"] == 0, counts


# -- links planted in the output ---------------------------------------------------------------


def digests(*roots: Path) -> dict[str, str]:
    """Every file below ``roots`` (not through links), by path: a digest of its bytes."""
    found = {}
    for root in roots:
        for where, _, names in os.walk(root):
            for name in names:
                path = Path(where) / name
                if not path.is_symlink():
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def plant(out: Path, outside: Path, project: Path, rng: random.Random) -> list[str]:
    """A few hostile links and manifest entries in ``out``; what was planted."""
    planted = []
    manifest = json.loads((out / "manifest.json").read_text())
    files = [f["path"] for f in manifest["files"]]
    for _ in range(rng.randint(1, 3)):
        what = rng.randrange(6)
        if what == 0:  # a folder of the output leads out of it
            folder = out / rng.choice(["days", "topics", "feeds", "email", "markdown"])
            shutil.rmtree(folder, ignore_errors=True)
            folder.unlink(missing_ok=True)
            folder.symlink_to(outside, target_is_directory=True)
        elif what == 1:  # a file of the output is a link to a file outside
            target = out / rng.choice(files)
            if target.parent.is_symlink() or not target.parent.is_dir():
                continue
            target.unlink(missing_ok=True)
            target.symlink_to(outside / "victim.txt")
        elif what == 2:  # a link to the state, listed in the manifest
            (out / "leak").unlink(missing_ok=True)
            (out / "leak").symlink_to(project / ".digest", target_is_directory=True)
            manifest["files"].append({"path": "leak/store.sqlite", "kind": "page"})
        elif what == 3:  # the manifest lists files outside, through a link and by ".."
            (out / "out").unlink(missing_ok=True)
            (out / "out").symlink_to(outside, target_is_directory=True)
            manifest["files"] += [{"path": "out/victim.txt", "kind": "page"},
                                  {"path": "../digest.yaml", "kind": "page"}]  # fmt: skip
        elif what == 4:  # a page of the output is a link to the config
            target = out / "index.html"
            target.unlink(missing_ok=True)
            target.symlink_to(project / "digest.yaml")
        else:  # a folder of the output leads to the project's own folder
            folder = out / "markdown"
            shutil.rmtree(folder, ignore_errors=True)
            folder.unlink(missing_ok=True)
            folder.symlink_to(project, target_is_directory=True)
        planted.append(str(what))
    (out / "manifest.json").write_text(json.dumps(manifest))
    return planted


def test_links_planted_in_the_output_touch_nothing_outside(project: Path, tmp_path: Path) -> None:
    rng = random.Random(3)
    runner = CliRunner()
    config = str(project / "digest.yaml")
    out = project / "output"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("precious")
    (outside / "2026-11-20.html").write_text("not a page of the digest")
    counts = {"rounds": 0, "builds": 0, "refused": 0, "crashes": 0, "outside_touched": 0}
    assert runner.invoke(main, ["build", "-c", config]).exit_code == 0
    for _ in range(max(2, round(6 * SCALE))):
        counts["rounds"] += 1
        plant(out, outside, project, rng)
        before = digests(outside, project / "feeds") | digests_of(project, "digest.yaml")
        for args in ([], ["--force"], ["--prune"]):
            result = runner.invoke(main, ["build", "-c", config, *args])
            counts["builds"] += 1
            if result.exit_code == 1 and "outside the output folder; refusing" in result.output:
                counts["refused"] += 1
            elif result.exit_code != 0 or "Traceback" in result.output:
                counts["crashes"] += 1
        after = digests(outside, project / "feeds") | digests_of(project, "digest.yaml")
        counts["outside_touched"] += len(set(before.items()) ^ set(after.items()))
        shutil.rmtree(out)  # the next round from a clean build
        assert runner.invoke(main, ["build", "-c", config]).exit_code == 0
    report("output-links", **counts)
    assert counts["crashes"] == counts["outside_touched"] == 0, counts


def digests_of(root: Path, *names: str) -> dict[str, str]:
    return {str(root / n): hashlib.sha256((root / n).read_bytes()).hexdigest() for n in names}


# -- requests from a hostile page ---------------------------------------------------------------

TRAVERSALS = ["../", "..%2f", "%2e%2e/", "%2e%2e%2f", "..%5c", "%252e%252e/", ".%2e/", "..//",
              "/..", "%c0%ae%c0%ae/", "....//", "..;/"]  # fmt: skip
TARGETS = ["digest.yaml", ".digest/store.sqlite", ".digest/store-deliveries.sqlite", "etc/passwd",
           "feeds/arxiv-cs-lg.xml"]  # fmt: skip
ODD = ["%00", "%00.html", "index.html%00", "%ff%fe", "\u00e9", "%", "%zz", "a" * 5000, "//",
       ".git/config", ".hidden", "leak/store.sqlite", "up/digest.yaml", "etc/passwd", "days/",
       "days", "index.html?x=../../digest.yaml", "index.html#../x", "%2e%2e", "~root"]  # fmt: skip


def test_requests_from_a_hostile_page_get_nothing_outside_the_output(
    project: Path, tmp_path: Path
) -> None:
    import digest.preview as preview

    runner = CliRunner()
    assert runner.invoke(main, ["build", "-c", str(project / "digest.yaml")]).exit_code == 0
    out = project / "output"
    served = {p.read_bytes() for p in out.rglob("*") if p.is_file() and not p.is_symlink()}
    (out / "leak").symlink_to(project / ".digest", target_is_directory=True)
    (out / "up").symlink_to(project, target_is_directory=True)
    (out / "etc").symlink_to("/etc", target_is_directory=True)
    (out / ".hidden").write_text("hidden")
    httpd = preview.server(out, 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    port = httpd.server_port
    hosts = [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"evil.example:{port}",
             "evil.example", f"127.0.0.1:{port}.evil.example", ""]  # fmt: skip
    rng = random.Random(9)
    counts = {"requests": 0, "answered": 0, "turned_away": 0, "leaks": 0, "errors": 0}
    try:
        for _ in range(max(100, round(400 * SCALE))):
            kind = rng.randrange(3)
            if kind == 0:
                path = "/" + rng.choice(TRAVERSALS) * rng.randint(1, 6) + rng.choice(TARGETS)
            elif kind == 1:
                path = "/" + rng.choice(ODD)
            else:
                path = "/" + rng.choice(
                    ["", "index.html", "archive.html", "days/", "feeds/all.xml"]
                )
            host = rng.choice(hosts)
            status, body = raw_request(port, path, host)
            counts["requests"] += 1
            if status == 200:
                counts["answered"] += 1
                if body not in served:
                    counts["leaks"] += 1
            elif status in (301, 400, 403, 404, 414):
                counts["turned_away"] += 1
            else:
                counts["errors"] += 1
        assert thread.is_alive()
        assert raw_request(port, "/", f"127.0.0.1:{port}")[0] == 200
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
    report("serve-requests", **counts)
    assert counts["leaks"] == counts["errors"] == 0, counts


def raw_request(port: int, path: str, host: str) -> tuple[int, bytes]:
    """A request as a hostile page's script or a raw socket can send it (no client checks)."""
    head = f"GET {path} HTTP/1.1\r\n" + (f"Host: {host}\r\n" if host else "")
    head += "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode("utf-8", "surrogateescape"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data:
        return 0, b""
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


# -- papers dated in the future ---------------------------------------------------------------


def test_papers_dated_in_the_future_take_no_day_s_place(project: Path) -> None:
    """A JSON Lines source with papers dated from tomorrow to the year 9999 beside the sample
    pages, built and sent three days in a row: no page, feed or letter leads with a date after
    the day it was built, and each day's own papers are mailed that day."""
    import datetime as dt

    import yaml

    rng = random.Random(17)
    counts = {"rounds": 0, "future_papers": 0, "future_published": 0, "days_unsent": 0,
              "crashes": 0}  # fmt: skip
    for round_ in range(max(1, round(2 * SCALE))):
        counts["rounds"] += 1
        root = project / f"round{round_}"
        shutil.copytree(project / "feeds", root / "feeds")
        shutil.copy(project / "digest.yaml", root / "digest.yaml")
        with Server() as server:
            path = configure(root, server.port)
            data = yaml.safe_load(path.read_text())
            data["sources"].append({"path": "feeds/odd.jsonl", "name": "odd"})
            data["sources"].append({"path": "feeds/daily.jsonl", "name": "daily"})
            path.write_text(yaml.safe_dump(data, sort_keys=False))
            days = [dt.date(2026, 11, 24) + dt.timedelta(days=n) for n in range(3)]
            daily = root / "feeds" / "daily.jsonl"
            daily.write_text("")
            for n, today in enumerate(days):
                ahead = [today + dt.timedelta(days=rng.choice([2, 3, 40, 400, 3000]))
                         for _ in range(rng.randint(1, 4))]  # fmt: skip
                ahead += [dt.date(9999, 12, 31)] if n == 0 else []
                counts["future_papers"] += len(ahead)
                (root / "feeds" / "odd.jsonl").write_text("".join(
                    json.dumps({"title": f"A scaling law from {d} number {k}",
                                "abstract": "Scaling law, test-time compute.", "date": str(d)})
                    + "\n" for k, d in enumerate(ahead)))  # fmt: skip
                with daily.open("a") as fh:
                    fh.write(json.dumps({"title": f"Reinforcement learning on day {today}",
                                         "abstract": "Reinforcement learning with a reward "
                                         "model.", "date": str(today)}) + "\n")  # fmt: skip
                built = CliRunner().invoke(main, ["build", "-c", str(path), "--today", str(today)])
                sent = CliRunner().invoke(main, ["send", "-c", str(path), "--today", str(today)])
                if built.exit_code != 0 or sent.exit_code != 0 or "Traceback" in built.output:
                    counts["crashes"] += 1
                    continue
                latest = today + dt.timedelta(days=1)
                manifest = json.loads((root / "output" / "manifest.json").read_text())
                dates = {f["date"] for f in manifest["files"] if f.get("date")}
                counts["future_published"] += sum(1 for d in dates if d > str(latest))
                subjects = [m["Subject"] for _, m in server.mailbox.parsed()]
                if not any(str(today) in s for s in subjects):
                    counts["days_unsent"] += 1
                server.mailbox.messages.clear()
    report("future-dates", **counts)
    assert counts["crashes"] == counts["future_published"] == counts["days_unsent"] == 0, counts
