"""Quitting while the disk is still full: the quit dialog says what is unwritten and offers to wait
or to write elsewhere, and nothing is lost unless the user ends anyway.

It used to end the session at once, discarding everything held in memory (34,120 readings, a note,
the stop event), and still print "session recorded in".
"""

from __future__ import annotations

import pytest

from monitor.commands.live import _say_what_was_recorded
from monitor.recording import SessionError, SessionRecorder, load_session
from monitor.ui.screens import QuitScreen
from tests.support.screen import screen_text
from tests.support.ui import T0, build, events, run, seconds


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    monkeypatch.setattr(QuitScreen, "RETRY_EVERY_S", 0.2)  # the test waits less, the dialog works the same
    monkeypatch.chdir(tmp_path)  # folders are typed relative to it: fewer key presses
    """The disk of tmp_path/sess refuses every write while `full["now"]`; other folders work."""
    full = {"now": False}
    original = SessionRecorder._write

    def write(recorder, f, text):
        if full["now"] and recorder.folder == tmp_path / "sess":
            raise SessionError(f"cannot write to '{recorder.folder}': No space left on device")
        original(recorder, f, text)

    monkeypatch.setattr(SessionRecorder, "_write", write)
    return full


async def _fill_then_fail(pilot, feed, clock, full):
    await seconds(pilot, feed, clock, T0, 5, hr=70)
    full["now"] = True
    await seconds(pilot, feed, clock, T0 + 5, 20, hr=72)
    app = pilot.app
    app.session.add_note("while the disk was full")
    app.step()
    await pilot.pause()
    held, why = app.session.unwritten()
    assert held == "20 reading(s) and 3 event(s)" and "No space left" in (why or "")


@pytest.mark.slow
def test_the_quit_dialog_says_how_much_is_unwritten_and_waits_for_the_disk(tmp_path, full_disk):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await _fill_then_fail(pilot, feed, clock, full_disk)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        text = screen_text(app)
        assert "20 reading(s) and 3 event(s) are not written yet" in text
        assert "No space left" in text and "ending now loses them" in text
        await pilot.press("w")
        await pilot.pause(0.5)
        assert isinstance(app.screen, QuitScreen) and app.is_running  # still full: it waits
        assert "waiting for the disk" in screen_text(app)
        full_disk["now"] = False  # space again
        await pilot.pause(0.6)

    run(app, script, size=(100, 30))
    assert app.ended
    rs = load_session(tmp_path / "sess")
    assert len(rs.store) == 25
    kinds = [e["kind"] for e in events(tmp_path / "sess")]
    assert "note" in kinds and kinds[-1] == "stop"
    assert _say_what_was_recorded(app.session, tmp_path / "sess", announce=False) == 0


@pytest.mark.slow
def test_the_quit_dialog_writes_everything_into_another_folder(tmp_path, full_disk, capsys):
    app, feed, clock = build(tmp_path)
    other = tmp_path / "usb" / "bed3"

    async def script(pilot):
        await _fill_then_fail(pilot, feed, clock, full_disk)
        await pilot.press("q", "e")
        await pilot.press("u", "s", "b", "slash", "b", "e", "d", "3")
        await pilot.press("enter")
        await pilot.pause()

    run(app, script, size=(100, 30))
    assert app.ended
    rs = load_session(other)
    assert len(rs.store) == 25 and rs.label == load_session(tmp_path / "sess").label
    kinds = [e["kind"] for e in events(other)]
    assert kinds.count("start") == 1 and "note" in kinds and kinds[-1] == "stop"
    assert "moved here" in (other / "monitor.log").read_text()
    assert _say_what_was_recorded(app.session, tmp_path / "sess", announce=True) == 0
    assert f"session recorded in {other}" in capsys.readouterr().out


@pytest.mark.slow
def test_ending_anyway_says_what_was_lost_and_exits_1(tmp_path, full_disk, capsys):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await _fill_then_fail(pilot, feed, clock, full_disk)
        await pilot.press("q", "y")
        await pilot.pause()

    run(app, script, size=(100, 30))
    assert app.ended
    assert _say_what_was_recorded(app.session, tmp_path / "sess", announce=True) == 1
    err = capsys.readouterr()
    assert "could not be written" in err.err and "session recorded in" not in err.out


@pytest.mark.slow
def test_a_folder_that_is_not_empty_is_refused_and_the_dialog_stays(tmp_path, full_disk):
    app, feed, clock = build(tmp_path)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("mine\n")

    async def script(pilot):
        await _fill_then_fail(pilot, feed, clock, full_disk)
        await pilot.press("q", "e")
        await pilot.press("b", "u", "s", "y")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen) and "is not empty" in screen_text(app)
        await pilot.press("escape", "escape")
        assert not isinstance(app.screen, QuitScreen) and app.is_running

    run(app, script, size=(100, 30))
    assert not app.ended


def test_the_session_writes_what_it_holds_into_another_folder(tmp_path, full_disk):
    """Without a screen: the session's own calls behind the dialog."""
    from monitor.core.readings import Reading
    from monitor.session import ManualClock, Session
    from tests.support.ui import TH, ListFeed

    feed, clock = ListFeed(), ManualClock(wall=T0, monotonic=1000.0)
    s = Session(feed, TH, folder=tmp_path / "sess", clock=clock)
    s.start()
    for k in range(30):
        full_disk["now"] = k >= 10
        feed.push(Reading(T0 + k, hr=70 + k % 3))
        s.poll()
        clock.advance(1.0)
    held, why = s.unwritten()
    assert held.startswith("20 reading(s)") and "No space left" in (why or "")
    assert s.retry_writing() > 0  # still full
    assert "is not empty" in (s.write_elsewhere(tmp_path) or "")
    assert s.write_elsewhere(tmp_path / "other") is None
    assert s.unwritten() == ("", None)
    s.stop()
    rs = load_session(tmp_path / "other")
    assert len(rs.store) == 30 and list(rs.store.t) == [T0 + k for k in range(30)]
    assert events(tmp_path / "other")[-1]["kind"] == "stop"
