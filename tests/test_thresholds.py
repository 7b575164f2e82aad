"""thresholds.toml: the default file, the loader/validator, its error messages, and round trips."""

from __future__ import annotations

import copy
import json
import re
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.thresholds import AudioRules, BaselineRule, StaleRule, SupplementRules, Thresholds, VitalRule
from monitor.core.thresholds_loader import (
    ConfigError,
    default_thresholds_path,
    load_thresholds,
    thresholds_from_dict,
    thresholds_from_stored,
)
from monitor.core.thresholds_text import format_rules
from tests.conftest import examples

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = REPO / "thresholds.toml"
BAD_DIR = Path(__file__).parent / "data" / "bad_thresholds"


def default_dict() -> dict:
    return tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def errors_of(data: dict, source: str = "t.toml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        thresholds_from_dict(data, source=source)
    return info.value.errors


# ------------------------------------------------------------------------------ the default file


@pytest.fixture(scope="module")
def th() -> Thresholds:
    return load_thresholds(DEFAULT_FILE)


def test_default_file_loads_and_records_its_source(th: Thresholds) -> None:
    assert isinstance(th, Thresholds)
    assert th.source == str(DEFAULT_FILE.resolve())


def test_default_path_is_the_packaged_copy_when_cwd_has_none(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    packaged = DEFAULT_FILE.parent / "monitor" / "thresholds.toml"
    assert default_thresholds_path() == packaged
    assert load_thresholds().source == str(packaged)
    assert packaged.read_bytes() == DEFAULT_FILE.read_bytes()  # the documented file, shipped as is


def test_default_path_prefers_thresholds_toml_in_cwd(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "thresholds.toml").write_text(
        'without_limits = ["sbp", "dbp"]\n[vitals.hr.upper]\nmedium = 120\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert default_thresholds_path() == tmp_path / "thresholds.toml"
    th = load_thresholds()
    assert th.vitals["hr"].upper == {"medium": 120}
    assert th.source == str((tmp_path / "thresholds.toml").resolve())


# Numbers from docs/clinical.md, "Proposed default limits" and NEWS2.
CLINICAL = {
    "sbp": ({"medium": 160, "high": 180}, {"medium": 100, "high": 90}),
    "dbp": ({"medium": 100, "high": 110}, {"medium": 50, "high": 40}),
    "hr": ({"medium": 110, "high": 130}, {"medium": 50, "high": 40}),
    "temp": ({"medium": 38.0, "high": 39.0}, {"medium": 35.5, "high": 35.0}),
    "map": ({"medium": 110}, {"medium": 65, "high": 60}),
    "si": ({"medium": 0.9, "high": 1.0}, {}),
    "spo2": ({}, {"medium": 93, "high": 91}),  # NEWS2 scale 1: 92-93 scores 2, <= 91 scores 3
    "rr": ({"medium": 21, "high": 25}, {"medium": 11, "high": 8}),  # NEWS2 21-24 / >= 25; 9-11 / <= 8
}


@pytest.mark.parametrize("vital", sorted(CLINICAL))
def test_default_limits_match_clinical_md(th: Thresholds, vital: str) -> None:
    upper, lower = CLINICAL[vital]
    rule = th.vitals[vital]
    assert rule.vital == vital
    assert rule.upper == upper
    assert rule.lower == lower


def test_default_delays_and_hysteresis(th: Thresholds) -> None:
    for name in ("hr", "spo2", "rr"):  # continuous: 10 s delay (docs/clinical.md, Mindray / Görges 2009)
        assert th.vitals[name].continuous is True
        assert th.vitals[name].delay_s == 10.0
    for name in ("sbp", "dbp", "map", "temp", "si"):  # intermittent: one event per reading
        assert th.vitals[name].continuous is False
        assert th.vitals[name].delay_s == 0.0
        assert th.vitals[name].hysteresis == 0.0
    assert th.vitals["hr"].hysteresis == 5
    assert th.vitals["spo2"].hysteresis == 2


def test_default_baseline_stale_audio_supplement(th: Thresholds) -> None:
    assert th.baseline == (
        BaselineRule("sbp", "upper", 50.0, "medium", 1800.0),
        BaselineRule("hr", "upper", 40.0, "medium", 1800.0),
    )
    stale = {s.stream: s for s in th.stale}
    assert stale["hr"] == StaleRule("hr", ("hr",), 10.0)  # Nonin: hold 10 s then dashes
    assert stale["bp"] == StaleRule("bp", ("sbp", "dbp", "map"), 35 * 60.0)  # 30 min + 5 min grace
    assert stale["temp"].after_s == 35 * 60.0
    assert stale["spo2"].after_s == 10.0
    assert th.audio == AudioRules(pause_s=120.0, max_pause_s=300.0, reminder_s=180.0)
    assert th.supplement == SupplementRules(
        window_start_s=5400.0,
        window_end_s=9000.0,
        max_values={"sbp": 160, "dbp": 100, "hr": 110, "temp": 38.0},
    )


def test_default_file_comments_every_number_and_is_honest() -> None:
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert "NOT CLINICAL ADVICE" in text
    assert "configurable starting points, not clinical advice" in text.lower()
    assert "(unconfirmed)" in text
    # Every line that sets a number or a duration carries a comment naming where it comes from.
    setting = re.compile(r'^\s*[A-Za-z_]+\s*=\s*("?\d|\[)')
    uncommented = [ln for ln in text.splitlines() if setting.match(ln) and "#" not in ln]
    # vitals = [...] lists of stale streams are names, not numbers
    uncommented = [ln for ln in uncommented if not ln.lstrip().startswith("vitals")]
    assert uncommented == []
    for source in (
        "Vizeli",
        "NEWS2",
        "Mindray",
        "Görges 2009",
        "Dräger",
        "Philips",
        "Nonin",
        "Mitchell 2023",
        "Mas 1999",
    ):
        assert source in text, source


def test_format_rules_lists_everything(th: Thresholds) -> None:
    text = format_rules(th)
    limits = text.split("Baseline-relative")[0]
    rows = {tuple(line.split()[:2]): line for line in limits.splitlines() if line.split()[:1]}
    assert rows[("sbp", "upper")].split()[2:5] == ["-", "160", "180"]
    assert rows[("hr", "lower")].split()[2:8] == ["-", "50", "40", "bpm", "10s", "5"]
    assert "intermittent" in rows[("temp", "upper")]
    assert rows[("si", "upper")].split()[3:5] == ["0.90", "1.00"]
    assert ">= baseline + 50" in text
    assert re.search(r"^bp\s+sbp, dbp, map\s+35m$", text, re.M)
    assert "pause 2m (at most 5m), reminder for acknowledged alarms every 3m" in text
    assert "1h30m to 2h30m after the initial dose" in text
    assert "sbp < 160, dbp < 100, hr < 110, temp < 38.0" in text


def test_format_rules_of_minimal_thresholds() -> None:
    th = thresholds_from_dict({"vitals": {"hr": {"upper": {"high": 130}}}, "without_limits": ["sbp", "dbp"]})
    text = format_rules(th)
    assert "Baseline-relative alarms: none" in text
    assert "Stale data: no rules" in text
    assert "no vital-sign conditions" in text


# ------------------------------------------------------------------------------ round trips


def test_round_trip_to_dict_and_back(th: Thresholds) -> None:
    assert thresholds_from_stored(th.to_dict()) == th


def test_round_trip_through_json(th: Thresholds) -> None:
    stored = json.loads(json.dumps(th.to_dict()))
    back = thresholds_from_stored(stored)
    assert back == th
    assert back.source == th.source
    assert all(isinstance(s.vitals, tuple) for s in back.stale)


def test_thresholds_from_dict_accepts_the_stored_form(th: Thresholds) -> None:
    assert thresholds_from_dict(json.loads(json.dumps(th.to_dict()))) == th


def test_stored_thresholds_are_validated_too(th: Thresholds) -> None:
    stored = th.to_dict()
    stored["vitals"]["sbp"]["upper"]["medium"] = 200  # now beyond the high limit 180
    with pytest.raises(ConfigError) as info:
        thresholds_from_stored(stored)
    assert info.value.errors == [
        "stored thresholds: vitals.sbp.upper.medium: 200 must be below the high limit 180 "
        "(a higher priority must be more extreme)"
    ]


@pytest.mark.parametrize(
    "bad", [None, [], {"vitals": 3}, {"vitals": {}, "extra": 1}, {"vitals": {"hr": {"upper": {}}}}]
)
def test_malformed_stored_thresholds_raise_config_error(bad) -> None:
    with pytest.raises(ConfigError) as info:
        thresholds_from_stored(bad)
    assert all(e.startswith("stored thresholds: ") for e in info.value.errors)


# ------------------------------------------------------------------------------ the bad files

# file -> [(key path or "" for a file-level problem, a fragment of the reason)], one per error.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "syntax_error.toml": [("", "invalid TOML at line 3, column 12: expected '='")],
    "duplicate_key.toml": [("", "invalid TOML at line 4, column 13: cannot overwrite a value")],
    "not_utf8.toml": [("", "is not UTF-8 text (byte 0xb0 at line 1")],
    "unknown_section.toml": [("vital", "unknown section (did you mean 'vitals'?)")],
    "unknown_key_typo.toml": [("vitals.hr.hysterisis", "unknown key (did you mean 'hysteresis'?)")],
    "unknown_vital.toml": [("vitals.hrr", "unknown vital (did you mean 'hr' or 'rr'?)")],
    "unknown_priority.toml": [("vitals.hr.upper.critical", "unknown priority; use one of: low, medium, high")],
    "upper_medium_beyond_high.toml": [("vitals.sbp.upper.medium", "190 must be below the high limit 180")],
    "lower_medium_beyond_high.toml": [("vitals.hr.lower.medium", "35 must be above the high limit 40")],
    "low_beyond_medium.toml": [("vitals.temp.upper.low", "38.5 must be below the medium limit 38.0")],
    "upper_below_lower.toml": [("vitals.hr.upper.medium", "must be above the lower medium limit 60")],
    "limit_wrong_type.toml": [("vitals.sbp.upper.high", "must be a number, not the text '180'")],
    "nan_limit.toml": [("vitals.hr.upper.high", "must be a finite number")],
    "implausible_limit.toml": [("vitals.spo2.lower.high", "outside the plausible range of SpO2 (20-100 %)")],
    "negative_delay.toml": [("vitals.hr.delay", "must not be negative")],
    "negative_hysteresis.toml": [("vitals.spo2.hysteresis", "must not be negative")],
    "delay_minutes_typo.toml": [("vitals.hr.delay", "10m is longer than the 60 s allowed")],
    "delay_on_intermittent.toml": [("vitals.sbp.delay", "takes no delay")],
    "hysteresis_on_intermittent.toml": [("vitals.temp.hysteresis", "takes no hysteresis")],
    "continuous_not_bool.toml": [("vitals.hr.continuous", "must be true or false, not the text 'yes'")],
    "malformed_duration.toml": [("audio.pause", "'2 minutes' is not a duration")],
    "pause_longer_than_max.toml": [("audio.pause", "4m is longer than max_pause 3m")],
    "vitals_not_table.toml": [("vitals", "must be a table, not the number 5")],
    "no_vitals.toml": [("vitals", "missing")],
    "baseline_typo_direction.toml": [("baseline.sbp.uper", "unknown key (did you mean 'upper'?)")],
    "baseline_without_absolute.toml": [("baseline.sbp.upper", "needs an absolute limit in [vitals.sbp.upper]")],
    "stale_unknown_vital.toml": [("stale.bp.vitals[1]", "'dpb' is not a vital name (did you mean 'dbp'?)")],
    "stale_after_and_interval.toml": [("stale.bp", "not both")],
    "stale_no_timing.toml": [("stale.bp", 'needs after = "10s"')],
    "supplement_window_reversed.toml": [("supplement.window_end", "1h30m must be later than window_start 2h30m")],
    "supplement_unknown_vital.toml": [("supplement.below.sbpp", "unknown vital (did you mean 'sbp'?)")],
    "multiple_errors.toml": [
        ("vitals.hr.delay", "'10 sec' is not a duration"),
        ("vitals.sbp.upper.medium", "190 must be below the high limit 180"),
        ("audio.remind", "unknown key (did you mean 'reminder'?)"),
    ],
}


def test_every_bad_file_has_an_expectation() -> None:
    files = {p.name for p in BAD_DIR.iterdir()}
    assert len(files) >= 12
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_one_clear_message_per_problem(name: str) -> None:
    path = BAD_DIR / name
    with pytest.raises(ConfigError) as info:
        load_thresholds(path)
    errors = info.value.errors
    expected = EXPECTED[name]
    assert len(errors) == len(expected), errors
    for err, (key, fragment) in zip(errors, expected, strict=True):
        assert "\n" not in err
        prefix = f"{path}: {key}: " if key else f"{path}: "
        assert err.startswith(prefix), err
        assert fragment in err, err
    assert str(info.value) == "\n".join(errors)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_thresholds(path)
    assert info.value.errors == [f"{path}: no such file"]


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_thresholds(tmp_path)
    assert info.value.errors == [f"{tmp_path}: is a directory, not a thresholds file"]


def test_utf8_with_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfwithout_limits = ["sbp", "dbp"]\n[vitals.hr.upper]\nmedium = 110\n')
    assert load_thresholds(path).vitals["hr"].upper == {"medium": 110}


# ------------------------------------------------------------------------------ validation rules


def test_collects_all_errors_and_rejects_the_whole_file() -> None:
    data = default_dict()
    data["vitals"]["hr"]["upper"]["medium"] = 140  # beyond high 130
    data["vitals"]["dbp"]["lower"]["hihg"] = 40  # typo
    data["audio"]["reminder"] = "3 mins"
    data["stale"]["bp"]["vitals"] = ["sbp", "bp"]
    errors = errors_of(data)
    assert errors == [
        "t.toml: vitals.hr.upper.medium: 140 must be below the high limit 130 (a higher priority must be more extreme)",
        "t.toml: vitals.dbp.lower.hihg: unknown priority (did you mean 'high'?)",
        "t.toml: stale.bp.vitals[1]: 'bp' is not a vital name (did you mean 'sbp' or 'dbp'?)",
        't.toml: audio.reminder: \'3 mins\' is not a duration; write it like "10s", "2m" or "1h30m", '
        "or a number of seconds",
    ]
    assert len(errors) == 4
    assert {e.split(": ")[1] for e in errors} == {
        "vitals.hr.upper.medium",
        "vitals.dbp.lower.hihg",
        "stale.bp.vitals[1]",
        "audio.reminder",
    }


def test_durations_as_strings_or_seconds() -> None:
    data = {
        "vitals": {"hr": {"delay": 12, "upper": {"medium": 110}}, "spo2": {"delay": "15s", "lower": {"high": 90}}},
        "without_limits": ["sbp", "dbp"],
        "stale": {"bp": {"vitals": ["sbp"], "interval": "1h30m", "grace": 300}},
        "audio": {"pause": 90.5, "max_pause": "5m", "reminder": "2m30s"},
        "baseline": {"window": "45m", "hr": {"upper": {"medium": 40}}},
        "supplement": {"window_start": 5400, "window_end": "2h"},
    }
    th = thresholds_from_dict(data)
    assert th.vitals["hr"].delay_s == 12.0
    assert th.vitals["spo2"].delay_s == 15.0
    assert th.stale == (StaleRule("bp", ("sbp",), 5700.0),)
    assert th.audio == AudioRules(90.5, 300.0, 150.0)
    assert th.baseline[0].window_s == 2700.0
    assert (th.supplement.window_start_s, th.supplement.window_end_s) == (5400.0, 7200.0)
    assert th.source == "<dict>"


def test_low_priority_and_defaults_for_missing_sections() -> None:
    th = thresholds_from_dict(
        {"vitals": {"hr": {"upper": {"low": 100, "medium": 110, "high": 130}}}, "without_limits": ["sbp", "dbp"]}
    )
    assert th.vitals["hr"] == VitalRule("hr", upper={"low": 100, "medium": 110, "high": 130}, continuous=True)
    assert th.baseline == () and th.stale == ()
    assert th.audio == AudioRules() and th.supplement == SupplementRules()


def test_continuous_defaults_follow_the_vital() -> None:
    th = thresholds_from_dict(
        {"vitals": {"sbp": {"upper": {"high": 180}}, "hr": {"upper": {"high": 130}}}, "without_limits": ["dbp"]}
    )
    assert th.vitals["sbp"].continuous is False
    assert th.vitals["hr"].continuous is True


@pytest.mark.parametrize(
    "patch, key, fragment",
    [
        ({"vitals": {"hr": {}}}, "vitals.hr", "has no limits"),
        ({"vitals": {}}, "vitals", "is empty"),
        ({"vitals": {"hr": {"upper": {"medium": True}}}}, "vitals.hr.upper.medium", "the boolean true"),
        ({"vitals": {"hr": {"upper": 110}}}, "vitals.hr.upper", "must be a table"),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}, "dbp": {"lower": {"low": 40, "high": 45}}}},
            "vitals.dbp.lower.low",
            "must be above the high limit 45",
        ),
        (
            {"vitals": {"hr": {"upper": {"medium": 60}, "lower": {"medium": 50}, "hysteresis": 10}}},
            "vitals.hr.hysteresis",
            "an alarm could never clear",
        ),
        ({"vitals": {"hr": {"upper": {"medium": 110}, "delay": "--5s"}}}, "vitals.hr.delay", "is not a duration"),
        ({"vitals": {"hr": {"upper": {"medium": 110}, "delay": "nan"}}}, "vitals.hr.delay", "finite"),
        ({"vitals": {"hr": {"upper": {"medium": 10**400}}}}, "vitals.hr.upper.medium", "too large"),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}}, "baseline": {"window": 0}},
            "baseline.window",
            "longer than 0 s",
        ),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}}, "baseline": {"hr": {"upper": {"medium": -5}}}},
            "baseline.hr.upper.medium",
            "positive distance",
        ),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}}, "baseline": {"hr": {"upper": {"medium": 40, "high": 30}}}},
            "baseline.hr.upper.medium",
            "must be below the high delta 30",
        ),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}}, "stale": {"x": {"vitals": ["si"], "after": 10}}},
            "stale.x.vitals[0]",
            "derived",
        ),
        (
            {
                "vitals": {"hr": {"upper": {"medium": 110}}},
                "stale": {"a": {"vitals": ["hr"], "after": 10}, "b": {"vitals": ["hr"], "after": 20}},
            },
            "stale.b.vitals[0]",
            "already watched by [stale.a]",
        ),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}}, "stale": {"x": {"vitals": [], "after": 10}}},
            "stale.x.vitals",
            "non-empty array",
        ),
        ({"vitals": {"hr": {"upper": {"medium": 110}}}, "audio": {"pause": 0}}, "audio.pause", "longer than 0 s"),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}}, "supplement": {"below": {"temp": 80}}},
            "supplement.below.temp",
            "plausible range",
        ),
        (
            {"vitals": {"hr": {"upper": {"medium": 110}}}, "supplement": {"window_start": "-1h"}},
            "supplement.window_start",
            "must not be negative",
        ),
        ({"vitals": {"bad key": {}}}, 'vitals."bad key"', "unknown vital"),
    ],
)
def test_single_problems(patch: dict, key: str, fragment: str) -> None:
    errors = errors_of(patch)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"t.toml: {key}: "), errors[0]
    assert fragment in errors[0], errors[0]


