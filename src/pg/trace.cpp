// pfm_trace: runs the statements of an upgrade for real, in a subtransaction that is always
// rolled back, and reports per statement the relation locks it newly took (this backend's
// rows of pg_locks before and after), whether a relation was rewritten (its relfilenode
// changed), the rows it processed and its time. The way kaaveland/eugene traces, from inside.
#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pg/lint.hpp"

#include "core/planner.hpp"
#include "pg/boundary.hpp"
#include "pg/catalog.hpp"
#include "pg/executor.hpp"
#include "pg/lock_retry.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace pfm::pg {

namespace {

// Objects below FirstNormalObjectId (16384) are the system's own: the catalogs every
// statement touches, and the queries of the trace itself.
const char *const own_locks_sql =
	"SELECT l.relation::pg_catalog.int8, l.mode FROM pg_catalog.pg_locks l"
	" WHERE l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.granted"
	" AND l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()"
	" AND l.relation OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid";
const char *const relations_sql =
	"SELECT c.oid::pg_catalog.int8, c.relfilenode::pg_catalog.int8, c.oid::pg_catalog.regclass::pg_catalog.text"
	" FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid";
// nextval() is not transactional: the sequences a traced statement advanced are set back.
// pg_sequence_last_value is NULL for a sequence not called yet; it goes back to its start.
const char *const sequences_sql =
	"SELECT s.seqrelid::pg_catalog.int8, pg_catalog.pg_sequence_last_value(s.seqrelid), s.seqstart"
	" FROM pg_catalog.pg_sequence s"
	" WHERE s.seqrelid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid"
	" AND pg_catalog.has_sequence_privilege(s.seqrelid, 'SELECT, UPDATE')";
const char *const setval_sql = "SELECT pg_catalog.setval($1::pg_catalog.oid::pg_catalog.regclass, $2, $3)";
const char *const set_lock_timeout_sql = "SELECT pg_catalog.set_config('lock_timeout', $1, true)";

using Lock = std::pair<std::int64_t, std::string>;  // relation oid, mode

std::set<Lock>
own_locks(Spi &spi)
{
	std::set<Lock> out;
	std::uint64_t n = spi.run(own_locks_sql, {}, false);
	for (std::uint64_t i = 0; i < n; i++) {
		Row row = spi.row(i);
		out.emplace(row.int8(1).value_or(0), row.text_or(2, ""));
	}
	return out;
}

struct RelationFile {
	std::int64_t relfilenode;
	std::string name;
};

std::map<std::int64_t, RelationFile>
relation_files(Spi &spi)
{
	std::map<std::int64_t, RelationFile> out;
	std::uint64_t n = spi.run(relations_sql, {}, false);
	for (std::uint64_t i = 0; i < n; i++) {
		Row row = spi.row(i);
		out.emplace(row.int8(1).value_or(0), RelationFile{row.int8(2).value_or(0), row.text_or(3, "")});
	}
	return out;
}

struct SequenceValue {
	std::int64_t oid;
	std::optional<std::int64_t> last_value;  // nullopt: not called yet
	std::int64_t start;
};

std::vector<SequenceValue>
sequence_values(Spi &spi)
{
	std::vector<SequenceValue> out;
	std::uint64_t n = spi.run(sequences_sql, {}, true);
	out.reserve(n);
	for (std::uint64_t i = 0; i < n; i++) {
		Row row = spi.row(i);
		out.push_back(SequenceValue{row.int8(1).value_or(0), row.int8(2), row.int8(3).value_or(1)});
	}
	return out;
}

void
restore_sequences(Spi &spi, const std::vector<SequenceValue> &before)
{
	std::map<std::int64_t, std::optional<std::int64_t>> now;
	for (const SequenceValue &s : sequence_values(spi))
		now.emplace(s.oid, s.last_value);
	for (const SequenceValue &s : before) {
		auto it = now.find(s.oid);
		if (it == now.end() || it->second == s.last_value)
			continue;
		spi.run(setval_sql, {int8_param(s.oid), int8_param(s.last_value.value_or(s.start)), bool_param(s.last_value.has_value())});
	}
}

int
lock_strength(const std::string &mode)
{
	static const char *const modes[] = {"AccessShareLock",     "RowShareLock",
	                                    "RowExclusiveLock",    "ShareUpdateExclusiveLock",
	                                    "ShareLock",           "ShareRowExclusiveLock",
	                                    "ExclusiveLock",       "AccessExclusiveLock"};
	for (int i = 0; i < 8; i++)
		if (mode == modes[i])
			return i;
	return 8;
}

// Runs one statement and appends its rows: one per relation lock it newly holds (or one with
// no relation when it took none).
void
trace_statement(Spi &spi, const std::string &revision, const BodyStatement &statement, int number,
                std::vector<TraceRow> &rows)
{
	std::set<Lock> locks_before = own_locks(spi);
	std::map<std::int64_t, RelationFile> files_before = relation_files(spi);
	auto started = std::chrono::steady_clock::now();
	std::uint64_t processed = execute_statement(spi, revision, core::Direction::upgrade, statement, number);
	double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
	std::set<Lock> locks_after = own_locks(spi);
	std::map<std::int64_t, RelationFile> files_after = relation_files(spi);

	TraceRow base;
	base.revision = revision;
	base.statement = number;
	// The line of its first token, as pfm_lint reports it (the executor's line is where its
	// text starts, a comment before it included).
	const std::size_t first = core::lint::first_token(statement.sql, 0, statement.sql.size());
	base.line = statement.line + static_cast<int>(std::count(statement.sql.begin(),
	                                                         statement.sql.begin() + static_cast<long>(first), '\n'));
	base.rows = static_cast<std::int64_t>(processed);
	base.elapsed_ms = elapsed;
	std::vector<TraceRow> taken;
	for (const Lock &lock : locks_after) {
		if (locks_before.count(lock))
			continue;
		TraceRow row = base;
		auto now = files_after.find(lock.first);
		auto was = files_before.find(lock.first);
		if (now == files_after.end() && was == files_before.end())
			continue;  // a transient relation of the statement itself (the new heap of a rewrite)
		row.relation = now != files_after.end() ? now->second.name : was->second.name;
		row.lock_mode = lock.second;
		row.rewritten = now != files_after.end() && was != files_before.end() &&
		                now->second.relfilenode != was->second.relfilenode;
		taken.push_back(std::move(row));
	}
	std::sort(taken.begin(), taken.end(), [](const TraceRow &a, const TraceRow &b) {
		return a.relation != b.relation ? a.relation < b.relation : lock_strength(a.lock_mode) < lock_strength(b.lock_mode);
	});
	if (taken.empty())
		taken.push_back(base);
	// A rewrite's new TOAST table takes the old one's name: one row per name and mode.
	for (TraceRow &row : taken) {
		if (rows.size() > 0 && rows.back().statement == number && rows.back().revision == revision &&
		    !row.relation.empty() && rows.back().relation == row.relation && rows.back().lock_mode == row.lock_mode) {
			rows.back().rewritten = rows.back().rewritten || row.rewritten;
			continue;
		}
		rows.push_back(std::move(row));
	}
}

}  // namespace

