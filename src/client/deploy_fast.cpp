// pfm_deploy_fast: scripts/deploy.sh's fast path for the commands a pipeline runs on every
// deploy (migrate, plan, health) when nothing is to be done: a compiled libpq client, so that
// such a command costs about one psql call (issue 15: the script's own fast path, a shell,
// find and psql, costs about 22 ms of CPU; this, a few).
//
//   pfm_deploy_fast BASH SCRIPT MIGRATIONS_DIR COMMAND [ARG...]
//
// deploy.sh execs it (MIGRATIONS_DIR made absolute as deploy.sh does). It answers only the
// plain case, and prints exactly what the script would:
//   - the script's digest cache names the file set, and no migration file, nor the
//     directory, has a ctime or mtime after the cache's T (pfm_files_digest's find test);
//   - migrate [head|heads] and plan [head|heads]: the database holds exactly that file set
//     and pfm_upgrade(target) is recorded as a no-op for its very catalog
//     (pfm_migrate.noop_current: one query, no lock, as pfm_upgrade's own no-op);
//   - health: the database holds exactly that file set (pfm_migrate.file_set_loaded); then
//     pfm_status() and pfm_check(), read-only, whatever they say.
// Every other case (an option or another command, no cache entry, a changed file, no
// connection, the extension missing or old, no grant, another file set, no recorded no-op,
// something to run, an error, a notice, a value the script would print otherwise) it hands
// over without having changed anything: it execs `BASH SCRIPT COMMAND ARG...` with
// PFM_FAST_CLIENT=off, and the script does the whole command, refusals and messages
// included. It prints nothing before it has succeeded, so nothing is printed twice.
//
// A client program, not part of the server module: it links libpq only.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <libpq-fe.h>

namespace
{

const char kCacheHeader[] = "pfm_migrate file digest cache 2";

// ---- the local digest cache (see pfm_files_digest in scripts/deploy.sh) ------------------

bool
all_digits(const std::string &s)
{
	if (s.empty())
		return false;
	for (char c : s)
		if (c < '0' || c > '9')
			return false;
	return true;
}

// ^[0-9]+\.[0-9]+$: T as seconds and nanoseconds (digits past the ninth dropped)
bool
parse_since(const std::string &s, struct timespec *t)
{
	size_t dot = s.find('.');
	if (dot == std::string::npos)
		return false;
	std::string sec = s.substr(0, dot), frac = s.substr(dot + 1);
	if (!all_digits(sec) || !all_digits(frac) || sec.size() > 15)
		return false;
	frac.resize(9, '0');
	t->tv_sec = static_cast<time_t>(std::strtoll(sec.c_str(), nullptr, 10));
	t->tv_nsec = std::strtol(frac.c_str(), nullptr, 10);
	return true;
}

// ^files-v2 [0-9]+ [0-9a-f]{64}$
bool
valid_digest(const std::string &d)
{
	const std::string prefix = "files-v2 ";
	if (d.compare(0, prefix.size(), prefix) != 0)
		return false;
	size_t space = d.find(' ', prefix.size());
	if (space == std::string::npos || !all_digits(d.substr(prefix.size(), space - prefix.size())))
		return false;
	std::string hex = d.substr(space + 1);
	if (hex.size() != 64)
		return false;
	for (char c : hex)
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	return true;
}

std::string
cache_path(const std::string &dir)
{
	const char *xdg = std::getenv("XDG_CACHE_HOME"), *home = std::getenv("HOME");
	std::string base;
	if (xdg && *xdg)
		base = xdg;
	else if (home && *home)
		base = std::string(home) + "/.cache";
	else
		return "";
	std::string name = dir;
	for (char &c : name)
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-'))
			c = '_';
	return base + "/pfm_migrate/files" + name;
}

// The cached digest of the files of `dir` and its T, when the entry is valid and was written
// at a time the clock has reached.
bool
read_cache(const std::string &dir, std::string *digest, struct timespec *since)
{
	std::string path = cache_path(dir);
	if (path.empty())
		return false;
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	std::string text;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 65536) {
		char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			text.append(buf, static_cast<size_t>(n));
	}
	close(fd);
	if (text.find('\0') != std::string::npos)
		return false;
	std::vector<std::string> lines;
	size_t at = 0;
	while (lines.size() < 5 && at < text.size()) {
		size_t nl = text.find('\n', at);
		if (nl == std::string::npos)
			nl = text.size();
		lines.push_back(text.substr(at, nl - at));
		at = nl + 1;
	}
	if (lines.size() < 5 || lines[0] != kCacheHeader || lines[1] != dir || !parse_since(lines[2], since) ||
		!valid_digest(lines[3]) || !all_digits(lines[4]) || lines[4].size() > 15)
		return false;
	struct timeval now;
	gettimeofday(&now, nullptr);
	if (static_cast<long long>(now.tv_sec) < std::strtoll(lines[4].c_str(), nullptr, 10))
		return false;
	*digest = lines[3];
	return true;
}

