"""deploy/mosquitto/mosquitto.conf as it is (its TLS listener, password file and ACL; only the
paths and the port moved to a temporary folder and loopback): a bed cannot publish as another
bed, the central station cannot publish at all, and an unknown user, a wrong password and an
anonymous client are refused."""

from __future__ import annotations

import ssl
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.bedsides import wait_for
from tests.support.broker import module_broker, need_mosquitto

pytestmark = [need_mosquitto(), pytest.mark.slow]  # a broker with TLS: the full suite, not the fast loop


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    yield from module_broker(tmp_path_factory, ["central", "bed1", "bed2"], tls=True)


def _client(broker, user: str | None, password: str | None = None) -> tuple[mqtt.Client, dict]:
    """A TLS client of the deploy listener; its connection outcome and messages in the dict."""
    seen: dict = {"connected": threading.Event(), "messages": [], "acks": {}}
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.tls_set(ca_certs=str(broker.folder / "certs" / "ca.crt"), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    if user is not None:
        c.username_pw_set(user, broker.password(user) if password is None else password)

    def on_connect(cl, u, flags, rc, props):
        seen["rc"] = rc
        seen["connected"].set()

    c.on_connect = on_connect
    c.on_message = lambda cl, u, m: seen["messages"].append((m.topic, bytes(m.payload)))
    c.on_publish = lambda cl, u, mid, rc, props: seen["acks"].__setitem__(mid, rc)
    c.connect("localhost", broker.tls_port)  # the name in the broker's certificate
    c.loop_start()
    assert seen["connected"].wait(5)
    return c, seen


def _close(c: mqtt.Client) -> None:
    c.disconnect()
    c.loop_stop()


def test_a_bed_cannot_publish_as_another_bed_and_the_central_station_only_reads(broker):
    central, seen = _client(broker, "central")
    bed1, acks = _client(broker, "bed1")
    try:
        assert not seen["rc"].is_failure and not acks["rc"].is_failure
        central.subscribe("vm/#", qos=1)
        wait_for(lambda: False, timeout=0.2)
        forged = bed1.publish("vm/ward/bed2/vitals", b'{"forged": true}', qos=1)
        own = bed1.publish("vm/ward/bed1/vitals", b'{"own": true}', qos=1)
        assert wait_for(lambda: any(t == "vm/ward/bed1/vitals" for t, _ in seen["messages"]))
        assert wait_for(lambda: forged.mid in acks["acks"])
        assert acks["acks"][forged.mid].is_failure  # MQTT v5: "Not authorized" in the PUBACK
        assert not acks["acks"][own.mid].is_failure
        by_central = central.publish("vm/ward/bed1/status", b'{"state": "offline"}', qos=1)
        assert wait_for(lambda: by_central.mid in seen["acks"]) and seen["acks"][by_central.mid].is_failure
        bed1.subscribe("vm/#", qos=1)  # a bed reads nothing, not even its neighbours
        wait_for(lambda: False, timeout=0.3)
        assert [t for t, _ in seen["messages"]] == ["vm/ward/bed1/vitals"]
        assert not acks["messages"]
    finally:
        _close(central)
        _close(bed1)


@pytest.mark.parametrize(
    "user, password", [("intruder", "anything"), ("bed1", "wrong-password"), (None, None)], ids=str
)
def test_an_unknown_user_a_wrong_password_and_anonymous_are_refused(broker, user, password):
    c, seen = _client(broker, user, password)
    try:
        assert seen["rc"].is_failure
        assert str(seen["rc"]) in ("Bad user name or password", "Not authorized")
    finally:
        _close(c)


def test_a_plain_connection_to_the_tls_listener_is_refused(broker):
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.username_pw_set("bed1", broker.password("bed1"))
    c.connect_timeout = 2.0
    with pytest.raises(OSError):  # the TLS listener closes a link that does not start with a handshake
        c.connect("127.0.0.1", broker.tls_port)
        for _ in range(40):
            if c.loop(0.05) != mqtt.MQTT_ERR_SUCCESS:
                raise ConnectionError("closed by the broker")
            if c.is_connected():
                break
    assert not c.is_connected()


def test_a_bedside_and_the_central_station_speak_tls_to_the_deploy_listener(broker):
    from monitor.publish.address import parse_address
    from monitor.publish.beds import Board
    from monitor.publish.credentials import credentials
    from monitor.publish.watch import Watcher
    from tests.support.bedsides import Bedside

    class TlsBroker:  # the bedside helper, pointed at the TLS listener
        def url(self, path):
            return broker.url(path, tls=True)

        def env(self, user):
            return broker.env(user)

    w = Watcher(parse_address(broker.url("tls", tls=True), bed=False), credentials(broker.env("central")))
    w.start()
    bed = Bedside(TlsBroker(), "tls", "bed2", "typical", "Room 2")
    board = Board("tls")
    try:

        def step():
            bed.step()
            for r in w.take():
                board.take(r.topic, r.payload, r.at, r.expiry_left)

        assert wait_for(lambda: "bed2" in board.beds and board.beds["bed2"].vitals, step=step)
        assert board.beds["bed2"].state == "online"
    finally:
        bed.stop()
        w.stop()
