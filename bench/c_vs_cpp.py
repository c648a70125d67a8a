#!/usr/bin/env python3
"""C NF against its C++ sibling: onvm-nf-forward-c (onvm/nf.h) and
onvm-nf-forward (onvm/nf.hpp) in the same benchmark, back to back.

Each round runs case (b) of dataplane_vs_testpmd.py -- a fresh engine on
net_null ports (64-byte frames, unbounded source), a fresh agent, chain
`bench` = [bench-fwd-1] then out, one NF busy-polling on its own CPU --
once with the C++ NF and once with the C NF (the order alternates between
rounds), and prints the Mpps forwarded out of the sink port for each, their
ratio, and how much of a CPU the engine's worker and the NF got. A
benchmark, not a test: it exits 0 whatever the figures (non-zero only when
something could not run).

  /usr/bin/python3 bench/c_vs_cpp.py --repeat 3
  # options: --bin-dir DIR (default build/bin), --seconds 5, --warmup 2,
  #   --cpus MAIN,WORKER (0,1), --nf-cpus CPU (0), --engine-arg=ARG

Safety as dataplane_vs_testpmd.py: net_null ports and --no-pci, own file
prefixes, every process stopped by pid, Ctrl-C included.
"""

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataplane_vs_testpmd as dp  # noqa: E402

NFS = (("C++", "onvm-nf-forward"), ("C", "onvm-nf-forward-c"))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin-dir", default=os.environ.get("ONVM_BIN_DIR",
                                                        os.path.join(dp.REPO, "build", "bin")))
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpus", default="0,1", help="engine MAIN,WORKER CPUs (default 0,1)")
    ap.add_argument("--nf-cpus", default="0", help="CPU the NF polls on (default 0)")
    ap.add_argument("--engine-arg", action="append", default=[])
    args = ap.parse_args()
    args.cpus = [int(x) for x in args.cpus.split(",")]
    args.nf_cpus = [int(x) for x in args.nf_cpus.split(",")]
    # What dp.measure_onvm reads besides these.
    args.perf_dir = ""
    args.protoc = "protoc"
    return args


def main():
    args = parse_args()
    if os.geteuid() != 0:
        dp.log("ERROR: run as root (DPDK needs hugepages; see scripts/setup.sh)")
        return 1
    args.bin_dir = os.path.abspath(args.bin_dir)
    for b in ("onvm-engine", "onvm-agent", "onvmctl") + tuple(n for _, n in NFS):
        if not os.access(os.path.join(args.bin_dir, b), os.X_OK):
            dp.log(f"ERROR: {args.bin_dir}/{b} is missing: build first (bash scripts/build.sh)")
            return 1
    args.workdir = tempfile.mkdtemp(prefix="onvm-cvscpp-")
    procs = dp.Processes(args.workdir)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    results = {lang: [] for lang, _ in NFS}
    rc = 0
    try:
        run_id = 0
        for rnd in range(args.repeat):
            dp.log(f"round {rnd + 1} of {args.repeat}")
            order = NFS if rnd % 2 == 0 else tuple(reversed(NFS))
            for lang, binary in order:
                run_id += 1
                case = {"key": f"b-{lang}", "kind": "b",
                        "label": f"(b) chain of 1 forward NF in {lang} ({binary})",
                        "nfs": 1, "rules": 1, "agent_rules": 1, "nf_flags": [],
                        "nf_binary": binary}
                results[lang].append(dp.measure_onvm(args, procs, run_id, case))
        print(f"C vs C++ NF: chain of one forward NF, 64-byte frames, "
              f"{args.seconds:g} s windows after {args.warmup:g} s warm-up, "
              f"{args.repeat} round(s); engine worker on CPU {args.cpus[1]}, "
              f"NF on CPU {args.nf_cpus[0]}")
        print()
        print("| NF | Mpps (best) | median | min | worker CPU | NF CPU | Mpps per NF CPU |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        best = {}
        per_cpu = {}
        for lang, binary in NFS:
            rs = results[lang]
            b = max(rs, key=lambda r: r["mpps"])
            best[lang] = b["mpps"]
            mpps = [r["mpps"] for r in rs]
            # The NF is the bottleneck of this case (its ring overflows), so
            # Mpps per CPU share it got is the figure that other processes
            # on the machine disturb least.
            per_cpu[lang] = statistics.median(
                [r["mpps"] / r["nf_cpu"] for r in rs if r["nf_cpu"] > 0] or [0])
            print(f"| {lang} `{binary}` | {b['mpps']:.2f} | {statistics.median(mpps):.2f} | "
                  f"{min(mpps):.2f} | {b['worker_cpu']:.2f} | {b['nf_cpu']:.2f} | "
                  f"{per_cpu[lang]:.2f} |")
        ratios = [c["mpps"] / p["mpps"] for c, p in zip(results["C"], results["C++"])
                  if p["mpps"] > 0]
        print()
        if best["C++"] > 0 and per_cpu["C++"] > 0:
            print(f"C / C++: {best['C'] / best['C++']:.3f} (best rounds), "
                  f"{per_cpu['C'] / per_cpu['C++']:.3f} (Mpps per NF CPU, medians); "
                  f"per round (C after or before C++ in the same round): "
                  f"{', '.join(f'{r:.3f}' for r in ratios)}")
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    except dp.Fatal as e:
        dp.log(f"ERROR: {e}")
        rc = 1
    except KeyboardInterrupt:
        dp.log("interrupted")
        rc = 130
    finally:
        procs.stop_all()
        shutil.rmtree(args.workdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
