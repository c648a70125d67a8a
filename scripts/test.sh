#!/usr/bin/env bash
# The test command (what .ci/run runs): prepares the machine, then runs the
# quality gates in this order and fails if any of them fails:
#
#   format  scripts/check-format.sh: clang-format --dry-run --Werror
#   tests   build/ (scripts/build.sh) and every test through ctest: unit
#           tests two at a time, integration tests (label `integration`,
#           RUN_SERIAL) alone
#   asan    scripts/sanitize.sh address: build-asan/ (ASan + UBSan), the
#           unit and integration tests
#   tsan    scripts/sanitize.sh thread: build-tsan/ (TSan), the agent, the
#           CLI and their tests
#   fuzz    scripts/fuzz.sh: each libFuzzer target for ONVM_FUZZ_SECONDS
#           (30 here; long runs by hand: ONVM_FUZZ_SECONDS=600 bash
#           scripts/fuzz.sh)
#
# Every gate runs even when an earlier one failed (except after a failed
# setup), so one run shows everything that is wrong. Compiler warnings are
# errors in CI (CI=true) in every build.
#
#   ONVM_GATES="format tests"   run only these gates (setup always runs)
#   bash scripts/test.sh ARGS   extra arguments go to the ctest of `tests`
#                               (e.g. -L unit, -R harness); with arguments,
#                               only `tests` runs unless ONVM_GATES is set
#
# The last line sums up every gate in ctest's words: each ctest test, the
# format check, each fuzz target and a sanitizer report in a process a test
# started count as one test.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${ONVM_GATES:-}" ]]; then
  read -r -a gates <<<"$ONVM_GATES"
elif (($# > 0)); then
  gates=(tests)
else
  gates=(format tests asan tsan fuzz)
fi
for g in "${gates[@]}"; do
  case "$g" in
    format | tests | asan | tsan | fuzz) ;;
    *)
      echo "test: unknown gate '$g' (want format, tests, asan, tsan, fuzz)" >&2
      exit 2
      ;;
  esac
done
# 30 s a target keeps the whole suite well inside CI's budget with five
# targets; the corpora in test/fuzz/corpus carry what longer runs found.
if [[ -z "${ONVM_FUZZ_SECONDS:-}" ]]; then
  export ONVM_FUZZ_SECONDS=30
fi

bash scripts/setup.sh

total=0
failed=0
lines=()
logs_dir="$(mktemp -d /tmp/onvm-test.XXXXXX)"
trap 'rm -rf "$logs_dir"' EXIT

# count_ctest LOG: adds the tests of the ctest summary in LOG to the totals
# and sets `detail` to it; without one (the build failed, ctest did not
# run) counts one failure.
count_ctest() {
  local s f t
  s="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -n 1 || true)"
  if [[ -z "$s" ]]; then
    total=$((total + 1))
    failed=$((failed + 1))
    detail="no ctest summary (build failed?)"
    return
  fi
  f="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$s")"
  t="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$s")"
  total=$((total + t))
  failed=$((failed + f))
  detail="$s"
}

# gate NAME COMMAND...: runs one gate, output to the terminal and a log.
gate() {
  local name=$1
  shift
  local log="$logs_dir/$name.log" start rc detail failed_before=$failed
  echo
  echo "test: ===== gate $name: $*"
  start=$(date +%s)
  set +e
  "$@" 2>&1 | tee "$log"
  rc="${PIPESTATUS[0]}"
  set -e
  case "$name" in
    format)
      total=$((total + 1))
      if ((rc != 0)); then failed=$((failed + 1)); fi
      detail="$(tail -n 1 "$log")"
      ;;
    tests | asan | tsan)
      count_ctest "$log"
      if ((rc != 0)) && grep -q 'sanitizer report(s)' "$log"; then
        # Reports from processes that tests started, beyond the ctest count.
        total=$((total + 1))
        failed=$((failed + 1))
        detail="$detail; $(grep -E 'sanitize\(.*\): FAILED' "$log" | tail -n 1)"
      elif ((rc != 0)); then
        detail="$detail (exit code $rc)"
      fi
      ;;
    fuzz)
      local s p f
      s="$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)"
      if [[ -n "$s" ]]; then
        p="$(awk '{print $2}' <<<"$s")"
        f="$(awk '{print $4}' <<<"$s")"
        total=$((total + p + f))
        failed=$((failed + f))
        detail="${s#fuzz: }"
      else
        total=$((total + 1))
        failed=$((failed + 1))
        detail="did not run its targets (exit code $rc)"
      fi
      ;;
  esac
  local verdict=ok
  if ((rc != 0)); then
    verdict=FAILED
    # A failure that no count above shows still fails the run.
    if ((failed == failed_before)); then
      total=$((total + 1))
      failed=$((failed + 1))
    fi
  fi
  lines+=("$(printf '%-7s %-7s %5ss  %s' "$name" "$verdict" $(($(date +%s) - start)) "$detail")")
}

# tests: the normal build and every test.
run_tests() {
  bash scripts/clean-test-leftovers.sh
  bash scripts/build.sh || return
  local log="build/ctest.log" rc
  echo "test: ctest --test-dir build --output-on-failure -j2 --no-tests=error $*"
  set +e
  ctest --test-dir build --output-on-failure -j2 --no-tests=error "$@" </dev/null 2>&1 | tee "$log"
  rc="${PIPESTATUS[0]}"
  set -e
  bash scripts/clean-test-leftovers.sh
  return "$rc"
}

started=$(date +%s)
for g in "${gates[@]}"; do
  case "$g" in
    format) gate format bash scripts/check-format.sh ;;
    tests) gate tests run_tests "$@" ;;
    asan) gate asan bash scripts/sanitize.sh address ;;
    tsan) gate tsan bash scripts/sanitize.sh thread ;;
    fuzz) gate fuzz bash scripts/fuzz.sh ;;
  esac
done

# What failed, again at the end: CI keeps only the tail of the output, and a
# sanitizer report printed mid-run would be cut off.
for g in "${gates[@]}"; do
  log="$logs_dir/$g.log"
  [[ -f "$log" ]] || continue
  if grep -q -E 'The following tests FAILED|sanitizer report\(s\) in' "$log"; then
    echo
    echo "test: ===== what failed in gate $g (from $log)"
    sed -n '/The following tests FAILED/,/^$/p' "$log"
    # Condensed so that CI's tail keeps every report whole: the first ten
    # frames of each stack, without the stacks that created the threads.
    sed -n '/sanitizer report(s) in/,/^sanitize(.*): [0-9]*% tests/p' "$log" |
      awk '/^  Thread T[0-9]+ .*created by/ { skip = 1; next }
           /^ *$/ { skip = 0; frames = 0 }
           skip { next }
           /^ +#[0-9]+ / { if (++frames > 10) next }
           !/^ +#[0-9]+ / { frames = 0 }
           { print }' | head -n 200
  fi
done

echo
echo "test: summary ($(($(date +%s) - started)) s)"
for l in "${lines[@]}"; do
  echo "  $l"
done
passed=$((total - failed))
pct=0
if ((total > 0)); then
  pct=$((100 * passed / total))
  if ((failed > 0 && pct == 100)); then pct=99; fi
fi
echo "test: $pct% tests passed, $failed tests failed out of $total"
((failed == 0))
