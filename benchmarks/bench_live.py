"""The live app's cost: CPU at a 1 Hz feed, memory after a sped-up 8 h session, display latency.

Runs the real `vitals-monitor live FILE.csv` in a pseudo-terminal (so Textual really draws), while
this script appends lines to FILE.csv like a device bridge, and reads what the app writes to the
terminal. Prints figures; it is not a timed test.

1. CPU at 1 Hz: one line per second (HR every second, cuff BP every 5 min) for --seconds; the
   app's CPU time (utime + stime from /proc) over that wall time. Target: at most 3 % of one core
   (a Textual log tailer following the same kind of file uses about 4.4 %).
2. Latency: each line carries a new HR value; the time from the write to the first terminal output
   that draws that value in the HR tile. Target: under 0.5 s.
3. Memory: 8 h of 1 Hz readings (28,800 lines, cuff BP and temperature) written at --speed x; the
   app's resident memory (VmRSS) at the end, and its peak (VmHWM). Target: under 150 MB.
4. Idle: no new lines for --idle seconds (a silent feed: technical alarm on screen).

    python benchmarks/bench_live.py [--seconds 60] [--speed 480] [--size 80x24] [--json FILE]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _common import Figures, verdict  # noqa: E402

from monitor.ui.widgets.panels import big_digits  # noqa: E402  (the tile's large digits)

HEADER = "time,hr,sbp,dbp,map,spo2,temp,rr\n"
TICK = os.sysconf("SC_CLK_TCK")


class Terminal:
    """The app in a pseudo-terminal, its output read (and time-stamped) on a thread."""

    def __init__(self, args: list[str], cols: int, rows: int, cwd: Path):
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", COLUMNS=str(cols), LINES=str(rows))
        pid, fd = pty.fork()
        if pid == 0:  # the child: the app
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.chdir(cwd)
            os.execvpe(sys.executable, [sys.executable, "-m", "monitor", *args], env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.chunks: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.alive = True
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while self.alive:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if not r:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            with self.lock:
                self.chunks.append((time.monotonic(), data))

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime

    def memory_mb(self) -> tuple[float, float]:
        status = Path(f"/proc/{self.pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        return rss, hwm

    def seen_after(self, t: float, pattern: re.Pattern, timeout: float = 3.0) -> float | None:
        """Monotonic time of the first output after t that matches, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                for when, data in self.chunks:
                    if when >= t and pattern.search(data):
                        return when
            time.sleep(0.005)
        return None

    def seen_all_after(self, t: float, parts: list[bytes], timeout: float = 3.0) -> float | None:
        """Monotonic time of the output after t by which every part has appeared, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                found = set()
                for when, data in self.chunks:
                    if when < t:
                        continue
                    found.update(k for k, p in enumerate(parts) if p in data)
                    if len(found) == len(parts):
                        return when
            time.sleep(0.005)
        return None

    def trim(self) -> None:
        with self.lock:
            self.chunks = self.chunks[-50:]

    def stop(self) -> None:
        try:
            self.send("q")
            time.sleep(0.5)
            self.send("y")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    break
                time.sleep(0.1)
            else:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
        finally:
            self.alive = False


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def line(t: float, i: int, hr: int) -> str:
    sbp = dbp = temp = ""
    if i % 300 == 0:
        sbp, dbp = 118 + i % 7, 76 + i % 5
    if i % 1800 == 0:
        temp = "36.8"
    return f"{iso(t)},{hr},{sbp},{dbp},,,{temp},\n"


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def wait_for_start(term: Terminal, seconds: float = 15.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with term.lock:
            if any(b"LIVE" in d for _, d in term.chunks):
                return
        time.sleep(0.1)
    raise SystemExit("the app did not start")


def bench_1hz(work: Path, cols: int, rows: int, seconds: int) -> dict:
    csv = work / "bed1.csv"
    now = time.time()
    # A pre-dose hour already in the file, as when the monitor is started mid-session.
    backlog = "".join(line(now - 3600 + k, k, 70 + k % 5) for k in range(3600))
    csv.write_text(HEADER + backlog, encoding="utf-8")
    term = Terminal(["live", str(csv), "--record", str(work / "rec1"), "--quiet"], cols, rows, work)
    wait_for_start(term)
    time.sleep(3.0)  # settle after the first full draw
    latencies = []
    cpu0, t0 = term.cpu_seconds(), time.monotonic()
    values = list(range(81, 100))  # HR values the tile shows once each in a row (no alarm: < 110)
    big = rows >= 36  # tall screens draw the tile value in large digits
    for i in range(seconds):
        due = t0 + i
        time.sleep(max(0.0, due - time.monotonic()))
        hr = values[i % len(values)]
        written = time.monotonic()
        append(csv, line(time.time(), 3600 + i, hr))
        if big:
            shown = term.seen_all_after(written, [r.rstrip().encode() for r in big_digits(str(hr))], timeout=0.95)
        else:
            shown = term.seen_after(written, re.compile(rb"(?<![0-9])%d(?![0-9/])" % hr), timeout=0.95)
        if shown is not None:
            latencies.append(shown - written)
        if i % 20 == 19:
            term.trim()
    cpu1, t1 = term.cpu_seconds(), time.monotonic()
    rss, hwm = term.memory_mb()
    # Idle: the feed goes silent (technical alarm, the clock keeps ticking).
    cpu2, t2 = term.cpu_seconds(), time.monotonic()
    time.sleep(min(20, seconds))
    cpu3, t3 = term.cpu_seconds(), time.monotonic()
    term.stop()
    return {
        "cpu_1hz_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
        "cpu_silent_pct": 100 * (cpu3 - cpu2) / (t3 - t2),
        "latencies": latencies,
        "missed": seconds - len(latencies),
        "rss_mb": rss,
        "hwm_mb": hwm,
    }


def bench_8h(work: Path, cols: int, rows: int, speed: float) -> dict:
    csv = work / "bed2.csv"
    csv.write_text(HEADER, encoding="utf-8")
    term = Terminal(["live", str(csv), "--record", str(work / "rec2"), "--quiet"], cols, rows, work)
    wait_for_start(term)
    start = time.time() - 8 * 3600  # the session's clock: 8 h ago, so times end near now
    total = 8 * 3600
    t0 = time.monotonic()
    written = 0
    cpu0 = term.cpu_seconds()
    while written < total:
        due = int((time.monotonic() - t0) * speed) + 1
        chunk = "".join(line(start + k, k, 70 + (k // 60) % 30) for k in range(written, min(due, total)))
        if chunk:
            append(csv, chunk)
        written = min(due, total)
        time.sleep(0.1)
        if written % 2000 < speed * 0.1:
            term.trim()
    wall = time.monotonic() - t0
    time.sleep(3.0)
    cpu = term.cpu_seconds() - cpu0
    rss, hwm = term.memory_mb()
    term.trim()
    term.stop()
    with open(work / "rec2" / "readings.csv") as fh:
        rows_recorded = sum(1 for _ in fh) - 1
    return {"wall_s": wall, "rss_mb": rss, "hwm_mb": hwm, "cpu_pct": 100 * cpu / (wall + 3), "recorded": rows_recorded}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60, help="length of the 1 Hz run (default 60)")
    ap.add_argument("--speed", type=float, default=480.0, help="speed of the 8 h run (default 480: 1 min)")
    ap.add_argument("--size", default="80x24", help="terminal size (default 80x24)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file (for regenerate_docs.py)")
    args = ap.parse_args()
    figures = Figures(__file__)
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    work = Path(tempfile.mkdtemp(prefix="bench_live_"))
    try:
        print(f"terminal {cols}x{rows}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        r = bench_1hz(work, cols, rows, args.seconds)
        lat = sorted(r["latencies"])
        print(f"1 Hz feed for {args.seconds} s (1 h of history loaded first):")
        print(f"  CPU                {r['cpu_1hz_pct']:5.2f} % of one core   (target <= 3 %)")
        print(f"  CPU, feed silent   {r['cpu_silent_pct']:5.2f} % of one core")
        if lat:
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
            print(
                f"  latency write->screen  median {statistics.median(lat) * 1000:4.0f} ms, "
                f"p95 {p95 * 1000:4.0f} ms, max {lat[-1] * 1000:4.0f} ms   (target < 500 ms)"
            )
        print(f"  lines not seen on screen within 0.95 s: {r['missed']}")
        print(f"  memory             {r['rss_mb']:5.1f} MB resident")
        m = run8 = bench_8h(work, cols, rows, args.speed)
        print(f"8 h session (28,800 lines) written at {args.speed:g}x in {m['wall_s']:.0f} s:")
        print(
            f"  memory             {m['rss_mb']:5.1f} MB resident at the end, peak {m['hwm_mb']:.1f} MB "
            f"(target < 150 MB)"
        )
        print(f"  CPU while catching up {m['cpu_pct']:5.1f} % of one core; {run8['recorded']} readings recorded")
        where = f"live app, {cols}x{rows} terminal"
        figures.add(
            "live_cpu",
            f"{where}: CPU at a 1 Hz feed ({args.seconds} s)",
            f"{r['cpu_1hz_pct']:.1f} % of one core",
            peer=f"the feed silent: {r['cpu_silent_pct']:.1f} %",
            target="≤ 3 %" + verdict(r["cpu_1hz_pct"] <= 3),
            met=r["cpu_1hz_pct"] <= 3,
            value=r["cpu_1hz_pct"],
        )
        worst = lat[-1] if lat else float("nan")
        figures.add(
            "live_latency",
            f"{where}: a reading written to the file until it is on the screen",
            (
                f"median {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, worst {worst * 1000:.0f} ms"
                if lat
                else "none seen"
            )
            + f"; {r['missed']} of {args.seconds} not seen within 0.95 s",
            target="< 0.5 s" + verdict(worst < 0.5),
            met=worst < 0.5,
            value=worst,
        )
        figures.add(
            "live_memory",
            f"{where}: memory after 8 h of 1 Hz readings written at {args.speed:g}x",
            f"{m['rss_mb']:.0f} MB resident, peak {m['hwm_mb']:.0f} MB",
            target="< 150 MB" + verdict(m["hwm_mb"] < 150),
            met=m["hwm_mb"] < 150,
            value=m["hwm_mb"],
        )
        figures.write(args.json)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
