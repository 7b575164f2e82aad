"""The protocol line under the header: the next reading due by the schedule ("BP due in 4 min"),
the discharge readiness, and who the session is for (participant, session number, site, staff).

It only renders what the session says (its ScheduleWatch, its discharge check, its metadata);
hidden when the session has no protocol and no metadata.
"""

from __future__ import annotations

from rich.text import Text

from monitor.core.text import printable
from monitor.ui.widgets.panels import ShowOnce, _fit

DISCHARGE_STYLE = {"ready": "bold #5fd75f", "waiting": "#5fd75f", "not-ready": "#ffd75f"}


def protocol_lines(session) -> tuple[str, str, str, str] | None:
    """(due text, its style, discharge text, its state) or None when there is nothing to show."""
    due = session.schedule.due_text() if session.schedule.active else ""
    dis = session.discharge() if session.protocol.discharge.margins else None
    info = session.info
    who = " · ".join(
        printable(str(x))
        for x in (
            info.get("participant"),
            f"session {info['session_number']}" if info.get("session_number") else "",
            info.get("site"),
            f"staff {info['staff']}" if info.get("staff") else "",
        )
        if x
    )
    if not due and dis is None and not who:
        return None
    style = "bold #5fd7d7" if "OVERDUE" in due else ""
    hint = "" if session.feed.mode == "REPLAY" else " · v types a reading"
    due_text = f"Due: {due}{hint}" if due else hint.removeprefix(" · ")
    dis_text = dis.text[:1].upper() + dis.text[1:] if dis is not None and dis.state != "no-dose" else ""
    line2 = " │ ".join(x for x in (who, dis_text) if x)  # who first: an 80-column screen cuts the end
    return due_text, style, line2, dis.state if dis is not None else ""


class ProtocolBar(ShowOnce):
    def show(self, lines: tuple[str, str, str, str] | None) -> None:
        if lines is None:
            if self.display:
                self.display = False
            return
        if not self.display:
            self.display = True
        width = self.size.width or 80
        due, style, line2, state = lines
        key = (lines, width)
        if key == self._last:
            return
        self._last = key
        t1 = Text(_fit(due, width), style)
        t2 = Text(_fit(line2, width), DISCHARGE_STYLE.get(state, ""))
        self.update(Text("\n").join([t1, t2]) if line2 else t1, layout=True)
