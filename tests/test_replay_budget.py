"""A replay at max speed plays a bounded number of rows a poll, fitted to its budget from what the
rows of the last poll cost (issue 14: a 24 h 10 Hz replay held the screen 0.6 s a tick, its
keys waiting). Time is a fake work timer: no wall time is measured here."""

from __future__ import annotations

import asyncio
import math

import pytest

from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from monitor.session import ManualClock
from monitor.session.replay import BUDGET_S, FIRST_ROWS, MIN_ROWS, ReplayController
from monitor.sources.replay import ReplaySource
from monitor.ui.replay_app import make_replay_app

T0 = 1_795_856_400
TH = load_thresholds()


class WorkTimer:
    """Each reading is `step` seconds after the last: a poll (read before and after) costs `step`."""

    def __init__(self, step: float):
        self.t, self.step = 0.0, step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


def _csv(path, n: int):
    rows = "".join(f"{T0 + i},{70 + i % 40}\n" for i in range(n))
    path.write_text("time,hr\n" + rows)
    return path


def _replay(tmp_path, timer, n: int = 20_000) -> ReplayController:
    clock = ManualClock(wall=T0, monotonic=1000.0)
    clock.work_timer = timer
    s = ReplayController(ReplaySource(load_session(_csv(tmp_path / "r.csv", n)), speed=math.inf), TH, clock=clock)
    s.session.start()
    s.poll()  # the clock starts: the first row alone
    assert s.src.row == 1
    return s


def test_a_poll_that_plays_nothing_does_not_grow_the_next(tmp_path):
    """A redraw's poll (the source on hold) plays no row and costs nothing: taken for a cheap
    poll, each one doubled the next poll's rows, until one tick played 20,000 rows at once."""
    s = _replay(tmp_path, WorkTimer(1e-6))
    rows = s.src.max_rows
    s.src.hold = True
    for _ in range(6):
        s.poll()
    s.src.hold = False
    assert s.src.row == 1 and s.src.max_rows == rows


def test_the_rows_of_a_poll_are_fitted_to_the_budget(tmp_path):
    timer = WorkTimer(1e-9)
    s = _replay(tmp_path, timer)
    s.src.max_rows = FIRST_ROWS  # (the first row alone said little)
    timer.step = 0.05  # (read twice a poll) 0.05 s for FIRST_ROWS rows
    s.poll()
    assert s.src.row == 1 + FIRST_ROWS
    assert s.src.max_rows == int(FIRST_ROWS * BUDGET_S / 0.05)
    slow = s.src.max_rows
    timer.step = 1e-6  # very cheap rows: the next poll may grow, but at most twofold
    s.poll()
    assert s.src.max_rows == 2 * slow
    timer.step = 10.0  # very dear rows: never fewer than MIN_ROWS
    s.poll()
    assert s.src.max_rows == MIN_ROWS


def test_a_manual_clock_keeps_the_rows_of_a_poll(tmp_path):
    """No work timer (a test's clock): every poll plays the same rows, whatever it cost."""
    s = _replay(tmp_path, None)
    for _ in range(3):
        s.poll()
    assert s.src.row == 1 + 3 * FIRST_ROWS and s.src.max_rows == FIRST_ROWS


@pytest.mark.slow  # the replay app under Pilot
def test_at_max_speed_each_playing_step_asks_for_the_next_at_once(tmp_path):
    rs = load_session(_csv(tmp_path / "r.csv", 20_000))
    clock = ManualClock(wall=T0, monotonic=1000.0)
    app = make_replay_app(rs, TH, speed=math.inf, clock=clock, timers=False)
    asked = []
    app._step_again = lambda: asked.append(app.replay.src.row)  # type: ignore[method-assign]

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            asked.clear()
            for _ in range(3):
                clock.advance(0.1)
                app.step()
            assert len(asked) == 3
            await pilot.press("space")  # paused: nothing to go on with
            asked.clear()
            clock.advance(0.1)
            app.step()
            assert asked == []

    asyncio.run(main())
