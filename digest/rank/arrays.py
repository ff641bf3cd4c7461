"""Array helpers the ranking modules share."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def expand(keys: np.ndarray, ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose keys are ``keys``, each repeated once per item its key has in a table of
    compressed rows (``ptr``: where each key's items start, and one past the last): (the row's
    index, the item's), in the rows' order."""
    import numpy as np  # here: numpy loads only when papers are ranked

    starts = ptr[keys]
    counts = ptr[keys + 1] - starts
    rows = np.repeat(np.arange(len(keys)), counts)
    at = np.arange(len(rows)) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return rows, at
