"""The live session service, Textual-free: event clock, ingest, recording sink, resume; a replay
composes it; a headless bedside runs it unchanged."""

from monitor.session.actions import ActionError
from monitor.session.clock import Clock, ManualClock
from monitor.session.log import LogEntry
from monitor.session.service import Session

__all__ = ["ActionError", "Clock", "LogEntry", "ManualClock", "Session"]
