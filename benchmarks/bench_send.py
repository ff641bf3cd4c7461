"""Delivery speed: `digest send` to N subscribers over 20 distinct topic sets, end to end
(rank and render per topic set, personalise, SMTP, one durable record per state change), to
aiosmtpd on 127.0.0.1 in another process.

The sender runs pinned to one core, the server to the other. Prints messages per second and
the sender's peak memory for each subscriber count, so growth with the count shows.

    python benchmarks/bench_send.py                 # 1,000 and 10,000 subscribers
    python benchmarks/bench_send.py --counts 2000
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import itertools
import multiprocessing
import os
import resource
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})


class Sink:
    """Accepts everything and only counts (the server side does as little as it can)."""

    def __init__(self, counter: multiprocessing.Value) -> None:  # type: ignore[valid-type]
        self.counter = counter

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _serve(port: int, counter: multiprocessing.Value, ready: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    from aiosmtpd.controller import Controller

    _pin(1)
    controller = Controller(Sink(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _project(folder: Path, count: int, port: int) -> Path:
    shutil.copytree(ROOT / "feeds", folder / "feeds")
    data = yaml.safe_load((ROOT / "digest.yaml").read_text())
    names = list(data["topics"])
    sets = [c for k in (1, 2, 3) for c in itertools.combinations(names, k)][:20]
    with open(folder / "people.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["email", "name", "topics"])
        for i in range(count):
            out.writerow([f"reader{i}@example.org", f"Reader {i}", ";".join(sets[i % len(sets)])])
    data["subscribers_file"] = "people.csv"
    data["email"] = {
        "from": "ML Digest <digest@example.org>",
        "unsubscribe_url": "https://example.org/unsubscribe?u={{ subscriber.id }}",
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 30},
    }
    (folder / "digest.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder / "digest.yaml"


def _send(path: Path, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from digest.config import load_config
    from digest.pipeline import send

    _pin(0)
    config = load_config(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = send(config, dt.date(2026, 11, 20))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put((len(report.sent), report.empty, len(report.failed), report.rendered, seconds,
                 before / 1024, peak / 1024))  # fmt: skip


def run(count: int) -> None:
    from digest.config import load_config
    from digest.pipeline import run_collect

    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        path = _project(Path(tmp), count, port)
        run_collect(load_config(path), dt.date(2026, 11, 23))
        context = multiprocessing.get_context("spawn")
        counter, ready, results = context.Value("i", 0), context.Event(), context.Queue()
        server = context.Process(target=_serve, args=(port, counter, ready), daemon=True)
        server.start()
        ready.wait(30)
        sender = context.Process(target=_send, args=(path, results))
        sender.start()
        sent, empty, failed, letters, seconds, base, peak = results.get(timeout=1800)
        sender.join()
        server.terminate()
        assert counter.value == sent, (counter.value, sent)
        print(
            f"{count:>6} subscribers: {sent} sent ({empty} with nothing that day, {failed} failed), "
            f"{letters} letters rendered, {seconds:.1f} s = {sent / seconds:,.0f} messages/s on "
            f"one core; sender peak RSS {peak:.0f} MB (after loading: {base:.0f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    asyncio.set_event_loop_policy(None)
    for count in args.counts:
        run(count)


if __name__ == "__main__":
    main()
