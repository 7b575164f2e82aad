"""The sections of a thresholds file checked and typed (`Validator.build`).

File layout (see the top-level thresholds.toml for the documented defaults):

  [vitals.<vital>]            continuous, delay, hysteresis
  [vitals.<vital>.upper]      low / medium / high   (alarm when value >= limit)
  [vitals.<vital>.lower]      low / medium / high   (alarm when value <= limit)
  [baseline]                  window
  [baseline.<vital>.upper]    low / medium / high = delta above the pre-dose baseline
  [baseline.<vital>.lower]    low / medium / high = delta below the pre-dose baseline
  [stale.<stream>]            vitals, and either after, or interval (+ grace)
  [audio]                     pause, max_pause, reminder
  [supplement]                window_start, window_end
  [supplement.below]          <vital> = value every latest reading must be strictly below

Every problem is collected (not just the first) and reported as one sentence naming the file,
the key path and the reason; any problem rejects the whole file.
"""

from __future__ import annotations

from typing import Any

from monitor.core.config_values import ValueChecker, key_text, value_text
from monitor.core.priority import PRIORITIES, PRIORITY_RANK
from monitor.core.thresholds import (
    DIRECTIONS,
    AudioRules,
    BaselineRule,
    StaleRule,
    SupplementRules,
    Thresholds,
    VitalRule,
)
from monitor.core.thresholds_text import limit_text, num_text
from monitor.core.timetext import rule_duration
from monitor.core.vitals import ALL_SPECS, SPECS

TOP_KEYS: tuple[str, ...] = ("vitals", "baseline", "stale", "audio", "supplement", "without_limits")
VITAL_KEYS: tuple[str, ...] = ("continuous", "delay", "hysteresis", "clear", "upper", "lower")
# MDMA raises heart rate and blood pressure: a file must give these limits, or say it does not.
REQUIRED_LIMITS: tuple[str, ...] = ("hr", "sbp", "dbp")
# IEC 60601-1-8 makes AUDIO PAUSED time-limited (it ends by itself); Dräger Infinity pauses for
# 2 min. No file may ask for longer than this (our cap): a longer pause is alarms off in effect.
MAX_AUDIO_PAUSE_S = 300.0
BASELINE_VITAL_KEYS: tuple[str, ...] = DIRECTIONS
STALE_KEYS: tuple[str, ...] = ("vitals", "after", "interval", "grace")
AUDIO_KEYS: tuple[str, ...] = ("pause", "max_pause", "reminder")
SUPPLEMENT_KEYS: tuple[str, ...] = ("window_start", "window_end", "below")

# A delay longer than this is almost surely a typo ("10m" for "10s"): bedside monitors allow up to
# about 15 s (Mindray) and Görges 2009 measured 14-19 s. Rejected rather than silently honoured.
MAX_DELAY_S = 60.0


