"""The one decoder of `events.jsonl`: every record is checked before anything uses it.

A record that is not what the recorder writes (a line cut short by a crash, a field missing or of
the wrong type) is skipped, and a note names its line and the reason, so one bad line never
stops `alarms`, the report, replay or a resume.

After decoding, every event is a dict whose `t` is float seconds; a dose has `dose`, `amount_mg`
and `given_at` (float seconds: when it was given, which is `t` unless it was keyed in late); an
alarm transition has every field of `AlarmEvent`; a control may carry `seq`, the number of
readings the engine had taken when it acted (so a re-run interleaves it exactly as live did).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from monitor.core.alarm_types import AlarmEvent, Control
from monitor.core.priority import TECHNICAL_PRIORITIES
from monitor.recording.files import EVENTS_LIMIT, parse_time, read_side_text

CONTROL_KINDS = ("dose", "ack", "pause", "technical", "clock")


def _number(e: dict, key: str, *, required: bool = False) -> float | None:
    v = e.get(key)
    if v is None:
        if required:
            raise ValueError(f"it has no {key}")
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{key} {v!r} is not a number")
    return v


def _text(e: dict, key: str, *, required: bool = False, default: str = "") -> str:
    v = e.get(key)
    if v is None:
        if required:
            raise ValueError(f"it has no {key}")
        return default
    if not isinstance(v, str):
        raise ValueError(f"{key} {v!r} is not text")
    return v


def _time(value, what: str) -> float:
    try:
        t = parse_time(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} {value!r} is not a time") from None
    if not math.isfinite(t):
        raise ValueError(f"{what} is not finite")
    return t


def decode_event(obj) -> dict:
    """One parsed JSON value as a checked event; raises ValueError naming what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("it is not a JSON object")
    kind = obj.get("kind")
    if not isinstance(kind, str):
        raise ValueError("it has no kind")
    if "t" not in obj:
        raise ValueError("it has no time")
    e = dict(obj)
    e["t"] = _time(obj["t"], "time")
    if "seq" in e:
        seq = e["seq"]
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise ValueError(f"seq {seq!r} is not a count of readings")
    if kind == "dose":
        dose = e.get("dose", "initial")
        if dose not in ("initial", "supplemental"):
            raise ValueError(f"dose {dose!r} is neither initial nor supplemental")
        e["dose"] = dose
        e["amount_mg"] = _number(e, "amount_mg")
        e["given_at"] = _time(obj["given_at"], "given_at") if obj.get("given_at") is not None else e["t"]
        if e["given_at"] > e["t"]:
            raise ValueError("given_at is later than the time the dose was recorded")
        e["reason"] = _text(e, "reason")
    elif kind == "note":
        e["text"] = str(e.get("text", ""))
    elif kind == "ack":
        e["who"] = str(e.get("who", "") or "")
    elif kind == "pause":
        e["seconds"] = _number(e, "seconds")
    elif kind == "alarm":
        for key in ("alarm", "priority", "state"):
            e[key] = _text(e, key, required=True)
        e["vital"] = _text(e, "vital")
        e["message"] = _text(e, "message")
        e["value"] = _number(e, "value")
        e["limit"] = _number(e, "limit")
    elif kind == "technical":
        e["name"] = _text(e, "name", required=True)
        action = e.get("action")
        if action not in ("raise", "clear"):
            raise ValueError(f"action {action!r} is neither raise nor clear")
        priority = e.get("priority", "technical")
        if priority not in TECHNICAL_PRIORITIES:
            raise ValueError(f"priority {priority!r} is not that of a technical alarm")
        e["priority"] = priority
        e["message"] = _text(e, "message")
    elif kind == "reading":
        _typed_reading(obj, e)
    return e


def _typed_reading(obj: dict, e: dict) -> None:
    """A typed reading (format 3): `taken_at` (when it was measured), `values` {vital: number},
    `source` ("manual"), `staff` (initials, may be empty); its row is in readings.csv."""
    from monitor.core.vitals import VITALS

    if obj.get("taken_at") is None:
        raise ValueError("it has no taken_at")
    e["taken_at"] = _time(obj["taken_at"], "taken_at")
    if e["taken_at"] > e["t"] + 1:
        raise ValueError("taken_at is later than the time the reading was typed")
    values = obj.get("values")
    if not isinstance(values, dict) or not values:
        raise ValueError("values is not a table of vitals")
    for k in values:
        if k not in VITALS:
            raise ValueError(f"values names {k!r}, which is not a vital")
        _number(values, k, required=True)
    e["values"] = {k: float(v) for k, v in values.items()}
    e["source"] = _text(e, "source", default="manual")
    e["staff"] = _text(e, "staff")


def read_events(path: Path) -> tuple[list[dict], list[str]]:
    """Checked events in file order, and a note for each line that was skipped."""
    events, notes = [], []
    text = read_side_text(path, EVENTS_LIMIT)
    # Split on "\n" only: str.splitlines() also breaks at U+2028, U+0085, ... which JSON written
    # with ensure_ascii=False keeps raw inside strings (a note holding one would be lost).
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            events.append(decode_event(json.loads(line)))
        except RecursionError:
            notes.append(f"{path.name} line {no} skipped: not a complete event (nested too deeply)")
        except (ValueError, TypeError, OverflowError) as exc:
            reason = str(exc) if not isinstance(exc, json.JSONDecodeError) else "not valid JSON"
            notes.append(f"{path.name} line {no} skipped: not a complete event ({reason})")
    return events, notes


def alarm_event(e: dict) -> AlarmEvent:
    """A decoded "alarm" record as the engine's transition."""
    return AlarmEvent(e["t"], e["alarm"], e["vital"], e["priority"], e["state"], e["value"], e["limit"], e["message"])


def event_control(e: dict) -> Control | None:
    """The control the alarm engine must see again for a decoded event, or None."""
    kind = e["kind"]
    seq = e.get("seq")
    if kind == "dose":
        return Control(e["t"], "dose", {"dose": e["dose"], "given_at": e["given_at"]}, seq)
    if kind == "ack":
        return Control(e["t"], "ack", {"who": e["who"]}, seq)
    if kind == "pause":
        return Control(e["t"], "pause", {"seconds": e["seconds"]}, seq)
    if kind == "technical":
        return Control(
            e["t"],
            "technical",
            {"name": e["name"], "action": e["action"], "priority": e["priority"], "message": e["message"]},
            seq,
        )
    if kind == "clock":
        return Control(e["t"], "clock", {}, seq)
    return None
