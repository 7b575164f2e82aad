"""What `vitals-monitor alarms` imports, checked in a fresh interpreter: beyond what a bare
`pandas.read_csv` process loads, only its own modules, argparse and tomllib (the thresholds file).
Start-up is most of the command's time on an ordinary recording (docs/performance.md)."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

RUN = r"""
import contextlib, io, sys
import pandas
pandas.read_csv({csv!r})
bare = set(sys.modules)
from monitor.commands.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(["alarms", {csv!r}])
print(code)
print(",".join(sorted(m for m in set(sys.modules) - bare if m.split(".")[0] != "monitor")))
print(",".join(sorted(m for m in sys.modules if m.startswith("monitor."))))
"""

NEEDED = {"argparse", "gettext", "tomllib", "tomllib._parser", "tomllib._re", "tomllib._types"}


def test_alarms_loads_only_what_it_runs(tmp_path: Path) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text("time,hr,sbp,dbp\n" + "".join(f"{i},{70 + i % 60},{'' if i % 9 else 150},80\n" for i in range(300)))
    out = subprocess.run(
        [sys.executable, "-c", RUN.format(csv=str(csv))], capture_output=True, text=True, cwd=ROOT, check=True
    )
    code, others, ours = out.stdout.strip().split("\n")
    assert code == "0"
    assert set(others.split(",")) - {""} <= NEEDED  # difflib (a misspelt key's suggestions), uuid, ...
    ours_loaded = set(ours.split(","))
    # Reading a recording needs no recorder; nor the live session, the report, a screen or the simulator.
    assert "monitor.recording.recorder" not in ours_loaded
    assert not {m for m in ours_loaded if m.startswith(("monitor.session", "monitor.report", "monitor.ui"))}
    assert not ours_loaded & {"monitor.sources.follow", "monitor.sources.simulated", "monitor.sources.replay"}
