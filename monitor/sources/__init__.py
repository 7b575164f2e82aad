"""Where readings come from (CSV files, followed files, the simulator, replay). No UI."""
