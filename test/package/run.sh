#!/usr/bin/env bash
# The Debian package on this machine's PostgreSQL, end to end:
#   test/package/run.sh [PATH.deb]
# builds the package with scripts/build-deb.sh (or takes the .deb given), checks its name,
# fields and files, removes a `make install` copy of the extension from the system
# PostgreSQL, installs the package with apt, runs CREATE EXTENSION and the pg_regress and
# isolation suites in a throwaway cluster, then purges the package and checks that it left
# no file behind. It changes the system PostgreSQL, so it runs only as root and only when
# PFM_PG_BIN selects no other installation (otherwise it skips); it leaves the system with
# neither the package nor a `make install` copy.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$PFM_ROOT"

pkg=postgresql-$PG_MAJOR-pfm-migrate
system_bin=/usr/lib/postgresql/$PG_MAJOR/bin
skip_reason=
[ "$(id -u)" = 0 ] || skip_reason="installs a package into the system PostgreSQL: needs root"
[ -z "${PFM_PG_BIN:-}" ] || [ "$PFM_PG_BIN" = "$system_bin" ] ||
	skip_reason="PFM_PG_BIN selects $PFM_PG_BIN; this test installs into the system PostgreSQL ($system_bin)"
if [ -n "$skip_reason" ]; then
	echo "ok - # SKIP $skip_reason"
	echo "package: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
pfm_ensure_deps --tests

passed=0 failed=0
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { # fail DESCRIPTION [DIAGNOSTICS]
	echo "not ok - $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
	failed=$((failed + 1))
}
check() { # check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2"$'\n'"got:      $3"; fi
}
# check_run DESCRIPTION COMMAND...: passes when the command succeeds; its output is the diagnostic.
check_run() {
	local description=$1 output
	shift
	if output=$("$@" 2>&1); then pass "$description"; else fail "$description" "$output"; fi
}
finish() {
	echo "package: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
apt_quiet() { DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 "$@"; }
installed() { [ "$(dpkg-query -W -f '${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ]; }
pkglibdir=$("$system_bin/pg_config" --pkglibdir)
extdir=$("$system_bin/pg_config" --sharedir)/extension
# Every file of the extension in the system PostgreSQL, whoever put it there.
extension_files() { find "$pkglibdir" "$extdir" -name 'pfm_migrate*' -not -type d | sort; }

work=$(pfm_tmpdir)
cleanup() {
	pfm_cluster_stop "$work/data"
	rm -rf "$work"
	if installed; then apt_quiet purge "$pkg" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# 1. The release files agree on the version, and the package carries it.
version=$(pfm_default_version)
check "META.json and debian/changelog carry default_version $version" "" "$(pfm_release_version_problems)"

if [ $# -gt 0 ]; then
	deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	if [ -f "$deb" ]; then pass "takes the given package $deb"; else fail "no package at $1" && finish; fi
elif deb=$(scripts/build-deb.sh --no-check 2>"$work/build.err"); then
	pass "scripts/build-deb.sh builds $(basename "$deb")"
else
	fail "scripts/build-deb.sh builds the package" "$(tail -30 "$work/build.err")"
	finish
fi
arch=$(dpkg --print-architecture)
check "the file is named ${pkg}_${version}_$arch.deb" "${pkg}_${version}_$arch.deb" "$(basename "$deb")"
check "package, version and architecture fields" "$pkg $version $arch" \
	"$(dpkg-deb -f "$deb" Package Version Architecture | cut -d' ' -f2 | paste -sd' ')"
depends=$(dpkg-deb -f "$deb" Depends)
if [[ $depends == *"postgresql-$PG_MAJOR "* && $depends == *libstdc++6* ]]; then
	pass "depends on postgresql-$PG_MAJOR and libstdc++6 ($depends)"
else
	fail "depends on postgresql-$PG_MAJOR and libstdc++6" "Depends: $depends"
fi

# 2. Its files: the module, the control file and every install/upgrade script of the tree
# (whatever versions exist), docs, and nothing else (no LLVM bitcode: with_llvm stays off).
expected=$({
	echo "$pkglibdir/pfm_migrate.so"
	echo "$extdir/pfm_migrate.control"
	for script in pfm_migrate--*.sql; do echo "$extdir/$script"; done
} | sort)
contents=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|' | grep -v '/$' | sort)
check "ships the module, the control file and every pfm_migrate--*.sql" "$expected" \
	"$(grep -v "^/usr/share/doc/$pkg/" <<<"$contents")"
check "and its docs" "/usr/share/doc/$pkg/README.md.gz /usr/share/doc/$pkg/changelog.gz /usr/share/doc/$pkg/copyright" \
	"$(grep "^/usr/share/doc/" <<<"$contents" | paste -sd' ')"

# 3. Out with any earlier package and any `make install` copy, then in with apt.
if installed; then apt_quiet purge "$pkg" >/dev/null; fi
leftovers=$(extension_files)
[ -z "$leftovers" ] || xargs -d '\n' rm -f <<<"$leftovers"
check "no make-install copy left in pkglibdir or sharedir/extension${leftovers:+ (removed $(wc -l <<<"$leftovers") files)}" \
	"" "$(extension_files)"
check_run "apt-get install ./$(basename "$deb")" apt_quiet install --no-install-recommends "$deb"
listed=$(dpkg -L "$pkg" | sort)
owned=$(while IFS= read -r f; do [ -d "$f" ] || echo "$f"; done <<<"$listed")
check "dpkg -L lists the package's files" "$contents" "$owned"
check "the extension's files in the system PostgreSQL are the package's" "$expected" "$(extension_files)"

# 4. A throwaway cluster of the system PostgreSQL uses the packaged extension.
pfm_cluster_start "$work/data" "$work/sock" 5439
export PGHOST="$work/sock" PGPORT=5439 PGUSER=postgres
q() { psql -qAtX -v ON_ERROR_STOP=1 -d postgres "$@" 2>&1; }
check "CREATE EXTENSION pfm_migrate installs version $version" "$version" \
	"$(q -c 'CREATE EXTENSION pfm_migrate' -c "SELECT extversion FROM pg_extension WHERE extname = 'pfm_migrate'")"
check "the packaged module loads and migrates" "0001" "$(q -c "SET client_min_messages = warning" \
	-c "SELECT pfm_register('0001', NULL, upgrade => 'CREATE TABLE t (id int)', downgrade => 'DROP TABLE t')" \
	-c "SELECT count(*) FROM pfm_upgrade('head')" -c 'SELECT pfm_current()' | tail -1)"
for suite in regress isolation; do
	if output=$(scripts/run-sql-suite.sh "$suite" 2>&1); then
		pass "the $suite suite passes against the package ($(grep -oE '[0-9]+ passed' <<<"$output" | tail -1))"
	else
		fail "the $suite suite passes against the package" "$output"
	fi
done
pfm_cluster_stop "$work/data"

# 5. Purge: the package's files go, and nothing of pfm_migrate stays behind.
check_run "apt-get purge $pkg" apt_quiet purge "$pkg"
if installed; then fail "dpkg no longer lists $pkg as installed"; else pass "dpkg no longer lists $pkg as installed"; fi
check "every file dpkg -L listed is gone" "" "$(while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done <<<"$owned")"
check "nothing of pfm_migrate left in pkglibdir or sharedir/extension" "" "$(extension_files)"
check "no /usr/share/doc/$pkg left" "" "$(ls -d "/usr/share/doc/$pkg" 2>/dev/null)"
finish
