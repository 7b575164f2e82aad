"""What each part of the screen shows, computed from the session (no Textual here).

Nothing here decides anything clinical: alarm colours come from the engine's status, the
supplemental-dose window from `supplement_status`, staleness from the engine's `<stream>.stale`
alarms. This module only arranges those answers for display.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import tzinfo

import numpy as np

from monitor.core.alarm_types import AlarmStatus
from monitor.core.priority import marker, rank_of, short_word, word
from monitor.core.timetext import age_short, age_text, countdown, event_time, hours_minutes
from monitor.core.vitals import ALL_SPECS, VITALS, format_value

SESSION_HOURS = (6, 8)  # expected length of a dosing session (docs/clinical.md)
CUFF_OLD_FRACTION = 0.5  # a cuff value dims once older than this part of its stale limit


@dataclass
class TileView:
    key: str
    title: str  # "HR bpm"
    value: str  # "72", "168/102", "--"
    extra: str = ""  # "(124)" MAP beside the BP value
    trend: str = ""  # "↑+3"
    sub: str = ""  # second line: alarm words, age, "no data"
    short: str = ""  # the second line for a narrow tile (markers instead of words)
    limits: str = ""  # "50–110"
    priority: str = ""  # alarm colour: high | medium | low | technical | ""
    state: str = ""  # active | acknowledged | latched | pending | ""
    stale: bool = False
    dim: bool = False  # an old cuff value


@dataclass
class BannerView:
    priority: str  # "" when calm
    state: str
    text: str
    more: int = 0
    pending: str = ""
    paused: str = ""  # "AUDIO PAUSED 1:42"
    repeat: str = ""  # the cuff repeat-measurement request


@dataclass
class HeaderView:
    mode: str
    label: str
    wall: str
    event_clock: str  # the feed's clock (simulated time, or the file's time)
    dose: str
    supplement: str
    supplement_state: str
    elapsed: str
    elapsed_fraction: float  # elapsed / 8 h, for a small bar
    ended: bool = False
    folder: str = ""


@dataclass
class ChartSeries:
    vital: str
    t: np.ndarray
    v: np.ndarray
    max_gap: float  # do not join points further apart than this (seconds)
    sparse: bool  # intermittent readings: draw each as a bigger dot


@dataclass
class ChartView:
    key: str
    title: str
    t0: float
    t1: float
    series: list[ChartSeries]
    limits: list[tuple[float, str]]  # (value, priority)
    markers: list[tuple[float, str]]  # (time, "D" | "S" | "N")
    present: bool = True
    y_range: tuple[float, float] = (0.0, 1.0)


@dataclass
class Snapshot:
    """Everything the screen needs at one instant, computed once per refresh."""

    now: float | None
    statuses: list[AlarmStatus]
    stale: set[str]
    present: set[str] = field(default_factory=set)


def snapshot(session) -> Snapshot:
    statuses = session.alarms()
    return Snapshot(session.event_now(), statuses, session.stale_vitals(statuses), session.present())


# -- header ------------------------------------------------------------------------------------


def header_view(session, snap: Snapshot, tz: tzinfo | None) -> HeaderView:
    now = snap.now
    absolute = session.absolute
    wall = event_time(session.clock.wall(), True, tz)
    ev = event_time(now, absolute, tz) if now is not None else "--:--:--"
    initial = session.initial_dose()
    if initial is None:
        start = session.session_start()
        since = f" · session {hours_minutes(now - start)}" if now is not None and start is not None else ""
        dose = f"No dose yet{since}"
        elapsed, frac = "", 0.0
    else:
        e = (now or initial.t) - initial.t
        amount = f" {initial.amount_mg:g} mg" if initial.amount_mg else ""
        dose = f"Dose{amount} {event_time(initial.t, absolute, tz, seconds=False)}"
        elapsed = f"T+{hours_minutes(e)} of {SESSION_HOURS[0]}–{SESSION_HOURS[1]} h"
        frac = max(0.0, min(1.0, e / (SESSION_HOURS[1] * 3600)))
    sup = session.supplement(snap.stale)
    if sup.state == "no-dose":
        text = ""
    else:  # "Supplement window: NOT ready: SBP 168 >= 160", "Supplement window opens in 12 min"
        text = sup.text[:1].upper() + sup.text[1:]
    return HeaderView(
        session.feed.mode,
        session.label,
        wall,
        ev,
        dose,
        text,
        sup.state,
        elapsed,
        frac,
        ended=session.finished,
        folder=str(session.folder or ""),
    )


# -- standing notices --------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    kind: str  # "no-limits" | "baseline-off" | "backlog"
    text: str


BASELINE_OFF_PREFIX = "no pre-dose "  # the engine's message: "no pre-dose hr readings: baseline rules ..."


def baseline_off_in_log(entries) -> dict[str, str]:
    """Baseline vitals whose rules are off, from the engine's "baseline" log lines (vital -> message):
    for an engine without `baseline_off`."""
    out: dict[str, str] = {}
    for e in entries:
        if e.kind == "alarm" and e.state == "baseline" and e.text.startswith(BASELINE_OFF_PREFIX):
            vital = e.text[len(BASELINE_OFF_PREFIX) :].split(" ", 1)[0]
            out[vital] = e.text
    return out


def notices(session, baseline_off: dict[str, str] | None = None) -> list[Notice]:
    """What holds for the whole session and must stay in view, not scroll away in the log: vitals
    the thresholds leave without alarm limits, and baseline rules that are off (no pre-dose
    readings of that vital when the initial dose was recorded)."""
    out = []
    loading = session.loading() if hasattr(session, "loading") else None
    if loading is not None:
        upto = session.engine.t
        when = f" (readings up to {session.fmt(upto)} so far)" if upto != float("-inf") else ""
        out.append(Notice("backlog", f"loading the file's backlog: {loading:.0%}{when}"))
    without = tuple(getattr(session.th, "without_limits", ()) or ())
    if without:
        names = ", ".join(v.upper() for v in without)
        out.append(
            Notice(
                "no-limits",
                f"NO ALARM LIMITS: {names} (the thresholds file leaves "
                f"{'it' if len(without) == 1 else 'them'} without limits)",
            )
        )
    off = dict(getattr(session.engine, "baseline_off", None) or {})
    for vital, message in (baseline_off or {}).items():
        off.setdefault(vital, message)
    if off:
        names = ", ".join(v.upper() for v in sorted(off, key=_vital_order))
        out.append(Notice("baseline-off", f"Baseline rules OFF for {names} (no pre-dose readings)"))
    return out


def _vital_order(vital: str) -> tuple[int, str]:
    keys = list(ALL_SPECS)
    return (keys.index(vital) if vital in keys else len(keys), vital)


# -- banner ------------------------------------------------------------------------------------


def banner_view(session, snap: Snapshot, tz: tzinfo | None) -> BannerView:
    shown = [s for s in snap.statuses if s.state != "pending"]
    pending = [s for s in snap.statuses if s.state == "pending"]
    paused = session.paused_remaining()
    pause_text = f"AUDIO PAUSED {countdown(paused)}" if paused > 0 else ""
    rep = session.repeat_request()
    repeat = ""
    if rep is not None:
        repeat = f"REPEAT CUFF BP NOW: {rep.message.replace(': repeat the measurement', '')}"
    pend = ""
    if pending:
        p = pending[0]
        pend = f"pending: {p.message}"
    if not shown:
        return BannerView("", "", "No active alarms", 0, pend, pause_text, repeat)
    top = shown[0]
    since = event_time(top.since, session.absolute, tz) if math.isfinite(top.since) else ""
    state = {"latched": "LATCHED: back in range, press a", "acknowledged": "acknowledged"}.get(top.state, "")
    text = f"{marker(top.priority)} {word(top.priority)}  {top.message}"
    if since:
        text += f"  since {since}"
    if state:
        text += f"  · {state}"
    return BannerView(top.priority, top.state, text, len(shown) - 1, pend, pause_text, repeat)


# -- tiles -------------------------------------------------------------------------------------


def _limits(th, vital: str) -> tuple[float | None, float | None]:
    rule = th.vitals.get(vital)
    if rule is None:
        return None, None
    lo = rule.lower.get("medium", rule.lower.get("low", rule.lower.get("high")))
    hi = rule.upper.get("medium", rule.upper.get("low", rule.upper.get("high")))
    return lo, hi


def _lim_text(th, vital: str) -> str:
    lo, hi = _limits(th, vital)
    d = ALL_SPECS[vital].decimals

    def f(x):
        return f"{x:.{d}f}" if d else f"{x:g}"

    if lo is not None and hi is not None:
        return f"{f(lo)}–{f(hi)}"
    if hi is not None:
        return f"<{f(hi)}"
    if lo is not None:
        return f">{f(lo)}"
    return ""


def _alarm_for(statuses: list[AlarmStatus], vitals: tuple[str, ...], names: tuple[str, ...] = ()) -> AlarmStatus | None:
    for s in statuses:  # highest priority first
        if s.state == "pending":
            continue
        if s.vital in vitals or s.alarm in names:
            return s
    return None


def _pending_for(statuses: list[AlarmStatus], vitals: tuple[str, ...]) -> AlarmStatus | None:
    return next((s for s in statuses if s.state == "pending" and s.vital in vitals), None)


def _trend(cur: float, prev: tuple[float, float] | None, vital: str) -> str:
    if prev is None:
        return ""
    d = cur - prev[1]
    dec = ALL_SPECS[vital].decimals
    if round(d, dec) == 0:
        return "→0"
    arrow = "↑" if d > 0 else "↓"
    return f"{arrow}{'+' if d > 0 else '−'}{abs(d):.{dec}f}"


def _alarm_words(s: AlarmStatus) -> str:
    words = f"{marker(s.priority)} {word(s.priority)}"
    if s.state == "latched":
        words += " latched"
    elif s.state == "acknowledged":
        words += " ack"
    return words


def _short(s: AlarmStatus) -> str:
    return marker(s.priority) + (" latched" if s.state == "latched" else " ack" if s.state == "acknowledged" else "")


def _sub(tile: TileView, alarm: AlarmStatus | None, *parts: str, age: float | None = None) -> None:
    parts = tuple(p for p in parts if p)
    long_age = (age_text(age),) if age is not None else ()
    short_age = (age_short(age),) if age is not None else ()
    if alarm is None:
        tile.sub = " · ".join((*parts, *long_age))
        tile.short = " ".join((*parts, *short_age))
        return
    tile.sub = " · ".join((_alarm_words(alarm), *parts, *long_age))
    tile.short = " ".join((_short(alarm), *parts, *short_age))


def tile_views(session, snap: Snapshot) -> list[TileView]:
    out = [_continuous_tile(session, snap, "hr", "HR", "bpm")]
    out.append(_bp_tile(session, snap))
    if "spo2" in snap.present:
        out.append(_continuous_tile(session, snap, "spo2", "SpO2", "%"))
    if "temp" in snap.present:
        out.append(_cuff_tile(session, snap, "temp", "Temp", "°C", ("temp",), "temp"))
    if "hr" in snap.present and "sbp" in snap.present:
        out.append(_si_tile(session, snap))
    _mark_typed(session, out)
    loading = session.loading() if hasattr(session, "loading") else None
    if loading is not None:
        # The values taken so far are hours behind the file's end: none of them is current.
        for tile in out:
            tile.value, tile.extra, tile.trend, tile.dim = "--", "", "", False
            tile.stale, tile.priority, tile.state = True, "technical", ""
            tile.sub = tile.short = f"loading backlog {loading:.0%}"
    return out


def _mark_typed(session, tiles: list[TileView]) -> None:
    """A value typed at the bedside says so in its tile's title (a device's does not)."""
    typed = getattr(session, "typed", None)
    if typed is None or not typed.records:
        return
    for tile in tiles:
        vital = "sbp" if tile.key == "bp" else tile.key
        last = session.store.last_valid(vital) if vital in VITALS else None
        if last is not None and typed.is_typed(last[0]):
            tile.title += " · typed"


def _stale_after(th, vital: str) -> float | None:
    for rule in th.stale:
        if vital in rule.vitals:
            return rule.after_s
    return None


def _continuous_tile(session, snap: Snapshot, vital: str, name: str, unit: str) -> TileView:
    th, store = session.th, session.store
    tile = TileView(vital, f"{name} {unit}", "--", limits=_lim_text(th, vital))
    last = store.last_valid(vital)
    alarm = _alarm_for(snap.statuses, (vital,))
    artifact = next((s for s in snap.statuses if s.alarm == f"{vital}.artifact"), None)
    if vital in snap.stale or last is None:
        tile.stale = True
        tile.priority = "technical" if vital in snap.stale else ""
        if last is not None and snap.now is not None:
            age = age_text(snap.now - last[0])
            tile.sub = f"no data · last {format_value(vital, last[1])} {age}"
            tile.short = f"no data {age.replace(' ago', '')}"
        else:
            tile.sub = tile.short = "no data"
        if vital in snap.stale:
            tile.sub, tile.short = "! " + tile.sub, "! " + tile.short
        return tile
    if artifact is not None and artifact.state != "normal":
        tile.stale = True
        tile.priority = "technical"
        tile.sub = f"! implausible {format_value(vital, artifact.value) if artifact.value is not None else ''}".rstrip()
        return tile
    tile.value = format_value(vital, last[1])
    tile.trend = _trend(last[1], store.previous_valid(vital), vital)
    if alarm is not None:
        tile.priority, tile.state = alarm.priority, alarm.state
        _sub(tile, alarm, _limit_text(alarm))
    else:
        pend = _pending_for(snap.statuses, (vital,))
        if pend is not None:
            tile.sub = f"pending {_limit_text(pend)}"
        elif snap.now is not None and snap.now - last[0] >= 3:
            tile.sub = age_text(snap.now - last[0])
    return tile


def _limit_text(s: AlarmStatus) -> str:
    if s.limit is None:
        return ""
    op = "≥" if s.alarm.endswith(".upper") else "≤"
    return f"{op}{format_value(s.vital, s.limit) if s.vital in ALL_SPECS else s.limit}"


def _cuff_age(session, vital: str, t_reading: float, now: float | None) -> tuple[float | None, bool]:
    if now is None:
        return None, False
    age = now - t_reading
    after = _stale_after(session.th, vital)
    old = after is not None and age > after * CUFF_OLD_FRACTION
    return age, old


def _bp_tile(session, snap: Snapshot) -> TileView:
    th, store = session.th, session.store
    lim_s, lim_d = _lim_text(th, "sbp"), _lim_text(th, "dbp")
    tile = TileView("bp", "BP mmHg", "--/--", limits=f"{lim_s}/{lim_d}" if lim_s and lim_d else lim_s)
    s, d, m = store.last_valid("sbp"), store.last_valid("dbp"), store.last_valid("map")
    alarm = _alarm_for(snap.statuses, ("sbp", "dbp", "map"), ("bp.stale",))
    if alarm is not None:
        tile.priority, tile.state = alarm.priority, alarm.state
    if s is None:
        tile.stale = True
        tile.sub = "no cuff reading yet"
        return tile
    if "sbp" in snap.stale:
        tile.stale = True
        tile.priority = alarm.priority if alarm is not None else "technical"
        ago = age_text(snap.now - s[0]) if snap.now is not None else ""
        dd = f"/{format_value('dbp', d[1])}" if d else ""
        tile.sub = f"! no data · last {format_value('sbp', s[1])}{dd} {ago}"
        tile.short = f"! no data {ago.replace(' ago', '')}"
        return tile
    tile.value = format_value("sbp", s[1]) + "/" + (format_value("dbp", d[1]) if d and abs(d[0] - s[0]) < 60 else "--")
    if m is not None and abs(m[0] - s[0]) < 60:
        tile.extra = f"({format_value('map', m[1])})"
    tile.trend = _trend(s[1], store.previous_valid("sbp"), "sbp")
    age, old = _cuff_age(session, "sbp", s[0], snap.now)
    tile.dim = old and alarm is None
    _sub(tile, alarm if alarm is not None and alarm.alarm != "bp.stale" else None, age=age)
    return tile


def _cuff_tile(
    session, snap: Snapshot, vital: str, name: str, unit: str, vitals: tuple[str, ...], stream_vital: str
) -> TileView:
    th, store = session.th, session.store
    tile = TileView(vital, f"{name} {unit}", "--", limits=_lim_text(th, vital))
    last = store.last_valid(vital)
    alarm = _alarm_for(snap.statuses, vitals)
    if alarm is not None:
        tile.priority, tile.state = alarm.priority, alarm.state
    if last is None:
        tile.stale = True
        tile.sub = "no reading yet"
        return tile
    if stream_vital in snap.stale:
        tile.stale = True
        tile.priority = alarm.priority if alarm is not None else "technical"
        ago = age_text(snap.now - last[0]) if snap.now is not None else ""
        tile.sub = f"! no data · last {format_value(vital, last[1])} {ago}"
        tile.short = f"! no data {ago.replace(' ago', '')}"
        return tile
    tile.value = format_value(vital, last[1])
    tile.trend = _trend(last[1], store.previous_valid(vital), vital)
    age, old = _cuff_age(session, vital, last[0], snap.now)
    tile.dim = old and alarm is None
    _sub(tile, alarm, age=age)
    return tile


def _si_tile(session, snap: Snapshot) -> TileView:
    """Shock index HR/SBP at the newest cuff reading: the alarm engine's own value."""
    th, store = session.th, session.store
    tile = TileView("si", "Shock idx", "--", limits=_lim_text(th, "si"))
    s = store.last_valid("sbp")
    alarm = _alarm_for(snap.statuses, ("si",))
    if alarm is not None:
        tile.priority, tile.state = alarm.priority, alarm.state
    if s is None or "sbp" in snap.stale:
        tile.stale = True
        tile.sub = "needs a current cuff BP"
        return tile
    si = session.engine.last_si  # derived by the alarm engine, the same value its alarms use
    if si is None or si[0] != s[0]:
        tile.stale = True
        tile.sub = "no HR at the cuff reading"
        return tile
    tile.value = format_value("si", si[1])
    age, old = _cuff_age(session, "sbp", s[0], snap.now)
    tile.dim = old and alarm is None
    _sub(tile, alarm, age=age)
    return tile


