#!/usr/bin/python3
"""Shared-core NFs: idle CPU use and wake-up latency, against busy-polling NFs.

Runs, inside a network namespace it creates (and deletes), onvm-engine on a
net_af_packet veth pair, onvm-agent, and a chain of two NFs that share one
CPU, twice: once with busy-polling NFs (--idle-sleep-us 0), once with
--shared-core NFs. For each mode it prints

  idle CPU    CPU seconds per second each NF used while no packet came;
  latency     p50 / p90 / p99 of onvm_chain_latency_seconds (engine rx to the
              end of the chain, both NFs crossed) for sparse packets, one
              every --gap-ms, so that shared-core NFs are asleep each time.

Busy-polling NFs on one CPU share it by the scheduler's time slices, so
their latency is the scheduler's; shared-core NFs give the CPU up and are
woken by the engine. It is a benchmark: it reports, it does not judge.

Run as root after `bash scripts/setup.sh` and a build:

  /usr/bin/python3 bench/shared_core_wakeup.py [--bin-dir build/bin]
      [--packets 500] [--gap-ms 5] [--nf-cpu 0]

The engine runs with its default lcores (main on CPU 0, worker on CPU 1), so
the default --nf-cpu 0 keeps the NFs off the worker's CPU.
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import time

from benchlib import Processes, free_port, make_veth_pairs, metric, run_in_new_netns, scrape, \
    wait_for

BOUNDS = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 1e-1]


def quantile(q, buckets, count):
    """histogram_quantile: linear inside the bucket; +Inf -> last bound."""
    if count == 0:
        return float("nan")
    rank, prev_bound, prev_cum = q * count, 0.0, 0.0
    for bound, cum in buckets:
        if cum >= rank:
            if bound == float("inf"):
                return prev_bound
            return prev_bound + (bound - prev_bound) * (rank - prev_cum) / max(cum - prev_cum, 1)
        prev_bound, prev_cum = bound, cum
    return prev_bound


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def frame(seq):
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    udp_len = 8 + 32
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, seq & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    udp = struct.pack("!HHHH", 1000, 2000, udp_len, 0) + seq.to_bytes(4, "big") + bytes(28)
    return eth + ip + udp


def run(args):
    bin_dir = os.path.abspath(args.bin_dir)
    procs = Processes("onvm-bench-shared-")
    work = procs.work
    name = f"bsc{os.getpid()}"
    api, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    start = procs.start

    try:
        make_veth_pairs("in", "out")
        start([f"{bin_dir}/onvm-engine", "--name", name, "--idle-sleep-us", "0",
               "--port", "in=net_af_packet0,iface=in0", "--port", "out=net_af_packet1,iface=out0"],
              "engine.log")
        wait_for("the engine", lambda: os.path.exists(f"/run/onvm/{name}.sock"))
        start([f"{bin_dir}/onvm-agent", "--engine", name, "--listen", api, "--metrics-listen",
               metrics, "--state-dir", os.path.join(work, "state")], "agent.log")
        wait_for("the agent", lambda: "onvm_engine_up 1" in scrape(metrics))

        tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        tx.bind(("in1", 0))
        rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        rx.bind(("out1", 0))
        rx.settimeout(2)
        rows = []
        for mode, nf_flags in (("busy-poll", ["--idle-sleep-us", "0"]),
                               ("shared-core", ["--shared-core"])):
            chain = f"lat-{mode}"
            manifest = os.path.join(work, f"{mode}.yaml")
            with open(manifest, "w") as f:
                f.write(f"""apiVersion: onvm/v1
kind: Service
metadata: {{name: a}}
spec: {{replicas: 1}}
---
apiVersion: onvm/v1
kind: Service
metadata: {{name: b}}
spec: {{replicas: 1}}
---
apiVersion: onvm/v1
kind: Chain
metadata: {{name: {chain}}}
spec: {{services: [a, b], then: {{out: out}}}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {{name: all}}
spec: {{priority: 1, match: {{inPort: in}}, action: {{chain: {chain}}}}}
""")
            subprocess.run([f"{bin_dir}/onvmctl", "--server", api, "apply", "-f", manifest],
                           check=True, stdout=subprocess.DEVNULL)
            nfs = [start([f"{bin_dir}/onvm-nf-forward", "--engine", name, "--service", svc,
                          "--core", str(args.nf_cpu)] + nf_flags, f"nf-{mode}-{svc}.log")
                   for svc in ("a", "b")]
            wait_for("the NFs", lambda: scrape(metrics).count('onvm_nf_rx_packets_total{') >= 2)
            time.sleep(0.5)  # let them settle before measuring idle use
            before = [cpu_seconds(p.pid) for p in nfs]
            time.sleep(args.idle_seconds)
            idle = [(cpu_seconds(p.pid) - b) / args.idle_seconds for p, b in zip(nfs, before)]
            lost = 0
            for seq in range(args.packets):
                tx.send(frame(seq))
                try:
                    rx.recv(2048)
                except socket.timeout:
                    lost += 1
                time.sleep(args.gap_ms / 1000)
            wait_for("the counters", lambda: metric(
                scrape(metrics), "onvm_chain_completed_packets_total", {"chain": chain})
                     == args.packets - lost, timeout=10)
            text = scrape(metrics)
            buckets = [(b, metric(text, "onvm_chain_latency_seconds_bucket",
                                  {"chain": chain, "le": f"{b:g}"}) or 0) for b in BOUNDS]
            count = metric(text, "onvm_chain_latency_seconds_count", {"chain": chain}) or 0
            buckets.append((float("inf"), count))
            q = [quantile(x, buckets, count) * 1e6 for x in (0.5, 0.9, 0.99)]
            rows.append((mode, idle, q, lost))
            for p in nfs:
                procs.stop(p)
        print(f"\nchain of 2 onvm-nf-forward on CPU {args.nf_cpu}; {args.packets} packets, "
              f"one every {args.gap_ms} ms\n")
        print(f"{'mode':<12} {'idle CPU (a, b)':>18} {'p50 us':>9} {'p90 us':>9} {'p99 us':>9} "
              f"{'lost':>5}")
        for mode, idle, q, lost in rows:
            print(f"{mode:<12} {idle[0]:>8.2f} {idle[1]:>8.2f} {q[0]:>9.1f} {q[1]:>9.1f} "
                  f"{q[2]:>9.1f} {lost:>5}")
    finally:
        procs.stop_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", default="build/bin")
    parser.add_argument("--packets", type=int, default=500)
    parser.add_argument("--gap-ms", type=float, default=5)
    parser.add_argument("--idle-seconds", type=float, default=2)
    parser.add_argument("--nf-cpu", type=int, default=0)
    parser.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("shared_core_wakeup: run as root (hugepages, network namespaces)")
    run_in_new_netns()
    run(args)

if __name__ == "__main__":
    main()
