"""Text from files and users made safe to print on a terminal."""

from __future__ import annotations

import re

# Characters never echoed raw: C0/C1 controls (a terminal would act on ESC sequences) and the
# bidirectional overrides that can make a line read differently from what it holds.
_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text) -> str:
    """`text` with unprintable characters written as escapes (ESC becomes \\x1b)."""
    return _UNPRINTABLE_RE.sub(lambda m: ascii(m.group())[1:-1], str(text))
