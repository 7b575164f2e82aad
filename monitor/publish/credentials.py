"""Who the bedside or the central station is to the broker, and the TLS files, taken from the
environment or a file: never from the command line, which every user of the machine can read.

- `VITALS_MQTT_USER`: the user name (a bedside's is its bed: the broker's ACL lets user `bed3`
  write only `vm/SITE/bed3/...`; see deploy/mosquitto/);
- `VITALS_MQTT_PASSWORD_FILE`: a file whose first line is the password (preferred), or
  `VITALS_MQTT_PASSWORD`: the password itself (for a service manager that injects it);
- `VITALS_MQTT_CA`: the CA certificate that signed the broker's (with mqtts://).

A config file's `[publish]` table may name the same (`user`, `password_file`, `ca_file`); the
environment wins, so one file can serve several beds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.core.text import printable
from monitor.publish.address import AddressError

ENV_USER = "VITALS_MQTT_USER"
ENV_PASSWORD = "VITALS_MQTT_PASSWORD"
ENV_PASSWORD_FILE = "VITALS_MQTT_PASSWORD_FILE"
ENV_CA = "VITALS_MQTT_CA"


@dataclass(frozen=True)
class Credentials:
    user: str | None = None
    password: str | None = None
    ca_file: str | None = None

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"Credentials(user={self.user!r}, password={'***' if self.password else None}, ca_file={self.ca_file!r})"


def credentials(
    env: Mapping[str, str] | None = None,
    *,
    user: str | None = None,
    password_file: str | None = None,
    ca_file: str | None = None,
) -> Credentials:
    """The credentials in force: the environment's, else those a config file named."""
    env = os.environ if env is None else env
    user = env.get(ENV_USER) or user
    password = env.get(ENV_PASSWORD)
    pw_file = env.get(ENV_PASSWORD_FILE) or password_file
    if password is None and pw_file:
        password = _read_password(pw_file)
    if password is not None and not user:
        raise AddressError(f"a broker password is given but no user: set {ENV_USER}")
    return Credentials(user or None, password, env.get(ENV_CA) or ca_file)


def _read_password(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AddressError(f"cannot read the broker password file '{printable(path)}': {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AddressError(f"the broker password file '{printable(path)}' is not UTF-8 text") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise AddressError(f"the broker password file '{printable(path)}' is empty: its first line is the password")
    return lines[0]
