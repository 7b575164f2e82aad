"""Where a new recording goes by default."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path


def default_folder(label: str, wall: float, root: str | Path = "sessions") -> Path:
    """sessions/<local start time>-<label>/, made unique with a suffix if it exists."""
    stamp = datetime.fromtimestamp(wall).strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:40]
    base = Path(root) / (f"{stamp}-{slug}" if slug else stamp)
    out, k = base, 2
    while out.exists():
        out = base.with_name(f"{base.name}-{k}")
        k += 1
    return out
