"""Sub-commands of the terminal app (live, demo, replay): being built in issue 4."""


def register(sub) -> None:
    """Add this module's sub-commands to the CLI's subparsers."""
