"""Feeds a test drives by hand: the fixed parts of the Feed protocol (monitor.sources.feed) for a
feed with no clock of its own, as a followed file has none."""

from __future__ import annotations


class HandFeed:
    mode = "LIVE"
    simulated = False
    label = "test bed 1"
    source = "test"
    lag_s = 0.0
    records = True
    splits_rows = False

    def clock(self, now):
        return None

    def absolute(self):
        return True

    def meta(self):
        return {}

    def close(self):
        pass
