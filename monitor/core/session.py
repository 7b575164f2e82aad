"""A dosing session: doses, the supplemental-dose window, notes, elapsed time; and its recording.

A recorded session is a folder:
- `readings.csv`  canonical columns `time,hr,sbp,dbp,map,spo2,temp,rr`, one line per reading;
- `events.jsonl`  one JSON object per line: doses, notes, acknowledgements, audio pauses, alarm
                  transitions (kind "alarm"), feed lost/restored, start and stop;
- `session.json`  id, label, start, source, simulated flag, thresholds in force, software version.
Files are appended to and flushed as written, and created owner-read/write only (health data).
A plain CSV with side files `X.session.json` / `X.events.jsonl` (what the simulator writes) and a
plain device CSV with no side files are read the same way.
"""

from __future__ import annotations

import errno
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from monitor import __version__
from monitor.core.alarms import AlarmEvent, Control
from monitor.core.readings import Reading, VitalStore
from monitor.core.thresholds import SupplementRules, Thresholds
from monitor.core.vitals import VITALS, format_value

READINGS = "readings.csv"
EVENTS = "events.jsonl"
META = "session.json"
HEADER = "time," + ",".join(VITALS) + "\n"
CONTROL_KINDS = {"dose", "ack", "pause"}


class SessionError(Exception):
    """A session folder or file that cannot be read or written; str() is one clear sentence."""


# -- time stamps -------------------------------------------------------------------------------


def format_time(t: float, absolute: bool) -> str:
    if not absolute:
        return f"{t:.3f}".rstrip("0").rstrip(".")  # %g would round past 27 hours
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds" if t % 1 else "seconds")


def parse_time(value) -> float:
    """Seconds (a number) or an ISO 8601 string (epoch seconds; no offset means UTC)."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


# -- doses and the supplemental window ---------------------------------------------------------


@dataclass(frozen=True)
class Dose:
    t: float
    dose: str  # "initial" | "supplemental"
    amount_mg: float | None = None


@dataclass(frozen=True)
class Note:
    t: float
    text: str


@dataclass(frozen=True)
class SupplementStatus:
    state: str  # "no-dose" | "waiting" | "open-ok" | "open-hold" | "closed" | "given"
    text: str


def supplement_status(doses: list[Dose], now: float, rules: SupplementRules,
                      latest: dict[str, float | None]) -> SupplementStatus:
    """Where the supplemental half-dose window stands, and whether the vitals allow it.

    `latest` maps vital -> its newest current (not stale) value, or None when it has gone stale;
    a vital left out of `latest` (never measured in this session) does not hold the window.
    """
    initial = next((d for d in doses if d.dose == "initial"), None)
    if initial is None:
        return SupplementStatus("no-dose", "supplement: no initial dose yet")
    if any(d.dose == "supplemental" for d in doses):
        given = next(d for d in doses if d.dose == "supplemental")
        return SupplementStatus("given", f"supplement given at +{_hm(given.t - initial.t)}")
    since = now - initial.t
    if since < rules.window_start_s:
        return SupplementStatus("waiting", f"supplement window opens in {_hm(rules.window_start_s - since)}")
    if since > rules.window_end_s:
        return SupplementStatus("closed", f"supplement window closed {_hm(since - rules.window_end_s)} ago")
    holds = []
    missing = []
    for vital, limit in rules.max_values.items():
        if vital not in latest:
            continue
        v = latest[vital]
        if v is None or v != v:
            missing.append(vital.upper())
        elif v >= limit:
            holds.append(f"{vital.upper()} {format_value(vital, v)} above {limit:g}")
    if holds:
        return SupplementStatus("open-hold", "open: " + "; ".join(holds))
    if missing:
        return SupplementStatus("open-hold", "open: no current " + ", ".join(missing))
    return SupplementStatus("open-ok", "open: vitals within limits")


def _hm(seconds: float) -> str:
    m = int(max(seconds, 0) // 60)
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m} min"


# -- the recorder ------------------------------------------------------------------------------


def _open_private(path: Path, mode: str = "a"):
    """Open for appending, creating the file owner-read/write only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC), 0o600)
    return os.fdopen(fd, mode, encoding="utf-8", newline="")


