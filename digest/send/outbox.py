"""The delivery of a dry run: each message an ``.eml`` file in a folder, recorded nowhere."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..deliveries import SENT
from ..writer import atomic_write
from .plan import Outgoing


def outbox_name(address: str) -> str:
    """A file name for a subscriber's ``.eml``: the address, made safe, and a digest of it
    where it had to change."""
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", address).lstrip(".-") or "_"
    if safe != address:
        safe += "-" + hashlib.sha256(address.encode()).hexdigest()[:8]
    return safe[:200] + ".eml"


class Outbox:
    """The :class:`~digest.send.plan.Delivery` of ``--dry-run``: writes each message to
    ``folder`` (atomically), records nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, item: Outgoing) -> tuple[str, str]:
        atomic_write(self.folder / outbox_name(item.address), item.data())
        return SENT, ""

    def close(self) -> None:
        pass
