"""A broker address as the user writes it: `mqtt://HOST:PORT/SITE/BED` (a bedside) or
`mqtt://HOST:PORT/SITE` (the central station); `mqtts://` for TLS.

User names and passwords are refused here: a command line is seen by every user of the machine
(`ps`), so they come from the environment or a file (monitor.publish.credentials).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.core.text import printable

DEFAULT_PORT = {"mqtt": 1883, "mqtts": 8883}
RESERVED_BED = "central"  # the central station's broker user: never a bed (deploy/mosquitto/acl)
# A topic level of ours: no MQTT wildcards, no separators, nothing a terminal would act on.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class AddressError(ValueError):
    """A broker address that cannot be used; str() is one sentence."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    site: str
    bed: str | None  # None for the central station
    tls: bool

    def where(self) -> str:
        """host:port, for messages."""
        return f"{self.host}:{self.port}"

    def url(self) -> str:
        path = f"{self.site}/{self.bed}" if self.bed else self.site
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.where()}/{path}"


def parse_address(url: str, *, bed: bool, option: str = "--publish") -> BrokerAddress:
    """`url` checked; `bed`: a bedside's address (SITE/BED) rather than the central station's (SITE)."""
    shape = "mqtt://HOST:PORT/SITE/BED" if bed else "mqtt://HOST:PORT/SITE"
    said = printable(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressError(f"{option} '{said}' is not a broker address like {shape} ({exc})") from None
    if parts.scheme not in DEFAULT_PORT:
        raise AddressError(f"{option} '{said}' must start with mqtt:// or mqtts:// (like {shape})")
    if parts.username is not None or parts.password is not None:
        raise AddressError(
            f"{option} must not carry a user or password (the command line is visible to every user): "
            "set VITALS_MQTT_USER and VITALS_MQTT_PASSWORD_FILE (or VITALS_MQTT_PASSWORD) instead"
        )
    if not parts.hostname:
        raise AddressError(f"{option} '{said}' names no broker host (like {shape})")
    if parts.query or parts.fragment:
        raise AddressError(f"{option} '{said}' has a query or fragment; give only {shape}")
    levels = [p for p in parts.path.split("/") if p]
    want = 2 if bed else 1
    if len(levels) != want:
        raise AddressError(f"{option} '{said}' must name {'a site and a bed' if bed else 'a site'}, like {shape}")
    for level in levels:
        if not _NAME_RE.match(level):
            raise AddressError(
                f"{option}: '{printable(level)}' is not a usable site or bed name (letters, digits, '-', '_' "
                "and '.', at most 64, starting with a letter or digit)"
            )
    if bed and levels[1].lower() == RESERVED_BED:
        raise AddressError(
            f"{option}: '{RESERVED_BED}' is the central station's user, not a bed name (the ACL lets each user "
            "write below its own name, so no bed may take it)"
        )
    return BrokerAddress(
        host=parts.hostname,
        port=port or DEFAULT_PORT[parts.scheme],
        site=levels[0],
        bed=levels[1] if bed else None,
        tls=parts.scheme == "mqtts",
    )
