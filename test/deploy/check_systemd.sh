#!/usr/bin/env bash
# Checks deploy/systemd/ with systemd's own tools, without systemd running
# as PID 1 (CI runs in a container):
#
#   - systemd-analyze verify --root=ROOT on the three units, with ROOT a
#     throw-away tree holding a copy of the host's unit directory, our units
#     in /etc/systemd/system, the example configuration as /etc/onvm/edge.conf
#     and the real onvm-engine / onvm-agent binaries and the hugepage script
#     where ExecStart= expects them (verify fails on a missing executable).
#     Any message at all fails the test: verify only warns about unknown
#     keys, and still exits 0;
#   - a broken copy (unknown key, missing binary) must be reported, so the
#     check is known to bite;
#   - systemd-analyze security --offline: each unit's exposure score stays
#     at or below what its hardening gives today.
#
# Usage: check_systemd.sh REPO_ROOT BIN_DIR
set -euo pipefail

readonly SRC="$1"
readonly BIN="$2"
readonly UNITS="$SRC/deploy/systemd"
# Exposure scores x10 (systemd-analyze security --threshold).
readonly ENGINE_MAX_EXPOSURE=60
readonly AGENT_MAX_EXPOSURE=42

fail() {
  echo "FAIL: $*"
  exit 1
}

command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (Debian package systemd)"
for b in onvm-engine onvm-agent; do
  [[ -x "$BIN/$b" ]] || fail "$BIN/$b is not built"
done

ROOT="$(mktemp -d /tmp/onvm-systemd-verify.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT

# A root that systemd can load units from: the host's unit files (for
# sysinit.target, network.target, ...), /lib -> usr/lib as on Debian 12.
mkdir -p "$ROOT/usr/lib/systemd" "$ROOT/etc/systemd/system" "$ROOT/etc/onvm" \
  "$ROOT/usr/local/bin" "$ROOT/usr/local/libexec/onvm"
cp -a /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
ln -s usr/lib "$ROOT/lib"
cp "$UNITS"/onvm-engine@.service "$UNITS"/onvm-agent@.service "$UNITS"/onvm-hugepages.service \
  "$ROOT/etc/systemd/system/"
cp "$UNITS/example.conf" "$ROOT/etc/onvm/edge.conf"
cp "$UNITS/hugepages.conf" "$ROOT/etc/onvm/hugepages.conf"
install -m 0755 "$UNITS/onvm-hugepages" "$ROOT/usr/local/libexec/onvm/onvm-hugepages"
install -m 0755 "$BIN/onvm-engine" "$BIN/onvm-agent" "$ROOT/usr/local/bin/"

readonly INSTANCES=(onvm-hugepages.service onvm-engine@edge.service onvm-agent@edge.service)

verify() {
  (cd "$ROOT" && systemd-analyze verify --root="$ROOT" --man=no "$@" 2>&1)
}

echo "== systemd-analyze verify ${INSTANCES[*]}"
set +e
out="$(verify "${INSTANCES[@]}")"
rc=$?
set -e
[[ $rc == 0 && -z "$out" ]] || fail "systemd-analyze verify (exit $rc):"$'\n'"$out"
echo "ok: no findings"

echo "== the check bites: an unknown key"
cp "$ROOT/etc/systemd/system/onvm-engine@.service" "$ROOT/good.service"
sed -i 's/^KillSignal=/KillSignall=/' "$ROOT/etc/systemd/system/onvm-engine@.service"
out="$(verify onvm-engine@edge.service || true)"
grep -q "Unknown key 'KillSignall'" <<<"$out" || fail "a misspelt key went unnoticed: $out"
cp "$ROOT/good.service" "$ROOT/etc/systemd/system/onvm-engine@.service"
echo "ok: reported"

echo "== the check bites: a missing ExecStart binary"
mv "$ROOT/usr/local/bin/onvm-agent" "$ROOT/onvm-agent.moved"
set +e
out="$(verify onvm-agent@edge.service)"
rc=$?
set -e
if [[ $rc == 0 ]] || ! grep -q "onvm-agent" <<<"$out"; then
  fail "a missing binary went unnoticed (exit $rc): $out"
fi
mv "$ROOT/onvm-agent.moved" "$ROOT/usr/local/bin/onvm-agent"
echo "ok: reported"

echo "== systemd-analyze security --offline"
security() {
  local unit="$1" max="$2"
  local out rc
  set +e
  out="$(cd "$ROOT" && systemd-analyze security --offline=yes --root="$ROOT" --no-pager \
    --threshold="$max" "$unit" 2>&1)"
  rc=$?
  set -e
  echo "$out" | grep "Overall exposure level" || true
  [[ $rc == 0 ]] || fail "$unit: exposure above $max/100:"$'\n'"$out"
}
security onvm-engine@edge.service "$ENGINE_MAX_EXPOSURE"
security onvm-agent@edge.service "$AGENT_MAX_EXPOSURE"

echo "OK"
