"""thresholds.toml -> validated, typed alarm rules.

The dataclasses below are the contract between the config file and the alarm engine.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from monitor.core.priority import PRIORITIES, PRIORITY_RANK
from monitor.core.timetext import parse_duration, rule_duration
from monitor.core.vitals import ALL_SPECS, SPECS


@dataclass(frozen=True)
class VitalRule:
    """Absolute limits for one vital (hr, sbp, dbp, map, spo2, temp, rr, or derived si).

    `upper` / `lower` map a priority ("low", "medium", "high") to a limit; an alarm is raised when
    value >= upper limit or value <= lower limit. Higher priorities must be more extreme.
    """

    vital: str
    upper: dict[str, float] = field(default_factory=dict)
    lower: dict[str, float] = field(default_factory=dict)
    delay_s: float = 0.0  # time beyond the limit needed to sound (continuous vitals only)
    hysteresis: float = 0.0  # clearing needs the value this far back inside the limit
    continuous: bool = True  # False: each reading is one event (cuff BP): no delay, no hysteresis
    clear_s: float = -1.0  # back inside by the hysteresis for this long to clear (below 0: the delay)

    @property
    def clear_time_s(self) -> float:
        if not self.continuous:
            return 0.0
        return self.delay_s if self.clear_s < 0 else self.clear_s


@dataclass(frozen=True)
class BaselineRule:
    """A limit relative to the pre-dose baseline (median of readings in `window_s` before the dose)."""

    vital: str
    direction: str  # "upper" (rise above baseline + delta) or "lower" (fall below baseline - delta)
    delta: float
    priority: str
    window_s: float = 1800.0


@dataclass(frozen=True)
class StaleRule:
    """A stream is stale when none of its vitals has had a reading for `after_s` seconds."""

    stream: str  # a name shown to the user, e.g. "hr" or "bp"
    vitals: tuple[str, ...]
    after_s: float


@dataclass(frozen=True)
class AudioRules:
    pause_s: float = 120.0
    max_pause_s: float = 300.0
    reminder_s: float = 180.0


@dataclass(frozen=True)
class SupplementRules:
    """The supplemental half-dose window after the initial dose, and the vitals that must hold."""

    window_start_s: float = 5400.0
    window_end_s: float = 9000.0
    max_values: dict[str, float] = field(default_factory=dict)  # e.g. {"sbp": 160, "hr": 110}


@dataclass(frozen=True)
class Thresholds:
    vitals: dict[str, VitalRule]
    baseline: tuple[BaselineRule, ...] = ()
    stale: tuple[StaleRule, ...] = ()
    audio: AudioRules = AudioRules()
    supplement: SupplementRules = SupplementRules()
    source: str = ""  # the file these came from
    # Vitals of REQUIRED_LIMITS the file explicitly leaves without limits (`without_limits`):
    # shown on the screen and in the report for the whole session.
    without_limits: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-friendly copy, stored in session.json so a replay knows the limits in force."""
        return asdict(self)


# ================================================================================================
# Loading and validating thresholds.toml
# ================================================================================================
#
# File layout (see the top-level thresholds.toml for the documented defaults):
#
#   [vitals.<vital>]            continuous, delay, hysteresis
#   [vitals.<vital>.upper]      low / medium / high   (alarm when value >= limit)
#   [vitals.<vital>.lower]      low / medium / high   (alarm when value <= limit)
#   [baseline]                  window
#   [baseline.<vital>.upper]    low / medium / high = delta above the pre-dose baseline
#   [baseline.<vital>.lower]    low / medium / high = delta below the pre-dose baseline
#   [stale.<stream>]            vitals, and either after, or interval (+ grace)
#   [audio]                     pause, max_pause, reminder
#   [supplement]                window_start, window_end
#   [supplement.below]          <vital> = value every latest reading must be strictly below
#
# Every problem is collected (not just the first) and reported as one sentence naming the file,
# the key path and the reason; any problem rejects the whole file.


TOP_KEYS: tuple[str, ...] = ("vitals", "baseline", "stale", "audio", "supplement", "without_limits")
VITAL_KEYS: tuple[str, ...] = ("continuous", "delay", "hysteresis", "clear", "upper", "lower")
# MDMA raises heart rate and blood pressure: a file must give these limits, or say it does not.
REQUIRED_LIMITS: tuple[str, ...] = ("hr", "sbp", "dbp")
# IEC 60601-1-8 makes AUDIO PAUSED time-limited (it ends by itself); Dräger Infinity pauses for
# 2 min. No file may ask for longer than this (our cap): a longer pause is alarms off in effect.
MAX_AUDIO_PAUSE_S = 300.0
DIRECTIONS: tuple[str, ...] = ("upper", "lower")
BASELINE_VITAL_KEYS: tuple[str, ...] = DIRECTIONS
STALE_KEYS: tuple[str, ...] = ("vitals", "after", "interval", "grace")
AUDIO_KEYS: tuple[str, ...] = ("pause", "max_pause", "reminder")
SUPPLEMENT_KEYS: tuple[str, ...] = ("window_start", "window_end", "below")

