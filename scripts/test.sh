#!/usr/bin/env bash
# The test command: prepares the machine, builds, runs every test.
# Unit tests run two at a time; integration tests (label `integration`,
# RUN_SERIAL) run alone. Exits non-zero if anything fails.
# Extra arguments go to ctest (e.g. -L unit, -R harness).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/clean-test-leftovers.sh
bash scripts/build.sh

log="build/ctest.log"
echo "test: ctest --test-dir build --output-on-failure -j2 --no-tests=error $*"
set +e
ctest --test-dir build --output-on-failure -j2 --no-tests=error "$@" </dev/null 2>&1 | tee "$log"
rc="${PIPESTATUS[0]}"
set -e

bash scripts/clean-test-leftovers.sh

echo
summary="$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)"
echo "test: ${summary:-no ctest summary (see $log)}"
if ((rc != 0)); then
  echo "test: FAILED (ctest exit code $rc)"
fi
exit "$rc"
