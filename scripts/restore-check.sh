#!/usr/bin/env bash
# Test a Garda backup archive the way a restore would use it, without
# touching the live installation: restore it into a scratch directory
# (every file checked against the manifest's SHA-256, the database with
# SQLite's integrity check), walk the restored audit chain with
# `garda audit verify`, and remove the scratch directory. For an archive of
# a PostgreSQL deployment, the dump is checked readable with
# `pg_restore --list` (load it into a scratch database with
# `garda restore --database` to go further). Exit 0 when the archive would
# restore, non-zero naming what is wrong. Run it on every night's archive.
#
# Usage: scripts/restore-check.sh ARCHIVE [--garda PATH]
set -euo pipefail
archive=${1:?usage: scripts/restore-check.sh ARCHIVE [--garda PATH]}
shift
garda=$(command -v garda || true)
while [ $# -gt 0 ]; do
  case $1 in
    --garda) garda=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
[ -x "$garda" ] || { echo "garda not found: pass --garda PATH" >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/garda-restore-check.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
"$garda" restore --data-dir "$scratch/data" "$archive"
if [ -f "$scratch/data/garda.db" ]; then
  "$garda" audit verify --data-dir "$scratch/data"
elif [ -f "$scratch/data/postgresql.dump" ]; then
  command -v pg_restore >/dev/null || { echo "pg_restore not found (apt-get install postgresql-client)" >&2; exit 2; }
  objects=$(pg_restore --list "$scratch/data/postgresql.dump" | grep -vc '^;')
  echo "postgresql.dump readable: $objects objects"
fi
echo "restore check passed: $archive"
