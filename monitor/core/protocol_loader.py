"""Reading a `protocol.toml` into a `Protocol` (monitor.core.protocol); every problem found is
raised as one `ConfigError`, so a protocol with a typo is refused whole, as a thresholds file is."""

from __future__ import annotations

import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.core.protocol import (
    STAFF_MODES,
    STREAM_VITALS,
    DischargeRules,
    Phase,
    Protocol,
    Schedule,
    StreamSchedule,
)
from monitor.core.textfile import NotRegularFile, TooLarge, read_limited
from monitor.core.thresholds_loader import ConfigError, _decode, _toml_error
from monitor.core.timetext import parse_duration
from monitor.core.vitals import SPECS

MAX_PROTOCOL_BYTES = 256 * 1024

_TOP = {"session", "schedule", "discharge"}
_SESSION = {"staff_initials", "ask_at_start", "study_id"}
_SCHEDULE = {"tolerance", "grace", "baseline_window", "repeat"}
_STREAM = {"phases", "baseline", "before_supplement", "repeat_over_limit"}
_DISCHARGE = {"margins", "hold", "earliest"}


def default_protocol_path() -> Path:
    """./protocol.toml if the current directory has one, else the defaults in the package."""
    local = Path.cwd() / "protocol.toml"
    if local.exists() or local.is_symlink():
        return local
    from importlib.resources import files

    return Path(str(files("monitor").joinpath("protocol.toml")))


def load_protocol(path: str | Path | None = None) -> Protocol:
    p = default_protocol_path() if path is None else Path(path)
    name = str(p)
    try:
        raw = read_limited(p, MAX_PROTOCOL_BYTES)
    except NotRegularFile as e:
        raise ConfigError(f"{name}: is {e.what}, not a protocol file") from None
    except TooLarge:
        raise ConfigError(f"{name}: is larger than a protocol file may be (256 KiB)") from None
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except OSError as e:
        raise ConfigError(f"{name}: cannot be read ({e.strerror or e})") from None
    try:
        data = tomllib.loads(_decode(raw, name))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{name}: {_toml_error(str(e))}") from None
    proto = protocol_from_dict(data, name)
    try:
        resolved = str(p.resolve())
    except OSError:
        resolved = name
    return replace(proto, source=resolved)


def protocol_from_dict(data: dict, name: str = "<dict>") -> Protocol:
    errors: list[str] = []

    def err(where: str, why: str) -> None:
        errors.append(f"{name}: {where}: {why}")

    def table(d: Any, where: str, keys: set[str]) -> dict:
        if not isinstance(d, dict):
            err(where, "must be a table")
            return {}
        for k in d:
            if k not in keys:
                err(f"{where}.{k}" if where else k, f"unknown key (known: {', '.join(sorted(keys))})")
        return d

    def duration(d: dict, key: str, where: str, default: float, *, positive: bool = True) -> float:
        if key not in d:
            return default
        try:
            v = parse_duration(str(d[key])) if not isinstance(d[key], bool) else None
        except ValueError as e:
            err(f"{where}.{key}", str(e))
            return default
        if v is None or (positive and not v > 0) or v < 0:
            err(f"{where}.{key}", f"'{d[key]}' must be a duration above 0, like 5m")
            return default
        return v

    def flag(d: dict, key: str, where: str, default: bool) -> bool:
        v = d.get(key, default)
        if not isinstance(v, bool):
            err(f"{where}.{key}", f"{v!r} must be true or false")
            return default
        return v

    top = table(data, "", _TOP)
    ses = table(top.get("session", {}), "session", _SESSION)
    staff = ses.get("staff_initials", "off")
    if staff not in STAFF_MODES:
        err("session.staff_initials", f"{staff!r} must be one of {', '.join(STAFF_MODES)}")
        staff = "off"
    study = ses.get("study_id", "")
    if not isinstance(study, str):
        err("session.study_id", "must be text")
        study = ""
    ask = flag(ses, "ask_at_start", "session", True)

    sch_raw = top.get("schedule", {})
    if not isinstance(sch_raw, dict):
        err("schedule", "must be a table")
        sch_raw = {}
    sch = {k: v for k, v in sch_raw.items() if not isinstance(v, dict)}
    table(sch, "schedule", _SCHEDULE)
    streams = []
    for sname, s in sch_raw.items():
        if not isinstance(s, dict):
            continue
        where = f"schedule.{sname}"
        if sname not in STREAM_VITALS:
            err(where, f"unknown stream (known: {', '.join(STREAM_VITALS)})")
            continue
        table(s, where, _STREAM)
        phases_raw = s.get("phases", [])
        if not isinstance(phases_raw, list) or not phases_raw:
            err(f"{where}.phases", 'must list at least one phase, like [{ until = "4h", every = "15m" }]')
            phases_raw = []
        phases = []
        last_until = 0.0
        for i, p in enumerate(phases_raw, 1):
            pw = f"{where}.phases[{i}]"
            if not isinstance(p, dict) or set(p) != {"until", "every"}:
                err(pw, 'must be { until = "4h", every = "15m" }')
                continue
            until = duration(p, "until", pw, 0.0)
            every = duration(p, "every", pw, 0.0)
            if until and every:
                if until <= last_until:
                    err(f"{pw}.until", "must be later than the phase before")
                elif every > until - last_until:
                    err(f"{pw}.every", "is longer than the phase itself")
                else:
                    phases.append(Phase(until, every))
                    last_until = until
        streams.append(
            StreamSchedule(
                sname,
                tuple(phases),
                flag(s, "baseline", where, True),
                flag(s, "before_supplement", where, False),
                flag(s, "repeat_over_limit", where, True),
            )
        )
    schedule = Schedule(
        tuple(streams),
        duration(sch, "tolerance", "schedule", 300.0),
        duration(sch, "grace", "schedule", 300.0),
        duration(sch, "baseline_window", "schedule", 1800.0),
        duration(sch, "repeat", "schedule", 300.0),
    )
    shortest = min((p.every_s for st in schedule.streams for p in st.phases), default=math.inf)
    if schedule.tolerance_s * 2 > shortest:
        err("schedule.tolerance", "must be at most half the shortest interval, or timepoints would overlap")
    elif schedule.grace_s + schedule.tolerance_s >= shortest:
        # A timepoint is missed once the next one's window opens (its time less the tolerance):
        # the overdue alarm must come before that, or a reading could be missed without a word.
        err(
            "schedule.grace",
            "with the tolerance must be shorter than the shortest interval, or a reading would be "
            "missed before its overdue alarm sounds",
        )

    dis = table(top.get("discharge", {}), "discharge", _DISCHARGE)
    margins_raw = dis.get("margins", {})
    margins: dict[str, float] = {}
    if not isinstance(margins_raw, dict):
        err("discharge.margins", "must be a table of vital = margin")
    else:
        for v, m in margins_raw.items():
            if v not in SPECS:
                err(f"discharge.margins.{v}", f"unknown vital (known: {', '.join(SPECS)})")
            elif isinstance(m, bool) or not isinstance(m, (int, float)) or not m > 0:
                err(f"discharge.margins.{v}", f"{m!r} must be a number above 0 ({SPECS[v].unit})")
            else:
                margins[v] = float(m)
    discharge = DischargeRules(
        margins,
        duration(dis, "hold", "discharge", 1800.0),
        duration(dis, "earliest", "discharge", 8 * 3600.0, positive=False),
    )
    if errors:
        raise ConfigError(errors)
    return Protocol(schedule, discharge, staff, ask, study, name)
