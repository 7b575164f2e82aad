"""Reading a thresholds file (or a dict of one, or the copy stored in session.json) into
`Thresholds`; every problem found is raised as one `ConfigError`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.core.config_values import value_text
from monitor.core.textfile import NotRegularFile, TooLarge, is_link_loop, read_limited, size_text, sniff_encoding
from monitor.core.thresholds import Thresholds
from monitor.core.thresholds_validator import MAX_AUDIO_PAUSE_S, REQUIRED_LIMITS, Validator

# The default file, every number commented with its source, is about 10 KiB.
MAX_THRESHOLDS_BYTES = 1024 * 1024

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
    if local.exists() or local.is_symlink():  # a broken link or a link loop is named, not skipped
        return local
    from importlib.resources import files

    return Path(str(files("monitor").joinpath("thresholds.toml")))


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Read, validate and type a thresholds file; raises ConfigError listing every problem."""
    p = default_thresholds_path() if path is None else Path(path)
    name = str(p)
    raw = _read(p, name)
    text = _decode(raw, name)
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


def _read(p: Path, name: str) -> bytes:
    try:
        return read_limited(p, MAX_THRESHOLDS_BYTES)
    except NotRegularFile as e:
        if e.what == "a directory":
            raise ConfigError(f"{name}: is a directory, not a thresholds file") from None
        raise ConfigError(f"{name}: is {e.what}, not a regular file") from None
    except TooLarge as e:
        size = e.how_large()
        raise ConfigError(
            f"{name}: is {size} than the {size_text(e.limit)} a thresholds file may be "
            f"(the default one, with every source commented, is about 10 KiB)"
        ) from None
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except PermissionError:
        raise ConfigError(f"{name}: cannot be read (permission denied)") from None
    except ValueError:  # e.g. a NUL byte in the name
        raise ConfigError(f"{name!r}: is not a valid file name") from None
    except OSError as e:
        if is_link_loop(e):
            raise ConfigError(f"{name}: is a symbolic link loop (its links lead back round to themselves)") from None
        raise ConfigError(f"{name}: cannot be read ({e.strerror or e})") from None


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (a byte-order mark allowed), or UTF-16/UTF-32 told by a mark or their NUL bytes, as
    Windows editors save "Unicode" text."""
    sniffed = sniff_encoding(raw)
    codec = sniffed[0] if sniffed else "utf-8"
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as e:
        if codec != "utf-8":
            raise ConfigError(
                f"{name}: starts like {codec[:6].upper()} text but is not valid {codec[:6].upper()}; save it as UTF-8"
            ) from None
        line = raw[: e.start].count(b"\n") + 1
        raise ConfigError(
            f"{name}: is not UTF-8 text (byte 0x{raw[e.start]:02x} at line {line} cannot be decoded); save it as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


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
    if (
        isinstance(data, dict)
        and set(data) - {"without_limits"} == _STORED_KEYS
        and isinstance(data["baseline"], (list, tuple))
        and isinstance(data["stale"], (list, tuple))
    ):
        return thresholds_from_stored(data)
    return _validated(source, data)


def thresholds_from_stored(d: dict) -> Thresholds:
    """Inverse of `Thresholds.to_dict()` (also after a JSON round trip), validated like a file."""
    label = "stored thresholds"
    if not isinstance(d, dict):
        raise ConfigError(f"{label}: expected a table of thresholds, not {value_text(d)}")
    try:
        shaped = _stored_to_file_shape(d)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, OverflowError) as e:
        raise ConfigError(f"{label}: not in the form Thresholds.to_dict() writes ({_exc_text(e)})") from None
    th = _validated(label, shaped)
    source = d.get("source", "")
    return replace(th, source=source if isinstance(source, str) else str(source))


def _validated(source: str, data: Any) -> Thresholds:
    v = Validator(source)
    th = v.build(data)
    if th is None:
        raise ConfigError(v.errors)
    return th


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
    out["without_limits"] = list(without) if without is not None else [v for v in REQUIRED_LIMITS if v not in vitals]
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
        out["audio"] = {
            "pause": min(a["pause_s"], MAX_AUDIO_PAUSE_S),
            "max_pause": min(a["max_pause_s"], MAX_AUDIO_PAUSE_S),
            "reminder": min(a["reminder_s"], 900.0),
        }
    if "supplement" in d:
        s = d["supplement"]
        out["supplement"] = {
            "window_start": s["window_start_s"],
            "window_end": s["window_end_s"],
            "below": dict(s["max_values"]),
        }
    return out
