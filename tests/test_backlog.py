"""`live` started on a file that already holds hours of data: the backlog is taken a slice a poll
(monitor.session.backlog), the progress is shown, and the alarm log is the one a single batch and
`vitals-monitor alarms` give.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from monitor.session import ManualClock, Session
from monitor.session.backlog import MIN_SLICE, Backlog
from monitor.sources.follow import FileFeed

T0 = 1_795_856_400
TH = load_thresholds()


def _file(path, n: int, hz: float = 10.0) -> None:
    """n rows at hz: HR wandering across its limits, a cuff every 15 min, a 40 s silence."""
    rows = []
    for i in range(n):
        t = T0 + i / hz
        if 3000 <= t - T0 < 3040:
            continue
        hr = 95 + 45 * math.sin(i / (hz * 600))
        cuff = f"{120 + i % 50},{80 + i % 20}," if i % int(hz * 900) == 0 else ",,"
        rows.append(f"{t:.1f},{hr:.0f},{cuff}\n")
    path.write_text("time,hr,sbp,dbp,map\n" + "".join(rows))


def _load(csv, folder, slice_rows: int | None = None) -> tuple[Session, list[float]]:
    clock = ManualClock(wall=T0 + 20_000, monotonic=1000.0)
    s = Session(FileFeed(csv), TH, folder=folder, clock=clock)
    if slice_rows is not None:
        s.backlog.slice = slice_rows
    s.start()
    progress = []
    for _ in range(10_000):
        s.poll()
        clock.advance(0.01)
        p = s.loading()
        if p is None:
            break
        progress.append(p)
    for _ in range(3):
        clock.advance(0.25)
        s.poll()
    return s, progress


def _log(engine_log):
    return [(e.alarm, e.state, round(e.t, 3)) for e in engine_log]


@pytest.mark.slow
def test_a_backlog_is_taken_in_slices_with_the_log_of_one_batch(tmp_path):
    csv = tmp_path / "bed.csv"
    _file(csv, 36_000)  # an hour at 10 Hz
    sliced, progress = _load(csv, tmp_path / "a", slice_rows=700)
    whole, _ = _load(csv, tmp_path / "b", slice_rows=10_000_000)
    assert len(progress) > 10  # it took many polls, saying how far it was
    assert progress == sorted(progress) and 0 <= progress[0] < 0.2 and progress[-1] > 0.8
    assert _log(sliced.engine.log) == _log(whole.engine.log)
    assert {e.alarm for e in sliced.engine.log} >= {"hr.upper", "hr.stale"}
    np.testing.assert_array_equal(sliced.store.t, whole.store.t)
    # And `alarms` over the recording gives that log too (one path).
    sliced.stop()
    rs = load_session(tmp_path / "a")
    rerun = AlarmEngine(TH).run(rs.store, rs.controls(), end=rs.end_time())
    assert _log(rerun) == _log(sliced.engine.log)


def test_a_small_batch_is_taken_at_once():
    b = Backlog()
    assert not b.queue([object()] * 10, False)  # type: ignore[list-item]
    assert b.progress(None) is None


def test_slices_are_sized_to_the_budget():
    b = Backlog()
    b.took(1000, 0.5)  # 0.5 ms a row: 40 rows fit in 20 ms, but never fewer than MIN_SLICE
    assert b.slice == MIN_SLICE
    for _ in range(8):  # cheap slices grow it, twofold a slice at most
        b.took(b.slice, 0.001)
    assert b.slice > 10_000


def test_one_cheap_slice_at_most_doubles_the_next():
    """A batch that fits in a slice is taken whole, untimed: an estimate grown far past what was
    measured would never be corrected (a 24 h backlog then took 80 ms a poll, keys waiting)."""
    b = Backlog()
    b.slice = 1000
    b.took(1000, 0.001)  # 1 µs a row: 20,000 would fit the budget
    assert b.slice == 2000
    b.took(2000, 0.001)
    assert b.slice == 4000
    b.took(100, 1.0)  # a slow slice shrinks it at once
    assert b.slice == MIN_SLICE


@pytest.mark.parametrize("first", [True, False])
def test_only_the_first_slice_of_a_rewritten_files_batch_says_it_may_repeat(first):
    b = Backlog()
    b.slice = 3
    assert b.queue(list(range(10)), first)  # type: ignore[arg-type]
    flags = []
    while b.waiting():
        rows, reopened = b.next_slice()
        flags.append(reopened)
    assert flags == [first, False, False, False]


def test_no_value_is_shown_as_current_while_the_backlog_loads(tmp_path):
    """The readings taken so far are hours behind the file's end: the tiles say the backlog is
    loading, never show a number as the current one, and show it once it is loaded."""
    from monitor.ui import views

    csv = tmp_path / "bed.csv"
    _file(csv, 20_000)
    clock = ManualClock(wall=T0 + 20_000, monotonic=1000.0)
    s = Session(FileFeed(csv), TH, folder=None, clock=clock, record=False)
    s.backlog.slice = 500
    s.start()
    s.poll()
    assert s.loading() is not None
    tiles = views.tile_views(s, views.snapshot(s))
    assert all(t.value == "--" and t.sub.startswith("loading backlog") for t in tiles)
    assert any("loading the file's backlog" in n.text for n in views.notices(s))
    while s.loading() is not None:
        s.poll()
        clock.advance(0.01)
    s.poll()
    hr = next(t for t in views.tile_views(s, views.snapshot(s)) if t.key == "hr")
    assert hr.value != "--" and not hr.sub.startswith("loading")


def test_a_followed_files_first_read_is_small(tmp_path):
    """The first read comes as the app starts (its rows taken whole, before the first frame's
    key); the backlog is read a larger piece a poll after it."""
    from monitor.sources.follow import BACKLOG_READ, FIRST_READ

    csv = tmp_path / "bed.csv"
    _file(csv, 20_000)
    feed = FileFeed(csv)
    feed.poll(0.0)
    first = feed.follower.offset
    assert FIRST_READ - 64 < first <= FIRST_READ
    feed.poll(0.0)
    assert first + BACKLOG_READ - 64 < feed.follower.offset <= first + BACKLOG_READ


# -- the app while a backlog loads (Pilot, a manual clock, no real timers) ----------------------


def _app(csv, folder=None):
    from monitor.ui.app import make_app

    clock = ManualClock(wall=T0 + 20_000, monotonic=1000.0)
    app = make_app(FileFeed(csv), TH, folder=folder, clock=clock, timers=False, quiet=True)
    app.session.backlog.slice = 500
    return app, clock


def _run(app, script):
    import asyncio

    async def main():
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


@pytest.mark.slow  # the bedside app under Pilot
def test_a_key_while_the_backlog_loads_is_answered_between_two_slices(tmp_path):
    """A key's redraw takes no slice: the key waits for one piece of work at most (a slice or a
    redraw), and the next step takes the next slice."""
    csv = tmp_path / "bed.csv"
    _file(csv, 20_000)
    app, clock = _app(csv)

    async def script(pilot):
        s = app.session
        assert s.loading() is not None  # the first read (on mount) was more than a slice
        taken = s.backlog.taken
        await pilot.press("w")
        assert app.window_index == 1 and s.backlog.taken == taken
        clock.advance(0.01)
        app.step()
        assert s.backlog.taken == taken + 500

    _run(app, script)


@pytest.mark.slow  # the bedside app under Pilot
def test_a_step_that_only_drew_is_followed_by_one_that_takes_a_slice(tmp_path):
    """Every step due to redraw (a slow machine, or a clock that moves a second a step): the
    steps take a slice and draw by turns, so the backlog never stalls, and it gives the same
    alarm log as one batch."""
    csv = tmp_path / "bed.csv"
    _file(csv, 20_000)
    app, clock = _app(csv)

    async def script(pilot):
        s = app.session
        rows = len(load_session(csv).store)
        for _ in range(400):
            if len(s.store) == rows:
                break
            before = len(s.store)
            for _ in range(2):
                clock.advance(1.0)
                app.step()
            assert len(s.store) > before
        assert s.loading() is None and len(s.store) == rows
        batch = AlarmEngine(TH).run(load_session(csv).store, [], end=s.store.span()[1])
        assert _log(s.engine.log)[: len(batch)] == _log(batch)

    _run(app, script)
