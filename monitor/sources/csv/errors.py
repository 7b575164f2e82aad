"""What can be wrong with a CSV: the whole file (`CsvError`) or one line (`RejectedLine`).

`clip` is how text from the file is quoted in those messages: made printable and shortened.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.core.text import printable

__all__ = ["CsvError", "RejectedLine", "clip"]


class CsvError(Exception):
    """A file that cannot be loaded at all.

    str(e) is one sentence naming the file and the reason (the CLI prints it, exit status 2).
    """


@dataclass
class RejectedLine:
    line: int  # 1-based physical line number in the file (the header is line 1)
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def clip(text: str, n: int = 40) -> str:
    """Text from the file made safe to print (unprintable characters as escapes), at most n long."""
    text = printable(text)
    return text if len(text) <= n else text[: n - 1] + "…"