# A delay longer than this is almost surely a typo ("10m" for "10s"): bedside monitors allow up to
# about 15 s (Mindray) and Görges 2009 measured 14-19 s. Rejected rather than silently honoured.
MAX_DELAY_S = 60.0

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_TOML_POS = re.compile(r"\s*\((at line (\d+), column (\d+)|at end of document)\)\s*$")


class ConfigError(Exception):
    """A thresholds file (or dict) that cannot be used; `.errors` lists one sentence per problem."""

    def __init__(self, errors: list[str] | str):
        self.errors: list[str] = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)


def default_thresholds_path() -> Path:
    """./thresholds.toml if the current directory has one, else the defaults shipped inside the
    package (monitor/thresholds.toml, a copy of the documented file at the top of the clone that
    tests/test_packaging.py keeps identical), so an installed wheel has them too."""
    local = Path.cwd() / "thresholds.toml"
    if local.exists():
        return local
    from importlib.resources import files

    return Path(str(files("monitor").joinpath("thresholds.toml")))


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Read, validate and type a thresholds file; raises ConfigError listing every problem."""
    p = default_thresholds_path() if path is None else Path(path)
    name = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a directory, not a thresholds file") from None
    except PermissionError:
        raise ConfigError(f"{name}: cannot be read (permission denied)") from None
    except ValueError:  # e.g. a NUL byte in the name
        raise ConfigError(f"{name!r}: is not a valid file name") from None
    except OSError as e:
        if p.is_dir():
            raise ConfigError(f"{name}: is a directory, not a thresholds file") from None
        raise ConfigError(f"{name}: cannot be read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ConfigError(
            f"{name}: is not UTF-8 text (byte 0x{raw[e.start]:02x} at line {line} cannot be decoded); "
            "save it as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{name}: {_toml_error(str(e))}") from None
    except RecursionError:
        raise ConfigError(f"{name}: invalid TOML: values are nested too deeply") from None
    except (ValueError, OverflowError) as e:  # defensive: tomllib documents only TOMLDecodeError
        raise ConfigError(f"{name}: invalid TOML: {e}") from None
    try:
        resolved = str(p.resolve())
    except OSError:
        resolved = name
    th = thresholds_from_dict(data, source=name)
    return replace(th, source=resolved)


def _toml_error(message: str) -> str:
    """tomllib's "Invalid value (at line 3, column 5)" -> "invalid TOML at line 3, column 5: ..."."""
    m = _TOML_POS.search(message)
    if not m:
        return f"invalid TOML: {message}"
    reason = message[: m.start()].strip()
    reason = reason[:1].lower() + reason[1:] if reason else "syntax error"
    if m.group(2):
        return f"invalid TOML at line {m.group(2)}, column {m.group(3)}: {reason}"
    return f"invalid TOML at the end of the file: {reason}"


_STORED_KEYS = frozenset(("vitals", "baseline", "stale", "audio", "supplement", "source"))


def thresholds_from_dict(data: dict, source: str = "<dict>") -> Thresholds:
    """Validate a dict shaped like thresholds.toml; raises ConfigError listing every problem.

    A dict in the form `Thresholds.to_dict()` writes (the copy in session.json: a `source` key,
    baseline and stale as lists) is recognised and handed to `thresholds_from_stored`.
    """
    if (isinstance(data, dict) and set(data) - {"without_limits"} == _STORED_KEYS
            and isinstance(data["baseline"], (list, tuple)) and isinstance(data["stale"], (list, tuple))):
        return thresholds_from_stored(data)
    return _Validator(source).build(data)


def thresholds_from_stored(d: dict) -> Thresholds:
    """Inverse of `Thresholds.to_dict()` (also after a JSON round trip), validated like a file."""
    label = "stored thresholds"
    if not isinstance(d, dict):
        raise ConfigError(f"{label}: expected a table of thresholds, not {_describe(d)}")
    try:
        shaped = _stored_to_file_shape(d)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, OverflowError) as e:
        raise ConfigError(f"{label}: not in the form Thresholds.to_dict() writes ({_exc_text(e)})") from None
    th = _Validator(label).build(shaped)
    source = d.get("source", "")
    return replace(th, source=source if isinstance(source, str) else str(source))


