#!/usr/bin/env bash
# Runs deploy/systemd/onvm-hugepages (what onvm-hugepages.service starts)
# against a fake sysfs directory and mount table, so that no real hugepage
# reservation or mount changes:
#   - raises nr_hugepages to ONVM_HUGEPAGES when lower;
#   - never lowers it;
#   - refuses a non-numeric ONVM_HUGEPAGES and a missing sysfs directory;
#   - sees an existing hugetlbfs mount and leaves it alone.
# Usage: check_hugepages.sh REPO_ROOT
set -euo pipefail

readonly SCRIPT="$1/deploy/systemd/onvm-hugepages"
TMP="$(mktemp -d /tmp/onvm-hugepages-test.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

fail() {
  echo "FAIL: $*"
  exit 1
}

mkdir -p "$TMP/sysfs" "$TMP/hugepages"
echo 0 >"$TMP/sysfs/nr_hugepages"
echo "nodev $TMP/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0" >"$TMP/mounts"
export ONVM_HUGEPAGES_SYSFS="$TMP/sysfs" ONVM_HUGEPAGES_MOUNT="$TMP/hugepages" \
  ONVM_PROC_MOUNTS="$TMP/mounts"

run() { ONVM_HUGEPAGES="$1" sh "$SCRIPT" 2>&1; }

out="$(run 512)" || fail "raising to 512 failed: $out"
echo "$out"
[[ "$(cat "$TMP/sysfs/nr_hugepages")" == 512 ]] || fail "nr_hugepages is $(cat "$TMP/sysfs/nr_hugepages"), want 512"
grep -q "already mounted" <<<"$out" || fail "did not see the existing mount: $out"

echo 2048 >"$TMP/sysfs/nr_hugepages"
out="$(run 1024)" || fail "with more pages than asked for: $out"
echo "$out"
[[ "$(cat "$TMP/sysfs/nr_hugepages")" == 2048 ]] || fail "lowered the reservation to $(cat "$TMP/sysfs/nr_hugepages")"

if out="$(run lots)"; then fail "accepted ONVM_HUGEPAGES=lots"; fi
echo "$out"
grep -q "not a number" <<<"$out" || fail "unclear message: $out"

if out="$(ONVM_HUGEPAGES_SYSFS="$TMP/none" run 16)"; then fail "accepted a missing sysfs directory"; fi
echo "$out"

# The default from the unit, with /etc/onvm/hugepages.conf's value.
# shellcheck disable=SC1091
. "$1/deploy/systemd/hugepages.conf"
[[ "$ONVM_HUGEPAGES" == 1024 ]] || fail "hugepages.conf sets $ONVM_HUGEPAGES, want the documented 1024"
echo "OK"
