// pfm_current, pfm_heads, pfm_history (all, or a range), pfm_status, pfm_check: read-only answers.
#include <string>
#include <unordered_set>
#include <vector>

#include "core/inspect.hpp"
#include "core/planner.hpp"
#include "core/text.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"

using namespace pfm;
using namespace pfm::pg;

namespace {

// The skeleton of every read-only set-returning function here: read the state in this
// statement's snapshot, let `fill` build the rows, return them.
template <class Fill>
Datum
rows_from_state(FunctionCallInfo fcinfo, Fill fill, std::size_t newer_columns = 0)
{
	std::vector<ResultRow> rows;
	{
		Spi spi;
		StatePtr state = read_catalog_state(spi, true);
		fill(spi, *state, rows);
		spi.finish();
	}
	return return_rows(fcinfo, rows, newer_columns);
}

// check_all() plus what only the glue can see: version rows that disagree with the applied set.
std::vector<core::Problem>
all_problems(Spi &spi, const CatalogState &state)
{
	auto problems = core::check_all(state.graph, state.applied);
	auto stored = read_version_rows(spi, true);
	auto computed = state.current_heads();
	for (const std::string &id : file_overlay_missing())
		problems.push_back({"error", id, "applied revision '" + id + "' has no migration file"});
	for (const LeftoverIndex &i : read_leftover_indexes(spi, true))
		problems.push_back({"error", i.revision,
		                    "index " + i.index + " is INVALID: the " + i.direction + " of revision '" + i.revision +
		                        "' (statement " + std::to_string(i.statement) +
		                        ") failed or was interrupted while it built it concurrently; CALL pfm_deploy() drops and rebuilds "
		                        "it, or DROP INDEX CONCURRENTLY " + i.index});
	for (const PartialRevision &p : read_partial_revisions(spi, true))
		if (p.statements_done > 0)
			problems.push_back({"warning", p.revision,
			                    "revision '" + p.revision + "' is partly applied: " + std::to_string(p.statements_done) +
			                        " statement(s) of its " + p.direction + " ran; CALL pfm_deploy() or pfm_revert() resumes it"});
	if (stored != computed)
		problems.push_back({"error", "",
		                    "pfm_migrate.version holds (" + core::join(stored, ",") +
		                        ") but the heads of the applied set are (" + core::join(computed, ",") +
		                        "); the next pfm_upgrade, pfm_downgrade or pfm_stamp rewrites it"});
	return problems;
}

Cell
text_or_null(const std::string &s)
{
	return s.empty() ? Cell::null() : Cell::of(s);
}

}  // namespace

PFM_SQL_FUNCTION(pfm_current)
{
	std::vector<std::string> rows;
	{
		Spi spi;
		rows = read_version_rows(spi, true);
		spi.finish();
	}
	if (rows.empty())
		PG_RETURN_NULL();
	return text_datum(core::join(rows, ","));
}

// pfm_heads() and pfm_heads(resolve_dependencies) (0.2.0): `alembic heads [--resolve-dependencies]`.
PFM_SQL_FUNCTION(pfm_heads)
{
	bool resolve_dependencies = PG_NARGS() > 0 && required_bool(fcinfo, 0, "resolve_dependencies");
	return rows_from_state(fcinfo, [&](Spi &, const CatalogState &state, std::vector<ResultRow> &rows) {
		for (const auto &h : core::list_heads(state.graph, resolve_dependencies))
			rows.push_back({Cell::of(h)});
	});
}

namespace {

// The rows of pfm_history() for the revisions `select` picks from the state, in its order.
template <class Select>
Datum
history_rows(FunctionCallInfo fcinfo, Select select)
{
	return rows_from_state(fcinfo, [&](Spi &spi, const CatalogState &state, std::vector<ResultRow> &rows) {
		std::vector<std::string> ids = select(state);  // may refuse (a bad range) before anything is read
		auto details = read_applied_details(spi);
		auto heads = state.graph.heads();
		auto current = state.current_heads();
		std::unordered_set<std::string> head_set(heads.begin(), heads.end());
		std::unordered_set<std::string> current_set(current.begin(), current.end());
		for (const auto &id : ids) {
			const core::Revision *r = state.graph.find(id);
			if (!r)
				internal_error("history lists revision " + id + ", which is not in the graph");
			auto applied = details.find(id);
			bool is_applied = applied != details.end();
			rows.push_back({Cell::of(id), text_or_null(core::join(r->parents, ",")), text_or_null(r->message),
			                r->branch_labels.empty() ? Cell::null() : Cell::of(r->branch_labels),
			                Cell::of(head_set.count(id) > 0), Cell::of(current_set.count(id) > 0), Cell::of(is_applied),
			                is_applied ? Cell::timestamptz(applied->second.applied_at) : Cell::null(),
			                is_applied ? Cell::name(applied->second.applied_by) : Cell::null(),
			                Cell::of(r->transactional)});
		}
	}, 1 /* transactional: 0.2.0 */);
}

}  // namespace

PFM_SQL_FUNCTION(pfm_history)
{
	return history_rows(fcinfo, [](const CatalogState &state) { return state.graph.history_order(); });
}

// pfm_history(range): `alembic history -r start:end`, newest first.
PFM_SQL_FUNCTION(pfm_history_range)
{
	std::string range = required_text(fcinfo, 0, "range");
	return history_rows(fcinfo, [&](const CatalogState &state) {
		return core::history_range(state.graph, state.applied, range);
	});
}

PFM_SQL_FUNCTION(pfm_status)
{
	return rows_from_state(fcinfo, [](Spi &spi, const CatalogState &state, std::vector<ResultRow> &rows) {
		auto problem_list = all_problems(spi, state);
		std::unordered_set<std::string> applied_set;
		int drifted = 0;
		for (const auto &a : state.applied) {
			applied_set.insert(a.id);
			const core::Revision *r = state.graph.find(a.id);
			if (r && r->checksum != a.checksum)
				drifted++;
		}
		int pending = 0;
		for (const auto &r : state.graph.revisions())
			pending += applied_set.count(r.id) == 0 ? 1 : 0;
		int problems = 0;
		for (const auto &p : problem_list)
			problems += p.severity == "error" ? 1 : 0;
		rows.push_back({text_or_null(core::join(state.current_heads(), ",")), text_or_null(core::join(state.graph.heads(), ",")),
		                Cell::int4(pending), Cell::int4(drifted), Cell::int4(problems)});
	});
}

PFM_SQL_FUNCTION(pfm_check)
{
	return rows_from_state(fcinfo, [](Spi &spi, const CatalogState &state, std::vector<ResultRow> &rows) {
		for (const auto &p : all_problems(spi, state))
			rows.push_back({Cell::of(p.severity), text_or_null(p.revision), Cell::of(p.problem)});
	});
}
