// pfm_upgrade_sql / pfm_downgrade_sql: Alembic's offline --sql mode, plus the internal
// functions the generated script calls so it does the same bookkeeping as a live call.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "core/planner.hpp"
#include "core/sql_text.hpp"
#include "core/text.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/executor.hpp"
#include "pg/lock_retry.hpp"
#include "pg/locking.hpp"

using namespace pfm;
using namespace pfm::pg;

namespace {

Datum
offline_script(FunctionCallInfo fcinfo, core::Direction direction, const std::string &target)
{
	std::string script;
	{
		// Every read below is read-only, so all of them see this statement's one snapshot:
		// the plan and the bodies cannot disagree, whatever other sessions do meanwhile.
		Spi spi;
		auto state = read_catalog_state(spi, true);
		core::Plan plan = direction == core::Direction::upgrade
		                      ? core::plan_upgrade(state->graph, state->applied, target)
		                      : core::plan_downgrade(state->graph, state->applied, target);
		std::string current = core::join(state->current_heads(), ",");
		std::string schema = extension_schema(spi);
		std::vector<StoredRevision> stored = read_step_revisions(spi, plan, true);
		spi.finish();

		// Every statement goes into the script as a dollar-quoted string that psql's \gexec
		// sends to the server as it is: psql never lexes a migration body, so nothing in one
		// (a \! line, a :variable) can act on the machine that runs the script.
		std::vector<std::vector<BodyStatement>> bodies;
		bool all_transactional = true;
		for (std::size_t i = 0; i < plan.steps.size(); i++) {
			const std::string &body =
				direction == core::Direction::upgrade ? stored[i].upgrade : stored[i].downgrade.value_or("");
			bodies.push_back(prepare_body(plan.steps[i].revision, direction, body, stored[i].revision.transactional));
			all_transactional = all_transactional && stored[i].revision.transactional;
		}
		const char *verb = core::direction_name(direction);
		script += "-- pfm_migrate offline script: " + std::string(verb) + " from " +
		          (current.empty() ? std::string("base") : current) + " to '" + target + "'\n";
		if (all_transactional)
			script += "-- Review, then run in one transaction: psql -X -v ON_ERROR_STOP=1 -1 -f <this file>\n";
		else
			script += "-- Review, then run WITHOUT -1: psql -X -v ON_ERROR_STOP=1 -f <this file>\n"
			          "-- It has non-transactional revisions, whose statements run outside any transaction block;\n"
			          "-- each transactional revision is a transaction of its own (BEGIN ... COMMIT below).\n";
		script += "-- Each statement is a quoted string that psql's gexec command runs exactly as registered.\n";
		script += "-- It needs the pfm_migrate extension and a database at the state above.\n\n";
		// pfm_migrate.lock_wait: the same bound on every lock wait, but one try (psql retries nothing).
		const std::string lock_timeout = lock_wait_ms > 0 ? "SET lock_timeout = '" + std::to_string(lock_wait_ms) + "ms';\n" : "";
		if (!lock_timeout.empty())
			script += "-- pfm_migrate.lock_wait was set: every lock wait of this script is bounded by lock_timeout, with ONE try\n"
			          "-- (nothing retries a script): a lock timeout (55P03) stops it; run it again later.\n" +
			          lock_timeout + "\n";
		script += "SELECT pfm_migrate.offline_begin(" + (current.empty() ? std::string("NULL") : core::sql_literal(current)) +
		          ");\n";
		if (plan.steps.empty())
			script += "-- nothing to do: the database is already at '" + target + "'\n";
		else
			script += "\n-- the revisions this script touches, registered as in the source database\n";
		for (const StoredRevision &r : stored) {
			std::string args;
			for (const RegisterArgument &a : register_arguments(r))
				args += (args.empty() ? "" : ", ") + std::string(a.name) + " => " + a.literal;
			script += "SELECT " + schema + ".pfm_register(" + args + ");\n";
		}
		for (std::size_t i = 0; i < plan.steps.size(); i++) {
			const core::Step &step = plan.steps[i];
			const bool own_transaction = !all_transactional && stored[i].revision.transactional;
			script += "\n-- " + core::sql_comment_text(core::step_description(state->graph, step)) +
			          (stored[i].revision.transactional ? "" : " (non-transactional: each statement on its own)") + "\n";
			if (own_transaction)
				script += "BEGIN;\n";
			// CONCURRENTLY waits on snapshots, not in a lock queue: never bounded.
			const bool unbounded =
				!lock_timeout.empty() && std::any_of(bodies[i].begin(), bodies[i].end(), [](const BodyStatement &st) {
					return st.locks.kind == core::StatementLockFacts::Kind::concurrent;
				});
			if (unbounded)
				script += "SET lock_timeout = 0;  -- CONCURRENTLY waits for older transactions, not in a lock queue\n";
			if (!bodies[i].empty()) {
				std::string cells;
				for (const BodyStatement &st : bodies[i])
					cells += (cells.empty() ? "SELECT " : ",\n       ") + core::dollar_quoted(st.sql);
				script += cells + " \\gexec\n";
			}
			script += "SELECT pfm_migrate.record_step(" + core::sql_literal(step.revision) + ", '" + verb + "');\n";
			if (unbounded)
				script += lock_timeout;
			if (own_transaction)
				script += "COMMIT;\n";
		}
		script += "\n-- version after this script: " +
		          (plan.heads_after.empty() ? std::string("base") : core::join(plan.heads_after)) + "\n";
	}
	return text_datum(script);
}

}  // namespace

