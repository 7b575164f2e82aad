"""The post-session Plotly HTML report. No Textual.

`write_report(session, path, thresholds=None, title=None, plotlyjs="inline") -> Path` is the entry
point (the `report` command and the app's `r` key call it). This package file stays light: importing
it must load neither plotly nor numpy-heavy code; the page is imported when a report is written.
"""

from __future__ import annotations


def write_report(session, path=None, thresholds=None, title=None, plotlyjs="inline"):
    """See monitor.report.writer.write_report."""
    from monitor.report.writer import write_report as _write

    return _write(session, path, thresholds=thresholds, title=title, plotlyjs=plotlyjs)


__all__ = ["write_report"]
