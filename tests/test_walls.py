"""The walls of DESIGN.md, checked in a fresh interpreter each."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

CHECK = """
import sys, importlib
for name in {modules!r}:
    importlib.import_module(name)
print(",".join(sorted(m for m in {forbidden!r} if m in sys.modules)))
"""


def loaded(modules, forbidden):
    out = subprocess.run(
        [sys.executable, "-c", CHECK.format(modules=modules, forbidden=forbidden)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    return out.stdout.strip()


def package_modules(pkg):
    return [str(p.relative_to(ROOT).with_suffix("")).replace("/", ".")
            for p in (ROOT / pkg.replace(".", "/")).rglob("*.py") if p.name != "__main__.py"]


@pytest.mark.parametrize("pkg", ["monitor.core", "monitor.sources", "monitor.report", "simulators"])
def test_no_textual_outside_the_ui(pkg):
    assert loaded(package_modules(pkg), ["textual"]) == ""


def test_core_does_not_load_plotly():
    assert loaded(package_modules("monitor.core"), ["plotly", "textual"]) == ""


def test_the_cli_parser_loads_neither_textual_nor_plotly():
    # Start-up of headless commands such as `alarms` must not pay for the UI or the report.
    assert loaded(["monitor.cli"], ["plotly", "textual"]) == ""
