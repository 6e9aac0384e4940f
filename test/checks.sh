# Shared by the server test scripts (test/integration/*.sh, test/privileges/run.sh; sourced):
# TAP-style checks that count into $passed / $failed, and a psql helper.
passed=0 failed=0
check() { # check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
		passed=$((passed + 1))
	else
		echo "not ok - $1: expected '$2', got '$3'"
		failed=$((failed + 1))
	fi
}
# q DB [psql args]: the unaligned, tuples-only output of psql against DB; stops on an error.
q() {
	local db=$1
	shift
	psql -qAtX -v ON_ERROR_STOP=1 -d "$db" "$@"
}