class SessionRecorder:
    """Appends readings and events to a session folder as they happen."""

    def __init__(self, folder: str | Path, *, label: str = "", source: str = "", simulated: bool = False,
                 thresholds: Thresholds | None = None, absolute: bool = True, start: float | None = None,
                 extra: dict | None = None):
        self.folder = Path(folder)
        self.absolute = absolute
        self._cut: dict[int, int] = {}  # fd -> size to cut back to before the next write
        try:
            # Any folder created on the way (e.g. sessions/, whose entries are named after the
            # labels) is owner-only too; Path.mkdir(parents=True) would give parents the umask's mode.
            for parent in reversed([self.folder, *self.folder.parents]):
                if not parent.exists():
                    parent.mkdir(mode=0o700, exist_ok=True)
            os.chmod(self.folder, 0o700)
            meta_path = self.folder / META
            if meta_path.exists():
                self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
                self.resumed = True
            else:
                self.meta = {
                    "id": uuid.uuid4().hex[:12],
                    "label": label,
                    "start": format_time(start, absolute) if start is not None else None,
                    "time": "absolute" if absolute else "relative",
                    "source": source,
                    "simulated": simulated,
                    "thresholds": thresholds.to_dict() if thresholds else None,
                    "software_version": __version__,
                    **(extra or {}),
                }
                with _open_private(meta_path, "w") as f:
                    json.dump(self.meta, f, indent=2)
                self.resumed = False
            readings = self.folder / READINGS
            new = not readings.exists() or readings.stat().st_size == 0
            self._readings = _open_private(readings)
            if new:
                self._readings.write(HEADER)
                self._readings.flush()
            else:
                _drop_cut_line(readings)
            self._events = _open_private(self.folder / EVENTS)
            _ensure_newline(self.folder / EVENTS, self._events)
        except OSError as exc:
            raise SessionError(f"cannot record in '{self.folder}': {exc.strerror or exc}") from exc

    def reading(self, r: Reading) -> None:
        vals = ",".join("" if v != v else f"{v:g}" for v in r.values())
        self._write(self._readings, f"{format_time(r.t, self.absolute)},{vals}\n")

    def readings(self, rs: list[Reading]) -> None:
        if rs:
            lines = [f"{format_time(r.t, self.absolute)}," +
                     ",".join("" if v != v else f"{v:g}" for v in r.values()) + "\n" for r in rs]
            self._write(self._readings, "".join(lines))

    def event(self, t: float, kind: str, **data) -> dict:
        rec = {"t": format_time(t, self.absolute), "kind": kind, **data}
        line = json.dumps(rec, ensure_ascii=False)
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # e.g. a lone surrogate from undecodable bytes: escape it
                line = json.dumps(rec)
        self._write(self._events, line + "\n")
        return rec

    def alarm(self, e: AlarmEvent) -> None:
        d = e.to_dict()
        t = d.pop("t")
        self.event(t, "alarm", **d)

    def _write(self, f, text: str) -> None:
        """Append one record whole, or not at all.

        A full or read-only disk can fail a write half-way. A buffered file would keep the unwritten
        rest and write it again with the next record, after the caller had already retried it
        (a record twice), and leave a cut line on disk. So the bytes go straight to the file, and
        a failed write is cut back to where the record began (now, or before the next write if
        the disk refuses even that), so the caller's retry writes it once, whole."""
        data = text.encode("utf-8")
        raw = f.buffer.raw
        fd = raw.fileno()
        cut = self._cut.get(fd)
        try:
            f.flush()  # nothing is left in the text layer's buffers; written with the header only
            if cut is not None:
                os.ftruncate(fd, cut)
                del self._cut[fd]
            start = os.fstat(fd).st_size
        except OSError as exc:
            raise SessionError(f"cannot write to '{self.folder}': {exc.strerror or exc}") from exc
        done = 0
        try:
            while done < len(data):
                n = raw.write(data[done:])
                if not n:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                done += n
        except OSError as exc:
            if done:
                try:
                    os.ftruncate(fd, start)
                except OSError:
                    self._cut[fd] = start
            raise SessionError(f"cannot write to '{self.folder}': {exc.strerror or exc}") from exc

    def close(self) -> None:
        for f in (self._readings, self._events):
            try:
                f.close()
            except OSError:
                pass


def _drop_cut_line(path: Path) -> None:
    """After a crash the last reading may be cut short: remove it (loading skipped it too, so
    the feed delivers it again and it is recorded whole)."""
    try:
        with open(path, "rb+") as r:
            size = r.seek(0, os.SEEK_END)
            back = min(size, 4096)
            while back:
                r.seek(size - back)
                tail = r.read(back)
                if tail.endswith(b"\n"):
                    return
                nl = tail.rfind(b"\n")
                if nl >= 0:
                    r.truncate(size - back + nl + 1)
                    return
                if back == size:
                    return  # not even a whole header: leave it
                back = min(size, back * 2)
    except OSError:
        pass


def _ensure_newline(path: Path, f) -> None:
    """After a crash the last line may be cut short: end it so new lines start clean."""
    try:
        with open(path, "rb") as r:
            r.seek(0, os.SEEK_END)
            if r.tell() == 0:
                return
            r.seek(-1, os.SEEK_END)
            if r.read(1) != b"\n":
                f.write("\n")
                f.flush()
    except OSError:
        pass


# -- reading a session back --------------------------------------------------------------------


