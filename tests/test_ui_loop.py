"""How the app shares the event loop with the keys (issue 14): bounded pieces of work chained by
loop callbacks, the first frame before the first read, and the start-up's objects frozen out of
garbage collection. A manual clock; the order of things is checked, never how long they took."""

from __future__ import annotations

import asyncio
import gc

import pytest

from monitor.core.thresholds_loader import load_thresholds
from monitor.session import ManualClock
from monitor.sources.follow import FileFeed
from monitor.ui.app import make_app

pytestmark = pytest.mark.slow  # Pilot tests run the real Textual app: seconds each

T0 = 1_795_856_400
TH = load_thresholds()


def _csv(path, n: int = 5_000):
    path.write_text("time,hr\n" + "".join(f"{T0 + i / 10:.1f},{70 + i % 40}\n" for i in range(n)))
    return path


def _app(tmp_path, timers: bool, n: int = 5_000):
    clock = ManualClock(wall=T0 + 20_000, monotonic=1000.0)
    return make_app(FileFeed(_csv(tmp_path / "bed.csv", n)), TH, clock=clock, timers=timers, quiet=True)


def test_with_its_timers_the_app_draws_its_first_frame_before_the_first_read(tmp_path):
    """A key pressed as the app starts waits for the first frame only: the file's first read
    and slice come in a step of their own, straight after."""
    app = _app(tmp_path, timers=True)
    order: list[str] = []
    poll, redraw = app._poll, app._redraw
    app._poll = lambda: (order.append("poll"), poll())[1]  # type: ignore[method-assign]
    app._redraw = lambda snap: (order.append("draw"), redraw(snap))[1]  # type: ignore[method-assign]

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for _ in range(50):
                if "poll" in order:
                    break
                await pilot.pause(0.05)  # (waits for the loop callback; nothing is timed)
            assert order[0] == "draw" and "poll" in order

    asyncio.run(main())


def test_without_timers_the_first_step_polls_as_before(tmp_path):
    app = _app(tmp_path, timers=False)

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert len(app.session.store) > 0

    asyncio.run(main())


def test_the_start_ups_objects_are_frozen_while_the_app_runs(tmp_path):
    """A full collection walks every object the start made (the widgets, a replay's recording and
    checkpoints): 60-120 ms on a day's replay, a pause a key waits out. Frozen while it runs, they
    are thawed when it ends."""
    app = _app(tmp_path, timers=False)
    assert gc.get_freeze_count() == 0

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert gc.get_freeze_count() > 1000

    asyncio.run(main())
    assert gc.get_freeze_count() == 0


def test_the_timers_tick_waits_while_a_step_is_due_at_once(tmp_path):
    """While bounded pieces are chained (a backlog, a replay at max speed), the 0.25 s timer's
    tick adds no step of its own: the loop keeps its gaps for the keys."""
    app = _app(tmp_path, timers=False)

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            ticks = app.ticks
            app._soon = True
            app.step()
            assert app.ticks == ticks
            app.step(force=True)  # a key's redraw is never skipped
            assert app.ticks == ticks + 1
            app._soon = False
            app.step()
            assert app.ticks == ticks + 2

    asyncio.run(main())


def test_a_step_asking_for_another_schedules_one_loop_callback(tmp_path):
    """The next piece is a callback of the event loop, scheduled once however often it is asked
    for, and it runs as a step of its own."""
    app = _app(tmp_path, timers=False, n=100)  # (no backlog: the callback's step asks for none)

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.session.loading() is None
            app.timers = True  # (no interval timer was set: only the callback steps)
            app._step_again()
            app._step_again()
            app.step(force=True)
            assert app._soon
            ticks = app.ticks
            for _ in range(50):
                if not app._soon:
                    break
                await pilot.pause(0.02)  # (waits for the loop callback; nothing is timed)
            assert not app._soon and app.ticks == ticks + 1

    asyncio.run(main())


def test_with_its_timers_a_resize_asks_the_next_step_to_redraw(tmp_path):
    """The start sends resizes of its own: each is a full redraw in the next step, not a forced
    step queued ahead of a key pressed meanwhile."""
    app = _app(tmp_path, timers=True, n=100)

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app._soon = False  # (as if no step were due)
            ticks = app.ticks
            app.on_resize(None)
            assert app._soon and app.ticks == ticks and app._last_full == -1e18

    asyncio.run(main())
