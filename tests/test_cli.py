"""The headless commands as a user runs them: exit codes, one clear sentence, no traceback.

The `alarms` table and `check-config` run in real processes (the console script against
`python -m monitor`), and so does every slow test here; the variations of options and of unusable
input run the same entry point inside the test process (tests/support/cli.py), since a process
costs most of a second of Python and pandas starting."""

import ast
import csv
import functools
import io
import json
import subprocess
import sys

import pytest

from tests.conftest import DATA, ROOT
from tests.support.cli import run_in_process


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def run_here(*args, cwd=ROOT):
    """What `run` gives, from the command's entry point in this process."""
    return run_in_process(list(args), cwd=cwd, text=True)


def assert_clear_failure(p):
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stderr.strip()
    return p.stderr.strip()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "hyper.csv"
    p = run_here("simulate", "--scenario", "hypertensive", "--seed", "3", "--duration", "6h", "--out", str(out))
    assert p.returncode == 0, p.stderr
    return out


def test_alarms_table_with_summary(simulated):
    p = run("alarms", str(simulated))
    assert p.returncode == 0, p.stderr
    assert "SBP high" in p.stdout and "!!! high" in p.stdout
    assert "alarms by priority: high" in p.stdout and "SIMULATED" in p.stdout
    assert "time in alarm: " in p.stdout and "rejected lines: 0" in p.stdout


@pytest.mark.slow
def test_alarms_csv_and_jsonl_are_machine_readable(simulated):
    rows = list(csv.DictReader(io.StringIO(run("alarms", str(simulated), "--format", "csv").stdout)))
    assert rows and {"time", "alarm", "priority", "state", "value", "limit"} <= set(rows[0])
    lines = run("alarms", str(simulated), "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["alarm"] for x in lines] == [r["alarm"] for r in rows]


@pytest.mark.slow
def test_alarms_on_every_real_recording():
    for path in sorted(DATA.glob("*.csv")):
        p = run("alarms", str(path))
        assert p.returncode == 0, (path, p.stderr)
        assert "Summary" in p.stdout


def test_artifacts_and_rejected_lines_are_counted(tmp_path):
    f = tmp_path / "quirky.csv"
    f.write_text("time,hr,sbp,dbp\n0,80,120,80\n1,0,,\n2,abc,,\n3,82,11647,80\n4,81\n")
    p = run_here("alarms", str(f))
    assert p.returncode == 0, p.stderr
    assert "artifacts (flagged, excluded from limit alarms): hr 1, sbp 1" in p.stdout
    assert "rejected lines: 2" in p.stdout and "line 4:" in p.stdout


def test_column_mapping(tmp_path):
    f = tmp_path / "vital.csv"
    f.write_text("Time,Solar8000/HR\n0,80\n1,140\n" + "".join(f"{i},140\n" for i in range(2, 30)))
    p = run_here("alarms", str(f), "--column", 'hr="Solar8000/HR"')
    assert p.returncode == 0, p.stderr
    assert "HR high" in p.stdout


@pytest.mark.parametrize(
    "content,needle",
    [
        (None, "does not exist"),
        ("", "empty"),
        ("a,b,c\n1,2,3\n", "time"),
        ("time,foo\n0,1\n", "vital"),
    ],
)
def test_unusable_input_is_one_sentence_exit_2(tmp_path, content, needle):
    f = tmp_path / "in.csv"
    if content is not None:
        f.write_text(content)
    msg = assert_clear_failure(run_here("alarms", str(f)))
    assert needle in msg.lower() and len(msg.splitlines()) == 1


def test_bad_thresholds_exit_2(tmp_path, simulated):
    bad = tmp_path / "t.toml"
    bad.write_text("[vitals.hr.upper]\nmedium = 140\nhigh = 130\n")
    # The same failure in a real process: tests/faults/test_bad_input.py.
    msg = assert_clear_failure(run_here("alarms", str(simulated), "--thresholds", str(bad)))
    assert "vitals.hr.upper.medium" in msg


def test_bad_column_option_exit_2(simulated):
    assert "vital=header" in assert_clear_failure(run_here("alarms", str(simulated), "--column", "nonsense"))


def test_check_config_prints_rules_or_errors(tmp_path):
    p = run_here("check-config")  # in a real process: the next test
    assert p.returncode == 0 and "hr     upper" in p.stdout and "valid" in p.stdout
    bad = tmp_path / "t.toml"
    bad.write_text("[vitals.hr]\ndelay = -5\nhysterisis = 3\n")
    err = assert_clear_failure(run_here("check-config", str(bad)))
    assert "vitals.hr.delay" in err and "did you mean 'hysteresis'" in err


def test_console_script_and_module_are_the_same():
    exe = ROOT / ".venv" / "bin" / "vitals-monitor"
    if not exe.exists():
        exe = __import__("shutil").which("vitals-monitor")
    if exe is None:
        pytest.skip("vitals-monitor is not on PATH (package not installed)")
    p = subprocess.run([str(exe), "check-config"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert p.returncode == 0 and p.stdout == run("check-config").stdout


@pytest.mark.slow
def test_alarms_diff_says_what_other_limits_would_change(simulated, tmp_path):
    strict = tmp_path / "strict.toml"
    text = (ROOT / "thresholds.toml").read_text()
    strict.write_text(text.replace("medium = 160 ", "medium = 120 ", 1))
    p = run("alarms", str(simulated), "--thresholds", str(strict), "--diff")
    assert p.returncode == 0, p.stderr
    assert "~ changed  sbp.upper" in p.stdout and "1 changed" in p.stdout
    same = run("alarms", str(simulated), "--diff")
    assert "no difference" in same.stdout


# -- the import graph: no circle, and the command line on top ---------------------------------------

PACKAGES = ("monitor", "simulators")


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache  # parsing every file takes most of a second; two tests read the graph, neither changes it
def _import_graph():
    """{module: {module it imports}} over the project's own modules, from every import statement in
    each file, at module level or inside a function (a lazy import still ties the two together)."""
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    # `from pkg import mod` imports the module pkg.mod; `from mod import name`, mod.
                    targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_cycle_finder_finds_a_circle_through_a_lazy_import():
    # The check below must be able to fail: a function-level import closing a loop is a circle.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_between_the_modules_of_monitor_and_simulators():
    assert _cycles(_import_graph()) == []


def test_nothing_outside_the_command_line_imports_it():
    # monitor/__main__.py is the `python -m monitor` entry point: it runs the command line.
    users = {m for m, targets in _import_graph().items() if any(t.startswith("monitor.commands") for t in targets)}
    assert {m for m in users if not m.startswith("monitor.commands")} == {"monitor.__main__"}


def test_an_alarms_command_line_parses_without_the_ui_the_report_or_the_simulator():
    # Each command's options are added only when it is the one given, so parsing `alarms` does not
    # pay for those of `simulate` (which import the simulator) or for Textual and Plotly.
    code = (
        "import sys; from monitor.commands.main import build_parser; "
        "args = build_parser().parse_args(['alarms', 'x.csv', '--column', 'hr=HR']); "
        "assert args.command == 'alarms' and args.column == ['hr=HR']; "
        "print(','.join(m for m in ('textual', 'plotly', 'simulators', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
