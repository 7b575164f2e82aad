"""A bedside without a screen: the same session, polled on a timer, its alarms printed as lines.

For a machine that only records and alarms (a device gateway, a bed reporting to a central
station): `vitals-monitor live ... --headless`. It stops at the end of a simulated session, or
on SIGINT / SIGTERM, and always ends the recording cleanly.

Every line goes out through `_say`, made printable: a label, a file or folder name or an alarm
message quoting a column header may hold ESC sequences, which must not act on the terminal (or
on whatever reads these lines).
"""

from __future__ import annotations

import signal
import sys
import time
from typing import TextIO

from monitor.core.alarm_log import QUIET_STATES
from monitor.core.alarm_types import AlarmEvent
from monitor.core.priority import marker
from monitor.core.text import printable
from monitor.session.service import Session

TICK_S = 0.25


def alarm_line(session: Session, e: AlarmEvent) -> str:
    mark = marker(e.priority)
    return f"{session.fmt(e.t)} {mark:>3} {e.priority or '-':<9} {e.state:<12} {e.message}"


def _say(out: TextIO, line: str) -> None:
    print(printable(line), file=out, flush=True)


def run_headless(
    session: Session, out: TextIO = sys.stdout, tick_s: float = TICK_S, max_seconds: float | None = None
) -> int:
    stop = {"now": False}

    def ask_stop(signum, frame):
        stop["now"] = True

    old = {sig: signal.signal(sig, ask_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    began = time.monotonic()
    shown = 0
    try:
        session.start()
        _say(
            out,
            f"{session.feed.mode}: {session.label} ({session.feed.source}); "
            f"recording in {session.folder or 'nothing (not recorded)'}",
        )
        while not stop["now"] and not session.finished:
            session.poll()
            log = session.engine.log
            for e in log[shown:]:
                if e.state not in QUIET_STATES:
                    _say(out, alarm_line(session, e))
            shown = len(log)
            if max_seconds is not None and time.monotonic() - began >= max_seconds:
                break
            time.sleep(tick_s)
    finally:
        session.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    _say(out, "session ended")
    return 0
