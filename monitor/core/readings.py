"""A reading, and the columnar in-memory store that holds a session's readings.

The store keeps one numpy array per column with spare capacity (doubled when full), so appending
one reading is amortised O(1) and a time window is two `searchsorted` calls on the time column.
Times are float seconds: epoch seconds (UTC) for absolute clocks, or seconds since the start for
relative ones; readings must be appended in non-decreasing time order (sources sort first).

A vital gets its arrays only once it has a value: most recordings hold three or four of the
seven, and a day at 10 Hz would spend 7.7 MB on each of the others for nothing but NaN. Until
then it reads as a read-only view of NaN (its artifact flags as False) that takes no memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from monitor.core.vitals import NAN, VITALS, artifact_flags, mean_arterial_pressure, row_artifacts

_INITIAL_CAPACITY = 1024


@dataclass(slots=True)
class Reading:
    """One time point; absent vitals are NaN."""

    t: float
    hr: float = NAN
    sbp: float = NAN
    dbp: float = NAN
    map: float = NAN
    spo2: float = NAN
    temp: float = NAN
    rr: float = NAN

    def values(self) -> tuple[float, ...]:
        return (self.hr, self.sbp, self.dbp, self.map, self.spo2, self.temp, self.rr)

    def as_dict(self) -> dict[str, float]:
        return dict(zip(VITALS, self.values(), strict=True))


class ReadingColumns:
    """Many readings as columns (a feed's batch): what a followed file's poll parses, with no
    Python object per row. Iterating or indexing gives `Reading`s, for the paths that take rows one
    by one; the hot paths (the intake, the store, the recording) take the arrays as they are.
    `columns` may omit vitals (NaN throughout); `t` is the row times."""

    __slots__ = ("t", "columns")

    def __init__(self, t: np.ndarray, columns: dict[str, np.ndarray]):
        self.t = np.asarray(t, dtype=float)
        self.columns = {v: np.asarray(columns[v], dtype=float) for v in VITALS if v in columns}

    def __len__(self) -> int:
        return len(self.t)

    def __bool__(self) -> bool:
        return len(self.t) > 0

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ReadingColumns(self.t[i], {v: c[i] for v, c in self.columns.items()})
        return self.row(int(i))

    def row(self, i: int) -> Reading:
        cols = self.columns
        return Reading(float(self.t[i]), *(float(cols[v][i]) if v in cols else NAN for v in VITALS))

    def __iter__(self):
        t = self.t.tolist()
        lists = [self.columns[v].tolist() if v in self.columns else None for v in VITALS]
        nan = NAN
        for i, ti in enumerate(t):
            yield Reading(ti, *(c[i] if c is not None else nan for c in lists))


def rows_of(readings: list[Reading] | ReadingColumns) -> ReadingColumns:
    """The readings as columns (a list of rows converted; columns as they are)."""
    if isinstance(readings, ReadingColumns):
        return readings
    n = len(readings)
    return ReadingColumns(
        np.fromiter((r.t for r in readings), float, n),
        {v: np.fromiter((getattr(r, v) for r in readings), float, n) for v in VITALS},
    )


@dataclass
class Window:
    """A read-only view of a time range of the store."""

    t: np.ndarray
    columns: dict[str, np.ndarray]
    artifacts: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.t)


class OutOfOrderError(ValueError):
    pass


@dataclass
class VitalStore:
    """Columnar store of a session's readings."""

    _n: int = 0
    _t: np.ndarray = field(default_factory=lambda: np.empty(_INITIAL_CAPACITY))
    _cols: dict[str, np.ndarray] = field(default_factory=dict)
    _art: dict[str, np.ndarray] = field(default_factory=dict)
    _map_derived: np.ndarray = field(default_factory=lambda: np.zeros(_INITIAL_CAPACITY, bool))
    _last_valid: dict[str, int] = field(default_factory=dict)

    def _hold(self, name: str) -> None:
        """Give vital `name` its arrays (at the store's capacity), the first time it has a value."""
        if name not in self._cols:
            cap = len(self._t)
            self._cols[name] = np.full(cap, np.nan)
            self._art[name] = np.zeros(cap, bool)

    # -- writing -------------------------------------------------------------------------------

    def _reserve(self, extra: int) -> None:
        need = self._n + extra
        cap = len(self._t)
        if need <= cap:
            return
        if self._n == 0:
            cap = need  # a whole recording in one go: exactly its size (appends double it after)
        while cap < need:
            cap *= 2
        self._t = _grow(self._t, cap, np.nan)
        self._map_derived = _grow(self._map_derived, cap, False)
        for name in self._cols:
            self._cols[name] = _grow(self._cols[name], cap, np.nan)
            self._art[name] = _grow(self._art[name], cap, False)

    def append(self, reading: Reading) -> None:
        """One reading, without building arrays (the live path appends one at a time)."""
        t = reading.t
        i = self._n
        if i and t < self._t[i - 1]:
            raise OutOfOrderError("readings must be appended in time order")
        if i >= len(self._t):
            self._reserve(1)
        values = dict(zip(VITALS, reading.values(), strict=True))
        sbp, dbp = values["sbp"], values["dbp"]
        if values["map"] != values["map"] and sbp == sbp and dbp == dbp:
            values["map"] = mean_arterial_pressure(sbp, dbp)
            self._map_derived[i] = True
        bad = row_artifacts(values)
        self._t[i] = t
        for name, v in values.items():
            if v != v:
                continue
            self._hold(name)
            self._cols[name][i] = v
            if name in bad:
                self._art[name][i] = True
            else:
                self._last_valid[name] = i
        self._n = i + 1

    def extend(self, t: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Append many readings at once. `columns` may omit vitals (they stay NaN)."""
        t = np.asarray(t, dtype=float)
        k = len(t)
        if k == 0:
            return
        if np.any(np.diff(t) < 0) or (self._n and t[0] < self._t[self._n - 1]):
            raise OutOfOrderError("readings must be appended in time order")
        cols = {n: np.asarray(columns[n], dtype=float) for n in VITALS if n in columns}
        derived = np.zeros(k, bool)
        if "sbp" in cols and "dbp" in cols:
            m = cols.get("map", np.full(k, np.nan)).copy()
            derived = np.isnan(m) & ~np.isnan(cols["sbp"]) & ~np.isnan(cols["dbp"])
            m[derived] = mean_arterial_pressure(cols["sbp"][derived], cols["dbp"][derived])
            cols["map"] = m
        flags = artifact_flags(cols)
        self._reserve(k)
        lo, hi = self._n, self._n + k
        self._t[lo:hi] = t
        self._map_derived[lo:hi] = derived
        for name, values in cols.items():
            given = ~np.isnan(values)
            if name not in self._cols:
                if not given.any():
                    continue
                self._hold(name)
            self._cols[name][lo:hi] = values
            self._art[name][lo:hi] = flags[name]
            valid = np.flatnonzero(given & ~flags[name])
            if len(valid):
                self._last_valid[name] = lo + int(valid[-1])
        self._n = hi

    def pop_last(self) -> Reading:
        """Take the newest reading out again, as it was given (a derived MAP is not a reading)."""
        if not self._n:
            raise IndexError("the store is empty")
        i = self._n - 1
        values = []
        for name in VITALS:
            if name not in self._cols:
                values.append(math.nan)
                continue
            v = float(self._cols[name][i])
            values.append(math.nan if name == "map" and self._map_derived[i] else v)
            self._cols[name][i] = np.nan
            self._art[name][i] = False
        self._map_derived[i] = False
        t = float(self._t[i])
        self._n = i
        for name, k in list(self._last_valid.items()):
            if k == i:
                ok = np.flatnonzero(~np.isnan(self._cols[name][:i]) & ~self._art[name][:i])
                if len(ok):
                    self._last_valid[name] = int(ok[-1])
                else:
                    del self._last_valid[name]
        return Reading(t, *values)

    def prefix(self, j: int) -> VitalStore:
        """The first j rows as a store of their own that shares this one's arrays (nothing is
        copied): only for a caller that appends to it exactly the rows that follow here (a
        replay's seek), which writes the values the arrays already hold."""
        last = {}
        for name in self._cols:
            col, art = self._cols[name], self._art[name]
            hi, step = j, 256  # back from row j in growing steps: the cost is the distance
            while hi > 0:
                lo = max(0, hi - step)
                ok = np.flatnonzero(~np.isnan(col[lo:hi]) & ~art[lo:hi])
                if len(ok):
                    last[name] = lo + int(ok[-1])
                    break
                hi, step = lo, step * 2
        return VitalStore(j, self._t, dict(self._cols), dict(self._art), self._map_derived, last)

    def rows(self, a: int, b: int) -> VitalStore:
        """Rows [a, b) as a store of their own that shares this one's arrays, to be read only (a
        batch run over a live session's newest rows)."""
        cols = {n: c[a:b] for n, c in self._cols.items()}
        arts = {n: c[a:b] for n, c in self._art.items()}
        return VitalStore(b - a, self._t[a:b], cols, arts, self._map_derived[a:b], {})

    def last_given_before(self, name: str, j: int) -> int:
        """The newest row before j with a value of `name`, artifact or not (-1: none)."""
        col = self._cols.get(name)
        hi, step = j, 256  # back from row j in growing steps: the cost is the distance
        while col is not None and hi > 0:
            lo = max(0, hi - step)
            given = np.flatnonzero(~np.isnan(col[lo:hi]))
            if len(given):
                return lo + int(given[-1])
            hi, step = lo, step * 2
        return -1

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    @property
    def t(self) -> np.ndarray:
        return self._t[: self._n]

    def column(self, name: str) -> np.ndarray:
        col = self._cols.get(name)
        if col is None:
            _check_vital(name)
            return np.broadcast_to(np.nan, self._n)
        return col[: self._n]

    def holds(self, name: str) -> bool:
        """Whether vital `name` has had a value (a vital that never had one has no arrays)."""
        return name in self._cols

    def artifacts(self, name: str) -> np.ndarray:
        art = self._art.get(name)
        if art is None:
            _check_vital(name)
            return np.broadcast_to(False, self._n)
        return art[: self._n]

    def map_derived(self) -> np.ndarray:
        return self._map_derived[: self._n]

    def columns(self) -> dict[str, np.ndarray]:
        return {n: self.column(n) for n in VITALS}

    def present(self) -> list[str]:
        """Vitals with at least one value in the store."""
        return [n for n in VITALS if n in self._cols and np.any(~np.isnan(self.column(n)))]

    def span(self) -> tuple[float, float] | None:
        return (float(self._t[0]), float(self._t[self._n - 1])) if self._n else None

    def index_range(self, t0: float, t1: float) -> tuple[int, int]:
        """Row indices [i, j) of readings with t0 <= t <= t1."""
        t = self.t
        return int(np.searchsorted(t, t0, "left")), int(np.searchsorted(t, t1, "right"))

    def window(self, t0: float, t1: float) -> Window:
        i, j = self.index_range(t0, t1)
        return Window(
            self.t[i:j],
            {n: self.column(n)[i:j] for n in VITALS},
            {n: self.artifacts(n)[i:j] for n in VITALS},
        )

    def last_valid(self, name: str) -> tuple[float, float] | None:
        """(time, value) of the newest plausible value of a vital, or None."""
        i = self._last_valid.get(name)
        if i is None:
            return None
        return float(self._t[i]), float(self._cols[name][i])

    def previous_valid(self, name: str) -> tuple[float, float] | None:
        """The plausible value before the newest one (for a tile's trend arrow)."""
        i = self._last_valid.get(name)
        if i is None:
            return None
        col, art = self._cols[name][:i], self._art[name][:i]  # (a valid value: its arrays exist)
        ok = np.flatnonzero(~np.isnan(col) & ~art)
        if not len(ok):
            return None
        k = int(ok[-1])
        return float(self._t[k]), float(col[k])

    def valid_between(self, name: str, t0: float, t1: float, rows: int | None = None) -> np.ndarray:
        """The plausible values of a vital with t0 <= t <= t1, among the first `rows` rows."""
        i, j = self.index_range(t0, t1)
        if rows is not None:
            j = min(j, rows)
        if j <= i or name not in self._cols:
            _check_vital(name)
            return np.empty(0)
        col, art = self._cols[name][i:j], self._art[name][i:j]
        return col[~np.isnan(col) & ~art]

    def artifact_count(self) -> dict[str, int]:
        return {n: int(self.artifacts(n).sum()) for n in VITALS}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"time": self.t, **self.columns()})


def _check_vital(name: str) -> None:
    if name not in VITALS:  # as a dict of every vital's arrays said it (a typo is no empty column)
        raise KeyError(name)


def _grow(a: np.ndarray, cap: int, fill) -> np.ndarray:
    out = np.full(cap, fill, dtype=a.dtype)
    out[: len(a)] = a
    return out
