#!/usr/bin/env bash
# Fuzzing gate: builds the libFuzzer targets of test/fuzz with clang
# (-fsanitize=fuzzer + ASan + UBSan) into build-fuzz/ and runs each one for
# ONVM_FUZZ_SECONDS seconds (default 60; CI uses 30). Fails if any target
# crashes, leaks, hangs or breaks an invariant; the input that did it is
# copied to test/fuzz/corpus/<target>/regressions/ (commit it with the fix:
# every later run replays it).
#
#   bash scripts/fuzz.sh                          # every target, 60 s each
#   bash scripts/fuzz.sh fuzz_packet              # one target
#   ONVM_FUZZ_SECONDS=600 bash scripts/fuzz.sh    # the long run (not in CI)
#   ONVM_FUZZ_JOBS=2 ...                          # parallel fuzzing processes per target
#   ONVM_FUZZ_PARALLEL=1 ...                      # targets one after another (default: one per core)
#
# Inputs that found new coverage accumulate in build-fuzz/corpus/<target>/
# (not committed), so repeated local runs start where the last one stopped.
# To reproduce a crash: build-fuzz/fuzz/<target> FILE
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

readonly ALL_TARGETS=(fuzz_packet fuzz_manifest fuzz_control_frame fuzz_classifier fuzz_openflow)
seconds="${ONVM_FUZZ_SECONDS:-60}"
jobs="${ONVM_FUZZ_JOBS:-1}"
dir="${ONVM_FUZZ_BUILD_DIR:-build-fuzz}"
# Absolute: each target runs in its own working directory.
[[ "$dir" == /* ]] || dir="$ROOT/$dir"
if (($# > 0)); then targets=("$@"); else targets=("${ALL_TARGETS[@]}"); fi

[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || {
  echo "fuzz: ONVM_FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
  exit 2
}

echo "fuzz: building ${targets[*]} with clang into $dir"
CC=clang CXX=clang++ ONVM_BUILD_DIR="$dir" ONVM_BUILD_TARGETS="${targets[*]}" \
  bash scripts/build.sh -DONVM_FUZZ=ON -DONVM_BUILD_TESTS=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++

# Every sanitizer report aborts (so libFuzzer saves the input); a leak is a
# failure too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}"

# run_target T: fuzzes T; writes its summary line to $dir/logs/T.result
# (first word ok or FAILED) and, on failure, what to read to
# $dir/logs/T.failure, so that targets can run side by side.
run_target() {
  local t="$1"
  local bin="$dir/fuzz/$t"
  local seeds="$ROOT/test/fuzz/corpus/$t"
  local regressions="$seeds/regressions"
  local work="$dir/corpus/$t"
  local artifacts="$dir/artifacts/$t"
  local log="$dir/logs/$t.log"
  local result="$dir/logs/$t.result"
  local failure="$dir/logs/$t.failure"
  rm -f "$result" "$failure"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*

  local corpora=("$work" "$seeds")
  [[ -d "$regressions" ]] && corpora+=("$regressions")
  # The first corpus directory receives new inputs; the committed ones are
  # only read. -timeout: an input that takes over 10 s is a hang.
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts/")
  local jobdir="$dir/jobs/$t"
  if ((jobs > 1)); then
    args+=(-jobs="$jobs" -workers="$jobs")
  fi
  echo "fuzz: $t for ${seconds}s (corpus: ${corpora[*]})"
  local rc
  mkdir -p "$jobdir"
  set +e
  # Run from its own directory: -jobs writes fuzz-N.log into the working
  # directory, and targets run side by side.
  (cd "$jobdir" && exec "$bin" "${args[@]}" "${corpora[@]}") >"$log" 2>&1
  rc=$?
  set -e
  local f
  for f in "$jobdir"/fuzz-[0-9]*.log; do
    [[ -f "$f" ]] && { cat "$f" >>"$log"; rm -f "$f"; }
  done

  local runs cov found
  runs="$({ grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" || true; } | awk '{s += $2} END {print s + 0}')"
  cov="$({ grep -Eo 'cov: [0-9]+' "$log" || true; } | tail -n 1 | awk '{print $2}')"
  mapfile -t found < <(find "$artifacts" -maxdepth 1 -type f | sort)
  if ((rc == 0 && ${#found[@]} == 0)); then
    echo "ok $t: ok, $runs runs, cov ${cov:-?}, corpus $(find "$work" -type f | wc -l) inputs" >"$result"
    return 0
  fi

  {
    echo "fuzz: $t FAILED (exit code $rc); the end of its log ($log):"
    grep -v "^#[0-9]" "$log" | tail -n 60 || true
  } >"$failure"
  mkdir -p "$regressions"
  local saved=() name dup r
  for f in "${found[@]}"; do
    name="$(basename "$f")"
    # Already a regression input (a known crash that is back)?
    dup=""
    for r in "$regressions"/*; do
      [[ -f "$r" ]] && cmp -s "$f" "$r" && dup="$r"
    done
    if [[ -n "$dup" ]]; then
      saved+=("$dup (already there)")
    else
      cp "$f" "$regressions/$name"
      saved+=("$regressions/$name")
    fi
  done
  echo "FAILED $t: FAILED (exit code $rc), input saved: ${saved[*]:-none (see $log)}; reproduce: $bin FILE" >"$result"
}

for t in "${targets[@]}"; do
  [[ -x "$dir/fuzz/$t" ]] || { echo "fuzz: no such target: $dir/fuzz/$t" >&2; exit 2; }
  [[ -d "test/fuzz/corpus/$t" ]] || { echo "fuzz: no seed corpus test/fuzz/corpus/$t" >&2; exit 2; }
done

# Targets run side by side, one per core (ONVM_FUZZ_PARALLEL to change):
# each libFuzzer process is single-threaded.
parallel="${ONVM_FUZZ_PARALLEL:-$(nproc)}"
running=0
for t in "${targets[@]}"; do
  if ((running >= parallel)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait || true

passed=0
failed=0
summary=()
for t in "${targets[@]}"; do
  result="$dir/logs/$t.result"
  if [[ -f "$result" ]] && [[ "$(cut -d' ' -f1 "$result")" == ok ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    [[ -f "$dir/logs/$t.failure" ]] && cat "$dir/logs/$t.failure"
  fi
  if [[ -f "$result" ]]; then
    summary+=("$(cut -d' ' -f2- "$result")")
  else
    summary+=("$t: FAILED (no result; see $dir/logs/$t.log)")
  fi
done

echo
echo "fuzz: summary (${seconds}s per target)"
for line in "${summary[@]}"; do
  echo "  $line"
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
