"""Sub-command `report`: being built in issue 6."""


def register(sub) -> None:
    """Add this module's sub-commands to the CLI's subparsers."""
