"""The bedside's publisher when the broker is not there: the low technical alarm "central station
link down" after a grace, nothing built or queued for later, the alarm recorded through the one
path (a re-run of the recording gives it too), and the link restored by itself when a broker
comes; the options of `live --publish` refused with one sentence."""

from __future__ import annotations

import time

import pytest

from monitor.core.thresholds_loader import load_thresholds
from monitor.publish.address import parse_address
from monitor.publish.credentials import credentials
from monitor.publish.publisher import ALARM, GRACE_S, Publisher
from monitor.recording import load_session
from monitor.recording.alarm_source import recompute, session_limits
from monitor.session import ManualClock, Session
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed
from tests.support.bedsides import wait_for
from tests.support.broker import Broker, free_port, need_mosquitto
from tests.support.cli import run_in_process


def _session(tmp_path, clock):
    feed = SimulatorFeed(SimulatedFeed("hypertensive", seed=2, speed=600.0, start=clock.now_wall, duration_s=4 * 3600))
    return Session(feed, load_thresholds(), folder=tmp_path / "rec", clock=clock, label="Room 9")


def _link_alarm(s: Session):
    return [a for a in s.alarms() if a.alarm == ALARM]


@need_mosquitto()
@pytest.mark.slow
def test_no_broker_raises_the_low_link_alarm_keeps_nothing_and_the_link_comes_back(tmp_path):
    clock = ManualClock(wall=time.time())
    s = _session(tmp_path, clock)
    port = free_port()  # nobody listens there yet
    address = parse_address(f"mqtt://127.0.0.1:{port}/s/bed1", bed=True)
    broker = Broker(tmp_path / "broker", ["bed1"], port=port)
    pub = Publisher(s, address, credentials(broker.env("bed1")), keepalive_s=2, monotonic=clock.monotonic)
    pub.client.reconnect_delay_set(1, 1)  # paho's growing delay (1 to 8 s) is not what is tested here
    pub.start()
    s.start()
    try:
        for _ in range(max(40, int(GRACE_S / 0.25) + 8)):  # (an hour and a half at 600x: alarms)
            clock.advance(0.25)
            s.poll()
        (alarm,) = _link_alarm(s)
        assert alarm.priority == "low" and alarm.state == "active"
        assert (
            alarm.message.startswith("central station link down")
            and f"no broker answers at 127.0.0.1:{port}" in alarm.message
        )
        assert any(a.priority == "high" for a in s.alarms())  # the bedside alarms as before
        assert pub.sent == 0 and not pub._transitions and not pub.client.want_write()  # nothing kept for later
        broker.start()

        def step():
            clock.advance(0.25)
            s.poll()

        # paho's own thread finds the broker .
        assert wait_for(lambda: not _link_alarm(s), timeout=12, step=step)
        assert pub.sent > 0
    finally:
        s.stop()
        broker.stop()
    rs = load_session(tmp_path / "rec")
    rerun = recompute(rs, session_limits(rs).thresholds)
    link = [(e.state, e.priority) for e in rerun if e.alarm == ALARM]
    assert link == [("active", "low"), ("cleared", "low")], link
    assert [e.to_dict() for e in rerun] == [e.to_dict() for e in rs.recorded_alarms()]


@pytest.mark.parametrize(
    "args, said",
    [
        (["--publish", "mqtt://bed1:pw@127.0.0.1:1883/s/bed1"], "must not carry a user or password"),
        (["--publish", "mqtt://127.0.0.1:1883/s"], "a site and a bed"),
        (["--publish-config", "no-such.toml"], "cannot read the config file"),
    ],
)
def test_live_refuses_a_bad_publish_option_in_one_sentence(args, said, tmp_path):
    out = run_in_process(["live", "--simulate", "typical", "--headless", "--no-record", *args], cwd=tmp_path, text=True)
    assert out.returncode == 2 and said in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_central_refuses_a_bad_address_in_one_sentence(tmp_path):
    out = run_in_process(["central", "mqtt://127.0.0.1:1883/s/bed1"], cwd=tmp_path, text=True)
    assert out.returncode == 2 and "must name a site" in out.stderr, out.stderr
