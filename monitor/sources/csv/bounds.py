"""How much the CSV reader reads: a file, a line, a number. Beyond these, input is not a recording
of vital signs (a device, a stuck writer, a damaged or hostile file), and is refused with a
sentence rather than filling the memory or reaching the alarm engine.
"""

from __future__ import annotations

__all__ = ["FAR_BEYOND", "MAX_FILE_BYTES", "MAX_LINE_BYTES"]

# A 24-hour recording at 10 readings a second is about 60 MB; four times that is still a CSV of
# readings (loading one of 220 MB took 2.1 GB of memory). Anything larger is something else.
MAX_FILE_BYTES = 256 * 1024 * 1024

# A line of readings is well under 1 KiB and a header of 100,000 columns under 2 MiB.
MAX_LINE_BYTES = 4 * 1024 * 1024

# No vital sign is measured in millions (an impossible SBP of 11647 is kept, flagged as an
# artifact); a cell of a million or more is not a measurement and is rejected like unreadable text.
FAR_BEYOND = 1e6
