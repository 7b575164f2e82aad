"""Security and privacy: health data stays owner-only, nothing listens on the network, and nothing a
user or a data file supplies (paths, labels, notes, column names) is ever executed or evaluated."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.core.readings import Reading
from monitor.core.text import printable
from monitor.recording import SessionRecorder, load_session
from tests.support.cli import run_in_process, same_as_a_process

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = [ROOT / "monitor", ROOT / "simulators"]
HAVE_PROC = Path("/proc/self/fd").is_dir() and Path("/proc/net/tcp").exists()


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def cli(*args, cwd=ROOT, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd, timeout=120, **kw
    )


@pytest.fixture
def open_umask():
    """The most permissive umask a user could have: whatever is private must be private anyway."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# ================================================================ owner-only files and folders


def _record(folder: Path, **kw) -> None:
    rec = SessionRecorder(folder, label="P-001", source="test", absolute=False, start=0, **kw)
    rec.readings([Reading(float(t), hr=70.0 + t) for t in range(5)])
    rec.event(1.0, "note", text="calm")
    rec.close()


def test_session_files_are_0600_and_folders_0700_whatever_the_umask(tmp_path, open_umask):
    folder = tmp_path / "sessions" / "2026-11-28 P-001" / "s"  # three folders created on the way
    _record(folder)
    for d in (tmp_path / "sessions", tmp_path / "sessions" / "2026-11-28 P-001", folder):
        assert mode(d) == 0o700, d
    for name in ("readings.csv", "events.jsonl", "session.json"):
        assert mode(folder / name) == 0o600, name
    # A folder that already existed (the user's own) is left alone; the session folder is private.
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    os.chmod(mine, 0o755)
    _record(mine / "s")
    assert mode(mine) == 0o755 and mode(mine / "s") == 0o700


def test_resuming_a_session_keeps_it_private(tmp_path, open_umask):
    folder = tmp_path / "s"
    _record(folder)
    os.chmod(folder, 0o755)  # someone loosened it between the crash and the restart
    _record(folder)
    assert mode(folder) == 0o700
    assert len(load_session(folder).store) == 5  # the same readings again, merged


def test_simulator_output_is_0600(tmp_path, open_umask):
    out = tmp_path / "sim.csv"
    out.write_text("old world-readable file\n")
    os.chmod(out, 0o644)
    p = cli("simulate", "--duration", "40m", "--out", str(out), umask=0)
    assert p.returncode == 0, p.stderr
    for f in (out, tmp_path / "sim.session.json", tmp_path / "sim.events.jsonl"):
        assert mode(f) == 0o600, f
    # The stream in this process (tests/support/cli.py), under the same umask 0 (open_umask).
    streamed = tmp_path / "live.csv"
    p = run_in_process(
        ["simulate", "--duration", "2m", "--stream", "--speed", "1000", "--out", str(streamed)], text=True
    )
    assert p.returncode == 0, p.stderr
    for f in (streamed, tmp_path / "live.session.json", tmp_path / "live.events.jsonl"):
        assert mode(f) == 0o600, f


# ===================================================================== nothing listens


SERVER_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(socket|socketserver|http\.server|xmlrpc|wsgiref|ssl|"
    r"asyncio\.streams|aiohttp|websockets?|flask|uvicorn|tornado|zmq)\b",
    re.M,
)
SERVER_CALL = re.compile(
    r"\b(start_server|start_unix_server|create_server|create_datagram_endpoint|"
    r"HTTPServer|ThreadingHTTPServer|TCPServer|UDPServer|serve_forever|"
    r"socket\.socket|socket\.create_server)\b"
)


def _sources():
    for d in SOURCE_DIRS:
        yield from sorted(d.rglob("*.py"))


