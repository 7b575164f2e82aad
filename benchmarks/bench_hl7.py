"""How many PCD-01 messages a second the HL7 listener takes, against a bare `hl7.parse`.

Ours: each message as the listener's thread handles it (decoded, parsed by python-hl7, read into
readings, checked for a resend, acknowledged) and then taken into a recorded session by its poll
(store, alarm engine, recording), on one core, in one process, no socket. The peer: python-hl7's
`hl7.parse` alone of the same messages, the least any listener built on it can do. The target:
at least 2,000 messages a second (ten times a 50-bed ward sending each bed's numerics every 5 s
through one gateway... and more than a monitor sends at 1 Hz). Also shown: the same messages over
a real MLLP socket on 127.0.0.1, one at a time with their ACKs (`hl7-send`'s way), which measures
the loopback round trip as well.

    python benchmarks/bench_hl7.py               # 3 runs of 5,000 messages
    python benchmarks/bench_hl7.py --messages 20000 --runs 5
    python benchmarks/bench_hl7.py --json FILE   # also write the figures (for regenerate_docs.py)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import Figures, verdict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

T0 = 1_795_856_400.0
PER_POLL = 250  # messages a poll takes: a 4 Hz poll at 1,000 messages a second


def messages(n: int) -> list[bytes]:
    """n messages of a simulated session (HR, SpO2, RR every message; cuff BP and temperature
    where the simulator measured them), as `hl7-send` composes them."""
    from monitor.sources.hl7v2.compose import oru_r01
    from monitor.sources.simulated import SimulatedFeed

    sim = SimulatedFeed("typical", seed=1, start=T0, duration_s=float(n), spo2=True)
    readings = sim.all_readings()[:n]
    out = []
    for i, r in enumerate(readings):
        text = oru_r01(r, f"B{i:08d}", simulated=True)
        if text is not None:
            out.append(text.encode())
    return out


def bare_parse(blocks: list[bytes]) -> float:
    import hl7

    t = time.perf_counter()
    for b in blocks:
        hl7.parse(b.decode("utf-8"))
    return len(blocks) / (time.perf_counter() - t)


def ours(blocks: list[bytes]) -> tuple[float, int]:
    """Messages a second into a recorded session; the readings it holds at the end."""
    from monitor.core.thresholds_loader import load_thresholds
    from monitor.session import ManualClock, Session
    from monitor.sources.hl7v2.feed import Hl7Feed

    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(wall=T0 + len(blocks) + 1)
        feed = Hl7Feed("127.0.0.1", 0)  # listening, but the messages are handed in directly
        s = Session(feed, load_thresholds(), folder=Path(tmp) / "rec", clock=clock)
        s.start()
        answer = feed.listener.answer
        t = time.perf_counter()
        for k in range(0, len(blocks), PER_POLL):
            for b in blocks[k : k + PER_POLL]:
                answer(b)
            clock.advance(0.25)
            s.poll()
            while s.backlog.waiting():
                s.poll()
        rate = len(blocks) / (time.perf_counter() - t)
        n = len(s.store)
        s.stop()
    return rate, n


def over_socket(blocks: list[bytes]) -> float:
    """One at a time over MLLP on 127.0.0.1, each waiting for its ACK (two processes' worth of work
    on the two threads: the sender's and the listener's)."""
    from hl7.mllp import open_hl7_connection

    from monitor.sources.hl7v2.feed import Hl7Feed

    feed = Hl7Feed("127.0.0.1", 0)

    async def send() -> None:
        reader, writer = await open_hl7_connection("127.0.0.1", feed.port, limit=1024 * 1024)
        for b in blocks:
            writer.writeblock(b)
            await writer.drain()
            await reader.readblock()
        writer.close()

    t = time.perf_counter()
    asyncio.run(send())
    rate = len(blocks) / (time.perf_counter() - t)
    feed.close()
    return rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the figures to this file (regenerate_docs.py)")
    args = ap.parse_args()
    figs = Figures(__file__)
    blocks = messages(args.messages)
    size = statistics.mean(len(b) for b in blocks)
    print(f"{len(blocks)} PCD-01 messages of a simulated session, {size:.0f} bytes each on average")
    peer, mine = [], []
    for run in range(args.runs):
        p = bare_parse(blocks)
        m, n = ours(blocks)
        assert n == len(blocks), f"the session holds {n} readings of {len(blocks)} messages"
        peer.append(p)
        mine.append(m)
        print(f"run {run + 1}: ours {m:,.0f} messages/s, bare hl7.parse {p:,.0f}/s ({m / p:.2f}x)")
    sock = over_socket(blocks[: min(len(blocks), 2000)])
    best, best_peer = max(mine), max(peer)
    med, med_peer = statistics.median(mine), statistics.median(peer)
    print(
        f"\ntaken into a recorded session, one core: {med:,.0f} messages/s median ({best:,.0f} best); "
        f"bare hl7.parse of the same messages: {med_peer:,.0f}/s median ({best_peer:,.0f} best); "
        f"ours is {med / med_peer:.2f}x the bare parse"
    )
    print(f"over MLLP on 127.0.0.1, one at a time with its ACK: {sock:,.0f} messages/s")
    print(f"target: at least 2,000 messages/s{verdict(best >= 2000)}")
    figs.add(
        "hl7_rate",
        "HL7 PCD-01 messages parsed and taken into a recorded session (one core)",
        f"{med:,.0f}/s median ({best:,.0f} best); {med / med_peer:.2f}x the bare parse",
        peer=f"bare `hl7.parse`: {med_peer:,.0f}/s median ({best_peer:,.0f} best)",
        target="≥ 2,000/s" + verdict(best >= 2000),
        met=best >= 2000,
        value=med,
    )
    figs.add(
        "hl7_socket",
        "the same over MLLP on 127.0.0.1, one message at a time with its ACK",
        f"{sock:,.0f}/s",
        value=sock,
    )
    figs.write(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
