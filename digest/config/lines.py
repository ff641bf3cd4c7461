"""YAML read the safe way, with the line of every key path, so that a problem can say where it
is: ``topics.rl.keywords[2]: ... (line 14)``."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import ConfigError

KeyPath = tuple[str | int, ...]  # a place in the YAML: ("topics", "rl", "keywords", 2)


def key_path(path: KeyPath) -> str:
    """``topics.rl.keywords[2]``: a key path as problems name it."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], problems: list[str]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append(
                    f"{key_path(path + (key,))}: duplicate key (line {key_node.start_mark.line + 1})"
                )
            seen.add(key)
            _lines(value_node, path + (key,), lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, path + (index,), lines, problems)


def parse_yaml(text: str, name: str) -> tuple[Any, dict[KeyPath, int]]:
    """``yaml.safe_load`` plus the line of every key path; YAML errors as one-line ConfigErrors."""
    lines: dict[KeyPath, int] = {}
    problems: list[str] = []
    loader = yaml.SafeLoader(text)  # read once: the nodes (for their lines), then the data
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = (exc.problem or exc.context or "invalid YAML").strip()
        raise ConfigError(f"{where}{what}", name) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", name) from None
    finally:
        loader.dispose()
    if node is not None:
        _lines(node, (), lines, problems)
    if problems:
        raise ConfigError(problems, name)
    return data, lines
