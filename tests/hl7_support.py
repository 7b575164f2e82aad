"""What the HL7 tests share: the fixture messages, messages made to order, and raw MLLP bytes."""

from __future__ import annotations

from pathlib import Path

import hl7

from tests.conftest import DATA

HL7_DATA = DATA / "hl7"
START, END = b"\x0b", b"\x1c\r"


def fixture_text(name: str) -> str:
    """A fixture message: its lines (comments left out) joined with CR, HL7's segment separator."""
    lines = [ln for ln in (HL7_DATA / name).read_text().splitlines() if ln and not ln.startswith("#")]
    return "\r".join(lines) + "\r"


def fixture(name: str):
    return hl7.parse(fixture_text(name))


def message(
    control: str = "M1",
    obx: list[str] | None = None,
    *,
    time: str = "20261128100000+0000",
    patient: str = "P1",
    bed: str = "ICU^1^1",
    kind: str = "ORU^R01^ORU_R01",
    processing: str = "P",
) -> str:
    """A PCD-01 message with the given OBX rows (default: HR 72)."""
    if obx is None:
        obx = ["OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.1|72|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R"]
    head = [
        f"MSH|^~\\&|DEV^AB^EUI-64||||{time}||{kind}|{control}|{processing}|2.6",
        f"PID|||{patient}^^^H^PI",
        f"PV1||I|{bed}",
        f"OBR|1|||182777000^monitoring of patient^SCT|||{time}",
    ]
    return "\r".join(head + obx) + "\r"


def obx(n: int, code: str, value: str, unit: str = "", status: str = "R", at: str = "") -> str:
    return f"OBX|{n}|NM|{code}|1.1.1.{n}|{value}|{unit}|||||{status}|||{at}"


def frame(text: str) -> bytes:
    return START + text.encode() + END


def parse(text: str):
    return hl7.parse(text)


def path_of(name: str) -> Path:
    return HL7_DATA / name
