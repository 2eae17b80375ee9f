#!/usr/bin/env bash
# Garda's header grade against the MDN HTTP Observatory's own code
# (@mdn/mdn-http-observatory from npm) on the same loopback sites: the Go
# test TestObservatoryCrosscheck serves each header configuration on an
# http and an https port (certificate from a test CA that Node is told to
# trust), grades it with Garda and with the Observatory, and fails on any
# difference. Needs node and npm (the npm registry).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${GARDA_OBSERVATORY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/garda/observatory}"
version="${OBSERVATORY_VERSION:-1.4.8}"
mod="$dir/node_modules/@mdn/mdn-http-observatory"
if [ ! -f "$mod/package.json" ] || ! grep -q "\"version\": \"$version\"" "$mod/package.json"; then
  mkdir -p "$dir"
  # --ignore-scripts: its postinstall downloads Chromium's HSTS preload list
  # and a TLD list; Garda ships no preload list either (see observatory.go).
  (cd "$dir" && npm install --silent --ignore-scripts "@mdn/mdn-http-observatory@$version" >/dev/null)
fi
[ -f "$mod/conf/hsts-preload.json" ] || echo '{}' >"$mod/conf/hsts-preload.json"
GARDA_OBSERVATORY_MODULE="$mod" go test -count=1 -timeout 10m -run 'TestObservatoryCrosscheck' -v ./internal/scan/builtin/ |
  grep -E '^(=== RUN|--- |    observatory_crosscheck_test|ok|FAIL|PASS)' 
