#include "core/lock_retry.hpp"

#include <algorithm>

namespace pfm::core {

namespace {

// PostgreSQL's LockConflicts table (lock.c), one bit per mode: bit m set when m conflicts.
constexpr unsigned bit(LockMode m) { return 1u << static_cast<int>(m); }

unsigned
conflicts_of(LockMode mode)
{
	using M = LockMode;
	switch (mode) {
	case M::access_share: return bit(M::access_exclusive);
	case M::row_share: return bit(M::exclusive) | bit(M::access_exclusive);
	case M::row_exclusive:
		return bit(M::share) | bit(M::share_row_exclusive) | bit(M::exclusive) | bit(M::access_exclusive);
	case M::share_update_exclusive:
		return bit(M::share_update_exclusive) | bit(M::share) | bit(M::share_row_exclusive) | bit(M::exclusive) |
		       bit(M::access_exclusive);
	case M::share:
		return bit(M::row_exclusive) | bit(M::share_update_exclusive) | bit(M::share_row_exclusive) |
		       bit(M::exclusive) | bit(M::access_exclusive);
	case M::share_row_exclusive:
		return bit(M::row_exclusive) | bit(M::share_update_exclusive) | bit(M::share) | bit(M::share_row_exclusive) |
		       bit(M::exclusive) | bit(M::access_exclusive);
	case M::exclusive:
		return bit(M::row_share) | bit(M::row_exclusive) | bit(M::share_update_exclusive) | bit(M::share) |
		       bit(M::share_row_exclusive) | bit(M::exclusive) | bit(M::access_exclusive);
	case M::access_exclusive:
		return bit(M::access_share) | bit(M::row_share) | bit(M::row_exclusive) | bit(M::share_update_exclusive) |
		       bit(M::share) | bit(M::share_row_exclusive) | bit(M::exclusive) | bit(M::access_exclusive);
	}
	return 0;
}

bool
bounds(const RelationLock &lock)
{
	return lock.mode >= LockMode::share && lock.exists && !lock.held;
}

}  // namespace

const char *
lock_mode_name(LockMode mode)
{
	switch (mode) {
	case LockMode::access_share: return "ACCESS SHARE";
	case LockMode::row_share: return "ROW SHARE";
	case LockMode::row_exclusive: return "ROW EXCLUSIVE";
	case LockMode::share_update_exclusive: return "SHARE UPDATE EXCLUSIVE";
	case LockMode::share: return "SHARE";
	case LockMode::share_row_exclusive: return "SHARE ROW EXCLUSIVE";
	case LockMode::exclusive: return "EXCLUSIVE";
	case LockMode::access_exclusive: return "ACCESS EXCLUSIVE";
	}
	return "?";
}

bool
lock_modes_conflict(LockMode a, LockMode b)
{
	return (conflicts_of(a) & bit(b)) != 0;
}

std::vector<LockMode>
conflicting_modes(LockMode mode)
{
	std::vector<LockMode> out;
	for (int m = static_cast<int>(LockMode::access_share); m <= static_cast<int>(LockMode::access_exclusive); m++)
		if (lock_modes_conflict(mode, static_cast<LockMode>(m)))
			out.push_back(static_cast<LockMode>(m));
	return out;
}

bool
needs_bounded_wait(const StatementLockFacts &facts)
{
	switch (facts.kind) {
	case StatementLockFacts::Kind::concurrent:
	case StatementLockFacts::Kind::no_table_lock: return false;
	case StatementLockFacts::Kind::unclassified: return true;
	case StatementLockFacts::Kind::table_locks: return bounding_lock(facts) != nullptr;
	}
	return true;
}

const RelationLock *
bounding_lock(const StatementLockFacts &facts)
{
	if (facts.kind != StatementLockFacts::Kind::table_locks)
		return nullptr;
	for (const RelationLock &lock : facts.locks)
		if (bounds(lock))
			return &lock;
	return nullptr;
}

RetrySchedule::RetrySchedule(int retries, int64_t delay_ms, uint64_t seed)
	: retries_(std::max(retries, 0)), delay_ms_(std::max<int64_t>(delay_ms, 0)),
	  state_(seed ? seed : 0x9e3779b97f4a7c15ULL)
{
}

int64_t
RetrySchedule::cap_ms() const
{
	return std::max(delay_ms_, std::min(delay_ms_ * kCapFactor, kCapMs));
}

int64_t
RetrySchedule::nominal_delay_ms(int retry) const
{
	const int64_t cap = cap_ms();
	int64_t d = delay_ms_;
	for (int i = 1; i < retry && d < cap; i++)
		d *= 2;
	return std::min(d, cap);
}

int64_t
RetrySchedule::next_delay_ms(int retry)
{
	const int64_t d = nominal_delay_ms(retry);
	const int64_t half = d / 2;
	const int64_t spread = d - half;  // uniform in [half, d]
	return half + static_cast<int64_t>(next_random() % static_cast<uint64_t>(spread + 1));
}

uint64_t
RetrySchedule::next_random()
{
	// splitmix64: small, fast, and good enough to spread retries of concurrent deployers.
	uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

}  // namespace pfm::core
