"""One recorded session as the rows of the cohort's tables (Arrow tables, one per Parquet file).

Times are seconds (`t`: the recording's own clock, epoch seconds when it has clock time) and
`since_dose_s`: seconds after the initial dose was given (null when no dose was logged). Vital
columns hold the plausible readings only: an artifact (a value outside the plausible range, which
the loader flags) is null there and counted in `artifacts`, a bit per vital (bit i: VITALS[i]),
so a researcher reading the files elsewhere never takes an artifact for a reading.

Alarm episodes come from monitor.core.episodes (the one reading of an alarm log), with the time
to the first acknowledgement and the reminders inside each episode added here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from monitor.core.alarm_diff import Difference
from monitor.core.alarm_types import AlarmEvent
from monitor.core.beyond_limits import hold_seconds
from monitor.core.episodes import Episode, episodes
from monitor.core.priority import PRIORITIES
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import VITALS
from monitor.recording.loader import RecordedSession

F64 = pa.float64()
STR = pa.string()

SCHEMAS: dict[str, pa.Schema] = {
    "sessions": pa.schema(
        [
            ("label", STR),
            ("source_path", STR),
            ("participant", STR),
            ("simulated", pa.bool_()),
            ("absolute_time", pa.bool_()),
            ("start_t", F64),
            ("end_t", F64),
            ("duration_s", F64),
            ("dose_t", F64),
            ("initial_mg", F64),
            ("supplemental_mg", F64),
            ("doses", pa.int32()),
            ("total_mg", F64),
            ("readings", pa.int64()),
            ("rejected_lines", pa.int64()),
            ("notes", pa.int64()),
            ("notes_json", STR),  # what the loader said about the recording (artifacts, skipped lines)
            ("thresholds", STR),
            ("alarm_origin", STR),
            ("format_version", pa.int32()),
            ("meta_json", STR),
        ]
    ),
    "readings": pa.schema(
        [("t", F64), ("since_dose_s", F64)] + [(v, F64) for v in VITALS] + [("artifacts", pa.int16())]
    ),
    "events": pa.schema([("t", F64), ("since_dose_s", F64), ("kind", STR), ("data_json", STR)]),
    "alarms": pa.schema(
        [
            ("t", F64),
            ("since_dose_s", F64),
            ("alarm", STR),
            ("vital", STR),
            ("priority", STR),
            ("state", STR),
            ("value", F64),
            ("limit", F64),
            ("message", STR),
        ]
    ),
    "episodes": pa.schema(
        [
            ("alarm", STR),
            ("vital", STR),
            ("priority", STR),
            ("start_t", F64),
            ("end_t", F64),
            ("duration_s", F64),
            ("since_dose_s", F64),
            ("ack_s", F64),  # from the start to the first acknowledgement; null: never acknowledged
            ("reminders", pa.int32()),
            ("latched", pa.bool_()),
        ]
    ),
    # The limits in force: `rule` "limit" (vital, direction, priority, value) or "stale" (stream in
    # `vital`, its vitals in `direction`, `value` = seconds); `hold_s`: how long one reading of the
    # vital stands for (monitor.core.beyond_limits), used for time beyond and missing data.
    "limits": pa.schema(
        [("rule", STR), ("vital", STR), ("direction", STR), ("priority", STR), ("value", F64), ("hold_s", F64)]
    ),
    "rejected": pa.schema([("line", pa.int64()), ("reason", STR)]),
}
_EPISODE_FIELDS = [("variant", STR)] + list(zip(SCHEMAS["episodes"].names, SCHEMAS["episodes"].types, strict=True))
SCHEMAS["whatif_episodes"] = pa.schema(_EPISODE_FIELDS)
SCHEMAS["whatif_diffs"] = pa.schema(
    [
        ("variant", STR),
        ("kind", STR),  # added | removed | changed (monitor.core.alarm_diff)
        ("alarm", STR),
        ("vital", STR),
        ("old_priority", STR),
        ("new_priority", STR),
        ("start_t", F64),
        ("end_t", F64),
    ]
)


@dataclass(frozen=True)
class Dosing:
    dose_t: float | None  # when the initial dose was given
    initial_mg: float | None
    supplemental_mg: float | None
    count: int
    total_mg: float | None


def dosing(session: RecordedSession) -> Dosing:
    doses = sorted(session.doses(), key=lambda d: d.t)
    initial = next((d for d in doses if d.dose == "initial"), doses[0] if doses else None)
    supplemental = [d.amount_mg for d in doses if d.dose == "supplemental" and d.amount_mg is not None]
    amounts = [d.amount_mg for d in doses if d.amount_mg is not None]
    return Dosing(
        initial.t if initial else None,
        initial.amount_mg if initial else None,
        sum(supplemental) if supplemental else None,
        len(doses),
        sum(amounts) if amounts else None,
    )


def _since(t: np.ndarray | float, dose_t: float | None):
    if dose_t is None:
        return None if isinstance(t, float) else pa.nulls(len(t), F64)
    return t - dose_t


def readings_table(session: RecordedSession, dose_t: float | None) -> pa.Table:
    store = session.store
    t = np.asarray(store.t, dtype=float)
    cols: dict[str, object] = {"t": t, "since_dose_s": _since(t, dose_t)}
    flags = np.zeros(len(t), dtype=np.int16)
    for bit, name in enumerate(VITALS):
        values = np.asarray(store.column(name), dtype=float)
        bad = np.asarray(store.artifacts(name), dtype=bool)
        if bad.any():
            flags |= (bad.astype(np.int16) << bit).astype(np.int16)
            values = np.where(bad, np.nan, values)
        cols[name] = pa.array(values, F64, from_pandas=True)  # NaN -> null: no reading
    cols["artifacts"] = flags
    return pa.table(cols, schema=SCHEMAS["readings"])


def events_table(session: RecordedSession, dose_t: float | None) -> pa.Table:
    # Alarm transitions have their own table; every other event is kept whole as JSON.
    rows = [e for e in session.events if e["kind"] != "alarm"]
    t = np.array([e["t"] for e in rows], dtype=float)
    data = [json.dumps({k: v for k, v in e.items() if k not in ("t", "kind")}, default=str) for e in rows]
    return pa.table(
        {"t": t, "since_dose_s": _since(t, dose_t), "kind": [e["kind"] for e in rows], "data_json": data},
        schema=SCHEMAS["events"],
    )


def alarms_table(log: list[AlarmEvent], dose_t: float | None) -> pa.Table:
    t = np.array([e.t for e in log], dtype=float)
    return pa.table(
        {
            "t": t,
            "since_dose_s": _since(t, dose_t),
            "alarm": [e.alarm for e in log],
            "vital": [e.vital for e in log],
            "priority": [e.priority for e in log],
            "state": [e.state for e in log],
            "value": [e.value for e in log],
            "limit": [e.limit for e in log],
            "message": [e.message for e in log],
        },
        schema=SCHEMAS["alarms"],
    )


def episode_rows(log: list[AlarmEvent], end: float | None, dose_t: float | None) -> list[dict]:
    """Each alarm episode, with the time to its first acknowledgement and its reminders."""
    acks: dict[str, list[float]] = {}
    reminders: dict[str, list[float]] = {}
    for e in log:
        if e.state == "acknowledged":
            acks.setdefault(e.alarm, []).append(e.t)
        elif e.state == "reminder":
            reminders.setdefault(e.alarm, []).append(e.t)
    out = []
    for ep in episodes(log, end):
        first_ack = next((a for a in acks.get(ep.alarm, ()) if ep.start <= a <= ep.end), None)
        out.append(
            {
                "alarm": ep.alarm,
                "vital": ep.vital,
                "priority": ep.priority,
                "start_t": ep.start,
                "end_t": ep.end,
                "duration_s": ep.end - ep.start,
                "since_dose_s": None if dose_t is None else ep.start - dose_t,
                "ack_s": None if first_ack is None else first_ack - ep.start,
                "reminders": sum(1 for r in reminders.get(ep.alarm, ()) if ep.start <= r <= ep.end),
                "latched": ep.latched_at is not None,
            }
        )
    return out


def episodes_table(log: list[AlarmEvent], end: float | None, dose_t: float | None, variant: str | None = None):
    rows = episode_rows(log, end, dose_t)
    if variant is None:
        return pa.Table.from_pylist(rows, schema=SCHEMAS["episodes"])
    return pa.Table.from_pylist([{"variant": variant, **r} for r in rows], schema=SCHEMAS["whatif_episodes"])


def diffs_table(diffs: list[Difference], variant: str) -> pa.Table:
    def row(d: Difference) -> dict:
        ep: Episode = d.episode
        return {
            "variant": variant,
            "kind": d.kind,
            "alarm": d.alarm,
            "vital": ep.vital,
            "old_priority": d.old.priority if d.old else None,
            "new_priority": d.new.priority if d.new else None,
            "start_t": ep.start,
            "end_t": ep.end,
        }

    return pa.Table.from_pylist([row(d) for d in diffs], schema=SCHEMAS["whatif_diffs"])


def limits_table(th: Thresholds, session: RecordedSession) -> pa.Table:
    rows: list[dict] = []
    t = np.asarray(session.store.t, dtype=float)
    for vital, rule in th.vitals.items():
        hold = hold_seconds(vital, t, th) if vital in VITALS else None
        for direction in ("upper", "lower"):
            for priority in PRIORITIES:
                limit = getattr(rule, direction).get(priority)
                if limit is not None:
                    rows.append(
                        {
                            "rule": "limit",
                            "vital": vital,
                            "direction": direction,
                            "priority": priority,
                            "value": float(limit),
                            "hold_s": hold,
                        }
                    )
    for s in th.stale:
        rows.append(
            {
                "rule": "stale",
                "vital": s.stream,
                "direction": ",".join(s.vitals),
                "priority": "technical",
                "value": float(s.after_s),
                "hold_s": float(s.after_s),
            }
        )
    return pa.Table.from_pylist(rows, schema=SCHEMAS["limits"])


def rejected_table(session: RecordedSession) -> pa.Table:
    return pa.table(
        {"line": [r.line for r in session.rejected], "reason": [str(r.reason) for r in session.rejected]},
        schema=SCHEMAS["rejected"],
    )


def session_table(session: RecordedSession, d: Dosing, thresholds_what: str, origin: str, source_path: str) -> pa.Table:
    span = session.store.span()
    start = span[0] if span else None
    end = session.end_time()
    participant = session.meta.get("participant")
    row = {
        "label": session.label,
        "source_path": source_path,
        "participant": None if participant is None else str(participant),
        "simulated": session.simulated,
        "absolute_time": session.absolute,
        "start_t": start,
        "end_t": end,
        "duration_s": (end - start) if start is not None and end is not None else None,
        "dose_t": d.dose_t,
        "initial_mg": d.initial_mg,
        "supplemental_mg": d.supplemental_mg,
        "doses": d.count,
        "total_mg": d.total_mg,
        "readings": len(session.store),
        "rejected_lines": len(session.rejected),
        "notes": len(session.notes),
        "notes_json": json.dumps([str(n) for n in session.notes]),
        "thresholds": thresholds_what,
        "alarm_origin": origin,
        "format_version": session.format_version,
        # Everything session.json said, minus the (large) thresholds, which `limits` holds typed.
        "meta_json": json.dumps({k: v for k, v in session.meta.items() if k != "thresholds"}, default=str),
    }
    return pa.Table.from_pylist([row], schema=SCHEMAS["sessions"])


def empty(table: str) -> pa.Table:
    return SCHEMAS[table].empty_table()
