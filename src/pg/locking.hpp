// Guards for state-changing calls: refuse read-only transactions and hot standbys up
// front, then serialize concurrent migrations with a transaction-scoped advisory lock.
#pragma once

#include <functional>

#include "pg/catalog.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

// Throws 25006 in a read-only transaction or on a hot standby, and 0A000 when called from
// inside a migration body.
void require_writable(const char *function_name);

// Takes the migration lock (transaction-scoped, released at commit or rollback), waiting
// at most pfm_migrate.lock_timeout. Returns true when it had to wait for another session.
bool acquire_migration_lock(Spi &spi);

// The start of every state-changing call: refuses read-only transactions, takes the lock,
// loads the state. Under REPEATABLE READ / SERIALIZABLE a call that had to wait reads what
// the session it waited for committed: when has_work_left says nothing is left to do it
// goes on from that state (a no-op); otherwise it fails with 40001 rather than apply
// anything twice from a stale snapshot.
StatePtr lock_and_read_state(Spi &spi, const char *function_name,
                                   const std::function<bool(const CatalogState &)> &has_work_left);

// True when the transaction reads through one snapshot (REPEATABLE READ, SERIALIZABLE).
bool uses_transaction_snapshot();

// Runs fn with a fresh snapshot for its SPI reads (read_only queries), so a call that
// waited under REPEATABLE READ can see what the session it waited for committed.
template <typename F> auto with_latest_snapshot(F &&fn) -> decltype(fn());
void push_latest_snapshot();
void pop_snapshot();

template <typename F>
auto
with_latest_snapshot(F &&fn) -> decltype(fn())
{
	push_latest_snapshot();
	auto result = fn();
	pop_snapshot();
	return result;
}

}  // namespace pfm::pg
