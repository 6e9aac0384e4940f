# Shared shell helpers for scripts/*.sh (sourced, not executed).
# Installs what is missing, builds and installs the extension, and runs throwaway
# PostgreSQL clusters on a Unix socket as the `postgres` OS user when we are root.

PFM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}

pfm_log() { printf '==> %s\n' "$*" >&2; }
pfm_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# pfm_apt_get ARGS...: apt-get as root, non-interactive, quiet, after one `apt-get update` per run.
pfm_apt_get() {
	[ "$(id -u)" = 0 ] || pfm_die "needs root: apt-get $* (run as root, or install the packages yourself)"
	export DEBIAN_FRONTEND=noninteractive
	if [ -z "${PFM_APT_UPDATED:-}" ]; then
		apt-get update -qq >/dev/null
		PFM_APT_UPDATED=1
	fi
	apt-get -y -qq --no-install-recommends "$@" >/dev/null
}

# pfm_ensure_deps [--tests]: the Debian packages the server and the build need (what
# scripts/dev.sh uses), and with --tests also what only the tests need; each found by the
# command or file that proves it present, installed (as root) when missing.
pfm_ensure_deps() {
	local missing=()
	[ -x "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ] || missing+=("postgresql-$PG_MAJOR")
	[ -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ] || missing+=("postgresql-server-dev-$PG_MAJOR")
	command -v g++ >/dev/null || missing+=(g++)
	command -v make >/dev/null || missing+=(make)
	if [ "${1:-}" = --tests ]; then
		[ -f "/usr/share/postgresql/$PG_MAJOR/extension/pgtap.control" ] || missing+=("postgresql-$PG_MAJOR-pgtap")
		command -v pg_prove >/dev/null || missing+=(libtap-parser-sourcehandler-pgtap-perl)
		command -v cmake >/dev/null || missing+=(cmake)
		[ -f /usr/include/gtest/gtest.h ] || missing+=(libgtest-dev)
		[ -f /usr/include/benchmark/benchmark.h ] || missing+=(libbenchmark-dev)
		/usr/bin/python3 -c 'import alembic' 2>/dev/null || missing+=(python3-alembic)
		/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || missing+=(python3-psycopg2)
		command -v dot >/dev/null || missing+=(graphviz)
	fi
	if [ "${#missing[@]}" -gt 0 ]; then
		pfm_log "installing: ${missing[*]}"
		pfm_apt_get install "${missing[@]}"
	fi
	# PFM_PG_BIN points at another PostgreSQL installation (a private copy, another build):
	# builds, installs and throwaway clusters then use it instead of the system one.
	PG_BIN="${PFM_PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}"
	export PATH="$PG_BIN:$PATH"
	export PG_CONFIG="$PG_BIN/pg_config"
	[ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config)
}

# Build and install the extension with PGXS (needs write access to PostgreSQL's dirs).
# PFM_WERROR=1 (the test command sets it) turns compiler warnings into errors.
pfm_build_install() {
	pfm_log "building and installing pfm_migrate"
	make -C "$PFM_ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" ${PFM_WERROR:+COPT=-Werror} >/dev/null
	make -C "$PFM_ROOT" -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

# Run a command as the cluster owner: `postgres` when we are root, ourselves otherwise.
pfm_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pfm_cluster_start DATADIR SOCKETDIR [PORT]: initdb if needed, start on a Unix socket only.
pfm_cluster_start() {
	local data=$1 sock=$2 port=${3:-5432}
	mkdir -p "$data" "$sock"
	[ "$(id -u)" = 0 ] && chown postgres: "$data" "$sock" && chmod 700 "$data"
	if [ ! -f "$data/PG_VERSION" ]; then
		pfm_as_owner "$PG_BIN/initdb" -D "$data" -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
	fi
	if ! pfm_as_owner "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		pfm_as_owner "$PG_BIN/pg_ctl" -D "$data" -w -l "$data/server.log" \
			-o "-c listen_addresses='' -c unix_socket_directories='$sock' -p $port" start >/dev/null
	fi
}

pfm_cluster_stop() {
	local data=$1
	[ -f "$data/PG_VERSION" ] || return 0
	pfm_as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# A directory the postgres user can traverse and write (for temp clusters as root).
pfm_tmpdir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/pfm.XXXXXX")
	chmod 755 "$d"
	[ "$(id -u)" = 0 ] && chown postgres: "$d"
	printf '%s\n' "$d"
}

# The extension's version: default_version in pfm_migrate.control.
pfm_default_version() {
	sed -n "s/^default_version *= *'\\([^']*\\)'.*/\\1/p" "$PFM_ROOT/pfm_migrate.control"
}

# Prints one line for each release file whose version is not default_version (nothing when
# all agree): META.json (version, provides' version and file) and debian/changelog. Needs perl and dpkg-dev.
pfm_release_version_problems() {
	local want changelog
	want=$(pfm_default_version)
	# A fresh install of $want is its own script, or an older one plus the update scripts
	# up to it (PostgreSQL follows the update path; this project ships one upgrade script
	# per release).
	compgen -G "$PFM_ROOT/pfm_migrate--$want.sql" >/dev/null || compgen -G "$PFM_ROOT/pfm_migrate--*--$want.sql" >/dev/null ||
		echo "neither pfm_migrate--$want.sql nor an update script to $want exists (default_version $want)"
	local -a meta
	read -ra meta < <(perl -MJSON::PP -0777 -ne '$m = decode_json($_)->{provides}{pfm_migrate};
		print join(" ", decode_json($_)->{version}, $m->{version}, $m->{file}), "\n"' "$PFM_ROOT/META.json" ||
		echo unreadable unreadable unreadable)
	[ "${meta[0]}" = "$want" ] || echo "META.json: version is ${meta[0]}, pfm_migrate.control's default_version is $want"
	[ "${meta[1]}" = "$want" ] || echo "META.json: provides.pfm_migrate.version is ${meta[1]}, default_version is $want"
	[ -f "$PFM_ROOT/${meta[2]}" ] || echo "META.json: provides.pfm_migrate.file ${meta[2]} does not exist"
	changelog=$(cd "$PFM_ROOT" && dpkg-parsechangelog -S Version)
	[ "$changelog" = "$want" ] ||
		echo "debian/changelog: the newest entry is $changelog, default_version is $want (add an entry for $want)"
}
