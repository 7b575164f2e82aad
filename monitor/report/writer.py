"""`write_report`: load the session if given a path, build the report and write the file privately.

The file is written whole and then renamed into place (monitor.recording.private.write_whole),
owner-only, and so are any folders made for it. A report is several megabytes, so its temporary
file must not outlive its writer: the next report to the same file removes those of writers that
were killed, and SIGTERM or SIGHUP (the terminal closed) while the file is written removes it
before the process ends as the signal says.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from monitor.core.thresholds import Thresholds
from monitor.recording.private import make_folders, write_whole
from monitor.report.data import build_report_data
from monitor.report.page import ReportError, render_html
from monitor.report.page_head import PLOTLYJS_CHOICES


def default_output(input_path: str | os.PathLike) -> Path:
    """session folder -> folder/report.html; X.csv -> X.report.html beside it."""
    p = Path(input_path)
    if p.is_dir():
        return p / "report.html"
    return p.with_name(p.stem + ".report.html")


_CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class _Ended(BaseException):
    """A terminating signal arrived while the file was written (caught by `_signals_clean_up`)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_clean_up() -> Iterator[None]:
    """Within: a signal that would end the process at once (SIGTERM, SIGHUP with their default
    action) unwinds it instead, so the temporary file is removed, and then ends it as it would
    have. A signal with a handler of its own (the headless bedside's, Textual's) is left to it;
    off the main thread (the bedside's `r` key) no handler can be set, and a file left by a
    killed writer is removed by the next report instead."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    mine = [sig for sig in _CLEANUP_SIGNALS if signal.getsignal(sig) is signal.SIG_DFL]

    def ended(signum, frame):
        raise _Ended(signum)

    for sig in mine:
        signal.signal(sig, ended)
    try:
        yield
    except _Ended as exc:
        for sig in mine:
            signal.signal(sig, signal.SIG_DFL)
        signal.raise_signal(exc.signum)
        raise  # (not reached: the default action ends the process)
    finally:
        for sig in mine:
            signal.signal(sig, signal.SIG_DFL)


def _write_private(path: Path, text: str) -> None:
    """Write atomically (temporary file, then rename), owner read/write only (health data)."""
    make_folders(path.parent)
    data = text.encode("utf-8")
    with _signals_clean_up():
        write_whole(path, data)


def write_report(
    session,
    path=None,
    thresholds: Thresholds | str | os.PathLike | None = None,
    title: str | None = None,
    plotlyjs: str = "inline",
) -> Path:
    """Write the report of `session` (a RecordedSession, or a path to load) to `path` and return it.

    `thresholds`: limits (or a thresholds.toml path) to recompute the alarms with (default: the alarm
    log recorded in the session if it has one, else the stored thresholds, else ./thresholds.toml).
    `path` defaults to beside the input. Raises ReportError (one sentence) when the file cannot be
    written; SessionError/CsvError/ConfigError from loading pass through."""
    if plotlyjs not in PLOTLYJS_CHOICES:
        raise ReportError(f"plotlyjs must be one of {', '.join(PLOTLYJS_CHOICES)}, not '{plotlyjs}'")
    if isinstance(session, (str, os.PathLike)):
        from monitor.recording import load_session

        session = load_session(Path(session))
    if isinstance(thresholds, (str, os.PathLike)):
        from monitor.core.thresholds_loader import load_thresholds

        thresholds = load_thresholds(Path(thresholds))
    out = Path(path) if path is not None else default_output(session.path)
    rd = build_report_data(session, thresholds)
    text = render_html(rd, title=title, plotlyjs=plotlyjs)
    try:
        _write_private(out, text)
    except OSError as exc:
        raise ReportError(f"cannot write the report to '{out}': {exc.strerror or exc}") from exc
    return out
