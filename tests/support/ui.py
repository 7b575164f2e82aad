"""A bedside app (or session) on a hand-filled feed and a manual clock, for Pilot and session tests."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC

from monitor.core.readings import Reading
from monitor.core.thresholds_loader import load_thresholds
from monitor.session import ManualClock
from monitor.sources.feed import FeedStatus, FeedUpdate
from monitor.ui.app import MonitorApp, make_app
from monitor.ui.widgets import AlarmBanner, VitalTile
from tests.feeds import HandFeed
from tests.support.screen import screen_text

T0 = 1_795_856_400.0  # 2026-11-28T09:00:00Z
TH = load_thresholds()

__all__ = [
    "T0",
    "TH",
    "UTC",
    "ListFeed",
    "banner_main",
    "build",
    "bulk",
    "events",
    "run",
    "screen_text",
    "seconds",
    "tile",
]


class ListFeed(HandFeed):
    """A feed the test fills by hand."""

    def __init__(self):
        self.pending: list[Reading] = []
        self.status: list[FeedStatus] = []
        self.rejected = []

    def push(self, *readings: Reading) -> None:
        self.pending.extend(readings)

    def poll(self, now):
        out = FeedUpdate(self.pending, [], self.status, self.rejected)
        self.pending, self.status, self.rejected = [], [], []
        return out


def build(tmp_path=None, feed=None, thresholds=TH, bells=None, quiet=False, clock=None):
    clock = clock or ManualClock(wall=T0, monotonic=1000.0)
    feed = feed or ListFeed()
    app = make_app(
        feed,
        thresholds,
        folder=None if tmp_path is None else tmp_path / "sess",
        clock=clock,
        tz=UTC,
        timers=False,
        user="nurse",
        quiet=quiet,
        bell=(lambda: bells.append(clock.now_mono)) if bells is not None else None,
    )
    return app, feed, clock


def run(app: MonitorApp, script, size=(80, 24)):
    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


async def seconds(pilot, feed, clock, start, n, **vals):
    """One reading per second for n seconds, a UI step after each."""
    for k in range(n):
        feed.push(Reading(start + k, **vals))
        pilot.app.step()
        clock.advance(1.0)
    pilot.app.step()
    await pilot.pause()


async def bulk(pilot, feed, clock, start, n, **vals):
    """n readings a second apart arriving at once (a backlog), then one UI step."""
    feed.push(*(Reading(start + k, **vals) for k in range(n)))
    clock.advance(n - 1)
    pilot.app.step()
    clock.advance(1.0)
    pilot.app.step()
    await pilot.pause()


def tile(app, key) -> VitalTile:
    return app.query_one(f"#tile-{key}", VitalTile)


def banner_main(app):
    return app.query_one(AlarmBanner).query_one("#banner-main")


def events(folder):
    return [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
