"""Pausing Python's cyclic garbage collector around bulk work. Pure: no I/O; core and edges both use it.

Loading, assessing, planning and rendering a province allocate millions of small acyclic objects, and every
full collection rescans all of them: measured 3-5x slower loads, plans and renders. Nothing on those paths
builds reference cycles that need collecting, so the collector is paused for the duration and restored
afterwards. Nesting is safe: only the outermost pause turns it back on.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block (or the decorated function) and restore its state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
