#!/usr/bin/env bash
# Installs the Debian packages the tests use, when they are missing:
# prometheus (promtool and a real Prometheus), prometheus-alertmanager (the alerting test's
# Alertmanager, and amtool), jsonnet (renders the dashboard),
# docker-compose (validates the stack without an engine), python3-onnx (runs the quantizer),
# redis-server (the shared cache and feedback store replicas use; tests start their own),
# chromium and a font (the browser tests of the demo page and GraphiQL, driven by playwright-core),
# dataset-fashion-mnist (the embedded pack's calibration gate on the 10,000 test images),
# kubectl (renders deploy/kubernetes with its built-in kustomize, offline), haproxy (the load
# balancer in front of the replicas in the rolling-update test).
set -euo pipefail
packages=(prometheus prometheus-alertmanager jsonnet docker-compose python3-onnx redis-server chromium fonts-dejavu-core dataset-fashion-mnist kubectl haproxy)
needed=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || needed+=("$package")
done
if [ ${#needed[@]} -gt 0 ]; then
  echo "== installing ${needed[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi
