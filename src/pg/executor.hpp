// Runs migration bodies inside the caller's transaction, statement by statement, like
// extension.c's execute_sql_string: raw-parse first, refuse what cannot run inside a
// transaction, then execute each statement under an error context naming the revision,
// the direction and the statement.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/revision.hpp"
#include "pg/lock_retry.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

// One statement of a body: its text (as written) and where it starts.
struct BodyStatement {
	std::string sql;
	int line = 1;
	std::string index_relation;  // CREATE INDEX CONCURRENTLY: its table as written, else empty
	std::string index_name;      // and the index's name ("" when unnamed)
	StatementLocks locks;        // the tables it locks, for a bounded lock wait
};

// Raw-parses a body and refuses statements that would touch the extension itself, and --
// in a transactional revision -- statements that cannot run inside a transaction block
// (a non-transactional revision runs those at top level). Throws PgError (syntax errors,
// with the body as the internal query) or SqlError; both name the revision and direction.
std::vector<BodyStatement> prepare_body(const std::string &revision, core::Direction direction, const std::string &body,
                                        bool transactional = true);

// Executes prepared statements through the connected SPI; an error carries the context line
// "revision R (direction), statement N at line L: <text>". With `retry` active, a statement
// that may queue traffic runs with a bounded lock wait: retried in a subtransaction when
// `retry_statements` (atomic mode), else its timeout goes on as LockTimedOut (the caller
// retries the revision). Returns the attempts the body took (1 = no retry).
int execute_body(Spi &spi, const std::string &revision, core::Direction direction,
                 const std::vector<BodyStatement> &statements, LockRetry *retry = nullptr,
                 bool retry_statements = true);

// Executes statement `number` (1-based) of a prepared body the same way; returns the rows it
// processed (SPI_processed). pfm_trace runs a body statement by statement through this.
std::uint64_t execute_statement(Spi &spi, const std::string &revision, core::Direction direction,
                                const BodyStatement &statement, int number);

}  // namespace pfm::pg
