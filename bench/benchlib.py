"""What the Python benchmarks share: ports, polling, /metrics, processes,
and a private network namespace with veth pairs.

Imported by the scripts next to it (bench/*.py); not a public module.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout=30, who=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"{who or os.path.basename(sys.argv[0])}: timed out waiting for {what}")


def scrape(metrics):
    """The /metrics text of an agent at host:port, or "" if unreachable."""
    try:
        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=2) as r:
            return r.read().decode()
    except OSError:
        return ""


def metric(text, name, labels):
    """One sample with exactly `labels` (a dict, in exposition order), or None."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(r"^" + re.escape(name) + r"\{" + re.escape(want) + r"\} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def split_cpus():
    """(engine --lcores value, prefix that pins a control-plane command).

    The engine's worker busy-polls; a control-plane process the scheduler
    puts on that CPU waits a whole time slice for it. Production keeps the
    agent off the data-path cores, so the benchmarks do too: the worker gets
    the last CPU, the engine's control thread, the agent and the clients the
    rest. On a single CPU nothing can be kept apart.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return f"0@{cpus[0]},1@{cpus[0]}", []
    control = ",".join(str(c) for c in cpus[:-1])
    return f"0@{cpus[0]},1@{cpus[-1]}", ["taskset", "-c", control]


class Processes:
    """Processes a benchmark starts, each logging to a file in `work`; stop()
    ends them all, newest first, by pid."""

    def __init__(self, prefix):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.procs = []

    def start(self, argv, log):
        p = subprocess.Popen(argv, stdout=open(os.path.join(self.work, log), "w"),
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    @staticmethod
    def stop_one(p, grace=10):
        p.terminate()
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def stop(self, p):
        self.stop_one(p)
        self.procs.remove(p)

    def stop_all(self, show_logs=False):
        for p in reversed(self.procs):
            self.stop_one(p)
        self.procs = []
        if show_logs:
            for log in sorted(os.listdir(self.work)):
                if log.endswith(".log"):
                    with open(os.path.join(self.work, log)) as f:
                        sys.stderr.write(f"--- {log}\n{f.read()[-3000:]}")
        subprocess.run(["rm", "-rf", self.work])


def run_in_new_netns(argv_flag="--in-netns"):
    """Re-runs this script inside a network namespace of its own (deleted
    afterwards) and exits with its status, unless `argv_flag` is given,
    which means we are already inside."""
    if argv_flag in sys.argv:
        return
    ns = f"onvm-bench-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(sys.argv[0]),
                             argv_flag] + sys.argv[1:]).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    sys.exit(rc)


def make_veth_pairs(*names):
    """In the current namespace: lo up, IPv6 off (so the kernel sends nothing
    of its own on the links) and a veth pair NAME0/NAME1 per name, up."""
    for key in ("all", "default"):
        subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"], check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for name in names:
        subprocess.run(["ip", "link", "add", f"{name}0", "type", "veth", "peer", "name",
                        f"{name}1"], check=True)
        for dev in (f"{name}0", f"{name}1"):
            subprocess.run(["ip", "link", "set", dev, "up"], check=True)
