#!/usr/bin/env bash
# The patrol's pace: items/s through the pipeline (normalise, OCR, claim
# match, PII) with trivial in-package implementations of its interfaces,
# and with the store (SQLite, one audited transaction an item). The bar
# (issue 12) is 1,000 items/s on 2 cores; the real matcher, scanner and OCR
# are measured by their own packages' benchmarks.
#
# Usage: scripts/bench-patrol.sh [--benchtime 2s]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=2s
while [ $# -gt 0 ]; do
  case $1 in
    --benchtime) benchtime=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
go test ./internal/patrol -run '^$' -bench 'Pipeline' -benchtime "$benchtime" -count 1 | grep -E 'Benchmark|ok|FAIL'