def _exc_text(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing key {e}"
    return str(e) or type(e).__name__


def _stored_to_file_shape(d: dict) -> dict:
    known = {"vitals", "baseline", "stale", "audio", "supplement", "source", "without_limits"}
    extra = [k for k in d if k not in known]
    if extra:
        raise ValueError(f"unexpected key {extra[0]!r}")
    out: dict[str, Any] = {}
    vitals: dict[str, Any] = {}
    for name, r in d["vitals"].items():
        vitals[name] = {
            "continuous": r["continuous"],
            "delay": r["delay_s"],
            "hysteresis": r["hysteresis"],
            **({"clear": r["clear_s"]} if r.get("clear_s", -1) >= 0 else {}),
            "upper": dict(r["upper"]),
            "lower": dict(r["lower"]),
        }
    out["vitals"] = vitals
    # A recording made before limits were required says which ones it ran without.
    without = d.get("without_limits")
    out["without_limits"] = list(without) if without is not None else [
        v for v in REQUIRED_LIMITS if v not in vitals]
    rules = list(d.get("baseline") or ())
    if rules:
        windows = {float(r["window_s"]) for r in rules}
        if len(windows) > 1:
            raise ValueError("baseline rules with different windows cannot be stored in one file")
        baseline: dict[str, Any] = {"window": windows.pop()}
        for r in rules:
            table = baseline.setdefault(r["vital"], {}).setdefault(r["direction"], {})
            if r["priority"] in table:
                raise ValueError(f"two baseline rules for {r['vital']} {r['direction']} {r['priority']}")
            table[r["priority"]] = r["delta"]
        out["baseline"] = baseline
    stale: dict[str, Any] = {}
    for s in d.get("stale") or ():
        if s["stream"] in stale:
            raise ValueError(f"two stale rules named {s['stream']!r}")
        stale[s["stream"]] = {"vitals": list(s["vitals"]), "after": s["after_s"]}
    if stale:
        out["stale"] = stale
    if "audio" in d:
        a = d["audio"]
        # An older recording may hold a longer pause than is now allowed: it replays capped.
        out["audio"] = {"pause": min(a["pause_s"], MAX_AUDIO_PAUSE_S),
                        "max_pause": min(a["max_pause_s"], MAX_AUDIO_PAUSE_S),
                        "reminder": min(a["reminder_s"], 900.0)}
    if "supplement" in d:
        s = d["supplement"]
        out["supplement"] = {
            "window_start": s["window_start_s"],
            "window_end": s["window_end_s"],
            "below": dict(s["max_values"]),
        }
    return out


# ---------------------------------------------------------------------------------- validation


def _key_text(part: Any) -> str:
    if isinstance(part, int) and not isinstance(part, bool):
        return f"[{part}]"
    s = str(part)
    if _BARE_KEY.fullmatch(s):  # (match: "$" would let a trailing newline through)
        return s
    # JSON escapes C0 controls; DEL, C1 controls (a terminal acts on them) and invisible
    # formatting characters (bidi overrides) are escaped too, so a message shows the key as written.
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1]
                   for ch in json.dumps(s, ensure_ascii=False))


def _path_text(path: tuple) -> str:
    out = ""
    for part in path:
        k = _key_text(part)
        out += k if k.startswith("[") or not out else "." + k
    return out


def _describe(v: Any) -> str:
    """A value as a TOML user would name it, for 'must be a number, not ...'."""
    if isinstance(v, bool):
        return f"the boolean {'true' if v else 'false'}"
    if isinstance(v, str):
        shown = v if len(v) <= 40 else v[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, (list, tuple)):
        return "an array"
    if isinstance(v, (int, float)):
        return f"the number {v!r}"
    if v is None:
        return "nothing (null)"
    mod = type(v).__module__
    if mod == "datetime":
        return f"a date/time ({v})"
    return f"a {type(v).__name__}"


def _num(v: float) -> str:
    """A limit for a message: 160, 38.5, 0.9 (no trailing .0 noise)."""
    return f"{v:g}" if abs(v) < 1e15 else repr(v)


