// Bounded lock waits with retries (SPEC §9), the glue: the facts of a statement (from its
// raw parse tree when the body is prepared, from the catalog and this backend's lock table
// right before it runs), the bounded run itself, and what happens after a lock timeout.
//
// The unit retried is the statement in atomic mode (pfm_upgrade / pfm_downgrade): it runs
// in a subtransaction with lock_timeout = pfm_migrate.lock_wait; on a lock timeout the
// subtransaction is rolled back, the engine sleeps and tries the statement again. In
// per-revision mode (pfm_deploy / pfm_revert) the unit is the revision: a timeout rolls the
// revision's subtransaction back -- releasing the locks its earlier statements took, so no
// table stays locked while the engine sleeps -- and the revision runs again from its first
// statement. A non-transactional revision's statement runs at top level in the worker, so
// there the statement is retried.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/lock_retry.hpp"
#include "pg/spi.hpp"
#include "pg/subtransaction.hpp"

namespace pfm::pg {

// GUCs (src/module.cpp).
extern int lock_wait_ms;         // pfm_migrate.lock_wait; 0 = off
extern int lock_retries;         // pfm_migrate.lock_retries
extern int lock_retry_delay_ms;  // pfm_migrate.lock_retry_delay

// A relation a statement locks, as written in it.
struct LockTarget {
	std::string schema;  // "" when unqualified
	std::string name;
	core::LockMode mode;
};

// What the raw parse tree tells about a statement's table locks.
struct StatementLocks {
	core::StatementLockFacts::Kind kind = core::StatementLockFacts::Kind::unclassified;
	std::vector<LockTarget> targets;
};

// The same in palloc'd plain data, filled inside pg_call (prepare_body) and turned into
// StatementLocks outside it.
struct RawLockTarget {
	const char *schema;  // nullptr when unqualified
	const char *name;
	int mode;  // LOCKMODE
};
struct RawLocks {
	int kind;
	int count;
	RawLockTarget *targets;
};
RawLocks raw_statement_locks(void *raw_stmt);  // a Node * of raw_parser's output; may ereport
StatementLocks to_statement_locks(const RawLocks &raw);

// The relation a bounded statement waits for, resolved right before it runs.
struct BoundLock {
	unsigned relation_oid = 0;  // 0: unknown (an unclassified statement)
	std::string relation;       // quoted, schema-qualified; "" when unknown
	core::LockMode mode = core::LockMode::access_exclusive;
};

// A bounded statement timed out on its lock (after the statement's own effects were
// rolled back, or -- in per-revision mode -- on the way to its revision's rollback).
struct LockTimedOut : std::exception {
	BoundLock lock;
	int wait_ms;
	std::string where;    // "revision R (upgrade), statement N", for the NOTICE
	std::string context;  // the statement's error context line, for the final error
	LockTimedOut(BoundLock l, int w, std::string wh, std::string ctx)
		: lock(std::move(l)), wait_ms(w), where(std::move(wh)), context(std::move(ctx))
	{
	}
	const char *what() const noexcept override { return "lock wait timed out"; }
};

// One call's settings and retry state (created when the call starts).
class LockRetry {
public:
	LockRetry();
	bool active() const { return wait_ms_ > 0; }

	// Whether this statement runs with a bounded lock wait now; fills *bound when it does.
	// Off, CONCURRENTLY, weak locks, new or already locked tables, and a lock_timeout the
	// body set itself (respected, never overridden) all say no.
	bool bounded(const StatementLocks &locks, BoundLock *bound) const;

	// Runs attempt() (one try of the statement through SPI) with lock_timeout = lock_wait.
	// Our own lock timeout becomes LockTimedOut (`where` names revision and statement for
	// the NOTICEs, `context` is the error's context line); any other error goes on unchanged.
	template <typename F>
	void run_once(const BoundLock &bound, const std::string &where, const std::string &context, F &&attempt);

	// Statement unit: run_once in a subtransaction, retried after each lock timeout.
	// Returns the number of attempts (1 = no retry).
	template <typename F>
	int run_retrying(Spi &spi, const BoundLock &bound, const std::string &where, const std::string &context, F &&attempt);

	// After attempt number `attempts_made` timed out and its locks are gone: on exhaustion
	// raises 55P03 naming the relation and the blockers; else a NOTICE (saying that `unit`
	// is retried), and an interruptible sleep.
	void after_timeout(Spi &spi, const LockTimedOut &timeout, int attempts_made, const char *unit = "the statement");

	int max_attempts() const { return schedule_.max_attempts(); }
	int wait_ms() const { return wait_ms_; }

	// lock_timeout = lock_wait from here (returns the GUC nest level) until end_bounded()
	// restores the body's own settings -- or the (sub)transaction ends.
	int begin_bounded() const;
	static void end_bounded(int nest_level);
	// Is this failure a lock timeout under our lock_timeout (not one the statement set
	// itself, nor NOWAIT's 55P03)? Reads the error only; call it before any rollback.
	bool own_timeout(const std::exception_ptr &failure) const;

private:
	int wait_ms_;
	int caller_lock_timeout_ms_;  // lock_timeout when the call started
	core::RetrySchedule schedule_;
};

template <typename F>
void
LockRetry::run_once(const BoundLock &bound, const std::string &where, const std::string &context, F &&attempt)
{
	std::exception_ptr failure;
	try {
		const int level = begin_bounded();
		attempt();
		end_bounded(level);
	} catch (...) {
		failure = std::current_exception();
	}
	if (!failure)
		return;
	if (own_timeout(failure))
		throw LockTimedOut(bound, wait_ms_, where, context);
	std::rethrow_exception(failure);
}

template <typename F>
int
LockRetry::run_retrying(Spi &spi, const BoundLock &bound, const std::string &where, const std::string &context, F &&attempt)
{
	for (int attempts = 1;; attempts++) {
		std::optional<LockTimedOut> timeout;
		try {
			in_subtransaction([&] { run_once(bound, where, context, attempt); });
			return attempts;
		} catch (const LockTimedOut &t) {
			timeout.emplace(t);
		}
		after_timeout(spi, *timeout, attempts);
	}
}

}  // namespace pfm::pg
