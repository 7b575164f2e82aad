"""The topics of one bed: `vm/SITE/BED/{status,vitals,alarms,trend}` (docs/central.md).

The broker's ACL (deploy/mosquitto/acl) lets user BED write only below `vm/+/BED/`, so a bed's
user name is its bed name.
"""

from __future__ import annotations

ROOT = "vm"
KINDS = ("status", "vitals", "alarms", "trend")


def topic(site: str, bed: str, kind: str) -> str:
    assert kind in KINDS, kind
    return f"{ROOT}/{site}/{bed}/{kind}"


def site_filter(site: str) -> str:
    """Every bed's topics of a site (what the central station subscribes to)."""
    return f"{ROOT}/{site}/+/+"


def split(name: str) -> tuple[str, str] | None:
    """(bed, kind) of one of our topics, or None for anything else."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != ROOT or parts[3] not in KINDS or not parts[2]:
        return None
    return parts[2], parts[3]
