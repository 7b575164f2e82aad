"""Snapshots of the main screen at 80x24 and 160x48, on a fixed clock and seed.

The simulator's hypertensive scenario (seed 3) runs at 60x on a manual clock to 2 h after its
start (an alarm state: high SBP latched, repeat request, medium MAP), then the screen is
exported twice: as plain text (tests/snapshots/*.txt, readable in a diff) and as SVG
(tests/snapshots/*.svg, colours included; open it in a browser to look at it).

To accept a deliberate change: UPDATE_SNAPSHOTS=1 pytest tests/test_ui_snapshots.py
A missing snapshot fails. The SVG is compared byte for byte, so pyproject.toml pins Textual to one
minor release (its SVG export changes between releases); moving the pin means regenerating these.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from monitor.session import ManualClock
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed
from monitor.ui.app import make_app
from tests.support.ui import T0, TH, UTC, screen_text

pytestmark = pytest.mark.slow  # Pilot tests run the real Textual app: seconds each

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def capture(size: tuple[int, int]) -> tuple[str, str]:
    clock = ManualClock(wall=T0 + 7200 / 60, monotonic=1000.0)
    feed = SimulatorFeed(SimulatedFeed("hypertensive", seed=3, speed=60, start=T0))
    app = make_app(feed, TH, folder=None, clock=clock, tz=UTC, timers=False, user="nurse")
    out = {}

    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for _ in range(120):  # two simulated hours, one UI step per real second
                clock.advance(1.0)
                app.step()
            app.step(force=True)
            await pilot.pause()
            out["text"] = screen_text(app)
            out["svg"] = app.export_screenshot(title="vitals-monitor")

    asyncio.run(main())
    return out["text"], out["svg"]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_main_screen_snapshot(size):
    text, svg = capture(size)
    name = f"main_{size[0]}x{size[1]}"
    txt_path, svg_path = SNAPSHOTS / f"{name}.txt", SNAPSHOTS / f"{name}.svg"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        txt_path.write_text(text, encoding="utf-8")
        svg_path.write_text(svg, encoding="utf-8")
        pytest.skip("snapshot updated")
    # A missing snapshot fails (it is never written and passed): accept one on purpose only.
    if not (txt_path.exists() and svg_path.exists()):
        pytest.fail(
            f"no snapshot {txt_path.name}/{svg_path.name}: look at the screen, then write it "
            "with UPDATE_SNAPSHOTS=1 pytest tests/test_ui_snapshots.py"
        )
    assert text == txt_path.read_text(encoding="utf-8"), f"screen text differs from {txt_path}"
    assert svg == svg_path.read_text(encoding="utf-8"), f"screen colours differ from {svg_path}"
    # What a clinician must see whatever the size:
    assert text.startswith(" SIMULATED ")
    assert "!!! HIGH" in text and "REPEAT CUFF BP NOW" in text
