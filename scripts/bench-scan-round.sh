#!/usr/bin/env bash
# One full daily scan round over KPU's 553 sites, simulated on loopback
# (scripts/sitefarm: 1 national, 38 provincial, 514 regency, each on its own
# 127.0.x.y address with a mix of planted weaknesses, slow and flaky sites
# among them), with `garda scan` at the issue's politeness: at most 2
# connections and 5 requests/s per host. Prints the round time, requests per
# site (as the sites counted them), results per check and per severity, the
# politeness the sites saw, and garda's peak RSS. The farm answers the DNS
# checks itself (a loopback DNS server, passed with --resolver). Exits 1 when
# any site saw more than --concurrency connections at once or more than
# --rate connections and kept-alive requests within one calendar second.
#
# Usage: scripts/bench-scan-round.sh [--sites N] [--max-hosts N] [--rate R] [--concurrency C]
#                                    [--mode active|passive] [--templates DIR] [--keep]
# Needs /usr/bin/time and python3; everything stays on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
sites=553 maxhosts=64 rate=5 conc=2 mode=active templates="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --sites) sites=$2; shift 2;;
    --max-hosts) maxhosts=$2; shift 2;;
    --rate) rate=$2; shift 2;;
    --concurrency) conc=$2; shift 2;;
    --mode) mode=$2; shift 2;;
    --templates) templates=$2; shift 2;;
    --keep) keep=1; shift;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
out=$(mktemp -d)
farm_pid=""
cleanup() {
  [ -n "$farm_pid" ] && kill "$farm_pid" 2>/dev/null || true
  [ "$keep" = 1 ] && echo "work dir kept: $out" >&2 || rm -rf "$out"
}
trap cleanup EXIT

go build -o "$out/garda" ./cmd/garda
go build -o "$out/sitefarm" ./scripts/sitefarm
(cd "$out" && exec ./sitefarm --sites "$sites" > farm.log 2>&1) &
farm_pid=$!
for _ in $(seq 100); do grep -q '^ready' "$out/farm.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$out/farm.log" || { cat "$out/farm.log" >&2; exit 1; }

args=(scan --i-am-authorised --mode "$mode" --jsonl --progress never
      --rate "$rate" --concurrency "$conc" --max-hosts "$maxhosts" --resolver "$(cat "$out/resolver.txt")")
[ -n "$templates" ] && args+=(--templates "$templates")
echo "command: GARDA_SCAN_ALLOW=127.0.0.0/8 garda ${args[*]} <$sites URLs>" >&2
set +e
# the scan's address guard lets loopback through only when told to
GARDA_SCAN_ALLOW=127.0.0.0/8 /usr/bin/time -f '%e %M' -o "$out/time" "$out/garda" "${args[@]}" $(cat "$out/targets.txt") \
  > "$out/results.jsonl" 2> "$out/scan.log"
code=$?
set -e
kill -TERM "$farm_pid"; wait "$farm_pid" 2>/dev/null || true; farm_pid=""
tail -n 5 "$out/scan.log" >&2
if [ ! -s "$out/time" ] || ! grep -q 'garda: scanned' "$out/scan.log"; then
  echo "the scan did not run (exit $code)" >&2; exit 1
fi

python3 - "$out" "$code" "$rate" "$conc" <<'PY'
import json, sys, collections
out, code, rate, conc = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
wall, rss_kb = open(f"{out}/time").read().split()[-2:]
stats = json.load(open(f"{out}/farm-stats.json"))
truth = json.load(open(f"{out}/truth.json"))
by_id, by_sev = collections.Counter(), collections.Counter()
n = 0
for line in open(f"{out}/results.jsonl"):
    r = json.loads(line); n += 1
    by_id[r["template-id"]] += 1
    by_sev[r["info"]["severity"]] += 1
planted = collections.Counter(w for s in truth for w in (s.get("weaknesses") or []))
over = {h: s for h, s in stats["per_site"].items() if s["peak_connections"] > conc or s["peak_in_flight"] > conc or s["peak_per_second"] > rate}
print(json.dumps({
  "sites": stats["sites"], "round_seconds": float(wall), "garda_peak_rss_mb": round(int(rss_kb) / 1024, 1),
  "exit_code": code, "requests": stats["requests"],
  "requests_per_site": {"min": stats["requests_per_site_min"], "median": stats["requests_per_site_median"],
                        "max": stats["requests_per_site_max"], "mean": round(stats["requests"] / max(stats["sites"], 1), 1)},
  "connections": sum(s["connections"] for s in stats["per_site"].values()),
  "politeness_seen_by_sites": {"peak_connections": stats["peak_connections_any_site"],
                               "peak_in_flight": stats["peak_in_flight_any_site"],
                               "peak_connections_and_requests_in_one_second": stats["peak_per_second_any_site"],
                               "sites_over_the_limits": len(over),
                               "over": dict(list(over.items())[:5])},
  "results": n, "results_by_severity": dict(by_sev.most_common()),
  "results_by_check": dict(by_id.most_common()),
  "planted": dict(planted.most_common()),
}, indent=2))
sys.exit(1 if over else 0)
PY
