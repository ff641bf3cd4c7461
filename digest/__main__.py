"""The ``digest`` program: ``python -m digest`` and the installed ``digest`` command."""

from __future__ import annotations

import gc


def start() -> None:
    """Load the program with the garbage collector off (nothing loading makes garbage, and its
    passes over the growing heap took 5-9 ms of a daily build), then run it."""
    gc.disable()
    try:
        from .cli import run
    finally:
        gc.enable()
    run()


if __name__ == "__main__":
    start()
