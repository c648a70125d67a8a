#!/usr/bin/python3
"""Dataplane benchmark: onvm against dpdk-testpmd on the same net_null ports.

What it runs, one after the other, on the same two kinds of port
(net_null0 with size=64 as the source, net_null1 with size=64,no-rx=1 as the
sink, so that traffic flows one way only):

  testpmd   dpdk-testpmd, io forwarding, one forwarding lcore, 64-byte frames;
            forwarded Mpps = the sink port's Tx-pps that testpmd computes
            between two `show port stats 1` commands --seconds apart (see
            measure_testpmd()).
  (a)       onvm-engine, port to port by a rule with action `out` (no NF),
            with 1, 1,000 and 10,000 rules in the table (--rule-counts).
  (b)       a chain of one onvm-nf-forward.
  (c)       a chain of three onvm-nf-forward NFs.

CPUs (--cpus MAIN,WORKER, default 0,1): testpmd's main and forwarding lcores
and the engine's main lcore (its control thread) and worker lcore are pinned
alike. NFs poll on --nf-cpus (default 0: away from the worker). When NFs
share a CPU they run with --idle-sleep-us 10, or as --nf-share says (see
nf_flags()); the engine's own --idle-sleep-us does not matter here, since
net_null always has packets.

Each onvm case gets a fresh onvm-engine (unique --name, so its own DPDK file
prefix, control socket and stats segment) and a fresh onvm-agent (own state
directory, free TCP ports); the configuration is applied with `onvmctl
apply -f`; forwarded Mpps is onvm_port_tx_packets_total{port="out"} from the
agent's /metrics, sampled twice, --seconds apart, after --warmup seconds.

Rules. net_null never writes packet data, so every frame is 64 zero bytes:
ether type 0x0000, untagged, not IP. The benchmark rule is `match: {inPort:
in}` (priority 100, action out or chain). The extra rules that make up 1,000
and 10,000 are real rules that do NOT match the traffic but sit in the same
rte_acl context the zero frames are looked up in (the engine's non-IP
context): `match: {inPort: in, ethType: 0x9000+i}`, priority 200 (above the
benchmark rule), action drop. IP rules would not be consulted at all for
non-IP frames, so they would measure nothing; bench/classifier_bench.cc
covers IP rule sets.

The agent refuses more than 4,095 rules (it gives every rule an id in
1..4095, agent/desired_state.h kMaxIdsPerKind, the bound that service and
chain ids need because they travel in packet metadata). Rule counts above
that are therefore pushed straight to the engine's control socket
(onvm.engine.v1.SetConfig, encoded with `protoc --encode` from the
repository's protos) with the generation number the agent last applied, so
that the agent, which only re-pushes when the engine's applied generation
differs from its own, leaves the table alone; the script checks the
engine's log afterwards that nothing replaced it. See bench/README.md.

It is a benchmark, not a test: it prints a table (case, Mpps, ratio to
testpmd, target, PASS/MISS) and exits 0 whatever the figures are; it exits
non-zero only when something could not be run. With --repeat N the cases run
N times, interleaved; since other processes can only slow a case down, its
figure is the best round (median and min are shown next to it), and every
row shows the CPU share its forwarding thread got (see report()).

Run (as root, after `bash scripts/setup.sh` and a build):

  /usr/bin/python3 bench/dataplane_vs_testpmd.py                # build/bin
  /usr/bin/python3 bench/dataplane_vs_testpmd.py --bin-dir build-bench/bin \
      --seconds 5 --repeat 3 --perf-dir /tmp/onvm-perf

Safety: no PCI device is touched (--no-pci for testpmd, net_null ports for
the engine); every DPDK process has its own file prefix (testpmd runs
--in-memory); every process is stopped by pid on exit, Ctrl-C included, and
the state directories, logs and any DPDK files left under the names this run
chose are removed. Safe to re-run and to run next to other engines.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AGENT_MAX_RULES = 4095  # agent/desired_state.h kMaxIdsPerKind

SRC_PORT = "net_null0,size=64"
SINK_PORT = "net_null1,size=64,no-rx=1"

TARGETS = {  # case kind -> minimum ratio to testpmd
    "a": 0.8,
    "b": 0.5,
    "c": 0.3,
}
RULE_SCALING_TARGET = 0.7  # largest rule count vs 1 rule
# NF --idle-sleep-us in --nf-share idle-sleep mode (see nf_flags()).
# usleep() sleeps at least the thread's timer slack (50 us by default)
# anyway; 1, 5, 10 and 20 gave the same figures within the noise of this VM.
SHARED_CORE_SLEEP_US = 10
# A forwarding thread that got less of its CPU than this was disturbed by
# other processes: its verdict is marked as unreliable.
NOISY_CPU_SHARE = 0.9


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Fatal(Exception):
    pass


class Processes:
    """Every process this run started, stopped in reverse order by pid."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []  # (name, Popen, log path)

    def start(self, name, cmd, stdin=subprocess.DEVNULL):
        path = os.path.join(self.workdir, f"{name}.log")
        out = open(path, "wb")
        # Own session: a Ctrl-C on the terminal reaches this script only,
        # which then stops everything in order.
        p = subprocess.Popen(cmd, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        out.close()
        self.procs.append((name, p, path))
        return p, path

    def check_alive(self):
        for name, p, path in self.procs:
            if p.poll() is not None:
                raise Fatal(f"{name} (pid {p.pid}) exited with {p.returncode}:\n{tail(path)}")

    def stop(self, proc, timeout=10.0, sig=signal.SIGTERM):
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"pid {proc.pid} did not stop in {timeout:.0f} s; SIGKILL")
                proc.kill()
                proc.wait()
        self.procs = [e for e in self.procs if e[1] is not proc]

    def stop_all(self):
        for _, p, _ in reversed(list(self.procs)):
            self.stop(p)


