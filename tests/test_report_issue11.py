"""Report and CLI fixes: doses at the time given, baseline rules off, vitals without limits,
signed elapsed times, inputs with no readings, and a supplement's confirmed reason."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from monitor.core.alarm_types import AlarmEvent
from monitor.core.readings import Reading
from monitor.core.thresholds_loader import load_thresholds
from monitor.core.timetext import signed_hms
from monitor.recording import SessionRecorder, load_session
from monitor.report.data import Timebase, build_report_data
from monitor.report.page import render_html
from monitor.report.plotly_parts import decode
from tests.conftest import ROOT
from tests.support.cli import run_in_process

T0 = 1_764_320_400.0  # 2025-11-28 09:00:00 UTC
DOSE = T0 + 1800  # given at 09:30:00
KEYED = T0 + 5040  # keyed in at 10:24:00 (+0:54:00 after the dose)


def cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def readings(start: float, seconds: int, *, hr_from: float | None = None, bp_every: int = 300):
    """HR 72 at 1 Hz (from `hr_from` on when given), cuff BP 120/80 every `bp_every` s."""
    out = []
    for i in range(seconds):
        t = start + i
        hr = 72.0 if hr_from is None or t >= hr_from else math.nan
        sbp, dbp = (120.0, 80.0) if i % bp_every == 0 else (math.nan, math.nan)
        out.append(Reading(t, hr=hr, sbp=sbp, dbp=dbp))
    return out


def record(folder, rows, events=(), alarms=(), thresholds=None):
    rec = SessionRecorder(folder, label="issue 11", source="test", thresholds=thresholds or load_thresholds(), start=T0)
    timeline = (
        [(r.t, 0, r) for r in rows] + [(t, 1, (kind, data)) for t, kind, data in events] + [(a.t, 2, a) for a in alarms]
    )
    for t, what, item in sorted(timeline, key=lambda x: (x[0], x[1])):
        if what == 0:
            rec.reading(item)
        elif what == 1:
            kind, data = item
            rec.event(t, kind, **data)
        else:
            rec.alarm(item)
    rec.close()
    return folder


def dose_lines(fig):
    return [s for s in fig["layout"]["shapes"] if s.get("yref") == "paper" and s["type"] == "line"]


# -- 1. a dose keyed in late is drawn when it was given ----------------------------------------------


@pytest.fixture(scope="module")
def late(tmp_path_factory):
    folder = record(
        tmp_path_factory.mktemp("late") / "s",
        readings(T0, 7200),
        events=[
            (KEYED, "dose", {"dose": "initial", "amount_mg": 120, "given_at": "2025-11-28T09:30:00+00:00"}),
        ],
    )
    rd = build_report_data(load_session(folder))
    from monitor.report.figure import build_figure

    return rd, build_figure(rd), render_html(rd, plotlyjs="cdn")


def test_a_late_dose_sets_hour_zero_at_the_time_given(late):
    rd, _fig, _html = late
    assert rd.tb.zero_kind == "dose" and rd.tb.zero == DOSE


def test_a_late_dose_has_one_line_and_one_marker_at_the_time_given(late):
    _rd, fig, _html = late
    lines = dose_lines(fig)
    assert len(lines) == 1
    assert lines[0]["x0"] == lines[0]["x1"] == 0.0
    # The axis' zero line is not a second dose line.
    assert not fig["layout"]["xaxis"].get("zeroline")
    doses = [t for t in fig["data"] if t.get("name") == "doses"]
    assert len(doses) == 1 and decode(doses[0]["x"]).tolist() == [0.0]
    # Nothing is drawn at the key press (+0.9 h).
    key_h = (KEYED - DOSE) / 3600
    assert not any(abs(float(s.get("x0", -99)) - key_h) < 1e-6 for s in fig["layout"]["shapes"] if s.get("xref") == "x")
    assert not any(abs(float(a.get("x", -99)) - key_h) < 1e-6 for a in fig["layout"].get("annotations", []))
    events = [t for t in fig["data"] if t.get("yaxis") == fig["data"][0]["yaxis"] and t.get("name") != "doses"]
    assert all(key_h not in decode(t["x"]).tolist() for t in events)
    assert "keyed in at 10:24:00 (+0:54:00)" in doses[0]["customdata"][0]


def test_a_late_dose_in_the_tables(late):
    rd, _fig, html = late
    row = next(r for r in rd.event_rows if r.kind == "dose")
    assert row.when == "10:24:00 (+0:54:00)"  # the event table keeps the key time ...
    assert row.detail == "initial dose 120 mg given at 09:30:00 (+0:00:00)"  # ... and says when it was given
    assert "initial dose 120 mg at 09:30:00 (+0:00:00), keyed in at 10:24:00 (+0:54:00)" in html


# -- 2. baseline rules off, and the baselines taken ----------------------------------------------------


def test_baseline_rules_off_are_shown_in_the_summary(tmp_path):
    folder = record(
        tmp_path / "s",
        readings(T0, 3600, hr_from=DOSE + 60),
        events=[
            (DOSE, "dose", {"dose": "initial", "amount_mg": 120}),
        ],
        alarms=[
            AlarmEvent(
                DOSE,
                "baseline",
                "hr",
                "",
                "baseline",
                None,
                None,
                "no pre-dose hr readings: baseline rules for hr are off",
            ),
            AlarmEvent(
                DOSE, "baseline", "sbp", "", "baseline", 120.0, None, "pre-dose baseline sbp 120 (median of 7 readings)"
            ),
        ],
    )
    rd = build_report_data(load_session(folder))
    assert rd.src.recorded
    assert rd.summary("hr").baseline_off and rd.summary("hr").baseline is None
    assert rd.summary("sbp").baseline == 120.0 and rd.summary("sbp").baseline_n == 7
    html = render_html(rd, plotlyjs="cdn")
    notices = html[html.index('id="notices"') : html.index('id="summary"')]
    assert "Baseline rules were OFF for HR: no pre-dose readings" in notices
    assert 'role="alert"' in notices
    assert "Pre-dose baseline SBP 120 mmHg (median of 7 readings)" in notices
    summary = html[html.index('id="summary"') : html.index('id="charts"')]
    assert "OFF: no pre-dose readings" in summary


def test_baseline_rules_off_from_the_alarm_engine(tmp_path):
    # No recorded alarm log: the engine's run over the readings says HR had no pre-dose readings.
    folder = record(
        tmp_path / "s",
        readings(T0, 3600, hr_from=DOSE + 60),
        events=[
            (DOSE, "dose", {"dose": "initial", "amount_mg": 120}),
        ],
    )
    rd = build_report_data(load_session(folder))
    assert not rd.src.recorded
    html = render_html(rd, plotlyjs="cdn")
    assert "Baseline rules were OFF for HR: no pre-dose readings" in html
    assert re.search(r"Pre-dose baseline SBP 120 mmHg \(median of \d+ readings\)", html)


# -- 3. vitals without alarm limits -------------------------------------------------------------------


def _without_dbp():
    th = load_thresholds()
    return dataclasses.replace(th, vitals={k: v for k, v in th.vitals.items() if k != "dbp"}, without_limits=("dbp",))


def test_vitals_without_limits_are_shown_prominently(tmp_path):
    folder = record(tmp_path / "s", readings(T0, 3600), thresholds=_without_dbp())
    rd = build_report_data(load_session(folder))
    assert rd.src.thresholds.without_limits == ("dbp",)
    html = render_html(rd, plotlyjs="cdn")
    notices = html[html.index('id="notices"') : html.index('id="thresholds"')]
    assert "No alarm limits for: DBP" in notices
    table = html[html.index('id="thresholds"') : html.index('id="summary"')]
    assert "no alarm limits" in table


def test_an_older_recording_without_dbp_limits_says_so(tmp_path):
    folder = record(tmp_path / "s", readings(T0, 3600), thresholds=_without_dbp())
    meta = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    del meta["thresholds"]["without_limits"]  # written before the field existed
    (folder / "session.json").write_text(json.dumps(meta), encoding="utf-8")
    html = render_html(build_report_data(load_session(folder)), plotlyjs="cdn")
    assert "No alarm limits for: DBP" in html


def test_no_notice_when_every_limit_is_set(tmp_path):
    folder = record(tmp_path / "s", readings(T0, 600))
    html = render_html(build_report_data(load_session(folder)), plotlyjs="cdn")
    assert "No alarm limits for" not in html


# -- 4. times before time zero: "-0:00:10", never "+-0:00:10" ------------------------------------------


def test_a_reading_and_an_alarm_before_the_dose_print_minus(tmp_path):
    rows = [Reading(DOSE - 10, hr=72.0, sbp=120.0, dbp=80.0)] + readings(DOSE, 600)
    folder = record(
        tmp_path / "s",
        rows,
        events=[(DOSE, "dose", {"dose": "initial", "amount_mg": 120})],
        alarms=[AlarmEvent(DOSE - 10, "hr.upper", "hr", "medium", "active", 72.0, 70.0, "HR high 72 bpm")],
    )
    rd = build_report_data(load_session(folder))
    hr = rd.series["hr"]
    assert hr.labels[0] == "-0:00:10 after dose · 09:29:50 UTC"
    assert rd.alarm_rows[0].when == "09:29:50 (-0:00:10)"
    html = render_html(rd, plotlyjs="cdn")
    assert "09:29:50 (-0:00:10)" in html and "+-" not in html
    assert "+-" not in json.dumps(rd.series["hr"].labels)


def test_hover_times_round_as_the_tables_do():
    tb = Timebase(True, T0, "dose")
    offsets = np.array([-10.5, -10.4, -0.5, -0.4, 0.5, 1.5, 2.5, 10.5, 3599.5])
    labels = tb.hover_labels(T0 + offsets)
    assert [lab.split(" ")[0] for lab in labels] == [signed_hms(x) for x in offsets]
    assert labels[0].startswith("-0:00:10 ") and not any(lab.startswith("+-") for lab in labels)
    rel = Timebase(False, 100.0, "start")
    assert rel.hover_labels(np.array([90.0]))[0] == "-0:00:10 from start"


# -- 5. an input with no readings is an error -----------------------------------------------------------


def _no_readings_inputs(tmp_path):
    bad = tmp_path / "all_bad.csv"
    bad.write_text("time,hr,sbp,dbp\n" + "".join(f"{i},abc{i},,\n" for i in range(8)), encoding="utf-8")
    header = tmp_path / "header_only.csv"
    header.write_text("time,hr,sbp,dbp\n", encoding="utf-8")
    empty = record(tmp_path / "empty_session", [])
    return bad, header, empty


@pytest.mark.slow
@pytest.mark.parametrize("command", ["alarms", "report"])
def test_no_readings_fails_with_the_reasons(tmp_path, command):
    bad, header, empty = _no_readings_inputs(tmp_path)
    for path in (bad, header, empty):
        out = tmp_path / f"{path.name}.html"
        p = cli(command, str(path), *(["-o", str(out)] if command == "report" else []))
        assert p.returncode == 2, (path, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and "(no alarms)" not in p.stdout
        assert p.stderr.startswith(f"vitals-monitor: no readings could be loaded from {path}: ")
        assert len(p.stderr.strip().splitlines()) == 1  # one sentence, as for all bad input
        if command == "report":
            assert not out.exists() and "report written" not in p.stdout
    p = cli(command, str(bad), *(["-o", str(tmp_path / "x.html")] if command == "report" else []))
    reasons = p.stderr.strip().split(": ", 2)[2].split("; ")
    assert reasons[:5] == [f"line {i + 2}: 'abc{i}' in column hr is not a number" for i in range(5)]
    assert reasons[5] == "and 3 more rejected lines" and len(reasons) == 6


def test_some_valid_rows_still_give_alarms_and_a_report(tmp_path):
    f = tmp_path / "some.csv"
    f.write_text("time,hr,sbp,dbp\n0,80,120,80\n1,abc,,\n2,81,,\n", encoding="utf-8")
    # The command's entry point in this process (tests/support/cli.py); `alarms` and `report` in real
    # processes: tests/test_cli.py, tests/test_report.py and the slow test above.
    p = run_in_process(["alarms", str(f)], text=True)
    assert p.returncode == 0, p.stderr
    assert "rejected lines: 1" in p.stdout and "line 3:" in p.stdout
    p = run_in_process(["report", str(f), "-o", str(tmp_path / "r.html")], text=True)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "r.html").exists()


def test_main_argv_reports_no_readings(tmp_path, capsys):
    from monitor.commands.main import main

    _bad, header, _empty = _no_readings_inputs(tmp_path)
    assert main(["alarms", str(header)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vitals-monitor: no readings could be loaded from {header}")


# -- 6. a supplemental dose given despite a concern -------------------------------------------------------


def test_a_supplements_confirmed_reason_is_in_the_event_table(tmp_path):
    reason = "supplement window opens in 25 min"
    folder = record(
        tmp_path / "s",
        readings(T0, 7200),
        events=[
            (DOSE, "dose", {"dose": "initial", "amount_mg": 120}),
            (DOSE + 3900, "dose", {"dose": "supplemental", "amount_mg": 60, "reason": reason}),
        ],
    )
    rd = build_report_data(load_session(folder))
    initial, supplement = [r for r in rd.event_rows if r.kind == "dose"]
    assert initial.detail == "initial dose 120 mg"  # no empty "(reason: )"
    assert supplement.detail == f"supplemental dose 60 mg — confirmed although: {reason}"
    html = render_html(rd, plotlyjs="cdn")
    events = html[html.index('id="event-log"') :]
    assert f"supplemental dose 60 mg — confirmed although: {reason}" in events
    assert "(reason: )" not in html