class Validator(ValueChecker):
    """The sections of a thresholds file, each checked and typed."""

    def build(self, data: Any) -> Thresholds | None:
        """The typed rules, or None with every problem in `errors`."""
        if not isinstance(data, dict):
            self.err((), f"the thresholds must be a table of sections, not {value_text(data)}")
            return None
        unknown = self.known_keys((), data, TOP_KEYS, "section")
        vitals = self.vitals(data, hinted=any(self.suggestion(k, TOP_KEYS) == "vitals" for k in unknown))
        baseline = self.baseline(data["baseline"], data.get("vitals")) if "baseline" in data else ()
        stale = self.stale(data["stale"]) if "stale" in data else ()
        audio = self.audio(data["audio"]) if "audio" in data else AudioRules()
        supplement = self.supplement(data["supplement"]) if "supplement" in data else SupplementRules()
        without = self.without_limits(data.get("without_limits"), vitals)
        if self.errors:
            return None
        return Thresholds(
            vitals=vitals or {},
            baseline=baseline,
            stale=stale,
            audio=audio,
            supplement=supplement,
            source=self.source,
            without_limits=without,
        )

    def without_limits(self, body: Any, vitals: dict[str, VitalRule] | None) -> tuple[str, ...]:
        """The required vitals left without limits: refused unless `without_limits` names them."""
        path = ("without_limits",)
        named: list[str] = []
        if body is not None:
            if not isinstance(body, list) or not all(isinstance(v, str) for v in body):
                self.err(path, f'must be a list of vital names like ["dbp"], not {value_text(body)}')
                return ()
            for v in body:
                if v not in REQUIRED_LIMITS:
                    self.err(
                        path,
                        f"{key_text(v)} is not a vital that needs limits; use some of: {', '.join(REQUIRED_LIMITS)}",
                    )
                elif vitals is not None and v in vitals and vitals[v].upper:
                    self.err(path, f"{key_text(v)} has upper limits in [vitals.{v}.upper]: remove one or the other")
                else:
                    named.append(v)
        if vitals is None or self.errors:
            return ()  # (asked for once the file is otherwise right: each message stays true)
        # The rise is what MDMA brings: a vital with only a lower limit is missing its limits too.
        missing = [v for v in REQUIRED_LIMITS if (v not in vitals or not vitals[v].upper) and v not in named]
        if missing:
            names = ", ".join(f"[vitals.{v}.upper]" for v in missing)
            listed = ", ".join(f'"{v}"' for v in missing)
            self.err(
                ("vitals",),
                f"has no {names}: MDMA raises heart rate and blood pressure, so "
                f"these limits are required; to run without them on purpose, write "
                f"without_limits = [{listed}] at the top of the file",
            )
        return tuple(v for v in REQUIRED_LIMITS if v in named)

    def vitals(self, data: dict, hinted: bool) -> dict[str, VitalRule] | None:
        if "vitals" not in data:
            if not hinted:  # a misspelt [vital.hr] already got its own "did you mean" message
                self.err(
                    ("vitals",),
                    "missing: add a [vitals.<name>] table for each vital to watch "
                    "(without one the monitor would raise no limit alarms)",
                )
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
            self.err(
                path + ("delay",),
                "an intermittent vital (continuous = false) takes no delay: "
                "each reading is one event; remove the delay",
            )
        elif delay is not None and delay > MAX_DELAY_S:
            self.err(
                path + ("delay",),
                f"{rule_duration(delay)} is longer than the {MAX_DELAY_S:g} s "
                "allowed (bedside monitors use up to about 15 s); "
                'did you mean seconds, e.g. "10s"?',
            )
        clear = -1.0
        if "clear" in tbl:
            cs = self.duration(path + ("clear",), tbl["clear"])
            if cs is not None and cs > 0 and not continuous:
                self.err(
                    path + ("clear",),
                    "an intermittent vital (continuous = false) takes no clear "
                    "time: each reading is judged on its own; remove it",
                )
            elif cs is not None and cs > MAX_DELAY_S:
                self.err(
                    path + ("clear",),
                    f"{rule_duration(cs)} is longer than the {MAX_DELAY_S:g} s allowed; "
                    'did you mean seconds, e.g. "10s"?',
                )
            elif cs is not None:
                clear = cs
        hyst = 0.0
        if "hysteresis" in tbl:
            h = self.number(path + ("hysteresis",), tbl["hysteresis"])
            if h is not None and h < 0:
                self.err(path + ("hysteresis",), f"must not be negative (got {num_text(h)})")
            elif h is not None and h > 0 and not continuous:
                self.err(
                    path + ("hysteresis",),
                    "an intermittent vital (continuous = false) takes no "
                    "hysteresis: each reading is judged on its own; "
                    "remove it or set it to 0",
                )
            elif h is not None:
                hyst = h
        limits: dict[str, dict[str, float]] = {}
        given = False
        for direction in DIRECTIONS:
            if direction in tbl:
                given = given or tbl[direction] != {}
                limits[direction] = self.limits(
                    path + (direction,), name, direction, tbl[direction], "limit", positive=False
                )
            else:
                limits[direction] = {}
        if not given:
            self.err(path, f"has no limits: add [vitals.{key_text(name)}.upper] and/or [vitals.{key_text(name)}.lower]")
        up, lo = limits["upper"], limits["lower"]
        if up and lo:
            lowest_up = min(up.items(), key=lambda kv: kv[1])
            highest_lo = max(lo.items(), key=lambda kv: kv[1])
            gap = lowest_up[1] - highest_lo[1]
            if gap <= 0:
                self.err(
                    path + ("upper", lowest_up[0]),
                    f"{limit_text(name, lowest_up[1])} must be above the lower {highest_lo[0]} limit "
                    f"{limit_text(name, highest_lo[1])}, or the alarm would never be quiet",
                )
            elif hyst >= gap:
                self.err(
                    path + ("hysteresis",),
                    f"{num_text(hyst)} is not smaller than the gap between the upper and lower limits "
                    f"({limit_text(name, highest_lo[1])} to {limit_text(name, lowest_up[1])}), "
                    "so an alarm could never clear",
                )
        if len(self.errors) > n0:
            return None
        return VitalRule(
            vital=name, upper=up, lower=lo, delay_s=delay or 0.0, hysteresis=hyst, clear_s=clear, continuous=continuous
        )

    def limits(self, path: tuple, vital: str, direction: str, body: Any, what: str, positive: bool) -> dict[str, float]:
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
                    self.err(path + (prio,), f"must be a positive distance from the baseline (got {num_text(x)})")
                    continue
            elif not self.in_range(path + (prio,), vital, x, what):
                continue
            values[prio] = x
        ordered = {p: values[p] for p in PRIORITIES if p in values}
        prios = list(ordered)
        for a, b in zip(prios, prios[1:], strict=False):  # a is the less urgent of the two
            va, vb = ordered[a], ordered[b]
            if positive or direction == "upper":
                if not va < vb:
                    word = "delta" if positive else "limit"
                    self.err(
                        path + (a,),
                        f"{limit_text(vital, va)} must be below the {b} {word} "
                        f"{limit_text(vital, vb)} (a higher priority must be more extreme)",
                    )
            elif not va > vb:
                self.err(
                    path + (a,),
                    f"{limit_text(vital, va)} must be above the {b} limit "
                    f"{limit_text(vital, vb)} (a higher priority must be more extreme)",
                )
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
                self.err(
                    path + ("window",),
                    "must be longer than 0 s (the baseline is the median of "
                    "the readings in this window before the initial dose)",
                )
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
                deltas = self.limits(vpath + (direction,), name, direction, vt[direction], "delta", positive=True)
                if deltas and isinstance(raw_vitals, dict):
                    raw = raw_vitals.get(name)
                    if raw is None or (isinstance(raw, dict) and not raw.get(direction)):
                        self.err(
                            vpath + (direction,),
                            f"needs an absolute limit in [vitals.{name}.{direction}] too: the engine "
                            "applies a baseline rule by tightening that alarm, so alone it would "
                            "never sound",
                        )
                for prio, delta in deltas.items():
                    rules.append(
                        BaselineRule(vital=name, direction=direction, delta=delta, priority=prio, window_s=window)
                    )
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
                    self.err(
                        vpath,
                        f'must be a non-empty array of vital names such as ["sbp", "dbp", "map"], '
                        f"not {value_text(vl) if vl != [] else 'an empty array'}",
                    )
                else:
                    for i, v in enumerate(vl):
                        if not isinstance(v, str):
                            self.err(vpath + (i,), f"must be a vital name, not {value_text(v)}")
                        elif v not in SPECS:
                            if v in ALL_SPECS:
                                self.err(
                                    vpath + (i,),
                                    f"{v!r} is derived from other vitals and has no "
                                    "readings of its own; watch those vitals instead",
                                )
                            else:
                                self.err(vpath + (i,), f"{v!r} is not a vital name" + self.hint(v, tuple(SPECS)))
                        elif v in owner:
                            self.err(vpath + (i,), f"{v!r} is already watched by [stale.{key_text(owner[v])}]")
                        else:
                            owner[v] = str(stream)
                            vit.append(v)
            elif stream in SPECS:
                vit = [stream]  # [stale.temp] with no vitals list watches temp
                if stream in owner:
                    self.err(spath, f"{stream!r} is already watched by [stale.{key_text(owner[stream])}]")
                owner[stream] = stream
            else:
                self.err(
                    spath + ("vitals",),
                    'missing: list the vitals this stream covers, e.g. vitals = ["sbp", "dbp", "map"]',
                )
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
                self.err(
                    spath + ("interval",),
                    'missing: grace is added to the measurement interval; give interval too, e.g. interval = "30m"',
                )
            else:
                self.err(
                    spath,
                    'needs after = "10s" (continuous streams), or interval = "30m" and '
                    'grace = "5m" (intermittent ones)',
                )
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
                    self.err(
                        path + (key,),
                        f"{rule_duration(v)} is longer than the {rule_duration(MAX_AUDIO_PAUSE_S)} "
                        "an audio pause may last: alarms are paused for a while, "
                        "never switched off (IEC 60601-1-8 audio paused ends by "
                        "itself; Dräger Infinity pauses for 2m)",
                    )
                elif v is not None and key == "reminder" and v > 900:
                    self.err(
                        path + (key,),
                        f"{rule_duration(v)} is longer than the 15m allowed: an "
                        "acknowledged alarm that still holds must be heard again "
                        "(Philips re-sounds after 2 or 3 min)",
                    )
                elif v is not None:
                    got[key] = v
        if got["pause"] > got["max_pause"]:
            self.err(
                path + ("pause",),
                f"{rule_duration(got['pause'])} is longer than max_pause {rule_duration(got['max_pause'])}",
            )
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
            self.err(
                path + ("window_end",),
                f"{rule_duration(end)} must be later than window_start "
                f"{rule_duration(start)} (both count from the initial dose)",
            )
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
