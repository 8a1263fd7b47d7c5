#!/usr/bin/env bash
# Installs the Debian packages the tests use, when their commands are missing.
# Each line: a command, then the package that provides it.
set -euo pipefail
needed=()
while read -r command package; do
  [ -z "$command" ] && continue
  command -v "$command" >/dev/null 2>&1 || needed+=("$package")
done <<'EOF_TOOLS'
promtool prometheus
jsonnet jsonnet
docker-compose docker-compose
EOF_TOOLS
if [ ${#needed[@]} -gt 0 ]; then
  echo "== installing ${needed[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi
