// pfm_lint and pfm_trace: an EXPLAIN for a migration (SPEC §10).
#include <string>
#include <vector>

#include "core/lint.hpp"
#include "pg/args.hpp"
#include "pg/lint.hpp"

using namespace pfm;
using namespace pfm::pg;

namespace {

Cell
position_cell(int value)
{
	return value > 0 ? Cell::int4(value) : Cell::null();
}

}  // namespace

PFM_SQL_FUNCTION(pfm_lint)
{
	std::string target = required_text(fcinfo, 0, "target");
	std::vector<ResultRow> rows;
	{
		Spi spi;
		std::vector<LintRow> findings = lint_upgrade(spi, target);
		spi.finish();
		rows.reserve(findings.size());
		for (const LintRow &r : findings) {
			const core::lint::RuleInfo &rule = core::lint::info(r.finding.rule);
			rows.push_back({Cell::of(r.revision), position_cell(r.finding.statement), position_cell(r.finding.line),
			                Cell::of(std::string(rule.name)), Cell::of(std::string(core::lint::severity_name(rule.severity))),
			                Cell::of(r.finding.message), Cell::of(std::string(rule.hint))});
		}
	}
	return return_rows(fcinfo, rows);
}

PFM_SQL_FUNCTION(pfm_trace)
{
	std::string target = required_text(fcinfo, 0, "target");
	std::vector<ResultRow> rows;
	{
		Spi spi;
		std::vector<TraceRow> trace = trace_upgrade(spi, target);
		spi.finish();
		rows.reserve(trace.size());
		for (const TraceRow &t : trace) {
			const bool ran = t.statement > 0;
			rows.push_back({Cell::of(t.revision), position_cell(t.statement), position_cell(t.line),
			                t.relation.empty() ? Cell::null() : Cell::of(t.relation),
			                t.lock_mode.empty() ? Cell::null() : Cell::of(t.lock_mode),
			                ran ? Cell::of(t.rewritten) : Cell::null(), ran ? Cell::int8(t.rows) : Cell::null(),
			                ran ? Cell::of(t.elapsed_ms) : Cell::null()});
		}
	}
	return return_rows(fcinfo, rows);
}
