"""Long-lived objects kept out of the cyclic garbage collector's way.

The supergraph, its schemas and the query graph are tens of thousands of objects that live
as long as the process (or until a hot reload). Every full collection walks them all, and
under load that is a pause of tens of milliseconds on the event loop every few seconds.
Frozen after start-up (and again after a reload has released the old supergraph), they are
never walked; reference counting still frees whatever is dropped later.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what start-up (or a reload) left behind, then freeze what survives."""
    gc.unfreeze()  # a replaced supergraph becomes collectable again
    gc.collect()
    gc.freeze()
