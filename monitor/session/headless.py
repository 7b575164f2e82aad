"""A bedside without a screen: the same session, polled on a timer, its alarms printed as lines.

For a machine that only records and alarms (a device gateway, a bed reporting to a central
station): `vitals-monitor live ... --headless`. It stops at the end of a simulated session, or
on SIGINT / SIGTERM, and always ends the recording cleanly.
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
    return f"{session.fmt(e.t)} {mark:>3} {e.priority or '-':<9} {e.state:<12} {printable(e.message)}"


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
        print(
            f"{session.feed.mode}: {printable(session.label)} ({printable(session.feed.source)}); "
            f"recording in {session.folder or 'nothing (not recorded)'}",
            file=out,
            flush=True,
        )
        while not stop["now"] and not session.finished:
            session.poll()
            log = session.engine.log
            for e in log[shown:]:
                if e.state not in QUIET_STATES:
                    print(alarm_line(session, e), file=out, flush=True)
            shown = len(log)
            if max_seconds is not None and time.monotonic() - began >= max_seconds:
                break
            time.sleep(tick_s)
    finally:
        session.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    print("session ended", file=out, flush=True)
    return 0
