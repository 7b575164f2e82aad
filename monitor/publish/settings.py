"""The `[publish]` table of a bedside config file (`live --publish-config FILE`): the broker
address and how to reach it, so a bedside's command line need not carry it.

    [publish]
    url = "mqtts://broker.site.example:8883/site1/bed3"
    user = "bed3"                 # VITALS_MQTT_USER wins
    password_file = "/etc/vitals-monitor/bed3.pass"   # VITALS_MQTT_PASSWORD_FILE wins
    ca_file = "/etc/vitals-monitor/ca.crt"           # VITALS_MQTT_CA wins
    keepalive_s = 10              # how soon the broker declares a killed bedside offline (x 1.5)

A password itself is refused in the file: a config file is copied and shown around, a password
file is kept apart with mode 600.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.core.text import printable
from monitor.publish.address import AddressError, BrokerAddress, parse_address
from monitor.publish.credentials import Credentials, credentials

DEFAULT_KEEPALIVE_S = 10
KEYS = ("url", "user", "password_file", "ca_file", "keepalive_s")


@dataclass(frozen=True)
class PublishSettings:
    url: str | None = None
    user: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    keepalive_s: int = DEFAULT_KEEPALIVE_S


def load_settings(path: str | Path) -> PublishSettings:
    """The `[publish]` table of `path`; AddressError (one sentence) when it cannot be used."""
    where = printable(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AddressError(f"cannot read the config file '{where}': {exc.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AddressError(f"the config file '{where}' is not valid TOML: {printable(exc)}") from None
    table = data.get("publish")
    if not isinstance(table, dict):
        raise AddressError(f"the config file '{where}' has no [publish] table")
    if "password" in table:
        raise AddressError(
            f"{where}: [publish] must not hold the password itself; name a file with password_file "
            "(or set VITALS_MQTT_PASSWORD_FILE)"
        )
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise AddressError(
            f"{where}: [publish] has an unknown key '{printable(unknown[0])}' (known: {', '.join(KEYS)})"
        )
    for key in ("url", "user", "password_file", "ca_file"):
        if key in table and not isinstance(table[key], str):
            raise AddressError(f"{where}: [publish] {key} must be a string")
    keepalive = table.get("keepalive_s", DEFAULT_KEEPALIVE_S)
    if isinstance(keepalive, bool) or not isinstance(keepalive, int) or not 1 <= keepalive <= 3600:
        raise AddressError(f"{where}: [publish] keepalive_s must be a whole number of seconds from 1 to 3600")
    return PublishSettings(
        table.get("url"), table.get("user"), table.get("password_file"), table.get("ca_file"), keepalive
    )


@dataclass(frozen=True)
class PublishPlan:
    """Everything a bedside needs to publish, checked before the session starts."""

    address: BrokerAddress
    creds: Credentials
    keepalive_s: int


def publish_plan(
    url: str | None, config: str | Path | None, env: Mapping[str, str] | None = None
) -> PublishPlan | None:
    """From `live --publish URL` and/or `--publish-config FILE` (the option's URL wins); None
    when neither asks for publishing. AddressError (one sentence) when it cannot be used."""
    settings = load_settings(config) if config is not None else PublishSettings()
    url = url or settings.url
    if url is None:
        if config is not None:
            raise AddressError(f"the config file '{printable(config)}' has no url in its [publish] table")
        return None
    address = parse_address(url, bed=True, option="--publish" if url is not settings.url else "[publish] url")
    creds = credentials(env, user=settings.user, password_file=settings.password_file, ca_file=settings.ca_file)
    if address.tls and creds.ca_file and not Path(creds.ca_file).is_file():
        raise AddressError(f"the CA certificate '{printable(creds.ca_file)}' for mqtts:// is not a readable file")
    return PublishPlan(address, creds, settings.keepalive_s)
