"""Issue 15: `vitals-monitor export --crf / --sdtm-vs`, its columns, and an SDTM VS export of a
simulated session whose rows are checked against the recording; the report's protocol section."""

from __future__ import annotations

import csv
import re
from datetime import datetime

import numpy as np
import pytest

from monitor.recording import load_session
from monitor.report.crf import CRF_COLUMNS
from monitor.report.sdtm import TESTS, VS_COLUMNS
from tests.support.cli import run_in_process
from tests.test_manual_session import manual, wait


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "typical.csv"
    r = run_in_process(["simulate", "--duration", "3h", "--out", str(out)], text=True)
    assert r.returncode == 0, r.stderr
    return out


def _seconds(duration: str) -> int:
    """PT1H15M -> 4500."""
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?", duration)
    assert m, duration
    return (int(m.group(1) or 0) * 60 + int(m.group(2) or 0)) * 60


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sdtm_vs_of_a_simulated_session_matches_the_recording(simulated, tmp_path):
    vs, crf = tmp_path / "vs.csv", tmp_path / "crf.csv"
    r = run_in_process(
        ["export", str(simulated), "--sdtm-vs", str(vs), "--crf", str(crf), "--study-id", "MAPP-T"], text=True
    )
    assert r.returncode == 0, r.stderr
    assert "judged by" in r.stderr and "SDTM VS rows written" in r.stdout
    assert (vs.stat().st_mode & 0o777) == 0o600  # health data: owner only
    rows = _read(vs)
    assert list(rows[0]) == list(VS_COLUMNS)
    rs = load_session(simulated)
    dose = next(d for d in rs.doses() if d.dose == "initial").t
    codes = {t[0]: (v, t[2]) for v, t in TESTS.items()}
    by_time = {float(t): i for i, t in enumerate(rs.store.t)}
    tz = datetime.fromisoformat(rs.meta["start"]).tzinfo if rs.meta.get("start") else None
    done = [r for r in rows if r["VSSTAT"] != "NOT DONE"]
    assert len(done) > 40 and {r["VSTESTCD"] for r in done} == {"SYSBP", "DIABP", "PULSE", "TEMP"}
    for k, row in enumerate(rows, 1):
        assert row["DOMAIN"] == "VS" and row["STUDYID"] == "MAPP-T" and row["VSSEQ"] == str(k)
        assert row["VSTPTREF"] == "INITIAL DOSE"
        assert datetime.fromisoformat(row["VSRFTDTC"]).replace(tzinfo=tz).timestamp() == dose
        if row["VSSTAT"] == "NOT DONE":
            assert row["VSORRES"] == "" and row["VSDTC"] == ""
            continue
        vital, unit = codes[row["VSTESTCD"]]
        assert row["VSORRESU"] == row["VSSTRESU"] == unit
        t = datetime.fromisoformat(row["VSDTC"]).replace(tzinfo=tz).timestamp()
        stored = float(rs.store.column(vital)[by_time[t]])  # the row is the recording's reading at VSDTC
        assert float(row["VSORRES"]) == pytest.approx(stored, abs=0.05) and row["VSSTRESN"] == row["VSORRES"]
        if row["VSTPT"].endswith("POST-DOSE"):
            assert abs(t - (dose + _seconds(row["VSELTM"]))) <= 300  # within the tolerance of its timepoint
    # Blood pressure at +15 min: the simulator's cuff reading of that time.
    sys15 = next(r for r in rows if r["VSTESTCD"] == "SYSBP" and r["VSTPT"] == "15 MIN POST-DOSE")
    assert sys15["VSELTM"] == "PT15M" and sys15["VSTPTNUM"] == "2"
    cuff = rs.store.t[~np.isnan(rs.store.column("sbp"))]
    assert float(datetime.fromisoformat(sys15["VSDTC"]).replace(tzinfo=tz).timestamp()) in set(cuff.tolist())
    assert list(_read(crf)[0]) == list(CRF_COLUMNS)


def test_crf_columns_flags_and_the_report_section(tmp_path):
    from monitor.core.thresholds_loader import load_thresholds

    s, clock = manual(tmp_path, load_thresholds(), info={"participant": "P-7", "site": "Site B"})
    s.enter_reading({"sbp": 120, "dbp": 80, "hr": 70}, staff="AB")
    s.give_dose("initial", 120)
    wait(s, clock, 10 * 60 + 60)
    s.enter_reading({"sbp": 130, "dbp": 82, "hr": 75}, staff="AB")  # +10: on time
    wait(s, clock, 13 * 60)  # +20 not taken: missed once +30's window opens
    wait(s, clock, 10 * 60)
    s.enter_reading({"sbp": 131, "dbp": 82, "hr": 74})  # +34: past the 2 min tolerance of +30: late
    s.stop()
    out = tmp_path / "crf.csv"
    r = run_in_process(["export", str(tmp_path / "s"), "--crf", str(out)], text=True)
    assert r.returncode == 0, r.stderr
    rows = _read(out)
    assert list(rows[0]) == list(CRF_COLUMNS)
    by = {row["timepoint"]: row for row in rows}
    assert by["PRE-DOSE"]["sbp_mmhg"] == "120" and by["PRE-DOSE"]["source"] == "typed"
    assert by["PRE-DOSE"]["staff"] == "AB"
    assert by["+0h10"]["late"] == "" and by["+0h10"]["hr_bpm"] == "75"
    assert by["+0h20"]["missed"] == "bp;hr" and by["+0h20"]["actual_time"] == ""
    assert by["+0h30"]["late"] == "bp;hr" and by["+0h30"]["sbp_mmhg"] == "131"
    assert "protocol compliance: 4 of 8 timepoints taken on time, 2 late, 2 missed (50 % on time)" in r.stdout
    from monitor.report import write_report

    html = write_report(tmp_path / "s").read_text()
    assert "Case report form" in html and "P-7" in html and "Site B" in html
    assert "Protocol compliance" in html and "Discharge readiness" in html and "typed ✎" in html
    assert "typed at the bedside" in html  # the charts' marker for typed readings


def test_export_refuses_with_one_sentence(tmp_path):
    r = run_in_process(["export", str(tmp_path / "none")], text=True)
    assert r.returncode == 2 and "say what to write" in r.stderr
    r = run_in_process(["export", str(tmp_path / "none"), "--crf", str(tmp_path / "x.csv")], text=True)
    assert r.returncode == 2 and "does not exist" in r.stderr