std::vector<TraceRow>
trace_upgrade(Spi &spi, const std::string &target)
{
	StatePtr state = read_catalog_state(spi, false);
	core::Plan plan = core::plan_upgrade(state->graph, state->applied, target);
	std::vector<StoredRevision> stored = read_step_revisions(spi, plan, false);
	// Every body parsed and vetted before the first one runs, as pfm_upgrade does.
	std::vector<std::vector<BodyStatement>> bodies;
	bodies.reserve(stored.size());
	for (const StoredRevision &r : stored)
		bodies.push_back(r.revision.transactional
		                     ? prepare_body(r.revision.id, core::Direction::upgrade, r.upgrade, true)
		                     : std::vector<BodyStatement>{});
	// pfm_migrate.lock_wait bounds the trace's lock waits too (as its lock_timeout).
	std::optional<std::string> timeout;
	if (lock_wait_ms > 0)
		timeout = std::to_string(lock_wait_ms) + "ms";

	// (Reading a sequence locks it for the whole transaction -- sequence.c takes the lock for the
	// top transaction -- so the trace lists no lock on a sequence that existed before it.)
	std::vector<SequenceValue> sequences_before = sequence_values(spi);
	std::vector<TraceRow> rows;
	std::exception_ptr failure;
	{
		Subtransaction sub;
		try {
			if (timeout)
				spi.run(set_lock_timeout_sql, {text_param(*timeout)});
			for (std::size_t i = 0; i < stored.size(); i++) {
				const std::string &id = stored[i].revision.id;
				if (!stored[i].revision.transactional) {
					TraceRow listed;
					listed.revision = id;  // listed, not run: its statements run at top level
					rows.push_back(std::move(listed));
					continue;
				}
				int number = 0;
				for (const BodyStatement &statement : bodies[i])
					trace_statement(spi, id, statement, ++number, rows);
			}
		} catch (...) {
			failure = std::current_exception();
		}
		spi.abandon_result();
		sub.rollback();  // always: nothing the statements did remains
	}
	restore_sequences(spi, sequences_before);
	if (failure)
		std::rethrow_exception(failure);
	return rows;
}

}  // namespace pfm::pg
