"""YAML read the safe way, with the line of every key path, so that a problem can say where it
is: ``topics.rl.keywords[2]: ... (line 14)``.

libyaml's parser (``yaml.CSafeLoader``) when PyYAML has it: the pure-Python one took 24 s on a
7 MB config. Aliases (``*name``) are allowed up to :data:`ALIAS_BUDGET` values reached through
them: a few hundred bytes of nested aliases stand for billions of values ("billion laughs"),
which every walk of the config (the lines, the checks) would visit one by one.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import ConfigError

KeyPath = tuple[str | int, ...]  # a place in the YAML: ("topics", "rl", "keywords", 2)

# values (scalars, lists, mappings) that aliases may add to a config in all; sharing a keyword
# list between a few topics adds hundreds
ALIAS_BUDGET = 100_000

_SafeLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def key_path(path: KeyPath) -> str:
    """``topics.rl.keywords[2]``: a key path as problems name it."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _children(node: yaml.Node) -> list[tuple[str | int | None, yaml.Node]]:
    """A node's values with their keys (a mapping's key nodes count too, keyless)."""
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[str | int | None, yaml.Node]] = []
        for key_node, value_node in node.value:
            out += [(None, key_node), (key_node.value, value_node)]
        return out
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _sizes(root: yaml.Node) -> tuple[dict[int, float], int]:
    """How many values each collection node stands for, aliases expanded (by ``id``; a node
    that contains itself stands for infinitely many), and how many values the document
    holds as written (each node once). Each node is visited once."""
    sizes: dict[int, float] = {}
    written = 1
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_: set[int] = set()  # the nodes being sized: the path down to the current one
    while stack:
        node, done = stack.pop()
        ident = id(node)
        if done:
            open_.discard(ident)
            sizes[ident] = 1 + sum(sizes.get(id(c), 1) for _, c in _children(node))
            continue
        if ident in sizes:
            continue
        if ident in open_:  # an alias to a node that holds it: endless
            sizes[ident] = float("inf")
            continue
        open_.add(ident)
        stack.append((node, True))
        children = _children(node)
        written += len(children)
        stack.extend(
            (c, False)
            for _, c in children
            if isinstance(c, yaml.CollectionNode) and id(c) not in sizes
        )
    return sizes, written


def _check_aliases(root: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases add more than :data:`ALIAS_BUDGET` values, naming the
    alias (in the document's order) with which they pass it."""
    sizes, written = _sizes(root)
    if sizes.get(id(root), 1) - written <= ALIAS_BUDGET:
        return
    added = 0.0
    seen = {id(root)}
    stack: list[tuple[yaml.Node, KeyPath, int]] = [(root, (), root.start_mark.line + 1)]
    while stack:
        node, path, _ = stack.pop()
        found = []
        if isinstance(node, yaml.MappingNode):  # at the key's own line, not the anchor's
            entries = [(k.value, v, k.start_mark.line + 1) for k, v in node.value]
        else:
            line = node.start_mark.line + 1
            entries = [(i, v, line) for i, v in enumerate(node.value)]
        for key, child, line in entries:
            if not isinstance(child, yaml.CollectionNode):
                continue
            at = path + (key,)
            if id(child) in seen:  # an alias: all it stands for comes again
                added += sizes.get(id(child), 1) - 1
                if added > ALIAS_BUDGET:
                    raise ConfigError(
                        f"{key_path(at)}: aliases (*name) stand for more than "
                        f"{ALIAS_BUDGET:,} values by here (line {line}); write the values out, "
                        "or alias less",
                        name,
                    )
                continue
            seen.add(id(child))
            found.append((child, at, line))
        stack.extend(reversed(found))
    raise ConfigError(f"aliases (*name) stand for more than {ALIAS_BUDGET:,} values", name)


def _lines(root: yaml.Node, lines: dict[KeyPath, int], problems: list[str]) -> None:
    stack: list[tuple[yaml.Node, KeyPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    line = key_node.start_mark.line + 1
                    problems.append(f"{key_path(path + (key,))}: duplicate key (line {line})")
                seen.add(key)
                stack.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (index,)) for index, item in enumerate(node.value))


def _compose(text: str, name: str, loader_class: type[Any]) -> tuple[yaml.Node | None, Any]:
    """The document's nodes and data; YAML errors as one-line ConfigErrors."""
    loader = loader_class(text)  # read once: the nodes (for their lines), then the data
    try:
        node = loader.get_single_node()
        if node is not None and "&" in text:  # no anchor, no alias
            _check_aliases(node, name)
        return node, None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:  # say it as PyYAML's own parser words it
            return _compose(text, name, yaml.SafeLoader)
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            what = (exc.problem or exc.context or "invalid YAML").strip()
            raise ConfigError(f"{where}{what}", name) from None
        raise ConfigError(f"invalid YAML: {exc}", name) from None
    finally:
        loader.dispose()


def parse_yaml(text: str, name: str) -> tuple[Any, dict[KeyPath, int]]:
    """``yaml.safe_load`` plus the line of every key path; YAML errors as one-line ConfigErrors."""
    lines: dict[KeyPath, int] = {}
    problems: list[str] = []
    node, data = _compose(text, name, _SafeLoader)
    if node is not None:
        _lines(node, lines, problems)
    if problems:
        problems.sort(key=lambda p: int(p.rsplit("(line ", 1)[1][:-1]))
        raise ConfigError(problems, name)
    return data, lines
