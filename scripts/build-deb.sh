#!/usr/bin/env bash
# Builds the Debian package postgresql-15-pfm-migrate_<version>_<arch>.deb (one package per
# PostgreSQL version in debian/pgversions that this Debian release supports) with PostgreSQL's
# Debian tooling (debian/, pg_buildext, dh --with pgxs_loop), and prints the path of the .deb.
#
#   scripts/build-deb.sh [--no-check] [--out DIR]
#     --no-check  skip the build-time regression run (the `nocheck` build option and profile);
#                 test/package/run.sh runs the suites against the installed package instead
#     --out DIR   where the .deb files go (default: build/deb)
#
# Builds in a clean copy of the tree (tracked files and untracked, non-ignored ones, as they
# are in the work tree) under a temporary directory, so the work tree keeps no build output.
# Installs the build dependencies (debian/control's Build-Depends) when missing, as root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

check=1
out="$PFM_ROOT/build/deb"
while [ $# -gt 0 ]; do
	case $1 in
	--no-check) check= ;;
	--out)
		out=${2:?--out needs a directory}
		shift
		;;
	*) pfm_die "usage: scripts/build-deb.sh [--no-check] [--out DIR]" ;;
	esac
	shift
done

command -v dpkg-checkbuilddeps >/dev/null || pfm_apt_get install dpkg-dev
command -v git >/dev/null || pfm_apt_get install git

problems=$(pfm_release_version_problems)
[ -z "$problems" ] || pfm_die "release versions disagree:"$'\n'"$problems"
version=$(pfm_default_version)

# Traversable by postgres: the build-time test's cluster reads the files installed under debian/.
work=$(pfm_tmpdir)
trap 'rm -rf "$work"' EXIT
src="$work/pfm-migrate-$version"
mkdir "$src"
git -C "$PFM_ROOT" ls-files -z --cached --others --exclude-standard |
	(cd "$PFM_ROOT" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
	tar -C "$PFM_ROOT" --null -T - -cf - | tar -C "$src" -xf -

if [ -z "$check" ]; then
	# dpkg-checkbuilddeps, apt-get build-dep and dpkg-buildpackage all read these.
	export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }nocheck"
	export DEB_BUILD_PROFILES="${DEB_BUILD_PROFILES:+$DEB_BUILD_PROFILES }nocheck"
fi
if ! (cd "$src" && dpkg-checkbuilddeps >/dev/null 2>&1); then
	pfm_log "installing the build dependencies"
	pfm_apt_get build-dep "$src"
fi

mkdir -p "$out"
log="$out/build.log"
pfm_log "building the Debian package ${check:+(with the build-time regression run) }(log: $log)"
# A machine with more supported PostgreSQL versions (apt.postgresql.org) gets one package each.
export PG_UPDATECONTROL=yes
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$log" 2>&1; then
	tail -40 "$log" >&2
	pfm_die "dpkg-buildpackage failed; the whole log is $log"
fi

arch=$(dpkg --print-architecture)
shopt -s nullglob
debs=("$work"/*.deb)
[ "${#debs[@]}" -gt 0 ] || pfm_die "dpkg-buildpackage made no .deb (log: $log)"
for deb in "${debs[@]}"; do
	rm -f "$out/$(basename "$deb")"
	cp "$deb" "$out/"
done
deb="$out/postgresql-$PG_MAJOR-pfm-migrate_${version}_$arch.deb"
[ -f "$deb" ] || pfm_die "no $(basename "$deb") among: ${debs[*]##*/}"
printf '%s\n' "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
