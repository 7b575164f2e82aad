"""Readings from several messages into the time order the session takes them in.

A message's observations need not share its time: a cuff reading's OBX-14 is when the cuff
measured, and a gateway may send it after messages with newer numerics. The session's store takes
readings in time order only, so such a reading would be left out as out of order, or, older than
a minute, taken for a device clock set back. Here:

- `hold_s` (`live --hl7-hold`): each reading waits until readings `hold_s` newer than it have come,
  or until no message has come for `hold_s` seconds, so a late reading up to `hold_s` old is put in
  its place; the screen shows the numerics that much later. 0 (the default): at once.
- A reading older than what was handed on already, from a message that is itself in time order
  (MSH-7), is a late observation, not a clock set back: the same values at the same time again
  (a gateway that repeats the last cuff reading in each message) are let go without a word; others
  are rejected with the reason and the `--hl7-hold` that would have placed them. A message whose own
  time went back is handed on as it is: the session judges the device's clock.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import OrderedDict
from dataclasses import dataclass, field

from monitor.core.readings import Reading
from monitor.core.text import printable
from monitor.sources.csv.errors import RejectedLine

REMEMBERED = 4096  # rows handed on, kept to know a repeat from a late observation


def _same(a: Reading, b: Reading) -> bool:
    return all(x == y or (x != x and y != y) for x, y in zip(a.values(), b.values(), strict=True))


def _covered(late: Reading, held: Reading) -> bool:
    """Every value of `late` is already in `held` (a repeat, maybe with fewer vitals)."""
    return all(x != x or x == y for x, y in zip(late.values(), held.values(), strict=True))


@dataclass
class Ordered:
    readings: list[Reading] = field(default_factory=list)
    rejected: list[RejectedLine] = field(default_factory=list)


class Orderer:
    def __init__(self, hold_s: float = 0.0):
        self.hold_s = hold_s
        self.newest_out = -math.inf  # the newest time handed on
        self.newest_in = -math.inf  # the newest time seen
        self._heap: list[tuple[float, int, Reading]] = []
        self._seq = itertools.count()
        self._last_message_at: float | None = None  # monotonic
        self._handed: OrderedDict[float, Reading] = OrderedDict()

    def add(self, n: int, sent: float | None, readings: list[Reading], now: float, out: Ordered) -> None:
        """The readings of message n (made at `sent`), arrived at monotonic `now`."""
        self._last_message_at = now
        in_order = sent is None or sent >= self.newest_out - 1.0
        for r in readings:
            if r.t < self.newest_out and in_order:
                held = self._handed.get(r.t)
                if held is not None and _covered(r, held):
                    continue  # a repeat of what was handed on
                late = self.newest_out - r.t
                out.rejected.append(
                    RejectedLine(
                        n,
                        f"an observation at {printable(_stamp(r.t))} came {late:.0f} s after newer readings "
                        f"were taken and was left out (a gateway sending late readings needs --hl7-hold "
                        f"{math.ceil(late + 1):.0f} or more)",
                    )
                )
                continue
            self.newest_in = max(self.newest_in, r.t)
            heapq.heappush(self._heap, (r.t, next(self._seq), r))

    def take(self, now: float, flush: bool = False) -> list[Reading]:
        """What may be handed on now, in time order."""
        quiet = self._last_message_at is None or now - self._last_message_at >= self.hold_s
        cut = math.inf if (flush or quiet or self.hold_s <= 0) else self.newest_in - self.hold_s
        out: list[Reading] = []
        while self._heap and self._heap[0][0] <= cut:
            _t, _k, r = heapq.heappop(self._heap)
            out.append(r)
        if out:
            self.newest_out = max(self.newest_out, out[-1].t)
            for r in out:
                held = self._handed.get(r.t)
                self._handed[r.t] = r if held is None else _merge(held, r)
                self._handed.move_to_end(r.t)
            while len(self._handed) > REMEMBERED:
                self._handed.popitem(last=False)
        return out

    @property
    def held(self) -> int:
        return len(self._heap)


def _merge(a: Reading, b: Reading) -> Reading:
    return Reading(a.t, *(x if x == x else y for x, y in zip(a.values(), b.values(), strict=True)))


def _stamp(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat()
