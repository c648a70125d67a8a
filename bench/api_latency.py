#!/usr/bin/python3
"""gRPC API latency: p50/p99 of GetService and Manifests.Apply at a fixed rate.

Starts onvm-engine (two net_null ports, --no-pci, its own file prefix) and
onvm-agent on loopback, then runs build/bench/onvm-bench-api-latency twice:
GetService, then Apply (each apply changes a rule, so before the call
returns it is validated, pushed to the engine, which compiles and swaps in
the new rules, and written to the state file with fsync). Stops what it
started, by pid. Target (issue 6): p99 < 5 ms at 500 requests/s. As in
production, the agent and the client run off the engine worker's CPU
(benchlib.split_cpus).

Run as root after `bash scripts/setup.sh` and a build:

  /usr/bin/python3 bench/api_latency.py [--build-dir build] [--rate 500]
      [--seconds 30]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from benchlib import Processes, free_port, scrape, split_cpus, wait_for


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--state-parent", default=None,
                    help="directory to put the agent's state dir in (default: a temp dir "
                         "under $TMPDIR); e.g. /dev/shm to leave out the disk's fsync")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    procs = Processes("onvm-bench-api-")
    state = tempfile.mkdtemp(prefix="onvm-bench-api-state-", dir=args.state_parent)
    name = f"bapi{os.getpid()}"
    api, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    start = procs.start
    engine_lcores, pin_control = split_cpus()

    rc = 0
    try:
        start([f"{build}/bin/onvm-engine", "--name", name, "--lcores", engine_lcores,
               "--port", "a=net_null0", "--port", "b=net_null1"], "engine.log")
        wait_for("the engine", lambda: os.path.exists(f"/run/onvm/{name}.sock"))
        start(pin_control + [f"{build}/bin/onvm-agent", "--engine", name, "--listen", api,
                             "--metrics-listen", metrics, "--state-dir", state], "agent.log")
        wait_for("the agent", lambda: "onvm_engine_up 1" in scrape(metrics))
        print(f"api_latency: {args.rate:.0f} calls/s for {args.seconds:.0f} s each, "
              f"agent at {api}, engine {name} (lcores {engine_lcores}), "
              f"agent and client on {' '.join(pin_control) or 'any CPU'}")
        for op in ("get", "apply"):
            r = subprocess.run(pin_control + [f"{build}/bench/onvm-bench-api-latency",
                                              "--server", api, "--op", op, "--rate", str(args.rate),
                                              "--seconds", str(args.seconds)])
            rc = rc or r.returncode
    finally:
        procs.stop_all(show_logs=rc != 0)
        shutil.rmtree(state, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
