#!/usr/bin/env bash
# Renders the Grafana dashboards: dashboards/<name>.jsonnet → dashboards/rendered/<name>.json,
# the committed files Grafana provisions. grafonnet comes from dashboards/vendor (git-ignored;
# `jb install` in dashboards/, see dashboards/README.md).
#
#   scripts/render-dashboards.sh           regenerate lib/metrics.json, format the sources, render
#   scripts/render-dashboards.sh --check   render to a temp dir; fail when a committed file is stale
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

# Without the tools a check cannot run: say so visibly and pass; rendering needs them.
missing() {
  if $check; then
    echo "skipped: $1"
    exit 0
  fi
  echo "error: $1" >&2
  exit 1
}
[ -d dashboards/vendor/github.com/grafana/grafonnet ] ||
  missing "grafonnet not vendored (run 'jb install' in dashboards/, see dashboards/README.md)"
command -v jsonnet >/dev/null 2>&1 ||
  missing "jsonnet not installed (scripts/install-system-tools.sh installs it)"

sources=(dashboards/*.jsonnet)
libraries=(dashboards/lib/*.libsonnet)

# jsonnet sorts keys; re-printing with two-space indents makes the diffs of the committed
# files small and the output independent of the jsonnet implementation's own formatting.
render() {
  jsonnet -J dashboards/vendor "$1" | node -e '
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => { text += chunk; });
    process.stdin.on("end", () => process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`));
  '
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if $check; then
  stale=0
  for source in "${sources[@]}"; do
    name=$(basename "$source" .jsonnet)
    render "$source" >"$tmp/$name.json"
    if ! diff -u "dashboards/rendered/$name.json" "$tmp/$name.json" >"$tmp/$name.diff" 2>&1; then
      echo "stale: dashboards/rendered/$name.json differs from $source (run scripts/render-dashboards.sh)"
      head -n 40 "$tmp/$name.diff"
      stale=1
    fi
  done
  for rendered in dashboards/rendered/*.json; do
    [ -e "$rendered" ] || continue
    name=$(basename "$rendered" .json)
    [ -e "dashboards/$name.jsonnet" ] || {
      echo "stale: $rendered has no dashboards/$name.jsonnet"
      stale=1
    }
  done
  if command -v jsonnetfmt >/dev/null 2>&1 &&
    ! jsonnetfmt --test "${sources[@]}" "${libraries[@]}"; then
    echo "unformatted jsonnet (run scripts/render-dashboards.sh, which runs jsonnetfmt -i)"
    stale=1
  fi
  [ "$stale" -eq 0 ] && echo "dashboards are up to date"
  exit "$stale"
fi

npx --no-install tsx dashboards/generate-metric-names.ts
if command -v jsonnetfmt >/dev/null 2>&1; then
  jsonnetfmt -i "${sources[@]}" "${libraries[@]}"
fi
mkdir -p dashboards/rendered
for source in "${sources[@]}"; do
  name=$(basename "$source" .jsonnet)
  # Rendered aside first, so a jsonnet error never leaves a truncated committed file.
  render "$source" >"$tmp/$name.json"
  mv "$tmp/$name.json" "dashboards/rendered/$name.json"
  echo "rendered dashboards/rendered/$name.json"
done
