"""What a user starts from: ``digest init`` (a new digest folder from the starter files shipped
in the package) and ``digest templates`` (the built-in templates, to copy and edit)."""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from .errors import DigestError
from .render.env import builtin_templates, folder_files
from .writer import atomic_write

TEMPLATES_README = """\
Templates placed here replace the built-in ones file by file, by their path (site/day.html
here replaces the built-in site/day.html). `digest templates` lists them and which are
replaced; `digest templates copy site/day.html` puts a copy here to edit.
"""


def _files(root: Traversable, prefix: str = "") -> list[tuple[str, bytes]]:
    out = []
    for item in root.iterdir():
        name = prefix + item.name
        if item.is_dir():
            out += _files(item, name + "/")
        elif not item.name.startswith("."):
            out.append((name, item.read_bytes()))
    return out


def create(directory: Path) -> list[Path]:
    """Write the starter files into ``directory``; refuse when a digest.yaml is already there,
    never overwrite a file."""
    if (directory / "digest.yaml").exists():
        raise DigestError(f"{directory / 'digest.yaml'}: already exists; nothing was changed")
    files = _files(resources.files("digest") / "starter")
    files.append(("templates/README.txt", TEMPLATES_README.encode()))
    created = []
    try:
        for name, data in sorted(files):
            target = directory / name
            if target.exists():
                continue
            atomic_write(target, data)
            created.append(target)
    except OSError as exc:
        raise DigestError(f"{directory}: cannot create the digest: {exc.strerror}") from None
    return created


@dataclass(frozen=True)
class TemplateFile:
    """A template by its path (``site/day.html``): ``builtin``, whether digest ships one;
    ``yours``, whether the user's folder has one (then it is the one used)."""

    name: str
    builtin: bool
    yours: bool


def _names(folder: Path | None) -> set[str]:
    """The templates in ``folder`` by path, '/'-separated; the folder's own README is not one."""
    if folder is None or not folder.is_dir():
        return set()
    found = {p.relative_to(folder).as_posix() for p in folder_files(folder)}
    return {n for n in found if not (n.startswith("README") or n.split("/")[-1].startswith("."))}


def template_files(user_dir: Path | None) -> list[TemplateFile]:
    """Every template, built-in or the user's, by path."""
    builtin, yours = _names(builtin_templates()), _names(user_dir)
    return [TemplateFile(n, n in builtin, n in yours) for n in sorted(builtin | yours)]


def copy_templates(user_dir: Path | None, patterns: list[str]) -> list[tuple[str, bool]]:
    """Copy the built-in templates that ``patterns`` name (a path, or a glob such as
    ``site/*``) into ``user_dir``; (name, copied) each, ``False`` when the user's folder
    already has that file (it is never overwritten)."""
    if user_dir is None:
        raise DigestError(
            "the config names no templates folder: add `templates: templates` to it "
            "(the folder beside the config), then copy"
        )
    builtin = sorted(_names(builtin_templates()))
    chosen: list[str] = []
    for pattern in patterns:
        found = [n for n in builtin if fnmatch.fnmatchcase(n, pattern.strip("/"))]
        if not found:
            close = difflib.get_close_matches(pattern, builtin, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `digest templates`"
            raise DigestError(f"{pattern}: no built-in template has this name{hint}")
        chosen += [n for n in found if n not in chosen]
    done = []
    for name in chosen:
        target = user_dir / name
        if target.exists():
            done.append((name, False))
            continue
        atomic_write(target, (builtin_templates() / name).read_bytes())
        done.append((name, True))
    return done
