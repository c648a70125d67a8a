#!/usr/bin/env bash
# Builds onvm's container images from scratch: no base image is pulled. Each
# image holds our binaries, the shared libraries they load (the ldd
# closure), the dynamic loader, and DPDK's driver directory with its own
# libraries (EAL loads every driver there at start, engine and NFs alike).
#
#   bash deploy/containers/build-images.sh [BIN_DIR [IMAGE...]]
#
# BIN_DIR holds the binaries (default: build/bin); IMAGE is engine-agent or
# nf (default: both).
#
# Images (tag = the project version in CMakeLists.txt):
#   onvm/engine-agent:VERSION  onvm-engine, onvm-agent, onvmctl
#   onvm/nf:VERSION            every example NF (onvm-nf-*); run one by name
#
# Needs podman (Debian's podman and runc). Re-running rebuilds both.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
bin="$(realpath "${1:-build/bin}")"
shift || true
images=("$@")
((${#images[@]} > 0)) || images=(engine-agent nf)
[[ -x "$bin/onvm-engine" ]] || {
  echo "build-images: no $bin/onvm-engine; run bash scripts/build.sh first" >&2
  exit 1
}
command -v podman >/dev/null || {
  echo "build-images: podman is not installed (bash scripts/setup.sh installs it)" >&2
  exit 1
}
version="$(sed -n 's/^project(onvm VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
[[ -n "$version" ]] || version=dev
# EAL's driver directory (Debian: /usr/lib/<triplet>/dpdk/pmds-<ABI>).
pmds="$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* | head -n 1)"
stage="$(dirname "$bin")/images"
# Without systemd: cgroups through the file system, events to a file.
podman=(podman --cgroup-manager=cgroupfs --events-backend=file)

# copy_with_parents ROOTFS PATH: PATH, and what it links to, at the same
# place under ROOTFS.
copy_with_parents() {
  local rootfs=$1 path=$2 p
  for p in "$path" "$(readlink -f "$path")"; do
    mkdir -p "$rootfs$(dirname "$p")"
    cp -a "$p" "$rootfs$p"
  done
}

# stage NAME BINARY...: a root file system for one image.
stage() {
  local name=$1
  shift
  local rootfs="$stage/$name/rootfs" f lib
  rm -rf "$stage/$name"
  mkdir -p "$rootfs/usr/bin" "$rootfs/usr/lib" "$rootfs/usr/lib64" "$rootfs/tmp" \
    "$rootfs/run/onvm" "$rootfs/var/run/dpdk" "$rootfs/dev/hugepages" "$rootfs/etc"
  # Merged /usr, as on Debian 12: one copy of each library.
  ln -s usr/lib "$rootfs/lib"
  ln -s usr/lib64 "$rootfs/lib64"
  chmod 1777 "$rootfs/tmp"
  # DPDK and glibc look up the user; root is the only one.
  echo 'root:x:0:0:root:/:/nonexistent' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  local objects=()
  for f in "$@"; do
    # Without debug info: a third of the size.
    objcopy --strip-debug "$f" "$rootfs/usr/bin/$(basename "$f")"
    objects+=("$f")
  done
  for f in "$pmds"/*.so*; do
    copy_with_parents "$rootfs" "$f"
    objects+=("$f")
  done
  for f in "${objects[@]}"; do
    ldd "$f" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'
  done | sort -u | while read -r lib; do
    copy_with_parents "$rootfs" "$lib"
  done
  copy_with_parents "$rootfs" /lib64/ld-linux-x86-64.so.2
  echo "build-images: $name: $(du -sh "$rootfs" | cut -f1) in $rootfs"
}

for name in "${images[@]}"; do
  case "$name" in
    engine-agent) stage engine-agent "$bin/onvm-engine" "$bin/onvm-agent" "$bin/onvmctl" ;;
    nf) stage nf "$bin"/onvm-nf-* ;;
    *)
      echo "build-images: unknown image '$name' (engine-agent or nf)" >&2
      exit 2
      ;;
  esac
  old="$("${podman[@]}" image inspect --format '{{.Id}}' "onvm/$name:$version" 2>/dev/null || true)"
  "${podman[@]}" build --quiet -t "onvm/$name:$version" -f "deploy/containers/Containerfile.$name" \
    "$stage/$name"
  echo "build-images: built onvm/$name:$version"
  # The image this one replaced, unless a container still uses it.
  new="$("${podman[@]}" image inspect --format '{{.Id}}' "onvm/$name:$version")"
  if [[ -n "$old" && "$old" != "$new" ]]; then
    "${podman[@]}" rmi "$old" >/dev/null 2>&1 || true
  fi
done
