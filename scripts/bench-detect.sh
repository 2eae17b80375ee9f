#!/usr/bin/env bash
# Measures `garda detect replay` on a labelled access log and compares it,
# on the same file in the same run, with CrowdSec; then on a hostile log,
# where every line is a different attack payload from a different address.
#
# Usage: scripts/bench-detect.sh [--lines N] [--seed S] [--compare-lines M] [--hostile-lines H] [--no-crowdsec]
#   --lines N          log size for Garda's throughput and accuracy (default 1000000)
#   --hostile-lines H  hostile log size (default 30000; 0 = skip). Made by scripts/hostilelog
#                      from ../shared/data/payloads; its figures are printed beside the
#                      benign ones ("throughput" line).
#   --compare-lines M  CrowdSec replays the first M lines of that log, and Garda the same
#                      file again, side by side (default 100000; CrowdSec does ~200-440 lines/s,
#                      so the full million would take it about an hour). 0 = the whole log.
#   --no-crowdsec      skip CrowdSec.
# Needs python3 and ../shared/bench (genlog.py, score.py, crowdsec-replay.sh); CrowdSec is
# installed from Debian's packages by crowdsec-replay.sh when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=1000000 seed=7 compare=100000 crowdsec=1 hostile=30000
while [ $# -gt 0 ]; do
  case $1 in
    --lines) lines=$2; shift 2;;
    --seed) seed=$2; shift 2;;
    --compare-lines) compare=$2; shift 2;;
    --hostile-lines) hostile=$2; shift 2;;
    --no-crowdsec) crowdsec=0; shift;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
shared=${GARDA_SHARED:-../shared}
[ -f "$shared/bench/genlog.py" ] || { echo "needs $shared/bench (set GARDA_SHARED)" >&2; exit 2; }
out=$(mktemp -d)
echo "work dir: $out" >&2

go build -o "$out/garda" ./cmd/garda
go build -o "$out/hostilelog" ./scripts/hostilelog
python3 "$shared/bench/genlog.py" --lines "$lines" --seed "$seed" --out "$out/access.log" --truth "$out/truth.json"

# replay FILE NAME: Garda on FILE, timed; prints one JSON line.
replay() {
  /usr/bin/time -f '%e %U %S %M' -o "$out/$2.time" "$out/garda" detect replay --flagged "$out/$2.flagged" "$1" \
    > "$out/$2.alerts.jsonl" 2> "$out/$2.summary.json"
  read -r wall usr sys rss < "$out/$2.time"
  python3 - "$out/$2.summary.json" "$wall" "$usr" "$sys" "$rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); wall, usr, sys_, rss = map(float, sys.argv[2:6])
print(json.dumps({"tool": "garda", "lines": s["lines"], "wall_s": wall, "cpu_s": round(usr + sys_, 2),
                  "lines_per_s": int(s["lines"] / wall), "peak_rss_mb": round(rss / 1024, 1),
                  "alerts": s["alerts"], "crs_evaluated": s.get("crs_evaluated")}))
PY
}

# truth_of FILE: the truth restricted to the attackers present in FILE.
truth_of() {
  python3 - "$out/truth.json" "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); ips = {l.split(" ", 1)[0] for l in open(sys.argv[2])}
att = {ip: c for ip, c in t["attackers"].items() if ip in ips}
print(json.dumps({"attackers": att, "benign_ips": t["benign_ips"], "lines": sum(1 for _ in open(sys.argv[2]))}))
PY
}

echo "== Garda on $lines lines"
replay "$out/access.log" full | tee "$out/full.json"
python3 "$shared/bench/score.py" "$out/truth.json" "$out/full.flagged"

if [ "$hostile" != 0 ]; then
  "$out/hostilelog" --payloads "$shared/data/payloads" --lines "$hostile" --seed "$seed" > "$out/hostile.log"
  echo "== Garda on $hostile hostile lines (every line a different payload from a different address)"
  replay "$out/hostile.log" hostile | tee "$out/hostile.json"
  python3 - "$out/full.json" "$out/hostile.json" <<'PY'
import json, sys
b, h = (json.loads(open(f).read()) for f in sys.argv[1:3])
print(json.dumps({"throughput": {"benign_lines_per_s": b["lines_per_s"], "benign_cpu_s": b["cpu_s"],
                  "hostile_lines_per_s": h["lines_per_s"], "hostile_cpu_s": h["cpu_s"],
                  "hostile_crs_evaluated": h["crs_evaluated"], "hostile_alerts": h["alerts"]}}))
PY
fi

[ "$crowdsec" = 1 ] || exit 0
cmp=$out/access.log
if [ "$compare" != 0 ] && [ "$compare" -lt "$lines" ]; then
  cmp=$out/compare.log
  head -n "$compare" "$out/access.log" > "$cmp"
fi
truth_of "$cmp" > "$out/compare.truth.json"
echo "== Same file, same run: $(wc -l < "$cmp") lines"
replay "$cmp" compare
python3 "$shared/bench/score.py" "$out/compare.truth.json" "$out/compare.flagged"
bash "$shared/bench/crowdsec-replay.sh" "$cmp" "$out/crowdsec" | tee "$out/crowdsec.json"
python3 "$shared/bench/score.py" "$out/compare.truth.json" "$out/crowdsec/flagged.txt"
python3 - "$out/compare.time" "$out/crowdsec.json" "$cmp" <<'PY'
import json, sys
g_wall = float(open(sys.argv[1]).read().split()[0]); c = json.load(open(sys.argv[2]))
n = sum(1 for _ in open(sys.argv[3]))
print(json.dumps({"same_file_lines": n, "garda_lines_per_s": int(n / g_wall),
                  "crowdsec_lines_per_s": round(n / c["wall_s"], 1), "ratio": round(c["wall_s"] / g_wall)}))
PY
