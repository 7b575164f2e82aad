"""PCD-01 messages to readings, and their ACKs, without a network (monitor.sources.hl7v2)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import hl7
import pytest

from monitor.core.readings import Reading
from monitor.sources.hl7v2 import mdc
from monitor.sources.hl7v2.ack import read_ack
from monitor.sources.hl7v2.compose import oru_r01
from monitor.sources.hl7v2.listener import Hl7Listener, Selection, bed_matches
from monitor.sources.hl7v2.pcd01 import MessageError, hl7_stamp, read_message
from tests.hl7_support import fixture, message, obx, parse

T = datetime(2026, 11, 28, 10, 0, tzinfo=UTC).timestamp()


def values(r: Reading) -> dict:
    return {k: v for k, v in r.as_dict().items() if v == v}


def statuses(listener: Hl7Listener) -> list[str]:
    return [x.message for k, x in listener.inbox if k == "status"]


# -- the vendor-shaped fixtures ---------------------------------------------------------------


def test_the_ihe_profile_example_gives_the_cuff_reading_at_its_own_older_time():
    p = read_message(fixture("ihe_pcd01.hl7"))
    assert (p.control_id, p.patient, p.bed, p.processing) == ("PCD0001", "P-1001", "ICU^12^1", "P")
    assert [r.t for r in p.readings] == [T - 40, T]
    assert values(p.readings[0]) == {"sbp": 128, "dbp": 82, "map": 97}
    assert values(p.readings[1]) == {"hr": 72, "spo2": 97, "rr": 14, "temp": 36.9}
    assert not p.problems and not p.unknown  # the hierarchy rows carry no value: passed over


def test_the_ge_b40_example_takes_the_older_cuff_codes_and_names_the_others():
    p = read_message(fixture("ge_b40.hl7"))
    (r,) = p.readings
    assert r.t == T + 60  # no OBX-14: OBR-7 (a time without an offset: UTC unless told)
    # The ECG's HR wins over the invasive pulse rate in the same message.
    assert values(r) == {"hr": 80, "sbp": 131, "dbp": 84, "map": 99}
    assert p.unknown == ["148066^MDC_ECG_V_P_C_RATE", "150033^MDC_PRESS_BLD_ART_SYS"]


def test_the_philips_efficia_example_reads_mdil_codes_and_converts_fahrenheit():
    p = read_message(fixture("philips_efficia_cm.hl7"))
    assert p.patient == "MRN1234" and p.bed == "^^LOCATION34"
    nbp, now = p.readings
    assert nbp.t == T + 90 and values(nbp) == {"sbp": 122, "dbp": 85, "map": 98}
    got = values(now)
    assert now.t == T + 120 and got.pop("temp") == pytest.approx((99.1 - 32) * 5 / 9)
    assert got == {"hr": 88, "rr": 20}  # the SpO2 with status X and no value is passed over
    assert not p.problems


# -- codes, units, status, time -----------------------------------------------------------------


@pytest.mark.parametrize(
    "code,vital",
    [
        ("147842^MDC_ECG_HEART_RATE^MDC", "hr"),
        ("149530^MDC_PULS_OXIM_PULS_RATE^MDC", "hr"),
        ("149546^MDC_PULS_RATE_NON_INV^MDC", "hr"),
        ("150301^MDC_PRESS_CUFF_SYS^MDC", "sbp"),
        ("150302^MDC_PRESS_CUFF_DIA^MDC", "dbp"),
        ("150303^MDC_PRESS_CUFF_MEAN^MDC", "map"),
        ("150021^MDC_PRESS_BLD_NONINV_SYS^MDC", "sbp"),
        ("150022^MDC_PRESS_BLD_NONINV_DIA^MDC", "dbp"),
        ("150023^MDC_PRESS_BLD_NONINV_MEAN^MDC", "map"),
        ("150344^MDC_TEMP^MDC", "temp"),
        ("150364^MDC_TEMP_BODY^MDC", "temp"),
        ("188424^MDC_TEMP_ORAL^MDC", "temp"),
        ("150392^MDC_TEMP_TYMP^MDC", "temp"),
        ("150456^MDC_PULS_OXIM_SAT_O2^MDC", "spo2"),
        ("151562^MDC_RESP_RATE^MDC", "rr"),
        ("^MDC_TEMP^MDC", "temp"),  # the name alone
    ],
)
def test_each_mdc_code_is_its_vital(code, vital):
    unit = {"hr": "264864", "rr": "264928", "temp": "268192", "spo2": "262688"}.get(vital, "266016")
    (r,) = read_message(parse(message(obx=[obx(1, code, "40", unit)]))).readings
    assert values(r) == {vital: 40}


def test_the_ecg_heart_rate_wins_over_a_pulse_rate_in_either_order():
    for rows in (
        [obx(1, "149530^MDC_PULS_OXIM_PULS_RATE^MDC", "90"), obx(2, "147842^MDC_ECG_HEART_RATE^MDC", "80")],
        [obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "80"), obx(2, "149530^MDC_PULS_OXIM_PULS_RATE^MDC", "90")],
    ):
        (r,) = read_message(parse(message(obx=rows))).readings
        assert r.hr == 80


def test_kpa_and_fahrenheit_are_converted_and_a_wrong_unit_is_said_and_left_out():
    rows = [
        obx(1, "150301^MDC_PRESS_CUFF_SYS^MDC", "16", "265987^MDC_DIM_KILO_PASCAL^MDC"),
        obx(2, "150344^MDC_TEMP^MDC", "100.4", "[degF]^[degF]^UCUM"),
        obx(3, "147842^MDC_ECG_HEART_RATE^MDC", "72", "266016^MDC_DIM_MMHG^MDC"),
        obx(4, "150456^MDC_PULS_OXIM_SAT_O2^MDC", "97", "furlong"),
    ]
    p = read_message(parse(message(obx=rows)))
    (r,) = p.readings
    assert r.sbp == pytest.approx(16 * 7.50062, abs=1e-3) and r.temp == pytest.approx(38.0)
    assert math.isnan(r.hr) and math.isnan(r.spo2)
    assert p.problems == ["OBX 3: HR cannot be in mmHg", "OBX 4: SpO2 unit 'furlong' is not known"]


def test_result_status_decides_what_is_taken():
    rows = [
        obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "72", status="F"),
        obx(2, "150456^MDC_PULS_OXIM_SAT_O2^MDC", "97", status="X"),
        obx(3, "151562^MDC_RESP_RATE^MDC", "14", status="W"),
        obx(4, "150344^MDC_TEMP^MDC", "36.6", status="Q"),
    ]
    p = read_message(parse(message(obx=rows)))
    assert values(p.readings[0]) == {"hr": 72}
    assert p.problems == [
        "OBX 3: RR is marked W (deleted or wrong) in OBX-11 and was not taken",
        "OBX 4: Temp has an unknown result status 'Q' in OBX-11",
    ]


def test_time_is_obx14_else_obr7_else_msh7():
    msg = message(obx=[obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "72", at="20261128095930+0000")])
    assert read_message(parse(msg)).readings[0].t == T - 30
    no_obr_time = message(obx=[obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "72")]).replace(
        "monitoring of patient^SCT|||20261128100000+0000", "monitoring of patient^SCT|||"
    )
    no_obr_time = no_obr_time.replace("||||20261128100000+0000||", "||||20261128100005+0100||")
    assert read_message(parse(no_obr_time)).readings[0].t == T + 5 - 3600  # MSH-7, with its offset


@pytest.mark.parametrize(
    "text,code,reason",
    [
        (message(obx=[]), "AE", "no OBX segment"),
        (message(kind="ADT^A01"), "AR", "message type ADT^A01 is not taken"),
        (message(control=""), "AE", "MSH-10"),
        (message(obx=[obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "seventy")]), "AE", "is not a number"),
    ],
)
def test_a_message_that_cannot_be_used_says_why(text, code, reason):
    with pytest.raises(MessageError) as exc:
        read_message(parse(text))
    assert exc.value.ack == code and reason in str(exc.value)


def test_a_composed_message_reads_back_as_the_same_reading():
    r = Reading(T + 0.25, hr=72.0, sbp=131.0, dbp=84.0, spo2=97.0, temp=36.85, rr=14.0)
    text = oru_r01(r, "X1", simulated=True)
    assert text is not None and hl7_stamp(T) == "20261128100000+0000"
    p = read_message(hl7.parse(text))
    assert p.processing == "T" and len(p.readings) == 1
    assert p.readings[0].values() == pytest.approx(r.values(), nan_ok=True) and p.readings[0].t == r.t
    assert oru_r01(Reading(T), "X2", simulated=False) is None  # nothing to send


def test_mdil_codes_are_the_mdc_numbers():
    assert mdc.mdil("0002-4182") == "147842" and mdc.mdil("0004-0f20") == "266016" and mdc.mdil("147842") == "147842"


# -- the listener's answer to each message (no socket) --------------------------------------------


def answer(listener: Hl7Listener, text: str) -> tuple[str, str, str]:
    return read_ack(listener.answer(text.encode()))


def test_acks_carry_the_control_id_and_the_reason():
    ln = Hl7Listener("127.0.0.1", 0)
    assert answer(ln, message("A1")) == ("AA", "A1", "")
    code, ctl, why = answer(ln, message("A2", obx=[]))
    assert (code, ctl) == ("AE", "A2") and "no OBX segment" in why
    raw = ln.answer(message("A3", obx=[obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "72", "266016")]).encode())
    assert b"ERR|||207^Application internal error^HL70357|E||||OBX 1: HR cannot be in mmHg" in raw
    assert answer(ln, "this is not HL7")[0] == "AE"
    assert answer(ln, message("A4", kind="QRY^A19"))[0] == "AR"
    assert [r.reason for k, r in ln.inbox if k == "rejected"][:1] == [
        "the message has no OBX segment: no observation to take"
    ]


def test_a_resent_message_is_taken_once():
    ln = Hl7Listener("127.0.0.1", 0)
    assert answer(ln, message("D1"))[0] == "AA"
    code, _, why = answer(ln, message("D1"))
    assert code == "AA" and "already taken" in why
    assert ln.taken == 1 and ln.duplicates == 1


def test_the_first_patient_is_taken_and_others_named_once():
    ln = Hl7Listener("127.0.0.1", 0)
    for i, patient in enumerate(["P1", "P2", "P2", "P1"]):
        assert answer(ln, message(f"C{i}", patient=patient))[0] == "AA"
    assert ln.taken == 2
    said = statuses(ln)
    assert sum("patient P2" in s for s in said) == 1 and "monitoring patient P1 in bed ICU^1^1" in said[0]


def test_a_selected_patient_or_bed_is_the_one_taken():
    by_patient = Hl7Listener("127.0.0.1", 0, Selection(patient="P2"))
    by_bed = Hl7Listener("127.0.0.1", 0, Selection(bed="2"))
    for i, (patient, bed) in enumerate([("P1", "ICU^1^1"), ("P2", "ICU^1^2")]):
        answer(by_patient, message(f"S{i}", patient=patient, bed=bed))
        answer(by_bed, message(f"S{i}", patient=patient, bed=bed))
    assert by_patient.taken == 1 and by_bed.taken == 1
    assert bed_matches("ICU^1^2", "ICU^1^2") and bed_matches("1^2", "ICU^1^2") and not bed_matches("ICU", "ICU^1^2")


def test_an_unknown_code_is_named_once_and_a_training_message_labels_the_session_simulated():
    ln = Hl7Listener("127.0.0.1", 0)
    rows = [obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "72"), obx(2, "999999^MDC_MADE_UP^MDC", "3")]
    answer(ln, message("U1", obx=rows))
    answer(ln, message("U2", obx=rows, processing="T"))
    said = statuses(ln)
    assert sum("999999^MDC_MADE_UP" in s for s in said) == 1
    assert ln.simulated and any("SIMULATED" in s for s in said)


def test_the_ack_is_the_one_python_hl7_makes_with_the_reason_added():
    from monitor.sources.hl7v2.ack import APP, ack_for

    msg = fixture("ge_b40.hl7")
    ours = hl7.parse(ack_for(msg, "AE", [("207", "one reason")]).decode())
    theirs = msg.create_ack("AE", application=APP)
    for n in (1, 2, 3, 4, 5, 6, 9, 11, 12):  # all but MSH-7 (the time) and MSH-10 (a new id)
        assert str(ours.segment("MSH")[n]) == str(theirs.segment("MSH")[n]), n
    assert str(ours.segment("MSA")[1]) == "AE" and str(ours.segment("MSA")[2]) == "0040970001"
    assert str(ours.segment("MSA")[3]) == "one reason" and str(ours.segment("ERR")[8]) == "one reason"


def test_an_internal_error_on_one_message_is_an_ae_and_the_next_is_taken(monkeypatch):
    from monitor.sources.hl7v2 import listener

    ln = Hl7Listener("127.0.0.1", 0)
    real = listener.read_message
    monkeypatch.setattr(listener, "read_message", lambda *a: 1 / 0)
    code, _, why = read_ack(ln._answer_safely(message("E1").encode()))
    assert code == "AE" and "ZeroDivisionError" in why
    monkeypatch.setattr(listener, "read_message", real)
    assert read_ack(ln._answer_safely(message("E2").encode()))[0] == "AA" and ln.taken == 1
