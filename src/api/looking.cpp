// pfm_current, pfm_heads, pfm_history, pfm_status, pfm_check: read-only answers.
#include <string>
#include <unordered_set>
#include <vector>

#include "core/planner.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"

using namespace pfm;
using namespace pfm::pg;

namespace {

std::string
join_commas(const std::vector<std::string> &items)
{
	std::string out;
	for (const auto &s : items)
		out += (out.empty() ? "" : ",") + s;
	return out;
}

std::vector<std::string>
applied_ids(const std::vector<core::AppliedRevision> &applied)
{
	std::vector<std::string> ids;
	ids.reserve(applied.size());
	for (const auto &a : applied)
		ids.push_back(a.id);
	return ids;
}

// check_all() plus what only the glue can see: version rows that disagree with the applied set.
std::vector<core::Problem>
all_problems(Spi &spi, const CatalogState &state)
{
	auto problems = core::check_all(state.graph, state.applied);
	auto stored = load_version_rows(spi, true);
	auto computed = state.graph.version_heads(applied_ids(state.applied));
	if (stored != computed)
		problems.push_back({"error", "",
		                    "pfm_migrate.version holds (" + join_commas(stored) + ") but the heads of the applied set are (" +
		                        join_commas(computed) + "); the next pfm_upgrade, pfm_downgrade or pfm_stamp rewrites it"});
	return problems;
}

}  // namespace

PFM_SQL_FUNCTION(pfm_current)
{
	Text current;
	{
		Spi spi;
		auto rows = load_version_rows(spi, true);
		if (!rows.empty())
			current = join_commas(rows);
		spi.finish();
	}
	if (!current)
		PG_RETURN_NULL();
	return text_datum(*current);
}

PFM_SQL_FUNCTION(pfm_heads)
{
	std::vector<Row> rows;
	{
		Spi spi;
		auto state = load_state(spi, true);
		for (const auto &h : state->graph.heads())
			rows.push_back({Cell::of(h)});
		spi.finish();
	}
	return return_rows(fcinfo, rows);
}

PFM_SQL_FUNCTION(pfm_history)
{
	std::vector<Row> rows;
	{
		Spi spi;
		auto state = load_state(spi, true);
		auto details = load_applied_details(spi);
		spi.finish();
		auto heads = state->graph.heads();
		auto current = state->graph.version_heads(applied_ids(state->applied));
		std::unordered_set<std::string> head_set(heads.begin(), heads.end());
		std::unordered_set<std::string> current_set(current.begin(), current.end());
		for (const auto &id : state->graph.history_order()) {
			const core::Revision *r = state->graph.find(id);
			auto applied = details.find(id);
			bool is_applied = applied != details.end();
			rows.push_back({Cell::of(id), r->parents.empty() ? Cell::null() : Cell::of(join_commas(r->parents)),
			                r->message.empty() ? Cell::null() : Cell::of(r->message),
			                r->branch_labels.empty() ? Cell::null() : Cell::of(r->branch_labels),
			                Cell::of(head_set.count(id) > 0), Cell::of(current_set.count(id) > 0), Cell::of(is_applied),
			                is_applied ? Cell::timestamptz(applied->second.applied_at) : Cell::null(),
			                is_applied ? Cell::name(applied->second.applied_by) : Cell::null()});
		}
	}
	return return_rows(fcinfo, rows);
}

PFM_SQL_FUNCTION(pfm_status)
{
	std::vector<Row> rows;
	{
		Spi spi;
		auto state = load_state(spi, true);
		auto problem_list = all_problems(spi, *state);
		spi.finish();
		auto current = state->graph.version_heads(applied_ids(state->applied));
		std::unordered_set<std::string> applied_set;
		int drifted = 0;
		for (const auto &a : state->applied) {
			applied_set.insert(a.id);
			const core::Revision *r = state->graph.find(a.id);
			if (r && r->checksum != a.checksum)
				drifted++;
		}
		int pending = 0;
		for (const auto &r : state->graph.revisions())
			pending += applied_set.count(r.id) == 0 ? 1 : 0;
		int problems = 0;
		for (const auto &p : problem_list)
			problems += p.severity == "error" ? 1 : 0;
		rows.push_back({current.empty() ? Cell::null() : Cell::of(join_commas(current)),
		                state->graph.heads().empty() ? Cell::null() : Cell::of(join_commas(state->graph.heads())),
		                Cell::int4(pending), Cell::int4(drifted), Cell::int4(problems)});
	}
	return return_rows(fcinfo, rows);
}

PFM_SQL_FUNCTION(pfm_check)
{
	std::vector<Row> rows;
	{
		Spi spi;
		auto state = load_state(spi, true);
		auto problem_list = all_problems(spi, *state);
		spi.finish();
		for (const auto &p : problem_list)
			rows.push_back({Cell::of(p.severity), p.revision.empty() ? Cell::null() : Cell::of(p.revision),
			                Cell::of(p.problem)});
	}
	return return_rows(fcinfo, rows);
}
