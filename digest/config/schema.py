"""Reading a settings dataclass from YAML by its declarations (:func:`digest.model.setting`): the
known keys, the defaults and the checks all come from the fields; a key whose value is more than
its type names a *kind*, a reader registered here by name (:func:`kind`, in :mod:`.sections`).
And the config reference of the README, made from the same declarations (:func:`reference`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from .checks import MAX_NUMBER, Checker
from .lines import KeyPath

T = TypeVar("T")


@dataclass(frozen=True)
class Value:
    """One value being read: where it is, what the YAML gave (``raw``, ``None`` when absent),
    its declaration, and what its section read before it (``values``) and holds (``body``)."""

    c: Checker
    raw: Any
    path: KeyPath
    field: dataclasses.Field[Any]
    values: Mapping[str, Any]
    body: Mapping[str, Any]

    @property
    def rules(self) -> Mapping[str, Any]:
        return self.field.metadata["rules"]  # type: ignore[no-any-return]

    @property
    def default(self) -> Any:
        return default_of(self.field)


Reader = Callable[[Value], Any]
KINDS: dict[str, Reader] = {}


def kind(name: str) -> Callable[[Reader], Reader]:
    """Register the reader of a kind of value (``size``, ``sources``, ``smtp``...)."""

    def register(reader: Reader) -> Reader:
        KINDS[name] = reader
        return reader

    return register


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def declared(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields of ``cls`` that are config keys (declared with ``setting``)."""
    return [f for f in dataclasses.fields(cls) if "doc" in f.metadata]


def yaml_key(f: dataclasses.Field[Any]) -> str:
    return f.metadata["key"] or f.name


def keys(cls: type) -> set[str]:
    """The keys a section of type ``cls`` knows (a key of another section, ``email.smtp``, is
    known there by its first part)."""
    return {yaml_key(f).split(".")[0] for f in declared(cls)}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def value_type(cls: type, f: dataclasses.Field[Any]) -> Any:
    """A field's type without ``| None``."""
    hint = _hints(cls)[f.name]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = args[0] if len(args) == 1 else hint
    return hint


def read_settings(
    c: Checker,
    cls: type[T],
    raw: Any,
    path: KeyPath,
    extra: set[str] | None = None,
    **given: Any,
) -> T:
    """An instance of ``cls`` from the mapping ``raw`` at ``path``: each declared key read and
    checked (a problem is collected, the default used), unknown keys warned of. A key of another
    section (``email.smtp`` declared on the top level) is read from that section; ``extra``: keys
    of this section declared elsewhere."""
    body = c.mapping(raw, path, keys(cls) | (extra or set()))
    values: dict[str, Any] = {}
    inner: dict[str, set[str]] = {}  # section -> its keys declared here
    for f in declared(cls):
        head, _, tail = yaml_key(f).partition(".")
        if tail:
            inner.setdefault(head, set()).add(tail)
    for f in declared(cls):
        head, _, tail = yaml_key(f).partition(".")
        if tail:
            section = body.get(head)
            found = section.get(tail) if isinstance(section, dict) else None
            at: KeyPath = (*path, head, tail)
        else:
            found, at = body.get(head), (*path, head)
        values[f.name] = read_value(Value(c, found, at, f, values, body), cls, inner.get(head))
    return cls(**given, **values)


def read_value(v: Value, cls: type, extra: set[str] | None = None) -> Any:
    """One declared value: by its kind's reader, else by its type."""
    c, raw, path, rules = v.c, v.raw, v.path, v.rules
    if "kind" in rules:
        return KINDS[rules["kind"]](v)
    tp = value_type(cls, v.field)
    if dataclasses.is_dataclass(tp):
        return read_settings(c, tp, raw, path, extra)  # type: ignore[arg-type]
    if tp is bool:
        return c.flag(raw, path, v.default)
    if tp is int or tp is float:
        number = c.number(
            raw, path, v.default, minimum=rules.get("minimum", 0),
            maximum=rules.get("maximum", MAX_NUMBER), integer=tp is int,
        )  # fmt: skip
        return float(number) if tp is float else number
    if tp is dt.date:
        return c.date(raw, path)
    if typing.get_origin(tp) is tuple:
        return c.strings(raw, path, non_empty=rules.get("required", False))
    text = c.string(raw, path, required=rules.get("required", False))
    choices = rules.get("choices")
    if text is not None and choices and text not in choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
        c.fail(path, f"expected {listed}, got {text!r}")
        return v.default
    return text or v.default


