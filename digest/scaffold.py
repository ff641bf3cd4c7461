"""What a user starts from: ``digest init`` (a new digest folder from the starter files shipped
in the package, and a file that runs it every day: ``--schedule``) and ``digest templates``
(the built-in templates, to copy and edit)."""

from __future__ import annotations

import difflib
import fnmatch
import json
import shlex
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from .errors import DigestError
from .render.env import builtin_templates, folder_files
from .writer import atomic_write


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
    return _write(directory, _files(resources.files("digest") / "starter"))


def _write(directory: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write ``files`` (name, bytes) into ``directory``, none over a file already there."""
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


# --schedule KIND: the files it writes beside the config (from digest/schedule/), and how they
# are put to use
SCHEDULES = {
    "github": {".github/workflows/digest.yml": "github.yml", ".gitignore": "gitignore"},
    "cron": {"digest.cron": "digest.cron"},
    "systemd": {"digest.service": "digest.service", "digest.timer": "digest.timer"},
}
PLACEHOLDER_INSTALL = "git+https://github.com/YOUR-ACCOUNT/digest.git"


def schedule(
    directory: Path, kind: str, *, output: str = "output", state: str = ".digest"
) -> list[Path]:
    """Write the files that run the digest in ``directory`` every day (``kind``: github, cron
    or systemd), each commented with how to put it to use; a file already there is kept.
    ``output`` and ``state``: the output and store folders, relative to ``directory``."""
    folder = directory.resolve()
    digest = _command()
    values = {
        "@DIR@": shlex.quote(str(folder)),
        "@DIGEST@": " ".join(shlex.quote(part) for part in digest),
        "@OUTPUT@": output,
        "@STATE@": state,
        "@INSTALL@": install_source() or PLACEHOLDER_INSTALL,
    }
    if kind == "systemd":  # systemd quotes with double quotes only
        values["@DIR@"] = str(folder)
        values["@DIGEST@"] = " ".join(f'"{p}"' if " " in p else p for p in digest)
    files = []
    for name, source in SCHEDULES[kind].items():
        text = (resources.files("digest") / "schedule" / source).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        files.append((name, text.encode()))
    return _write(directory, files)


def _command() -> list[str]:
    """How a schedule runs this digest: the ``digest`` beside this Python (a virtual
    environment's, which needs no activating), else this Python's ``-m digest``."""
    script = Path(sys.executable).with_name("digest")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "digest"]


def install_source() -> str | None:
    """Where pip can install this digest from on another machine: the GitHub repository of the
    clone it was installed from (``pip install -e .`` in a clone of a fork), else ``None``."""
    from importlib import metadata

    try:
        found = metadata.distribution("digest").read_text("direct_url.json")
        url = json.loads(found or "{}").get("url", "")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    if not url.startswith("file://"):
        return None
    clone = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    try:
        remote = subprocess.run(
            ["git", "-C", clone, "remote", "get-url", "origin"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if remote.startswith("git@github.com:"):
        remote = "https://github.com/" + remote.removeprefix("git@github.com:")
    return f"git+{remote}" if remote.startswith("https://github.com/") else None


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
