// CALL pfm_deploy(target), CALL pfm_revert(target): one revision per transaction.
#include <string>

#include "pg/args.hpp"
#include "pg/deploy.hpp"
#include "pg/locking.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

using namespace pfm;
using namespace pfm::pg;

PFM_SQL_FUNCTION(pfm_deploy)
{
	return deploy_per_revision(fcinfo, core::Direction::upgrade, required_text(fcinfo, 0, "target"));
}

PFM_SQL_FUNCTION(pfm_revert)
{
	return deploy_per_revision(fcinfo, core::Direction::downgrade, required_text(fcinfo, 0, "target"));
}

// CALL pfm_migrate.wait_for_migration_lock(): takes the migration lock for the session,
// waiting without a snapshot (the procedure commits first), for scripts that run several
// transactions under it (scripts/deploy.sh). Released by release_migration_lock(), by a
// failing transaction, or with the session.
PFM_SQL_FUNCTION(pfm_wait_for_migration_lock)
{
	if (fcinfo->context == nullptr || !IsA(fcinfo->context, CallContext) ||
	    castNode(CallContext, fcinfo->context)->atomic)
		throw SqlError(ERRCODE_ACTIVE_SQL_TRANSACTION,
		               "wait_for_migration_lock() cannot run inside a transaction block or a function",
		               "It commits first, so that it waits without a snapshot.", "CALL it on its own, in autocommit mode.");
	require_writable("pfm_migrate.wait_for_migration_lock");
	Spi spi(Spi::Mode::nonatomic);
	spi.commit();
	acquire_migration_lock(spi, LockScope::session);
	spi.finish();
	PG_RETURN_VOID();
}

// pfm_migrate.release_migration_lock(): gives back what wait_for_migration_lock() took.
PFM_SQL_FUNCTION(pfm_release_migration_lock)
{
	const bool held = holds_session_migration_lock();
	release_session_migration_lock();
	PG_RETURN_BOOL(held);
}
