"""Reading a recorded session back: a session folder, a CSV with side files, or a plain device CSV."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from monitor.core.alarm_types import AlarmEvent, Control, order_controls
from monitor.core.dosing import Dose, Note
from monitor.core.readings import VitalStore
from monitor.core.thresholds import Thresholds
from monitor.recording.events import CONTROL_KINDS, alarm_event, event_control, read_events
from monitor.recording.files import META_LIMIT, READINGS, SessionError, read_side_text, session_paths


@dataclass
class RecordedSession:
    path: Path
    store: VitalStore
    meta: dict
    events: list[dict]  # every checked event (see monitor.recording.events), "t" in float seconds
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

    @property
    def absolute(self) -> bool:
        return self.time_kind == "absolute" or self.meta.get("time") == "absolute"

    @property
    def format_version(self) -> int:
        v = self.meta.get("format_version")
        return v if isinstance(v, int) and not isinstance(v, bool) else 1

    def doses(self) -> list[Dose]:
        """Doses at the time they were given (a dose keyed in late is placed where it belongs)."""
        return [Dose(e["given_at"], e["dose"], e["amount_mg"]) for e in self.events if e["kind"] == "dose"]

    def notes_logged(self) -> list[Note]:
        return [Note(e["t"], e["text"]) for e in self.events if e["kind"] == "note"]

    def end_time(self) -> float | None:
        """The last moment the session knows of: its newest reading or event (e.g. "stop")."""
        span = self.store.span()
        times = [e["t"] for e in self.events] + ([span[1]] if span else [])
        return max(times) if times else None

    def typed_times(self):
        """The sorted times of the typed rows (their `reading` events, format 3)."""
        import numpy as np

        return np.array(sorted(e["taken_at"] for e in self.events if e["kind"] == "reading"), float)

    def typed_staff(self) -> dict[float, str]:
        """The staff initials given with each typed row (its time -> initials; "" when none)."""
        return {e["taken_at"]: str(e.get("staff") or "") for e in self.events if e["kind"] == "reading"}

    def controls(self) -> list[Control]:
        """The user actions and technical events the alarm engine must see again to reproduce
        the recorded alarms, in the order they were applied live."""
        out = [c for e in self.events if e["kind"] in CONTROL_KINDS if (c := event_control(e)) is not None]
        return order_controls(out)

    def recorded_alarms(self) -> list[AlarmEvent]:
        return [alarm_event(e) for e in self.events if e["kind"] == "alarm"]

    def stored_thresholds(self) -> Thresholds | None:
        d = self.meta.get("thresholds")
        if not d:
            return None
        from monitor.core.thresholds_loader import thresholds_from_stored

        return thresholds_from_stored(d)


def load_session(path: str | Path, column_map: dict[str, str] | None = None) -> RecordedSession:
    """A session folder, a CSV with side files, or a plain device CSV."""
    from monitor.sources.csv.load import load_csv

    p = Path(path)
    csv_path, meta_path, events_path = session_paths(p)
    if p.is_dir() and not csv_path.exists():
        raise SessionError(f"'{p}' is a folder but not a session: it has no {READINGS}")
    loaded = load_csv(csv_path, column_map=column_map, skip_unterminated_last_line=p.is_dir())
    # lexists: a dangling link or a link loop is named, not taken for "no such file"
    meta = read_meta(meta_path) if os.path.lexists(meta_path) else {}
    meta.setdefault("source", str(csv_path))
    events, notes = read_events(events_path) if os.path.lexists(events_path) else ([], [])
    return RecordedSession(
        p,
        loaded.store,
        meta,
        events,
        loaded.time_kind,
        notes=list(loaded.notes) + notes,
        rejected=list(loaded.rejected),
        artifacts=dict(loaded.artifacts),
    )


def read_meta(meta_path: Path) -> dict:
    """The JSON object in a session.json; SessionError (one sentence) for anything else."""
    text = read_side_text(meta_path, META_LIMIT)
    if not text.strip():
        # What a version that wrote it in place left when the disk was full as the session began.
        raise SessionError(f"'{meta_path}' is empty: the session's details were never written whole")
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise SessionError(f"'{meta_path}' is not readable JSON: {exc}") from exc
    except RecursionError:
        raise SessionError(f"'{meta_path}' is not readable JSON: it is nested too deeply") from None
    if not isinstance(meta, dict):
        raise SessionError(f"'{meta_path}' does not hold a JSON object")
    return meta


def stopped_at(folder: Path) -> str | None:
    """The stop time of a session folder that was ended deliberately, or None (also when its
    events cannot be read: then resuming it is the safe choice)."""
    _, _, events_path = session_paths(folder)
    try:
        events, _ = read_events(events_path)
    except SessionError:
        return None
    stop = None
    for e in events:
        if e["kind"] == "stop":
            stop = str(e.get("wall") or e["t"])
        elif e["kind"] == "start":
            stop = None
    return stop
