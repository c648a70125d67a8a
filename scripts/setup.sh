#!/usr/bin/env bash
# Prepares this machine to build and test onvm. Idempotent; run as root.
#   - installs the Debian packages the build and the tests need
#     (apt-get update only when one is missing)
#   - mounts hugetlbfs on /dev/hugepages and makes sure at least
#     ONVM_HUGEPAGES (default 1024) 2 MiB hugepages are free
#   - creates /run/onvm
set -euo pipefail

readonly MIN_FREE_HUGEPAGES="${ONVM_HUGEPAGES:-1024}"
readonly HUGEPAGE_DIR=/dev/hugepages
readonly HUGEPAGE_SYSFS=/sys/kernel/mm/hugepages/hugepages-2048kB

readonly PACKAGES=(
  # toolchain
  cmake ninja-build g++ clang pkg-config
  # quality gates: style check, libFuzzer and clang's sanitizer runtimes
  # (gcc's ASan/UBSan/TSan runtimes come with g++)
  clang-format libclang-rt-14-dev
  # libraries
  dpdk-dev libdpdk-dev libnuma-dev libpcap-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  prometheus-cpp-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # TLS: the agent checks certificates with OpenSSL; the tests make theirs
  # with the openssl command
  libssl-dev openssl
  # what the tests and scripts run
  iproute2 ethtool procps curl python3
  # the public API from Python (test/python/): gRPC runtime; its stubs come
  # from protoc and protobuf-compiler-grpc's grpc_python_plugin
  python3-grpcio python3-protobuf
  # deployment-file tests (test/deploy/): promtool and a real Prometheus
  # server, systemd-analyze, and Python checks of the Kubernetes manifests
  prometheus systemd python3-yaml python3-jsonschema python3-kubernetes
  # end-to-end tests (test/e2e/): real TCP, captures and replays
  iperf3 tcpdump tcpreplay
  # container images and the test that runs an NF in one
  podman runc
  # OpenFlow tests (test/integration/openflow_*): ovs-ofctl, and os-ken for a
  # controller in active mode
  openvswitch-common python3-os-ken
)

step() { echo "setup: $*"; }
die() {
  echo "setup: ERROR: $*" >&2
  exit 1
}

[[ "$(id -u)" == 0 ]] || die "must run as root (installs packages, mounts hugetlbfs, reserves hugepages)"

# --- packages ---------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} == 0)); then
  step "all ${#PACKAGES[@]} packages already installed"
else
  step "installing ${#missing[@]} missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- hugepages --------------------------------------------------------------
if awk -v d="$HUGEPAGE_DIR" '$2 == d && $3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts; then
  step "hugetlbfs already mounted on $HUGEPAGE_DIR"
else
  step "mounting hugetlbfs (2 MiB pages) on $HUGEPAGE_DIR"
  mkdir -p "$HUGEPAGE_DIR"
  mount -t hugetlbfs -o pagesize=2M nodev "$HUGEPAGE_DIR" ||
    die "cannot mount hugetlbfs on $HUGEPAGE_DIR (in a container, run it with the host's /dev/hugepages or --privileged)"
fi

[[ -d "$HUGEPAGE_SYSFS" ]] || die "the kernel offers no 2 MiB hugepages ($HUGEPAGE_SYSFS is missing)"
# Free minus reserved: pages another process has reserved but not touched yet
# are counted as free by the kernel, yet cannot be ours.
available() { echo $(($(cat "$HUGEPAGE_SYSFS/free_hugepages") - $(cat "$HUGEPAGE_SYSFS/resv_hugepages"))); }
free_pages="$(available)"
if ((free_pages >= MIN_FREE_HUGEPAGES)); then
  step "$free_pages 2 MiB hugepages available (need $MIN_FREE_HUGEPAGES)"
else
  total="$(cat "$HUGEPAGE_SYSFS/nr_hugepages")"
  want=$((total + MIN_FREE_HUGEPAGES - free_pages))
  missing_kb=$(((MIN_FREE_HUGEPAGES - free_pages) * 2048))
  mem_available_kb="$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)"
  if ((missing_kb > mem_available_kb)); then
    die "$((MIN_FREE_HUGEPAGES - free_pages)) more 2 MiB hugepages need $((missing_kb / 1024)) MiB, but only $((mem_available_kb / 1024)) MiB of memory is available"
  fi
  step "raising nr_hugepages from $total to $want ($free_pages of the needed $MIN_FREE_HUGEPAGES available)"
  echo "$want" >"$HUGEPAGE_SYSFS/nr_hugepages" 2>/dev/null ||
    die "cannot write $HUGEPAGE_SYSFS/nr_hugepages (read-only /sys? set vm.nr_hugepages on the host)"
  free_pages="$(available)"
  if ((free_pages < MIN_FREE_HUGEPAGES)); then
    got="$(cat "$HUGEPAGE_SYSFS/nr_hugepages")"
    # Do not sit on a partial reservation that helps nobody.
    echo "$total" >"$HUGEPAGE_SYSFS/nr_hugepages" || true
    die "the kernel gave only $got of $want hugepages ($free_pages available, need $MIN_FREE_HUGEPAGES; nr_hugepages put back to $total): memory is too small or too fragmented; free memory, or reserve hugepages at boot (hugepages=$want on the kernel command line)"
  fi
  step "$free_pages 2 MiB hugepages now available"
fi

# --- runtime directory ------------------------------------------------------
if [[ -d /run/onvm ]]; then
  step "/run/onvm exists"
else
  step "creating /run/onvm"
  mkdir -p /run/onvm
fi
