"""Header, alarm banner, vital tiles, alarm list and event log.

Each widget has a `show(view)` that takes a view from `monitor.ui.views` and redraws only when
what it would show changed (cheap refreshes are what keep the CPU use low).
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from monitor.core.priority import LOOK
from monitor.core.text import printable
from monitor.ui import palette
from monitor.ui.views import BannerView, HeaderView, Notice, TileView

_PRIORITY_CLASSES = tuple(f"-{p}" for p in LOOK)  # the .tcss styles each


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` cells. Every text from the session (a label, an alarm message, a note,
    a column name) goes on screen through here, so it is made printable first: an ESC sequence in
    it would act on the terminal."""
    if width <= 0:
        return ""
    text = printable(text)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class ShowOnce(Static):
    """A Static that skips updates that would not change it."""

    _last: object = None

    def put(self, key: object, content) -> None:
        if key == self._last:
            return
        self._last = key
        self.update(content, layout=False)


class HeaderBar(ShowOnce):
    """Mode badge, label, clocks; dose, supplemental window, elapsed time."""

    def show(self, v: HeaderView) -> None:
        width = self.size.width or 80
        key = (v, width)
        if key == self._last:
            return
        badge = f" {v.mode} "
        left = Text()
        left.append(badge, palette.MODE.get(v.mode, "reverse"))
        if v.ended:
            left.append(" ENDED ", "bold black on #bcbcbc")
        left.append(" ")
        if v.mode == "SIMULATED":
            right = f"sim {v.event_clock} · wall {v.wall}"
        elif v.mode == "REPLAY":
            right = f"replay {v.event_clock} · wall {v.wall}"
        else:
            right = f"{v.wall}"
        room = width - len(left.plain) - len(right) - 1
        left.append(_fit(v.label, max(room, 0)), "bold")
        pad = width - len(left.plain) - len(right)
        line1 = left + Text(" " * max(pad, 1)) + Text(right, "bold")
        line2 = Text()
        parts: list[tuple[str, str]] = [(v.dose, "")]
        if v.elapsed:
            parts.append((v.elapsed, "bold"))
        if v.supplement:
            parts.append((v.supplement, palette.SUPPLEMENT.get(v.supplement_state, "")))
        fixed = sum(len(p) for p, _ in parts if p is not v.supplement) + 3 * (len(parts) - 1)
        for k, (text, style) in enumerate(parts):
            if k:
                line2.append(" │ ", palette.DIM)
            if text is v.supplement:
                text = _fit(text, max(width - fixed, 10))
            line2.append(text, style)
        if v.elapsed and width >= 110:
            filled = round(v.elapsed_fraction * 16)
            line2.append(" ")
            line2.append("█" * filled, "#5f87af")
            line2.append("░" * (16 - filled), palette.DIM)
            line2.append(" 8 h", palette.DIM)
        line1.truncate(width)
        line2.truncate(width)
        self._last = key
        self.update(Text("\n").join([line1, line2]), layout=False)


class Notices(ShowOnce):
    """What holds for the whole session, one line each: no alarm limits, baseline rules off.
    Hidden when there is none (class -shown in monitor.tcss)."""

    def show(self, notices: list[Notice]) -> None:
        width = self.size.width or 80
        key = (tuple(notices), width)
        if key == self._last:
            return
        self._last = key
        self.set_class(bool(notices), "-shown")
        lines = [
            Text(
                _fit(f" {n.text} ", width).ljust(width) if n.kind == "no-limits" else _fit(f" {n.text}", width),
                palette.NOTICE.get(n.kind, "bold"),
            )
            for n in notices
        ]
        self.update(Text("\n").join(lines), layout=True)


class AlarmBanner(Vertical):
    """The highest-priority alarm, flashing per priority; audio pause; cuff repeat request."""

    def compose(self):
        yield ShowOnce(id="banner-main")
        yield ShowOnce(id="banner-info")

    def show(self, v: BannerView, phase_on: bool) -> None:
        main = self.query_one("#banner-main", ShowOnce)
        info = self.query_one("#banner-info", ShowOnce)
        width = self.size.width or 80
        if v.priority:
            more = f"   (+{v.more} more)" if v.more else ""
            text = _fit(f" {v.text}{more}", width)
        else:
            text = f" ✓ {v.text}"
            if v.pending:
                text += f"   · {v.pending}"
            text = _fit(text, width)
        right = f"  {v.paused} " if v.paused else ""
        if right and len(text) + len(right) <= width:
            main_text = Text(text + " " * (width - len(text) - len(right)) + right)
            pause_inline = True
        else:
            main_text = Text(text)
            pause_inline = False
        main.put((main_text.plain,), main_text)
        # Classes drive the colours and the flashing (monitor.tcss).
        want = {f"-{v.priority}"} if v.priority else {"-calm"}
        if v.state in ("acknowledged",):
            want.add("-ack")
        flashing = v.priority in ("high", "medium", "technical") and v.state in ("active", "latched")
        if flashing and not phase_on:
            want.add("-off")
        for cls in (*_PRIORITY_CLASSES, "-calm", "-ack", "-off"):
            main.set_class(cls in want, cls)
        lines = []
        if v.paused and not pause_inline:
            lines.append(Text(f" {v.paused}", "bold black on #d0d0d0"))
        if v.repeat:
            lines.append(Text(_fit(f" {v.repeat}", width), "bold black on #ffd700"))
        if info.display != bool(lines):
            info.display = bool(lines)
        if lines:
            info.put(tuple(x.plain for x in lines), Text("\n").join(lines))


