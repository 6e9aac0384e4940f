// pfm_current, pfm_heads, pfm_history (all, or a range), pfm_status, pfm_check: read-only answers.
#include <optional>
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

// What only the glue can see, which no catalog key covers: applied revisions without a
// file (pfm_preview), leftover INVALID indexes and partly run revisions of concurrent
// builds, and version rows that disagree with `current_heads` (those of the applied set).
std::vector<core::Problem>
live_problems(Spi &spi, const std::vector<std::string> &current_heads, const LiveRows &live)
{
	std::vector<core::Problem> problems;
	const std::vector<std::string> &stored = live.version_rows;
	// (Both come from pfm_migrate.progress rows: with none there is nothing to look for.)
	const std::vector<LeftoverIndex> leftovers =
		live.progress ? read_leftover_indexes(spi, true) : std::vector<LeftoverIndex>{};
	const std::vector<PartialRevision> partials =
		live.progress ? read_partial_revisions(spi, true) : std::vector<PartialRevision>{};
	for (const std::string &id : file_overlay_missing())
		problems.push_back({"error", id, "applied revision '" + id + "' has no migration file"});
	for (const LeftoverIndex &i : leftovers)
		problems.push_back({"error", i.revision,
		                    "index " + i.index + " is INVALID: the " + i.direction + " of revision '" + i.revision +
		                        "' (statement " + std::to_string(i.statement) +
		                        ") failed or was interrupted while it built it concurrently; CALL pfm_deploy() drops and rebuilds "
		                        "it, or DROP INDEX CONCURRENTLY " + i.index});
	for (const PartialRevision &p : partials)
		if (p.statements_done > 0)
			problems.push_back({"warning", p.revision,
			                    "revision '" + p.revision + "' is partly applied: " + std::to_string(p.statements_done) +
			                        " statement(s) of its " + p.direction + " ran; CALL pfm_deploy() or pfm_revert() resumes it"});
	if (stored != current_heads)
		problems.push_back({"error", "",
		                    "pfm_migrate.version holds (" + core::join(stored, ",") +
		                        ") but the heads of the applied set are (" + core::join(current_heads, ",") +
		                        "); the next pfm_upgrade, pfm_downgrade or pfm_stamp rewrites it"});
	return problems;
}

int
count_errors(const std::vector<core::Problem> &problems)
{
	int errors = 0;
	for (const auto &p : problems)
		errors += p.severity == "error" ? 1 : 0;
	return errors;
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

// From a recorded verdict when the catalog's key has one (a new session reads no graph),
// else computed in full and recorded when this call may; the live part always runs.
namespace {

// The catalog's part of pfm_status() and pfm_check() as recorded for the current catalog
// key, or computed from the state (and recorded when `record` and this call may write),
// with the live rows read in the same snapshot.
EstablishedStatus
status_now(Spi &spi, bool record)
{
	std::optional<EstablishedStatus> established = established_status(spi);
	if (established)
		return std::move(*established);
	StatePtr state = read_catalog_state(spi, true);
	EstablishedStatus computed{status_of(*state), read_live_rows(spi, true)};
	// (Not the catalog image: the next probes answer from the record, and the image would
	// cost the first probe after a change its write, about 100 ms at 100 000 revisions.)
	if (record)
		establish_status(spi, *state, computed.verdict);
	return computed;
}

}  // namespace

PFM_SQL_FUNCTION(pfm_status)
{
	std::vector<ResultRow> rows;
	{
		Spi spi;
		EstablishedStatus status = status_now(spi, true);
		const StatusVerdict &v = status.verdict;
		int problems = count_errors(v.graph_problems) + count_errors(live_problems(spi, v.current_heads, status.live));
		rows.push_back({text_or_null(core::join(v.current_heads, ",")), text_or_null(core::join(v.heads, ",")),
		                Cell::int4(v.pending), Cell::int4(v.drifted), Cell::int4(problems)});
		spi.finish();
	}
	return return_rows(fcinfo, rows);
}

// pfm_check() is STABLE: it reads the record, never writes it.
PFM_SQL_FUNCTION(pfm_check)
{
	std::vector<ResultRow> rows;
	{
		Spi spi;
		EstablishedStatus status = status_now(spi, false);
		auto add = [&](const core::Problem &p) {
			rows.push_back({Cell::of(p.severity), text_or_null(p.revision), Cell::of(p.problem)});
		};
		for (const core::Problem &p : status.verdict.graph_problems)
			add(p);
		for (const core::Problem &p : live_problems(spi, status.verdict.current_heads, status.live))
			add(p);
		spi.finish();
	}
	return return_rows(fcinfo, rows);
}