class _Validator:
    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []

    # -- primitives ----------------------------------------------------------------------------

    def err(self, path: tuple, reason: str) -> None:
        where = _path_text(path)
        self.errors.append(f"{self.source}: {where}: {reason}" if where else f"{self.source}: {reason}")

    def table(self, path: tuple, v: Any) -> dict | None:
        if isinstance(v, dict):
            return v
        self.err(path, f"must be a table, not {_describe(v)}")
        return None

    def known_keys(self, path: tuple, tbl: dict, allowed: tuple[str, ...], what: str = "key") -> list:
        """Report keys not in `allowed`; returns the unknown keys."""
        bad = []
        for k in tbl:
            if k in allowed:
                continue
            bad.append(k)
            self.err(path + (k,), self.unknown(k, allowed, what))
        return bad

    @staticmethod
    def suggestions(key: Any, allowed: tuple[str, ...]) -> list[str]:
        """The closest allowed names (difflib), ties kept and the longest common prefix first."""
        k = str(key).lower()
        scored = [(difflib.SequenceMatcher(None, k, a).ratio(), a) for a in allowed]
        best = max((r for r, _ in scored), default=0.0)
        if best < 0.6:
            return []
        tied = [a for r, a in scored if r == best]
        prefix = lambda a: len(os.path.commonprefix([k, a]))  # noqa: E731
        return sorted(tied, key=prefix, reverse=True)[:2]

    def suggestion(self, key: Any, allowed: tuple[str, ...]) -> str | None:
        close = self.suggestions(key, allowed)
        return close[0] if close else None

    def unknown(self, key: Any, allowed: tuple[str, ...], what: str) -> str:
        return f"unknown {what}" + self.hint(key, allowed)

    def hint(self, key: Any, allowed: tuple[str, ...]) -> str:
        close = self.suggestions(key, allowed)
        if close:
            return f" (did you mean {' or '.join(repr(c) for c in close)}?)"
        return f"; use one of: {', '.join(allowed)}"

    def number(self, path: tuple, v: Any) -> float | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.err(path, f"must be a number, not {_describe(v)}")
            return None
        try:
            f = float(v)
        except OverflowError:
            self.err(path, "is too large a number")
            return None
        if not math.isfinite(f):
            self.err(path, f"must be a finite number, not {v!r}")
            return None
        return f

    def duration(self, path: tuple, v: Any) -> float | None:
        """Seconds from "10s", "2m", "1h30m" or a plain number; never negative."""
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            self.err(path, f'must be a duration like "10s", "2m" or "1h30m", or a number of seconds, '
                           f"not {_describe(v)}")
            return None
        if isinstance(v, str):
            text = v.strip()
            negative = text.startswith("-")
            body = text[1:].strip() if negative else text
            try:
                if body.startswith(("-", "+")):
                    raise ValueError(body)
                seconds = parse_duration(body)
            except ValueError:
                shown = v if len(v) <= 40 else v[:37] + "..."
                self.err(path, f'{shown!r} is not a duration; write it like "10s", "2m" or "1h30m", '
                               "or a number of seconds")
                return None
            if negative:
                seconds = -seconds
        else:
            try:
                seconds = float(v)
            except OverflowError:
                self.err(path, "is too large a duration")
                return None
        if not math.isfinite(seconds):
            self.err(path, f"must be a finite duration, not {v!r}")
            return None
        if seconds < 0:
            self.err(path, f"must not be negative (got {v!r})")
            return None
        return seconds

    def boolean(self, path: tuple, v: Any) -> bool | None:
        if isinstance(v, bool):
            return v
        self.err(path, f"must be true or false, not {_describe(v)}")
        return None

    def in_range(self, path: tuple, vital: str, value: float, what: str) -> bool:
        spec = ALL_SPECS[vital]
        if spec.low <= value <= spec.high:
            return True
        label = spec.label[:1].lower() + spec.label[1:] if spec.label.split()[0][1:].islower() else spec.label
        self.err(path, f"{_fmt_limit(vital, value)} is outside the plausible range of {label} "
                       f"({_num(spec.low)}-{_num(spec.high)} {spec.unit}), so this {what} could never apply; "
                       "readings outside that range are treated as artifacts")
        return False

    # -- sections ------------------------------------------------------------------------------

    def build(self, data: Any) -> Thresholds:
        if not isinstance(data, dict):
            self.err((), f"the thresholds must be a table of sections, not {_describe(data)}")
            raise ConfigError(self.errors)
        unknown = self.known_keys((), data, TOP_KEYS, "section")
        vitals = self.vitals(data, hinted=any(self.suggestion(k, TOP_KEYS) == "vitals" for k in unknown))
        baseline = self.baseline(data["baseline"], data.get("vitals")) if "baseline" in data else ()
        stale = self.stale(data["stale"]) if "stale" in data else ()
        audio = self.audio(data["audio"]) if "audio" in data else AudioRules()
        supplement = self.supplement(data["supplement"]) if "supplement" in data else SupplementRules()
        without = self.without_limits(data.get("without_limits"), vitals)
        if self.errors:
            raise ConfigError(self.errors)
        return Thresholds(vitals=vitals or {}, baseline=baseline, stale=stale, audio=audio,
                          supplement=supplement, source=self.source, without_limits=without)

    def without_limits(self, body: Any, vitals: dict[str, VitalRule] | None) -> tuple[str, ...]:
        """The required vitals left without limits: refused unless `without_limits` names them."""
        path = ("without_limits",)
        named: list[str] = []
        if body is not None:
            if not isinstance(body, list) or not all(isinstance(v, str) for v in body):
                self.err(path, f"must be a list of vital names like [\"dbp\"], not {_describe(body)}")
                return ()
            for v in body:
                if v not in REQUIRED_LIMITS:
                    self.err(path, f"{_key_text(v)} is not a vital that needs limits; "
                                   f"use some of: {', '.join(REQUIRED_LIMITS)}")
                elif vitals is not None and v in vitals and vitals[v].upper:
                    self.err(path, f"{_key_text(v)} has upper limits in [vitals.{v}.upper]: remove one "
                                   "or the other")
                else:
                    named.append(v)
        if vitals is None or self.errors:
            return ()  # (asked for once the file is otherwise right: each message stays true)
        # The rise is what MDMA brings: a vital with only a lower limit is missing its limits too.
        missing = [v for v in REQUIRED_LIMITS if (v not in vitals or not vitals[v].upper) and v not in named]
        if missing:
            names = ", ".join(f"[vitals.{v}.upper]" for v in missing)
            listed = ", ".join(f'"{v}"' for v in missing)
            self.err(("vitals",), f"has no {names}: MDMA raises heart rate and blood pressure, so "
                                  f"these limits are required; to run without them on purpose, write "
                                  f"without_limits = [{listed}] at the top of the file")
        return tuple(v for v in REQUIRED_LIMITS if v in named)

    def vitals(self, data: dict, hinted: bool) -> dict[str, VitalRule] | None:
        if "vitals" not in data:
            if not hinted:  # a misspelt [vital.hr] already got its own "did you mean" message
                self.err(("vitals",), "missing: add a [vitals.<name>] table for each vital to watch "
                                      "(without one the monitor would raise no limit alarms)")
            return None
        tbl = self.table(("vitals",), data["vitals"])
        if tbl is None:
            return None
        if not tbl:
            self.err(("vitals",), "is empty: the monitor would raise no limit alarms")
            return None
        names = tuple(ALL_SPECS)
        out: dict[str, VitalRule] = {}
        for name, body in tbl.items():
            path = ("vitals", name)
            if name not in ALL_SPECS:
                self.err(path, self.unknown(name, names, "vital"))
                continue
            rule = self.vital_rule(path, name, body)
            if rule is not None:
                out[name] = rule
        return out

    def vital_rule(self, path: tuple, name: str, body: Any) -> VitalRule | None:
        tbl = self.table(path, body)
        if tbl is None:
            return None
        n0 = len(self.errors)
        self.known_keys(path, tbl, VITAL_KEYS)
        continuous = ALL_SPECS[name].continuous
        if "continuous" in tbl:
            c = self.boolean(path + ("continuous",), tbl["continuous"])
            continuous = continuous if c is None else c
        delay = self.duration(path + ("delay",), tbl["delay"]) if "delay" in tbl else 0.0
        if delay is not None and delay > 0 and not continuous:
            self.err(path + ("delay",), "an intermittent vital (continuous = false) takes no delay: "
                                        "each reading is one event; remove the delay")
        elif delay is not None and delay > MAX_DELAY_S:
            self.err(path + ("delay",), f"{rule_duration(delay)} is longer than the {MAX_DELAY_S:g} s "
                                        "allowed (bedside monitors use up to about 15 s); "
                                        'did you mean seconds, e.g. "10s"?')
        clear = -1.0
        if "clear" in tbl:
            c = self.duration(path + ("clear",), tbl["clear"])
            if c is not None and c > 0 and not continuous:
                self.err(path + ("clear",), "an intermittent vital (continuous = false) takes no clear "
                                            "time: each reading is judged on its own; remove it")
            elif c is not None and c > MAX_DELAY_S:
                self.err(path + ("clear",), f"{rule_duration(c)} is longer than the {MAX_DELAY_S:g} s allowed; "
                                            'did you mean seconds, e.g. "10s"?')
            elif c is not None:
                clear = c
        hyst = 0.0
        if "hysteresis" in tbl:
            h = self.number(path + ("hysteresis",), tbl["hysteresis"])
            if h is not None and h < 0:
                self.err(path + ("hysteresis",), f"must not be negative (got {_num(h)})")
            elif h is not None and h > 0 and not continuous:
                self.err(path + ("hysteresis",), "an intermittent vital (continuous = false) takes no "
                                                 "hysteresis: each reading is judged on its own; "
                                                 "remove it or set it to 0")
            elif h is not None:
                hyst = h
        limits: dict[str, dict[str, float]] = {}
        given = False
        for direction in DIRECTIONS:
            if direction in tbl:
                given = given or tbl[direction] != {}
                limits[direction] = self.limits(path + (direction,), name, direction, tbl[direction],
                                                "limit", positive=False)
            else:
                limits[direction] = {}
        if not given:
            self.err(path, f"has no limits: add [vitals.{_key_text(name)}.upper] and/or "
                           f"[vitals.{_key_text(name)}.lower]")
        up, lo = limits["upper"], limits["lower"]
        if up and lo:
            lowest_up = min(up.items(), key=lambda kv: kv[1])
            highest_lo = max(lo.items(), key=lambda kv: kv[1])
            gap = lowest_up[1] - highest_lo[1]
            if gap <= 0:
                self.err(path + ("upper", lowest_up[0]),
                         f"{_fmt_limit(name, lowest_up[1])} must be above the lower {highest_lo[0]} limit "
                         f"{_fmt_limit(name, highest_lo[1])}, or the alarm would never be quiet")
            elif hyst >= gap:
                self.err(path + ("hysteresis",),
                         f"{_num(hyst)} is not smaller than the gap between the upper and lower limits "
                         f"({_fmt_limit(name, highest_lo[1])} to {_fmt_limit(name, lowest_up[1])}), "
                         "so an alarm could never clear")
        if len(self.errors) > n0:
            return None
        return VitalRule(vital=name, upper=up, lower=lo, delay_s=delay or 0.0, hysteresis=hyst,
                         clear_s=clear, continuous=continuous)

    def limits(self, path: tuple, vital: str, direction: str, body: Any, what: str,
               positive: bool) -> dict[str, float]:
        """{priority: value}, ordered low -> high; checks that a higher priority is more extreme.

        Absolute limits (positive=False): upper low < medium < high, lower low > medium > high.
        Baseline deltas (positive=True): a distance from the baseline, low < medium < high.
        """
        tbl = self.table(path, body)
        if tbl is None:
            return {}
        values: dict[str, float] = {}
        for prio, v in tbl.items():
            if prio not in PRIORITY_RANK:
                self.err(path + (prio,), self.unknown(prio, PRIORITIES, "priority"))
                continue
            x = self.number(path + (prio,), v)
            if x is None:
                continue
            if positive:
                if x <= 0:
                    self.err(path + (prio,), f"must be a positive distance from the baseline (got {_num(x)})")
                    continue
            elif not self.in_range(path + (prio,), vital, x, what):
                continue
            values[prio] = x
        ordered = {p: values[p] for p in PRIORITIES if p in values}
        prios = list(ordered)
        for a, b in zip(prios, prios[1:]):  # a is the less urgent of the two
            va, vb = ordered[a], ordered[b]
            if positive or direction == "upper":
                if not va < vb:
                    word = "delta" if positive else "limit"
                    self.err(path + (a,), f"{_fmt_limit(vital, va)} must be below the {b} {word} "
                                          f"{_fmt_limit(vital, vb)} (a higher priority must be more extreme)")
            elif not va > vb:
                self.err(path + (a,), f"{_fmt_limit(vital, va)} must be above the {b} limit "
                                      f"{_fmt_limit(vital, vb)} (a higher priority must be more extreme)")
        return ordered

    def baseline(self, body: Any, raw_vitals: Any) -> tuple[BaselineRule, ...]:
        path = ("baseline",)
        tbl = self.table(path, body)
        if tbl is None:
            return ()
        window = 1800.0
        if "window" in tbl:
            w = self.duration(path + ("window",), tbl["window"])
            if w is not None and w <= 0:
                self.err(path + ("window",), "must be longer than 0 s (the baseline is the median of "
                                             "the readings in this window before the initial dose)")
            elif w is not None:
                window = w
        names = ("window",) + tuple(ALL_SPECS)
        rules: list[BaselineRule] = []
        for name, body_v in tbl.items():
            if name == "window":
                continue
            vpath = path + (name,)
            if name not in ALL_SPECS:
                self.err(vpath, self.unknown(name, names, "vital"))
                continue
            vt = self.table(vpath, body_v)
            if vt is None:
                continue
            self.known_keys(vpath, vt, BASELINE_VITAL_KEYS)
            for direction in DIRECTIONS:
                if direction not in vt:
                    continue
                deltas = self.limits(vpath + (direction,), name, direction, vt[direction], "delta",
                                     positive=True)
                if deltas and isinstance(raw_vitals, dict):
                    raw = raw_vitals.get(name)
                    if raw is None or (isinstance(raw, dict) and not raw.get(direction)):
                        self.err(vpath + (direction,),
                                 f"needs an absolute limit in [vitals.{name}.{direction}] too: the engine "
                                 "applies a baseline rule by tightening that alarm, so alone it would "
                                 "never sound")
                for prio, delta in deltas.items():
                    rules.append(BaselineRule(vital=name, direction=direction, delta=delta, priority=prio,
                                              window_s=window))
        return tuple(rules)

    def stale(self, body: Any) -> tuple[StaleRule, ...]:
        path = ("stale",)
        tbl = self.table(path, body)
        if tbl is None:
            return ()
        rules: list[StaleRule] = []
        owner: dict[str, str] = {}
        for stream, sbody in tbl.items():
            spath = path + (stream,)
            st = self.table(spath, sbody)
            if st is None:
                continue
            n0 = len(self.errors)
            self.known_keys(spath, st, STALE_KEYS)
            vit: list[str] = []
            if "vitals" in st:
                vpath = spath + ("vitals",)
                vl = st["vitals"]
                if not isinstance(vl, list) or not vl:
                    self.err(vpath, f'must be a non-empty array of vital names such as ["sbp", "dbp", "map"], '
                                    f"not {_describe(vl) if vl != [] else 'an empty array'}")
                else:
                    for i, v in enumerate(vl):
                        if not isinstance(v, str):
                            self.err(vpath + (i,), f"must be a vital name, not {_describe(v)}")
                        elif v not in SPECS:
                            if v in ALL_SPECS:
                                self.err(vpath + (i,), f"{v!r} is derived from other vitals and has no "
                                                       "readings of its own; watch those vitals instead")
                            else:
                                self.err(vpath + (i,), f"{v!r} is not a vital name" + self.hint(v, tuple(SPECS)))
                        elif v in owner:
                            self.err(vpath + (i,), f"{v!r} is already watched by [stale.{_key_text(owner[v])}]")
                        else:
                            owner[v] = str(stream)
                            vit.append(v)
            elif stream in SPECS:
                vit = [stream]  # [stale.temp] with no vitals list watches temp
                if stream in owner:
                    self.err(spath, f"{stream!r} is already watched by [stale.{_key_text(owner[stream])}]")
                owner[stream] = stream
            else:
                self.err(spath + ("vitals",), 'missing: list the vitals this stream covers, e.g. '
                                              'vitals = ["sbp", "dbp", "map"]')
            after: float | None = None
            if "after" in st and ("interval" in st or "grace" in st):
                self.err(spath, "give either after, or interval and grace (after = interval + grace), not both")
            elif "after" in st:
                after = self.duration(spath + ("after",), st["after"])
                if after is not None and after <= 0:
                    self.err(spath + ("after",), "must be longer than 0 s")
            elif "interval" in st:
                interval = self.duration(spath + ("interval",), st["interval"])
                grace = self.duration(spath + ("grace",), st["grace"]) if "grace" in st else 0.0
                if interval is not None and interval <= 0:
                    self.err(spath + ("interval",), "must be longer than 0 s")
                elif interval is not None and grace is not None:
                    after = interval + grace
            elif "grace" in st:
                self.err(spath + ("interval",), "missing: grace is added to the measurement interval; "
                                                'give interval too, e.g. interval = "30m"')
            else:
                self.err(spath, 'needs after = "10s" (continuous streams), or interval = "30m" and '
                                'grace = "5m" (intermittent ones)')
            if len(self.errors) == n0 and after is not None:
                rules.append(StaleRule(stream=str(stream), vitals=tuple(vit), after_s=after))
        return tuple(rules)

    def audio(self, body: Any) -> AudioRules:
        path = ("audio",)
        tbl = self.table(path, body)
        if tbl is None:
            return AudioRules()
        self.known_keys(path, tbl, AUDIO_KEYS)
        d = AudioRules()
        got = {"pause": d.pause_s, "max_pause": d.max_pause_s, "reminder": d.reminder_s}
        for key in AUDIO_KEYS:
            if key in tbl:
                v = self.duration(path + (key,), tbl[key])
                if v is not None and v <= 0:
                    self.err(path + (key,), "must be longer than 0 s")
                elif v is not None and key != "reminder" and v > MAX_AUDIO_PAUSE_S:
                    self.err(path + (key,), f"{rule_duration(v)} is longer than the {rule_duration(MAX_AUDIO_PAUSE_S)} "
                                            "an audio pause may last: alarms are paused for a while, "
                                            "never switched off (IEC 60601-1-8 audio paused ends by "
                                            "itself; Dräger Infinity pauses for 2m)")
                elif v is not None and key == "reminder" and v > 900:
                    self.err(path + (key,), f"{rule_duration(v)} is longer than the 15m allowed: an "
                                            "acknowledged alarm that still holds must be heard again "
                                            "(Philips re-sounds after 2 or 3 min)")
                elif v is not None:
                    got[key] = v
        if got["pause"] > got["max_pause"]:
            self.err(path + ("pause",), f"{rule_duration(got['pause'])} is longer than max_pause "
                                        f"{rule_duration(got['max_pause'])}")
        return AudioRules(pause_s=got["pause"], max_pause_s=got["max_pause"], reminder_s=got["reminder"])

    def supplement(self, body: Any) -> SupplementRules:
        path = ("supplement",)
        tbl = self.table(path, body)
        if tbl is None:
            return SupplementRules()
        self.known_keys(path, tbl, SUPPLEMENT_KEYS)
        d = SupplementRules()
        start, end = d.window_start_s, d.window_end_s
        if "window_start" in tbl:
            v = self.duration(path + ("window_start",), tbl["window_start"])
            start = start if v is None else v
        if "window_end" in tbl:
            v = self.duration(path + ("window_end",), tbl["window_end"])
            end = end if v is None else v
        if end <= start:
            self.err(path + ("window_end",), f"{rule_duration(end)} must be later than window_start "
                                             f"{rule_duration(start)} (both count from the initial dose)")
        below: dict[str, float] = {}
        if "below" in tbl:
            bpath = path + ("below",)
            bt = self.table(bpath, tbl["below"])
            for name, v in (bt or {}).items():
                if name not in ALL_SPECS:
                    self.err(bpath + (name,), self.unknown(name, tuple(ALL_SPECS), "vital"))
                    continue
                x = self.number(bpath + (name,), v)
                if x is not None and self.in_range(bpath + (name,), name, x, "readiness limit"):
                    below[name] = x
        return SupplementRules(window_start_s=start, window_end_s=end, max_values=below)