def test_not_a_table_at_all() -> None:
    assert errors_of([1, 2]) == ["t.toml: the thresholds must be a table of sections, not an array"]  # type: ignore[arg-type]


def test_stale_vitals_default_to_the_stream_name() -> None:
    th = thresholds_from_dict(
        {
            "vitals": {"hr": {"upper": {"medium": 110}}},
            "without_limits": ["sbp", "dbp"],
            "stale": {"temp": {"interval": "90m", "grace": "10m"}},
        }
    )
    assert th.stale == (StaleRule("temp", ("temp",), 6000.0),)


# ------------------------------------------------------------------------------ properties


def _load_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.toml"
        path.write_text(text, encoding="utf-8")
        try:
            th = load_thresholds(path)
        except ConfigError as e:
            assert e.errors and all(err.startswith(f"{path}: ") and "\n" not in err for err in e.errors)
        else:
            assert isinstance(th, Thresholds)


@settings(max_examples=examples(200), deadline=None)
@given(st.text())
def test_arbitrary_text_never_crashes(text: str) -> None:
    _load_text(text)


DEFAULT_LINES = DEFAULT_FILE.read_text(encoding="utf-8").splitlines()
_token = st.sampled_from(
    [
        "",
        "-1",
        "0",
        "nan",
        "inf",
        "1e400",
        '"10s"',
        '"x"',
        "true",
        "[1]",
        "{}",
        "99999999999999999999999",
        '"-5m"',
        '"1h30m"',
        "180",
        "0.5",
        "[vitals.hr]",
    ]
)


