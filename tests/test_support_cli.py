"""tests/support/cli.py: a command run in the test process shows what a real process would show.

The corpus and security tests rely on it, so it must not hide what a process would print: a
traceback, a warning, a usage error, bytes the terminal would get."""

from __future__ import annotations

import os
import warnings

import pytest

from monitor.commands import check_config
from tests.support.cli import run_in_process, run_process, same_as_a_process

pytestmark = pytest.mark.slow  # real processes each: the full suite checks the runner the fast loop uses too


def test_a_usage_error_and_a_bad_file_give_what_a_process_gives(tmp_path):
    same_as_a_process(["alarms"])  # argparse: usage on stderr, exit status 2
    same_as_a_process(["check-config", str(tmp_path / "missing.toml")])
    same_as_a_process(["check-config"])  # the packaged defaults: the rules on stdout, exit 0


def test_text_is_decoded_as_subprocess_decodes_it():
    real, here = run_process(["check-config"], text=True), run_in_process(["check-config"], text=True)
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)
    assert isinstance(here.stdout, str) and "valid" in here.stdout


def test_an_uncaught_exception_is_a_traceback_and_exit_status_1(monkeypatch):
    def boom(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(check_config, "run", boom)
    p = run_in_process(["check-config"])
    assert p.returncode == 1 and p.stdout == b""
    assert p.stderr.startswith(b"Traceback (most recent call last):") and p.stderr.endswith(b"RuntimeError: boom\n")


def test_sys_exit_gives_its_status_and_its_message(monkeypatch):
    monkeypatch.setattr(check_config, "run", lambda args: exit("no way"))
    assert run_in_process(["check-config"]).stderr == b"no way\n"
    assert run_in_process(["check-config"]).returncode == 1
    monkeypatch.setattr(check_config, "run", lambda args: exit(3))
    assert run_in_process(["check-config"]).returncode == 3


def test_warnings_show_as_a_fresh_interpreter_shows_them(monkeypatch):
    def warns(args):
        warnings.warn("careful", UserWarning, stacklevel=1)
        warnings.warn("old", DeprecationWarning, stacklevel=1)  # not from __main__: hidden
        print("done")
        return 0

    monkeypatch.setattr(check_config, "run", warns)
    for _ in range(2):  # shown every run, as by a new process each time
        p = run_in_process(["check-config"])
        assert p.returncode == 0 and p.stdout == b"done\n"
        assert b"UserWarning: careful" in p.stderr and b"old" not in p.stderr


def test_the_working_directory_is_the_one_given_and_restored(tmp_path):
    here = os.getcwd()
    (tmp_path / "thresholds.toml").write_text("not = [valid\n")
    p = run_in_process(["check-config"], cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.startswith(f"{tmp_path / 'thresholds.toml'}: ".encode())  # ./thresholds.toml
    assert os.getcwd() == here
