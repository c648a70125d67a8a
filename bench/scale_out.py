#!/usr/bin/python3
"""Scale-out: how long new replicas take to carry traffic after `scale 1 -> 4`.

Runs, inside a network namespace it creates (and deletes), onvm-engine on two
net_af_packet veth pairs, onvm-agent, and a service `fwd` whose launch spec
runs onvm-nf-forward, in a chain that all traffic from port `in` enters.
A sender thread keeps --pps UDP frames a second of --flows flows going. Each
round scales `fwd` from 1 to 4 replicas with `onvmctl scale` and polls
/metrics every 5 ms until each new replica's onvm_nf_rx_packets_total moves;
then scales back to 1 and waits until the extra replicas are gone. For each
round it prints the time from the scale call to the first packet of the
first and of the last new replica. Target (issue 6): the last one within 1 s.
It is a benchmark: it reports, it does not judge.

Run as root after `bash scripts/setup.sh` and a build:

  /usr/bin/python3 bench/scale_out.py [--bin-dir build/bin] [--rounds 5]
      [--pps 5000] [--flows 256]
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import threading
import time

from benchlib import Processes, free_port, make_veth_pairs, run_in_new_netns, scrape, wait_for


def frame(flow):
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    udp_len = 8 + 18
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 1, 1]))
    udp = struct.pack("!HHHH", 10000 + flow, 2000, udp_len, 0) + bytes(18)
    return eth + ip + udp


def instance_rx(text, service):
    """{instance id: rx packets} of `service` in a /metrics text."""
    out = {}
    prefix = f'onvm_nf_rx_packets_total{{service="{service}",instance="'
    for line in text.splitlines():
        if line.startswith(prefix):
            inst = line[len(prefix):line.index('"', len(prefix))]
            out[inst] = float(line.rsplit(" ", 1)[1])
    return out


def run(args):
    bin_dir = os.path.abspath(args.bin_dir)
    procs = Processes("onvm-bench-scale-")
    name = f"bso{os.getpid()}"
    api, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    stop_sending = threading.Event()
    ok = False

    def onvmctl(*argv):
        subprocess.run([f"{bin_dir}/onvmctl", "--server", api, *argv], check=True,
                       stdout=subprocess.DEVNULL)

    def send():
        tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        tx.bind(("in1", 0))
        frames = [frame(f) for f in range(args.flows)]
        gap, next_at, i = 1.0 / args.pps, time.monotonic(), 0
        while not stop_sending.is_set():
            tx.send(frames[i % len(frames)])
            i += 1
            next_at += gap
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    try:
        make_veth_pairs("in", "out")
        procs.start([f"{bin_dir}/onvm-engine", "--name", name, "--port",
                     "in=net_af_packet0,iface=in0", "--port", "out=net_af_packet1,iface=out0"],
                    "engine.log")
        wait_for("the engine", lambda: os.path.exists(f"/run/onvm/{name}.sock"))
        procs.start([f"{bin_dir}/onvm-agent", "--engine", name, "--listen", api,
                     "--metrics-listen", metrics, "--state-dir",
                     os.path.join(procs.work, "state")], "agent.log")
        wait_for("the agent", lambda: "onvm_engine_up 1" in scrape(metrics))
        manifest = os.path.join(procs.work, "fwd.yaml")
        with open(manifest, "w") as f:
            f.write(f"""apiVersion: onvm/v1
kind: Service
metadata: {{name: fwd}}
spec:
  replicas: 1
  launch: {{command: {bin_dir}/onvm-nf-forward, args: ["--idle-sleep-us", "20"]}}
---
apiVersion: onvm/v1
kind: Chain
metadata: {{name: through}}
spec: {{services: [fwd], then: {{out: out}}}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {{name: all}}
spec: {{priority: 1, match: {{inPort: in}}, action: {{chain: through}}}}
""")
        onvmctl("apply", "-f", manifest)
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        wait_for("the first replica to carry traffic",
                 lambda: any(v > 0 for v in instance_rx(scrape(metrics), "fwd").values()))

        rows = []
        for _ in range(args.rounds):
            before = set(instance_rx(scrape(metrics), "fwd"))
            started = time.monotonic()
            onvmctl("scale", "service", "fwd", "--replicas", "4")
            first_packet = {}
            deadline = started + 30
            while len(first_packet) < 3 and time.monotonic() < deadline:
                for inst, rx in instance_rx(scrape(metrics), "fwd").items():
                    if inst not in before and rx > 0 and inst not in first_packet:
                        first_packet[inst] = time.monotonic() - started
                time.sleep(0.005)
            if len(first_packet) < 3:
                raise SystemExit(f"scale_out: only {len(first_packet)} of 3 new replicas took "
                                 "traffic within 30 s")
            rows.append(sorted(first_packet.values()))
            onvmctl("scale", "service", "fwd", "--replicas", "1")
            wait_for("the scale-down", lambda: len(instance_rx(scrape(metrics), "fwd")) == 1,
                     timeout=60)
        print(f"\nscale fwd 1 -> 4 (onvm-nf-forward, launched by the agent); {args.pps} pps "
              f"of {args.flows} UDP flows\n")
        print(f"{'round':>5} {'first new replica ms':>21} {'last new replica ms':>20}")
        for i, times in enumerate(rows, 1):
            print(f"{i:>5} {times[0] * 1000:>21.0f} {times[-1] * 1000:>20.0f}")
        lasts = sorted(t[-1] for t in rows)
        print(f"\nlast new replica: median {lasts[len(lasts) // 2] * 1000:.0f} ms, "
              f"worst {lasts[-1] * 1000:.0f} ms")
        onvmctl("scale", "service", "fwd", "--replicas", "0")
        wait_for("the replicas to stop", lambda: not instance_rx(scrape(metrics), "fwd"),
                 timeout=60)
        ok = True
    finally:
        stop_sending.set()
        procs.stop_all(show_logs=not ok)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", default="build/bin")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pps", type=float, default=5000)
    parser.add_argument("--flows", type=int, default=256)
    parser.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("scale_out: run as root (hugepages, network namespaces)")
    run_in_new_netns()
    run(args)


if __name__ == "__main__":
    main()
