// Module magic and settings (GUCs).
#include <climits>

#include "pg/boundary.hpp"
#include "pg/catalog.hpp"
#include "pg/commit_record.hpp"
#include "pg/lock_retry.hpp"
#include "pg/locking.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
}

namespace pfm::pg {
int lock_timeout_ms = 0;
bool log_statements = false;
}  // namespace pfm::pg

// pfm_migrate.written_by_current_transaction(xid): used by the generation trigger and the
// state cache to tell this transaction's own catalog changes from committed ones.
PFM_SQL_FUNCTION(pfm_written_by_current_transaction)
{
	TransactionId xid = DatumGetTransactionId(PG_GETARG_DATUM(0));
	return BoolGetDatum(pfm::pg::pg_call([&] { return TransactionIdIsCurrentTransactionId(xid); }));
}

namespace {

// Plain C callbacks: no C++ exception may leave them (the overlay's reset frees only
// C++-owned memory).
void
on_transaction_event(XactEvent event, void *)
{
	if (event == XACT_EVENT_PRE_COMMIT)
		pfm::pg::record_committing_catalog();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
	    event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT) {
		pfm::pg::file_overlay_transaction_end();
		pfm::pg::commit_record_transaction_end();
	}
	if (event == XACT_EVENT_ABORT)
		pfm::pg::release_session_locks_on_abort();
}

void
on_subtransaction_event(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *)
{
	if (event == SUBXACT_EVENT_ABORT_SUB || event == SUBXACT_EVENT_COMMIT_SUB)
		pfm::pg::file_overlay_subtransaction_end(event == SUBXACT_EVENT_ABORT_SUB, sub, parent);
}

}  // namespace

void
_PG_init(void)
{
	RegisterXactCallback(on_transaction_event, nullptr);
	RegisterSubXactCallback(on_subtransaction_event, nullptr);
	DefineCustomIntVariable("pfm_migrate.lock_timeout",
	                        "How long a migration waits for a concurrent migration to finish.",
	                        "0 (the default) waits as long as it takes. On timeout the call fails and names "
	                        "the process holding the lock.",
	                        &pfm::pg::lock_timeout_ms, 0, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
	                        nullptr);
	DefineCustomIntVariable("pfm_migrate.lock_wait",
	                        "How long a migration statement may wait for a table lock before it backs off and retries.",
	                        "0 (the default) turns bounded lock waits off. When set, a statement that takes SHARE or "
	                        "a stronger lock on an existing table runs with this lock_timeout in a subtransaction "
	                        "(a deploy: its revision), and is retried after a lock timeout.",
	                        &pfm::pg::lock_wait_ms, 0, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("pfm_migrate.lock_retries",
	                        "How many times a migration statement is retried after a bounded lock wait timed out.",
	                        "After the last one the call fails with SQLSTATE 55P03 naming the blocking sessions.",
	                        &pfm::pg::lock_retries, 5, 0, 1000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("pfm_migrate.lock_retry_delay",
	                        "The first pause before a retry of a timed-out lock wait.",
	                        "Doubles after each retry, with jitter, up to 16 times this value and at most 30 s.",
	                        &pfm::pg::lock_retry_delay_ms, 1000, 0, 3600 * 1000, PGC_USERSET, GUC_UNIT_MS, nullptr,
	                        nullptr, nullptr);
	DefineCustomBoolVariable("pfm_migrate.record_at_commit",
	                         "Records, as a transaction that changed the migration catalog commits, what the next "
	                         "sessions' first calls read instead of the whole catalog.",
	                         "pfm_status()'s verdict, the catalog image and whether pfm_upgrade('head') and ('heads') "
	                         "are no-ops, for a change made by pfm_upgrade, pfm_downgrade, pfm_stamp, pfm_register, "
	                         "pfm_unregister or loading files. Off: the next session's first call computes in full.",
	                         &pfm::pg::record_at_commit, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("pfm_migrate.log_statements", "Emits a NOTICE for every migration statement as it runs.",
	                         nullptr, &pfm::pg::log_statements, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pfm_migrate");
#else
	EmitWarningsOnPlaceholders("pfm_migrate");
#endif
}
