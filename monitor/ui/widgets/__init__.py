"""Widgets of the bedside screen."""

from monitor.ui.widgets.chart import TrendChart
from monitor.ui.widgets.panels import (
    AlarmBanner,
    AlarmList,
    EventLog,
    HeaderBar,
    Notices,
    VitalTile,
)

__all__ = ["AlarmBanner", "AlarmList", "EventLog", "HeaderBar", "Notices", "TrendChart", "VitalTile"]
