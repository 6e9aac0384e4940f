// Module magic and settings (GUCs).
#include <climits>

#include "pg/boundary.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);
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
