// pfm_lint and pfm_trace: the statements a move would run, judged with the server's parser
// and the live catalog (lint), or run for real in a subtransaction that is always rolled
// back (trace).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lint.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

// One finding; statement 0 (line 0) is the revision as a whole.
struct LintRow {
	std::string revision;
	core::lint::Finding finding;
};

// Every finding about the upgrade to `target` from this database's state, in plan order.
std::vector<LintRow> lint_upgrade(Spi &spi, const std::string &target);

// One row of the trace: a relation lock one statement newly took (relation empty: none;
// statement 0: a non-transactional revision, listed but not run).
struct TraceRow {
	std::string revision;
	int statement = 0;
	int line = 0;
	std::string relation;
	std::string lock_mode;
	bool rewritten = false;
	std::int64_t rows = 0;
	double elapsed_ms = 0;
};

// Runs the upgrade to `target` in a subtransaction that is always rolled back, and restores
// the sequences its statements advanced (nextval is not transactional).
std::vector<TraceRow> trace_upgrade(Spi &spi, const std::string &target);

}  // namespace pfm::pg
