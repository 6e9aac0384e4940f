// Test hooks for the error boundary. They are in the library but not in the extension's
// SQL: a regression test (sql/07_boundary.sql) declares them as a superuser. Each
// scenario reports what it saw instead of trusting that nothing broke.
#include <string>

#include "pg/args.hpp"

extern "C" {
#include "utils/builtins.h"
}

using namespace pfm::pg;

namespace {

// An ereport(ERROR) through pg_call: true when it came back as a PgError with its SQLSTATE.
bool
ereport_is_caught(int sqlstate)
{
	try {
		pg_call([&] { ereport(ERROR, (errcode(sqlstate), errmsg("selftest error"))); });
	} catch (const PgError &e) {
		return e.data && e.data->sqlerrcode == sqlstate;
	}
	return false;
}

}  // namespace

// pfm_test_boundary(scenario text) RETURNS text
//   'throw_in_pg_call'  a lambda given to pg_call throws a C++ exception; the next
//                       ereport through pg_call must still be caught
//   'throw_escapes'     the same exception leaves the function: a SQL error with its SQLSTATE
//   'pg_error_escapes'  a PostgreSQL error leaves the function unchanged (22012)
//   'direct_ereport'    an ereport outside pg_call passes through guarded(): the nesting
//                       depth must be restored for the next call
//   'depth'             the current nesting depth (1 for a top-level call)
PFM_SQL_FUNCTION(pfm_test_boundary)
{
	std::string scenario = required_text(fcinfo, 0, "scenario");
	if (scenario == "throw_in_pg_call" || scenario == "throw_escapes") {
		bool caught = false;
		try {
			pg_call([] { throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "thrown inside pg_call"); });
		} catch (const SqlError &e) {
			caught = e.sqlstate == ERRCODE_INVALID_PARAMETER_VALUE;
			if (scenario == "throw_escapes")
				throw;
		}
		if (!caught)
			return text_datum("the C++ exception was lost");
		return text_datum(ereport_is_caught(ERRCODE_DIVISION_BY_ZERO) ? "ok" : "the next ereport was not caught");
	}
	if (scenario == "pg_error_escapes") {
		pg_call([] { ereport(ERROR, (errcode(ERRCODE_DIVISION_BY_ZERO), errmsg("selftest division"), errhint("selftest hint"))); });
		return text_datum("not reached");
	}
	if (scenario == "direct_ereport")
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("selftest error outside pg_call")));
	if (scenario == "depth")
		return text_datum(std::to_string(nesting_depth()));
	throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "unknown selftest scenario \"" + scenario + "\"");
}
