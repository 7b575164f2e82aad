"""One paho-mqtt client, made the same way for the bedside and the central station: MQTT v5 (the
bedside's vitals carry a message expiry), user and password, TLS when the address says mqtts://,
a last will when given, and reconnection left to paho's own network thread (`loop_start`), which
retries with a growing delay and never blocks the caller.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from monitor.core.text import printable
from monitor.publish.address import AddressError, BrokerAddress
from monitor.publish.credentials import Credentials

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 8  # a broker back after a restart is found within seconds
CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


def make_client(address: BrokerAddress, creds: Credentials, role: str, will: Will | None = None) -> mqtt.Client:
    """A client not yet connected (`connect_async` + `loop_start` to start it). `role`: the start
    of its client id ("bed-bed3", "central"): the broker logs it."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"{role}-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    if creds.user:
        client.username_pw_set(creds.user, creds.password)
    if address.tls:
        try:
            client.tls_set(ca_certs=creds.ca_file)  # paho's default: a verifying TLS client, 1.2 or newer
        except (OSError, ValueError) as exc:  # (ssl.SSLError is an OSError)
            raise AddressError(
                f"cannot use the CA certificate '{printable(creds.ca_file)}' for mqtts:// ({printable(exc)})"
            ) from None
    if will is not None:
        client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    client.connect_timeout = CONNECT_TIMEOUT_S
    return client


def reason_text(reason_code) -> str:
    """A broker's reason code as words ("Not authorized"); '' for success."""
    if reason_code is None:
        return ""
    if getattr(reason_code, "is_failure", True) is False:
        return ""
    return printable(str(reason_code))