PFM_SQL_FUNCTION(pfm_upgrade_sql)
{
	return offline_script(fcinfo, core::Direction::upgrade, required_text(fcinfo, 0, "target"));
}

PFM_SQL_FUNCTION(pfm_downgrade_sql)
{
	return offline_script(fcinfo, core::Direction::downgrade, required_text(fcinfo, 0, "target"));
}

// pfm_migrate.offline_begin(expected): the first statement of an offline script. Takes the
// migration lock and refuses to go on unless the database is at the state the script was
// generated for.
PFM_SQL_FUNCTION(pfm_offline_begin)
{
	auto expected = optional_text(fcinfo, 0);
	remember_call("offline script");
	Spi spi;
	auto state = lock_and_read_state(spi, "pfm_migrate.offline_begin", [](const CatalogState &) { return true; });
	core::check_state(state->graph, state->applied);
	std::string current = core::join(state->current_heads(), ",");
	if (current != expected.value_or(""))
		throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
		               "the database is not at the state this script was generated for",
		               "Expected: " + (expected ? *expected : std::string("base")) +
		                   "; current: " + (current.empty() ? std::string("base") : current) + ".",
		               "Generate the script again against a database at the current state.");
	spi.finish();
	PG_RETURN_VOID();
}

// pfm_migrate.record_step(revision, direction, duration_ms): bookkeeping of one offline step.
PFM_SQL_FUNCTION(pfm_record_step)
{
	std::string revision = required_text(fcinfo, 0, "revision");
	std::string direction = required_text(fcinfo, 1, "direction");
	double duration = PG_ARGISNULL(2) ? 0 : PG_GETARG_FLOAT8(2);
	if (direction != "upgrade" && direction != "downgrade")
		throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid direction \"" + direction + "\"",
		               "The direction is upgrade or downgrade.");
	remember_call(("pfm_migrate.record_step('" + revision + "')").c_str());
	Spi spi;
	auto state = lock_and_read_state(spi, "pfm_migrate.record_step", [](const CatalogState &) { return true; });
	if (!state->graph.find(revision))
		throw core::Error(core::ErrorKind::unknown_revision, "can't locate revision identified by '" + revision + "'");
	bool applied = state->is_applied(revision);
	core::Direction dir = direction == "upgrade" ? core::Direction::upgrade : core::Direction::downgrade;
	if (applied == (dir == core::Direction::upgrade))
		throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
		               "revision " + revision + (applied ? " is already applied" : " is not applied"));
	double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
	record_steps(spi, dir, {StepRecord{revision, duration, now}});
	auto after = read_catalog_state(spi, false);
	write_version_rows(spi, after->current_heads());
	spi.finish();
	PG_RETURN_VOID();
}
