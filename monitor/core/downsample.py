"""Min/max bucketing for drawing: fewer points, every extreme kept.

Each bucket of consecutive samples contributes its minimum and its maximum (in time order), so the
drawn line reaches exactly the raw extremes however far it is zoomed out. NaN (not measured) is
skipped; the first and last valid samples are always kept.
"""

from __future__ import annotations

import numpy as np


def minmax_downsample(t: np.ndarray, v: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about 2 × `buckets` points from the valid samples of (t, v), extremes included."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    ok = ~np.isnan(v)
    t, v = t[ok], v[ok]
    n = len(v)
    if buckets <= 0 or n <= 2 * buckets:
        return t, v
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    starts = edges[:-1]
    bucket_of = np.repeat(np.arange(buckets), np.diff(edges))
    keep = [np.array([0, n - 1])]
    for reduce in (np.minimum, np.maximum):
        extreme = reduce.reduceat(v, starts)
        hits = np.flatnonzero(v == extreme[bucket_of])
        b = bucket_of[hits]
        first = np.ones(len(hits), bool)
        first[1:] = b[1:] != b[:-1]
        keep.append(hits[first])  # the first sample in each bucket that reaches the extreme
    rows = np.unique(np.concatenate(keep))
    return t[rows], v[rows]
