"""The central station's subscription: every bed of a site (`vm/SITE/+/+`), read only.

paho's network thread receives; each message is put with its arrival time (the central
station's own clock) on a queue that the screen drains on its timer (`take`), so the model of
the beds (monitor.publish.beds) is only ever touched by one thread. The queue is bounded: a
screen that stops draining loses the oldest messages, never its memory (retained messages make
the next ones whole again).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from monitor.publish.address import BrokerAddress
from monitor.publish.client import make_client, reason_text
from monitor.publish.credentials import Credentials
from monitor.publish.topics import site_filter

MAX_WAITING = 20_000


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    at: float  # the central station's wall clock when it arrived
    retained: bool
    expiry_left: float | None  # the MQTT v5 message expiry left when it arrived (None: none)


class Watcher:
    def __init__(
        self,
        address: BrokerAddress,
        creds: Credentials,
        *,
        keepalive_s: int = 10,
        wall: Callable[[], float] = time.time,
    ):
        self.address = address
        self.keepalive_s = keepalive_s
        self._wall = wall
        self._queue: deque[Received] = deque(maxlen=MAX_WAITING)
        self._lock = threading.Lock()
        self.up = False
        self.ever_up = False
        self.why = "connecting"
        self.client = make_client(address, creds, "central")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=self.keepalive_s)
        self.client.loop_start()

    def stop(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def take(self) -> list[Received]:
        """Every message that arrived since the last call, oldest first."""
        with self._lock:
            out = list(self._queue)
            self._queue.clear()
        return out

    # -- paho's thread --------------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.why = f"the broker refused the connection: {reason_text(reason_code)}"
            return
        self.up = self.ever_up = True
        self.why = ""
        client.subscribe(site_filter(self.address.site), qos=1)  # again after each reconnect

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.up = False
        if not self.why.startswith("the broker refused"):
            why = reason_text(reason_code)
            self.why = f"connection lost ({why})" if why else "connection lost"

    def _on_connect_fail(self, client, userdata) -> None:
        self.up = False
        self.why = f"cannot reach the broker at {self.address.where()}"

    def _on_message(self, client, userdata, message) -> None:
        props = getattr(message, "properties", None)
        left = getattr(props, "MessageExpiryInterval", None) if props is not None else None
        r = Received(message.topic, bytes(message.payload), self._wall(), bool(message.retain), left)
        with self._lock:
            self._queue.append(r)
