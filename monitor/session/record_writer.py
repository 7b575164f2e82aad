"""A session's records on their way to the recording: queued in the sink (monitor.session.sink) and
written at once while the disk takes them. A write that fails raises the technical alarm
`record.write`, which records too (it waits its turn behind what is held); the first write that
works again clears it.
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.session.sink import RecordingSink
from monitor.session.technical import TechnicalAlarms


class RecordWriter:
    """`alarms()`: the session's technical alarms (they record through this writer as well)."""

    def __init__(self, sink: RecordingSink, alarms: Callable[[], TechnicalAlarms]):
        self.sink = sink
        self._alarms = alarms
        self._flushing = False

    def put(self, method: str, *args, **kw) -> None:
        """One record (a method of monitor.recording.SessionRecorder and its arguments)."""
        self.sink.put(method, *args, **kw)
        if self.sink.recorder is not None and len(self.sink.backlog) == 1:
            self.flush()

    def flush(self) -> None:
        if self._flushing:
            return  # raising or clearing record.write below records too: it waits its turn
        self._flushing = True
        try:
            sink = self.sink
            if sink.recorder is None:
                return  # not open yet: everything waits in the backlog
            late = len(sink.backlog) > 1
            error = sink.flush()
            alarms = self._alarms()
            failing = alarms.raised("record.write")
            if error is not None:
                if not failing:
                    alarms.raise_alarm(
                        "record.write",
                        "high",
                        f"RECORDING FAILED: {error}; {len(sink.backlog)} record(s) held in memory, retrying",
                    )
                return
            if failing:
                alarms.clear("record.write", "writing works again" + (" (held records written)" if late else ""))
                sink.flush()
        finally:
            self._flushing = False

    def close(self) -> None:
        """The session ends: say in monitor.log what could not be written, and close."""
        sink = self.sink
        if sink.backlog and sink.enabled:
            sink.log_line(
                f"{len(sink.backlog)} record(s) could not be written: "
                f"{'the recording never opened' if sink.recorder is None else 'the disk refused'}"
            )
        sink.log_line("session stopped")
        sink.close()
