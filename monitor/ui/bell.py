"""When the terminal bell rings: a pattern per priority (no Textual here).

Bedside monitors sound high-priority alarms as a burst of pulses every ~10 s, medium ones as a
shorter burst every ~25 s and low ones once (EDAN, Comen; docs/clinical.md). A terminal has one sound,
the bell, and many terminals merge bells that come too close, so the bursts here are short:

- high:      3 bells (one per UI tick, 0.25 s apart) every 10 s;
- medium:    2 bells every 25 s (technical alarms sound like medium ones);
- low:       1 bell when the alarm starts, then silence;
- a reminder of an acknowledged alarm that still holds: 1 bell, also when nothing else sounds
  (an acknowledged alarm is silent: its reminders are the only sound it makes).

The rank to sound comes from the session (`Session.audible_rank`), which honours the audio
pause and lets a higher-priority alarm break through it. A rise in rank starts its pattern at once.
Reminders do not break through the pause: the caller passes none while the audio is paused.
"""

from __future__ import annotations

import math

PATTERNS = {3: (3, 10.0), 2: (2, 25.0)}  # rank -> (bells per burst, seconds between bursts)


class BellPattern:
    def __init__(self) -> None:
        self.rank = 0
        self.next_burst = -math.inf
        self.pending = 0
        self.rung = 0  # bells rung in all (tests)

    def step(self, now: float, rank: int, onsets: int = 0, reminders: int = 0) -> bool:
        """Called once per UI tick; True when the bell should ring now.

        `onsets`: alarms that started (or escalated) since the last step and can be heard now;
        `reminders`: reminders that fell due since the last step and can be heard now (one bell,
        whatever `rank` is: 0 when every alarm is acknowledged).
        """
        if rank <= 0:
            self.rank, self.next_burst = 0, -math.inf
            self.pending = 1 if reminders else 0
            return self._ring()
        if rank > self.rank:
            self.next_burst = now  # a higher priority starts its own pattern at once
            self.pending = 1 if rank == 1 else 0
        self.rank = rank
        if rank in PATTERNS:
            if now >= self.next_burst:
                burst, period = PATTERNS[rank]
                self.pending = max(self.pending, burst)
                self.next_burst = now + period
        elif onsets:
            self.pending = max(self.pending, 1)  # low: once when it starts
        if reminders:
            self.pending = max(self.pending, 1)
        return self._ring()

    def _ring(self) -> bool:
        if self.pending:
            self.pending -= 1
            self.rung += 1
            return True
        return False
