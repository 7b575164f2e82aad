"""Checking one value of a config table: its type, a duration, a plausible range; each problem
said as one sentence naming the source and the key path, with a did-you-mean hint for a
misspelt key. The thresholds validator (monitor/core/thresholds_validator.py) builds on it."""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

from monitor.core.thresholds_text import limit_text, num_text
from monitor.core.timetext import parse_duration
from monitor.core.vitals import ALL_SPECS

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# About 31.7 years: no setting of a session comes near it.
MAX_DURATION_S = 1e9


def key_text(part: Any) -> str:
    if isinstance(part, int) and not isinstance(part, bool):
        return f"[{part}]"
    s = str(part)
    if _BARE_KEY.fullmatch(s):  # (match: "$" would let a trailing newline through)
        return s
    # JSON escapes C0 controls; DEL, C1 controls (a terminal acts on them) and invisible
    # formatting characters (bidi overrides) are escaped too, so a message shows the key as written.
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in json.dumps(s, ensure_ascii=False))


def path_text(path: tuple) -> str:
    out = ""
    for part in path:
        k = key_text(part)
        out += k if k.startswith("[") or not out else "." + k
    return out


def number_text(v: int | float) -> str:
    """A number from the file for a message: as written, or "about 1e+308" when it is so long
    that hundreds of digits would bury the sentence."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**15:
        try:
            return f"about {float(v):.3g}"
        except OverflowError:
            return f"a number of {len(str(abs(v)))} digits"
    return repr(v)


def value_text(v: Any) -> str:
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
        return f"the number {number_text(v)}"
    if v is None:
        return "nothing (null)"
    mod = type(v).__module__
    if mod == "datetime":
        return f"a date/time ({v})"
    return f"a {type(v).__name__}"


def _as_written(v: str | int | float) -> str:
    """A duration's value as the file wrote it, shortened: '0.001s', 0.5, about 1e+300."""
    if isinstance(v, str):
        return repr(v if len(v) <= 40 else v[:37] + "...")
    return number_text(v)


class ValueChecker:
    """Collects the problems of one source (a file name, or "stored thresholds") in `errors`."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []

    def err(self, path: tuple, reason: str) -> None:
        where = path_text(path)
        self.errors.append(f"{self.source}: {where}: {reason}" if where else f"{self.source}: {reason}")

    def table(self, path: tuple, v: Any) -> dict | None:
        if isinstance(v, dict):
            return v
        self.err(path, f"must be a table, not {value_text(v)}")
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
        import difflib  # (only for a key that is wrong: every start-up reads a thresholds file)

        k = str(key).lower()
        scored = [(difflib.SequenceMatcher(None, k, a).ratio(), a) for a in allowed]
        best = max((r for r, _ in scored), default=0.0)
        if best < 0.6:
            return []
        tied = [a for r, a in scored if r == best]
        prefix = lambda a: len(os.path.commonprefix([k, a]))
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
            self.err(path, f"must be a number, not {value_text(v)}")
            return None
        try:
            f = float(v)
        except OverflowError:
            self.err(path, "is too large a number")
            return None
        if not math.isfinite(f):
            self.err(path, f"must be a finite number, not {v!r}")
            return None
        return f + 0.0  # -0.0 is 0 (it would show as "-0")

    def duration(self, path: tuple, v: Any) -> float | None:
        """Seconds from "10s", "2m", "1h30m" or a plain number: 0, or from 1 s to about 30 years.

        Every duration of the file is a delay, a time without data, a pause or a window of a
        session that lasts hours, kept to the second: a fraction of a second ("0.001s") is a typo
        or nonsense, and years are a number that means nothing (its hundreds of digits would only
        bury the message)."""
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            self.err(
                path, f'must be a duration like "10s", "2m" or "1h30m", or a number of seconds, not {value_text(v)}'
            )
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
                self.err(
                    path, f'{shown!r} is not a duration; write it like "10s", "2m" or "1h30m", or a number of seconds'
                )
                return None
            if negative:
                seconds = -seconds
        else:
            try:
                seconds = float(v)
            except OverflowError:
                self.err(path, "is too large a duration")
                return None
        shown = _as_written(v)
        if not math.isfinite(seconds):
            self.err(path, f"must be a finite duration, not {shown}")
            return None
        if seconds < 0:
            self.err(path, f"must not be negative (got {shown})")
            return None
        if seconds >= MAX_DURATION_S:
            self.err(path, f"is too large a duration ({seconds:.3g} s is more than 30 years)")
            return None
        if 0 < seconds < 1:
            self.err(path, f'{shown} is less than a second: a duration is 0 or at least 1 s ("1s")')
            return None
        return seconds + 0.0  # -0.0 ("-0s") is 0

    def boolean(self, path: tuple, v: Any) -> bool | None:
        if isinstance(v, bool):
            return v
        self.err(path, f"must be true or false, not {value_text(v)}")
        return None

    def in_range(self, path: tuple, vital: str, value: float, what: str) -> bool:
        spec = ALL_SPECS[vital]
        if spec.low <= value <= spec.high:
            return True
        label = spec.label[:1].lower() + spec.label[1:] if spec.label.split()[0][1:].islower() else spec.label
        self.err(
            path,
            f"{limit_text(vital, value)} is outside the plausible range of {label} "
            f"({num_text(spec.low)}-{num_text(spec.high)} {spec.unit}), so this {what} could never apply; "
            "readings outside that range are treated as artifacts",
        )
        return False
