"""Generated bedside sessions for the differential test: what a device bridge writes, when it writes
it, and which keys the team presses, all from one seed.

A session is a list of rows (1 Hz HR, a cuff reading every few minutes, sometimes SpO2) with
excursions across the limits, sensor gaps, and a bridge that writes line by line, in bursts, or
stalls; it may split one time stamp over two writes, repeat a line, or write a row older than the
newest (out of order). `BridgeFeed` plays it to a session on a manual clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.core.readings import Reading, rows_of
from monitor.sources.feed import FeedUpdate
from tests.feeds import HandFeed

T0 = 1_795_856_400.0  # 2026-11-28T09:00:00Z
POLL_S = 0.25


@dataclass
class Plan:
    writes: list[tuple[float, Reading]]  # (real seconds after the start, reading), in write order
    keys: list[tuple[float, str]]  # (real seconds after the start, key): a p d n
    duration: float
    rows: list[Reading] = field(default_factory=list)  # what the file holds in the end, in time order


def generate(seed: int, *, keys: bool = True, disorder: bool = True, silent_end: bool = True) -> Plan:
    """disorder: also rows out of order, repeated lines and stalls (the bridge's clock problems);
    silent_end: the session may go on for a while after the last line."""
    rng = random.Random(seed)
    n = rng.randint(30, 160)
    hr = rng.uniform(60, 100)
    rows: list[Reading] = []
    gap_until = -1
    cuff_every = rng.choice((60, 120, 300))
    for k in range(n):
        if k < gap_until:
            continue
        if rng.random() < 0.01:
            gap_until = k + rng.randint(3, 40)  # the sensor is off
        mode = rng.random()
        if mode < 0.03:
            hr = rng.choice((35.0, 45.0, 112.0, 125.0, 135.0, 160.0, 250.0, 400.0))  # excursions, artifacts
        elif mode < 0.5:
            hr += rng.gauss(0, 6)
        hr = min(max(hr, 20.0), 420.0)
        vals: dict[str, float] = {"hr": round(hr)}
        if k % cuff_every == 0 or rng.random() < 0.004:
            sbp = rng.choice((95, 118, 135, 150, 162, 175, 185, 210, 80))
            vals["sbp"] = sbp
            vals["dbp"] = round(sbp * rng.uniform(0.55, 0.7))
        if rng.random() < 0.3:
            vals["spo2"] = rng.choice((97.0, 95.0, 93.0, 89.0, 85.0))
        rows.append(Reading(T0 + k, **vals))

    # When the bridge writes each row: line by line, in bursts, or after a stall.
    writes: list[tuple[float, Reading]] = []
    style = rng.choice(("lines", "bursts", "mixed") if disorder else ("lines", "bursts"))
    burst = rng.randint(3, 14)
    flush_at: dict[int, float] = {}
    stall_until = -1.0
    for r in rows:
        at = r.t - T0 + rng.uniform(0.05, 0.6)
        if disorder and stall_until < at and rng.random() < 0.01:
            stall_until = at + rng.uniform(15, 45)  # the bridge hangs, then writes everything
        if stall_until > at:
            writes.append((stall_until, r))
            continue
        bursty = style == "bursts" or (style == "mixed" and (int(r.t - T0) // 60) % 2 == 1)
        if bursty:
            # The bridge writes what it has every `burst` seconds, whatever came (a gap: fewer lines).
            window = int((r.t - T0) // burst)
            if window not in flush_at:
                flush_at[window] = (window + 1) * burst + rng.uniform(0.05, 0.6)
            writes.append((max(flush_at[window], at), r))
            continue
        if rng.random() < 0.03 and (r.sbp == r.sbp or r.spo2 == r.spo2):
            # One time stamp in two writes: the HR line, then the cuff / SpO2 line a poll later.
            writes.append((at, Reading(r.t, hr=r.hr)))
            writes.append((at + POLL_S, Reading(r.t, sbp=r.sbp, dbp=r.dbp, spo2=r.spo2)))
            continue
        writes.append((at, r))
        if disorder and rng.random() < 0.01:
            writes.append((at + 0.01, r))  # the same line again
        if disorder and rng.random() < 0.01 and r.t - T0 > 5:
            writes.append((at + 0.02, Reading(r.t - rng.randint(1, 5), hr=77.0)))  # out of order
    writes.sort(key=lambda w: w[0])  # stable: a burst keeps its order

    tail = rng.uniform(2, 30)  # the session may end after a silence
    duration = rows[-1].t - T0 + tail if silent_end else writes[-1][0] + 1.0
    plan_keys: list[tuple[float, str]] = []
    if keys:
        for _ in range(rng.randint(0, 8)):
            plan_keys.append((rng.uniform(0, duration), rng.choice("aapdn")))
        plan_keys.sort()
    return Plan(writes, plan_keys, duration, rows)


class BridgeFeed(HandFeed):
    """A followed file as the session sees it: lines become readable at their write times."""

    label = "generated bed"
    lag_s = 5.0  # as a followed file (monitor.sources.follow.FileFeed)
    splits_rows = True

    def __init__(self, plan: Plan, start_mono: float, columns: bool = True):
        self.plan = plan
        self.start = start_mono
        self.i = 0
        self.columns = columns  # deliver as a followed file does (ReadingColumns), or as rows

    def poll(self, now: float) -> FeedUpdate:
        writes = self.plan.writes
        j = self.i
        while j < len(writes) and self.start + writes[j][0] <= now:
            j += 1
        out = [r for _, r in writes[self.i : j]]
        self.i = j
        return FeedUpdate(rows_of(out) if self.columns and out else out)


def csv_text(rows: list[Reading]) -> str:
    cols = ("hr", "sbp", "dbp", "map", "spo2", "temp", "rr")
    lines = ["time," + ",".join(cols)]
    for r in rows:
        when = datetime.fromtimestamp(r.t, UTC).isoformat()
        lines.append(f"{when}," + ",".join("" if math.isnan(getattr(r, c)) else f"{getattr(r, c):g}" for c in cols))
    return "\n".join(lines) + "\n"
