#include <string>

#include "pg/locking.hpp"

#include "core/errors.hpp"
#include "pg/boundary.hpp"
#include "pg/settings.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/fmgrprotos.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace pfm::pg {

namespace {
// One advisory lock key per database for all migration state changes ("pfm_migr" in ASCII),
// and one held while a statement of a non-transactional revision runs at top level in the
// worker ("pfm_step").
constexpr int64 migration_lock_key = 0x70666d5f6d696772LL;
constexpr int64 top_level_step_key = 0x70666d5f73746570LL;

// Session-level locks this backend holds (the abort callback releases them): the
// migration lock can be held more than once (a script holds it, and CALL pfm_deploy
// takes it again).
int session_lock_count = 0;
bool step_lock_held = false;

bool
try_lock(LockScope scope)
{
	return pg_call([scope] {
		return DatumGetBool(DirectFunctionCall1(scope == LockScope::session ? pg_try_advisory_lock_int8
		                                                                     : pg_try_advisory_xact_lock_int8,
		                                        Int64GetDatum(migration_lock_key)));
	});
}

// True when some session runs a top-level step now (it holds the step lock).
bool
top_level_step_running()
{
	if (step_lock_held)
		return false;  // our own
	return pg_call([] {
		if (!DatumGetBool(DirectFunctionCall1(pg_try_advisory_lock_shared_int8, Int64GetDatum(top_level_step_key))))
			return true;
		DirectFunctionCall1(pg_advisory_unlock_shared_int8, Int64GetDatum(top_level_step_key));
		return false;
	});
}

// The pids holding an advisory lock key, for error messages.
std::string
holders_of(Spi &spi, int64 key)
{
	std::uint64_t n = spi.run(
		"SELECT pg_catalog.string_agg(DISTINCT l.pid::pg_catalog.text, ', ')"
		" FROM pg_catalog.pg_locks l"
		" WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted"
		"   AND l.database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database"
		"        WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
		"   AND l.classid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND l.objid OPERATOR(pg_catalog.=) $2::pg_catalog.oid"
		"   AND l.objsubid OPERATOR(pg_catalog.=) 1 AND l.mode OPERATOR(pg_catalog.=) 'ExclusiveLock'",
		{text_param(std::to_string(static_cast<std::uint64_t>(key) >> 32)),
		 text_param(std::to_string(static_cast<std::uint64_t>(key) & 0xffffffffULL))},
		false);
	return n > 0 ? spi.row(0).text_or(1, "an unknown process") : "an unknown process";
}

[[noreturn]] void
refuse_during_top_level_step(Spi &spi)
{
	throw SqlError(ERRCODE_LOCK_NOT_AVAILABLE,
	               "a migration step is running outside any transaction; not waiting for it",
	               "Process " + holders_of(spi, top_level_step_key) +
	                   " runs a statement of a non-transactional revision (CREATE INDEX CONCURRENTLY and the "
	                   "like), which waits for every snapshot older than its own; this call would hold one while "
	                   "it waits for the migration lock, and neither could go on.",
	               "Retry when the deploy has finished, or use CALL pfm_deploy(), which waits without a snapshot.");
}
}  // namespace

void
require_writable(const char *function_name)
{
	// A migration body that calls pfm_upgrade (or any other state-changing function) would
	// change the state under the plan that is running it.
	if (nesting_depth() > 1)
		throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
		               std::string(function_name) + "() cannot be called from inside a migration body",
		               {}, "Migration bodies are plain SQL; move the call out of the revision.");
	if (file_overlay_active())
		throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
		               std::string(function_name) + "() cannot run after pfm_preview() in the same transaction",
		               "pfm_preview() shows the migration files without loading them.",
		               "Use pfm_load() to register the files, in a transaction of its own.");
	bool standby = pg_call([] { return RecoveryInProgress(); });
	if (standby)
		throw SqlError(ERRCODE_READ_ONLY_SQL_TRANSACTION,
		               std::string("cannot run ") + function_name + "() on a hot standby",
		               "Migrations change the schema and must run on the primary server.");
	if (XactReadOnly)
		throw SqlError(ERRCODE_READ_ONLY_SQL_TRANSACTION,
		               std::string("cannot run ") + function_name + "() in a read-only transaction",
		               {}, "Run it in a read-write transaction, or use dry_run => true to see the plan.");
}

