#!/usr/bin/env bash
# The demo: an engine with two ports, a forwarding NF, the agent, and
# onvmctl showing traffic. For now it only prepares the machine and builds.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh

# TODO(lead): start the demo here, once the engine, the agent and the NFs
# exist. Outline:
#   - a network namespace with a veth pair for traffic (never a real NIC);
#   - build/bin/onvm-engine --name demo --port wan=net_af_packet0,iface=... \
#       --port lan=net_af_packet1,iface=... (inside the namespace);
#   - build/bin/onvm-agent --engine demo --listen 127.0.0.1:50051 \
#       --metrics-listen 127.0.0.1:9470 --state-dir "$(mktemp -d)";
#   - build/bin/onvmctl apply -f deploy/examples/... ; onvmctl get/top;
#   - traffic, then curl http://127.0.0.1:9470/metrics;
#   - a trap that stops every process it started (by pid) and deletes the
#     namespace.
echo "demo: not implemented yet (the engine does not exist yet); setup and build done"
