#!/usr/bin/env bash
# The demo: installs what is missing, builds, then runs onvm-engine and
# onvm-agent on virtual ports (no NIC), applies deploy/examples/demo.yaml
# with onvmctl, starts two forward NFs, replays a traffic trace through the
# chain and shows live per-port and per-NF packet rates until Ctrl-C (or for
# ONVM_DEMO_SECONDS seconds), then prints a summary and removes everything it
# started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup.sh
bash scripts/build.sh

BIN=$ROOT/build/bin
ENGINE=demo
API=${ONVM_DEMO_API:-127.0.0.1:50051}
METRICS=${ONVM_DEMO_METRICS:-127.0.0.1:9470}
SECONDS_LIMIT=${ONVM_DEMO_SECONDS:-0}
WORK=$(mktemp -d /tmp/onvm-demo.XXXXXX)
PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Stop in reverse order of start, by pid; the engine last.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "${PIDS[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ -S /run/onvm/$ENGINE.sock ] && "$BIN/onvmctl" --server "$API" get ports >/dev/null 2>&1; then
  echo "demo: an onvm demo is already running (engine \"$ENGINE\", API $API); stop it first" >&2
  exit 1
fi

/usr/bin/python3 scripts/demo_traffic.py "$WORK/traffic.pcap" 512

echo "demo: starting onvm-engine \"$ENGINE\" (ports: in = pcap replay, out = null sink)"
"$BIN/onvm-engine" --name "$ENGINE" \
  --port "in=net_pcap0,rx_pcap=$WORK/traffic.pcap,infinite_rx=1" \
  --port "out=net_null0,no-rx=1" >"$WORK/engine.log" 2>&1 &
PIDS+=($!)

echo "demo: starting onvm-agent (gRPC $API, metrics http://$METRICS/metrics)"
"$BIN/onvm-agent" --engine "$ENGINE" --listen "$API" --metrics-listen "$METRICS" \
  --state-dir "$WORK/state" >"$WORK/agent.log" 2>&1 &
PIDS+=($!)

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  for _ in $(seq $((limit * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for pid in "${PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "demo: a process exited early; logs:" >&2; tail -n 20 "$WORK"/*.log >&2; exit 1; }
    done
    sleep 0.1
  done
  echo "demo: timed out waiting for $what" >&2; tail -n 20 "$WORK"/*.log >&2; exit 1
}
wait_for 30 "the agent to reach the engine" bash -c "'$BIN/onvmctl' --server '$API' get ports | grep -q '^in '"

echo "demo: onvmctl apply -f deploy/examples/demo.yaml"
"$BIN/onvmctl" --server "$API" apply -f deploy/examples/demo.yaml

for svc in fwd-a fwd-b; do
  "$BIN/onvm-nf-forward" --engine "$ENGINE" --service "$svc" >"$WORK/nf-$svc.log" 2>&1 &
  PIDS+=($!)
done
wait_for 30 "both NFs to run" bash -c "[ \$('$BIN/onvmctl' --server '$API' get instances | grep -ci running) -ge 2 ]"
echo

scrape() { curl -sf "http://$METRICS/metrics" || true; }
# metric NAME LABEL_REGEX FILE -> value
metric() { awk -v n="$1" -v l="$2" '$1 ~ "^"n"\\{" && $1 ~ l {print $2; exit}' "$3"; }

prev=$WORK/prev.prom; cur=$WORK/cur.prom
scrape >"$prev"
start=$(date +%s)
while :; do
  sleep 1
  scrape >"$cur"
  [ -t 1 ] && printf '\033[H\033[2J'
  printf 'onvm demo — engine "%s", chain demo: in -> fwd-a -> fwd-b -> out    (%ss)\n\n' \
    "$ENGINE" $(($(date +%s) - start))
  printf '%-10s %14s %14s %16s\n' PORT RX-PPS TX-PPS DROPPED-NO-MATCH
  for p in in out; do
    printf '%-10s %14.0f %14.0f %16s\n' "$p" \
      "$(awk -v a="$(metric onvm_port_rx_packets_total "port=\"$p\"" "$cur")" -v b="$(metric onvm_port_rx_packets_total "port=\"$p\"" "$prev")" 'BEGIN{print a-b}')" \
      "$(awk -v a="$(metric onvm_port_tx_packets_total "port=\"$p\"" "$cur")" -v b="$(metric onvm_port_tx_packets_total "port=\"$p\"" "$prev")" 'BEGIN{print a-b}')" \
      "$(metric onvm_port_dropped_packets_total "port=\"$p\".*reason=\"no_match\"" "$cur")"
  done
  printf '\n%-10s %-9s %14s %14s %16s\n' SERVICE INSTANCE RX-PPS TX-PPS DROPPED-RING-FULL
  grep '^onvm_nf_rx_packets_total{' "$cur" | while read -r series value; do
    svc=$(sed -n 's/.*service="\([^"]*\)".*/\1/p' <<<"$series")
    inst=$(sed -n 's/.*instance="\([^"]*\)".*/\1/p' <<<"$series")
    sel="service=\"$svc\".*instance=\"$inst\"|instance=\"$inst\".*service=\"$svc\""
    printf '%-10s %-9s %14.0f %14.0f %16s\n' "$svc" "$inst" \
      "$(awk -v a="$value" -v b="$(metric onvm_nf_rx_packets_total "$sel" "$prev")" 'BEGIN{print a-b}')" \
      "$(awk -v a="$(metric onvm_nf_tx_packets_total "$sel" "$cur")" -v b="$(metric onvm_nf_tx_packets_total "$sel" "$prev")" 'BEGIN{print a-b}')" \
      "$(metric onvm_nf_dropped_packets_total "$sel.*reason=\"ring_full\"" "$cur")"
  done
  [ -t 1 ] && printf '\nCtrl-C stops the demo.  Try: %s/onvmctl get instances\n' "$BIN"
  cp "$cur" "$prev"
  if [ "$SECONDS_LIMIT" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$SECONDS_LIMIT" ]; then break; fi
done

echo
echo "demo summary after $(($(date +%s) - start)) s:"
grep -E '^onvm_nf_tx_packets_total\{' "$cur" | while read -r series value; do
  svc=$(sed -n 's/.*service="\([^"]*\)".*/\1/p' <<<"$series")
  printf '  NF %-6s passed %.0f packets\n' "$svc" "$value"
done
for p in in out; do
  printf '  port %-4s rx %.0f  tx %.0f packets\n' "$p" \
    "$(metric onvm_port_rx_packets_total "port=\"$p\"" "$cur")" "$(metric onvm_port_tx_packets_total "port=\"$p\"" "$cur")"
done
