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
TIMEFORMAT='%R %U %S'
times=$( { time "$tmp/garda" pii scan "$tmp/dump.txt" >"$tmp/summary.json"; } 2>&1 )
# Wall time depends on what else the machine runs; CPU time (user+sys) less so.
echo "$times" | awk -v s="$size" '{ mib = s/1048576; printf "garda pii scan: %.1f MiB in %.2f s wall = %.1f MiB/s; %.2f s CPU = %.1f MiB/s per core\n", mib, $1, mib/$1, $2+$3, mib/($2+$3) }'
uptime
grep -E '"(nik|kk|npwp|phone|valid_share)"' "$tmp/summary.json" | tr -d ' \n'; echo
