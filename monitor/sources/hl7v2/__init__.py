"""HL7 v2 device input: ORU^R01 messages of the IHE PCD-01 profile over MLLP (no Textual here).

- `mdc`: which IEEE 11073 MDC codes (OBX-3) are which vital, and their units (OBX-6);
- `pcd01`: one parsed message (python-hl7's `hl7.parse`) to readings, with what could not be used;
- `ack`: the ACK each message gets (AA / AE / AR, the reason in MSA-3 and ERR);
- `listener`: the MLLP server (python-hl7's asyncio streams) on a thread of its own;
- `feed`: the listener as a `Feed` (monitor.sources.feed), so its readings take the one session path;
- `compose` and `sender`: readings to ORU^R01 messages and over MLLP (`vitals-monitor hl7-send`).

The package is not named `hl7`, so that `import hl7` is always python-hl7.
"""
