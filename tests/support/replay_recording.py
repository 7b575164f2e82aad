"""A simulated session recorded through the live app, with keys: the recording that the replay and
seek tests replay (one per run: the `recorded` fixture in tests/conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path

from monitor.core.alarm_types import AlarmEvent
from monitor.core.thresholds_loader import load_thresholds
from monitor.session import ManualClock
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed
from monitor.ui.app import make_app
from monitor.ui.screens import DoseScreen, NoteScreen

T0 = 1_795_856_400.0  # 2026-11-28T09:00:00Z


def key(e: AlarmEvent) -> tuple:
    """An alarm transition, every field, as the replay tests compare them."""
    return (round(e.t, 3), e.alarm, e.vital, e.priority, e.state, e.value, e.limit, e.message)


def run(app, script, size=(100, 30)):
    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


def record_replay_session(tmp_path_factory) -> Path:
    """A simulated session recorded through the live app with a fixed clock and a few keys:
    a note, acknowledgements, an audio pause and the supplemental dose."""
    folder = tmp_path_factory.mktemp("rec") / "live"
    clock = ManualClock(wall=T0, monotonic=1000.0)
    sim = SimulatorFeed(SimulatedFeed("hypertensive", seed=7, speed=60, start=T0, duration_s=3 * 3600))
    th = load_thresholds()
    app = make_app(sim, th, folder=folder, clock=clock, tz=UTC, timers=False, user="nurse", quiet=True)
    done = {"ack": 0, "pause": False, "note": False, "dose": False}

    async def script(pilot):
        # pause(0): the screen handles what is queued, without Textual's wait for the process to
        # go idle (20 ms or more each, 400 times). What is recorded depends only on the clock and
        # the keys, and `pilot.press` still waits for each key to be handled.
        for step in range(200):
            clock.advance(1.0)  # a simulated minute
            app.step()
            await pilot.pause(0)
            s = app.session
            if not done["note"] and step == 20:
                await pilot.press("n", *"patient calm", "enter")
                done["note"] = True
            if done["ack"] < 2 and any(a.state == "active" for a in s.engine.status()) and step % 7 == 0:
                await pilot.press("a")
                done["ack"] += 1
            if done["ack"] and not done["pause"]:
                await pilot.press("p")
                done["pause"] = True
            if not done["dose"] and step == 120 and s.initial_dose() is not None:
                await pilot.press("s")
                assert isinstance(app.screen, DoseScreen)
                await pilot.press("enter")
                if getattr(app.screen, "confirming", False):  # outside the window: say so, confirm
                    await pilot.press("y")
                done["dose"] = True
            await pilot.pause(0)
            assert not isinstance(app.screen, (DoseScreen, NoteScreen))
            if s.finished:
                break
        app.end_session()

    run(app, script)
    assert done == {"ack": 2, "pause": True, "note": True, "dose": True}
    return folder
