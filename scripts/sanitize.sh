#!/usr/bin/env bash
# Sanitizer gates: builds onvm with a sanitizer in a build directory of its
# own and runs tests there. Extra arguments go to ctest.
#
#   bash scripts/sanitize.sh address   # ASan + UBSan: build-asan/, everything;
#                                      # the unit and the integration tests
#   bash scripts/sanitize.sh thread    # TSan: build-tsan/, only onvm-agent,
#                                      # onvmctl and their tests
#
# A sanitizer report anywhere fails the run: in a test process (its exit
# code), and in a process a test started (engine, agent, NF, onvmctl), whose
# exit code a test may not look at: every report is also written to
# <build dir>/sanitizer-reports/, and any file there fails the run.
#
# Which tests run under which sanitizer, and why some do not: README.md,
# "Quality gates".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

mode="${1:-}"
shift || true
case "$mode" in
  address)
    dir=build-asan
    # Everything is built with ASan + UBSan.
    targets=""
    # Unit and integration tests, except those that run onvm in
    # containers (the images would carry the ASan build without the
    # environment that sends its reports here, and the same code runs under
    # ASan on the host in every other test) and the one with 256 NF
    # processes (256 ASan runtimes do not fit the CI machine's time; the
    # same SDK and engine code runs under ASan in every other test).
    ctest_filter=(-E '^container_|^instance_scale_test')
    ;;
  thread)
    dir=build-tsan
    # Only the agent, the CLI and their tests. The integration tests among
    # them (agent_api_test, cli_verbs_test) run the agent and onvmctl under
    # TSan against the engine and NFs of the normal build (build/): those
    # are DPDK processes, see README.
    targets="onvm-agent onvmctl agent_test cli_test agent_api_test cli_verbs_test onvm_tsan_absl"
    ctest_filter=(-R '^(agent_test|cli_test|agent_api_test|cli_verbs_test)\.')
    ;;
  *)
    echo "usage: bash scripts/sanitize.sh address|thread [CTEST ARGS...]" >&2
    exit 2
    ;;
esac

reports="$ROOT/$dir/sanitizer-reports"
preload=""
log="$dir/ctest.log"

# -O1 with line tables only (-g1): about a third less compile time than the
# normal build's -O2 -g, and still symbolized stack traces in every report.
ONVM_BUILD_DIR="$dir" ONVM_BUILD_TARGETS="$targets" bash scripts/build.sh -DONVM_SANITIZE="$mode" \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"

rm -rf "$reports"
mkdir -p "$reports"
# Reports go to files (log_path, one per process: <tool>.<pid>) as well as
# failing the process: halt_on_error / -fno-sanitize-recover=all.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan:log_exe_name=1"
case "$mode" in
  address)
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:log_path=$reports/asan:log_exe_name=1"
    # Each suppression has its reason written next to it in the file.
    export LSAN_OPTIONS="suppressions=$ROOT/scripts/sanitizers/lsan.supp:print_suppressions=0"
    ;;
  thread)
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:log_path=$reports/tsan:log_exe_name=1:suppressions=$ROOT/scripts/sanitizers/tsan.supp:print_suppressions=0"
    # Makes abseil's Mutex/CondVar visible to TSan (cmake/tsan/).
    preload="$ROOT/$dir/lib/libonvm_tsan_absl.so"
    ;;
esac

# Processes the integration tests start come from a bin directory that mixes
# sanitized and normal binaries (see mixed_bin below).
bin_dir="$ROOT/$dir/bin"
mixed_bin() {  # mixed_bin GLOB... : these from build/bin, the rest from $dir/bin
  local mixed="$ROOT/$dir/mixed/bin" f
  rm -rf "$mixed"
  mkdir -p "$mixed"
  for f in "$ROOT/$dir/bin"/*; do
    [[ -e "$f" ]] && ln -s "$f" "$mixed/$(basename "$f")"
  done
  [[ -x "$ROOT/build/bin/onvm-engine" ]] || {
    echo "sanitize: needs the normal build's binaries in build/bin (run bash scripts/build.sh first)" >&2
    exit 1
  }
  for pattern in "$@"; do
    for f in "$ROOT"/build/bin/$pattern; do
      [[ -x "$f" ]] && ln -sfn "$f" "$mixed/$(basename "$f")"
    done
  done
  bin_dir="$mixed"
}
if [[ "$mode" == thread ]]; then
  # The engine and the NFs (DPDK primary and secondaries) are not built
  # under TSan (README): they come from build/.
  mixed_bin 'onvm-engine' 'onvm-nf-*'
fi
if [[ "$mode" == address ]]; then
  # DPDK's default place for its memory (0x100000000) is inside what ASan
  # reserves, so the engine would take whatever address the kernel offers,
  # next to its shared libraries; an NF (a DPDK secondary) must map the same
  # range, and now and then finds one of its own libraries there ("Cannot
  # reserve 17179869184 bytes at [0x7f...]"). The engine therefore runs with
  # --base-virtaddr in a range that neither ASan nor the kernel's mmap
  # placement uses, added after the engine's `--` (its EAL arguments).
  bin_dir="$ROOT/$dir/mixed/bin"
  rm -rf "$bin_dir"
  mkdir -p "$bin_dir"
  for f in "$ROOT/$dir/bin"/*; do
    [[ -e "$f" ]] && ln -s "$f" "$bin_dir/$(basename "$f")"
  done
  rm -f "$bin_dir/onvm-engine"
  real_engine="$ROOT/$dir/bin/onvm-engine"
  {
    echo '#!/bin/sh'
    echo '# Written by scripts/sanitize.sh address: the ASan engine with its DPDK'
    echo '# memory at a fixed address outside the ranges ASan uses (see there).'
    echo 'for arg in "$@"; do'
    echo '  if [ "$arg" = "--" ]; then'
    echo "    exec '$real_engine' \"\$@\" --base-virtaddr=0x200000000000"
    echo '  fi'
    echo 'done'
    echo "exec '$real_engine' \"\$@\" -- --base-virtaddr=0x200000000000"
  } >"$bin_dir/onvm-engine"
  chmod +x "$bin_dir/onvm-engine"
fi
export ONVM_BIN_DIR="$bin_dir"

bash scripts/clean-test-leftovers.sh
echo "sanitize($mode): ONVM_BIN_DIR=$ONVM_BIN_DIR"
echo "sanitize($mode): ctest --test-dir $dir --output-on-failure -j2 --no-tests=error ${ctest_filter[*]} $*"
set +e
LD_PRELOAD="$preload${LD_PRELOAD:+:$LD_PRELOAD}" \
  ctest --test-dir "$dir" --output-on-failure -j2 --no-tests=error "${ctest_filter[@]}" "$@" \
  </dev/null 2>&1 | tee "$log"
rc="${PIPESTATUS[0]}"
set -e
bash scripts/clean-test-leftovers.sh

mapfile -t found < <(find "$reports" -type f -size +0 | sort)
if ((${#found[@]} > 0)); then
  echo
  echo "sanitize($mode): ${#found[@]} sanitizer report(s) in $reports:"
  for f in "${found[@]}"; do
    echo "==== $f"
    head -n 150 "$f"
  done
  rc=1
fi

echo
summary="$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)"
echo "sanitize($mode): ${summary:-no ctest summary (see $log)}"
if ((${#found[@]} > 0)); then
  echo "sanitize($mode): FAILED: ${#found[@]} sanitizer report(s) (listed above)"
elif ((rc != 0)); then
  echo "sanitize($mode): FAILED (ctest exit code $rc)"
fi
exit "$rc"
