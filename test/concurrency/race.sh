#!/usr/bin/env bash
# 8 sessions race pfm_upgrade('head') over a 20-migration chain whose bodies sleep; every
# session must succeed and every body must run exactly once (the trace table proves it).
# Runs at READ COMMITTED and at REPEATABLE READ. Needs PGHOST/PGPORT/PGUSER of a server
# with pfm_migrate installed.
set -euo pipefail
sessions=${SESSIONS:-8}
chain=${CHAIN:-20}
passed=0 failed=0
psql_db() { psql -qAtX -v ON_ERROR_STOP=1 -d pfm_race "$@"; }

for isolation in 'read committed' 'repeatable read'; do
	psql -qAtX -d postgres -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS pfm_race' -c 'CREATE DATABASE pfm_race'
	psql_db -c 'CREATE EXTENSION pfm_migrate' -c 'CREATE TABLE trace (revision text, pid int)'
	for i in $(seq 1 "$chain"); do
		parent=$([ "$i" -gt 1 ] && printf "'r%02d'" $((i - 1)) || echo NULL)
		psql_db -c "SELECT pfm_register('r$(printf %02d "$i")', $parent,
			\$\$INSERT INTO trace VALUES ('r$(printf %02d "$i")', pg_backend_pid()); SELECT pg_sleep(0.02);\$\$,
			'DELETE FROM trace', 'step $i')" >/dev/null
	done
	pids=()
	for s in $(seq 1 "$sessions"); do
		PGOPTIONS="-c client_min_messages=warning" psql_db \
			-c "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL $isolation" \
			-c "SELECT count(*) FROM pfm_upgrade('head')" >"/tmp/pfm_race.$s.out" 2>&1 &
		pids+=($!)
	done
	ok_sessions=0
	for pid in "${pids[@]}"; do wait "$pid" && ok_sessions=$((ok_sessions + 1)); done
	runs=$(psql_db -c 'SELECT count(*) FROM trace')
	distinct=$(psql_db -c 'SELECT count(DISTINCT revision) FROM trace')
	applied_by=$(for s in $(seq 1 "$sessions"); do cat "/tmp/pfm_race.$s.out"; done | awk "{s+=\$1} END {print s+0}")
	current=$(psql_db -c 'SELECT pfm_current()')
	if [ "$ok_sessions" -eq "$sessions" ] && [ "$runs" -eq "$chain" ] && [ "$distinct" -eq "$chain" ] \
		&& [ "$applied_by" -eq "$chain" ] && [ "$current" = "r$chain" ]; then
		echo "ok - $isolation: $sessions sessions succeeded, $runs bodies ran once each, steps reported $applied_by"
		passed=$((passed + 1))
	else
		echo "not ok - $isolation: sessions ok $ok_sessions/$sessions, body runs $runs, distinct $distinct, steps $applied_by, current $current"
		for s in $(seq 1 "$sessions"); do sed "s/^/  session $s: /" "/tmp/pfm_race.$s.out"; done
		failed=$((failed + 1))
	fi
done
psql -qAtX -d postgres -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS pfm_race'
echo "race: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
