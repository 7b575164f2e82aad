"""`vitals-monitor ARGS` run inside the test process, giving what a subprocess would give.

Starting Python and importing pandas costs each process most of a second, so a corpus of a hundred
files run one process each took most of a minute of CI. `run_in_process` calls the same entry point
that `python -m monitor` and the console script call, with the subprocess's view of the world:
stdout and stderr encoded as this interpreter encodes them (bytes out, or text decoded as
`subprocess.run(..., text=True)` decodes it), the working directory given, Python's default warning
filters with every warning printed on stderr, the exit status `sys.exit(main())` gives, and an
uncaught exception printed as a traceback with exit status 1.

Tests that use it keep real subprocess runs of the same commands (`same_as_a_process` compares the
two byte for byte), so the entry point and the interpreter's start-up stay covered.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

from monitor.commands.main import main

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter's filters (no -W, no PYTHONWARNINGS); pytest's own would show deprecations
# that a real run of the command never prints.
_DEFAULT_FILTERS = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", ResourceWarning, ""),
)


def _stream(buffer: io.BytesIO, like) -> io.TextIOWrapper:
    """A text stream over buffer, encoding as the interpreter's own stream `like` does."""
    encoding = getattr(like, "encoding", None) or "utf-8"
    errors = getattr(like, "errors", None) or "strict"
    return io.TextIOWrapper(buffer, encoding=encoding, errors=errors, newline="\n")


def _exit_status(code: object, stderr: io.TextIOWrapper) -> int:
    """What `sys.exit(code)` makes the process's exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=stderr)
    return 1


def run_in_process(args: list[str], cwd: Path = ROOT, text: bool = False) -> subprocess.CompletedProcess:
    """`python -m monitor *args` in cwd, as subprocess.run(..., capture_output=True) reports it."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout, stderr = _stream(out, sys.__stdout__), _stream(err, sys.__stderr__)
    with (
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.resetwarnings()
        for action, category, module in reversed(_DEFAULT_FILTERS):
            warnings.filterwarnings(action, category=category, module=module)
        try:
            code = _exit_status(main(list(args)), stderr)
        except SystemExit as exc:
            code = _exit_status(exc.code, stderr)
        except Exception:
            traceback.print_exc(file=stderr)
            code = 1
        for w in caught:
            stderr.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
        stdout.flush()
        stderr.flush()
    result = subprocess.CompletedProcess([sys.executable, "-m", "monitor", *args], code, out.getvalue(), err.getvalue())
    if text:
        result.stdout = _decoded(result.stdout)
        result.stderr = _decoded(result.stderr)
    return result


def _decoded(data: bytes) -> str:
    # As subprocess.run(text=True) reads a pipe: the locale's encoding, strict, newlines translated.
    return io.TextIOWrapper(io.BytesIO(data)).read()


def run_process(args: list[str], cwd: Path = ROOT, text: bool = False, timeout: float = 120):
    """The same command in a real process: `python -m monitor *args`."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=text, cwd=cwd, timeout=timeout
    )


def same_as_a_process(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run args both ways and check the process gives exactly what the in-process run gives."""
    real = run_process(args, cwd)
    here = run_in_process(args, cwd)
    assert (real.returncode, real.stdout, real.stderr) == (here.returncode, here.stdout, here.stderr), args
    return real
