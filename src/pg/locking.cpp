#include <string>

#include "pg/locking.hpp"

#include "pg/boundary.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/fmgrprotos.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace pfm::pg {

namespace {
// One advisory lock key per database for all migration state changes ("pfm_migr" in ASCII).
constexpr int64 migration_lock_key = 0x70666d5f6d696772LL;

bool
try_lock()
{
	return pg_call([] {
		return DatumGetBool(DirectFunctionCall1(pg_try_advisory_xact_lock_int8, Int64GetDatum(migration_lock_key)));
	});
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

bool
acquire_migration_lock(Spi &spi)
{
	if (try_lock())
		return false;

	if (lock_timeout_ms <= 0) {
		pg_call([] { DirectFunctionCall1(pg_advisory_xact_lock_int8, Int64GetDatum(migration_lock_key)); });
		return true;
	}

	// Bounded wait: poll with a latch wait, so interrupts and cancel work as usual.
	TimestampTz deadline = pg_call([] { return TimestampTzPlusMilliseconds(GetCurrentTimestamp(), lock_timeout_ms); });
	while (true) {
		pg_call([] {
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		});
		if (try_lock())
			return true;
		bool expired = pg_call([&] { return GetCurrentTimestamp() >= deadline; });
		if (expired)
			break;
	}

	std::uint64_t n = spi.run(
		"SELECT pg_catalog.string_agg(l.pid::pg_catalog.text, ', ' ORDER BY l.pid)"
		" FROM pg_catalog.pg_locks l"
		" WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted"
		"   AND l.database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database"
		"        WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
		"   AND l.classid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND l.objid OPERATOR(pg_catalog.=) $2::pg_catalog.oid"
		"   AND l.objsubid OPERATOR(pg_catalog.=) 1",
		{text_param(std::to_string(static_cast<std::uint64_t>(migration_lock_key) >> 32)),
		 text_param(std::to_string(static_cast<std::uint64_t>(migration_lock_key) & 0xffffffffULL))},
		false);
	std::string holders = n > 0 ? spi.row(0).text_or(1, "an unknown process") : "an unknown process";
	throw SqlError(ERRCODE_LOCK_NOT_AVAILABLE, "could not obtain the migration lock",
	               "Process " + holders + " holds the lock; waited " + std::to_string(lock_timeout_ms) + " ms.",
	               "Another migration is running. Retry once it has finished, or raise pfm_migrate.lock_timeout.");
}


StatePtr
lock_and_read_state(Spi &spi, const char *function_name,
                      const std::function<bool(const CatalogState &)> &has_work_left)
{
	require_writable(function_name);
	bool waited = acquire_migration_lock(spi);
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