// One bounded wait for the lock in the lock manager (so the wait shows in pg_locks and
// pg_blocking_pids), in a subtransaction that a lock timeout rolls back cleanly. False
// when `slice_ms` passed without the lock.
bool
wait_for_lock(LockScope scope, int slice_ms)
{
	const int saved = LockTimeout;
	LockTimeout = slice_ms;
	try {
		in_subtransaction([scope] {
			pg_call([scope] {
				DirectFunctionCall1(scope == LockScope::session ? pg_advisory_lock_int8 : pg_advisory_xact_lock_int8,
				                    Int64GetDatum(migration_lock_key));
			});
		});
	} catch (const PgError &e) {
		LockTimeout = saved;
		if (e.data && e.data->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
			return false;
		throw;
	} catch (...) {
		LockTimeout = saved;
		throw;
	}
	LockTimeout = saved;
	return true;
}

bool
acquire_migration_lock(Spi &spi, LockScope scope)
{
	if (try_lock(scope)) {
		session_lock_count += scope == LockScope::session ? 1 : 0;
		return false;
	}
	// Wait in slices of at most 100 ms: the wait is bounded by pfm_migrate.lock_timeout,
	// and between slices a transaction-scoped wait gives up at once when the holder runs a
	// top-level step (which might wait for this call's snapshot).
	const bool bounded = lock_timeout_ms > 0;
	const TimestampTz deadline =
		bounded ? pg_call([] { return TimestampTzPlusMilliseconds(GetCurrentTimestamp(), lock_timeout_ms); }) : 0;
	while (true) {
		if (scope == LockScope::transaction && top_level_step_running())
			refuse_during_top_level_step(spi);
		int slice = 100;
		if (bounded) {
			long remaining_ms = pg_call([&] { return TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline); });
			if (remaining_ms <= 0)
				break;
			slice = static_cast<int>(remaining_ms < slice ? remaining_ms : slice);
		}
		if (wait_for_lock(scope, slice)) {
			session_lock_count += scope == LockScope::session ? 1 : 0;
			return true;
		}
	}
	throw SqlError(ERRCODE_LOCK_NOT_AVAILABLE, "could not obtain the migration lock",
	               "Process " + holders_of(spi, migration_lock_key) + " holds the lock; waited " +
	                   std::to_string(lock_timeout_ms) + " ms.",
	               "Another migration is running. Retry once it has finished, or raise pfm_migrate.lock_timeout.");
}

void
release_session_migration_lock()
{
	if (session_lock_count == 0)
		return;
	session_lock_count--;
	pg_call([] { DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(migration_lock_key)); });
}

bool
holds_session_migration_lock()
{
	return session_lock_count > 0;
}

void
begin_top_level_step()
{
	pg_call([] { DirectFunctionCall1(pg_advisory_lock_int8, Int64GetDatum(top_level_step_key)); });
	step_lock_held = true;
}

void
end_top_level_step()
{
	if (!step_lock_held)
		return;
	step_lock_held = false;
	pg_call([] { DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(top_level_step_key)); });
}

void
release_session_locks_on_abort()
{
	// A top-level abort while a deploy holds its session locks means the procedure is
	// ending with an error it could not handle: the locks must not outlive it.
	LOCKTAG tag;
	if (step_lock_held) {
		step_lock_held = false;
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(top_level_step_key >> 32),
		                     static_cast<uint32>(top_level_step_key), 1);
		(void) LockRelease(&tag, ExclusiveLock, true);
	}
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(migration_lock_key >> 32),
	                     static_cast<uint32>(migration_lock_key), 1);
	for (; session_lock_count > 0; session_lock_count--)
		(void) LockRelease(&tag, ExclusiveLock, true);
}

StatePtr
lock_and_read_state(Spi &spi, const char *function_name,
                      const std::function<bool(const CatalogState &)> &has_work_left)
{
	require_writable(function_name);
	// A call with nothing to do in the state it sees takes no lock: it reads as any query
	// does, and is ordered before a move that has not committed yet, so probes and no-op
	// deploys never queue behind each other or behind a running deploy. A call with work
	// takes the lock and decides again from what it reads under it.
	// (A plan that fails here is decided under the lock too: the error may be gone once the
	// move holding the lock commits, as when a stamp --purge forgets an unknown revision.)
	auto unlocked = read_catalog_state(spi, false);
	bool work = true;
	try {
		work = has_work_left(*unlocked);
	} catch (const core::Error &) {
	}
	if (!work)
		return unlocked;
	bool waited = acquire_migration_lock(spi, LockScope::transaction);
	auto seen = read_catalog_state(spi, false);
	if (!waited || !uses_transaction_snapshot())
		return seen;
	auto latest = with_latest_snapshot([&] { return read_catalog_state(spi, true); });
	if (latest == seen)  // the same catalog generation: nothing changed while we waited
		return seen;
	if (has_work_left(*latest))
		throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE, "could not serialize access due to a concurrent migration",
		               "Another session changed the migration state while this transaction waited for the migration "
		               "lock; this transaction's snapshot cannot see its changes.",
		               "Retry the transaction.");
	return latest;
}

bool
uses_transaction_snapshot()
{
	return IsolationUsesXactSnapshot();
}

void
push_latest_snapshot()
{
	pg_call([] { PushActiveSnapshot(GetLatestSnapshot()); });
}

void
pop_snapshot()
{
	pg_call([] { PopActiveSnapshot(); });
}

}  // namespace pfm::pg
