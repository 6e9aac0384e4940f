// pfm_load, pfm_preview, pfm_migration_file: migration files handed to the server as data.
#include <optional>
#include <string>
#include <vector>

#include "core/migration_file.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/files.hpp"
#include "pg/locking.hpp"

using namespace pfm;
using namespace pfm::pg;

// The Makefile defines it from the control file's default_version; without it (a tool
// compiling this file alone) file_set_loaded never matches: the full path always runs.
#ifndef PFM_EXTENSION_VERSION
#define PFM_EXTENSION_VERSION "unknown"
#endif

namespace {

std::vector<ResultRow>
action_rows(const FileSetPlan &plan)
{
	std::vector<ResultRow> rows;
	rows.reserve(plan.actions.size());
	for (const FileAction &a : plan.actions)
		rows.push_back({Cell::of(a.revision), a.file.empty() ? Cell::null() : Cell::of(a.file), Cell::of(a.action)});
	return rows;
}

std::vector<FileRevision>
files_argument(FunctionCallInfo fcinfo)
{
	return read_migration_files(required_text_array(fcinfo, 0, "files"), required_text_array(fcinfo, 1, "contents"));
}

// The comment lines a file starts with (without "--"), up to its first other line; the
// format's own header lines are left out.
std::string
leading_comment(const std::string &text)
{
	std::string out;
	std::size_t pos = 0;
	while (pos < text.size()) {
		std::size_t nl = text.find('\n', pos);
		std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
		std::size_t start = line.find_first_not_of(" \t\r");
		if (start != std::string::npos && line.compare(start, 2, "--") != 0)
			break;
		if (start != std::string::npos) {
			std::string body = line.substr(start + 2);
			std::size_t first = body.find_first_not_of(" \t\r");
			body = first == std::string::npos ? std::string() : body.substr(first);
			if (body.compare(0, 4, "pfm:") != 0)
				out += body + "\n";
		}
		if (nl == std::string::npos)
			break;
		pos = nl + 1;
	}
	while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
		out.pop_back();
	return out;
}

}  // namespace

// pfm_load(files text[], contents text[]): makes the registered revisions exactly the
// files' (applied ones excepted), under the migration lock, audited.
PFM_SQL_FUNCTION(pfm_load)
{
	std::vector<FileRevision> files = files_argument(fcinfo);
	remember_call("pfm_load()");
	std::vector<ResultRow> rows;
	{
		Spi spi;
		require_writable("pfm_load");
		acquire_migration_lock(spi);
		FileSetPlan plan = plan_file_set(spi, files);
		apply_file_set(spi, files, plan);
		rows = action_rows(plan);
		spi.finish();
	}
	return return_rows(fcinfo, rows);
}

// pfm_preview(files text[], contents text[]): the same answer as pfm_load, changing
// nothing; until the transaction ends, read-only calls see the files as if loaded.
PFM_SQL_FUNCTION(pfm_preview)
{
	std::vector<FileRevision> files = files_argument(fcinfo);
	std::vector<ResultRow> rows;
	{
		Spi spi;
		FileSetPlan plan = plan_file_set(spi, files);
		rows = action_rows(plan);
		set_file_overlay(spi, std::move(plan.overlay));
		spi.finish();
	}
	return return_rows(fcinfo, rows);
}

// pfm_migration_file(file text, content text): the file rewritten in the migration file
// format (a 0.1.0-style pfm_register file converted; a file in the format, normalized).
PFM_SQL_FUNCTION(pfm_migration_file)
{
	std::string content = required_text(fcinfo, 1, "content");
	std::vector<FileRevision> files = read_migration_files({required_text(fcinfo, 0, "file")}, {content});
	const core::Revision &r = files.front().revision.revision;
	core::MigrationFile f;
	f.revision = r.id;
	f.parents = r.parents;
	f.branch_labels = r.branch_labels;
	f.depends_on = r.depends_on;
	f.message = r.message;
	f.transactional = r.transactional;
	f.upgrade = files.front().revision.upgrade;
	f.downgrade = files.front().revision.downgrade;
	return text_datum(core::format_migration_file(f, leading_comment(content)));
}

// pfm_migrate.file_set_loaded(digest text): whether the migration files that hash to
// `digest` are exactly what is registered (loading them again would change nothing), with the
// extension at this library's own version: otherwise an update is due, which only the full
// path of scripts/deploy.sh runs. (One catalog read; pg_extension_update_paths would read the
// extension directory.)
PFM_SQL_FUNCTION(pfm_file_set_loaded)
{
	std::string digest = required_text(fcinfo, 0, "digest");
	bool loaded;
	{
		Spi spi;
		loaded = spi.run("SELECT FROM pg_catalog.pg_extension e"
		                 " WHERE e.extname OPERATOR(pg_catalog.=) 'pfm_migrate' AND e.extversion OPERATOR(pg_catalog.=) $2"
		                 "   AND EXISTS (SELECT FROM pfm_migrate.file_set f WHERE f.digest OPERATOR(pg_catalog.=) $1)",
		                 {text_param(digest), text_param(std::string(PFM_EXTENSION_VERSION))}, true) == 1;
		spi.finish();
	}
	PG_RETURN_BOOL(loaded);
}

// pfm_migrate.noop_current(digest text, target text, for_move boolean): the current
// revision(s) as pfm_current() gives them ('base' for none) when the files that hash to
// `digest` are exactly what is registered (file_set_loaded) and pfm_upgrade(target) is
// recorded as a no-op for this very catalog (pfm_migrate.noop_verdict: target head or
// heads). NULL otherwise; also when the caller's search_path does not find the extension's
// pfm_upgrade (deploy.sh calls it by name), and, with for_move, where pfm_upgrade(target)
// would be refused (a standby, a read-only transaction). What deploy.sh's compiled client
// asks: NULL hands the command to the script. Reads only and takes no lock, as
// pfm_upgrade's own no-op.
PFM_SQL_FUNCTION(pfm_noop_current)
{
	std::string digest = required_text(fcinfo, 0, "digest");
	std::string target = required_text(fcinfo, 1, "target");
	const bool for_move = required_bool(fcinfo, 2, "for_move");
	if (!has_noop_verdict(core::Direction::upgrade, target))
		PG_RETURN_NULL();
	if (for_move) {
		try {
			require_writable("pfm_upgrade");
		} catch (const SqlError &) {
			PG_RETURN_NULL();
		}
	}
	std::optional<std::string> current;
	{
		Spi spi;
		current = noop_current_for_files(spi, digest, PFM_EXTENSION_VERSION, target);
		spi.finish();
	}
	if (!current)
		PG_RETURN_NULL();
	return text_datum(*current);
}
