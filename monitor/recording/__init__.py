"""The recorded-session folder format: the only code that knows it (recorder, loader, the one
event decoder, which limits and which alarm log apply)."""

from monitor.recording.files import (
    EVENTS,
    FORMAT_VERSION,
    HEADER,
    LOG_FILE,
    META,
    READINGS,
    SessionError,
    format_time,
    is_session_folder,
    parse_time,
)
from monitor.recording.loader import RecordedSession, load_session, stopped_at

# The recorder is imported when it is asked for: a command that only reads a recording (alarms,
# report) does not pay for it at start-up.
TYPE_CHECKING = False  # (not typing's: importing typing costs every start-up a few ms)
if TYPE_CHECKING:
    from monitor.recording.recorder import SessionRecorder


def __getattr__(name: str) -> object:
    if name == "SessionRecorder":
        from monitor.recording.recorder import SessionRecorder

        return SessionRecorder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EVENTS",
    "FORMAT_VERSION",
    "HEADER",
    "LOG_FILE",
    "META",
    "READINGS",
    "RecordedSession",
    "SessionError",
    "SessionRecorder",
    "format_time",
    "is_session_folder",
    "load_session",
    "parse_time",
    "stopped_at",
]
