"""No one in: what a file, a file name or an option holds never acts on the terminal, a link planted
in a session folder never sends health data elsewhere, everything made is owner-only whatever the
umask, a full disk never leaves a session unreadable, and a killed report leaves nothing behind.

The screen is checked where it matters, at the terminal: the Textual app runs under Pilot with a
driver that keeps every byte the app would write to the terminal (Textual's headless driver
discards them), and what it wrote is checked for any control character other than the sequences
Textual itself draws with (colours, cursor moves, the mouse pointer's shape).
"""

from __future__ import annotations

import asyncio
import errno
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC
from pathlib import Path

import pytest
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Static

import monitor.recording.recorder as recorder_mod
from monitor.commands.main import main as cli_main
from monitor.commands.options import fail
from monitor.core.readings import Reading
from monitor.core.text import printable
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import SessionError, SessionRecorder, load_session
from monitor.recording.loader import read_meta
from monitor.session import ManualClock, Session
from monitor.session.headless import run_headless
from monitor.sources.follow import FileFeed
from monitor.ui.app import make_app
from monitor.ui.replay_app import make_replay_app
from monitor.ui.screens import HelpScreen, QuitScreen
from tests.feeds import HandFeed
from tests.support.screen import screen_text

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_795_856_400.0  # 2026-11-28T09:00:00Z
TH = load_thresholds()

# What was seen reaching the terminal: a title change (OSC 2), a clipboard write (OSC 52), a clear.
TITLE = "\x1b]2;pwned\x07"
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"
CLEAR = "\x1b[2J"
EVIL = f"P-001{TITLE}{CLIPBOARD}{CLEAR}\x9b31m"  # (and a C1 CSI)
SHOWN = printable(EVIL)  # the escaped form a person reads: P-001\x1b]2;pwned\x07...

