#!/usr/bin/env bash
# Fails when a glue source file includes a C++ standard header after postgres.h
# (STYLE.md: port.h renames printf & co and c.h defines Min/Max/_, so they must come first).
# Reads the include order the compiler itself reports (g++ -H), so transitive includes count.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-pg_config}
server_include=$("$PG_CONFIG" --includedir-server)
status=0 checked=0 bad=0
for f in src/*.cpp src/pg/*.cpp src/api/*.cpp; do
	[ -f "$f" ] || continue
	checked=$((checked + 1))
	late=$(g++ -std=c++17 -H -fsyntax-only -Isrc -I"$server_include" "$f" 2>&1 >/dev/null |
		awk -v pg="$server_include/postgres.h" -v server="$server_include/" '
			# g++ -H prints one line per header opened: dots for the depth, then the path.
			/^\.+ / {
				depth = length($1); path = $2; stack[depth] = path
				parent = depth > 1 ? stack[depth - 1] : "(the file)"
				if (path == pg) { seen = 1; next }
				# A C++ standard header included by our own code after postgres.h; what
				# PostgreSQL headers or the standard library include themselves does not count.
				if (seen && !late && path ~ /\/c\+\+\/[0-9]+\/[^\/.]+$/ && index(parent, server) != 1 &&
				    parent !~ /\/c\+\+\// && parent !~ /^\/usr\/include\//)
					late = path
			}
			END { if (late) print late }') || {
		echo "error: $f does not compile alone (g++ -fsyntax-only -Isrc): run it to see why" >&2
		status=1 bad=$((bad + 1))
		continue
	}
	if [ -n "$late" ]; then
		echo "error: $f includes $late after postgres.h" >&2
		status=1 bad=$((bad + 1))
	fi
done
echo "include order: $((checked - bad)) passed, $bad failed"
exit $status
