"""The post-session report: figure data, tables, escaping, downsampling, files and the command."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.alarm_diff import diff_logs
from monitor.core.episodes import Episode, episodes
from monitor.core.readings import Reading
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import SessionRecorder, load_session
from monitor.report import write_report
from monitor.report.data import build_report_data, drawable
from monitor.report.figure import build_figure
from monitor.report.html_text import script_json
from monitor.report.page import render_html
from monitor.report.plotly_parts import decode, plotly_text
from monitor.report.writer import default_output
from tests.conftest import DATA, ROOT, examples
from tests.support.cli import run_in_process
from tests.support.report_session import DOSE, PAYLOAD, T0, make_session

TEMPLATE = "%{y} %{customdata} %{meta[0]} $x^2$"


def cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def cli_here(*args, cwd=ROOT):
    """What `cli` gives, from the command's entry point in this process (tests/support/cli.py): a
    process costs a second or more of Python, pandas and Plotly starting."""
    return run_in_process(list(args), cwd=cwd, text=True)


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory):
    return make_session(tmp_path_factory.mktemp("rep") / "s1")


@pytest.fixture(scope="module")
def rd(session_dir):
    return build_report_data(load_session(session_dir))


@pytest.fixture(scope="module")
def fig(rd):
    return build_figure(rd)


@pytest.fixture(scope="module")
def sim8h(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "hyper.csv"
    p = cli_here(
        "simulate", "--scenario", "hypertensive", "--seed", "3", "--duration", "8h", "--spo2", "--out", str(out)
    )
    assert p.returncode == 0, p.stderr
    return out


def traces(fig, name):
    return [t for t in fig["data"] if t.get("name", "").startswith(name)]


# -- summary ---------------------------------------------------------------------------------------


def test_summary_numbers(rd):
    hr = rd.summary("hr")
    assert hr.baseline == 70.0 and hr.baseline_n >= 1700
    assert hr.vmax == 140.0 and hr.tmax == DOSE + 2100
    assert hr.vmin == 70.0  # the artifact (0) is excluded
    assert hr.artifacts == 1
    assert hr.change == 70.0 and hr.tpeak - DOSE == 2100
    beyond = {b.text: b for b in hr.beyond}
    assert beyond["≥ 110"].seconds == pytest.approx(600, abs=1)
    assert beyond["≥ 130"].seconds == pytest.approx(1, abs=0.5)
    assert beyond["≤ 50"].seconds == 0
    sbp = rd.summary("sbp")
    assert not sbp.continuous and sbp.vmax == 165 and sbp.baseline == 120
    b160 = {b.text: b for b in sbp.beyond}["≥ 160"]
    assert b160.readings == 1 and b160.seconds == pytest.approx(300)
    assert hr.alarms["high"] + hr.alarms["medium"] >= 1
    assert hr.alarms["technical"] >= 1  # the implausible HR 0


def test_the_report_and_the_diff_read_the_same_episodes(rd):
    end = rd.span[1]
    added = [d.new for d in diff_logs([], rd.src.log, end)]
    assert rd.episodes and added == rd.episodes == episodes(rd.src.log, end)
    assert all(type(e) is Episode for e in rd.episodes + added)


def test_alarm_log_says_who_acknowledged(rd):
    acked = [r for r in rd.alarm_rows if r.state == "acknowledged"]
    assert acked and all(r.ack == "therapist A" for r in acked)
    active = [r for r in rd.alarm_rows if r.state == "active" and r.alarm == "hr.upper"]
    assert active[0].ack.startswith("by therapist A at ")


def test_event_log_lists_doses_and_notes(rd):
    kinds = [r.kind for r in rd.event_rows]
    assert kinds == ["dose", "ack", "note"]
    assert rd.event_rows[0].detail == "initial dose 120 mg"
    assert rd.event_rows[2].text == "patient calm"


# -- figure ----------------------------------------------------------------------------------------


def test_rows_share_one_time_axis_in_hours_since_dose(fig, rd):
    lay = fig["layout"]
    assert all(t["xaxis"] == "x" for t in fig["data"])
    assert "Hours since the initial dose" in lay["xaxis"]["title"]["text"]
    assert lay["xaxis"]["rangeslider"]["visible"] is True
    labels = [b["label"] for b in lay["updatemenus"][0]["buttons"]]
    assert labels == ["1 h", "2 h", "all"]
    hr = traces(fig, "HR")[0]
    x = decode(hr["x"])
    assert np.nanmin(x) == pytest.approx(-0.5) and np.nanmax(x) == pytest.approx(1.5, abs=1e-3)
    # Clock time on hover.
    assert re.fullmatch(r"[+-]\d+:\d\d:\d\d after dose · \d\d:\d\d:\d\d UTC", hr["customdata"][0])
    assert "%{customdata}" in hr["hovertemplate"]


def test_rows_present_only_for_measured_vitals(fig):
    titles = [v["title"]["text"] for k, v in fig["layout"].items() if k.startswith("yaxis")]
    assert any("Heart rate" in t for t in titles) and any("Blood pressure" in t for t in titles)
    assert any("Temperature" in t for t in titles) and any(t == "Events" for t in titles)
    assert not any("SpO" in t for t in titles)  # no SpO2 in this session


def test_cuff_bp_as_markers_continuous_hr_as_lines(fig):
    assert traces(fig, "HR")[0]["mode"] == "lines"
    for name in ("SBP", "DBP", "MAP"):
        assert "markers" in traces(fig, name)[0]["mode"]
    assert traces(fig, "MAP (computed)")  # the device gave no MAP


def test_limits_alarm_spans_and_doses_are_shapes_in_one_list(fig):
    shapes = fig["layout"]["shapes"]
    assert isinstance(shapes, list)
    groups = {s.get("legendgroup") for s in shapes}
    assert {"limit-medium", "limit-high", "alarm-high"} <= groups or {"limit-medium", "alarm-medium"} <= groups
    assert "alarm-technical" in groups
    doses = [s for s in shapes if s.get("yref") == "paper" and s["type"] == "line"]
    assert len(doses) == 1 and doses[0]["x0"] == 0.0
    # One legend entry per group.
    for g in groups - {None}:
        assert sum(1 for s in shapes if s.get("legendgroup") == g and s.get("showlegend")) == 1


def test_events_strip_marks_doses_and_notes(fig):
    dose = traces(fig, "doses")[0]
    assert decode(dose["x"]).tolist() == [0.0]
    assert dose["text"] == ["initial 120 mg"]
    note = traces(fig, "notes")[0]
    assert "patient calm" in note["customdata"][0]


def test_artifacts_drawn_apart_with_their_value(fig):
    art = traces(fig, "artifacts")[0]
    assert len(decode(art["x"])) == 1 and "HR 0 bpm" in art["customdata"][0]


def test_shapes_are_not_added_one_call_each(session_dir, monkeypatch):
    import plotly.graph_objects as go

    def refuse(*a, **k):
        raise AssertionError("add_shape called")

    monkeypatch.setattr(go.Figure, "add_shape", refuse)
    monkeypatch.setattr(go.Figure, "add_vrect", refuse)
    monkeypatch.setattr(go.Figure, "add_hline", refuse)
    build_figure(build_report_data(load_session(session_dir)))


def test_hundreds_of_alarm_spans_stay_fast(tmp_path):
    # HR above 110 (medium: no latch) for 15 s of every 40 s over 6 hours: hundreds of alarm episodes.
    th = load_thresholds()
    rec = SessionRecorder(tmp_path / "busy", label="busy", thresholds=th, start=T0)
    n = 6 * 3600
    i = np.arange(n)
    hr = np.where(i % 40 < 15, 115.0, 80.0)
    rec.readings([Reading(T0 + k, hr=float(hr[k])) for k in range(n)])
    rec.event(T0 + 600, "dose", dose="initial", amount_mg=120)
    rec.close()
    s = load_session(tmp_path / "busy")
    rd = build_report_data(s)  # (how long it takes: benchmarks/bench_report.py)
    fig = build_figure(rd)
    spans = [x for x in fig["layout"]["shapes"] if str(x.get("legendgroup", "")).startswith("alarm-")]
    assert len(rd.episodes) >= 300
    assert spans


# -- downsampling keeps the extremes ---------------------------------------------------------------


def test_plotted_extremes_equal_raw_extremes_on_an_8h_session(sim8h):
    s = load_session(sim8h)
    rd = build_report_data(s)
    fig = build_figure(rd)
    for vital in ("hr", "spo2", "sbp", "dbp"):
        col = s.store.column(vital)
        ok = ~np.isnan(col) & ~s.store.artifacts(vital)
        raw = col[ok]
        name = {"hr": "HR", "spo2": "SpO₂", "sbp": "SBP", "dbp": "DBP"}[vital]
        y = decode(traces(fig, name)[0]["y"])
        assert np.nanmax(y) == raw.max() and np.nanmin(y) == raw.min(), vital
    hr_points = len(decode(traces(fig, "HR")[0]["x"]))
    assert hr_points < len(s.store) / 5  # really downsampled (28,800 readings)


@settings(max_examples=examples(150), deadline=None)
@given(
    values=st.lists(st.one_of(st.floats(-1e5, 1e5), st.just(float("nan"))), min_size=0, max_size=400),
    gaps=st.lists(st.integers(0, 399), max_size=5),
    buckets=st.integers(1, 40),
)
def test_drawable_keeps_extremes_and_breaks_at_gaps(values, gaps, buckets):
    v = np.array(values, dtype=float)
    t = np.arange(len(v), dtype=float)
    for g in gaps:  # open a 100 s gap before sample g
        t[g:] += 100
    tt, vv = drawable(t, v, buckets, gap_s=50)
    ok = ~np.isnan(v)
    real = ~np.isnan(tt)
    if not ok.any():
        assert real.sum() == 0
        return
    assert np.nanmax(vv) == v[ok].max() and np.nanmin(vv) == v[ok].min()
    # Every drawn point is a raw sample; NaN separators only at gaps.
    lookup = dict(zip(t[ok].tolist(), v[ok].tolist(), strict=False))
    assert all(lookup[a] == b for a, b in zip(tt[real].tolist(), vv[real].tolist(), strict=False))
    raw_t = t[ok]
    n_gaps = int((np.diff(raw_t) > 50).sum())
    assert int((~real).sum()) == n_gaps
    assert np.all(np.diff(tt[real]) > 0)


# -- escaping --------------------------------------------------------------------------------------


def test_plotly_text_escapes_tags_templates_and_latex():
    out = plotly_text(PAYLOAD + TEMPLATE + "\"'&")
    assert "<" not in out and ">" not in out and "%{" not in out and "$" not in out and '"' not in out
    assert out.startswith("&lt;script&gt;")


def test_script_json_cannot_close_the_script_element():
    text = script_json({"a": "</script><script>alert(1)</script><!--", "b": "\u2028"})
    assert "</script" not in text.lower() and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script><!--", "b": "\u2028"}


def test_user_and_data_text_is_escaped_everywhere(tmp_path):
    evil = PAYLOAD + " <b>bold</b> " + TEMPLATE
    folder = make_session(tmp_path / "evil", label=evil, note=evil, who=evil, dose_extra={"given_by": evil})
    s = load_session(folder)
    assert [e["kind"] for e in s.events] == ["dose", "ack", "note"]
    s.notes.append(f"Ignored 1 column: '{evil}'")  # as the CSV reader words an unknown column name
    html = render_html(build_report_data(s), title=evil)
    body_and_head = html.split("<script>", 1)[0] + html.rsplit("</script>", 2)[1]  # outside plotly.js
    assert "<script>alert(1)</script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body_and_head
    assert TEMPLATE in body_and_head  # shown literally in the HTML tables
    # The figure: data text only inside customdata/text, escaped for Plotly.
    fig = build_figure(build_report_data(s))
    blob = json.dumps(fig, ensure_ascii=False)
    assert "<script" not in blob and "<b>bold" not in blob
    for t in fig["data"]:
        assert "%{y}" not in json.dumps([t.get("customdata"), t.get("text"), t.get("name")], ensure_ascii=False)
    # Hover templates are ours: only the known substitutions.
    for t in fig["data"]:
        assert set(re.findall(r"%\{[^}]*\}", t.get("hovertemplate", ""))) <= {"%{customdata}", "%{y:.0f}", "%{y:.1f}"}


def test_column_names_from_a_csv_are_escaped(tmp_path):
    csv = tmp_path / "dev.csv"
    csv.write_text("time,hr,<script>alert(1)</script>,%{y}\n0,70,1,2\n60,72,1,2\n120,75,1,2\n", encoding="utf-8")
    out = write_report(str(csv))
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- header ----------------------------------------------------------------------------------------


def test_header(session_dir):
    html = render_html(build_report_data(load_session(session_dir)))
    for text in (
        "P-007 session 2",
        "Friday 28 November 2025",
        "2025-11-28 09:00:00 UTC",
        "2025-11-28 10:59:59 UTC",
        "1h59m",
        "test bridge",
        "Thresholds in force",
        "recorded with vitals-monitor 0.1.0",
        "report by vitals-monitor",
        "plotly.js",
        "initial dose 120 mg at 09:30:00 (+0:00:00)",
    ):
        assert text in html, text
    assert "SIMULATED" not in html
    for head in (
        "pre-dose baseline",
        "minimum (time)",
        "maximum (time)",
        "mean",
        "time beyond limits",
        "alarms by priority",
        "artifacts excluded",
        "peak change from baseline",
        "dose to peak",
        "Alarm log",
        "Event log",
        "acknowledged by",
        "Method",
        "min/max bucketing",
    ):
        assert head in html, head


def test_simulated_banner(sim8h):
    html = render_html(build_report_data(load_session(sim8h)))
    assert "SIMULATED SESSION" in html and html.count("SIMULATED") >= 3


def test_session_without_dose_uses_the_start(tmp_path):
    folder = make_session(tmp_path / "nodose", dose=False)
    rd = build_report_data(load_session(folder))
    assert rd.tb.zero_kind == "start" and rd.tb.zero == T0
    html = render_html(rd)
    assert "no dose was logged" in html and "none logged" in html
    fig = build_figure(rd)
    assert "no dose logged" in fig["layout"]["xaxis"]["title"]["text"]
    assert rd.summary("hr").baseline is None


def test_relative_time_csv_has_no_clock_time():
    s = load_session(DATA / "mimic3demo_icustay_204132.csv")
    assert s.time_kind == "relative"
    rd = build_report_data(s)
    html = render_html(rd)
    assert "this recording has no clock time" in html
    assert "Clock times</dt><dd><strong>none</strong>" in html
    fig = build_figure(rd)
    hr = traces(fig, "HR")[0]
    assert all(" UTC" not in c for c in hr["customdata"] if c)
    assert re.fullmatch(r"[+-]\d+:\d\d:\d\d from start", hr["customdata"][0])


# -- files -----------------------------------------------------------------------------------------


def test_write_report_owner_only_next_to_the_input(session_dir, sim8h):
    out = write_report(load_session(session_dir))
    assert out == session_dir / "report.html"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert default_output(sim8h) == sim8h.with_name("hyper.report.html")


def test_inline_embeds_plotlyjs_and_cdn_is_small(session_dir, tmp_path):
    s = load_session(session_dir)
    inline = write_report(s, tmp_path / "a.html")
    cdn = write_report(s, tmp_path / "b.html", plotlyjs="cdn")
    a, b = inline.read_text(encoding="utf-8"), cdn.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs

    assert "<script src=" not in a and get_plotlyjs()[-2000:] in a
    assert '<script src="https://cdn.plot.ly/plotly-' in b
    assert cdn.stat().st_size < 400_000 < inline.stat().st_size


def test_every_real_recording_makes_a_report(tmp_path):
    for csv in sorted(DATA.glob("*.csv")):
        out = write_report(str(csv), tmp_path / f"{csv.stem}.html")
        assert out.stat().st_size > 1000


def test_the_32_hour_recording(tmp_path):
    s = load_session(DATA / "mimic2wdb_s00001_numerics.csv")
    span = s.store.span()
    assert span[1] - span[0] > 30 * 3600
    rd = build_report_data(s)
    fig = build_figure(rd)
    assert fig["layout"]["xaxis"]["range"][1] > 30
    write_report(s, tmp_path / "m.html")


# -- the command -----------------------------------------------------------------------------------


def test_command_writes_the_report(sim8h, tmp_path):
    out = tmp_path / "r.html"
    p = cli("report", str(sim8h), "-o", str(out), "--title", "Trial 12, session 3")
    assert p.returncode == 0, p.stderr
    assert str(out) in p.stdout
    html = out.read_text(encoding="utf-8")
    assert "Trial 12, session 3" in html and stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.slow
def test_command_user_errors_are_one_sentence(tmp_path):
    for args in (
        ["report", str(tmp_path / "missing.csv")],
        ["report", str(DATA / "mimic3demo_icustay_210164.csv"), "--thresholds", str(tmp_path / "no.toml")],
        ["report", str(DATA / "mimic3demo_icustay_210164.csv"), "-o", "/proc/nope/r.html"],
    ):
        p = cli(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert "Traceback" not in p.stderr and p.stderr.startswith("vitals-monitor: ")
        assert len(p.stderr.strip().splitlines()) == 1


def test_command_recomputes_with_other_thresholds(sim8h, tmp_path):
    th = tmp_path / "loose.toml"
    th.write_text(
        (ROOT / "thresholds.toml")
        .read_text(encoding="utf-8")
        .replace("medium = 160", "medium = 200")
        .replace("high = 180", "high = 220"),
        encoding="utf-8",
    )
    # In this process; the report command in a real process: the two tests above.
    p = cli_here("report", str(sim8h), "-o", str(tmp_path / "r.html"), "--thresholds", str(th))
    assert p.returncode == 0, p.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "loose.toml" in html and "≥ 200" in html


# -- the alarm log's origin, clock offsets ---------------------------------------------------------


def test_a_recorded_alarm_log_is_used_as_recorded(tmp_path):
    from monitor.core.alarm_engine import AlarmEngine

    th = load_thresholds()
    rec = SessionRecorder(tmp_path / "live", label="live", thresholds=th, start=T0)
    engine = AlarmEngine(th, on_event=rec.alarm)
    for i in range(1200):
        r = Reading(T0 + i, hr=125.0 if 300 < i < 600 else 72.0)
        rec.reading(r)
        engine.feed(r)
        if i == 400:
            rec.event(engine.t, "ack", who="nurse B")
            engine.acknowledge(engine.t, "nurse B")
    rec.close()
    rd = build_report_data(load_session(tmp_path / "live"))
    assert rd.src.origin == "as recorded during the session"
    assert [r.state for r in rd.alarm_rows] == [e.state for e in engine.log if e.state not in ("pending", "cancelled")]
    assert any(r.ack == "nurse B" for r in rd.alarm_rows)
    # Other limits recompute the log, and the report says so.
    rd2 = build_report_data(load_session(tmp_path / "live"), thresholds=th)
    assert rd2.src.origin.startswith("recomputed by the alarm engine")


def test_clock_times_keep_the_sessions_utc_offset(tmp_path):
    folder = make_session(tmp_path / "tz")
    meta = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    meta["start"] = "2025-11-28T10:00:00+01:00"
    (folder / "session.json").write_text(json.dumps(meta), encoding="utf-8")
    rd = build_report_data(load_session(folder))
    assert rd.tb.tz_name == "UTC+01:00"
    assert rd.tb.clock(DOSE) == "10:30:00"
    html = render_html(rd)
    assert "initial dose 120 mg at 10:30:00 (+0:00:00)" in html and "UTC+01:00" in html


def test_multiday_sessions_give_the_date_on_hover():
    rd = build_report_data(load_session(DATA / "mimic2wdb_s00001_numerics.csv"))
    assert not rd.tb.absolute  # relative: no dates at all
    from monitor.report.data import Timebase

    tb = Timebase(True, T0, "dose", multiday=True)
    assert tb.hover_labels(np.array([T0 + 86400 + 61]))[0] == "+24:01:01 after dose · 29 Nov 09:01:01 UTC"
    assert tb.clock(T0 + 86400) == "29 Nov 09:00:00"
