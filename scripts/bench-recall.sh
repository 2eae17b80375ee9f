#!/usr/bin/env bash
# Prints per-class recall (SQL injection, XSS, command injection, path
# traversal) and the false-positive rate (share of normal parameters raising
# an alert) of the whole detection engine, on the labelled parameter corpus.
#
# Usage: scripts/bench-recall.sh [-v]
#   -v   also list every missed attack and every false positive
#
# Each value is sent as one query parameter of a GET from its own address,
# percent-encoded ("url") and form-encoded ("form"), through `detect.Engine.Replay`
# as an nginx log. Corpora: internal/detect/testdata/params (written for Garda),
# generated normal values and the traffic simulator's citizens' queries; and,
# when ../shared is present (or GARDA_SHARED), SecLists' payload lists from
# ../shared/data/payloads, read at run time, never copied into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
verbose=
[ "${1:-}" = "-v" ] && verbose=1
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)'), $(date -u +%Y-%m-%dT%H:%MZ)"
GARDA_RECALL_SHARED=1 GARDA_RECALL_VERBOSE=$verbose \
  go test -count=1 -timeout 30m -run 'TestRecallCorpus|TestRecallShared' -v ./internal/detect/ |
  grep -v '^=== RUN'
