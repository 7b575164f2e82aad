"""The `vitals-monitor` parser and entry point (`python -m monitor` and the console script).

Each sub-command's options are added to its parser only when that parser is used (the command is
given, or its help printed), so starting one command never pays for another's option definitions:
those of `simulate` import the simulator, for its scenario names.
"""

from __future__ import annotations

import argparse

from monitor.commands import (
    alarms,
    central,
    check_config,
    cohort,
    demo,
    export,
    hl7_send,
    live,
    replay,
    report,
    simulate,
    simulate_cohort,
)
from monitor.commands.options import EXIT_BAD_INPUT, PROG, UsageError, fail

# Not `from typing import TYPE_CHECKING`: importing typing would cost every start-up about 4 ms
# (`vitals-monitor --help` takes about 60). Type checkers take the name as true all the same.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    class Command(Protocol):
        """What a sub-command module provides."""

        @property
        def NAME(self) -> str: ...

        @property
        def HELP(self) -> str: ...

        @property
        def DESCRIPTION(self) -> str | None: ...

        def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

        def run(self, args: argparse.Namespace) -> int: ...


# In the order `vitals-monitor --help` lists them.
COMMANDS: tuple[Command, ...] = (
    alarms,
    check_config,
    simulate,
    live,
    demo,
    replay,
    report,
    export,
    hl7_send,
    cohort,
    simulate_cohort,
    central,
)


class _CommandParser(argparse.ArgumentParser):
    """A sub-command's parser whose options are added the first time it parses or formats help."""

    def __init__(
        self, *args: Any, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._add_arguments = add_arguments

    def _complete(self) -> None:
        add, self._add_arguments = self._add_arguments, None
        if add is not None:
            add(self)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        self._complete()
        return super().parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        self._complete()
        return super().format_usage()

    def format_help(self) -> str:
        self._complete()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Bedside vital-signs monitor for MDMA-assisted therapy dosing sessions.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    for command in COMMANDS:
        cp = sub.add_parser(
            command.NAME, help=command.HELP, description=command.DESCRIPTION, add_arguments=command.add_arguments
        )
        cp.set_defaults(func=command.run)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.func(args)
    except UsageError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
