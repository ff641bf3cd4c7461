"""JSON arrays read as a stream: one element in memory at a time, whatever the file's size.

ijson (with its C backend, yajl) parses the bytes as they come; an error is reported with the
line it is on. yajl says where an error is only by quoting the text around it, so the line is
found by looking that quote up in the last chunk read.

ijson keeps the path of every open container, so its memory grows with the square of the
nesting depth: 100 KB of ``[[[[...`` would take gigabytes. Each chunk's brackets are counted
before ijson sees it (strings included: a cheap count, 15% of the parse), and an element whose
brackets open deeper than :data:`MAX_DEPTH` is refused. The count starts again with each element
that ends, so brackets inside strings never add up over a file. So is one element of more than
:data:`MAX_ELEMENT` bytes (counted the same way: no element ended in that many bytes): ijson
would hold it whole, and a 1 GB record is an attack, not a paper.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson

from ..errors import SourceError

CHUNK = 1 << 16
_CARET = 40  # yajl's error text puts the offending byte under a caret at this column
MAX_DEPTH = 2000  # papers nest 5 deep; 2,000 levels cost ijson about 10 MB
MAX_ELEMENT = 16 << 20  # a paper is a few KB
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


class _Reader:
    """The stream as ijson reads it: the bytes already looked at given back first, and the last
    chunk and the number of lines before it remembered, to name the line of an error."""

    def __init__(self, stream: IO[bytes], head: bytes) -> None:
        self.stream = stream
        self.pending = head
        self.lines = 0  # line breaks before the last chunk
        self.last = b""
        self.size = 0
        self.depth = 0  # brackets opened since the last element that ended (strings included)
        self.ended = False  # an element ended since the last read
        self.unended = 0  # bytes read since the last element ended

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to learn whether the stream gives bytes
            return b""
        if self.pending:
            data, self.pending = self.pending, b""
        else:
            data = self.stream.read(size)
        self.lines += self.last.count(b"\n")
        self.last = data
        self.size += len(data)
        if self.ended:
            self.depth, self.ended, self.unended = 0, False, 0
        self.unended += len(data)
        if self.unended > MAX_ELEMENT:
            raise SourceError(
                f"a JSON element over {MAX_ELEMENT >> 20} MB (no paper is this big)",
                line=self.lines + 1,
            )
        brackets = data.translate(None, _NOT_BRACKETS)
        self.depth += 2 * (brackets.count(b"[") + brackets.count(b"{")) - len(brackets)
        if self.depth > MAX_DEPTH:
            raise SourceError(
                f"JSON nested more than {MAX_DEPTH:,} levels deep",
                line=self.lines + 1,
            )
        return data

    def line_of(self, message: str) -> int:
        """The line of the error yajl describes in ``message``: its quote of the text around
        the error found in the last chunk, else the last chunk's last line."""
        end = self.lines + self.last.count(b"\n") + 1
        parts = message.split("\n")
        if len(parts) < 3 or parts[2].find("^") != _CARET or "premature EOF" in parts[0]:
            return end
        quoted = parts[1].encode("utf-8", "replace")
        text = self.last.replace(b"\n", b" ").replace(b"\r", b" ")
        offset = None
        if len(quoted) > _CARET:
            found = text.find(quoted[_CARET - 30 :])  # 30 bytes of context before the error
            if found >= 0 and text.find(quoted[_CARET - 30 :], found + 1) < 0:
                offset = found + 30
        if offset is None:  # within 30 bytes of the chunk's start: the quote starts with it
            after = quoted[_CARET:]
            for before in range(30):
                if text.startswith(quoted[_CARET - before : _CARET] + after) and (
                    quoted[: _CARET - before].strip() == b""
                ):
                    offset = before
                    break
        if offset is None:
            return end
        return self.lines + self.last[:offset].count(b"\n") + 1


def _first_line(message: str) -> str:
    line = message.strip().split("\n", 1)[0].strip().rstrip(".")
    return line or "not valid JSON"


def open_document(stream: IO[bytes]) -> tuple[bytes, _Reader]:
    """The document's first significant byte (``[`` or ``{``) and a reader for ijson."""
    head = stream.read(CHUNK)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    first = head.lstrip(b" \t\r\n")[:1]
    while not first and head:
        more = stream.read(CHUNK)
        if not more:
            break
        head += more
        first = head.lstrip(b" \t\r\n")[:1]
    if not first:
        raise SourceError("empty file")
    return first, _Reader(stream, head)


def items(
    stream: IO[bytes], prefix: str = "item", expect: bytes = b"["
) -> Iterator[tuple[int, Any]]:
    """Each element (numbered from 1) of the array at ``prefix`` (``item``: the document is the
    array), for a document that starts with ``expect``. See :func:`read_items`."""
    first, reader = open_document(stream)
    if first != expect:
        kind = "an array" if expect == b"[" else "an object"
        found = first.decode(errors="replace")
        raise SourceError(f"expected a JSON document that is {kind}, found {found!r}")
    yield from read_items(reader, prefix)


def read_items(reader: _Reader, prefix: str = "item") -> Iterator[tuple[int, Any]]:
    """Each element (numbered from 1) of the array at ``prefix``. A document that is not JSON,
    or is cut short, raises SourceError with its line once the complete elements before the
    fault were given."""
    number = 0
    try:
        for number, element in enumerate(
            ijson.items(reader, prefix, use_float=True, buf_size=CHUNK), 1
        ):
            reader.ended = True
            yield number, element
    except ijson.JSONError as exc:
        raw = exc.args[0] if exc.args else ""
        message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        where = f"after element {number}" if number else "before the first element"
        if "premature EOF" in message or "Incomplete JSON content" in message:
            raise SourceError(
                f"not valid JSON: cut short {where} (truncated?)", line=reader.line_of(message)
            ) from None
        raise SourceError(
            f"not valid JSON {where}: {_first_line(message)}", line=reader.line_of(message)
        ) from None
    except UnicodeDecodeError as exc:
        offset = reader.size - len(reader.last) + exc.start
        raise SourceError(f"not UTF-8 JSON (byte {offset})") from None
