"""The papers: each once, with the date it was first seen and the sources that saw it; merged as
collects bring them again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from ..errors import StoreError
from ..model import Paper, merge, title_number
from ..rows import new_paper
from .base import Connection, iso_date

_COLUMNS = "id, title_key, title, abstract, authors, url, date, source, categories, extra"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def _row(paper: Paper, run: int, key: int | None = None) -> tuple[Any, ...]:
    return (
        paper.id,
        title_number(paper.title) if key is None else key,
        paper.title,
        paper.abstract,
        _dumps(list(paper.authors)),
        paper.url,
        paper.date.isoformat(),
        paper.source,
        _dumps(list(paper.categories)),
        _dumps(dict(paper.extra)),
        run,
    )


def paper_from_row(row: Sequence[Any], date: dt.date | None = None) -> Paper:
    """The paper of a row of ``_COLUMNS`` (``date``: the row's, when the caller knows it)."""
    loads = orjson.loads
    return new_paper(
        id=row[0], title=row[2], abstract=row[3], date=date or iso_date(row[6]),
        source=row[7], authors=tuple(loads(row[4])), url=row[5],
        categories=tuple(loads(row[8])), extra=loads(row[9]),
    )  # fmt: skip


class Papers(Connection):
    def start_run(self, kind: str = "collect") -> int:
        """Record a run (inside the caller's transaction) and return its number."""
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        cursor = self.db.execute("INSERT INTO runs(started, kind) VALUES (?, ?)", (started, kind))
        self.run = int(cursor.lastrowid or 0)
        # papers this run adds get rowids above this (papers are never deleted)
        self._rowid_floor = self.db.execute("SELECT max(rowid) FROM papers").fetchone()[0] or 0
        return self.run

    def _existing(self, column: str, keys: Iterable[str | int]) -> dict[str | int, tuple[Any, ...]]:
        keys = list(dict.fromkeys(keys))
        found: dict[str | int, tuple[Any, ...]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT {_COLUMNS} FROM papers WHERE {column} IN ({marks})", chunk
            ):
                key = row[0] if column == "id" else row[1]
                # A title may match several papers; prefer one with an arXiv id.
                if key not in found or found[key][0].startswith("title:"):
                    found[key] = row
        return found

    def merge_batch(self, papers: Sequence[Paper]) -> list[Paper | None]:
        """Store a batch of papers (distinct identities within the run); return for each the
        stored version it merged into, or ``None`` when the paper was new.

        A paper known by title only merges into a stored paper with the same title; an arXiv
        paper takes over a stored title-only paper with its title (the row is re-keyed).
        """
        if self.run is None:
            raise StoreError("merge_batch outside a run")
        keys = [title_number(p.title) for p in papers]
        by_id = self._existing("id", (p.id for p in papers))
        by_title = self._existing(
            "title_key", (k for p, k in zip(papers, keys, strict=True) if p.id not in by_id)
        )
        result: list[Paper | None] = []
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        rekeys: list[tuple[str, str]] = []
        sightings: list[tuple[str, str, str]] = []
        moved_from: set[str] = set()  # the dates of changed papers before the change
        for paper, key in zip(papers, keys, strict=True):
            row = by_id.get(paper.id)
            if row is None:
                candidate = by_title.get(key)
                # A title match is the same paper unless both carry different arXiv ids.
                if candidate is not None and (
                    candidate[0].startswith("title:") or paper.id.startswith("title:")
                ):
                    row = candidate
            if row is None:
                result.append(None)
                inserts.append(_row(paper, self.run, key))
                sightings.append((paper.id, paper.source, paper.date.isoformat()))
                continue
            old = paper_from_row(row)
            result.append(old)
            merged = merge(old, paper)
            if merged.id != old.id:
                rekeys.append((merged.id, old.id))
            new_row = _row(merged, 0)[:-1]
            if new_row != tuple(row):
                updates.append((*new_row[1:], new_row[0]))
                moved_from.add(row[6])
            sightings.append((merged.id, paper.source, paper.date.isoformat()))
        changed = {r[6] for r in inserts} | {u[5] for u in updates} | moved_from
        self._write(inserts, updates, rekeys, sightings, changed)
        return result

    def _write(
        self,
        inserts: list[tuple[Any, ...]],
        updates: list[tuple[Any, ...]],
        rekeys: list[tuple[str, str]],
        sightings: list[tuple[str, str, str]],
        changed: set[str],
    ) -> None:
        """A batch's changes: papers re-keyed, new, updated; the changed dates' counts; the
        sightings."""
        for new_id, old_id in rekeys:
            self.db.execute("UPDATE papers SET id = ? WHERE id = ?", (new_id, old_id))
            self.db.execute(
                "UPDATE OR IGNORE sightings SET paper_id = ? WHERE paper_id = ?", (new_id, old_id)
            )
            self.db.execute("DELETE FROM sightings WHERE paper_id = ?", (old_id,))
        if inserts:
            self.db.executemany(
                f"INSERT INTO papers({_COLUMNS}, first_run) VALUES (?,?,?,?,?,?,?,?,?,?,?)", inserts
            )
        if updates:
            self.db.executemany(
                "UPDATE papers SET title_key=?, title=?, abstract=?, authors=?, url=?, date=?, "
                "source=?, categories=?, extra=? WHERE id=?",
                updates,
            )
        self.db.executemany(  # each changed date's count (a move can empty a date)
            "INSERT OR REPLACE INTO days SELECT ?, count(*), ? FROM papers WHERE date = ?",
            [(d, self.run, d) for d in changed],
        )
        self.db.executemany(
            "INSERT INTO sightings VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET date = "
            "min(sightings.date, excluded.date) WHERE excluded.date < sightings.date",
            sightings,
        )

    def new_in_run(self) -> dict[dt.date, int]:
        """Per date, how many papers this run added (dates as merged, after the whole run)."""
        # a range of rowids, not a scan of every paper (which filled the page cache); NOT
        # INDEXED, or the planner groups by walking the whole date index (8 ms at 100k papers)
        rows = self.db.execute(
            "SELECT date, count(*) FROM papers NOT INDEXED WHERE rowid > ? AND first_run = ? "
            "GROUP BY date",
            (self._rowid_floor, self.run),
        )
        return {iso_date(d): n for d, n in rows}

    def dates(self) -> list[tuple[dt.date, int]]:
        """Every date with papers, with how many, oldest first."""
        return [
            (iso_date(d), n)
            for d, n in self.db.execute(
                "SELECT date, papers FROM days WHERE papers > 0 ORDER BY date"
            )
        ]

    def papers_on(self, date: dt.date) -> list[Paper]:
        """The papers first seen on ``date``, in a stable order (first stored first)."""
        return list(self.each_paper_on(date))

    def each_paper_on(self, date: dt.date) -> Iterator[Paper]:
        """:meth:`papers_on` one at a time, as the rows are read (a date of 100,000 papers is
        not held at once)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM papers WHERE date = ? ORDER BY rowid", (date.isoformat(),)
        )
        for row in rows:
            yield paper_from_row(row, date)

    def papers_with(self, ids: Sequence[str]) -> Iterator[Paper]:
        """The papers with these ids (those in the store), in no set order, a few hundred
        read at a time."""
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT {_COLUMNS} FROM papers WHERE id IN ({marks})", chunk
            ):
                yield paper_from_row(row)

    def day_versions(self) -> dict[dt.date, tuple[int, int]]:
        """Per date: (paper count, the run that last changed the date's papers), which changes
        whenever anything the date's outputs show may have changed."""
        return {
            iso_date(d): (n, run)
            for d, n, run in self.db.execute("SELECT date, papers, run FROM days WHERE papers > 0")
        }

    def known_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these paper ids are in the store."""
        found: set[str] = set()
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id FROM papers WHERE id IN ({marks})"
            found.update(r[0] for r in self.db.execute(query, chunk))
        return found

    def sources_of(self, paper_id: str) -> list[str]:
        """The sources that saw a paper, the first first."""
        return [
            s for (s,) in self.db.execute(
                "SELECT source FROM sightings WHERE paper_id = ? ORDER BY date, source", (paper_id,)
            )
        ]  # fmt: skip

    def history(self, first: dt.date, last: dt.date) -> list[Paper]:
        """The papers first seen from ``first`` to ``last``, oldest first, with their id, title,
        abstract and date only (what the topics learn from: lighter to read and to keep)."""
        rows = self.db.execute(
            "SELECT id, title, abstract, date FROM papers WHERE date BETWEEN ? AND ? "
            "ORDER BY date, rowid",
            (first.isoformat(), last.isoformat()),
        )
        dates: dict[str, dt.date] = {}
        return [
            new_paper(
                id=i,
                title=t,
                abstract=a,
                date=dates.get(d) or dates.setdefault(d, dt.date.fromisoformat(d)),
                source="",
                authors=(),
                url=None,
                categories=(),
                extra={},
            )
            for i, t, a, d in rows
        ]

    def find_papers(self, ids: Sequence[str], titles: Sequence[str]) -> list[Paper]:
        """The papers with these ids, and those with these titles (as :func:`title_number`
        identifies a title)."""
        rows = list(self._existing("id", ids).values())
        rows += self._existing("title_key", [title_number(t) for t in titles]).values()
        return [paper_from_row(r) for r in rows]

    def last_rowid(self) -> int:
        """The rowid of the paper stored last (papers are never deleted)."""
        return int(self.db.execute("SELECT max(rowid) FROM papers").fetchone()[0] or 0)

    def texts_at(self, rowids: Sequence[int]) -> Iterator[tuple[str, str]]:
        """(title, abstract) of the papers with these rowids (those that exist)."""
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(
                f"SELECT title, abstract FROM papers WHERE rowid IN ({marks})", chunk
            )

    def term_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """The term statistics kept: their numbers (``upto``: the last rowid counted,
        ``stride``, ``papers``, ``length``) and stem -> papers counted holding it."""
        numbers = {
            key[len("terms.") :]: int(value)
            for key, value in self.db.execute(
                "SELECT key, value FROM meta WHERE key LIKE 'terms.%'"
            )
        }
        return numbers, dict(self.db.execute("SELECT stem, df FROM terms"))

    def add_term_counts(self, numbers: Mapping[str, int], df: Mapping[str, int]) -> None:
        """Add counts to the term statistics, and keep their new ``numbers``."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO terms VALUES (?, ?) ON CONFLICT DO UPDATE SET df = df + excluded.df",
                df.items(),
            )
            for key, value in numbers.items():
                self.set_note(f"terms.{key}", str(value))

    def count(self) -> int:
        """How many papers the store holds."""
        return int(self.db.execute("SELECT count(*) FROM papers").fetchone()[0])

    def newest_texts(self, limit: int) -> list[str]:
        """The title and abstract (one string each) of the newest ``limit`` papers: the store's
        own vocabulary, as its recent papers use it."""
        return [
            text for (text,) in self.db.execute(
                "SELECT title || ' ' || abstract FROM papers ORDER BY date DESC LIMIT ?", (limit,)
            )
        ]  # fmt: skip