@st.composite
def mutated_default(draw) -> str:
    """The default file with a few lines deleted, duplicated or given a new value."""
    lines = list(DEFAULT_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "value", "key"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "value" and "=" in lines[i]:
            lines[i] = lines[i].split("=", 1)[0] + "= " + draw(_token)
        elif op == "key" and "=" in lines[i]:
            lines[i] = (
                draw(st.sampled_from(["medum", "hgh", "lo", "delay", "window", "x"])) + " =" + lines[i].split("=", 1)[1]
            )
    return "\n".join(lines) + "\n"


@settings(max_examples=examples(200), deadline=None)
@given(mutated_default())
def test_mutated_default_file_never_crashes(text: str) -> None:
    _load_text(text)


KEYS = st.one_of(
    st.sampled_from(
        [
            "vitals",
            "baseline",
            "stale",
            "audio",
            "supplement",
            "hr",
            "sbp",
            "dbp",
            "map",
            "spo2",
            "temp",
            "rr",
            "si",
            "upper",
            "lower",
            "low",
            "medium",
            "high",
            "delay",
            "hysteresis",
            "continuous",
            "window",
            "vitals",
            "after",
            "interval",
            "grace",
            "pause",
            "max_pause",
            "reminder",
            "window_start",
            "window_end",
            "below",
        ]
    ),
    st.text(max_size=8),
    st.integers(),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["10s", "2m", "1h30m", "-5s", "nan", "", "1e999", "hr", "sbp"]),
)
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)),
    max_leaves=30,
)


