#!/usr/bin/env bash
# The whole test suite: lint, types, the schema check, then every test on Node 20 (the
# machine's) and again on Node 24 (what users run). Installs what it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-tools.sh

echo "== lint and format (biome)"
npx biome ci .
echo "== types (tsc: the service, then the demo page's browser code)"
npx tsc --noEmit
npx tsc -p server/demo/browser --noEmit

echo "== tests on $(node --version)"
npx vitest run

if [ "${TEST_SECOND_NODE:-24}" != "none" ]; then
  node_bin=$(bash scripts/node-binary.sh "${TEST_SECOND_NODE:-24}")
  echo "== tests on $("$node_bin/node" --version)"
  PATH="$node_bin:$PATH" npx vitest run
fi
