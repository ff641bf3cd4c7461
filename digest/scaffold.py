"""``digest init``: a new digest folder from the starter files shipped in the package."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from .errors import DigestError
from .writer import atomic_write

TEMPLATES_README = """\
Templates placed here replace the built-in ones file by file: copy one from digest's own
templates folder (for instance site/day.html or email/day.html), keep its path, edit it.
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
