"""The page's logs: every alarm transition, every logged event, and the notes on the input (lines
that could not be read).
"""

from __future__ import annotations

from monitor.core.priority import priority_text
from monitor.core.vitals import short_name
from monitor.report.data import ReportData
from monitor.report.html_text import esc


def alarm_log_html(rd: ReportData) -> str:
    rows = rd.alarm_rows
    since = "since dose" if rd.tb.zero_kind == "dose" else "since start"
    head = "time (since dose)" if rd.tb.absolute else f"time ({since})"
    out = [
        (
            f'<h2 id="alarm-log">Alarm log <span class="small muted">({len(rows):,} entries, '
            f"{esc(rd.src.origin)}; the alarm delay's pending/cancelled transitions are left out)</span></h2>\n"
        )
    ]
    if not rows:
        out.append("<p>No alarms.</p>\n")
        return "".join(out)
    out.append(
        f'<div class="wrap"><table class="log"><thead><tr><th>{esc(head)}</th><th>vital</th>'
        "<th>priority</th><th>state</th><th>value</th><th>limit</th><th>message</th>"
        "<th>acknowledged by</th></tr></thead><tbody>\n"
    )
    for r in rows:
        pr = esc(r.priority)
        out.append(
            f'<tr><td class="num">{esc(r.when)}</td><td>{esc(short_name(r.vital))}</td>'
            f'<td class="pr-{pr}">{esc(priority_text(r.priority))}</td><td>{esc(r.state)}</td>'
            f'<td class="num">{esc(r.value)}</td><td class="num">{esc(r.limit)}</td>'
            f'<td class="msg">{esc(r.message)}</td><td>{esc(r.ack)}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    return "".join(out)


def event_log_html(rd: ReportData) -> str:
    rows = rd.event_rows
    since = "since dose" if rd.tb.zero_kind == "dose" else "since start"
    out = [
        (
            f'<h2 id="event-log">Event log <span class="small muted">({len(rows):,} entries: doses, notes, '
            "acknowledgements, audio pauses, feed events)</span></h2>\n"
        )
    ]
    if not rows:
        out.append("<p>No events were logged.</p>\n")
        return "".join(out)
    out.append(
        f'<div class="wrap"><table class="events"><thead><tr><th>time ({esc(since)})</th>'
        "<th>event</th><th>details</th></tr></thead><tbody>\n"
    )
    for r in rows:
        text = f'<div class="usertext">{esc(r.text)}</div>' if r.text else ""
        out.append(
            f'<tr><td class="num">{esc(r.when)}</td><td>{esc(r.kind)}</td>'
            f'<td class="msg">{esc(r.detail)}{text}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    return "".join(out)


def data_notes_html(rd: ReportData) -> str:
    s = rd.session
    notes = list(s.notes) + list(rd.src.notes)
    if not notes and not s.rejected:
        return ""
    out = ['<h2 id="data-notes">Notes on the input</h2>\n<ul class="small">\n']
    out += [f"<li>{esc(n)}</li>\n" for n in notes]
    if s.rejected:
        out.append(
            f"<li>{len(s.rejected):,} line{'s' if len(s.rejected) != 1 else ''} could not be read and "
            "were left out:<ul>\n"
        )
        out += [f"<li>line {esc(r.line)}: {esc(r.reason)}</li>\n" for r in s.rejected[:50]]
        if len(s.rejected) > 50:
            out.append(f"<li>... and {len(s.rejected) - 50:,} more</li>\n")
        out.append("</ul></li>\n")
    out.append("</ul>\n")
    return "".join(out)