# The sequences Textual itself writes to draw: colours (SGR), cursor moves, private modes, the
# mouse pointer's shape (OSC 22). Anything else with a control character came from the data.
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;]*m|\x1b\[[0-9]+;[0-9]+H|\x1b\[\?[0-9]+[hl]|\x1b\]22;[a-z-]+\x07")
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def foreign_controls(raw: str) -> list[str]:
    """Control characters in `raw` other than Textual's own sequences, each with what follows it."""
    rest = TEXTUAL_OWN.sub("", raw)
    return [repr(rest[m.start() : m.start() + 16]) for m in CONTROL.finditer(rest)]


class TerminalCapture(HeadlessDriver):
    """Textual's headless driver, except that the app renders to it as to a terminal, and every
    byte it writes is kept (in `written`, a list the test hands in through the class)."""

    written: list[str] = []

    @property
    def is_headless(self) -> bool:
        return False  # (so the app renders: Textual skips rendering for a headless driver)

    def write(self, data: str) -> None:
        self.written.append(data)

    def flush(self) -> None:
        pass


def on_terminal(app: App, script, size=(110, 32)) -> str:
    """Run `script(pilot)` on `app`; what the app wrote to the terminal."""
    written: list[str] = []
    app.driver_class = type("Capture", (TerminalCapture,), {"written": written})

    async def go():
        async with app.run_test(headless=False, size=size) as pilot:
            await pilot.pause()
            await script(pilot)
            await pilot.pause()

    asyncio.run(go())
    return "".join(written)


class ListFeed(HandFeed):
    def __init__(self, label: str = "bed"):
        self.pending: list[Reading] = []
        self.label = label

    def push(self, *readings: Reading) -> None:
        self.pending.extend(readings)

    def poll(self, now):
        from monitor.sources.feed import FeedUpdate

        out, self.pending = FeedUpdate(self.pending), []
        return out


# ====================================================================== 1. no escape reaches a screen


def test_the_probe_sees_an_escape_sequence_that_reaches_the_terminal():
    """The check below is not blind: a widget given the raw text does send it to the terminal."""

    class Raw(App):
        def compose(self):
            yield Static(f"label {EVIL}", markup=False)

    raw = on_terminal(Raw(), lambda pilot: asyncio.sleep(0))
    found = foreign_controls(raw)
    assert any("]2;pwned" in f for f in found) and any("[2J" in f for f in found), found


@pytest.mark.slow
def test_a_label_and_a_folder_name_reach_the_bedside_screen_and_its_dialogs_escaped(tmp_path):
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = ListFeed()
    folder = tmp_path / f"rec{CLEAR}{TITLE}"
    app = make_app(feed, TH, folder=folder, label=EVIL, clock=clock, tz=UTC, timers=False, user="nurse", bell=list)
    seen = {}

    async def script(pilot):
        feed.push(*(Reading(T0 + k, hr=70.0) for k in range(5)))
        clock.advance(5)
        app.step(True)
        await pilot.pause()
        seen["main"] = screen_text(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        seen["help"] = screen_text(app)
        await pilot.press("escape", "q")
        assert isinstance(app.screen, QuitScreen)
        seen["quit"] = screen_text(app)
        await pilot.press("n")

    raw = on_terminal(app, script)
    assert foreign_controls(raw) == []
    assert SHOWN[:40] in seen["main"]  # the header shows the label, escaped
    assert printable(TITLE) in seen["help"] and printable(TITLE) in seen["quit"]  # the folder's name
    assert app.title == printable(f"vitals-monitor · LIVE · {EVIL}")


@pytest.mark.slow
def test_a_followed_file_s_name_and_a_column_name_reach_the_screen_escaped(tmp_path):
    path = tmp_path / f"bed{TITLE}.csv"
    rows = "".join(f"{T0 + k:.0f},{70 + k},97\n" for k in range(5))
    # The bridge restarts with another column set: the new header is named in the event log.
    path.write_text(
        f"time,hr,spo2\n{rows}"
        + f'time,hr,"{CLIPBOARD}{CLEAR}"\n'
        + "".join(f"{T0 + 5 + k:.0f},{80 + k},1\n" for k in range(3))
    )
    clock = ManualClock(wall=T0 + 5, monotonic=1000.0)
    app = make_app(
        FileFeed(path), TH, folder=tmp_path / "rec", clock=clock, tz=UTC, timers=False, user="nurse", bell=list
    )
    seen = {}

    async def script(pilot):
        for _ in range(3):
            clock.advance(1)
            app.step(True)
        await pilot.pause()
        seen["main"] = screen_text(app)

    raw = on_terminal(app, script, size=(200, 40))
    assert foreign_controls(raw) == []
    assert printable(f"bed{TITLE}") in seen["main"]  # the label is the file's name
    assert printable(CLIPBOARD) in seen["main"]  # the new header's column, named in the event log


@pytest.mark.slow
def test_labels_and_notes_of_a_replayed_session_reach_the_screen_escaped(tmp_path):
    folder = tmp_path / "s"
    rec = SessionRecorder(folder, label=EVIL, source=f"bridge{CLEAR}", thresholds=TH, start=T0)
    rec.readings([Reading(T0 + k, hr=70.0 + (60 if 100 <= k < 200 else 0)) for k in range(600)])
    rec.event(T0 + 50, "note", text=f"calm{CLIPBOARD}")
    rec.close()
    rs = load_session(folder)
    app = make_replay_app(rs, TH, speed=float("inf"), clock=ManualClock(wall=T0, monotonic=0.0), tz=UTC, timers=False)
    seen = {}

    async def script(pilot):
        await pilot.press("end")
        await pilot.pause()
        seen["main"] = screen_text(app)
        for key in ("x", "escape", "question_mark", "escape", "home"):
            await pilot.press(key)
            await pilot.pause()

    raw = on_terminal(app, script, size=(160, 40))
    assert foreign_controls(raw) == []
    assert SHOWN[:40] in seen["main"]
    assert printable(f"calm{CLIPBOARD}") in seen["main"]  # the note, in the event log


def test_headless_lines_are_printable(tmp_path):
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = ListFeed()
    feed.push(*(Reading(T0 + k, hr=150.0) for k in range(60)))
    session = Session(feed, TH, folder=tmp_path / f"rec{TITLE}", label=EVIL, clock=clock)
    session.tz = UTC
    out = io.StringIO()
    run_headless(session, out=out, tick_s=0.0, max_seconds=0.2)
    text = out.getvalue()
    assert CONTROL.findall(text.replace("\n", "")) == []
    assert SHOWN in text and printable(TITLE) in text  # the label, and the folder's name


def test_monitor_log_entries_are_printable_and_cannot_forge_an_entry(tmp_path):
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = ListFeed()
    feed.push(Reading(T0, hr=70.0))
    session = Session(feed, TH, folder=tmp_path / "rec", label="bed", clock=clock)
    session.start()
    session.poll()
    session.write_log_line(f"report not written: '{EVIL}'\n2026-11-28T09:00:00 forged entry")
    session.stop()
    log = (tmp_path / "rec" / "monitor.log").read_text(encoding="utf-8")
    assert CONTROL.findall(log.replace("\n", "")) == []
    assert SHOWN in log
    # A line break inside an entry continues it, indented: no line starts like an entry of its own.
    assert "\n    2026-11-28T09:00:00 forged entry" in log
    assert [ln for ln in log.splitlines() if "forged" in ln and not ln.startswith(" ")] == []


def test_command_line_errors_name_a_path_printably(tmp_path, capsys):
    assert fail(f"cannot read '{tmp_path}/x\nvitals-monitor: all clear{TITLE}'") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and CONTROL.findall(err.replace("\n", "")) == []
    assert "x\\nvitals-monitor: all clear\\x1b]2;pwned\\x07'" in err
    # Through a command: a CSV with such a name, and a config error naming it.
    for args in (["alarms", str(tmp_path / f"x{TITLE}.csv")], ["check-config", str(tmp_path / f"t{CLEAR}.toml")]):
        assert cli_main(args) == 2
        err = capsys.readouterr().err
        assert CONTROL.findall(err.replace("\n", "")) == [] and "Traceback" not in err, err
        assert printable(TITLE if args[0] == "alarms" else CLEAR) in err


# ============================================================= 2. links never redirect health data


def test_a_recording_folder_that_is_a_link_is_refused_and_its_target_left_alone(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.chmod(target, 0o755)
    link = tmp_path / "rec"
    link.symlink_to(target)
    with pytest.raises(SessionError) as e:
        SessionRecorder(link, label="P-001", start=T0)
    assert str(e.value) == f"'{link}' is a symbolic link: a session is recorded only into a real folder"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 and list(target.iterdir()) == []


@pytest.mark.parametrize("name", ["readings.csv", "events.jsonl", "session.json", "monitor.log"])
def test_a_link_planted_in_the_folder_is_refused_and_raises_the_recording_alarm(tmp_path, name):
    folder = tmp_path / "rec"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    os.chmod(victim, 0o644)
    (folder / name).symlink_to(victim)
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = ListFeed()
    session = Session(feed, TH, folder=folder, label="bed", clock=clock)
    session.start()
    for k in range(5):
        feed.push(Reading(T0 + k, hr=70.0))
        clock.advance(1)
        session.poll()
    alarm = next(a for a in session.alarms() if a.alarm == "record.write")
    assert alarm.priority == "high"
    assert f"'{folder / name}' is a symbolic link: health data is never written through a link" in alarm.message
    session.stop()
    assert victim.read_text() == "someone else's file\n" and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert (folder / name).is_symlink()  # left as found, for whoever looks into it
    assert len(session.store) == 5  # monitoring went on


def test_a_dangling_link_creates_no_file_outside_the_folder(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    outside = tmp_path / "outside.csv"
    (folder / "readings.csv").symlink_to(outside)
    with pytest.raises(SessionError, match="is a symbolic link"):
        SessionRecorder(folder, label="P-001", start=T0)
    assert not outside.exists()


def test_a_fifo_in_the_folder_is_refused_without_hanging(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    os.mkfifo(folder / "events.jsonl")
    with pytest.raises(SessionError) as e:
        SessionRecorder(folder, label="P-001", start=T0)
    assert (
        str(e.value)
        == f"'{folder / 'events.jsonl'}' is not a regular file: health data is written only to regular files"
    )


# =============================================================== 3. owner-only, whatever the umask


@pytest.fixture
def open_umask():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def test_resuming_makes_loosened_files_owner_only_again(tmp_path, open_umask):
    folder = tmp_path / "rec"
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = ListFeed()
    session = Session(feed, TH, folder=folder, label="bed", clock=clock)
    session.start()
    feed.push(Reading(T0, hr=70.0))
    session.poll()
    session.stop()
    names = ("readings.csv", "events.jsonl", "session.json", "monitor.log")
    for name in names:
        os.chmod(folder / name, 0o644)  # e.g. copied back from a backup
    os.chmod(folder, 0o755)
    session = Session(ListFeed(), TH, folder=folder, label="bed", clock=clock, resume=load_session(folder))
    session.start()
    session.stop()
    assert mode(folder) == 0o700
    assert {name: oct(mode(folder / name)) for name in names} == {name: "0o600" for name in names}


def test_a_report_into_new_folders_makes_them_owner_only(tmp_path, open_umask, capsys):
    folder = tmp_path / "s"
    rec = SessionRecorder(folder, label="P-001", thresholds=TH, start=T0)
    rec.readings([Reading(T0 + k, hr=70.0) for k in range(120)])
    rec.close()
    out = tmp_path / "new" / "dir" / "x.html"
    assert cli_main(["report", str(folder), "-o", str(out), "--plotlyjs", "cdn"]) == 0, capsys.readouterr().err
    assert (mode(tmp_path / "new"), mode(tmp_path / "new" / "dir"), mode(out)) == (0o700, 0o700, 0o600)


def test_a_strict_umask_still_gives_usable_owner_only_folders(tmp_path):
    old = os.umask(0o277)  # folders would be made 0500
    try:
        _record_a_little(tmp_path / "a" / "b" / "rec")
    finally:
        os.umask(old)
    for p in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "rec"):
        assert mode(p) == 0o700, p
    for name in ("readings.csv", "events.jsonl", "session.json"):
        assert mode(tmp_path / "a" / "b" / "rec" / name) == 0o600, name


def _record_a_little(folder: Path) -> None:
    rec = SessionRecorder(folder, label="P-001", thresholds=TH, start=T0)
    rec.readings([Reading(T0 + k, hr=70.0) for k in range(3)])
    rec.close()


# =================================================== 4. a full disk as the recording opens, and after


class FullDisk:
    """ENOSPC for every write into one folder while `full`; the rest of the machine is unaffected."""

    def __init__(self, folder: Path):
        self.folder = str(folder)
        self.full = True
        self.refused = 0

    def here(self, fd: int) -> bool:
        try:
            return os.readlink(f"/proc/self/fd/{fd}").startswith(self.folder)
        except OSError:
            return False


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    disk = FullDisk(tmp_path / "rec")
    real_write = os.write

    def write(fd, data):
        if disk.full and disk.here(fd):
            disk.refused += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    class Raw(io.RawIOBase):  # the recorder's files, written through os.write as well
        def __init__(self, fd):
            self.fd = fd

        def writable(self):
            return True

        def fileno(self):
            return self.fd

        def write(self, b):
            return write(self.fd, bytes(b))

        def close(self):
            if not self.closed:
                os.close(self.fd)
            super().close()

    def open_private(path, mode="a"):
        flags = os.O_RDWR | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
        return io.TextIOWrapper(io.BufferedWriter(Raw(os.open(path, flags, 0o600))), encoding="utf-8", newline="")

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(recorder_mod, "_open_private", open_private)
    return disk


def test_a_full_disk_as_the_recording_opens_leaves_no_empty_session_json(tmp_path, full_disk):
    folder = tmp_path / "rec"
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = ListFeed()
    session = Session(feed, TH, folder=folder, label="bed", clock=clock)
    session.start()
    for k in range(10):
        feed.push(Reading(T0 + k, hr=70.0))
        clock.advance(1)
        session.poll()
        if k == 4:
            assert full_disk.refused > 0
            assert not (folder / "session.json").exists()  # never a cut one
            assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
            full_disk.full = False
    assert not any(a.alarm == "record.write" for a in session.alarms())
    assert not any(a.alarm.startswith("internal") for a in session.alarms())
    session.stop()
    rs = load_session(folder)
    assert len(rs.store) == 10 and rs.label == "bed"
    assert json.loads((folder / "session.json").read_text())["label"] == "bed"


@pytest.mark.parametrize("left", ["", '{\n  "format_version": 2,\n  "id": "ab'], ids=["empty", "cut"])
def test_a_session_json_left_cut_by_an_older_version_is_written_anew_when_nothing_was_recorded(tmp_path, left):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "session.json").write_text(left)
    _record_a_little(folder)
    rs = load_session(folder)
    assert rs.label == "P-001" and len(rs.store) == 3


def test_a_session_json_left_empty_beside_readings_is_one_sentence_everywhere(tmp_path, capsys):
    folder = tmp_path / "rec"
    _record_a_little(folder)
    meta = folder / "session.json"
    meta.write_text("")
    empty = f"'{meta}' is empty: the session's details were never written whole"
    with pytest.raises(SessionError) as e:
        read_meta(meta)
    assert str(e.value) == empty
    with pytest.raises(SessionError) as e:
        SessionRecorder(folder, label="P-001", start=T0)
    assert str(e.value) == f"{empty}; the folder holds readings already: nothing more is recorded into it"
    for command in ("alarms", "report"):
        assert cli_main([command, str(folder)]) == 2
        err = capsys.readouterr().err
        assert err == f"vitals-monitor: {empty}\n", err
    # A live session into that folder raises the recording alarm and goes on monitoring.
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = ListFeed()
    session = Session(feed, TH, folder=folder, label="bed", clock=clock)
    session.start()
    feed.push(Reading(T0 + 10, hr=70.0))
    session.poll()
    alarm = next(a for a in session.alarms() if a.alarm == "record.write")
    assert empty in alarm.message and len(session.store) == 1
    session.stop()


# ========================================================== 5. a killed report leaves nothing behind


def _session_for_report(folder: Path) -> None:
    rec = SessionRecorder(folder, label="P-001", thresholds=TH, start=T0)
    rec.readings([Reading(T0 + k, hr=70.0) for k in range(120)])
    rec.close()


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".report.html.") and p.name.endswith(".tmp"))


def test_the_next_report_removes_the_temporary_files_of_dead_writers_only(tmp_path):
    from monitor.report import write_report

    folder = tmp_path / "s"
    _session_for_report(folder)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for name in (
            f".report.html.{dead.pid}.1a2b3c4d.tmp",  # killed while writing
            ".report.html.k3j_h5g6.tmp",  # named by an older version (no process id)
            f".report.html.{live.pid}.5e6f7a8b.tmp",  # being written right now
        ):
            (folder / name).write_bytes(b"x" * 1000)
        write_report(folder, plotlyjs="cdn")
        assert _temps(folder) == [f".report.html.{live.pid}.5e6f7a8b.tmp"]
    finally:
        live.kill()
        live.wait()
    assert (folder / "report.html").stat().st_size > 1000


def test_an_interrupt_while_the_report_is_written_removes_its_temporary_file(tmp_path, monkeypatch):
    from monitor.report import write_report

    folder = tmp_path / "s"
    _session_for_report(folder)
    (folder / "report.html").write_text("the report before\n")
    real_replace = os.replace

    def interrupted(src, dst, *a, **kw):
        if str(src).endswith(".tmp"):
            assert Path(src).exists()  # the whole new report is on disk, not yet in place
            raise KeyboardInterrupt
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(folder, plotlyjs="cdn")
    assert _temps(folder) == []
    assert (folder / "report.html").read_text() == "the report before\n"


WRITE_SLOWLY = textwrap.dedent(
    """
    import os, sys, time
    real_replace = os.replace
    def slow(src, dst, *a, **kw):  # the report is written and about to be put in place
        if str(src).endswith(".tmp"):
            print("writing", flush=True)
            time.sleep(30)
        return real_replace(src, dst, *a, **kw)
    os.replace = slow
    from monitor.commands.main import main
    sys.exit(main(["report", sys.argv[1], "--plotlyjs", "cdn"]))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_while_the_report_is_written_removes_its_temporary_file(tmp_path, sig):
    folder = tmp_path / "s"
    _session_for_report(folder)
    p = subprocess.Popen(
        [sys.executable, "-c", WRITE_SLOWLY, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert p.stdout is not None and p.stdout.readline() == b"writing\n", p.stderr
        assert len(_temps(folder)) == 1
        began = time.monotonic()
        p.send_signal(sig)
        p.wait(timeout=20)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == -sig  # it ends as the signal says, at once
    assert time.monotonic() - began < 10
    assert _temps(folder) == [] and not (folder / "report.html").exists()
