#include "pg/commit_record.hpp"

#include <exception>
#include <string>

#include "core/planner.hpp"
#include "pg/boundary.hpp"
#include "pg/catalog.hpp"
#include "pg/spi.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "utils/snapmgr.h"
}

namespace pfm::pg {

bool record_at_commit = true;

namespace {

bool armed = false;  // this transaction changed the catalog through the extension

// What the recording writes, for the catalog as this transaction leaves it (each record
// checks, as it always does, that it may be written and that the key is the latest).
void
record_for_committed_key(Spi &spi)
{
	StatePtr state = read_catalog_state(spi, false);
	if (state->key.empty())
		return;  // (a preview's files: nothing is recorded)
	for (const char *target : {"head", "heads"}) {
		bool noop = false;
		try {
			noop = core::plan_upgrade(state->graph, state->applied, target).steps.empty();
		} catch (const core::Error &) {
			// (several heads for 'head', a cycle: no plan, so no no-op to record)
		}
		if (noop)
			establish_noop(spi, target, *state);
	}
	record_image(spi, *state);
	establish_status(spi, *state);
}

// Whether this transaction may record at all: read-write, READ COMMITTED (under a
// transaction snapshot a row another session updated meanwhile would fail with 40001, and
// SERIALIZABLE's reads would join its conflict checks), not on a standby, the top level.
bool
may_record_now()
{
	return pg_call([] {
		return !XactReadOnly && !IsolationUsesXactSnapshot() && !RecoveryInProgress() && !IsSubTransaction();
	});
}

void
record_in_subtransaction()
{
	if (!may_record_now())
		return;
	Subtransaction sub;
	bool done = false;
	std::string failure;
	try {
		pg_call([] { PushActiveSnapshot(GetTransactionSnapshot()); });
		{
			OwnChangeKeyed own;
			Spi spi;
			record_for_committed_key(spi);
			spi.finish();
		}
		pg_call([] { PopActiveSnapshot(); });
		done = true;
	} catch (const std::exception &e) {
		failure = e.what();  // (the rollback below undoes all of it: SPI, the snapshot, the writes)
	} catch (...) {
		failure = "unknown error";
	}
	if (done) {
		sub.commit();
		return;
	}
	sub.rollback();
	const char *message = failure.c_str();
	pg_call([message] {
		ereport(DEBUG1, (errmsg("pfm_migrate: nothing recorded for the catalog this transaction commits: %s", message)));
	});
}

}  // namespace

void
catalog_changes_in_transaction()
{
	armed = true;
}

void
catalog_recorded_by_caller()
{
	armed = false;
}

void
record_committing_catalog() noexcept
{
	if (!armed)
		return;
	armed = false;
	if (!record_at_commit)
		return;
	try {
		record_in_subtransaction();
	} catch (...) {
		// A recording that failed is no failure of the commit: the next sessions' first
		// calls then compute in full, as they would without it.
	}
}

void
commit_record_transaction_end()
{
	armed = false;
}

}  // namespace pfm::pg
