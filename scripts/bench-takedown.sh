#!/usr/bin/env bash
# bench-takedown.sh: the takedown pages at the issue's scale. Seeds 20,000
# requests with 100,000 URLs across 30 platforms, then reads the queue by
# deadline and Facebook's platform page (its figures, its compliance by week
# and category, its latest requests) 100 times each as a national
# coordinator, a province's analyst and Facebook's liaison: p50, p99 and this
# process's CPU per read, on SQLite and (with GARDA_TEST_POSTGRES set)
# PostgreSQL. The load average before and after goes beside the figures.
# GARDA_LOAD_EXPLAIN=1 also prints each query's plan.
#   GARDA_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable scripts/bench-takedown.sh
set -euo pipefail
cd "$(dirname "$0")/.."
echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores, before:$(uptime | sed 's/.*load average//')"
GARDA_LOAD=1 go test ./internal/takedown/ -run '^TestTakedownLoad$' -count=1 -v -timeout 30m |
  grep --line-buffered -E 'load_test|^(ok|FAIL|---)|^ {10}'
echo "after:$(uptime | sed 's/.*load average//')"
