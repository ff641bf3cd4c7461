"""Loading a config: the file found and read, the YAML parsed with its lines, every key read by
its declaration, every problem reported at once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .. import collector
from ..errors import ConfigError
from . import sections, subscribers  # noqa: F401  (they register the readers of their kinds)
from .checks import Checker, kind_of
from .lines import KeyPath, parse_yaml
from .schema import read_settings
from .settings import Config

CONFIG_NAMES = ("digest.yaml", "digest.yml")


def validate(data: Any, lines: dict[KeyPath, int], root: Path, file: Path | None = None) -> Config:
    """Config from parsed YAML; raises one ConfigError listing every problem."""
    c = Checker(lines, root)
    name = str(file) if file else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping at the top level, got {kind_of(data)}", name)
    config = read_settings(c, Config, data, (), root=root, file=file)
    if config.store.is_relative_to(config.output):
        c.fail(("store",), "the store must not be inside the output folder (which is published)")
    elif (why := config.output_problem()) is not None:
        c.fail(("output",), why)
    if config.ranking.profile == 0:  # examples shape only a profile; avoid: still applies
        for topic in config.topics:
            if topic.examples:
                c.warn(
                    ("topics", topic.name, "examples"),
                    "not used: ranking.profile is 0, so no topic learns from its examples",
                )
    if c.problems:
        raise ConfigError(c.problems, name)
    return dataclasses.replace(config, warnings=tuple(c.warnings))


def find_config(start: Path | None = None) -> Path | None:
    start = start or Path.cwd()
    for name in CONFIG_NAMES:
        if (start / name).is_file():
            return start / name
    return None


def load_config(path: Path | str | None = None) -> Config:
    """Load and validate a config file (default: ``digest.yaml`` in the current folder)."""
    if path is None:
        found = find_config()
        if found is None:
            raise ConfigError(
                f"no {CONFIG_NAMES[0]} in {Path.cwd()}; give --config FILE or start one with `digest init`"
            )
        path = found
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("config file not found", str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", str(path)) from None
    with collector.paused():
        data, lines = parse_yaml(text, str(path))
        return validate(data, lines, path.parent.resolve(), path)


def config_from_text(text: str, root: Path, name: str = "<config>") -> Config:
    with collector.paused():
        data, lines = parse_yaml(text, name)
        return validate(data, lines, root)


def is_example_url(url: str) -> bool:
    """Whether ``url`` is on a domain reserved for examples (RFC 2606), as the starter's
    ``site_url`` is: links to it lead nowhere."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower().rstrip(".")
    reserved = ("example.org", "example.com", "example.net")
    return host in reserved or host.endswith(tuple("." + r for r in (*reserved, "example")))
