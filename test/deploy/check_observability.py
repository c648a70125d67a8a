#!/usr/bin/python3
"""Static checks of deploy/grafana/onvm-dashboard.json and
deploy/prometheus/onvm-alerts.yml (promtool checks the syntax; this checks
what promtool cannot):

- the dashboard is importable Grafana JSON (schemaVersion >= 36, unique
  panel ids, a grid that fits 24 columns), every panel queries the
  datasource variable ${DS_PROMETHEUS}, every target has an expression;
- it has the panels the deployment promises: port rx/tx packet and bit
  rates, NF rx/tx rates, drops by reason for ports, NFs and the engine;
- every onvm_* metric the dashboard or the alerts use is one the agent
  exports (agent/metrics_collector.cc); the only exception is the chain
  latency histogram in the alert marked as waiting for the engine;
- the commented Kubernetes service-discovery job of prometheus.yml, once
  uncommented in place of the static job, passes `promtool check config`.

Usage: check_observability.py REPO_ROOT
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ERRORS = []

# Metrics that rules may name before the agent exports them, with the text
# that must mark each such rule.
FUTURE_METRICS = {}

METRIC_RE = re.compile(r"\bonvm_[a-z0-9_]+\b")


def error(message):
    ERRORS.append(message)


def exported_metrics(root):
    with open(os.path.join(root, "agent", "metrics_collector.cc"), encoding="utf-8") as f:
        source = f.read()
    names = set(re.findall(r'"(onvm_[a-z0-9_]+)"', source))
    # A histogram family is scraped as NAME_bucket, NAME_sum and NAME_count.
    for family in re.findall(r'"(onvm_[a-z0-9_]+)",[^;]*?MetricType::Histogram', source, re.S):
        names.update(family + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def check_dashboard(root, exported):
    path = os.path.join(root, "deploy", "grafana", "onvm-dashboard.json")
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    if dash.get("schemaVersion", 0) < 36:
        error(f"dashboard: schemaVersion {dash.get('schemaVersion')} < 36")
    for key in ("title", "uid", "panels", "templating"):
        if key not in dash:
            error(f"dashboard: no {key}")
    variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("DS_PROMETHEUS")
    if ds is None or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        error("dashboard: no datasource variable DS_PROMETHEUS of type prometheus")
    ids = set()
    exprs = []
    for panel in all_panels(dash["panels"]):
        pid = panel.get("id")
        if pid in ids:
            error(f"dashboard: duplicate panel id {pid}")
        ids.add(pid)
        grid = panel.get("gridPos", {})
        if grid.get("x", 0) + grid.get("w", 0) > 24 or not grid.get("h"):
            error(f"dashboard: panel {panel.get('title')}: bad gridPos {grid}")
        if panel.get("type") == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            error(f"dashboard: panel {panel.get('title')} does not use ${{DS_PROMETHEUS}}")
        if not panel.get("description"):
            error(f"dashboard: panel {panel.get('title')} has no description")
        targets = panel.get("targets", [])
        if not targets:
            error(f"dashboard: panel {panel.get('title')} has no targets")
        for t in targets:
            if not t.get("expr") or not t.get("refId"):
                error(f"dashboard: panel {panel.get('title')}: a target without expr or refId")
            else:
                exprs.append((panel["title"], t["expr"]))
    for var in variables.values():
        if var.get("type") == "query":
            exprs.append((f"variable {var['name']}", var["query"]["query"]))
    used = set()
    for where, expr in exprs:
        for metric in METRIC_RE.findall(expr):
            used.add(metric)
            if metric not in exported:
                error(f"dashboard: {where} uses {metric}, which the agent does not export")
    for required in ("onvm_engine_up", "onvm_port_rx_packets_total", "onvm_port_tx_packets_total",
                     "onvm_port_rx_bytes_total", "onvm_port_tx_bytes_total",
                     "onvm_nf_rx_packets_total", "onvm_nf_tx_packets_total",
                     "onvm_port_dropped_packets_total", "onvm_nf_dropped_packets_total",
                     "onvm_engine_dropped_packets_total"):
        if required not in used:
            error(f"dashboard: no panel shows {required}")
    print(f"dashboard: {len(ids)} panels, {len(exprs)} expressions, metrics {sorted(used)}")


def check_alerts(root, exported):
    path = os.path.join(root, "deploy", "prometheus", "onvm-alerts.yml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    rules = [r for g in yaml.safe_load(text)["groups"] for r in g["rules"]]
    names = []
    for rule in rules:
        names.append(rule.get("alert") or rule.get("record"))
        for metric in METRIC_RE.findall(rule["expr"]):
            if metric in exported:
                continue
            marker = FUTURE_METRICS.get(metric)
            if marker is None:
                error(f"alerts: {names[-1]} uses {metric}, which the agent does not export")
                continue
            # The marking comment must sit right above this rule.
            start = text.index(f"alert: {names[-1]}")
            comment = text[max(0, start - 600):start]
            if marker not in comment:
                error(f"alerts: {names[-1]} uses {metric} without the comment '{marker}'")
        for key in ("summary", "description"):
            if key not in rule.get("annotations", {}):
                error(f"alerts: {names[-1]} has no {key}")
        if "severity" not in rule.get("labels", {}):
            error(f"alerts: {names[-1]} has no severity")
    for want in ("OnvmEngineDown", "OnvmNfCrashLooping", "OnvmPortDrops", "OnvmNfRingFull",
                 "OnvmEngineDrops", "OnvmChainLatencyHigh"):
        if want not in names:
            error(f"alerts: no {want}")
    print(f"alerts: {len(rules)} rules: {', '.join(names)}")


def check_kubernetes_sd_job(root):
    path = os.path.join(root, "deploy", "prometheus", "prometheus.yml")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = next((i for i, l in enumerate(lines) if l.strip() == "# - job_name: onvm-agent"), None)
    if start is None:
        error("prometheus.yml: no commented Kubernetes job (# - job_name: onvm-agent)")
        return
    sd_job = []
    for line in lines[start:]:
        if not line.startswith("  #"):
            break
        sd_job.append(line.replace("  # ", "  ", 1).replace("  #", "", 1))
    static_start = next(i for i, l in enumerate(lines) if l.strip() == "- job_name: onvm-agent")
    static_end = next(i for i in range(static_start + 1, len(lines))
                      if not lines[i].startswith("    ") and lines[i].strip())
    config = lines[:static_start] + sd_job + lines[static_end:start]
    promtool = shutil.which("promtool")
    if promtool is None:
        error("promtool is not installed (Debian package prometheus)")
        return
    if "kubernetes_sd_configs:" not in "\n".join(sd_job):
        error("prometheus.yml: the commented job has no kubernetes_sd_configs")
        return
    with tempfile.TemporaryDirectory(prefix="onvm-promconfig.") as tmp:
        shutil.copy(os.path.join(root, "deploy", "prometheus", "onvm-alerts.yml"), tmp)
        variant = os.path.join(tmp, "prometheus.yml")

        def promtool_check(config_lines):
            with open(variant, "w", encoding="utf-8") as f:
                f.write("\n".join(config_lines) + "\n")
            return subprocess.run([promtool, "check", "config", variant], capture_output=True,
                                  text=True, check=False)

        r = promtool_check(config)
        if r.returncode != 0 and "field kubernetes_sd_configs not found" in r.stdout + r.stderr:
            # Debian builds Prometheus without Kubernetes discovery (its
            # client library is not packaged). Check the rest of the job
            # (relabelling rules: regexes, actions, labels) with the
            # discovery block swapped for a static target.
            print("prometheus.yml: this promtool has no kubernetes_sd_configs (Debian's build); "
                  "checking the Kubernetes job's relabel_configs with a static target instead")
            swapped = []
            skipping = False
            for line in config:
                if line.strip() == "kubernetes_sd_configs:":
                    indent = line[:len(line) - len(line.lstrip())]
                    swapped += [f"{indent}static_configs:", f"{indent}  - targets: [\"node-1:9470\"]"]
                    skipping = True
                    continue
                if skipping and (line.startswith(indent + " ") or not line.strip()):
                    continue
                skipping = False
                swapped.append(line)
            config = swapped
            r = promtool_check(config)
        if r.returncode != 0:
            error(f"prometheus.yml, Kubernetes job uncommented: promtool check config failed:\n"
                  f"{r.stdout}{r.stderr}\n" + "\n".join(config))
        else:
            print("prometheus.yml: the Kubernetes job passes promtool check config")


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    exported = exported_metrics(root)
    if "onvm_engine_up" not in exported:
        print(f"cannot read the agent's metric names (found {sorted(exported)})")
        return 1
    check_dashboard(root, exported)
    check_alerts(root, exported)
    check_kubernetes_sd_job(root)
    if ERRORS:
        print(f"{len(ERRORS)} errors:")
        for e in ERRORS:
            print(f"  {e}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
