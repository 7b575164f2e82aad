"""Pure domain logic: vitals, readings, thresholds, the alarm engine, sessions. No UI, no plotting."""
