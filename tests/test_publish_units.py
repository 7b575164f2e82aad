"""monitor.publish without a broker: addresses, credentials, the config file, the payloads built
from a real session, and the central station's model of the beds (offline, stale, order, bad
messages)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.thresholds_loader import load_thresholds
from monitor.publish import payloads
from monitor.publish.address import AddressError, parse_address
from monitor.publish.beds import Board
from monitor.publish.credentials import credentials
from monitor.publish.settings import load_settings, publish_plan
from monitor.session import ManualClock, Session
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed

T0 = 1_795_856_400.0


def test_a_bedside_address_names_host_port_site_and_bed():
    a = parse_address("mqtt://127.0.0.1:1884/site1/bed3", bed=True)
    assert (a.host, a.port, a.site, a.bed, a.tls) == ("127.0.0.1", 1884, "site1", "bed3", False)
    assert parse_address("mqtts://broker/s", bed=False).port == 8883


@pytest.mark.parametrize(
    "url, why",
    [
        ("mqtt://bed3:secret@host:1883/s/bed3", "must not carry a user or password"),
        ("http://host/s/b", "must start with mqtt://"),
        ("mqtt://host:1883/s", "a site and a bed"),
        ("mqtt://host:1883/s/+", "not a usable site or bed name"),
        ("mqtt://host:1883/s/central", "central station's user"),
        ("mqtt://host:99999/s/b", "not a broker address"),
        ("mqtt:///s/b", "names no broker host"),
    ],
)
def test_a_bad_bedside_address_gets_one_sentence(url, why):
    with pytest.raises(AddressError, match=why):
        parse_address(url, bed=True)


@given(st.text(max_size=40))
def test_any_text_is_an_address_or_one_printable_sentence(text):
    try:
        a = parse_address(text, bed=True)
    except AddressError as exc:
        assert "\n" not in str(exc) and "\x1b" not in str(exc)
    else:
        assert "/" not in a.site + (a.bed or "") and "#" not in a.site + (a.bed or "")


def test_credentials_come_from_the_environment_or_a_file(tmp_path):
    pw = tmp_path / "bed3.pass"
    pw.write_text("s3cret\nignored\n")
    c = credentials({"VITALS_MQTT_USER": "bed3", "VITALS_MQTT_PASSWORD_FILE": str(pw)})
    assert (c.user, c.password) == ("bed3", "s3cret")
    assert "s3cret" not in repr(c)
    assert credentials({}, user="bed1", password_file=str(pw)).user == "bed1"
    assert credentials({"VITALS_MQTT_USER": "bed2"}, user="bed1").user == "bed2"  # the environment wins
    with pytest.raises(AddressError, match="cannot read the broker password file"):
        credentials({"VITALS_MQTT_USER": "u", "VITALS_MQTT_PASSWORD_FILE": str(tmp_path / "none")})
    with pytest.raises(AddressError, match="no user"):
        credentials({"VITALS_MQTT_PASSWORD": "x"})


def test_the_config_file_gives_the_broker_but_never_a_password(tmp_path):
    cfg = tmp_path / "bedside.toml"
    cfg.write_text('[publish]\nurl = "mqtt://127.0.0.1:1883/s1/bed2"\nuser = "bed2"\nkeepalive_s = 4\n')
    plan = publish_plan(None, cfg, env={})
    assert plan is not None and plan.address.bed == "bed2" and plan.keepalive_s == 4 and plan.creds.user == "bed2"
    assert publish_plan("mqtt://h:1/s1/bed9", cfg, env={}).address.bed == "bed9"  # the option wins
    assert publish_plan(None, None, env={}) is None
    cfg.write_text('[publish]\nurl = "mqtt://h/s/b"\npassword = "x"\n')
    with pytest.raises(AddressError, match="must not hold the password"):
        load_settings(cfg)
    cfg.write_text("[publish]\nkeepalive_s = 0\n")
    with pytest.raises(AddressError, match="keepalive_s"):
        load_settings(cfg)
    cfg.write_text("[publish]\nur = 1\n")
    with pytest.raises(AddressError, match="unknown key 'ur'"):
        load_settings(cfg)


@pytest.fixture(scope="module")
def session():
    """A simulated hypertensive session, an hour and a half in (the simulator at 600x)."""
    clock = ManualClock(wall=T0)
    feed = SimulatorFeed(SimulatedFeed("hypertensive", seed=3, speed=600.0, start=T0, duration_s=4 * 3600))
    s = Session(feed, load_thresholds(), folder=None, record=False, clock=clock, label="Room \x1b[31m1")
    s.start()
    for _ in range(40):
        clock.advance(0.25)
        s.poll()
    yield s
    s.stop()


def test_the_payloads_carry_measurement_times_ages_and_the_simulated_flag(session):
    v = payloads.vitals(session, wall=T0 + 10, every_s=1.0, expiry=payloads.expiry_s(session.th))
    hr = v["values"]["hr"]
    assert v["simulated"] is True and hr["value"] > 0 and hr["t"].endswith("+00:00") and hr["age_s"] >= 0
    assert hr["stale_after_s"] == payloads.stale_limits(session.th)["hr"]
    assert v["expiry_s"] >= max(payloads.stale_limits(session.th).values())
    status = payloads.status(session, state="online", wall=T0, keepalive_s=10)
    assert status["simulated"] and status["mode"] == "SIMULATED" and status["started"]
    trend = payloads.trend(session, wall=T0)
    assert 10 < len(trend["vitals"]["hr"]) <= 2 * payloads.TREND_BUCKETS + 2
    assert all(0 <= ago <= payloads.TREND_SPAN_S for ago, _ in trend["vitals"]["hr"])
    alarms = payloads.alarms(session, session.alarms(), wall=T0)
    assert alarms["type"] == "list" and alarms["highest"] == "high"
    json.dumps(v, allow_nan=False)


def test_a_stale_stream_is_published_without_its_value(session, monkeypatch):
    monkeypatch.setattr(session, "stale_vitals", lambda statuses=None: {"hr"})
    v = payloads.vitals(session, wall=T0, every_s=1.0, expiry=60)
    assert v["values"]["hr"]["value"] is None and v["values"]["hr"]["stale"] is True


def _msg(**d) -> bytes:
    return json.dumps({"format": 1, **d}).encode()


def _vitals(hr=80.0, age=1.0, limit=30.0, sbp=120.0, sbp_age=60.0):
    return _msg(
        values={
            "hr": {"value": hr, "t": "x", "age_s": age, "stale_after_s": limit},
            "sbp": {"value": sbp, "t": "y", "age_s": sbp_age, "stale_after_s": 1800.0},
        },
        every_s=1.0,
    )


def test_the_board_ages_values_on_its_own_clock_and_calls_them_stale():
    b = Board("s")
    b.take("vm/s/bed1/status", _msg(state="online", label="Room 1", simulated=True, keepalive_s=10), 100.0)
    b.take("vm/s/bed1/vitals", _vitals(), 100.0)
    bed = b.beds["bed1"]
    assert bed.shown("hr", 101.0).value == 80.0 and bed.shown("hr", 101.0).age_s == pytest.approx(2.0)
    assert bed.shown("hr", 130.5).value is None and bed.shown("hr", 130.5).stale  # past its 30 s limit
    assert bed.condition(114.0) == "online" and bed.condition(116.0) == "silent"  # 1.5 x keepalive
    # A retained message that waited at the broker is as old as its expiry says.
    b.take(
        "vm/s/bed1/vitals", _msg(values={"hr": {"value": 70, "age_s": 0, "stale_after_s": 30}}, expiry_s=60), 200, 20
    )
    assert bed.shown("hr", 200.0).age_s == pytest.approx(40.0) and bed.shown("hr", 200.0).stale


def test_a_last_will_makes_a_bed_offline_and_no_number_current():
    b = Board("s")
    b.take("vm/s/bed1/status", _msg(state="online", label="Room 1"), 100.0)
    b.take("vm/s/bed1/vitals", _vitals(), 100.0)
    b.take("vm/s/bed1/status", _msg(state="offline", reason="the bedside's connection was lost"), 101.0)
    bed = b.beds["bed1"]
    assert bed.condition(101.0) == "offline" and bed.shown("hr", 101.0).value is None
    assert bed.highest(101.0) == "technical"


def test_beds_are_ordered_by_their_highest_alarm():
    b = Board("s")
    for bed, prio, state in [
        ("a", "low", "active"),
        ("b", "high", "active"),
        ("c", None, None),
        ("d", "medium", "acknowledged"),
    ]:
        b.take(f"vm/s/{bed}/status", _msg(state="online", label=bed), 100.0)
        items = [{"alarm": "hr.upper", "priority": prio, "state": state, "message": "m"}] if prio else []
        b.take(f"vm/s/{bed}/alarms", _msg(type="list", alarms=items), 100.0)
    b.take("vm/s/e/status", _msg(state="offline"), 100.0)
    assert [x.bed for x in b.ordered(100.0)] == ["b", "d", "e", "a", "c"]


def test_a_bad_message_is_named_and_the_last_good_one_kept():
    b = Board("s")
    b.take("vm/s/bed1/vitals", _vitals(hr=90), 100.0)
    b.take("vm/s/bed1/vitals", b"\xff not json", 100.5)
    bed = b.beds["bed1"]
    assert "could not be read" in bed.problem and bed.shown("hr", 100.5).value == 90
    b.take("vm/s/bed1/status", _msg(state="online", label="\x1b[2JRoom"), 101)
    assert "\x1b" not in bed.label
    assert b.take("vm/s/central/status", _msg(state="online"), 101) is None  # the central's user is no bed
    assert b.take("other/topic", b"{}", 101) is None
