"""The headless commands as a user runs them: exit codes, one clear sentence, no traceback."""

import csv
import io
import json
import subprocess
import sys

import pytest

from tests.conftest import DATA, ROOT


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd,
                          check=False)


def assert_clear_failure(p):
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stderr.strip()
    return p.stderr.strip()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "hyper.csv"
    p = run("simulate", "--scenario", "hypertensive", "--seed", "3", "--duration", "6h", "--out", str(out))
    assert p.returncode == 0, p.stderr
    return out


def test_alarms_table_with_summary(simulated):
    p = run("alarms", str(simulated))
    assert p.returncode == 0, p.stderr
    assert "SBP high" in p.stdout and "!!! high" in p.stdout
    assert "alarms by priority: high" in p.stdout and "SIMULATED" in p.stdout
    assert "time in alarm: " in p.stdout and "rejected lines: 0" in p.stdout


def test_alarms_csv_and_jsonl_are_machine_readable(simulated):
    rows = list(csv.DictReader(io.StringIO(run("alarms", str(simulated), "--format", "csv").stdout)))
    assert rows and {"time", "alarm", "priority", "state", "value", "limit"} <= set(rows[0])
    lines = run("alarms", str(simulated), "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["alarm"] for x in lines] == [r["alarm"] for r in rows]


def test_alarms_on_every_real_recording():
    for path in sorted(DATA.glob("*.csv")):
        p = run("alarms", str(path))
        assert p.returncode == 0, (path, p.stderr)
        assert "Summary" in p.stdout


def test_artifacts_and_rejected_lines_are_counted(tmp_path):
    f = tmp_path / "quirky.csv"
    f.write_text("time,hr,sbp,dbp\n0,80,120,80\n1,0,,\n2,abc,,\n3,82,11647,80\n4,81\n")
    p = run("alarms", str(f))
    assert p.returncode == 0, p.stderr
    assert "artifacts (flagged, excluded from limit alarms): hr 1, sbp 1" in p.stdout
    assert "rejected lines: 2" in p.stdout and "line 4:" in p.stdout


def test_column_mapping(tmp_path):
    f = tmp_path / "vital.csv"
    f.write_text("Time,Solar8000/HR\n0,80\n1,140\n" + "".join(f"{i},140\n" for i in range(2, 30)))
    p = run("alarms", str(f), "--column", 'hr="Solar8000/HR"')
    assert p.returncode == 0, p.stderr
    assert "HR high" in p.stdout


@pytest.mark.parametrize("content,needle", [
    (None, "does not exist"),
    ("", "empty"),
    ("a,b,c\n1,2,3\n", "time"),
    ("time,foo\n0,1\n", "vital"),
])
def test_unusable_input_is_one_sentence_exit_2(tmp_path, content, needle):
    f = tmp_path / "in.csv"
    if content is not None:
        f.write_text(content)
    msg = assert_clear_failure(run("alarms", str(f)))
    assert needle in msg.lower() and len(msg.splitlines()) == 1


def test_bad_thresholds_exit_2(tmp_path, simulated):
    bad = tmp_path / "t.toml"
    bad.write_text("[vitals.hr.upper]\nmedium = 140\nhigh = 130\n")
    msg = assert_clear_failure(run("alarms", str(simulated), "--thresholds", str(bad)))
    assert "vitals.hr.upper.medium" in msg


def test_bad_column_option_exit_2(simulated):
    assert "vital=header" in assert_clear_failure(run("alarms", str(simulated), "--column", "nonsense"))


def test_check_config_prints_rules_or_errors(tmp_path):
    p = run("check-config")
    assert p.returncode == 0 and "hr     upper" in p.stdout and "valid" in p.stdout
    bad = tmp_path / "t.toml"
    bad.write_text("[vitals.hr]\ndelay = -5\nhysterisis = 3\n")
    err = assert_clear_failure(run("check-config", str(bad)))
    assert "vitals.hr.delay" in err and "did you mean 'hysteresis'" in err


def test_console_script_and_module_are_the_same():
    exe = ROOT / ".venv" / "bin" / "vitals-monitor"
    if not exe.exists():
        exe = __import__("shutil").which("vitals-monitor")
    if exe is None:
        pytest.skip("vitals-monitor is not on PATH (package not installed)")
    p = subprocess.run([str(exe), "check-config"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert p.returncode == 0 and p.stdout == run("check-config").stdout


def test_alarms_diff_says_what_other_limits_would_change(simulated, tmp_path):
    strict = tmp_path / "strict.toml"
    text = (ROOT / "thresholds.toml").read_text()
    strict.write_text(text.replace("medium = 160 ", "medium = 120 ", 1))
    p = run("alarms", str(simulated), "--thresholds", str(strict), "--diff")
    assert p.returncode == 0, p.stderr
    assert "~ changed  sbp.upper" in p.stdout and "1 changed" in p.stdout
    same = run("alarms", str(simulated), "--diff")
    assert "no difference" in same.stdout
