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
from monitor.recording.recorder import SessionRecorder

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
