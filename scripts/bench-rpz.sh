#!/usr/bin/env bash
# bench-rpz.sh: the DNS blocklist at scale. Blocks N domains (default
# 100,000), then times the zone over HTTP (/rpz/<key>/garda.rpz), a
# TSIG-signed AXFR, an IXFR of one change and a blocklist search, on SQLite
# and (with GARDA_TEST_POSTGRES set) PostgreSQL; then real unbound and BIND load
# the same zone (SQLite) and a lift reaches them.
#   scripts/bench-rpz.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
GARDA_RPZ_SCALE="${1:-100000}" go test ./internal/rpz/ -run '^(TestScale|TestRealResolversScale)$' -count=1 -v -timeout 30m |
  grep -E 'scale_test|resolvers_test|^(ok|FAIL|---)'