def _check_dict(data) -> None:
    try:
        th = thresholds_from_dict(data, source="h.toml")
    except ConfigError as e:
        assert e.errors and all(err.startswith("h.toml") and "\n" not in err for err in e.errors)
    else:
        assert isinstance(th, Thresholds)
        assert thresholds_from_stored(json.loads(json.dumps(th.to_dict()))) == th
        assert thresholds_from_dict(th.to_dict()) == th
        format_rules(th)


@settings(max_examples=examples(200), deadline=None)
@given(st.dictionaries(KEYS, TREES, max_size=6))
def test_arbitrary_dicts_never_crash(data: dict) -> None:
    _check_dict(data)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_default_dict_with_a_node_replaced_never_crashes(data) -> None:
    base = default_dict()
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(base) if p]
        path = data.draw(st.sampled_from(paths))
        parent = base
        for part in path[:-1]:
            parent = parent[part]
        if data.draw(st.booleans()):
            parent[path[-1]] = data.draw(TREES)
        elif isinstance(parent, dict):
            del parent[path[-1]]
    _check_dict(copy.deepcopy(base))


# The default limits as a session.json stores them, made once: each example changes its own copy.
STORED_DEFAULT = json.dumps(load_thresholds(DEFAULT_FILE).to_dict())


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_stored_dict_with_a_node_replaced_never_crashes(data) -> None:
    base = json.loads(STORED_DEFAULT)
    paths = [p for p in _paths(base) if p]
    path = data.draw(st.sampled_from(paths))
    parent = base
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = data.draw(TREES)
    try:
        th = thresholds_from_stored(base)
    except ConfigError as e:
        assert e.errors and all(err.startswith("stored thresholds: ") and "\n" not in err for err in e.errors)
    else:
        assert isinstance(th, Thresholds)
