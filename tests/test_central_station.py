"""End to end on a real Mosquitto: simulated bedsides publish through the one session path, and
the central station (Pilot) shows them ordered by alarm, opens a bed's detail, and fits 4 beds
at 80x24 and 16 at 160x48."""

from __future__ import annotations

import asyncio
import json

import pytest

from monitor.publish.beds import Board
from monitor.ui.central_app import BedTile, DetailScreen, make_app
from tests.support.bedsides import Bedside, wait_for, watcher
from tests.support.broker import USERS, module_broker, need_mosquitto

pytestmark = need_mosquitto()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    yield from module_broker(tmp_path_factory, USERS)


SCENARIOS = [("bed1", "typical", "Room 1"), ("bed2", "hypertensive", "Room 2"), ("bed3", "tachycardic", "Room 3")]


@pytest.fixture(scope="module")
def three(broker):
    """Three bedsides of site `e2e`, a simulated hour and a half in: one hypertensive, one
    tachycardic, one typical."""
    beds = [Bedside(broker, "e2e", bed, scenario, label, seed=i) for i, (bed, scenario, label) in enumerate(SCENARIOS)]
    for _ in range(36):
        for b in beds:
            b.step()
    yield beds
    for b in beds:
        b.stop()


def _tile_beds(app) -> list[str]:
    return [t.bed_id for t in app.query(BedTile) if t.display and t.bed_id]


def _severity(b: Bedside) -> int:
    from monitor.core.priority import severity_of

    return max((severity_of(s.priority) for s in b.session.alarms() if s.state != "pending"), default=0)


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_three_bedsides_appear_ordered_by_alarm_and_enter_opens_the_detail(broker, three):
    asyncio.run(_three(broker, three))


async def _three(broker, three):
    w = watcher(broker, "e2e")
    app = make_app(w, "e2e", timers=False)
    async with app.run_test(size=(80, 24)) as pilot:

        def step():
            for b in three:
                b.step()
            app.step()

        assert wait_for(lambda: len(_tile_beds(app)) == 3 and all(t.bed.vitals for t in _beds(app)), step=step)
        await pilot.pause()
        want = sorted(three, key=lambda b: (-_severity(b), b.session.label))
        assert _severity(want[0]) > _severity(want[-1])  # the scenarios differ in what they alarm
        assert _tile_beds(app) == [b.publisher.address.bed for b in want]
        first = app.query(BedTile).first()
        text = first.text.plain
        # The bedside's highest alarm, in the words of its kind ("SBP high"; the value moves on).
        top = " ".join(want[0].session.alarms()[0].message.split()[:2])
        assert "SIMULATED" in text and "!!!" in text and "HIGH" in text and top in text
        assert "BP " in text and " ago)" in text and "HR " in text and "T " in text
        assert first.has_class("-high")
        await pilot.press("enter")  # the most urgent bed has the cursor from the start
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        app.step()
        detail = app.screen
        numerics = str(detail.query_one("#numerics").render())
        assert "Heart rate" in numerics or "HR" in numerics
        assert "Active alarms" in str(detail.query_one("#alarm-list").render())
        assert top in str(detail.query_one("#alarm-list").render())
        assert len(detail.query_one("#sp-hr").data) > 10  # the last hour's trend came
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)


def _beds(app):
    class _T:
        def __init__(self, bed):
            self.bed = bed

    return [_T(b) for b in app.board.beds.values()]


@pytest.mark.slow
@pytest.mark.parametrize("size, n", [((80, 24), 4), ((160, 48), 16)])
def test_the_screen_fits_4_beds_at_80x24_and_16_at_160x48(broker, size, n):
    asyncio.run(_fits(broker, size, n))


async def _fits(broker, size, n):
    site = f"fit{n}"
    beds = [Bedside(broker, site, f"bed{i + 1}", "typical", f"Room {i + 1}", seed=i) for i in range(n)]
    w = watcher(broker, site)
    app = make_app(w, site, timers=False)
    try:
        async with app.run_test(size=size) as pilot:

            def step():
                for b in beds:
                    b.step()
                app.step()

            assert wait_for(lambda: len(_tile_beds(app)) == n, step=step)
            await pilot.pause()
            tiles = [t for t in app.query(BedTile) if t.display]
            width, height = size
            for t in tiles:  # every tile whole on the screen, none scrolled away
                r = t.region
                assert r.width >= 36 and r.height == 6 and r.x + r.width <= width and r.y + r.height <= height - 1, r
                assert len(t.text.plain.splitlines()) <= r.height
            rows = {t.region.y for t in tiles}
            assert len(rows) == (2 if n == 4 else 4)
    finally:
        for b in beds:
            b.stop()


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_the_bedside_publishes_retained_status_vitals_with_expiry_alarms_and_trend(broker, three):
    """What a fresh subscriber gets from the broker: the retained messages, with the vitals'
    MQTT v5 message expiry."""
    import paho.mqtt.client as mqtt

    from monitor.publish.address import parse_address
    from monitor.publish.client import make_client
    from monitor.publish.credentials import credentials

    got: dict[str, tuple] = {}
    c = make_client(parse_address(broker.url("e2e"), bed=False), credentials(broker.env("central")), "t")
    c.on_message = lambda cl, u, m: got.setdefault(m.topic, (json.loads(m.payload), m.retain, m.properties))
    c.on_connect = lambda cl, u, f, rc, p: cl.subscribe("vm/e2e/bed2/#", qos=1)
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    try:
        assert wait_for(lambda: len(got) == 4, step=lambda: three[1].step())
    finally:
        c.disconnect()
        c.loop_stop()
    status, retained, _ = got["vm/e2e/bed2/status"]
    assert retained and status["state"] == "online" and status["label"] == "Room 2" and status["simulated"]
    vitals, retained, props = got["vm/e2e/bed2/vitals"]
    assert retained and props.MessageExpiryInterval > 0 and vitals["values"]["hr"]["t"]
    alarms, retained, _ = got["vm/e2e/bed2/alarms"]
    assert retained and alarms["type"] == "list" and alarms["alarms"]
    assert got["vm/e2e/bed2/trend"][0]["vitals"]["hr"]
    assert isinstance(mqtt.MQTTv5, int)


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_alarm_transitions_are_published_as_they_happen(broker):
    w = watcher(broker, "tr")
    board = Board("tr")
    bed = Bedside(broker, "tr", "bed4", "hypertensive", "Room 4")
    try:

        def step():
            bed.step()
            for r in w.take():
                board.take(r.topic, r.payload, r.at, r.expiry_left)

        def raised():
            said = board.beds["bed4"].transitions if "bed4" in board.beds else []
            return [a for _, a, _ in said if a.state == "active" and a.priority in ("medium", "high")]

        assert wait_for(raised, step=step)
        alarm = raised()[0]
        assert alarm.message and alarm.alarm.endswith((".upper", ".lower"))
    finally:
        bed.stop()
        w.stop()
