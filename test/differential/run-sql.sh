#!/bin/bash
# Differential test of the installed extension against Alembic 1.8, through SQL.
#
# Expects PGHOST / PGPORT / PGUSER to point at a running server where pfm_migrate is
# installed (files in place; CREATE EXTENSION is done per graph by the test). Creates the
# database pfm_diff (dropping any left over), runs alembic_diff.py --sql in it, drops it and
# exits with the test's status. Extra arguments go to alembic_diff.py, e.g.
# `--cli /tmp/dbuild/test/differential/pfm_plan_cli` to cross-check every SQL result
# against the core's, or `--graphs 600 --seed 7`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
db=pfm_diff
graphs=${PFM_DIFF_GRAPHS:-200}  # about 10 s; 60 s would allow ~1000

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

drop_db() { psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; }

psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
trap drop_db EXIT

status=0
/usr/bin/python3 "$here/alembic_diff.py" --sql --dbname "$db" --graphs "$graphs" --seed 1 "$@" || status=$?
exit "$status"
