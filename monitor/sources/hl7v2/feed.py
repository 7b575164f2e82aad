"""The HL7 listener (monitor.sources.hl7v2.listener) as a feed (monitor.sources.feed.Feed).

Like a followed file, it has no clock of its own: its times are the devices' (OBX-14, OBR-7,
MSH-7), absolute, and the session maps its clock onto the newest reading's (EventClock), so "no
data" means real seconds without a message. A poll takes what the listener's thread left in its
inbox, in one batch sorted by time (several messages may come between two polls, from several
devices); it never waits on the network. The mode is LIVE, or SIMULATED once a message says it is
(MSH-11 T or D, as `vitals-monitor hl7-send` marks a simulated session): once simulated, always.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import cast

from monitor.core.readings import Reading
from monitor.sources.feed import FeedStatus, FeedUpdate
from monitor.sources.hl7v2.listener import Hl7Listener, Selection
from monitor.sources.hl7v2.order import Ordered, Orderer

DEFAULT_PORT = 2575  # the port IANA registered for HL7 over MLLP


class Hl7Feed:
    lag_s = 5.0  # a gateway may batch messages a few seconds apart: learned from there (EventClock)
    records = True
    splits_rows = False  # each message is whole; two messages with one time stamp are merged by the intake
    rejected_unit = "message"  # what FeedReports calls an entry of `rejected`

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        selection: Selection | None = None,
        assume_tz: tzinfo = UTC,
        hold_s: float = 0.0,
    ):
        self.order = Orderer(hold_s)
        self.listener = Hl7Listener(host, port, selection, assume_tz)
        self.listener.start()  # an OSError (port taken) reaches the command before any screen opens
        self.name = f"HL7 {self.listener.address}"
        self.label = f"HL7 {self.listener.address}"
        self.source = f"hl7 {self.listener.address}"

    @property
    def simulated(self) -> bool:
        return self.listener.simulated

    @property
    def mode(self) -> str:
        return "SIMULATED" if self.simulated else "LIVE"

    @property
    def port(self) -> int:
        return self.listener.port

    def poll(self, now: float) -> FeedUpdate:
        out = FeedUpdate()
        inbox = self.listener.inbox
        ordered = Ordered()
        taken = 0
        try:
            for _ in range(len(inbox)):
                kind, item = inbox.popleft()
                if kind == "readings":
                    n, sent, readings = cast(tuple[int, float | None, list[Reading]], item)
                    self.order.add(n, sent, readings, now, ordered)
                    taken += 1
                elif kind == "status":
                    out.status.append(item)  # type: ignore[arg-type]
                else:
                    out.rejected.append(item)  # type: ignore[arg-type]
            # Several devices, or a cuff reading after newer numerics: in time order (order.py).
            out.readings = self.order.take(now)
        except Exception as exc:  # a feed reports, never raises (see Feed)
            out.status.append(FeedStatus("error", f"error while taking HL7 messages ({type(exc).__name__}: {exc})"))
        self.listener.take_pending(taken)
        out.rejected.extend(ordered.rejected)
        return out

    def drain(self) -> list[Reading]:
        """The readings still held back (`hold_s`), as the session stops: none is lost."""
        return self.order.take(0.0, flush=True)

    def clock(self, now: float) -> None:
        return None

    def absolute(self) -> bool:
        return True

    def meta(self) -> dict:
        """What session.json keeps, so that a resume listens the same way."""
        sel = self.listener.selection
        out: dict = {"hl7": self.listener.address}
        if sel.patient:
            out["hl7_patient"] = sel.patient
        if sel.bed:
            out["hl7_bed"] = sel.bed
        if self.order.hold_s:
            out["hl7_hold"] = self.order.hold_s
        return out

    def close(self) -> None:
        self.listener.close()