@dataclass
class RecordedSession:
    path: Path
    store: VitalStore
    meta: dict
    events: list[dict]  # every event, "t" converted to float seconds
    time_kind: str
    notes: list[str] = field(default_factory=list)
    rejected: list = field(default_factory=list)
    artifacts: dict[str, int] = field(default_factory=dict)

    @property
    def simulated(self) -> bool:
        return bool(self.meta.get("simulated"))

    @property
    def label(self) -> str:
        return str(self.meta.get("label") or self.path.stem)

    def doses(self) -> list[Dose]:
        return [Dose(_given_at(e), e.get("dose", "initial"), e.get("amount_mg"))
                for e in self.events if e.get("kind") == "dose"]

    def notes_logged(self) -> list[Note]:
        return [Note(e["t"], str(e.get("text", ""))) for e in self.events if e.get("kind") == "note"]

    def end_time(self) -> float | None:
        """The last moment the session knows of: its newest reading or event (e.g. "stop")."""
        span = self.store.span()
        times = [e["t"] for e in self.events] + ([span[1]] if span else [])
        return max(times) if times else None

    def controls(self) -> list[Control]:
        """The user actions the alarm engine must see again to reproduce the recorded alarms."""
        out = []
        for e in self.events:
            kind = e.get("kind")
            if kind == "dose":
                out.append(Control(e["t"], "dose", {"dose": e.get("dose", "initial")}))
            elif kind == "ack":
                out.append(Control(e["t"], "ack", {"who": e.get("who", "")}))
            elif kind == "pause":
                out.append(Control(e["t"], "pause", {"seconds": e.get("seconds")}))
        return out

    def recorded_alarms(self) -> list[AlarmEvent]:
        return [AlarmEvent.from_dict(e) for e in self.events if e.get("kind") == "alarm"]

    def stored_thresholds(self) -> Thresholds | None:
        d = self.meta.get("thresholds")
        if not d:
            return None
        from monitor.core.thresholds import thresholds_from_stored

        return thresholds_from_stored(d)


def _given_at(e: dict) -> float:
    """When a dose was given: a dose keyed in late carries `given_at` besides the time it was
    recorded (`t`, which is when the alarm engine learnt of it)."""
    try:
        return parse_time(e["given_at"]) if e.get("given_at") is not None else e["t"]
    except (TypeError, ValueError):
        return e["t"]


def load_session(path: str | Path, column_map: dict[str, str] | None = None) -> RecordedSession:
    """A session folder, a CSV with side files, or a plain device CSV."""
    from monitor.sources.csvfile import load_csv

    p = Path(path)
    if p.is_dir():
        csv_path, meta_path, events_path = p / READINGS, p / META, p / EVENTS
        if not csv_path.exists():
            raise SessionError(f"'{p}' is a folder but not a session: it has no {READINGS}")
    else:
        csv_path = p
        meta_path = p.with_name(p.stem + ".session.json")
        events_path = p.with_name(p.stem + ".events.jsonl")
    loaded = load_csv(csv_path, column_map=column_map, skip_unterminated_last_line=p.is_dir())
    meta: dict = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SessionError(f"'{meta_path}' is not readable JSON: {exc}") from exc
        except RecursionError:
            raise SessionError(f"'{meta_path}' is not readable JSON: it is nested too deeply") from None
        if not isinstance(meta, dict):
            raise SessionError(f"'{meta_path}' does not hold a JSON object")
    meta.setdefault("source", str(csv_path))
    events, notes = _read_events(events_path) if events_path.exists() else ([], [])
    return RecordedSession(p, loaded.store, meta, events, loaded.time_kind,
                           notes=list(loaded.notes) + notes, rejected=list(loaded.rejected),
                           artifacts=dict(loaded.artifacts))


def _check_control(e: dict) -> None:
    """The alarm engine replays doses and pauses: their data must be what the recorder writes."""
    if e["kind"] == "dose":
        if e.get("dose", "initial") not in ("initial", "supplemental"):
            raise ValueError(f"dose {e.get('dose')!r} is neither initial nor supplemental")
        _check_number(e, "amount_mg")
    elif e["kind"] == "pause":
        _check_number(e, "seconds")


def _check_number(e: dict, key: str) -> None:
    v = e.get(key)
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
        raise ValueError(f"{key} {v!r} is not a number")


def _read_events(path: Path) -> tuple[list[dict], list[str]]:
    """Events in file order; a line cut short by a crash is skipped and said."""
    events, notes = [], []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SessionError(f"cannot read '{path}': {exc.strerror or exc}") from exc
    # Split on "\n" only: str.splitlines() also breaks at U+2028, U+0085, ... which JSON written
    # with ensure_ascii=False keeps raw inside strings (a note holding one would be lost).
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            e = json.loads(line)
            if not isinstance(e, dict) or not isinstance(e.get("kind"), str):
                raise ValueError("no kind")
            e["t"] = parse_time(e["t"])
            if not math.isfinite(e["t"]):
                raise ValueError("time is not finite")
            _check_control(e)
        except RecursionError:
            notes.append(f"{path.name} line {no} skipped: not a complete event (nested too deeply)")
            continue
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            notes.append(f"{path.name} line {no} skipped: not a complete event ({exc})")
            continue
        events.append(e)
    return events, notes
