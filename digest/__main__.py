"""The ``digest`` program: ``python -m digest`` and the installed ``digest`` command."""

from __future__ import annotations

import gc
import sys


def start() -> None:
    """Load the program with the garbage collector off (nothing loading makes garbage, and its
    passes over the growing heap took 5-9 ms of a daily build), then run it. A stop signal
    (SIGTERM, SIGHUP, Ctrl-C) stops it cleanly from the start."""
    from . import stopping

    stopping.install()
    gc.disable()
    try:
        from .cli import run
    except stopping.Stopped as stop:  # while loading: nothing done yet
        sys.exit(128 + stop.signum)
    except Exception:  # a stop that landed where Python wraps it (a class being made)
        if (signum := stopping.requested()) is None:
            raise
        sys.exit(128 + signum)
    finally:
        gc.enable()
    run()


if __name__ == "__main__":
    start()
