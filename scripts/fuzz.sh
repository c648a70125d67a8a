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

passed=0
failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$dir/fuzz/$t"
  seeds="test/fuzz/corpus/$t"
  regressions="$seeds/regressions"
  work="$dir/corpus/$t"
  artifacts="$dir/artifacts/$t"
  log="$dir/logs/$t.log"
  [[ -x "$bin" ]] || { echo "fuzz: no such target: $bin" >&2; exit 2; }
  [[ -d "$seeds" ]] || { echo "fuzz: no seed corpus $seeds" >&2; exit 2; }
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*

  corpora=("$work" "$seeds")
  [[ -d "$regressions" ]] && corpora+=("$regressions")
  # The first corpus directory receives new inputs; the committed ones are
  # only read. -timeout: an input that takes over 10 s is a hang.
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts/")
  if ((jobs > 1)); then
    args+=(-jobs="$jobs" -workers="$jobs")
  fi
  echo "fuzz: $t for ${seconds}s (corpus: ${corpora[*]})"
  set +e
  "$bin" "${args[@]}" "${corpora[@]}" >"$log" 2>&1
  rc=$?
  set -e
  if ((jobs > 1)); then
    # -jobs writes one log per job (fuzz-N.log) in the working directory.
    for f in fuzz-[0-9]*.log; do
      [[ -f "$f" ]] && { cat "$f" >>"$log"; rm -f "$f"; }
    done
  fi

  runs="$({ grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" || true; } | awk '{s += $2} END {print s + 0}')"
  cov="$({ grep -Eo 'cov: [0-9]+' "$log" || true; } | tail -n 1 | awk '{print $2}')"
  mapfile -t found < <(find "$artifacts" -maxdepth 1 -type f | sort)
  if ((rc == 0 && ${#found[@]} == 0)); then
    passed=$((passed + 1))
    summary+=("$t: ok, $runs runs, cov ${cov:-?}, corpus $(find "$work" -type f | wc -l) inputs")
    continue
  fi

  failed=$((failed + 1))
  echo "fuzz: $t FAILED (exit code $rc); the end of its log ($log):"
  grep -v '^#[0-9]' "$log" | tail -n 60
  mkdir -p "$regressions"
  saved=()
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
  summary+=("$t: FAILED (exit code $rc), input saved: ${saved[*]:-none (see $log)}; reproduce: $ROOT/$bin FILE")
done

echo
echo "fuzz: summary (${seconds}s per target)"
for line in "${summary[@]}"; do
  echo "  $line"
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
