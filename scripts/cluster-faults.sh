#!/usr/bin/env bash
# cluster-faults.sh: a Garda cluster on one machine, broken and counted.
# Starts a 3-node NATS JetStream cluster (garda nats-node, R3 streams), a
# database of its own on the machine's PostgreSQL (dropped after) behind a
# loopback proxy, 3 garda serve instances and a load generator ingesting
# from 553 sites; then kills an instance (kill -9), NATS nodes (quorum
# lost), PostgreSQL's connections (30 s), stalls a stream reader, keeps a
# bouncer away while thousands of decisions are made, stops detection until
# a 1 MiB events stream is full, and runs three instances' schedules over a
# day of fake time. Everything it
# started is stopped. One line per fault:
#   FAULT <name> acknowledged=N detected=N duplicates=N lost=N ...
# and exit non-zero on any loss or duplicate (or a fault's other bar).
#   scripts/cluster-faults.sh          short (CI) mode, about 10 minutes
#   scripts/cluster-faults.sh --long   longer load under each fault
#   scripts/cluster-faults.sh --bench  ingest lines/s with 1, 2, 3 instances pinned by taskset
#   scripts/cluster-faults.sh --sessions  500 signed-in people's queue and map
#                                      (1 and 3 instances) and 1,000 alert-stream readers
set -euo pipefail
cd "$(dirname "$0")/.."
export GARDA_TEST_POSTGRES="${GARDA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
mode=1 run='^(TestClusterFaults|TestScheduleOnceAcrossInstances)$'
case "${1:-}" in
  --long) mode=long ;;
  --bench) run="^TestIngestScaling$"; export GARDA_CLUSTER_BENCH=1 ;;
  --sessions) run="^TestSessionsLoad$"; export GARDA_CLUSTER_SESSIONS=1 ;;
  "") ;;
  *) echo "usage: $0 [--long|--bench|--sessions]" >&2; exit 2 ;;
esac
log=$(mktemp /tmp/garda-cluster-faults.XXXXXX)
set +e
GARDA_CLUSTER=$mode go test ./internal/cluster/ -run "$run" -count=1 -v -timeout 60m >"$log" 2>&1
rc=$?
set -e
grep -E '^(FAULT|BENCH) |^\s*--- (PASS|FAIL|SKIP)|^(ok|FAIL)\s' "$log" || true
bad=$(grep -E '^FAULT ' "$log" | grep -Ev ' duplicates=0 lost=0( |$)' || true)
if [ -n "$bad" ] || [ $rc -ne 0 ]; then
  echo "cluster-faults: FAILED (full log: $log)"
  exit 1
fi
echo "cluster-faults: every fault passed (full log: $log)"
