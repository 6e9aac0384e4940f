// pfm_show, pfm_branches, pfm_graph: `alembic show`, `alembic branches` and a picture of the
// graph. Read-only: they see what the statement's snapshot sees (pfm_preview's files too).
#include <string>
#include <unordered_map>
#include <vector>

#include "core/dot.hpp"
#include "core/inspect.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"

using namespace pfm;
using namespace pfm::pg;

PFM_SQL_FUNCTION(pfm_show)
{
	std::string revision = required_text(fcinfo, 0, "revision");
	std::vector<ResultRow> rows;
	{
		Spi spi;
		StatePtr state = read_catalog_state(spi, true);
		std::vector<core::RevisionInfo> shown = core::show_revisions(state->graph, state->applied, revision);
		std::vector<std::string> ids;
		ids.reserve(shown.size());
		for (const core::RevisionInfo &info : shown)
			ids.push_back(info.id);
		std::vector<StoredRevision> stored = read_revisions(spi, ids, true);  // the bodies, in the same order
		std::unordered_map<std::string, AppliedDetail> details = read_applied_details(spi);
		std::unordered_map<std::string, std::string> applied_checksum;
		for (const core::AppliedRevision &a : state->applied)
			applied_checksum.emplace(a.id, a.checksum);
		for (std::size_t i = 0; i < shown.size(); i++) {
			const core::RevisionInfo &info = shown[i];
			const StoredRevision &body = stored[i];
			auto detail = details.find(info.id);
			auto as_applied = applied_checksum.find(info.id);
			bool applied = detail != details.end();
			rows.push_back({Cell::of(info.id), Cell::of(info.parents), Cell::of(info.is_merge_point),
			                Cell::of(info.is_branch_point), Cell::of(info.is_head), Cell::of(info.depends_on),
			                Cell::of(info.children), Cell::of(info.branch_labels), Cell::of(info.branch_names),
			                info.message.empty() ? Cell::null() : Cell::of(info.message), Cell::of(applied),
			                applied ? Cell::timestamptz(detail->second.applied_at) : Cell::null(),
			                applied ? Cell::name(detail->second.applied_by) : Cell::null(),
			                applied ? Cell::of(detail->second.stamped) : Cell::null(),
			                as_applied != applied_checksum.end() ? Cell::of(as_applied->second != body.revision.checksum)
			                                                     : Cell::null(),
			                Cell::of(body.upgrade), Cell::of_optional(body.downgrade), Cell::of(body.revision.checksum)});
		}
		spi.finish();
	}
	return return_rows(fcinfo, rows);
}

PFM_SQL_FUNCTION(pfm_branches)
{
	std::vector<ResultRow> rows;
	{
		Spi spi;
		StatePtr state = read_catalog_state(spi, true);
		for (const core::BranchPoint &b : core::branch_points(state->graph)) {
			const core::Revision *r = state->graph.find(b.id);
			rows.push_back({Cell::of(b.id), r && !r->message.empty() ? Cell::of(r->message) : Cell::null(),
			                Cell::of(b.children)});
		}
		spi.finish();
	}
	return return_rows(fcinfo, rows);
}

PFM_SQL_FUNCTION(pfm_graph)
{
	std::string dot;
	{
		Spi spi;
		StatePtr state = read_catalog_state(spi, true);
		dot = core::graph_dot(state->graph, state->applied);
		spi.finish();
	}
	return text_datum(dot);
}
