"""The package carries its own defaults: an installed wheel works outside the clone."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_packaged_defaults_are_the_documented_file():
    # The top-level thresholds.toml is the one people read and copy; the package ships it as is.
    assert (ROOT / "monitor" / "thresholds.toml").read_bytes() == (ROOT / "thresholds.toml").read_bytes()