# ---------------------------------------------------------------------------------- formatting


def _fmt_limit(vital: str, v: float | None) -> str:
    if v is None:
        return "-"
    if abs(v) >= 1e15:  # "1e+29", not the 30 digits of the nearest float
        return _num(v)
    decimals = ALL_SPECS[vital].decimals if vital in ALL_SPECS else 0
    text = f"{v:.{decimals}f}"
    if float(text) != v:  # keep precision the user wrote (e.g. 0.91 on a 0-decimal vital)
        text = f"{v:g}"
    return text


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def format_rules(th: Thresholds) -> str:
    """The effective rules as a plain-text table (for `vitals-monitor check-config`)."""
    out: list[str] = []
    if th.source:
        out.append(f"Thresholds from {th.source}")
        out.append("")
    out.append("Limit alarms (raised when value >= an upper limit or value <= a lower limit)")
    rows = []
    for name, r in th.vitals.items():
        unit = ALL_SPECS[name].unit if name in ALL_SPECS else ""
        for direction in DIRECTIONS:
            lim = getattr(r, direction)
            if not lim:
                continue
            rows.append([
                name,
                direction,
                *(_fmt_limit(name, lim.get(p)) for p in PRIORITIES),
                unit,
                rule_duration(r.delay_s) if r.continuous else "-",
                _fmt_limit(name, r.hysteresis) if r.continuous else "-",
                rule_duration(r.clear_time_s) if r.continuous else "-",
                "continuous" if r.continuous else "intermittent",
            ])
    out += _table(["vital", "direction", "low", "medium", "high", "unit", "delay", "hysteresis", "clear",
                   "mode"], rows)
    if any(not r.continuous for r in th.vitals.values()):
        out.append("(intermittent: each reading is one event, with no delay and no hysteresis)")
    if th.without_limits:
        out.append(f"NO LIMITS (on purpose, without_limits): {', '.join(v.upper() for v in th.without_limits)}")
    out.append("")
    if th.baseline:
        window = sorted({b.window_s for b in th.baseline})
        out.append("Baseline-relative alarms (baseline = median of the readings in the "
                   f"{', '.join(rule_duration(w) for w in window)} before the initial dose)")
        rows = []
        for b in th.baseline:
            sign = "+" if b.direction == "upper" else "-"
            op = ">=" if b.direction == "upper" else "<="
            rows.append([b.vital, b.direction, b.priority, f"{op} baseline {sign} {_fmt_limit(b.vital, b.delta)}",
                         rule_duration(b.window_s)])
        out += _table(["vital", "direction", "priority", "alarm when", "window"], rows)
    else:
        out.append("Baseline-relative alarms: none")
    out.append("")
    if th.stale:
        out.append("Stale data (technical alarm when a stream has no reading for)")
        rows = [[s.stream, ", ".join(s.vitals), rule_duration(s.after_s)] for s in th.stale]
        out += _table(["stream", "vitals", "after"], rows)
    else:
        out.append("Stale data: no rules")
    out.append("")
    a = th.audio
    out.append(f"Audio: pause {rule_duration(a.pause_s)} (at most {rule_duration(a.max_pause_s)}), "
               f"reminder for acknowledged alarms every {rule_duration(a.reminder_s)}")
    out.append("")
    s = th.supplement
    out.append(f"Supplemental dose readiness: {rule_duration(s.window_start_s)} to "
               f"{rule_duration(s.window_end_s)} after the initial dose")
    if s.max_values:
        conds = ", ".join(f"{v} < {_fmt_limit(v, x)}" for v, x in s.max_values.items())
        out.append(f"  latest readings must be: {conds}")
    else:
        out.append("  no vital-sign conditions")
    return "\n".join(out)
