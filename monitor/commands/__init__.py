"""The `vitals-monitor` command line: one module per sub-command, the options they share
(`options`), and the parser and entry point (`main`).

A command module imports the rest of `monitor` only inside its functions, so starting one
command loads only what that command needs. Nothing outside this package imports from it but
monitor/__main__.py, the `python -m monitor` entry point (tests/test_cli.py checks both).
"""
