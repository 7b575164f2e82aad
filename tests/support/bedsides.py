"""Simulated bedsides in this process, each a real `Session` on the simulator with a real
`Publisher` to a real broker (tests/support/broker.py), stepped on a manual clock."""

from __future__ import annotations

import time

from monitor.core.thresholds_loader import load_thresholds
from monitor.publish.address import parse_address
from monitor.publish.credentials import credentials
from monitor.publish.publisher import Publisher
from monitor.publish.watch import Watcher
from monitor.session import Clock, ManualClock, Session
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed


class Bedside:
    def __init__(
        self,
        broker,
        site: str,
        bed: str,
        scenario: str,
        label: str,
        keepalive_s: int = 10,
        seed: int = 1,
        speed: float = 600.0,
    ):
        """`speed`: the simulator's (600x for tests on a manual clock; 1x on the real clock, as
        bench_mqtt.py runs its beds, stepped with dt=0)."""
        now = time.time()
        self.clock = ManualClock(wall=now) if speed != 1.0 else Clock()
        feed = SimulatorFeed(
            SimulatedFeed(scenario, seed=seed, speed=speed, start=now, duration_s=(8 if speed == 1.0 else 4) * 3600)
        )
        self.session = Session(feed, load_thresholds(), folder=None, record=False, clock=self.clock, label=label)
        address = parse_address(broker.url(f"{site}/{bed}"), bed=True)
        self.publisher = Publisher(self.session, address, credentials(broker.env(bed)), keepalive_s=keepalive_s)
        self.publisher.start()
        self.session.start()

    def step(self, n: int = 1, dt: float = 0.25) -> None:
        for _ in range(n):
            if dt:
                self.clock.advance(dt)
            self.session.poll()

    def stop(self) -> None:
        self.session.stop()


def watcher(broker, site: str) -> Watcher:
    w = Watcher(parse_address(broker.url(site), bed=False), credentials(broker.env("central")))
    w.start()
    return w


def wait_for(condition, timeout: float = 10.0, step=None) -> bool:
    """Poll `condition` (running `step` between tries) until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if step is not None:
            step()
        time.sleep(0.02)
    return bool(condition())