def big_digits(text: str) -> list[str]:
    """Three lines of large characters for a tile value (digits, '/', '.', '-')."""
    from textual.renderables.digits import DIGITS, DIGITS3X3_BOLD

    extra = {"/": ("  ╻", " ╱ ", "╹  "), ".": ("  ", "  ", "▪ "), "-": ("   ", "╺━╸", "   "), " ": ("  ", "  ", "  ")}
    rows = ["", "", ""]
    for ch in text:
        glyph: tuple[str, ...]
        if ch in extra:
            glyph = extra[ch]
        elif ch in DIGITS:
            pos = DIGITS.index(ch) * 3
            glyph = tuple(DIGITS3X3_BOLD[pos + k].ljust(3) for k in range(3))
        else:
            glyph = (ch, ch, ch)
        for k in range(3):
            rows[k] += glyph[k]
    return rows


class VitalTile(ShowOnce):
    """One vital: value, unit, limits, trend, alarm colour; dashes when stale."""

    def show(self, v: TileView, big: bool) -> None:
        width = self.size.width or 16
        key = (v, big, width)
        if key == self._last:
            return
        self._last = key
        if self.border_title != v.title:
            self.border_title = v.title
        if self.border_subtitle != v.limits:
            self.border_subtitle = v.limits
        for cls in _PRIORITY_CLASSES:
            self.set_class(cls == f"-{v.priority}", cls)
        self.set_class(v.stale, "-stale")
        self.set_class(v.dim, "-dim")
        value_style = palette.priority_fg(v.priority) or "bold"
        if v.stale:
            value_style = "bold " + palette.DIM
        elif v.dim:
            value_style = palette.DIM
        lines: list[Text] = []
        sub, short = v.sub, v.short
        if big and len(v.value) * 3 <= width:
            for row in big_digits(v.value):
                lines.append(Text(row, value_style))
            lines.append(Text(f"{v.extra} {v.trend}".strip(), palette.DIM if v.dim else ""))
        else:
            first = Text(v.value, value_style)
            if v.extra:
                first.append(f" {v.extra}", palette.DIM if v.dim else "")
            if v.trend and len(first.plain) + 2 + len(v.trend) <= width:
                first.append(f"  {v.trend}", palette.DIM)
            elif v.trend:  # no room: the trend leads the second line
                sub, short = f"{v.trend} {sub}".strip(), f"{v.trend} {short or sub}".strip()
            lines.append(first)
        if len(sub) > width and short:
            sub = short
        sub_style = palette.priority_fg(v.priority) if v.priority and not v.dim else palette.DIM
        lines.append(Text(_fit(sub, width), sub_style))
        for ln in lines:
            ln.truncate(width)
        self.update(Text("\n").join(lines), layout=False)


class AlarmList(ShowOnce):
    """Every alarm that is not normal, highest priority first."""

    def show(self, lines: list[tuple[str, str, str]]) -> None:
        width = self.size.width or 40
        key = (tuple(lines), width)
        if key == self._last:
            return
        self._last = key
        if not lines:
            self.update(Text(" no alarms", palette.DIM), layout=False)
            return
        out = []
        for prio, state, text in lines:
            style = palette.priority_fg(prio)
            if state in ("pending", "acknowledged"):
                style = palette.DIM if state == "pending" else style.replace("bold ", "")
            out.append(Text(_fit(text, width), style))
        self.update(Text("\n").join(out), layout=False)


class EventLog(ShowOnce):
    """The newest entries of the session log (alarm transitions, doses, notes, actions)."""

    def show(self, lines: list[tuple[str, str]], serial: int) -> None:
        width = self.size.width or 40
        height = max(self.size.height, 1)
        key = (serial, width, height)
        if key == self._last:
            return
        self._last = key
        shown = lines[-height:]
        out = []
        for prio, text in shown:
            style = palette.priority_fg(prio) if prio else ""
            out.append(Text(_fit(text, width), style))
        self.update(Text("\n").join(out) if out else Text(" (empty)", palette.DIM), layout=False)
