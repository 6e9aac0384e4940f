// Recording at commit: a transaction that changed the catalog through the extension's
// atomic functions (pfm_upgrade, pfm_downgrade, pfm_stamp, pfm_register, pfm_unregister,
// loading files) records, as it commits, what the next sessions' first calls read instead
// of the whole catalog: pfm_status()'s verdict, the catalog image and, where a plan finds
// it so, that pfm_upgrade('head') / ('heads') is a no-op. All of it with the key that
// transaction's commit makes, in a subtransaction at XACT_EVENT_PRE_COMMIT: a failure of
// the recording is rolled back and forgotten, never the commit's failure.
#pragma once

namespace pfm::pg {

// pfm_migrate.record_at_commit (src/module.cpp); on by default.
extern bool record_at_commit;

// A write of revisions or applied in this transaction (catalog.cpp's write functions).
void catalog_changes_in_transaction();
// A procedure about to commit a transaction of its own (CALL pfm_deploy / pfm_revert, which
// commit once per revision and record for the next sessions themselves at their end).
void catalog_recorded_by_caller();

// Transaction callbacks (src/module.cpp): XACT_EVENT_PRE_COMMIT records when armed (plain
// C may call it: nothing leaves it, neither a C++ exception nor a PostgreSQL error);
// COMMIT, ABORT and PREPARE disarm.
void record_committing_catalog() noexcept;
void commit_record_transaction_end();

}  // namespace pfm::pg
