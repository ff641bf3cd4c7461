"""The subscribers: from ``subscribers`` in the YAML and the CSV ``subscribers_file`` names,
each address and id once, each topic one the config has."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

from ..model import Subscriber, Topic
from .checks import Checker, kind_of
from .lines import KeyPath, key_path
from .schema import Value, keys, kind
from .sections import split_address


def subscriber_id(address: str) -> str:
    """The default id of a subscriber: stable, and not the address itself."""
    return hashlib.sha256(address.casefold().encode()).hexdigest()[:16]


class Subscribers:
    """Every subscriber from ``subscribers`` and ``subscribers_file``, each address and id once."""

    def __init__(self, c: Checker, topics: tuple[Topic, ...]) -> None:
        self.c = c
        self.known = {t.name.casefold(): t.name for t in topics}
        self.out: list[Subscriber] = []
        self.where: dict[str, str] = {}  # address or id -> where it was first given

    def add(self, fail: Any, where: str, address: Any, name: Any, topics: Any, ident: Any) -> None:
        """``fail(field, message)`` reports a problem at the entry's path or line."""
        problems = len(self.c.problems)
        found = split_address(address.strip()) if isinstance(address, str) else None
        if found is None:
            shown = repr(address) if isinstance(address, str) else kind_of(address)
            fail("email", f"expected an email address such as me@example.org, got {shown}")
        if name is not None and not isinstance(name, str):
            fail("name", f"expected a string, got {kind_of(name)}")
        chosen: tuple[str, ...] | None = None
        if isinstance(topics, str):
            topics = [t.strip() for t in re.split(r"[;,|]", topics) if t.strip()] or None
        if topics is not None and not isinstance(topics, list):
            fail("topics", f"expected a list of topic names, got {kind_of(topics)}")
        elif topics is not None:
            if not topics:
                fail("topics", "must not be empty (leave it out to follow every topic)")
            names = []
            for index, topic in enumerate(topics):
                key = (
                    unicodedata.normalize("NFC", topic.strip()).casefold()
                    if isinstance(topic, str)
                    else None
                )
                if key not in self.known:
                    known = ", ".join(sorted(self.known.values())) or "none configured"
                    fail(f"topics[{index}]", f"unknown topic {topic!r} (known: {known})")
                else:
                    names.append(self.known[key])
            chosen = tuple(sorted(set(names)))
        if ident is not None and (not isinstance(ident, str | int) or isinstance(ident, bool)):
            fail("id", f"expected a string, got {kind_of(ident)}")
        if found is None or len(self.c.problems) > problems:
            return
        parsed_name, address = found
        ident = str(ident).strip() if ident is not None else subscriber_id(address)
        for key, label in ((address.casefold(), "address"), ("id:" + ident, "id")):
            if key in self.where:
                fail("email" if label == "address" else "id",
                     f"duplicate subscriber {label} (first given at {self.where[key]})")  # fmt: skip
                return
        self.where[address.casefold()] = self.where["id:" + ident] = where
        display = " ".join(
            (name if isinstance(name, str) and name.strip() else parsed_name).split()
        )
        self.out.append(Subscriber(ident, address, display[:200], chosen))

    def from_yaml(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.c.fail(("subscribers",), f"expected a list, got {kind_of(value)}")
            return
        for index, entry in enumerate(value):
            path: KeyPath = ("subscribers", index)
            if isinstance(entry, str):
                entry = {"email": entry}
            body = self.c.mapping(entry, path, keys(Subscriber))
            if not isinstance(entry, dict):
                continue

            def fail(key: str, message: str, path: KeyPath = path) -> None:
                parts: KeyPath = tuple(
                    int(p) if p.isdigit() else p for p in re.findall(r"[^\[\]]+", key)
                )
                self.c.fail(path + parts, message)

            self.add(fail, key_path(path), body.get("email"), body.get("name"), body.get("topics"),
                     body.get("id"))  # fmt: skip

    def from_csv(self, name: str, root: Path) -> None:
        """A CSV with the columns email, name, topics (and optionally id); a header row is
        optional; topics are separated by ';' (or ',' inside a quoted cell)."""
        file = root / name
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            self.c.fail(("subscribers_file",), f"no such file: {name}")
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.c.fail(("subscribers_file",), f"cannot read {name}: {exc}")
            return
        columns = ["email", "name", "topics", "id"]
        reader = csv.reader(io.StringIO(text, newline=""))
        first = True
        try:
            for row in reader:
                number = reader.line_num  # the file's line where the row ends
                if first and row and "@" not in row[0]:
                    header = [h.strip().casefold() for h in row]
                    if "email" not in header or any(h not in columns for h in header):
                        self.c.problems.append(
                            f"{name} line 1: expected the columns email, name, topics (and id), "
                            f"got {', '.join(row)}"
                        )
                        return
                    columns, first = header, False
                    continue
                first = False
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > len(columns):
                    self.c.problems.append(
                        f"{name} line {number}: {len(row)} cells, expected at most {len(columns)}"
                    )
                    continue
                cells = dict(zip(columns, row, strict=False))

                def fail(key: str, message: str, number: int = number) -> None:
                    self.c.problems.append(f"{name} line {number}: {key.split('[')[0]}: {message}")

                self.add(fail, f"{name} line {number}", cells.get("email"),
                         cells.get("name") or None, cells.get("topics") or None,
                         cells.get("id") or None)  # fmt: skip
        except csv.Error as exc:
            self.c.problems.append(f"{name} line {reader.line_num}: not CSV: {exc}")


@kind("subscribers")
def _subscribers(v: Value) -> tuple[Subscriber, ...]:
    """Those of the YAML list, then those of the file ``subscribers_file`` names."""
    found = Subscribers(v.c, v.values.get("topics", ()))
    found.from_yaml(v.raw)
    name = v.body.get("subscribers_file")
    if isinstance(name, str) and name:
        found.from_csv(name, v.c.root)
    return tuple(found.out)


@kind("subscribers-file")
def _subscribers_file(v: Value) -> Path | None:
    name = v.c.string(v.raw, v.path)
    return (v.c.root / name).resolve() if name else None
