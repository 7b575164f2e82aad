"""The cohort (issue 18): simulated sessions into Parquet, the tables by DuckDB, checked against
pandas reading the same recordings' files directly (not through the loader or the Parquet)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.cohort.ingest import find_sessions, ingest, what_if
from monitor.cohort.queries import Cohort
from monitor.cohort.simulated import CohortPlan, write_cohort
from monitor.core.vitals import ALL_SPECS
from tests.support.cli import run_in_process

N = 6
# Seed 5: over 160 systolic in 2 sessions, HR > 100 at a cuff reading in 2 (as a minute median in 3),
# over 38 °C in 1, so each count can be wrong.
PLAN = CohortPlan(N, seed=5, duration_s=3.5 * 3600)  # 30 min before the dose, 3 h after it


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    base = tmp_path_factory.mktemp("cohort")
    sessions = base / "sessions"
    write_cohort(sessions, PLAN)
    db = base / "db"
    report = ingest(find_sessions([sessions]), db)
    assert [o.status for o in report.outcomes] == ["added"] * N
    return base, sessions, db


def _readings(folder: Path) -> pd.DataFrame:
    """readings.csv as pandas reads it, implausible values dropped by the published ranges."""
    df = pd.read_csv(folder / "readings.csv")
    when = pd.to_datetime(df["time"], utc=True, format="ISO8601")
    df["t"] = (when - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    for v in ("hr", "sbp", "dbp", "temp"):
        spec = ALL_SPECS[v]
        df.loc[(df[v] < spec.low) | (df[v] > spec.high), v] = np.nan
    cuff_bad = df["sbp"].isna() & df["dbp"].notna() | df["dbp"].isna() & df["sbp"].notna()
    df.loc[cuff_bad, ["sbp", "dbp"]] = np.nan  # one half of a cuff reading implausible: both are
    return df


def _dose_time(folder: Path) -> float:
    ev = pd.read_json(folder / "events.jsonl", lines=True)
    dose = ev[(ev["kind"] == "dose") & (ev["dose"] == "initial")].iloc[0]
    return pd.Timestamp(dose["given_at"]).timestamp()


def _pandas_incidence(sessions: Path) -> dict[str, list[bool]]:
    out: dict[str, list[bool]] = {"sbp": [], "hr_cuff": [], "temp": [], "hr_minute": []}
    for folder in sorted(p.parent for p in sessions.rglob("session.json")):
        df = _readings(folder)
        dose = _dose_time(folder)
        post = df[df["t"] >= dose]
        out["sbp"].append(bool((post["sbp"] > 160).any()))
        out["temp"].append(bool((post["temp"] > 38).any()))
        cuff = post.dropna(subset=["sbp"])[["t"]].sort_values("t")
        hr = df.dropna(subset=["hr"])[["t", "hr"]].sort_values("t")
        at_cuff = pd.merge_asof(cuff, hr, on="t", direction="backward", tolerance=10.0)
        out["hr_cuff"].append(bool((at_cuff["hr"] > 100).any()))
        hr_post = post.dropna(subset=["hr"])
        minute = hr_post.assign(m=(hr_post["t"] - dose) // 60)
        out["hr_minute"].append(bool((minute.groupby("m")["hr"].median() > 100).any()))
    return out


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_incidence_matches_pandas_on_the_same_recordings(cohort):
    _, sessions, db = cohort
    expected = _pandas_incidence(sessions)
    c = Cohort(db)
    table = c.incidence()
    c.close()
    rows = dict(zip(["sbp", "hr_cuff", "temp", "hr_minute"], table.itertuples(index=False), strict=True))
    assert any(any(v) for v in expected.values()), "a cohort with no event at all tests nothing"
    for key, hits in expected.items():
        r = rows[key]
        assert (r.sessions_with, r.sessions) == (sum(hits), N), key
        assert r.share == pytest.approx(sum(hits) / N)
        lo, hi = _wilson(sum(hits), N)
        assert (r.ci_lo, r.ci_hi) == (pytest.approx(lo, abs=1e-4), pytest.approx(hi, abs=1e-4))
    published = table.iloc[:3]
    assert list(published["published"]) == [0.33, 0.29, 0.19]
    assert list(published["published_n"]) == [166] * 3


def test_wilson_interval_is_the_textbook_one():
    c = Cohort(Path("/nonexistent-cohort"))  # the macros need no data
    lo, hi = c.db.execute("SELECT wilson_lo(1, 10), wilson_hi(1, 10)").fetchone()
    c.close()
    assert (round(lo, 4), round(hi, 4)) == (0.0179, 0.4042)  # Newcombe 1998, 1 of 10


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_peaks_and_baselines_match_pandas(cohort):
    _, sessions, db = cohort
    c = Cohort(db)
    per = c.per_session().set_index("session")
    c.close()
    for folder in sorted(p.parent for p in sessions.rglob("session.json")):
        df, dose = _readings(folder), _dose_time(folder)
        row = per.loc[folder.name]
        post = df[df["t"] >= dose]
        for v in ("sbp", "dbp", "temp"):
            values = post.dropna(subset=[v])
            assert row[f"{v}_peak"] == values[v].max()
            first = values.loc[values[v].idxmax(), "t"]
            assert row[f"{v}_peak_h"] == pytest.approx((first - dose) / 3600)
        pre = df[(df["t"] >= dose - 1800) & (df["t"] < dose)]
        assert row["hr_baseline"] == pre["hr"].median()
        assert row["cuff_readings"] == df["sbp"].notna().sum()
        assert row["doses"] == 1 and row["initial_mg"] == PLAN.dose_mg


@pytest.mark.slow  # (a few seconds: kept out of the fast loop)
def test_a_rerun_adds_only_new_sessions_and_a_bad_folder_is_named_and_skipped(cohort, tmp_path):
    _, sessions, db = cohort
    db2 = tmp_path / "db"
    shutil.copytree(db, db2)
    extra = tmp_path / "more"
    shutil.copytree(sessions, extra / "old")
    bad = extra / "broken"
    bad.mkdir()
    (bad / "readings.csv").write_text("time,hr\n0,70\n")
    (bad / "session.json").write_text("{not json")
    write_cohort(extra / "new", CohortPlan(2, seed=8, duration_s=3600))  # 2 sessions of another seed
    device = extra / "device.csv"
    device.write_text("timestamp,HR,NBP-S,NBP-D\n0,72,120,80\n1,73,,\n2,74,,\nnot a time,75,,\n")
    report = ingest(find_sessions([extra]), db2)
    skipped = report.of("skipped")
    assert [Path(o.path).name for o in skipped] == ["broken"]
    assert "session.json" in skipped[0].reason and "not readable JSON" in skipped[0].reason
    # Copies of sessions already in (the same site and id, found elsewhere) are not added twice.
    assert len(report.of("already")) == N and len(report.of("added")) == 2 + 1
    c = Cohort(db2)
    assert c.count_sessions() == N + 2 + 1
    quality = c.data_quality().set_index("session")
    c.close()
    plain = [s for s in quality.index if s.startswith("device-")]
    assert len(plain) == 1 and quality.loc[plain[0], "rejected_lines"] == 1
    again = ingest(find_sessions([extra]), db2)
    assert len(again.of("added")) == 0 and len(again.of("already")) == N + 2 + 1


@pytest.mark.slow  # (a few seconds: kept out of the fast loop)
def test_what_if_recomputes_every_session_with_the_other_limits(cohort, tmp_path):
    _, sessions, db = cohort
    db2 = tmp_path / "db"
    shutil.copytree(db, db2)
    lower = tmp_path / "tachy100.toml"
    text = (Path(__file__).resolve().parents[1] / "thresholds.toml").read_text()
    lower.write_text(text.replace("medium = 110      # Vizeli", "medium = 95      # Vizeli", 1))
    w = what_if(lower)
    report = ingest(find_sessions([sessions]), db2, whatifs=(w,))
    assert [o.status for o in report.outcomes] == ["variant"] * N
    c = Cohort(db2)
    t = c.what_if()
    diffs = c.sql("SELECT kind, count(*) AS n FROM whatif_diffs GROUP BY kind")
    c.close()
    hr = t[(t["vital"] == "hr") & (t["priority"] == "medium")]
    assert len(hr) == 1 and hr.iloc[0]["alarms_what_if"] > hr.iloc[0]["alarms_in_force"]
    added = int(diffs.set_index("kind")["n"].get("added", 0))
    assert added == int(t["added"].sum()) > 0


@pytest.mark.slow  # (a few seconds: kept out of the fast loop)
def test_the_command_prints_the_tables_and_writes_the_report(cohort, tmp_path):
    _, sessions, db = cohort
    db2 = tmp_path / "db"
    shutil.copytree(db, db2)
    out = run_in_process(["cohort", str(sessions), "--out", str(db2), "--no-progress"], text=True)
    assert out.returncode == 0, out.stderr
    assert f"0 session(s) added, {N} already in the cohort, 0 skipped" in out.stderr
    for title in ("Per session", "Incidence across sessions", "Vizeli & Liechti 2017", "Kolbrich 2008",
                  "Alarm burden", "Share of time in alarm", "What if", "Data quality"):  # fmt: skip
        assert title in out.stdout, title
    html = (db2 / "cohort.html").read_text()
    assert "SIMULATED SESSIONS" in html and html.count("Plotly.newPlot") == 1 and "fig-incidence" in html
    assert (db2 / "cohort.html").stat().st_mode & 0o077 == 0


def test_the_command_names_bad_options_in_one_sentence(tmp_path):
    out = run_in_process(["cohort", str(tmp_path / "nowhere"), "--out", str(tmp_path / "db")], text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "does not exist" in out.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[vitals.hr]\nbogus = 1\n")
    (tmp_path / "s").mkdir()
    out = run_in_process(
        ["cohort", str(tmp_path / "s"), "--out", str(tmp_path / "db"), "--what-if", str(bad)], text=True
    )
    assert out.returncode == 2 and "bogus" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_the_files_open_in_pandas_with_their_partitions(cohort):
    _, _, db = cohort
    r = pd.read_parquet(db / "readings")
    s = pd.read_parquet(db / "sessions")
    assert {"site", "session"} <= set(r.columns) and len(s) == N
    assert len(r) == int(s["readings"].sum())
    meta = json.loads(s.iloc[0]["meta_json"])
    assert meta["simulated"] is True and "thresholds" not in meta


def test_simulated_cohort_is_seeded_and_labelled(tmp_path):
    plan = CohortPlan(2, seed=3, duration_s=1200)  # (before the dose: enough to compare files)
    a = write_cohort(tmp_path / "a", plan)
    b = write_cohort(tmp_path / "b", plan)
    for x, y in zip(a, b, strict=True):
        assert (x / "readings.csv").read_bytes() == (y / "readings.csv").read_bytes()
        meta = json.loads((x / "session.json").read_text())
        assert meta["simulated"] is True and meta["label"].startswith("SIMULATED")
    assert (a[0] / "readings.csv").read_bytes() != (a[1] / "readings.csv").read_bytes()


def _union_seconds(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, -np.inf
    for a, b in sorted(spans):
        if a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_share_of_time_in_alarm_counts_overlaps_once_and_gaps_not_at_all(cohort):
    """Against the union of each session's alarm episodes, computed here from the Parquet files."""
    _, _, db = cohort
    episodes = pd.read_parquet(db / "episodes")
    sessions = pd.read_parquet(db / "sessions")
    duration = float(sessions["duration_s"].sum())
    got = Cohort(db).time_in_alarm().set_index("priority")["share_of_time"]
    classes = {"any": episodes} | {p: g for p, g in episodes.groupby("priority")}
    for name, eps in classes.items():
        seconds = sum(
            _union_seconds(list(zip(g["start_t"], g["end_t"], strict=True))) for _, g in eps.groupby("session")
        )
        assert got[name] == pytest.approx(seconds / duration), name
    # Alarms apart in time leave the time between them out.
    assert got["any"] < 1.0


def test_without_its_engines_cohort_says_how_to_install_them(tmp_path):
    """The bedside install has no pyarrow or duckdb (the `cohort` extra): one sentence, exit 2."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['duckdb'] = None\n"
        "import importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n in ('pyarrow', 'duckdb') else real(n, *a)\n"
        "from monitor.commands.main import main\n"
        f"sys.exit(main(['cohort', {str(tmp_path)!r}, '--out', {str(tmp_path / 'out')!r}]))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert p.returncode == 2, p.stderr
    assert "pip install 'vitals-monitor[cohort]'" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "out").exists()
