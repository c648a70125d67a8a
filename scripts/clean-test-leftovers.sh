#!/usr/bin/env bash
# Removes what crashed or killed tests left behind, and nothing else:
#   - for engines named test-* (DPDK file prefix onvm-test-*): their DPDK
#     runtime directory, hugepage files, stats segment and control socket,
#     unless a live process still uses, maps or names them;
#   - network namespaces onvm-test-<pid>-<n> whose test process <pid> is gone;
#   - fake stats segments /dev/shm/onvm-agenttest-<pid>-<n>.stats (agent unit
#     tests) whose test process <pid> is gone.
# A deployment's engines never have names starting with "test-"; see
# onvm::testing::UniqueName().
set -euo pipefail
shopt -s nullglob

acted=0
step() {
  echo "clean: $*"
  acted=1
}

# Prefixes (onvm-test-...) with something on disk.
declare -A prefixes=()
for dir in /var/run/dpdk/onvm-test-* /run/dpdk/onvm-test-*; do
  prefixes["$(basename "$dir")"]=1
done
mapfile -t hugetlbfs_mounts < <(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts)
for mnt in "${hugetlbfs_mounts[@]}"; do
  for file in "$mnt"/onvm-test-*map_*; do
    base="$(basename "$file")"
    prefixes["${base%map_*}"]=1
  done
done
for file in /dev/shm/onvm-test-*.stats; do
  prefixes["$(basename "$file" .stats)"]=1
done
for file in /run/onvm/test-*.sock; do
  prefixes["onvm-$(basename "$file" .sock)"]=1
done

if ((${#prefixes[@]} > 0)); then
  # What every live process names on its command line, maps, or holds open.
  usage="$(mktemp)"
  trap 'rm -f "$usage"' EXIT
  for proc in /proc/[0-9]*; do
    {
      tr '\0' ' ' <"$proc/cmdline"
      echo
      awk '{ print $6 }' "$proc/maps"
      find "$proc/fd" -maxdepth 1 -type l -printf '%l\n'
    } 2>/dev/null || true
  done >"$usage"

  for prefix in "${!prefixes[@]}"; do
    name="${prefix#onvm-}"
    if grep -qE -- "(--name|--engine|--file-prefix)[ =]($name|$prefix)( |\$)" "$usage" ||
      grep -qF -e "/${prefix}map_" -e "/dpdk/${prefix}/" -e "/${prefix}.stats" \
        -e "/run/onvm/${name}.sock" "$usage"; then
      step "keeping $prefix: a live process uses it"
      continue
    fi
    step "removing leftovers of dead engine $name (DPDK prefix $prefix)"
    rm -rf -- "/var/run/dpdk/$prefix" "/run/dpdk/$prefix"
    for mnt in "${hugetlbfs_mounts[@]}"; do
      rm -f -- "$mnt/$prefix"map_*
    done
    rm -f -- "/dev/shm/$prefix.stats" "/run/onvm/$name.sock"
  done
fi

# Fake stats segments of agent unit tests that are gone.
for file in /dev/shm/onvm-agenttest-*.stats; do
  if [[ "$(basename "$file")" =~ ^onvm-agenttest-([0-9]+)-[0-9]+\.stats$ ]] &&
    [[ ! -d "/proc/${BASH_REMATCH[1]}" ]]; then
    step "removing $file of dead test pid ${BASH_REMATCH[1]}"
    rm -f -- "$file"
  fi
done

# Network namespaces of test processes that are gone.
if command -v ip >/dev/null; then
  while read -r ns _; do
    if [[ "$ns" =~ ^onvm-test-([0-9]+)-[0-9]+$ ]]; then
      owner="${BASH_REMATCH[1]}"
      if [[ -d "/proc/$owner" ]]; then
        step "keeping netns $ns: its test (pid $owner) is running"
      else
        step "removing netns $ns of dead test pid $owner"
        ip netns del "$ns" || true
      fi
    fi
  done < <(ip netns list 2>/dev/null || true)
fi

if ((acted == 0)); then
  echo "clean: no leftovers of test engines or test namespaces"
fi
