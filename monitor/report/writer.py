"""`write_report`: load the session if given a path, build the report and write the file privately."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from monitor.core.thresholds import Thresholds
from monitor.report.data import build_report_data
from monitor.report.page import ReportError, render_html
from monitor.report.page_head import PLOTLYJS_CHOICES


def default_output(input_path: str | os.PathLike) -> Path:
    """session folder -> folder/report.html; X.csv -> X.report.html beside it."""
    p = Path(input_path)
    if p.is_dir():
        return p / "report.html"
    return p.with_name(p.stem + ".report.html")


def _write_private(path: Path, text: str) -> None:
    """Write atomically (temporary file, then rename), owner read/write only (health data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
