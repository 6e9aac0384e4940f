// Module magic, settings (GUCs) and the failed-call log line.
#include <climits>

#include "pg/boundary.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/acl.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

namespace pfm::pg {

int lock_timeout_ms = 0;
bool log_statements = false;

namespace {
// Plain data, read by guarded() after the call's C++ objects are gone.
char remembered_call[512];
char remembered_users[2 * NAMEDATALEN + 64];
}  // namespace

void
remember_call(const char *description)
{
	strlcpy(remembered_call, description, sizeof remembered_call);
	pg_call([] {
		const char *current = GetUserNameFromId(GetUserId(), true);
		const char *session = GetUserNameFromId(GetSessionUserId(), true);
		snprintf(remembered_users, sizeof remembered_users, "user \"%s\" (session user \"%s\")",
		         current ? current : "?", session ? session : "?");
	});
}

void
forget_call()
{
	remembered_call[0] = '\0';
}

// Called by guarded() after the C++ objects are gone: the audit row of a failed call rolls
// back with it, so the server log keeps the trail of who tried what.
void
log_failed_call(const char *error_message)
{
	if (remembered_call[0] == '\0')
		return;
	ereport(LOG, (errmsg("pfm_migrate: %s by %s failed: %s", remembered_call, remembered_users,
	                     error_message ? error_message : "(no message)"),
	              errdetail("Application \"%s\", backend pid %d; the call rolled back and left no audit row.",
	                        application_name ? application_name : "", MyProcPid)));
	forget_call();
}

}  // namespace pfm::pg

// pfm_migrate.written_by_current_transaction(xid): used by the generation trigger and the
// state cache to tell this transaction's own catalog changes from committed ones.
PFM_SQL_FUNCTION(pfm_written_by_current_transaction)
{
	TransactionId xid = DatumGetTransactionId(PG_GETARG_DATUM(0));
	return BoolGetDatum(pfm::pg::pg_call([&] { return TransactionIdIsCurrentTransactionId(xid); }));
}

void
_PG_init(void)
{
	DefineCustomIntVariable("pfm_migrate.lock_timeout",
	                        "How long a migration waits for a concurrent migration to finish.",
	                        "0 (the default) waits as long as it takes. On timeout the call fails and names "
	                        "the process holding the lock.",
	                        &pfm::pg::lock_timeout_ms, 0, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
	                        nullptr);
	DefineCustomBoolVariable("pfm_migrate.log_statements", "Emits a NOTICE for every migration statement as it runs.",
	                         nullptr, &pfm::pg::log_statements, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pfm_migrate");
#else
	EmitWarningsOnPlaceholders("pfm_migrate");
#endif
}
