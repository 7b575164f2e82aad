"""The bedside's publisher: the session's status, vitals, alarms and trend on the broker.

It is told by the session (`Session.watch`) after each poll and of each alarm transition, on the
session's thread, and hands paho what is due; paho's own network thread connects, sends and
reconnects. So the bedside never waits on the broker:

- while the link is down nothing is built or queued: a transition that cannot be sent is dropped
  (the retained alarm list sent on reconnecting says what is active), vitals and trend are sent
  fresh once it is back;
- while the link is up but the broker does not keep pace (paho still has bytes to write from the
  last round), this round is skipped: the next one carries newer values, so nothing piles up;
- a link down for more than `GRACE_S` raises the low technical alarm `central.link` ("central
  station link down (no broker answers at HOST:PORT); reconnecting by itself"), through the
  engine like any other technical alarm, so it is recorded and shows at the bedside; it clears
  when the link is back.

At the stop it says `offline` (retained) and disconnects; a bedside that dies says nothing and
the broker publishes its last will (`offline`, retained) when the keepalive runs out.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from monitor.core.alarm_types import AlarmEvent
from monitor.publish import payloads
from monitor.publish.address import BrokerAddress
from monitor.publish.client import Will, make_client, reason_text
from monitor.publish.credentials import Credentials
from monitor.publish.settings import DEFAULT_KEEPALIVE_S
from monitor.publish.topics import KINDS, topic

ALARM = "central.link"
GRACE_S = 2.0  # a link down this long is alarmed (a first connect takes milliseconds)
VITALS_EVERY_S = 1.0
TREND_EVERY_S = 5.0
ALARMS_EVERY_S = 30.0  # the list again though unchanged: its ages move on
MAX_TRANSITIONS = 200  # per round at most (a burst); beyond, the list says what is active
STOP_WAIT_S = 1.0  # how long the stop waits for `offline` to go out


class Publisher:
    def __init__(
        self,
        session,
        address: BrokerAddress,
        creds: Credentials,
        *,
        keepalive_s: int = DEFAULT_KEEPALIVE_S,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        assert address.bed, "a bedside publishes under its bed"
        self.session = session
        self.address = address
        self.keepalive_s = keepalive_s
        self._wall = wall
        self._mono = monotonic
        bed = address.bed
        self._topics = {k: topic(address.site, bed, k) for k in KINDS}
        will = Will(self._topics["status"], payloads.encode(payloads.will(session.label, session.feed.simulated)))
        self.client = make_client(address, creds, f"bed-{bed}", will)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        # Set by paho's thread, read by the session's: plain attributes, swapped whole.
        self._up = False
        self._connections = 0  # grows at each connection: everything is sent afresh after one
        self._why = "not connected yet"
        self._lock = threading.Lock()
        # The session's side.
        self._sent_connection = 0
        self._down_since: float | None = None
        self._said = ""  # the link alarm's words while it is up ("" when it is not)
        self._transitions: deque[AlarmEvent] = deque(maxlen=MAX_TRANSITIONS)
        self._next_vitals = 0.0
        self._next_trend = 0.0
        self._next_alarms = 0.0
        self._alarm_sig: tuple | None = None
        self._closed = False
        self.expiry_s = payloads.expiry_s(session.th)
        self._expiry = Properties(PacketTypes.PUBLISH)
        self._expiry.MessageExpiryInterval = self.expiry_s
        self.skipped_rounds = 0  # rounds dropped because the broker did not keep pace
        self.sent = 0

    # -- starting and stopping ----------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and start listening to the session."""
        self._down_since = self._mono()
        self.client.connect_async(self.address.host, self.address.port, keepalive=self.keepalive_s)
        self.client.loop_start()
        self.session.watch(self)

    def stopped(self) -> None:
        """The session stops: `offline` (retained) if the link is up, then disconnect."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._up:
                info = self.client.publish(
                    self._topics["status"],
                    payloads.encode(self._status("offline", reason="the session was ended at the bedside")),
                    qos=1,
                    retain=True,
                )
                info.wait_for_publish(STOP_WAIT_S)
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    # -- paho's thread --------------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._why = f"the broker refused the connection: {reason_text(reason_code)}"
            return
        with self._lock:
            self._connections += 1
            self._up = True

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._up = False
        why = reason_text(reason_code)
        if not self._why.startswith("the broker refused"):
            self._why = f"the connection was lost ({why})" if why else "the connection was lost"

    def _on_connect_fail(self, client, userdata) -> None:
        self._up = False
        self._why = f"no broker answers at {self.address.where()}"

    # -- the session's thread ------------------------------------------------------------------

    def alarm(self, e: AlarmEvent) -> None:
        if self._up and not self._closed and e.alarm != ALARM:
            self._transitions.append(e)

    def polled(self) -> None:
        if self._closed:
            return
        now = self._mono()
        up = self._up
        self._judge_link(up, now)
        if not up:
            self._transitions.clear()  # nothing is kept for later: the list says what is active
            return
        with self._lock:
            fresh = self._connections != self._sent_connection
            self._sent_connection = self._connections
        if fresh:
            self._publish("status", self._status("online"), qos=1, retain=True)
            self._next_vitals = self._next_trend = self._next_alarms = 0.0
            self._alarm_sig = None
        elif self.client.want_write():
            self.skipped_rounds += 1  # the broker has not taken the last round yet
            return
        wall = self._wall()
        while self._transitions:
            e = self._transitions.popleft()
            self._publish("alarms", payloads.transition(self.session, e, wall=wall), qos=1, retain=False)
        statuses = [s for s in self.session.alarms() if s.alarm != ALARM]
        sig = tuple((s.alarm, s.priority, s.state, s.message) for s in statuses)
        if sig != self._alarm_sig or now >= self._next_alarms:
            self._alarm_sig = sig
            self._next_alarms = now + ALARMS_EVERY_S
            self._publish("alarms", payloads.alarms(self.session, statuses, wall=wall), qos=1, retain=True)
        if now >= self._next_vitals:
            self._next_vitals = _next(self._next_vitals, now, VITALS_EVERY_S)
            body = payloads.vitals(self.session, wall=wall, every_s=VITALS_EVERY_S, expiry=self.expiry_s)
            self._publish("vitals", body, qos=0, retain=True, properties=self._expiry)
        if now >= self._next_trend:
            self._next_trend = _next(self._next_trend, now, TREND_EVERY_S)
            self._publish("trend", payloads.trend(self.session, wall=wall), qos=0, retain=True)

    def _judge_link(self, up: bool, now: float) -> None:
        technical = self.session.technical
        if up:
            self._down_since = None
            if self._said or technical.raised(ALARM):
                technical.clear(ALARM, f"central station link restored ({self.address.where()})")
                self._said = ""
            return
        if self._down_since is None:
            self._down_since = now
        if now - self._down_since >= GRACE_S:
            message = f"central station link down ({self._why}); reconnecting by itself"
            lost = self.session.event_now() is not None and not technical.raised(ALARM)  # a new engine
            if self._said != message or lost:
                technical.raise_alarm(ALARM, "low", message)
                self._said = message

    def _status(self, state: str, reason: str = "") -> dict:
        return payloads.status(
            self.session, state=state, wall=self._wall(), keepalive_s=self.keepalive_s, reason=reason
        )

    def _publish(self, kind: str, body: dict, *, qos: int, retain: bool, properties=None) -> None:
        self.client.publish(self._topics[kind], payloads.encode(body), qos=qos, retain=retain, properties=properties)
        self.sent += 1


def _next(due: float, now: float, every: float) -> float:
    """The next time a message is due: on the same beat (polls come every quarter second, so
    counting from `now` would stretch 1 s into 1.25 s), or a beat from now after a pause."""
    following = due + every
    return following if following > now else now + every


def start_publishing(session, plan) -> Publisher:
    """A publisher for `session` from a checked `settings.PublishPlan`, connecting in the background."""
    pub = Publisher(session, plan.address, plan.creds, keepalive_s=plan.keepalive_s)
    pub.start()
    return pub