# -- the reference: the README's table of every key ------------------------------------------

_TYPES = {bool: "true/false", int: "whole number", float: "number", str: "text", dt.date: "date"}
_KIND_TYPES = {
    "address": "address", "template": "template", "unsubscribe-url": "template (URL)",
    "size": "size", "hosts": "host: seconds", "port": "whole number", "env-name": "text",
    "file": "file", "folder": "folder", "path": "path", "site-url": "URL", "url": "URL",
    "contact": "text", "format": "format name", "source-name": "text", "source-path": "glob",
    "keywords": "list of text", "topic-name": "text", "sources": "list", "topics": "mapping",
    "subscribers": "list", "subscribers-file": "file", "outputs": "list of names",
    "smtp": "mapping", "examples": "list of text",
}  # fmt: skip


def _type_name(cls: type, f: dataclasses.Field[Any]) -> str:
    rules = f.metadata["rules"]
    if "kind" in rules:
        return _KIND_TYPES[rules["kind"]]
    tp = value_type(cls, f)
    if dataclasses.is_dataclass(tp):
        return "mapping"
    if typing.get_origin(tp) is tuple:
        return "list of text"
    if rules.get("choices"):
        return " \\| ".join(rules["choices"])
    return _TYPES.get(tp, "text")


def _shown(value: Any) -> str:
    """A default as the YAML would say it (``–`` for none)."""
    if value is None or value == () or value == "" or dataclasses.is_dataclass(value):
        return "–"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {v:g}" for k, v in value.items()) + "}"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, int) and value >= 1 << 20 and value % (1 << 20) == 0:
        text = f"{value >> 20}MB"
    else:
        text = str(value)
    return f"`{text}`".replace("|", "\\|")


def _rows(cls: type, prefix: str) -> Iterator[tuple[str, str, str, str]]:
    for f in declared(cls):
        if f.metadata["rules"].get("kind") == "topic-name":
            continue  # the key of the topic's entry (its own name: key only in a list)
        name = prefix + yaml_key(f)
        yield name, _type_name(cls, f), _shown(default_of(f)), f.metadata["doc"]


def sections() -> list[tuple[str, type, str]]:
    """Each part of the config the reference lists: (its heading, its dataclass, its key
    prefix)."""
    from ..model import EmailSettings, Highlights, Ranking, SiteSettings, Subscriber, Topic
    from .settings import Config, FetchSettings, SmtpSettings, SourceSpec

    return [
        ("top level", Config, ""),
        ("each of `sources`", SourceSpec, "sources[]."),
        ("each topic", Topic, "topics.NAME."),
        ("`highlights`", Highlights, "highlights."),
        ("`ranking`", Ranking, "ranking."),
        ("`site`", SiteSettings, "site."),
        ("`email`", EmailSettings, "email."),
        ("`email.smtp`", SmtpSettings, "email.smtp."),
        ("each of `subscribers`", Subscriber, "subscribers[]."),
        ("`fetch`", FetchSettings, "fetch."),
    ]


def reference() -> str:
    """The README's config reference: a table of every key, its type, default and what it
    does, made from the declarations (a test holds the README to it)."""
    lines = ["| key | type | default | what it does |", "| --- | --- | --- | --- |"]
    for _, cls, prefix in sections():
        for name, type_name, default, doc in _rows(cls, prefix):
            lines.append(f"| `{name}` | {type_name} | {default} | {doc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # `python -m digest.config.schema`: the README's reference table
    print(reference(), end="")
