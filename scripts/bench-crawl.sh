#!/usr/bin/env bash
# Crawls a loopback site of generated pages (internal/patrol/crawl's test
# site: page N links to 10N+1..10N+10, robots.txt disallows /rahasia/,
# every page links there) with the patrol's crawler, respecting robots.txt
# and a per-host rate, and prints pages/s, bytes and the process's peak
# RSS. The site counts on its side the requests into /rahasia/ (must be 0)
# and the busiest second (must stay under the rate); the test fails if
# either is broken.
#
# Usage: scripts/bench-crawl.sh [--pages N] [--rps R] [--claims sqlite]
#   --pages N        site size (default 100000)
#   --rps R          requests per second per host (default 2000)
#   --claims sqlite  claim each URL in a SQLite database first (one fetch per
#                    URL across instances), as garda serve does
set -euo pipefail
cd "$(dirname "$0")/.."
pages=100000 rps=2000 claims=
while [ $# -gt 0 ]; do
  case $1 in
    --pages) pages=$2; shift 2;;
    --rps) rps=$2; shift 2;;
    --claims) claims=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
GARDA_CRAWL_PAGES=$pages GARDA_CRAWL_RPS=$rps GARDA_CRAWL_CLAIMS=$claims \
  go test ./internal/patrol/crawl/ -run '^TestCrawlBench$' -count=1 -v -timeout 30m | grep -E '^(crawl:|--- |FAIL|ok)'
