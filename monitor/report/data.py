"""What the report shows, computed from a recorded session: no Plotly and no HTML here.

`build_report_data(session, thresholds)` gathers the time base (time zero = the initial dose, or
the first reading when no dose was logged), the alarm log (as recorded, or recomputed by the alarm
engine), per-vital summaries, drawable series and the event log. Every number in the summary uses
every plausible reading; only the drawn series are downsampled (min/max buckets, extremes kept).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import numpy as np

from monitor.core.alarm_log import QUIET_STATES
from monitor.core.alarm_types import AlarmEvent
from monitor.core.beyond_limits import Beyond, hold_seconds, median_interval, time_beyond_limits
from monitor.core.downsample import minmax_downsample
from monitor.core.episodes import Episode, alarm_vitals, episodes
from monitor.core.thresholds import Thresholds
from monitor.core.timetext import (
    clock_of_day,
    clock_of_day_array,
    format_duration,
    signed_hms,
    signed_hms_array,
    utc_offset,
    zone_name,
    zone_stamp,
)
from monitor.core.vitals import ALL_SPECS, SPECS, VITALS, format_value
from monitor.recording.alarm_source import AlarmSource, alarm_source
from monitor.recording.loader import RecordedSession

# A series whose readings come at most this far apart (median) is drawn as a continuous line;
# slower ones (cuff BP, charted temperature) are drawn as markers, one per reading.
CONTINUOUS_MAX_DT = 120.0
# Drawing budget: min/max buckets over the whole session per series (about 2 points per bucket).
DEFAULT_BUCKETS = 2000
DEFAULT_BASELINE_WINDOW = 1800.0
# The direction in which a vital's peak is looked for after the dose (SpO2 matters when it falls).
PEAK_DOWN = {"spo2"}


# -- time ----------------------------------------------------------------------------------------


def _fixed_offset(meta_start) -> tzinfo:
    """The UTC offset the session was recorded in (from session.json's start), else UTC."""
    if isinstance(meta_start, str):
        try:
            dt = datetime.fromisoformat(meta_start)
        except ValueError:
            return UTC
        if dt.tzinfo is not None:
            off = dt.utcoffset() or timedelta(0)
            return timezone(off) if off else UTC
    return UTC


@dataclass(frozen=True)
class Timebase:
    """Time zero (initial dose, else the first reading) and how clock times are written."""

    absolute: bool  # readings carry clock time (epoch seconds) rather than seconds since start
    zero: float  # event time of hour 0 on the chart
    zero_kind: str  # "dose" or "start"
    tz: tzinfo = UTC
    multiday: bool = False

    @property
    def tz_name(self) -> str:
        return zone_name(self.tz)

    def hours(self, t) -> np.ndarray:
        return (np.asarray(t, dtype=float) - self.zero) / 3600.0

    def elapsed(self, t: float) -> str:
        """'+1:23:45': time since the dose (or since the start)."""
        return signed_hms(t - self.zero)

    def clock(self, t: float) -> str:
        """'10:53:45' (with the date when the session spans several days); '' without clock time."""
        if not self.absolute:
            return ""
        return clock_of_day(t, self.tz, date=self.multiday)

    def stamp(self, t: float) -> str:
        """Full date and time for the header; relative recordings get their offset from the start."""
        if not self.absolute:
            return f"{format_duration(t)} after the start of the recording"
        return zone_stamp(t, self.tz)

    def when(self, t: float) -> str:
        """Clock time and time since zero, as one cell: '10:53:45 (+1:23:45)'."""
        if not self.absolute:
            return self.elapsed(t)
        return f"{self.clock(t)} ({self.elapsed(t)})"

    def hover_labels(self, t: np.ndarray) -> list[str]:
        """One short hover line per time: '+1:23:45 after dose · 10:53:45 UTC'."""
        t = np.asarray(t, dtype=float)
        if len(t) == 0:
            return []
        since = "after dose" if self.zero_kind == "dose" else "from start"
        rel = [f"{r} {since}" for r in signed_hms_array(t - self.zero)]
        if not self.absolute:
            return rel
        clock = clock_of_day_array(t, utc_offset(self.tz), date=self.multiday)
        tz = self.tz_name
        return [f"{r} · {c} {tz}" for r, c in zip(rel, clock, strict=True)]


def make_timebase(session) -> Timebase:
    span = session.store.span()
    start = span[0] if span else 0.0
    end = span[1] if span else 0.0
    initial = next((d for d in session.doses() if d.dose == "initial"), None)
    if initial is None:
        # A supplemental dose alone still marks the drug's arrival better than the first reading.
        initial = next(iter(session.doses()), None)
    absolute = session.time_kind == "absolute"
    tz = _fixed_offset(session.meta.get("start")) if absolute else UTC
    multiday = False
    if absolute and span:
        multiday = datetime.fromtimestamp(start, tz).date() != datetime.fromtimestamp(end, tz).date()
    if initial is not None:
        return Timebase(absolute, initial.t, "dose", tz, multiday)
    return Timebase(absolute, start, "start", tz, multiday)


# -- the alarm log -------------------------------------------------------------------------------


@dataclass
class LogRow:
    t: float
    when: str
    alarm: str
    vital: str
    priority: str
    state: str
    value: str
    limit: str
    message: str
    ack: str  # who acknowledged (on "acknowledged" rows), or who/when for the alarm's active row


def _num(vital: str, v) -> str:
    if v is None:
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return ""
    return format_value(vital, f) if vital in ALL_SPECS else f"{f:g}"


def log_rows(log: list[AlarmEvent], acks: list[tuple[float, str]], tb: Timebase) -> list[LogRow]:
    """The alarm log as table rows (pending/cancelled delay transitions left out)."""
    ack_times = [t for t, _ in acks]
    rows: list[LogRow] = []
    open_row: dict[str, int] = {}
    for e in log:
        if e.state in QUIET_STATES:
            continue
        ack = ""
        if e.state == "acknowledged":
            i = _last_le(ack_times, e.t)
            who = acks[i][1] if i is not None else ""
            ack = who or "(no name given)"
            k = open_row.get(e.alarm)
            if k is not None and not rows[k].ack.startswith("by "):
                rows[k].ack = f"by {ack} at {tb.when(e.t)}"
        rows.append(
            LogRow(
                e.t,
                tb.when(e.t),
                e.alarm,
                e.vital,
                e.priority,
                e.state,
                _num(e.vital, e.value),
                _num(e.vital, e.limit),
                e.message,
                ack,
            )
        )
        if e.state == "active":
            open_row[e.alarm] = len(rows) - 1
            rows[-1].ack = "not acknowledged"
        elif e.state == "cleared":
            open_row.pop(e.alarm, None)
    return rows


def _last_le(values: list[float], x: float) -> int | None:
    i = bisect.bisect_right(values, x + 1e-6) - 1
    return i if i >= 0 else None


# -- baselines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineNote:
    """What the alarm engine did at the initial dose for one vital with baseline rules."""

    t: float
    vital: str
    value: float | None  # None: no pre-dose readings, the vital's baseline rules were off
    n: int | None  # readings the median was taken over (from the engine's message), if known
    message: str

    @property
    def off(self) -> bool:
        return self.value is None


_MEDIAN_OF = re.compile(r"median of (\d+) reading")


def baseline_notes(log: list[AlarmEvent]) -> list[BaselineNote]:
    """The engine's baseline transitions (the last one per vital), in vital order."""
    out: dict[str, BaselineNote] = {}
    for e in log:
        if e.state != "baseline" or not e.vital:
            continue
        value = None
        if e.value is not None:
            try:
                value = float(e.value)
            except (TypeError, ValueError):
                value = None
            if value is not None and math.isnan(value):
                value = None
        m = _MEDIAN_OF.search(e.message or "")
        out[e.vital] = BaselineNote(e.t, e.vital, value, int(m.group(1)) if m else None, e.message or "")
    return sorted(out.values(), key=lambda b: (VITALS.index(b.vital) if b.vital in VITALS else len(VITALS), b.vital))


# -- per-vital summaries -------------------------------------------------------------------------


@dataclass
class VitalSummary:
    vital: str
    label: str
    unit: str
    n: int  # plausible readings
    artifacts: int
    continuous: bool
    baseline: float | None = None
    baseline_n: int = 0
    vmin: float | None = None
    tmin: float | None = None
    vmax: float | None = None
    tmax: float | None = None
    mean: float | None = None
    peak: float | None = None
    tpeak: float | None = None
    peak_direction: str = "max"
    beyond: list[Beyond] = field(default_factory=list)
    alarms: Counter = field(default_factory=Counter)
    repeats: int = 0
    hold_s: float = 0.0
    baseline_off: bool = False  # the alarm engine had no pre-dose readings: baseline rules off

    @property
    def change(self) -> float | None:
        if self.peak is None or self.baseline is None:
            return None
        return self.peak - self.baseline


def summarise(session, src: AlarmSource, tb: Timebase, eps: list[Episode]) -> list[VitalSummary]:
    store = session.store
    th = src.thresholds
    dose_t = tb.zero if tb.zero_kind == "dose" else None
    window = max((r.window_s for r in th.baseline), default=DEFAULT_BASELINE_WINDOW)
    notes = {b.vital: b for b in baseline_notes(src.log)}
    counts: dict[str, Counter] = defaultdict(Counter)
    for ep in eps:
        pr = "technical" if ep.alarm.endswith((".stale", ".artifact")) else ep.priority
        for v in alarm_vitals(ep.alarm, ep.vital, th):
            counts[v][pr] += 1
    repeats: Counter[str] = Counter()
    for e in src.log:
        if e.state == "repeat":
            repeats[e.vital] += 1
    t_all = store.t
    out: list[VitalSummary] = []
    for name in store.present():
        spec = SPECS[name]
        col = store.column(name)
        art = store.artifacts(name)
        ok = ~np.isnan(col) & ~art
        t, v = t_all[ok], col[ok]
        md = median_interval(t)
        s = VitalSummary(
            name, spec.label, spec.unit, int(ok.sum()), int(art.sum()), bool(len(t) > 1 and md <= CONTINUOUS_MAX_DT)
        )
        s.alarms = counts.get(name, Counter())
        s.repeats = repeats.get(name, 0)
        s.hold_s = hold_seconds(name, t, th)
        if len(v):
            i, j = int(np.argmin(v)), int(np.argmax(v))
            s.vmin, s.tmin, s.vmax, s.tmax = float(v[i]), float(t[i]), float(v[j]), float(t[j])
            s.mean = float(np.mean(v))
        if dose_t is not None:
            pre = (t >= dose_t - window) & (t <= dose_t)
            s.baseline_n = int(pre.sum())
            note = notes.get(name)
            if note is not None and note.off:
                # The alarm engine found no pre-dose readings: its baseline rules were off.
                s.baseline_off = True
            elif note is not None:
                s.baseline = note.value
                s.baseline_n = note.n if note.n is not None else s.baseline_n
            elif s.baseline_n:
                s.baseline = float(np.median(v[pre]))
            post = t >= dose_t
            if post.any():
                vp, tp = v[post], t[post]
                k = int(np.argmin(vp)) if name in PEAK_DOWN else int(np.argmax(vp))
                s.peak, s.tpeak = float(vp[k]), float(tp[k])
                s.peak_direction = "min" if name in PEAK_DOWN else "max"
        s.beyond = time_beyond_limits(name, t, v, th, s.hold_s, s.baseline, dose_t)
        out.append(s)
    # Alarms on vitals that are not drawn (the shock index) still get a row of counts.
    for name, c in counts.items():
        if name not in {s.vital for s in out} and name in ALL_SPECS:
            spec = ALL_SPECS[name]
            s = VitalSummary(name, spec.label, spec.unit, 0, 0, False)
            s.alarms = c
            s.repeats = repeats.get(name, 0)
            out.append(s)
    return out


# -- drawable series -----------------------------------------------------------------------------


@dataclass
class Series:
    vital: str
    x: np.ndarray  # hours since time zero; NaN separates segments (gaps in the recording)
    y: np.ndarray
    labels: list[str]  # hover text per point ('' at separators)
    continuous: bool
    n_raw: int  # plausible readings before downsampling
    derived: bool = False  # MAP computed from SBP and DBP (at least in part)


@dataclass
class ArtifactPoints:
    vital: str
    x: np.ndarray
    y: np.ndarray  # the implausible values themselves (drawn at the chart's edge)
    labels: list[str]


def drawable(t: np.ndarray, v: np.ndarray, buckets: int, gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) for drawing: split at gaps longer than `gap_s`, each stretch min/max-bucketed so
    every extreme is kept, stretches joined with a NaN (a break in the line)."""
    ok = ~np.isnan(v)
    t, v = t[ok], v[ok]
    n = len(t)
    if n == 0:
        return t, v
    cuts = np.flatnonzero(np.diff(t) > gap_s) + 1
    if n <= 2 * buckets:
        # Nothing to reduce: just break the line at the gaps.
        return np.insert(t, cuts, np.nan), np.insert(v, cuts, np.nan)
    bounds = np.concatenate(([0], cuts, [n]))
    ts: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        k = max(1, round(buckets * (b - a) / n))
        tt, vv = minmax_downsample(t[a:b], v[a:b], k)
        if ts:
            ts.append(np.array([np.nan]))
            vs.append(np.array([np.nan]))
        ts.append(tt)
        vs.append(vv)
    return np.concatenate(ts), np.concatenate(vs)


def series_for(
    session, summaries: dict[str, VitalSummary], tb: Timebase, buckets: int = DEFAULT_BUCKETS
) -> tuple[dict[str, Series], dict[str, ArtifactPoints]]:
    store = session.store
    t_all = store.t
    out: dict[str, Series] = {}
    arts: dict[str, ArtifactPoints] = {}
    derived = store.map_derived()
    for name in store.present():
        s = summaries.get(name)
        col = store.column(name)
        art = store.artifacts(name)
        ok = ~np.isnan(col) & ~art
        t, v = t_all[ok], col[ok]
        gap = s.hold_s if s else 60.0
        dt, dv = drawable(t, v, buckets, gap)
        labels = [""] * len(dt)
        good = ~np.isnan(dt)
        if good.any():
            lab = tb.hover_labels(dt[good])
            it = iter(lab)
            labels = [next(it) if g else "" for g in good.tolist()]
        out[name] = Series(
            name,
            tb.hours(dt),
            dv,
            labels,
            bool(s.continuous) if s else False,
            int(ok.sum()),
            derived=bool(name == "map" and derived[ok].any()),
        )
        if art.any():
            at, av = t_all[art], col[art]
            arts[name] = ArtifactPoints(name, tb.hours(at), av, tb.hover_labels(at))
    return out, arts


# -- the event log -------------------------------------------------------------------------------


@dataclass
class EventRow:
    t: float
    when: str
    kind: str
    detail: str
    text: str = ""  # free text typed by a person (notes), shown as typed
    short: str = ""  # a label for the chart ("initial 120 mg")
    at: float | None = None  # where the chart draws it: a dose at the time it was given (else t)
    reason: str = ""  # a dose given despite a concern: the reason the user confirmed
    what: str = ""  # a dose's kind and amount alone ("initial dose 120 mg")

    @property
    def x_t(self) -> float:
        return self.t if self.at is None else self.at

    @property
    def keyed_late(self) -> bool:
        """A dose keyed in at least a second after it was given."""
        return self.at is not None and abs(self.t - self.at) >= 1


def _dose_text(e: dict) -> str:
    kind = str(e.get("dose", "initial"))
    mg = e.get("amount_mg")
    amount = (
        f" {mg:g} mg"
        if isinstance(mg, (int, float)) and not isinstance(mg, bool)
        else (f" {mg} mg" if mg not in (None, "") else "")
    )
    return f"{kind} dose{amount}"


def event_rows(session, tb: Timebase) -> list[EventRow]:
    rows = []
    # Alarm transitions (technical ones included) are in the alarm log; clock ticks are internal.
    shown = (e for e in session.events if e["kind"] not in ("alarm", "technical", "clock"))
    for e in sorted(shown, key=lambda e: e["t"]):
        kind = str(e.get("kind", ""))
        extra = {k: v for k, v in e.items() if k not in ("t", "kind", "seq")}
        text = ""
        short = ""
        at = None
        reason = ""
        if kind == "dose":
            detail = _dose_text(e)
            short = detail.replace(" dose", "")
            extra.pop("dose", None)
            extra.pop("amount_mg", None)
            given = extra.pop("given_at", None)
            at = float(given) if isinstance(given, (int, float)) and not isinstance(given, bool) else e["t"]
            if abs(at - e["t"]) >= 1:
                detail += f" given at {tb.when(at)}"
            reason = str(extra.pop("reason", "") or "")
            if reason:
                detail += f" — confirmed although: {reason}"
        elif kind == "note":
            detail = "note"
            text = str(extra.pop("text", ""))
        elif kind == "ack":
            who = extra.pop("who", "")
            detail = f"alarms acknowledged by {who}" if who else "alarms acknowledged"
        elif kind == "reading":
            from monitor.core.manual_entry import describe

            detail = f"typed reading {describe(e.get('values') or {})}"
            taken = extra.pop("taken_at", None)
            if isinstance(taken, float) and abs(taken - e["t"]) >= 1:
                detail += f" taken at {tb.when(taken)}"
            for k in ("values", "source", "who"):
                extra.pop(k, None)
            if not extra.get("staff"):
                extra.pop("staff", None)
        elif kind == "pause":
            sec = extra.pop("seconds", None)
            detail = f"audio paused for {sec:g} s" if isinstance(sec, (int, float)) else "audio paused"
        else:
            detail = kind.replace("_", " ")
        if extra.get("source") == "simulator":
            extra.pop("source")
        if extra:
            detail += " (" + ", ".join(f"{k}: {v}" for k, v in extra.items()) + ")"
        rows.append(
            EventRow(
                e["t"], tb.when(e["t"]), kind, detail, text, short, at, reason, _dose_text(e) if kind == "dose" else ""
            )
        )
    return rows


# -- everything together -------------------------------------------------------------------------


@dataclass
class ReportData:
    session: RecordedSession
    tb: Timebase
    src: AlarmSource
    episodes: list[Episode]
    summaries: list[VitalSummary]
    series: dict[str, Series]
    artifacts: dict[str, ArtifactPoints]
    alarm_rows: list[LogRow]
    event_rows: list[EventRow]
    buckets: int
    span: tuple[float, float] | None

    def summary(self, vital: str) -> VitalSummary | None:
        return next((s for s in self.summaries if s.vital == vital), None)


def build_report_data(session, thresholds: Thresholds | None = None, buckets: int = DEFAULT_BUCKETS) -> ReportData:
    tb = make_timebase(session)
    src = alarm_source(session, thresholds)
    span = session.store.span()
    eps = episodes(src.log, span[1] if span else None)
    summaries = summarise(session, src, tb, eps)
    series, arts = series_for(session, {s.vital: s for s in summaries}, tb, buckets)
    acks = sorted((c.t, str(c.data.get("who", "") or "")) for c in session.controls() if c.kind == "ack")
    return ReportData(
        session,
        tb,
        src,
        eps,
        summaries,
        series,
        arts,
        log_rows(src.log, acks, tb),
        event_rows(session, tb),
        buckets,
        span,
    )


def vital_name(vital: str) -> str:
    spec = ALL_SPECS.get(vital)
    return spec.label if spec else vital.upper()


__all__ = ["ReportData", "Timebase", "build_report_data", "drawable"]