bool
later(const struct timespec &a, const struct timespec &t)
{ // a >= t (find's "newer" is >)
	return a.tv_sec > t.tv_sec || (a.tv_sec == t.tv_sec && a.tv_nsec >= t.tv_nsec);
}

// Whether the directory and its migration files (regular files *.sql, symlinks followed, no
// name starting with a dot) all have a ctime and mtime before T. Anything it cannot examine
// counts as changed.
bool
files_unchanged(const std::string &dir, const struct timespec &since)
{
	int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	struct stat st;
	if (fstat(dfd, &st) != 0 || later(st.st_ctim, since) || later(st.st_mtim, since)) {
		close(dfd);
		return false;
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return false;
	}
	bool unchanged = true;
	errno = 0;
	while (struct dirent *e = readdir(d)) {
		size_t len = std::strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 4 || std::strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (fstatat(dfd, e->d_name, &st, 0) != 0) {
			unchanged = false;
			break;
		}
		if (S_ISREG(st.st_mode) && (later(st.st_ctim, since) || later(st.st_mtim, since))) {
			unchanged = false;
			break;
		}
	}
	if (errno != 0)
		unchanged = false;
	closedir(d);
	return unchanged;
}

// ---- the session ---------------------------------------------------------------------

[[noreturn]] void hand_over(char **argv, PGconn *conn);

using Rows = std::vector<std::vector<std::string>>;

struct Session {
	PGconn *conn = nullptr;
	char **argv = nullptr;
	std::vector<std::string> notices; // what the script would print for them

	[[noreturn]] void give_up() { hand_over(argv, conn); }

	// The statements of `sql` (one simple query: one round trip), each statement's rows as
	// text (NULL as the empty string, as psql -A shows it; none for a command). An error hands
	// the command over.
	std::vector<Rows> run(const std::string &sql)
	{
		if (!PQsendQuery(conn, sql.c_str()))
			give_up();
		std::vector<Rows> results;
		bool failed = false;
		while (PGresult *res = PQgetResult(conn)) {
			ExecStatusType st = PQresultStatus(res);
			if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
				failed = true;
			Rows rows;
			for (int r = 0; r < PQntuples(res); ++r) {
				std::vector<std::string> row;
				for (int c = 0; c < PQnfields(res); ++c) {
					std::string v(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c)));
					// (a value the script would split, or show on two lines: its output is the rule)
					if (v.find_first_of("\n\r\x1f") != std::string::npos)
						failed = true;
					row.push_back(std::move(v));
				}
				rows.push_back(std::move(row));
			}
			PQclear(res);
			results.push_back(std::move(rows));
		}
		if (failed)
			give_up();
		return results;
	}
	std::string literal(const std::string &text)
	{
		char *q = PQescapeLiteral(conn, text.data(), text.size());
		if (!q)
			give_up();
		std::string quoted(q);
		PQfreemem(q);
		return quoted;
	}
};

// The script turns psql's message lines into its own (pfm_session_run): "nothing to do" is
// left out, any other NOTICE shown as "notice: ...". Anything else (a warning, a step
// running) is the script's to show: a notice this client does not expect hands over.
void
on_notice(void *arg, const PGresult *res)
{
	auto *s = static_cast<Session *>(arg);
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	if (severity && primary && std::strcmp(severity, "NOTICE") == 0 && !detail && !hint &&
		std::strncmp(primary, "nothing to do: the database is already at", 41) == 0 && !std::strchr(primary, '\n'))
		return;
	s->notices.push_back(primary ? primary : "");
}

[[noreturn]] void
hand_over(char **argv, PGconn *conn)
{
	if (conn)
		PQfinish(conn); // (an open transaction is rolled back, the session's lock released)
	std::fflush(stdout);
	setenv("PFM_FAST_CLIENT", "off", 1);
	// BASH SCRIPT COMMAND ARG...: argv[1], argv[2], then argv[4]...
	std::vector<char *> args{argv[1], argv[2]};
	for (char **a = argv + 4; *a; ++a)
		args.push_back(*a);
	args.push_back(nullptr);
	execv(argv[1], args.data());
	std::fprintf(stderr, "error: cannot run %s: %s\n", argv[1], std::strerror(errno));
	std::exit(1);
}

PGconn *
connect()
{
	const char *app = std::getenv("PGAPPNAME");
	if (!app || !*app)
		setenv("PGAPPNAME", "pfm_deploy", 1);
	setenv("PGCLIENTENCODING", "UTF8", 1);
	const char *url = std::getenv("DATABASE_URL");
	if (url && *url) {
		const char *keys[] = {"dbname", nullptr};
		const char *values[] = {url, nullptr};
		return PQconnectdbParams(keys, values, 1);
	}
	return PQconnectdb("");
}

