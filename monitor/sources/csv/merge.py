"""Rows to readings: sorted by time, rows sharing a timestamp merged into one."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from monitor.core.vitals import VITALS

__all__ = ["Merged", "sort_and_merge"]


def _longest_sorted_run(t: np.ndarray) -> int:
    """Length of the longest non-decreasing subsequence: the rows that need not move."""
    tails: list[float] = []
    for v in t.tolist():
        k = bisect.bisect_right(tails, v)
        if k == len(tails):
            tails.append(v)
        else:
            tails[k] = v
    return len(tails)


@dataclass
class Merged:
    times: np.ndarray  # sorted, unique
    columns: dict[str, np.ndarray]
    line_nos: np.ndarray  # the first line of each merged row
    out_of_order: int = 0  # fewest rows that had to move to put the rest in time order
    first_out_of_order_line: int | None = None  # the first line whose time goes backwards
    duplicate_times: int = 0  # timestamps that appeared on more than one row
    duplicate_rows: int = 0  # rows sharing those timestamps
    conflicts: int = 0  # merged timestamps where rows gave different values for a vital
    conflict_example: str | None = None
    empty_rows: int = 0  # rows with a time but no vital value (dropped)


def sort_and_merge(times: np.ndarray, columns: dict[str, np.ndarray], line_nos: np.ndarray | None = None) -> Merged:
    """Drop rows without any vital, sort by time (stable), merge rows sharing a timestamp.

    Merging combines the non-empty values of the rows; when two rows give different values for
    the same vital, the first row's (in file order) is kept.
    """
    t = np.asarray(times, dtype=float)
    n = len(t)
    lines = np.arange(1, n + 1) if line_nos is None else np.asarray(line_nos, dtype=np.int64)
    cols = {v: np.asarray(c, dtype=float) for v, c in columns.items()}
    has = np.zeros(n, bool)
    for c in cols.values():
        has |= ~np.isnan(c)
    m = Merged(t, cols, lines)
    if not has.all():
        m.empty_rows = int(n - has.sum())
        t, lines = t[has], lines[has]
        cols = {v: c[has] for v, c in cols.items()}
        n = len(t)
    if n > 1 and np.any(t[1:] < t[:-1]):
        m.out_of_order = n - _longest_sorted_run(t)
        m.first_out_of_order_line = int(lines[int(np.flatnonzero(t[1:] < t[:-1])[0]) + 1])
        order = np.argsort(t, kind="stable")
        t, lines = t[order], lines[order]
        cols = {v: c[order] for v, c in cols.items()}
    if n > 1:
        same = t[1:] == t[:-1]
        if same.any():
            new = np.r_[True, ~same]
            starts = np.flatnonzero(new)
            gid = np.cumsum(new) - 1
            sizes = np.diff(np.r_[starts, n])
            m.duplicate_times = int((sizes > 1).sum())
            m.duplicate_rows = int(sizes[sizes > 1].sum())
            pos = np.arange(n)
            conflict_groups = np.zeros(len(starts), bool)
            merged_cols = {}
            example = None
            for v in sorted(cols, key=lambda x: VITALS.index(x) if x in VITALS else 99):
                c = cols[v]
                valid = ~np.isnan(c)
                first = np.minimum.reduceat(np.where(valid, pos, n), starts)
                have = first < n
                val = np.full(len(starts), np.nan)
                val[have] = c[first[have]]
                with np.errstate(invalid="ignore"):
                    clash = valid & (c != val[gid])
                if clash.any():
                    conflict_groups[gid[clash]] = True
                    if example is None:
                        i = int(np.flatnonzero(clash)[0])
                        g = gid[i]
                        example = (
                            f"line {int(lines[i])} gives {v} {c[i]:g} where line {int(lines[first[g]])} gave {val[g]:g}"
                        )
                merged_cols[v] = val
            m.conflicts = int(conflict_groups.sum())
            m.conflict_example = example
            t, lines, cols = t[starts], lines[starts], merged_cols
    m.times, m.columns, m.line_nos = t, cols, lines
    return m
