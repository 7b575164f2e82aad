"""A real Eclipse Mosquitto (Debian's `mosquitto`) on an ephemeral loopback port, with the
security settings of deploy/mosquitto/mosquitto.conf: no anonymous access, a password file made
with mosquitto_passwd, the deploy ACL, optionally its TLS listener with certificates from
deploy/mosquitto/make-certs.sh. Used by the tests (one broker per module) and bench_mqtt.py.

Without /usr/sbin/mosquitto the tests skip, saying how to get it, unless VITALS_REQUIRE_MOSQUITTO=1
(set by .ci/run, which installs it), which makes them fail.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "mosquitto"
ETC = "/etc/mosquitto/vitals"  # where deploy/mosquitto/mosquitto.conf expects its files
PASSWORD = "pw-{user}"  # the test users' passwords (a test broker on loopback only)


def mosquitto() -> str | None:
    for p in ("/usr/sbin/mosquitto", shutil.which("mosquitto")):
        if p and Path(p).exists():
            return p
    return None


def need_mosquitto():
    """A pytest mark skipping without Mosquitto (failing when VITALS_REQUIRE_MOSQUITTO=1)."""
    import pytest

    found = mosquitto() is not None and shutil.which("mosquitto_passwd") is not None
    if not found and os.environ.get("VITALS_REQUIRE_MOSQUITTO") == "1":
        raise RuntimeError("VITALS_REQUIRE_MOSQUITTO=1 but no mosquitto was found (apt-get install -y mosquitto)")
    return pytest.mark.skipif(
        not found,
        reason="needs Eclipse Mosquitto (Debian: apt-get install -y mosquitto; .ci/run installs it)",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Broker:
    """A Mosquitto started from the deploy config with its files in `folder`."""

    folder: Path
    users: list[str]
    tls: bool = False
    port: int = 0
    tls_port: int = 0
    proc: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self):
        self.log = self.folder / "mosquitto.log"

    def password(self, user: str) -> str:
        return PASSWORD.format(user=user)

    def password_file(self, user: str) -> Path:
        """A file holding `user`'s password (as VITALS_MQTT_PASSWORD_FILE names one)."""
        p = self.folder / f"{user}.pass"
        if not p.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            p.write_text(self.password(user) + "\n")
            p.chmod(0o600)
        return p

    def env(self, user: str) -> dict[str, str]:
        """The environment a bedside or central station of `user` is started with."""
        out = {"VITALS_MQTT_USER": user, "VITALS_MQTT_PASSWORD_FILE": str(self.password_file(user))}
        if self.tls:
            out["VITALS_MQTT_CA"] = str(self.folder / "certs" / "ca.crt")
        return out

    def url(self, path: str, tls: bool = False) -> str:
        return f"mqtts://localhost:{self.tls_port}/{path}" if tls else f"mqtt://127.0.0.1:{self.port}/{path}"

    def prepare(self) -> None:
        """The password file, the ACL and (with TLS) the certificates, and the config file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        passwd = self.folder / "passwd"
        passwd.write_text("")
        passwd.chmod(0o600)
        # -U hashes a whole file of user:password lines at once (one process for fifty beds).
        passwd.write_text("".join(f"{u}:{self.password(u)}\n" for u in self.users))
        subprocess.run(["mosquitto_passwd", "-U", str(passwd)], check=True, capture_output=True)
        shutil.copy(DEPLOY / "acl", self.folder / "acl")
        if self.tls:
            subprocess.run(
                ["bash", str(DEPLOY / "make-certs.sh"), str(self.folder / "certs"), "localhost", "127.0.0.1"],
                check=True,
                capture_output=True,
            )
        self.port = self.port or free_port()
        conf = (DEPLOY / "mosquitto.conf").read_text().replace(ETC, str(self.folder))
        if self.tls:
            self.tls_port = self.tls_port or free_port()
            conf = conf.replace("\nlistener 8883\n", f"\nlistener {self.tls_port} 127.0.0.1\n")
        else:
            lines = conf.splitlines()
            start = lines.index("listener 8883")
            del lines[start : start + 5]  # the TLS listener and its four files
            conf = "\n".join(lines) + "\n"
        # The tests' plain listener, on loopback (the deploy file has only TLS).
        conf += f"\nlistener {self.port} 127.0.0.1\n"
        if os.geteuid() == 0:
            # Started as root, Mosquitto drops to the `mosquitto` user, which cannot read this
            # temporary folder's owner-only files; a test broker stays who started it.
            conf += f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
        (self.folder / "mosquitto.conf").write_text(conf)

    def start(self, timeout: float = 10.0) -> Broker:
        if not (self.folder / "mosquitto.conf").exists():
            self.prepare()
        exe = mosquitto()
        assert exe, "no mosquitto"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [exe, "-c", str(self.folder / "mosquitto.conf")], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not start: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def module_broker(tmp_path_factory, users, tls: bool = False):
    """The body of a module-scoped fixture: a broker for the module's tests, stopped after them."""
    b = Broker(tmp_path_factory.mktemp("broker"), list(users), tls=tls).start()
    try:
        yield b
    finally:
        b.stop()


BEDS = [f"bed{i}" for i in range(1, 17)]
USERS = ["central", *BEDS]
