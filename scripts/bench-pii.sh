#!/usr/bin/env bash
# Prints the personal-data scanner's figures: precision and recall on the
# generated labelled set (valid and invalid NIKs of every province, women's
# dates, OCR damage, DPT table, CSV and NDJSON dumps, KTP text, chat, NIK-like
# numbers that are not NIKs), the chance floor of random numbers, the Go
# benchmarks, and the throughput of `garda pii scan` on a 64 MiB dump.
#
# Usage: scripts/bench-pii.sh
set -euo pipefail
cd "$(dirname "$0")/.."
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)'), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
go test -count=1 -run 'TestLabelledSet|TestRandomFloor' -v ./internal/pii/ | grep -E 'labelled_test|^(ok|FAIL)'
go test -count=1 -run XXX -bench 'BenchmarkLabelled|BenchmarkProse' -benchtime 20x ./internal/pii/ | grep -E '^Benchmark'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GARDA_PII_DUMP="$tmp/dump.txt" go test -count=1 -run TestWriteDump ./internal/pii/ >/dev/null
go build -o "$tmp/garda" ./cmd/garda
size=$(stat -c %s "$tmp/dump.txt")
start=$(date +%s.%N)
"$tmp/garda" pii scan "$tmp/dump.txt" >"$tmp/summary.json"
end=$(date +%s.%N)
awk -v s="$size" -v a="$start" -v b="$end" 'BEGIN { printf "garda pii scan: %.1f MiB in %.2f s = %.1f MiB/s\n", s/1048576, b-a, s/1048576/(b-a) }'
grep -E '"(nik|kk|npwp|phone|valid_share)"' "$tmp/summary.json" | tr -d ' \n'; echo
