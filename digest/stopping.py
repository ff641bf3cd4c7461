"""Stopping cleanly on a signal. ``timeout`` and a systemd stop send SIGTERM, a closed terminal
or a CI cancel SIGHUP, Ctrl-C SIGINT: each raises :class:`Stopped` in the main thread, as
Ctrl-C raises ``KeyboardInterrupt``, so that every ``with`` and ``finally`` on the way out
runs (transactions roll back, temporary files go, worker processes are stopped, locks are
released) and the command ends with one line.

A few steps must not be cut in two: a delivery marked as being sent and the end of its
message (:func:`held`). A signal that comes meanwhile stops the run as soon as they are done.

Python drops an exception raised where it cannot propagate (a hook run at fork, a ``__del__``):
a stop that lands there would be lost, so the request is remembered, and the long loops
(:func:`check`: each date ranked or rendered, each delivery) raise it again. Once stopping,
a second signal does not cut the way out short.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)

_held = 0
_pending: int | None = None  # a signal that came while held
_requested: int | None = None  # the signal that stops this process


class Stopped(KeyboardInterrupt):
    """The process was asked to stop (``signum``). A ``KeyboardInterrupt``: no ``except
    Exception`` takes it for a failure to carry on from."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _stop(signum: int, frame: FrameType | None) -> None:
    global _pending, _requested
    if _held:
        _pending = signum
        return
    if _requested is not None:  # stopping already: let the way out finish
        return
    _requested = signum
    raise Stopped(signum)


def requested() -> int | None:
    """The signal that stops this process, if one came."""
    return _requested


def check() -> None:
    """Raise :class:`Stopped` when a stop was asked for (its exception may have been dropped
    where it landed)."""
    if _requested is not None:
        raise Stopped(_requested)


def install() -> None:
    """Make SIGTERM, SIGHUP and SIGINT raise :class:`Stopped` (from the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        signal.signal(signum, _stop)
    if sys.unraisablehook is not _unraisable:
        global _python_unraisable
        _python_unraisable = sys.unraisablehook
        sys.unraisablehook = _unraisable


_python_unraisable = sys.unraisablehook


def _unraisable(info: Any) -> None:
    """A stop dropped where it landed is no traceback to print: :func:`check` raises it."""
    if not isinstance(info.exc_value, Stopped):
        _python_unraisable(info)


def ignore() -> None:
    """Ignore them (a worker process: the process that started it stops it)."""
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


@contextmanager
def held() -> Iterator[None]:
    """Steps a stop must not come between: a signal meanwhile stops after them."""
    global _held, _pending, _requested
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending is not None:
            signum, _pending = _pending, None
            _requested = _requested or signum
            raise Stopped(signum)
