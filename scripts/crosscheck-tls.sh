#!/usr/bin/env bash
# Garda's TLS findings against sslscan (Debian) on openssl s_server
# targets started on loopback by the Go test TestTLSCrosscheckSSLScan:
# same protocols, and per protocol the same accepted suites (hence the
# same weak suites). Needs the sslscan and openssl packages.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sslscan >/dev/null || { echo "sslscan is not installed (apt-get install sslscan)"; exit 1; }
go test -count=1 -timeout 10m -run 'TestTLSCrosscheckSSLScan' -v ./internal/scan/builtin/ |
  grep -E '^(=== RUN|--- |    tls_crosscheck_test|ok|FAIL|PASS)'
