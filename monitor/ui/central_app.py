"""The central station: every bed of a site on one screen, from the broker (`make_app(...)`).

It watches; the bedside acknowledges. The model of the beds is monitor.publish.beds (no Textual),
fed from the subscription (monitor.publish.watch) on one timer; this module only draws it:
- one tile per bed (label, HR, BP with its age, temperature, SpO2, the highest active alarm in
  words and markers, SIMULATED where so), most urgent first; a high alarm not yet acknowledged
  at the bedside flashes; an offline or silent bed says so, and shows no number as current;
- Enter on a tile opens that bed's detail: every number with its time and age, the last hour's
  trend, the active alarms and the latest transitions. Escape goes back.
- a bar on top says whether the central station itself reaches the broker: while it does not,
  every bed ages towards silent, as it should.

Every string shown came over the network: the model made it printable; here it goes into Rich
`Text` (never markup).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Sparkline, Static

from monitor.core.priority import marker, word
from monitor.core.timetext import age_short, age_text
from monitor.core.vitals import ALL_SPECS, format_value
from monitor.publish.beds import Bed, Board

TICK_S = 0.5  # the flash; the data is drawn every other tick
TILE_W = 40  # columns per tile: two across at 80 columns, four at 160
MAX_LINE = 80  # a tile line longer than its tile is cut at its edge (Strip.adjust_cell_length)
CLASSES = ("-high", "-medium", "-low", "-technical", "-offline")
DETAIL_VITALS = ("hr", "sbp", "dbp", "map", "spo2", "temp", "rr")
TREND_VITALS = ("hr", "sbp", "dbp", "spo2", "temp", "rr")


def _value(bed: Bed, vital: str, now: float) -> str:
    s = bed.shown(vital, now)
    if s is None:
        return "--"
    return "--" if s.value is None else format_value(vital, s.value)


def _bp(bed: Bed, now: float) -> str:
    sbp, dbp = bed.shown("sbp", now), bed.shown("dbp", now)
    if sbp is None:
        return "BP --"
    if sbp.value is None:
        return f"BP --/-- stale ({age_short(sbp.age_s)} old)"
    d = "--" if dbp is None or dbp.value is None else format_value("dbp", dbp.value)
    return f"BP {format_value('sbp', sbp.value)}/{d} ({age_short(sbp.age_s)} ago)"


def tile_text(bed: Bed, now: float) -> Text:
    """What one tile says (plain text: the colours come from the tile's class)."""
    top = bed.highest(now)
    condition = bed.condition(now)
    head = Text()
    head.append(f"{marker(top or '') or ' ':>3} ", style="bold")
    if bed.simulated:  # first, so a long label never pushes it off the tile
        head.append("SIMULATED", style="bold reverse")
        head.append(" ")
    head.append(bed.name[:24], style="bold")
    if bed.label and bed.label != bed.bed:
        head.append(f" ({bed.bed[:10]})")
    lines = [head]
    if condition == "offline":
        since = f" {age_short(now - bed.status_at)}" if bed.status_at is not None else ""
        lines.append(Text(f"OFFLINE{since}: {bed.reason or 'the bedside said so'}"[:MAX_LINE], style="bold"))
    elif condition == "silent":
        silent = bed.silent_for(now) or 0.0
        lines.append(Text(f"NO DATA from the bed for {age_short(silent)}", style="bold"))
    elif condition == "unknown":
        lines.append(Text("waiting for the bed's status"))
    else:
        alarm = bed.top_alarm()
        if alarm is None:
            lines.append(Text("no active alarm"))
        else:
            ack = " (acknowledged)" if alarm.state == "acknowledged" else ""  # before the words: never cut off
            lines.append(
                Text(f"{marker(alarm.priority)} {word(alarm.priority)}{ack} {alarm.message}"[:MAX_LINE], "bold")
            )
    lines.append(
        Text(f"HR {_value(bed, 'hr', now):>3}  SpO2 {_value(bed, 'spo2', now):>3}  T {_value(bed, 'temp', now)}")
    )
    lines.append(Text(_bp(bed, now)))
    extra = bed.problem or (f"{len(bed.alarms)} alarms" if len(bed.alarms) > 1 else "")
    lines.append(Text(extra[:MAX_LINE]))
    return Text("\n").join(lines)


def tile_class(bed: Bed, now: float) -> str | None:
    if bed.condition(now) in ("offline", "silent"):
        return "-offline"
    top = bed.highest(now)
    return f"-{top}" if top else None


class BedTile(Widget, can_focus=True):
    """One bed; which bed it shows changes as the order does. Drawn line by line from the lines
    of `tile_text` (Textual's line API): fifty tiles redrawn every second are most of what the
    central station costs, and this is the cheapest way Textual draws text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,down", "app.move(1)", "Next", show=False),
        Binding("left,up", "app.move(-1)", "Previous", show=False),
    ]

    def __init__(self, **kw):
        super().__init__(**kw)
        self.bed_id: str | None = None
        self.text = Text()
        self._lines: list[list[Segment]] = []
        self._shown: tuple | None = None
        self._flashes = False

    def show(self, bed: Bed, now: float, flash: bool) -> None:
        if not self.display:
            self.display = True
        text = tile_text(bed, now)
        cls = tile_class(bed, now)
        key = (bed.bed, text.plain, cls, bed.unacknowledged())
        if key == self._shown:
            self.blink(flash)
            return  # fifty tiles: only what changed is drawn again
        self._shown = key
        self.bed_id = bed.bed
        self.text = text
        console = self.app.console
        self._lines = [list(line.render(console)) for line in text.split("\n")]
        for c in CLASSES:
            self.set_class(c == cls, c)
        self._flashes = cls == "-high" and bed.unacknowledged()
        self.blink(flash)
        self.refresh()

    def blink(self, on: bool) -> None:
        """A high alarm not yet acknowledged at the bedside flashes (dark red every other half second)."""
        self.set_class(self._flashes and not on, "-flash")

    def render_line(self, y: int) -> Strip:
        segments = self._lines[y] if y < len(self._lines) else []
        return Strip(segments).adjust_cell_length(self.content_size.width).apply_style(self.rich_style)


class DetailScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("backspace", "app.pop_screen", "Back", show=False),
    ]

    def __init__(self, bed_id: str):
        super().__init__()
        self.bed_id = bed_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(id="detail-head")
            yield Static(id="numerics")
            yield Static("Last hour (min to max):", id="trend-title")
            for v in TREND_VITALS:
                with Horizontal(classes="trend-row", id=f"tr-{v}"):
                    yield Static(id=f"tl-{v}", classes="trend-label")
                    yield Sparkline([], id=f"sp-{v}", summary_function=max)
            yield Static(id="alarm-list")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_bed()

    def refresh_bed(self) -> None:
        app = self.app
        assert isinstance(app, CentralApp)
        bed = app.board.beds.get(self.bed_id)
        if bed is None:
            return
        now = app.wall()
        head = Text()
        head.append(f"{bed.name}  (bed {bed.bed})", style="bold")
        if bed.simulated:
            head.append("  SIMULATED", style="bold reverse")
        condition = bed.condition(now)
        if condition == "offline":
            head.append(f"\nOFFLINE: {bed.reason}", style="bold")
        elif condition == "silent":
            head.append(f"\nNO DATA from the bed for {age_text(bed.silent_for(now) or 0)}", style="bold")
        if bed.problem:
            head.append(f"\n{bed.problem}")
        self.query_one("#detail-head", Static).update(head)
        rows = [Text("Numerics            value   measured at                    age", style="bold")]
        for v in DETAIL_VITALS:
            s = bed.shown(v, now)
            if s is None:
                continue
            value = "--" if s.value is None else format_value(v, s.value)
            note = "  STALE" if s.stale else ""
            rows.append(Text(f"{ALL_SPECS[v].label[:18]:<18} {value:>6}   {s.time:<30} {age_text(s.age_s)}{note}"))
        self.query_one("#numerics", Static).update(Text("\n").join(rows))
        for v in TREND_VITALS:
            pts = bed.trend.get(v, [])
            values = [p[1] for p in sorted(pts, key=lambda p: -p[0])]
            label = f"{v.upper():<5}" + (
                f"{format_value(v, min(values))}-{format_value(v, max(values))}" if values else "--"
            )
            self.query_one(f"#tl-{v}", Static).update(Text(label))
            self.query_one(f"#sp-{v}", Sparkline).data = values
            # A vital the bed does not measure has no line at all (a flat line would read as a value).
            self.query_one(f"#tr-{v}").display = bool(values)
        out = [Text("Active alarms", style="bold")]
        if not bed.alarms:
            out.append(Text("  none"))
        for a in bed.alarms:
            age = f" for {age_short(a.age_s)}" if a.age_s is not None else ""
            out.append(Text(f"  {marker(a.priority):>3} {word(a.priority):<9} {a.state:<12} {a.message}{age}"))
        out.append(Text("Latest transitions", style="bold"))
        for _at, a, t in list(bed.transitions)[-8:][::-1]:
            out.append(Text(f"  {t[11:19] or t:<8} {marker(a.priority):>3} {a.state:<12} {a.message}"))
        self.query_one("#alarm-list", Static).update(Text("\n").join(out))


class CentralApp(App):
    CSS_PATH = "central.tcss"
    TITLE = "vitals-monitor central station"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Bed detail")]

    def __init__(self, watcher, site: str, wall: Callable[[], float] = time.time, timers: bool = True):
        super().__init__()
        self.watcher = watcher
        self.board = Board(site)
        self.site = site
        self.wall = wall
        self.timers = timers
        self.flash = False
        self._link_said = ""
        self._empty_shown = True

    def compose(self) -> ComposeResult:
        yield Static(id="link")
        with VerticalScroll(id="beds", can_focus=False):
            yield Static("No bed has published yet.", id="empty")
            yield Grid(id="tiles")
        yield Footer()

    def on_mount(self) -> None:
        self.step()
        if self.timers:
            self.set_interval(TICK_S, self.step)

    def on_resize(self, event) -> None:
        self.query_one("#tiles", Grid).styles.grid_size_columns = max(1, event.size.width // TILE_W)

    def step(self) -> None:
        """Twice a second: the high alarms' tiles flash. Once a second: take what arrived and
        redraw what changed (the tiles, the detail when open). Drawing fifty tiles is what costs
        the central station its CPU; their numbers change once a second at most."""
        self.flash = not self.flash
        if self.flash or not self.timers:
            for r in self.watcher.take():
                self.board.take(r.topic, r.payload, r.at, r.expiry_left)
            self.redraw()
        else:
            for tile in self.query(BedTile):
                tile.blink(self.flash)

    def redraw(self) -> None:
        now = self.wall()
        up = bool(self.watcher.up)
        where = self.watcher.address.where()
        n = len(self.board.beds)
        if up:
            said = f"CENTRAL STATION  site {self.site}  broker {where}  connected  {n} bed(s)"
        else:
            said = f"NO LINK TO THE BROKER {where}: {self.watcher.why}; beds are not updated (reconnecting)"
        if said != self._link_said:
            self._link_said = said
            link = self.query_one("#link", Static)
            link.update(Text(said), layout=False)
            link.set_class(not up, "-down")
        beds = self.board.ordered(now)
        grid = self.query_one("#tiles", Grid)
        tiles = list(grid.query(BedTile))
        if len(tiles) < len(beds):
            grid.mount_all([BedTile() for _ in range(len(beds) - len(tiles))])
            tiles = list(grid.query(BedTile))
        if beds and self._empty_shown:
            self._empty_shown = False
            self.query_one("#empty", Static).display = False
        focused = self.focused.bed_id if isinstance(self.focused, BedTile) else None
        for tile, bed in zip(tiles, beds, strict=False):
            tile.show(bed, now, self.flash)
        for tile in tiles[len(beds) :]:
            if tile.display:
                tile.display = False
        if focused is not None:
            for tile in tiles:
                if tile.bed_id == focused and tile is not self.focused:
                    tile.focus()  # the cursor stays on its bed as the order changes
        elif tiles and beds and not isinstance(self.focused, BedTile) and not isinstance(self.screen, DetailScreen):
            tiles[0].focus()  # Enter opens a bed from the start
        if isinstance(self.screen, DetailScreen):
            self.screen.refresh_bed()

    def tiles(self) -> list[BedTile]:
        return [t for t in self.query(BedTile) if t.bed_id is not None and t.display]

    def action_open(self) -> None:
        if isinstance(self.focused, BedTile) and self.focused.bed_id and not isinstance(self.screen, DetailScreen):
            self.push_screen(DetailScreen(self.focused.bed_id))

    def action_move(self, step: int) -> None:
        tiles = self.tiles()
        if not tiles:
            return
        i = tiles.index(self.focused) if self.focused in tiles else -1
        tiles[(i + step) % len(tiles)].focus()

    def on_unmount(self) -> None:
        self.watcher.stop()


def make_app(watcher, site: str, *, wall: Callable[[], float] = time.time, timers: bool = True) -> CentralApp:
    """The central station over a started `monitor.publish.watch.Watcher` (or anything with its
    `take()`, `up`, `why`, `address` and `stop()`); wall/timers: injected by tests."""
    return CentralApp(watcher, site, wall=wall, timers=timers)