def tail(path, n=25):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
        return "\n".join("    " + line for line in lines[-n:])
    except OSError:
        return "    (no log)"


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid, thread_prefix=None):
    """CPU time (user + system) of a process, or of its threads whose name
    starts with thread_prefix (DPDK names its lcore threads rte-worker-N)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        if thread_prefix and not comm.startswith(thread_prefix):
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout, procs, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        procs.check_alive()
        time.sleep(interval)
    raise Fatal(f"timed out after {timeout:.0f} s waiting for {what}")


def run_dir():
    d = os.environ.get("ONVM_RUN_DIR", "")
    return d if d else "/run/onvm"


def remove_dpdk_leftovers(prefix, name=None):
    """Removes what a DPDK process with this file prefix (and an engine of this
    name) may have left behind; only names this run made up."""
    removed = []
    for d in (f"/var/run/dpdk/{prefix}", f"/run/dpdk/{prefix}"):
        if os.path.isdir(d):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    try:
        with open("/proc/mounts") as f:
            mounts = [line.split()[1] for line in f if line.split()[2] == "hugetlbfs"]
    except OSError:
        mounts = []
    for m in mounts:
        try:
            entries = os.listdir(m)
        except OSError:
            continue
        for e in entries:
            if e.startswith(f"{prefix}map_"):
                os.unlink(os.path.join(m, e))
                removed.append(os.path.join(m, e))
    if name is not None:
        for f in (f"/dev/shm/onvm-{name}.stats", os.path.join(run_dir(), f"{name}.sock")):
            if os.path.exists(f):
                os.unlink(f)
                removed.append(f)
    if removed:
        log(f"removed leftovers: {' '.join(removed)}")


# --------------------------------------------------------------------------
# testpmd

TP_STATS = re.compile(r"NIC statistics for port 1\b.*?TX-packets:\s*(\d+).*?Tx-pps:\s*(\d+)", re.S)


def measure_testpmd(args, procs, run_id):
    """testpmd, io forwarding, one forwarding lcore, interactive (-i) with its
    commands on a pipe: `start`, then after --warmup seconds `show port stats
    1`, then after --seconds another. testpmd computes the Tx-pps it prints
    at the second `show` from the TX counter and the TSC between the two
    calls, so it is the sink port's forwarding rate over exactly that window
    (the script cross-checks it against dTX over its own clock). Then `stop`
    and `quit`."""
    prefix = f"onvm-dpbench-tp-{run_id}"
    main_cpu, worker_cpu = args.cpus
    cmd = [args.testpmd, "-l", f"{main_cpu},{worker_cpu}", "--main-lcore", str(main_cpu),
           "--no-pci", "--in-memory", "--file-prefix", prefix,
           "--vdev", SRC_PORT, "--vdev", SINK_PORT,
           "--", "-i", "--forward-mode=io", "--nb-cores=1"]
    log("testpmd: " + " ".join(cmd))
    p, path = procs.start("testpmd", cmd, stdin=subprocess.PIPE)

    def command(line):
        p.stdin.write((line + "\n").encode())
        p.stdin.flush()

    def prompted():
        with open(path, "rb") as f:
            return b"testpmd> " in f.read()

    try:
        wait_for("testpmd's prompt", prompted, 30, procs)
        command("start")
        time.sleep(args.warmup)
        command("show port stats 1")
        c0, w0 = cpu_seconds(p.pid, "rte-worker"), time.monotonic()
        time.sleep(args.seconds)
        command("show port stats 1")
        c1, w1 = cpu_seconds(p.pid, "rte-worker"), time.monotonic()
        perf_record(args, "testpmd", [p.pid], procs)
        command("stop")
        command("quit")
        p.stdin.close()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            log("testpmd did not quit; stopping it")
    finally:
        procs.stop(p, sig=signal.SIGINT)
        remove_dpdk_leftovers(prefix)
    # testpmd's stdout is a file, so fully buffered: read it after it quit.
    with open(path, "rb") as f:
        shown = [(int(a), int(b)) for a, b in TP_STATS.findall(f.read().decode(errors="replace"))]
    if len(shown) < 2:
        raise Fatal(f"testpmd printed {len(shown)} of 2 port stats:\n{tail(path)}")
    (tx0, _), (tx1, pps) = shown[:2]
    mpps = pps / 1e6
    share = (c1 - c0) / (w1 - w0)
    log(f"testpmd: {mpps:.2f} Mpps (its Tx-pps; dTX over this script's clock: "
        f"{(tx1 - tx0) / (w1 - w0) / 1e6:.2f}), forwarding lcore got {100 * share:.0f}% of a CPU")
    return {"mpps": mpps, "seconds": w1 - w0, "worker_cpu": share, "nf_cpu": 0.0}


# --------------------------------------------------------------------------
# onvm

def doc(kind, name, spec):
    return json.dumps({"apiVersion": "onvm/v1", "kind": kind, "metadata": {"name": name},
                       "spec": spec})


def extra_rule_spec(i):
    # 0x9000.. stays clear of 0x0800 (IPv4), 0x86dd (IPv6), 0x8100/0x88a8
    # (VLAN tags, refused) and of 0x0000, the benchmark traffic.
    return {"priority": 200, "match": {"inPort": "in", "ethType": f"0x{0x9000 + i:04x}"},
            "action": {"drop": True}}


def write_manifest(path, case):
    """YAML is a superset of JSON: one JSON object per document."""
    docs = []
    nfs = case["nfs"]
    if nfs:
        services = [f"bench-fwd-{k + 1}" for k in range(nfs)]
        for s in services:
            docs.append(doc("Service", s, {"replicas": 1}))
        docs.append(doc("Chain", "bench", {"services": services, "then": {"out": "out"}}))
        action = {"chain": "bench"}
    else:
        action = {"out": "out"}
    docs.append(doc("Rule", "bench-in", {"priority": 100, "match": {"inPort": "in"},
                                         "action": action}))
    for i in range(case["agent_rules"] - 1):
        docs.append(doc("Rule", f"bench-x-{i + 1:05d}", extra_rule_spec(i)))
    with open(path, "w") as f:
        f.write("\n---\n".join(docs) + "\n")


def text_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def push_rules_to_engine(args, name, generation, rules):
    """Sends onvm.engine.v1.SetConfig{generation, rules} (no services or
    chains: case (a) only) over the engine's control socket: 4-byte
    little-endian length, then the serialized Request. Encoded and decoded
    with protoc from the repository's protos."""
    lines = ["seq: 1", "set_config {", f"  generation: {generation}"]
    for rname, spec in rules:
        m = spec["match"]
        match = " ".join(f"{k}: {text_quote(v)}" for k, v in
                         (("in_port", m.get("inPort")), ("eth_type", m.get("ethType"))) if v)
        act = spec["action"]
        action = (f"out: {text_quote(act['out'])}" if "out" in act else "drop: true")
        lines.append(f"  rules {{ api_version: \"onvm/v1\" kind: \"Rule\" "
                     f"metadata {{ name: {text_quote(rname)} }} "
                     f"spec {{ priority: {spec['priority']} "
                     f"match {{ {match} }} action {{ {action} }} }} }}")
    lines.append("}")
    proto_dir = os.path.join(REPO, "proto")
    enc = subprocess.run([args.protoc, f"-I{proto_dir}", "--encode=onvm.engine.v1.Request",
                          "onvm/engine/v1/control.proto"], input="\n".join(lines).encode(),
                         capture_output=True, check=False)
    if enc.returncode != 0:
        raise Fatal(f"protoc --encode failed: {enc.stderr.decode(errors='replace')}")
    sock_path = os.path.join(run_dir(), f"{name}.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(120)
        s.connect(sock_path)
        s.sendall(struct.pack("<I", len(enc.stdout)) + enc.stdout)
        hdr = recv_exact(s, 4)
        body = recv_exact(s, struct.unpack("<I", hdr)[0])
    dec = subprocess.run([args.protoc, f"-I{proto_dir}", "--decode=onvm.engine.v1.Response",
                          "onvm/engine/v1/control.proto"], input=body, capture_output=True,
                         check=False)
    reply = dec.stdout.decode(errors="replace")
    if dec.returncode != 0 or re.search(r"^code:", reply, re.M):
        raise Fatal(f"engine refused the rule set: {reply or dec.stderr.decode(errors='replace')}")


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise Fatal("engine closed the control connection")
        buf += chunk
    return buf


GEN_RE = re.compile(r"config generation (\d+) applied: (\d+) service\(s\), (\d+) chain\(s\), "
                    r"(\d+) rule\(s\)")


def engine_configs(log_path):
    with open(log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    return [tuple(int(x) for x in m) for m in GEN_RE.findall(text)]


def last_compile_ms(log_path):
    with open(log_path, "rb") as f:
        compiled = re.findall(rb"rule\(s\) \(compiled in (\d+) ms\)", f.read())
    return compiled[-1].decode() if compiled else "?"


class Metrics:
    def __init__(self, addr):
        self.url = f"http://{addr}/metrics"

    def scrape(self):
        t0 = time.monotonic()
        with urllib.request.urlopen(self.url, timeout=5) as r:
            text = r.read().decode()
        t1 = time.monotonic()
        values = {}
        for line in text.splitlines():
            if line.startswith("onvm_"):
                series, _, value = line.rpartition(" ")
                values[series] = float(value)
        return (t0 + t1) / 2, values


def sum_matching(values, prefix, needle=""):
    return sum(v for k, v in values.items() if k.startswith(prefix) and needle in k)


def measure_onvm(args, procs, run_id, case):
    name = f"dpbench-{os.getpid()}-{run_id}"
    bin_dir = args.bin_dir
    api = f"127.0.0.1:{free_tcp_port()}"
    metrics_addr = f"127.0.0.1:{free_tcp_port()}"
    state_dir = os.path.join(args.workdir, f"state-{run_id}")
    manifest = os.path.join(args.workdir, f"manifest-{run_id}.yaml")
    write_manifest(manifest, case)
    ctl = [os.path.join(bin_dir, "onvmctl"), "--server", api]
    sock = os.path.join(run_dir(), f"{name}.sock")
    started = []
    try:
        ecmd = [os.path.join(bin_dir, "onvm-engine"), "--name", name,
                "--port", f"in={SRC_PORT}", "--port", f"out={SINK_PORT}",
                "--lcores", f"0@{args.cpus[0]},1@{args.cpus[1]}"] + args.engine_arg
        log(f"{case['label']}: " + " ".join(ecmd))
        engine, engine_log = procs.start(f"engine-{run_id}", ecmd)
        started.append(engine)
        wait_for("the engine's control socket", lambda: os.path.exists(sock), 30, procs)
        agent, _ = procs.start(f"agent-{run_id}", [
            os.path.join(bin_dir, "onvm-agent"), "--engine", name, "--listen", api,
            "--metrics-listen", metrics_addr, "--state-dir", state_dir])
        started.append(agent)

        def agent_sees_ports():
            r = subprocess.run(ctl + ["get", "ports"], capture_output=True, check=False)
            return r.returncode == 0 and re.search(rb"^in\s", r.stdout, re.M) is not None
        wait_for("the agent to reach the engine", agent_sees_ports, 30, procs, 0.2)

        t = time.monotonic()
        r = subprocess.run(ctl + ["apply", "-f", manifest], capture_output=True, check=False)
        if r.returncode != 0:
            raise Fatal(f"onvmctl apply -f failed: {r.stderr.decode(errors='replace')}")
        want = (case["nfs"], 1 if case["nfs"] else 0, case["agent_rules"])
        wait_for("the engine to apply the manifest",
                 lambda: any(c[1:] == want for c in engine_configs(engine_log)), 120, procs)
        log(f"{case['label']}: applied {case['agent_rules']} rule(s) through the agent "
            f"in {time.monotonic() - t:.1f} s; the engine compiled them in "
            f"{last_compile_ms(engine_log)} ms")

        if case["rules"] > case["agent_rules"]:
            generation = engine_configs(engine_log)[-1][0]
            rules = [("bench-in", {"priority": 100, "match": {"inPort": "in"},
                                   "action": {"out": "out"}})]
            rules += [(f"bench-x-{i + 1:05d}", extra_rule_spec(i))
                      for i in range(case["rules"] - 1)]
            t = time.monotonic()
            push_rules_to_engine(args, name, generation, rules)
            log(f"{case['label']}: pushed {len(rules)} rules to the engine's control socket "
                f"(generation {generation}) in {time.monotonic() - t:.1f} s; the engine "
                f"compiled them in {last_compile_ms(engine_log)} ms")

        for k in range(case["nfs"]):
            cpu = args.nf_cpus[k % len(args.nf_cpus)]
            ncmd = [os.path.join(bin_dir, case.get("nf_binary", "onvm-nf-forward")),
                    "--engine", name,
                    "--service", f"bench-fwd-{k + 1}", "--core", str(cpu)]
            ncmd += case["nf_flags"]
            nf, _ = procs.start(f"nf-{run_id}-{k + 1}", ncmd)
            started.append(nf)

        metrics = Metrics(metrics_addr)
        out_tx = 'onvm_port_tx_packets_total{port="out"}'

        def forwarding():
            try:
                return metrics.scrape()[1].get(out_tx, 0) > 0
            except OSError:
                return False
        wait_for("packets on port out", forwarding, 30, procs, 0.2)

        nf_pids = [p.pid for p in started[2:]]
        time.sleep(args.warmup)
        c0 = cpu_seconds(engine.pid, "rte-worker"), sum(cpu_seconds(p) for p in nf_pids)
        t0, v0 = metrics.scrape()
        time.sleep(args.seconds)
        t1, v1 = metrics.scrape()
        c1 = cpu_seconds(engine.pid, "rte-worker"), sum(cpu_seconds(p) for p in nf_pids)
        procs.check_alive()
        dt = t1 - t0

        def rate(prefix, needle=""):
            return (sum_matching(v1, prefix, needle) - sum_matching(v0, prefix, needle)) / dt / 1e6

        result = {
            "mpps": rate(out_tx),
            "rx_mpps": rate('onvm_port_rx_packets_total{port="in"}'),
            "ring_full_mpps": rate("onvm_nf_dropped_packets_total", 'reason="ring_full"'),
            "no_match_mpps": rate("onvm_port_dropped_packets_total", 'reason="no_match"'),
            "seconds": dt,
            "worker_cpu": (c1[0] - c0[0]) / dt,
            "nf_cpu": (c1[1] - c0[1]) / dt,
        }
        pids = [engine.pid] + nf_pids
        perf_record(args, case["key"], pids, procs)

        configs = engine_configs(engine_log)
        if case["rules"] > case["agent_rules"] and configs[-1][3] != case["rules"]:
            raise Fatal(f"{case['label']}: the engine's rule set was replaced during the run "
                        f"(last config: {configs[-1]})")
        log(f"{case['label']}: {result['mpps']:.2f} Mpps out (in: {result['rx_mpps']:.2f} Mpps, "
            f"ring_full drops {result['ring_full_mpps']:.2f} Mpps) over {dt:.1f} s; engine "
            f"worker got {100 * result['worker_cpu']:.0f}% of a CPU, NFs "
            f"{100 * result['nf_cpu']:.0f}%")
        return result
    finally:
        for p in reversed(started):
            procs.stop(p)
        remove_dpdk_leftovers(f"onvm-{name}", name)
        shutil.rmtree(state_dir, ignore_errors=True)


def perf_record(args, key, pids, procs):
    """Optional: a perf profile of the running case (after its window)."""
    if not args.perf_dir:
        return
    os.makedirs(args.perf_dir, exist_ok=True)
    for pid in pids:
        comm = open(f"/proc/{pid}/comm").read().strip()
        base = os.path.join(args.perf_dir, f"{key}.{comm}.{pid}")
        subprocess.run([args.perf, "record", "-g", "-q", "-o", base + ".data", "-p", str(pid),
                        "--", "sleep", str(args.perf_seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        with open(base + ".txt", "w") as out:
            subprocess.run([args.perf, "report", "-i", base + ".data", "--stdio", "--no-children",
                            "--sort", "dso,sym", "-g", "none", "--percent-limit", "0.5"],
                           stdout=out, stderr=subprocess.DEVNULL, check=False)
        log(f"perf: {base}.txt")


# --------------------------------------------------------------------------

def nf_flags(args, nfs):
    """Flags for the NFs of a case. An NF with a CPU of its own busy-polls.
    NFs that share a CPU run as --nf-share says: `idle-sleep` (default:
    --idle-sleep-us N, usleep after 1000 empty polls), `shared-core` (the
    SDK's --shared-core: sleep on an empty ring, woken by the engine; newer
    SDKs only) or `busy`. Busy-polling NFs on one CPU are time-sliced by the
    kernel's scheduler (milliseconds), so each NF's ring overflows while it
    waits for its turn; at saturation idle-sleep measured best (README)."""
    if nfs <= len(set(args.nf_cpus)):
        return []
    mode = args.nf_share
    if mode == "shared-core":
        return ["--shared-core"]
    if mode == "idle-sleep":
        return ["--idle-sleep-us", str(args.nf_idle_sleep_us)]
    return []


def build_cases(args):
    cases = []
    for n in args.rule_counts:
        label = f"(a) port to port, {n:,} rule" + ("s" if n != 1 else "")
        cases.append({"key": f"a-{n}", "kind": "a", "label": label,
                      "nfs": 0, "rules": n, "nf_flags": [],
                      "agent_rules": n if n <= AGENT_MAX_RULES else 1})
    if "b" in args.cases:
        cases.append({"key": "b", "kind": "b", "label": "(b) chain of 1 forward NF",
                      "nfs": 1, "rules": 1, "agent_rules": 1, "nf_flags": nf_flags(args, 1)})
    if "c" in args.cases:
        cases.append({"key": "c", "kind": "c", "label": "(c) chain of 3 forward NFs",
                      "nfs": 3, "rules": 1, "agent_rules": 1, "nf_flags": nf_flags(args, 3)})
    if "a" not in args.cases:
        cases = [c for c in cases if c["kind"] != "a"]
    return cases


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default=os.environ.get("ONVM_BIN_DIR",
                                                        os.path.join(REPO, "build", "bin")))
    ap.add_argument("--seconds", type=float, default=5.0, help="measurement window (default 5)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds before it (default 2)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of every case, interleaved; the table shows medians")
    ap.add_argument("--cases", default="a,b,c", help="subset of a,b,c (default all)")
    ap.add_argument("--rule-counts", default="1,1000,10000",
                    help="rule counts for case (a) (default 1,1000,10000)")
    ap.add_argument("--cpus", default="0,1",
                    help="MAIN,WORKER CPUs for testpmd and the engine (default 0,1)")
    ap.add_argument("--nf-cpus", default="0",
                    help="CPUs the NFs poll on, used in turn (default 0: all on the CPU that "
                         "testpmd/engine's main lcore has, away from the worker)")
    ap.add_argument("--nf-share", default="idle-sleep",
                    choices=("idle-sleep", "shared-core", "busy"),
                    help="how NFs that share a CPU wait for packets (default idle-sleep)")
    ap.add_argument("--nf-idle-sleep-us", type=int, default=SHARED_CORE_SLEEP_US,
                    help=f"NF --idle-sleep-us in idle-sleep mode (default {SHARED_CORE_SLEEP_US})")
    ap.add_argument("--engine-arg", action="append", default=[],
                    help="extra onvm-engine argument (repeatable), "
                         "e.g. --engine-arg=--ring-size=8192")
    ap.add_argument("--testpmd", default=shutil.which("dpdk-testpmd") or "dpdk-testpmd")
    ap.add_argument("--protoc", default=shutil.which("protoc") or "protoc")
    ap.add_argument("--perf-dir", default="",
                    help="record a perf profile of every case into this directory (kept)")
    ap.add_argument("--perf-seconds", type=float, default=3.0)
    ap.add_argument("--perf", default=shutil.which("perf") or "perf")
    args = ap.parse_args()
    args.cases = set(args.cases.split(","))
    args.rule_counts = [int(x) for x in args.rule_counts.split(",") if x]
    args.cpus = [int(x) for x in args.cpus.split(",")]
    args.nf_cpus = [int(x) for x in args.nf_cpus.split(",")]
    if len(args.cpus) != 2:
        ap.error("--cpus wants MAIN,WORKER")
    return args


def preflight(args):
    if os.geteuid() != 0:
        raise Fatal("run as root (DPDK needs hugepages; see scripts/setup.sh)")
    for b in ("onvm-engine", "onvm-agent", "onvmctl", "onvm-nf-forward"):
        if not os.access(os.path.join(args.bin_dir, b), os.X_OK):
            raise Fatal(f"{args.bin_dir}/{b} is missing: build first (bash scripts/build.sh)")
    if not shutil.which(args.testpmd) and not os.access(args.testpmd, os.X_OK):
        raise Fatal("dpdk-testpmd is missing: apt-get install dpdk-dev")
    if max(args.rule_counts, default=0) > AGENT_MAX_RULES and not shutil.which(args.protoc):
        raise Fatal("protoc is missing (needed above 4,095 rules): "
                    "apt-get install protobuf-compiler")
    if args.perf_dir and not shutil.which(args.perf):
        raise Fatal("perf is missing: apt-get install linux-perf")
    if not os.path.isdir(run_dir()):
        raise Fatal(f"{run_dir()} is missing: bash scripts/setup.sh")


def verdict(ratio, target):
    return "PASS" if ratio >= target else "MISS"


def report(args, cases, results):
    """Markdown tables. Other processes on the machine can only slow a case
    down, so the figure of a case is its best round; the ratios and verdicts
    compare best with best. `Mpps per worker CPU` divides each round's Mpps by
    the CPU share its forwarding thread got (testpmd's forwarding lcore, the
    engine's worker lcore), an estimate of what a whole CPU gives; it is shown
    for the single-thread cases only (testpmd and (a)), as the median over
    the rounds."""
    med = statistics.median
    tp = results["testpmd"]

    def best(rs):
        return max(rs, key=lambda r: r["mpps"])

    def per_cpu(rs):
        return med(r["mpps"] / max(r["worker_cpu"], 1e-3) for r in rs)

    tp_best = best(tp)["mpps"]
    tp_per_cpu = per_cpu(tp)
    print()
    print(f"dataplane benchmark: 64-byte frames, {SRC_PORT} -> {SINK_PORT}; {args.seconds:g} s "
          f"windows after {args.warmup:g} s warm-up; {args.repeat} round(s); main/worker CPUs "
          f"{args.cpus[0]}/{args.cpus[1]}, NFs on CPU(s) {','.join(map(str, args.nf_cpus))}, "
          "NF flags: "
          + ", ".join(f"{c['label'][:3]} {' '.join(c['nf_flags']) or 'busy-poll'}"
                      for c in cases if c["nfs"])
          + (f", engine {' '.join(args.engine_arg)}" if args.engine_arg else ""))
    print(f"load average (1 min): {args.load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    print()
    print("| case | Mpps (best) | median | min | x testpmd | target | result | worker CPU "
          "| NFs CPU | Mpps per worker CPU | x testpmd per CPU |")
    print("|---|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|")

    def row(label, rs, ratio="1.00x", target="", result="", norm=""):
        b = best(rs)
        v = [r["mpps"] for r in rs]
        nfs = f"{b['nf_cpu']:.2f}" if b["nf_cpu"] else ""
        print(f"| {label} | {b['mpps']:.2f} | {med(v):.2f} | {min(v):.2f} | {ratio} | {target} "
              f"| {result} | {b['worker_cpu']:.2f} | {nfs} | {norm} |")

    row("testpmd io, 1 forwarding lcore", tp, norm=f"{tp_per_cpu:.2f} | 1.00x")
    bests = {}
    norms = {}
    for c in cases:
        rs = results[c["key"]]
        bests[c["key"]] = best(rs)["mpps"]
        ratio = bests[c["key"]] / tp_best
        target = TARGETS[c["kind"]]
        if c["kind"] == "a":
            norms[c["key"]] = per_cpu(rs)
            norm = f"{norms[c['key']]:.2f} | {norms[c['key']] / tp_per_cpu:.2f}x"
        else:
            norm = "- | -"
        noisy = min(best(rs)["worker_cpu"], best(tp)["worker_cpu"]) < NOISY_CPU_SHARE
        row(c["label"], rs, f"{ratio:.2f}x", f">={target:.1f}x",
            verdict(ratio, target) + ("*" if noisy else ""), norm)
    counts = [c for c in cases if c["kind"] == "a"]
    one = [c for c in counts if c["rules"] == 1]
    for c in counts if one else []:
        if c["rules"] == 1:
            continue
        ratio = bests[c["key"]] / bests[one[0]["key"]]
        ratio_cpu = norms[c["key"]] / norms[one[0]["key"]]
        noisy = min(best(results[k])["worker_cpu"]
                    for k in (c["key"], one[0]["key"])) < NOISY_CPU_SHARE
        print(f"| (a) {c['rules']:,} rules vs 1 rule | | | | {ratio:.2f}x "
              f"| >={RULE_SCALING_TARGET:.1f}x "
              f"| {verdict(ratio, RULE_SCALING_TARGET)}{'*' if noisy else ''} | | "
              f"| | {ratio_cpu:.2f}x |")
    print()
    print("| case (best round) | rx on port in, Mpps | dropped at full NF rings, Mpps "
          "| dropped no_match, Mpps |")
    print("|---|---:|---:|---:|")
    for c in cases:
        b = best(results[c["key"]])
        print(f"| {c['label']} | {b['rx_mpps']:.2f} | {b['ring_full_mpps']:.2f} "
              f"| {b['no_match_mpps']:.2f} |")
    print()
    print("Mpps: forwarded out of the sink port, best of the rounds (median, min); x testpmd and")
    print("verdicts compare best rounds. worker CPU, NFs CPU: in the best round, the share of one")
    print("CPU that the forwarding thread (testpmd's forwarding lcore, the engine's worker lcore)")
    print("and all NF processes together got; below 1.00 other processes took the CPU. Mpps per")
    print("worker CPU: median over the rounds of Mpps / worker CPU. *: in a best round compared")
    print(f"the forwarding thread got less than {NOISY_CPU_SHARE:.2f} of a CPU, so the verdict is "
          "unreliable;")
    print("compare the per-CPU columns. A MISS is reported, not failed.")


def main():
    args = parse_args()
    preflight(args)
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.workdir = tempfile.mkdtemp(prefix="onvm-dpbench-")
    args.load_start = os.getloadavg()[0]
    procs = Processes(args.workdir)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt
    # Explicitly: a shell starts background jobs with SIGINT ignored, and
    # Python keeps it that way.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    cases = build_cases(args)
    results = {"testpmd": []}
    for c in cases:
        results[c["key"]] = []
    rc = 0
    try:
        run_id = 0
        for rnd in range(args.repeat):
            log(f"round {rnd + 1} of {args.repeat}")
            run_id += 1
            results["testpmd"].append(measure_testpmd(args, procs, f"{os.getpid()}-{run_id}"))
            for c in cases:
                run_id += 1
                results[c["key"]].append(measure_onvm(args, procs, run_id, c))
        report(args, cases, results)
    except Fatal as e:
        log(f"ERROR: {e}")
        rc = 1
    except KeyboardInterrupt:
        log("interrupted")
        rc = 130
    finally:
        procs.stop_all()
        shutil.rmtree(args.workdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