def test_no_source_file_can_open_a_server():
    offenders = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for rx in (SERVER_IMPORT, SERVER_CALL):
            for m in rx.finditer(text):
                line = text[: m.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {m.group().strip()}")
    assert offenders == []


EVALUATION = re.compile(
    r"(?<![.\w])(eval|exec|compile|__import__)\s*\(|\bimport_module\b|\bpickle\b|"
    r"\bmarshal\b|\bshelve\b|\byaml\b|\bos\.system\b|\bos\.popen\b|\bsubprocess\b|"
    r"shell\s*=\s*True|\bexpandvars\b|\bos\.exec|\bos\.spawn"
)


def test_no_source_file_evaluates_or_runs_anything():
    """No eval/exec, no pickle or YAML loading, no shell: data stays data."""
    offenders = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for m in EVALUATION.finditer(text):
            line = text.splitlines()[text[: m.start()].count("\n")]
            if line.lstrip().startswith("#"):
                continue
            offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []


def _socket_inodes(pid: int) -> set[str]:
    out = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def _listening_inodes() -> set[str]:
    """Inodes of every listening TCP socket and bound UDP/UNIX server socket on this machine."""
    found = set()
    for name in ("tcp", "tcp6"):
        p = Path("/proc/net") / name
        if p.exists():
            for line in p.read_text().splitlines()[1:]:
                f = line.split()
                if len(f) > 9 and f[3] == "0A":  # TCP_LISTEN
                    found.add(f[9])
    for name in ("udp", "udp6"):
        p = Path("/proc/net") / name
        if p.exists():
            found |= {ln.split()[9] for ln in p.read_text().splitlines()[1:] if len(ln.split()) > 9}
    p = Path("/proc/net/unix")
    if p.exists():
        for line in p.read_text().splitlines()[1:]:
            f = line.split()
            if len(f) > 6 and int(f[3], 16) & 0x10000:  # __SO_ACCEPTCON: a listening socket
                found.add(f[6])
    return found


def _assert_no_listening_socket(pid: int) -> None:
    mine = _socket_inodes(pid)
    assert not (mine & _listening_inodes()), "the process listens on a socket"
    assert mine == set(), f"the process holds sockets: {mine}"


# A recorded live session in a process of its own: the simulator feed, the alarm engine fed one
# reading at a time, the recorder writing each reading and alarm; then it waits to be inspected.
LIVE_SESSION = r"""
import sys, time
from monitor.core.alarm_engine import AlarmEngine
from monitor.recording import SessionRecorder
from monitor.core.thresholds_loader import load_thresholds
from monitor.sources.simulated import SimulatedFeed

th = load_thresholds()
feed = SimulatedFeed("hypertensive", seed=3, speed=20000.0, duration_s=3 * 3600)
rec = SessionRecorder(sys.argv[1], label="SIMULATED probe", source="simulator", simulated=True,
                      thresholds=th)
engine = AlarmEngine(th)
n = 0
deadline = time.monotonic() + 20
while n < 5000 and time.monotonic() < deadline:
    batch = feed.poll(time.monotonic())
    for r in batch.readings:
        rec.reading(r)
        engine.feed(r)
    n += len(batch.readings)
    time.sleep(0.01)
for e in engine.log:
    rec.alarm(e)
print("ready", n, len(engine.log), flush=True)
sys.stdin.readline()
rec.close()
"""


@pytest.mark.skipif(not HAVE_PROC, reason="needs Linux /proc")
def test_a_recording_session_holds_no_socket(tmp_path):
    p = subprocess.Popen(
        [sys.executable, "-c", LIVE_SESSION, str(tmp_path / "s")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = p.stdout.readline()
        assert line.startswith("ready"), p.stderr.read() if p.poll() is not None else line
        _assert_no_listening_socket(p.pid)
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert p.returncode == 0, p.stderr.read()
    assert len(load_session(tmp_path / "s").store) > 0


@pytest.mark.skipif(not HAVE_PROC, reason="needs Linux /proc")
def test_a_streaming_simulator_holds_no_socket(tmp_path):
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor",
            "simulate",
            "--duration",
            "1h",
            "--stream",
            "--speed",
            "900",
            "--out",
            str(tmp_path / "live.csv"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "live.csv").exists() or (tmp_path / "live.csv").stat().st_size < 200:
            assert p.poll() is None and time.monotonic() < deadline, p.stderr.read()
            time.sleep(0.05)
        _assert_no_listening_socket(p.pid)
    finally:
        p.terminate()
        p.wait(timeout=30)


# ============================================================ user input is never executed


PAYLOADS = [
    "$(touch {m}1).csv",
    "`touch {m}2`.csv",
    "x.csv; touch {m}3",
    "x.csv && touch {m}4",
    "| touch {m}5",
    "x.csv\ntouch {m}6",
    "$HOME/../{m}7.csv",
    "; rm -rf keep",
]


def _markers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("PWNED"))


@pytest.mark.slow
def test_paths_given_on_the_command_line_are_never_executed(tmp_path):
    (tmp_path / "keep").mkdir()
    good = tmp_path / "good.csv"
    good.write_text("time,hr\n0,70\n1,71\n")
    runs = []
    for raw in PAYLOADS:
        path = raw.format(m="PWNED")
        runs += [
            ["alarms", path],
            ["check-config", path],
            ["alarms", str(good), "--thresholds", path],
            ["alarms", str(good), "--column", f"hr={path}"],
        ]
    # Each way of passing a path once in a real process (which must give what the in-process run
    # gives), every payload through the command's entry point (a process each cost 30 s of CI).
    for args in runs[:4]:
        same_as_a_process(args, cwd=tmp_path)
    results = [(args, run_in_process(args, cwd=tmp_path, text=True)) for args in runs]
    for args, p in results:
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr
        # "vitals-monitor: Cannot load '<path as given>': ..." or, from check-config, "<path>: ...",
        # the path made printable (a line break in it is written \n: it cannot forge a line)
        assert p.stderr.startswith(("vitals-monitor: ", f"{printable(args[-1])}: ")), p.stderr
    # Files that really have such names are simply read, or written.
    named = tmp_path / "$(touch PWNED1).csv"
    named.write_text("time,hr\n0,70\n1,71\n")
    assert cli("alarms", named.name, cwd=tmp_path).returncode == 0
    p = cli("simulate", "--duration", "31m", "--out", "`touch PWNED8`.csv", cwd=tmp_path)
    assert p.returncode == 0 and (tmp_path / "`touch PWNED8`.csv").exists()
    assert _markers(tmp_path) == []
    assert (tmp_path / "keep").is_dir()


def test_the_message_names_the_path_as_given_not_expanded(tmp_path):
    # In this process (tests/support/cli.py); a path payload in a real process: the slow test above.
    p = run_in_process(["alarms", "$HOME/~/x.csv"], cwd=tmp_path, text=True)
    assert p.returncode == 2 and "'$HOME/~/x.csv'" in p.stderr


CODE_PAYLOADS = [
    "__import__('os').system('touch {m}')",
    "{{{{ ''.__class__.__mro__[1].__subclasses__() }}}}",
    "${{jndi:ldap://127.0.0.1/{m}}}",
    "<script>fetch('/{m}')</script>",
    "'; DROP TABLE readings; --",
    "=cmd|' /C touch {m}'!A0",
    "line\u2028sep\x85nel\u2029par",
    "bad \udcff bytes",
]


@pytest.mark.slow
def test_labels_notes_and_column_names_are_stored_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    texts = [t.format(m=marker) for t in CODE_PAYLOADS]
    folder = tmp_path / "s"
    rec = SessionRecorder(
        folder, label=texts[0], source=texts[1], absolute=False, start=0, extra={"operator": texts[2]}
    )
    rec.reading(Reading(0.0, hr=70.0))
    for i, text in enumerate(texts):
        rec.event(float(i), "note", text=text, who=text)
    rec.close()
    s = load_session(folder)
    assert s.label == texts[0] and s.meta["source"] == texts[1] and s.meta["operator"] == texts[2]
    assert [n.text for n in s.notes_logged()] == texts  # every note back, exactly as written
    assert [e["who"] for e in s.events] == texts
    p = cli("alarms", str(folder), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    # Column names are data too: named back as text, never run.
    csv = tmp_path / "cols.csv"
    csv.write_text(
        "time,hr," + ",".join(f'"{t}"'.replace("\n", " ") for t in texts[:6]) + "\n0,70" + ",1" * 6 + "\n",
        encoding="utf-8",
        errors="surrogateescape",
    )
    p = cli("alarms", str(csv), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "__import__('os').system(" in p.stdout  # named in the 'ignored columns' note
    assert not marker.exists() and _markers(tmp_path) == []


@pytest.mark.skipif(not HAVE_PROC, reason="needs Linux /proc")
def test_the_socket_probe_does_see_a_listening_socket():
    """The probe above is not blind: a process that listens is caught."""
    code = (
        "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
        "print('ready', flush=True); sys.stdin.readline()"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().startswith("ready")
        with pytest.raises(AssertionError, match="listens"):
            _assert_no_listening_socket(p.pid)
    finally:
        p.stdin.close()
        p.wait(timeout=30)
