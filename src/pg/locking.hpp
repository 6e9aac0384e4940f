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

enum class LockScope { transaction, session };

// Takes the migration lock, waiting at most pfm_migrate.lock_timeout (default: as long as
// it takes). Transaction-scoped for the atomic functions; session-scoped for the
// procedures, which commit while they hold it. Returns true when it had to wait.
// A transaction-scoped wait refuses at once (55P03) while another session runs a
// top-level step: this call holds a snapshot that step may have to wait for.
bool acquire_migration_lock(Spi &spi, LockScope scope = LockScope::transaction);
void release_session_migration_lock();
bool holds_session_migration_lock();

// Around a statement that runs at top level in the worker (see above).
void begin_top_level_step();
void end_top_level_step();

// src/module.cpp's abort callback: a top-level abort while this backend holds the
// session-level locks releases them (the procedure holding them is failing).
void release_session_locks_on_abort();

// The start of every state-changing call: refuses read-only transactions, loads the state;
// when has_work_left says there is something to do in it, takes the lock and loads it again. Under REPEATABLE READ / SERIALIZABLE a call that had to wait reads what
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