# -- charts ------------------------------------------------------------------------------------

WINDOWS = (("15 min", 900.0), ("1 h", 3600.0), ("session", None))

CHARTS = {
    "hr": ("HR bpm", ("hr",)),
    "bp": ("BP mmHg (SBP/DBP)", ("sbp", "dbp")),
    "temp": ("Temp °C", ("temp",)),
}


def chart_window(session, snap: Snapshot, window_s: float | None) -> tuple[float, float] | None:
    span = session.store.span()
    if span is None:
        return None
    t1 = max(snap.now if snap.now is not None else span[1], span[1])
    if window_s is None:
        t0 = span[0]
        if t1 - t0 < 900:
            t0 = t1 - 900
    else:
        t0 = t1 - window_s
    return t0, t1


def chart_view(session, snap: Snapshot, key: str, window: tuple[float, float] | None) -> ChartView:
    title, vitals = CHARTS[key]
    th, store = session.th, session.store
    if window is None:
        return ChartView(key, title, 0.0, 1.0, [], [], [], present=False)
    t0, t1 = window
    series = []
    lo_data, hi_data = math.inf, -math.inf
    for v in vitals:
        spec = ALL_SPECS[v]
        gap = _stale_after(th, v) or (60.0 if spec.continuous else 3600.0)
        # From one stale limit before the window, so a line enters from the left edge.
        i, j = store.index_range(t0 - gap, t1)
        t = store.t[i:j]
        vals = store.column(v)[i:j].copy()
        vals[store.artifacts(v)[i:j]] = np.nan  # artifacts are not drawn as vital signs
        inside = ~np.isnan(vals) & (t >= t0)
        if inside.any():
            lo_data = min(lo_data, float(vals[inside].min()))
            hi_data = max(hi_data, float(vals[inside].max()))
        series.append(ChartSeries(v, t, vals, gap, not spec.continuous))
    limits: list[tuple[float, str]] = []
    for v in vitals:
        rule = th.vitals.get(v)
        if rule is None:
            continue
        sides = (rule.upper,) if key == "bp" and v == "dbp" else (rule.upper, rule.lower)
        for side in sides:  # (DBP's low limits would sit among SBP's and only confuse)
            for prio, value in side.items():
                limits.append((float(value), prio))
    # Medium limits always frame the chart; others show when the data reaches towards them.
    meds = [x for x, p in limits if p == "medium"] or [x for x, _ in limits]
    frame = [x for x in (lo_data, hi_data, *meds) if math.isfinite(x)] or [0.0, 1.0]
    lo, hi = min(frame), max(frame)
    pad = max((hi - lo) * 0.06, 1.0 if ALL_SPECS[vitals[0]].decimals == 0 else 0.1)
    lo, hi = lo - pad, hi + pad
    shown = sorted({(x, p) for x, p in limits if lo <= x <= hi}, key=lambda z: (z[0], -rank_of(z[1])))
    markers = [(d.t, "D" if d.dose == "initial" else "S") for d in session.doses if t0 <= d.t <= t1]
    markers += [(n.t, "N") for n in session.notes if t0 <= n.t <= t1]
    return ChartView(key, title, t0, t1, series, shown, markers, present=True, y_range=(lo, hi))


