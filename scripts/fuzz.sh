#!/usr/bin/env bash
# Fuzzes the upload path for longer than the test suite does (300 inputs there):
#   npm run fuzz -- [--iterations N] [--seed S]
# A failure prints the seed of the input that failed; `--seed S --iterations 1` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

iterations=5000
seed=$(( $(date +%s) % 1000000000 ))
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) iterations="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "usage: npm run fuzz -- [--iterations N] [--seed S]" >&2; exit 2 ;;
  esac
done

echo "fuzzing the upload path: $iterations inputs from seed $seed"
FUZZ_ITERATIONS="$iterations" FUZZ_SEED="$seed" \
  npx vitest run schema/resolvers/classify.fuzz.test.ts --maxWorkers=1 --testTimeout=0
