#!/usr/bin/env bash
# Measures `garda detect replay` on a labelled access log and compares it,
# on the same file in the same run, with CrowdSec; then on a hostile log,
# where every line is a different attack payload from a different address.
#
# Usage: scripts/bench-detect.sh [--lines N] [--seed S] [--compare-lines M] [--hostile-lines H] [--no-crowdsec]
#                               [--indicators K [--indicator-rounds R]]
#   --lines N          log size for Garda's throughput and accuracy (default 1000000)
#   --hostile-lines H  hostile log size (default 30000; 0 = skip). Made by scripts/hostilelog
#                      from ../shared/data/payloads; its figures are printed beside the
#                      benign ones ("throughput" line).
#   --compare-lines M  CrowdSec replays the first M lines of that log, and Garda the same
#                      file again, side by side (default 100000; CrowdSec does ~200-440 lines/s,
#                      so the full million would take it about an hour). 0 = the whole log.
#   --no-crowdsec      skip CrowdSec.
#   --indicators K     plant 100 of K generated detection indicators (addresses, CIDR ranges,
#                      domains, URLs; scripts/indicatorgen) in the log, then replay it without
#                      and with the K indicators loaded, alternating, R rounds each (default 2):
#                      prints both throughputs and the share kept ("indicators" line), and
#                      fails unless every planted indicator is sighted.
# Needs python3 and ../shared/bench (genlog.py, score.py, crowdsec-replay.sh); CrowdSec is
# installed from Debian's packages by crowdsec-replay.sh when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=1000000 seed=7 compare=100000 crowdsec=1 hostile=30000 indicators=0 rounds=2
while [ $# -gt 0 ]; do
  case $1 in
    --lines) lines=$2; shift 2;;
    --seed) seed=$2; shift 2;;
    --compare-lines) compare=$2; shift 2;;
    --hostile-lines) hostile=$2; shift 2;;
    --no-crowdsec) crowdsec=0; shift;;
    --indicators) indicators=$2; shift 2;;
    --indicator-rounds) rounds=$2; shift 2;;
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

if [ "$indicators" != 0 ]; then
  go build -o "$out/indicatorgen" ./scripts/indicatorgen
  every=$(( lines / 100 > 0 ? lines / 100 : 1 ))
  "$out/indicatorgen" --n "$indicators" --seed "$seed" --per-kind 25 --every "$every" --log "$out/access.log" \
    --out "$out/planted.log" --indicators "$out/indicators.txt" --planted "$out/planted.txt"
  echo "== Garda on $(wc -l < "$out/planted.log") lines (100 indicators planted), without and with $indicators indicators, $rounds rounds"
  for r in $(seq "$rounds"); do
    /usr/bin/time -f '%e %U %S' -o "$out/ind-without-$r.time" "$out/garda" detect replay "$out/planted.log" > /dev/null 2> "$out/ind-without-$r.json"
    /usr/bin/time -f '%e %U %S' -o "$out/ind-with-$r.time" "$out/garda" detect replay --indicators "$out/indicators.txt" \
      --indicator-hits "$out/ind-hits-$r.txt" "$out/planted.log" > /dev/null 2> "$out/ind-with-$r.json"
  done
  python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(kind, r):
    s = json.loads(open(f"{out}/ind-{kind}-{r}.json").read().strip().splitlines()[-1])
    wall, usr, sys_ = map(float, open(f"{out}/ind-{kind}-{r}.time").read().split())
    return s, wall, usr + sys_
planted = {tuple(l.rstrip("\n").split("\t")) for l in open(f"{out}/planted.txt") if l.strip()}
res, missing = {"without": [], "with": []}, set()
for r in range(1, rounds + 1):
    for kind in res:
        s, wall, cpu = load(kind, r)
        res[kind].append({"lines_per_s": int(s["lines"] / wall), "wall_s": wall, "cpu_s": round(cpu, 2), "alerts": s["alerts"],
                          "indicators": s.get("indicators"), "indicators_hit": s.get("indicators_hit")})
    hit = {tuple(l.rstrip("\n").split("\t")[1:]) for l in open(f"{out}/ind-hits-{r}.txt") if l.strip()}
    missing |= planted - hit
lines = json.loads(open(f"{out}/ind-with-1.json").read().strip().splitlines()[-1])["lines"]
wall = {k: sum(x["wall_s"] for x in v) for k, v in res.items()}
cpu = {k: sum(x["cpu_s"] for x in v) for k, v in res.items()}
print(json.dumps({"indicators": {"lines": lines, "runs": res,
    "lines_per_s_without": int(lines * rounds / wall["without"]), "lines_per_s_with": int(lines * rounds / wall["with"]),
    "kept_wall_pct": round(100 * wall["without"] / wall["with"], 1), "kept_cpu_pct": round(100 * cpu["without"] / cpu["with"], 1),
    "planted": len(planted), "planted_sighted": len(planted) - len(missing)}}))
if missing:
    print("planted indicators not sighted:", sorted(missing)[:10], file=sys.stderr); sys.exit(1)
PY
fi

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