# -- alarm list and log ------------------------------------------------------------------------


def alarm_lines(session, snap: Snapshot, tz: tzinfo | None, compact: bool = False) -> list[tuple[str, str, str]]:
    """(priority, state, text) per alarm, highest first."""
    out = []
    for s in snap.statuses:
        since = event_time(s.since, session.absolute, tz, seconds=not compact) if math.isfinite(s.since) else ""
        state = s.state if s.state != "active" else ""
        if compact:
            text = f"{marker(s.priority):>3} {short_word(s.priority):<4} {s.message}"
        else:
            text = f"{marker(s.priority):>3} {word(s.priority):<9} {s.message}"
        tail = " · ".join(x for x in (state, f"since {since}" if since else "") if x)
        out.append((s.priority, s.state, f"{text}  {tail}" if tail else text))
    return out


def log_line(entry, absolute: bool | None, tz: tzinfo | None) -> tuple[str, str]:
    # Before the first reading there is no event time: the wall clock says when.
    when = event_time(entry.t, absolute, tz) if entry.t is not None else event_time(entry.wall, True, tz)
    mark = marker(entry.priority) if entry.kind == "alarm" or entry.priority else ""
    state = f"[{entry.state}] " if entry.kind == "alarm" and entry.state else ""
    return entry.priority, f"{when} {mark:>3} {state}{entry.text}"
