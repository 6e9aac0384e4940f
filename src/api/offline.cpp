// pfm_upgrade_sql / pfm_downgrade_sql: Alembic's offline --sql mode, plus the internal
// functions the generated script calls so it does the same bookkeeping as a live call.
#include <chrono>
#include <string>
#include <vector>

#include "core/planner.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/locking.hpp"
#include "pg/moving.hpp"

using namespace pfm;
using namespace pfm::pg;

namespace {

// A dollar-quote tag that does not occur in the text.
std::string
dollar_quote(const std::string &text)
{
	std::string tag = "$pfm$";
	for (int n = 1; text.find(tag) != std::string::npos; n++)
		tag = "$pfm" + std::to_string(n) + "$";
	return tag + text + tag;
}

std::string
literal(const std::string &text)
{
	std::string out = "'";
	for (char c : text)
		out += c == '\'' ? std::string("''") : std::string(1, c);
	return out + "'";
}

std::string
optional_literal(const std::optional<std::string> &text)
{
	return text ? dollar_quote(*text) : "NULL";
}

std::string
array_literal(const std::vector<std::string> &items)
{
	if (items.empty())
		return "NULL";
	std::string out = "ARRAY[";
	for (std::size_t i = 0; i < items.size(); i++)
		out += (i ? ", " : "") + literal(items[i]);
	return out + "]::text[]";
}

std::string
joined(const std::vector<std::string> &items, const char *sep)
{
	std::string out;
	for (const auto &s : items)
		out += (out.empty() ? "" : sep) + s;
	return out;
}

std::vector<std::string>
ids_of(const std::vector<core::AppliedRevision> &applied)
{
	std::vector<std::string> ids;
	for (const auto &a : applied)
		ids.push_back(a.id);
	return ids;
}

Datum
offline_script(FunctionCallInfo fcinfo, core::Direction direction, const std::string &target)
{
	std::string script;
	{
		Spi spi;
		auto state = load_state(spi, true);
		core::Plan plan = direction == core::Direction::upgrade
		                      ? core::plan_upgrade(state->graph, state->applied, target)
		                      : core::plan_downgrade(state->graph, state->applied, target);
		std::string current = joined(state->graph.version_heads(ids_of(state->applied)), ",");
		spi.run("SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
		        " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
		        " WHERE e.extname OPERATOR(pg_catalog.=) 'pfm_migrate'",
		        {}, true);
		std::string schema = spi.text_or(0, 1, "public");

		const char *verb = core::direction_name(direction);
		script += "-- pfm_migrate offline script: " + std::string(verb) + " from " +
		          (current.empty() ? std::string("base") : current) + " to '" + target + "'\n";
		script += "-- Review, then run in one transaction: psql -v ON_ERROR_STOP=1 -1 -f <this file>\n";
		script += "-- It needs the pfm_migrate extension and a database at the state above.\n\n";
		script += "SELECT pfm_migrate.offline_begin(" + (current.empty() ? std::string("NULL") : literal(current)) + ");\n";
		if (plan.steps.empty())
			script += "-- nothing to do: the database is already at '" + target + "'\n";
		else
			script += "\n-- the revisions this script touches, registered as in the source database\n";

		for (const core::Step &step : plan.steps) {
			auto stored = load_revision(spi, step.revision);
			const core::Revision &r = stored->revision;
			script += "SELECT " + schema + ".pfm_register(revision => " + literal(r.id) + ", down_revision => " +
			          (r.parents.empty() ? std::string("NULL") : literal(joined(r.parents, ","))) +
			          ", upgrade => " + dollar_quote(stored->upgrade) +
			          ", downgrade => " + optional_literal(stored->downgrade) + ", message => " +
			          (r.message.empty() ? std::string("NULL") : literal(r.message)) +
			          ", branch_labels => " + array_literal(r.branch_labels) +
			          ", depends_on => " + array_literal(r.depends_on) + ");\n";
		}
		for (const core::Step &step : plan.steps) {
			auto stored = load_revision(spi, step.revision);
			const std::string body =
				direction == core::Direction::upgrade ? stored->upgrade : stored->downgrade.value_or("");
			script += "\n-- " + step_description(state->graph, step) + "\n";
			std::string trimmed = body.substr(0, body.find_last_not_of(" \t\r\n") + 1);
			if (!trimmed.empty())
				script += trimmed + (trimmed.back() == ';' ? "\n" : "\n;\n");
			script += "SELECT pfm_migrate.record_step(" + literal(step.revision) + ", '" + verb + "');\n";
		}
		script += "\n-- version after this script: " +
		          (plan.heads_after.empty() ? std::string("base") : joined(plan.heads_after, ", ")) + "\n";
		spi.finish();
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
	auto state = load_state_for_change(spi, "pfm_migrate.offline_begin", [](const CatalogState &) { return true; });
	core::check_state(state->graph, state->applied);
	std::string current = joined(state->graph.version_heads(ids_of(state->applied)), ",");
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
	auto state = load_state_for_change(spi, "pfm_migrate.record_step", [](const CatalogState &) { return true; });
	if (!state->graph.find(revision))
		throw core::Error(core::ErrorKind::unknown_revision, "can't locate revision identified by '" + revision + "'");
	bool applied = false;
	for (const auto &a : state->applied)
		applied = applied || a.id == revision;
	core::Direction dir = direction == "upgrade" ? core::Direction::upgrade : core::Direction::downgrade;
	if (applied == (dir == core::Direction::upgrade))
		throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
		               "revision " + revision + (applied ? " is already applied" : " is not applied"));
	double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
	record_steps(spi, dir, {StepRecord{revision, duration, now}});
	auto after = load_state(spi, false);
	sync_version_rows(spi, after->graph.version_heads(ids_of(after->applied)));
	spi.finish();
	PG_RETURN_VOID();
}
