// Bounded lock waits with retries (SPEC §9): which statements of a body need a bounded lock
// wait, and how long to sleep between attempts. Pure C++; the glue (src/pg/lock_retry.hpp)
// gathers the facts from the parse tree and the lock table, and does the waiting.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pfm::core {

// PostgreSQL's table lock modes, weakest first (lockdefs.h numbers them 1..8 the same way).
enum class LockMode : int {
	access_share = 1,
	row_share,
	row_exclusive,
	share_update_exclusive,
	share,
	share_row_exclusive,
	exclusive,
	access_exclusive
};

// "ACCESS EXCLUSIVE" and so on, as LOCK TABLE spells them.
const char *lock_mode_name(LockMode mode);
// Do two table lock modes conflict (PostgreSQL's conflict table)?
bool lock_modes_conflict(LockMode a, LockMode b);
// The modes that conflict with `mode`, weakest first.
std::vector<LockMode> conflicting_modes(LockMode mode);

// A relation a statement locks, as the glue found it before the statement runs.
struct RelationLock {
	std::string relation;     // as shown to users (schema-qualified when known)
	LockMode mode;            // the strongest mode the statement takes on it
	bool exists = true;       // the relation exists before the statement (a new one queues nobody)
	bool held = false;        // this transaction already holds `mode` or stronger on it
};

// What the glue could tell about a statement.
struct StatementLockFacts {
	enum class Kind {
		concurrent,     // CREATE INDEX CONCURRENTLY and the like: waits on snapshots, never bounded
		no_table_lock,  // SET, CREATE FUNCTION, INSERT ...: takes no lock that queues traffic
		table_locks,    // the relations in `locks`
		unclassified    // anything else (DO blocks, ALTER TYPE, ...): bounded, to be safe
	};
	Kind kind = Kind::unclassified;
	std::vector<RelationLock> locks;
};

// A statement needs a bounded lock wait when it may make other sessions queue behind it:
// it takes SHARE or stronger on a relation that existed before and that this transaction
// does not already hold at that strength -- or we cannot tell. CONCURRENTLY never.
bool needs_bounded_wait(const StatementLockFacts &facts);
// The relation to name when a bounded statement times out: the first lock that made it
// bounded (nullptr for an unclassified statement).
const RelationLock *bounding_lock(const StatementLockFacts &facts);

// The sleeps between attempts: exponential from `delay_ms`, with equal jitter (uniformly
// in [d/2, d]) from a seeded PRNG, capped at 16 x delay_ms and at 30 s (never below delay_ms).
class RetrySchedule {
public:
	static constexpr int64_t kCapMs = 30000;
	static constexpr int kCapFactor = 16;

	RetrySchedule(int retries, int64_t delay_ms, uint64_t seed);
	// Total tries allowed: the first one plus `retries`.
	int max_attempts() const { return retries_ + 1; }
	// Is another try left after `attempts_made` tries?
	bool can_retry(int attempts_made) const { return attempts_made < max_attempts(); }
	// The nominal (un-jittered) delay before retry number `retry` (1 = the first retry).
	int64_t nominal_delay_ms(int retry) const;
	// The delay to sleep before retry number `retry`; advances the PRNG.
	int64_t next_delay_ms(int retry);
	int64_t cap_ms() const;

private:
	int retries_;
	int64_t delay_ms_;
	uint64_t state_;
	uint64_t next_random();
};

}  // namespace pfm::core
