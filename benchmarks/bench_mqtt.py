"""The central station over Mosquitto at a site of 50 beds at 1 Hz: delivery latency, the central
station's CPU, and the bedside's extra CPU for publishing. Prints figures; it is not a timed test.

On this machine, for --minutes (default 5) after a warm-up:
- a real Mosquitto (Debian's) with the deploy security settings (tests/support/broker.py);
- bed1: a real bedside process, `vitals-monitor live --simulate typical --speed 1 --headless
  --no-record --publish mqtt://.../bench/bed1`, and its twin without --publish (same scenario and
  seed): the difference of their CPU is what publishing costs a bedside (target < 0.5 % of a core);
- bed2..bed50: 49 more bedsides in this process (each its own Session on the simulator at 1x and
  its own Publisher and paho client), so the broker and the central station carry 50 beds;
- the central station: the real `vitals-monitor central` in a pseudo-terminal of 160x48, drawing
  (its CPU from /proc; target < 10 % of a core), beside a bare paho subscriber of the same messages;
- delivery latency: a listener process (user `central`) takes each vitals message's `sent` (the
  bedside's clock) from its arrival (the same machine's clock): median and 99th percentile
  (target p99 < 1 s), beside a bare paho client publishing a message of the same size once a
  second through the same broker (the floor of broker and client library).

    python benchmarks/bench_mqtt.py [--minutes 5] [--beds 50] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _common import Figures, verdict  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
WARMUP_S = 20.0
SITE = "bench"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(q / 100 * (len(xs) - 1))))
    return xs[k]


# -- the listener child: latency of every vitals message, and a bare paho probe beside it ------------


def listen(url: str, out: Path, seconds: float) -> None:
    from monitor.publish.address import parse_address
    from monitor.publish.client import make_client
    from monitor.publish.credentials import credentials

    address = parse_address(url, bed=False)
    lat: list[tuple[float, str, float]] = []  # (arrival, topic kind, latency)
    lock = threading.Lock()

    def on_message(client, userdata, m):
        at = time.time()
        if m.retain or not m.topic.endswith("/vitals"):
            return  # a retained message is as old as it waited at the broker: not a delivery
        try:
            sent = json.loads(m.payload)["sent"]
        except (ValueError, KeyError, TypeError):
            return
        with lock:
            lat.append((at, m.topic.split("/")[2], at - sent))

    sub = make_client(address, credentials(), "bench-listener")
    sub.on_message = on_message
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(f"vm/{address.site}/+/vitals", qos=0)
    sub.connect(address.host, address.port)
    sub.loop_start()
    # The probe: a bare paho client, one message of a bedside's vitals size a second (user probe).
    from monitor.publish.credentials import Credentials

    probe = make_client(address, Credentials("probe", os.environ["BENCH_PROBE_PASSWORD"]), "bench-probe")
    probe.connect(address.host, address.port)
    probe.loop_start()
    pad = "x" * 700
    began_cpu = time.process_time()
    began = time.monotonic()
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__("now", True))
    while time.monotonic() - began < seconds and not stop["now"]:
        probe.publish(f"vm/{address.site}/probe/vitals", json.dumps({"sent": time.time(), "pad": pad}), qos=0)
        time.sleep(1.0)
    cpu = time.process_time() - began_cpu
    probe.disconnect()
    probe.loop_stop()
    sub.disconnect()
    sub.loop_stop()
    out.write_text(json.dumps({"lat": lat, "cpu_s": cpu, "wall_s": time.monotonic() - began}))


# -- a child with some of the beds ------------------------------------------------------------------


def beds_child(port: int, folder: Path, first: int, last: int, seconds: float) -> None:
    """Beds first..last, each polled four times a second as the bedside's timer does (several
    such processes: one Python process for 49 beds would be slowed by its own lock)."""
    from tests.support.bedsides import Bedside
    from tests.support.broker import Broker

    broker = Broker(folder, [], port=port)  # the running broker's address and passwords
    scenarios = ["typical", "hypertensive", "tachycardic", "hyperthermic", "late-hypotension"]
    load = [
        Bedside(broker, SITE, f"bed{i}", scenarios[i % len(scenarios)], f"Room {i}", seed=i, speed=1.0)
        for i in range(first, last + 1)
    ]
    began = time.monotonic()
    late = 0
    while time.monotonic() - began < seconds:
        t = time.monotonic()
        for b in load:
            b.step(1, dt=0.0)
        spent = time.monotonic() - t
        late += spent > 0.25
        time.sleep(max(0.0, 0.25 - spent))
    skipped = sum(b.publisher.skipped_rounds for b in load)
    for b in load:
        b.stop()
    print(json.dumps({"beds": last - first + 1, "late_rounds": late, "skipped_rounds": skipped}), flush=True)


# -- the run -----------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="measured minutes after a warm-up (default 5)")
    ap.add_argument("--beds", type=int, default=50, help="beds at the site (default 50)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--listen", nargs=3, metavar=("URL", "OUT", "SECONDS"), help=argparse.SUPPRESS)
    ap.add_argument("--beds-child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.listen:
        listen(args.listen[0], Path(args.listen[1]), float(args.listen[2]))
        return 0
    if args.beds_child:
        port, folder, first, last, seconds = args.beds_child
        beds_child(int(port), Path(folder), int(first), int(last), float(seconds))
        return 0
    if args.beds < 2 or args.minutes <= 0:
        ap.error("--beds must be at least 2 and --minutes more than 0")

    from bench_live import Terminal

    from tests.support.broker import Broker, mosquitto

    if mosquitto() is None:
        print("bench_mqtt: needs Eclipse Mosquitto (Debian: apt-get install -y mosquitto)", file=sys.stderr)
        return 2
    figs = Figures(__file__)
    measure_s = args.minutes * 60
    beds = [f"bed{i}" for i in range(1, args.beds + 1)]
    tmp = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    broker = Broker(tmp / "broker", ["central", "probe", *beds]).start()
    os.environ.update(broker.env("central"))
    os.environ["BENCH_PROBE_PASSWORD"] = broker.password("probe")
    procs: list[subprocess.Popen] = []
    terminal = None
    try:
        # The central station, drawing in a terminal of 160x48.
        terminal = Terminal(["central", broker.url(SITE)], 160, 48, tmp)
        # The listener and its probe, for the warm-up and the measured minutes.
        lat_file = tmp / "latency.json"
        listener = subprocess.Popen(
            [sys.executable, __file__, "--listen", broker.url(SITE), str(lat_file), str(WARMUP_S + measure_s + 30)],
            cwd=ROOT,
        )
        procs.append(listener)
        # bed1 and its twin, as real processes.
        live = [sys.executable, "-m", "monitor", "live", "--simulate", "typical", "--speed", "1", "--seed", "1"]
        live += ["--headless", "--no-record"]
        env = {**os.environ, **broker.env("bed1")}
        published = subprocess.Popen(
            [*live, "--publish", broker.url(f"{SITE}/bed1")], cwd=tmp, env=env, stdout=subprocess.DEVNULL
        )
        twin = subprocess.Popen(live, cwd=tmp, env=env, stdout=subprocess.DEVNULL)
        procs += [published, twin]
        # The other beds, in a few processes of a dozen beds each.
        children = []
        per = 12
        for first in range(2, args.beds + 1, per):
            last = min(args.beds, first + per - 1)
            child = [sys.executable, __file__, "--beds-child", str(broker.port), str(broker.folder)]
            child += [str(first), str(last), str(WARMUP_S + measure_s + 5)]
            children.append(subprocess.Popen(child, cwd=ROOT, stdout=subprocess.PIPE, text=True))
        procs += children
        print(f"{args.beds} beds at 1 Hz on site '{SITE}', python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        print(f"warming up {WARMUP_S:.0f} s, then measuring {args.minutes:g} min ...", flush=True)
        time.sleep(WARMUP_S)
        t0 = time.time()
        cpu0 = {p: cpu_seconds(p.pid) for p in (published, twin)}
        central0 = cpu_seconds(terminal.pid)
        m0 = time.monotonic()
        while time.monotonic() - m0 < measure_s:
            time.sleep(5)
            terminal.trim()
        wall = time.monotonic() - m0
        t1 = time.time()
        central_pct = 100 * (cpu_seconds(terminal.pid) - central0) / wall
        pub_pct = 100 * (cpu_seconds(published.pid) - cpu0[published]) / wall
        twin_pct = 100 * (cpu_seconds(twin.pid) - cpu0[twin]) / wall
        listener.send_signal(signal.SIGTERM)  # it writes what it measured and ends
        listener.wait(30)
        got = json.loads(lat_file.read_text())
        reports = [json.loads(c.communicate(timeout=60)[0].strip().splitlines()[-1]) for c in children]
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if terminal is not None:
            terminal.alive = False
            try:
                os.kill(terminal.pid, signal.SIGTERM)
                os.waitpid(terminal.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        broker.stop()

    window = [(kind, x) for at, kind, x in got["lat"] if t0 <= at <= t1]
    beds_lat = [x for kind, x in window if kind != "probe"]
    probe_lat = [x for kind, x in window if kind == "probe"]
    med, p99 = statistics.median(beds_lat) if beds_lat else float("nan"), percentile(beds_lat, 99)
    pmed, pp99 = statistics.median(probe_lat) if probe_lat else float("nan"), percentile(probe_lat, 99)
    per_bed = {kind for kind, _ in window if kind != "probe"}
    listener_pct = 100 * got["cpu_s"] / got["wall_s"]
    extra = pub_pct - twin_pct
    late = sum(r["late_rounds"] for r in reports)
    skipped = sum(r["skipped_rounds"] for r in reports)
    print(
        f"over {wall:.0f} s: {len(beds_lat):,} vitals messages from {len(per_bed)} beds "
        f"({len(beds_lat) / wall:.1f} a second; polls late {late}, rounds the broker did not take in time {skipped})"
    )
    ok = p99 < 1.0
    print(
        f"  delivery latency   median {med * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms   "
        f"(a bare paho message: median {pmed * 1000:.1f} ms, p99 {pp99 * 1000:.1f} ms; target p99 < 1 s){verdict(ok)}"
    )
    figs.add(
        "mqtt_latency",
        f"delivery latency of a bedside's vitals, {args.beds} beds at 1 Hz",
        f"median {med * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms",
        peer=f"bare paho message: median {pmed * 1000:.1f} ms, p99 {pp99 * 1000:.1f} ms",
        target="p99 < 1 s",
        met=ok,
        value=p99,
    )
    ok = central_pct < 10
    print(
        f"  central station    {central_pct:5.2f} % of one core   (a bare subscriber of the same beds: "
        f"{listener_pct:.2f} %; target < 10 %){verdict(ok)}"
    )
    figs.add(
        "mqtt_central_cpu",
        f"the central station's CPU at 160x48, {args.beds} beds",
        f"{central_pct:.2f} % of a core",
        peer=f"bare paho subscriber: {listener_pct:.2f} %",
        target="< 10 %",
        met=ok,
        value=central_pct,
    )
    ok = extra < 0.5
    print(
        f"  bedside publishing {extra:+5.2f} % of one core   (the bedside with --publish {pub_pct:.2f} %, "
        f"without {twin_pct:.2f} %; target < 0.5 %){verdict(ok)}"
    )
    figs.add(
        "mqtt_bedside_extra",
        "a bedside's extra CPU for publishing",
        f"{extra:+.2f} % of a core",
        peer=f"the same bedside without --publish: {twin_pct:.2f} % (with: {pub_pct:.2f} %)",
        target="< 0.5 %",
        met=ok,
        value=extra,
    )
    figs.write(args.json, beds=args.beds, minutes=args.minutes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