std::string
can_call(const char *routine)
{
	return std::string("coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('") + routine +
		   "'), 'EXECUTE'), false)";
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc < 5) {
		std::fprintf(stderr, "usage: pfm_deploy_fast BASH SCRIPT MIGRATIONS_DIR COMMAND [ARG...]\n");
		return 1;
	}
	Session s;
	s.argv = argv;
	const std::string dir = argv[3], cmd = argv[4];
	std::vector<std::string> args(argv + 5, argv + argc);
	for (const std::string &a : args)
		if (a.compare(0, 1, "-") == 0)
			s.give_up(); // options, and targets such as -1: the script's
	std::string target;
	if (cmd == "migrate" || cmd == "plan") {
		if (args.size() > 1)
			s.give_up();
		target = args.empty() ? "head" : args[0];
	} else if (cmd != "health" || !args.empty()) {
		s.give_up();
	}
	std::string digest;
	struct timespec since;
	if (dir.empty() || dir[0] != '/' || !read_cache(dir, &digest, &since))
		s.give_up();

	// The files are examined while the server starts a backend and answers. (Handing over
	// before the check is done needs no join: exec ends the thread.)
	bool unchanged = false;
	std::thread examine([&] { unchanged = files_unchanged(dir, since); });

	s.conn = connect();
	if (PQstatus(s.conn) != CONNECTION_OK)
		s.give_up();
	PQsetNoticeReceiver(s.conn, on_notice, &s);
	const bool write = cmd == "migrate";
	// (asked first, so that a database without the extension, or a role without the grant,
	// logs no error: the script's full path is theirs)
	std::string can = cmd == "health" ? can_call("pfm_migrate.file_set_loaded(text)")
									  : can_call("pfm_migrate.noop_current(text,text,boolean)");
	std::vector<Rows> who = s.run("SELECT pg_catalog.current_database(), current_user, " + can);
	if (who.size() != 1 || who[0].size() != 1 || who[0][0][2] != "t")
		s.give_up();
	const std::string db = who[0][0][0];
	const std::string loaded = "pfm_migrate.file_set_loaded(" + s.literal(digest) + ")";

	std::string out;
	int rc = 0;
	if (cmd == "health") {
		// (pfm_status() and pfm_check() are not computed for another file set)
		const std::string status = "SELECT coalesce(current, 'base'), coalesce(heads, ''), pending, drifted, problems"
								   "  FROM pfm_status() WHERE " +
								   loaded;
		const std::string check = "SELECT severity, coalesce(revision, '-'), problem FROM pfm_check() WHERE " + loaded;
		std::vector<Rows> r =
			s.run("BEGIN; SET TRANSACTION READ ONLY; SELECT " + loaded + "; " + status + "; " + check + "; ROLLBACK");
		if (r.size() != 6 || r[2].size() != 1 || r[2][0][0] != "t" || r[3].size() != 1)
			s.give_up();
		std::string pending, drifted, problems;
		for (auto &row : r[3]) {
			out += "current:  " + row[0] + "\nheads:    " + row[1] + "\npending:  " + row[2] + "\ndrifted:  " + row[3] +
				   "\nproblems: " + row[4] + "\n";
			pending = row[2], drifted = row[3], problems = row[4];
		}
		for (auto &row : r[4]) {
			// (the script pads the first two with printf: the same for ASCII only)
			for (int i = 0; i < 2; ++i)
				for (unsigned char c : row[i])
					if (c >= 0x80)
						s.give_up();
			if (row[0].size() > 40 || row[1].size() > 40)
				s.give_up();
			char line[100];
			std::snprintf(line, sizeof line, "  %-8s %-14s ", row[0].c_str(), row[1].c_str());
			out += line + row[2] + "\n";
		}
		bool healthy = pending == "0" && drifted == "0" && problems == "0";
		out += healthy ? "healthy\n" : "unhealthy\n";
		rc = healthy ? 0 : 3;
	} else {
		// the files' own, and pfm_upgrade(target) recorded as a no-op for this catalog: nothing
		// to run (without the lock, as pfm_upgrade's own no-op; NULL when that is not known)
		std::vector<Rows> r = s.run("SELECT pfm_migrate.noop_current(" + s.literal(digest) + ", " + s.literal(target) +
									(write ? ", true)" : ", false)"));
		if (r.size() != 1 || r[0].size() != 1 || r[0][0][0].empty())
			s.give_up();
		if (write)
			out = "nothing to apply to " + db + ": current revision: " + r[0][0][0] + " (target " + target + ")\n";
		else
			out = "plan: 0 step(s) to " + target + " in " + db + "\n";
	}
	examine.join();
	if (!unchanged || !s.notices.empty())
		s.give_up();
	PQfinish(s.conn);
	s.conn = nullptr;
	std::fwrite(out.data(), 1, out.size(), stdout);
	return std::fflush(stdout) == 0 ? rc : 1;
}
