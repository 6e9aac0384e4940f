#include <gtest/gtest.h>

#include "core/lock_retry.hpp"

using namespace pfm::core;
using Kind = StatementLockFacts::Kind;

namespace {

StatementLockFacts
locks(std::vector<RelationLock> l)
{
	return StatementLockFacts{Kind::table_locks, std::move(l)};
}

}  // namespace

TEST(LockModes, ConflictTableMatchesPostgres)
{
	EXPECT_TRUE(lock_modes_conflict(LockMode::access_share, LockMode::access_exclusive));
	EXPECT_FALSE(lock_modes_conflict(LockMode::access_share, LockMode::exclusive));
	EXPECT_FALSE(lock_modes_conflict(LockMode::row_exclusive, LockMode::row_exclusive));
	EXPECT_TRUE(lock_modes_conflict(LockMode::row_exclusive, LockMode::share));
	EXPECT_FALSE(lock_modes_conflict(LockMode::share, LockMode::share));
	EXPECT_TRUE(lock_modes_conflict(LockMode::share_update_exclusive, LockMode::share_update_exclusive));
	EXPECT_TRUE(lock_modes_conflict(LockMode::share_row_exclusive, LockMode::share_row_exclusive));
	// Symmetric, as PostgreSQL's table is.
	for (int a = 1; a <= 8; a++)
		for (int b = 1; b <= 8; b++)
			EXPECT_EQ(lock_modes_conflict(static_cast<LockMode>(a), static_cast<LockMode>(b)),
			          lock_modes_conflict(static_cast<LockMode>(b), static_cast<LockMode>(a)))
				<< a << " " << b;
	EXPECT_EQ(conflicting_modes(LockMode::access_exclusive).size(), 8u);
	EXPECT_EQ(conflicting_modes(LockMode::access_share), (std::vector<LockMode>{LockMode::access_exclusive}));
	EXPECT_STREQ(lock_mode_name(LockMode::share_row_exclusive), "SHARE ROW EXCLUSIVE");
}

TEST(NeedsBoundedWait, StrongLockOnAnExistingTableNotYetHeld)
{
	EXPECT_TRUE(needs_bounded_wait(locks({{"public.t", LockMode::access_exclusive, true, false}})));
	EXPECT_TRUE(needs_bounded_wait(locks({{"public.t", LockMode::share, true, false}})));
	EXPECT_EQ(bounding_lock(locks({{"a", LockMode::share, false, false}, {"b", LockMode::exclusive, true, false}}))->relation,
	          "b");
}

TEST(NeedsBoundedWait, WeakLocksNewTablesAndHeldLocksAreNotBounded)
{
	EXPECT_FALSE(needs_bounded_wait(locks({{"public.t", LockMode::share_update_exclusive, true, false}})));
	EXPECT_FALSE(needs_bounded_wait(locks({{"public.t", LockMode::row_exclusive, true, false}})));
	EXPECT_FALSE(needs_bounded_wait(locks({{"public.t", LockMode::access_exclusive, false, false}})));
	EXPECT_FALSE(needs_bounded_wait(locks({{"public.t", LockMode::access_exclusive, true, true}})));
	EXPECT_FALSE(needs_bounded_wait(locks({})));
	EXPECT_EQ(bounding_lock(locks({{"public.t", LockMode::access_exclusive, true, true}})), nullptr);
}

TEST(NeedsBoundedWait, ConcurrentNeverUnclassifiedAlways)
{
	EXPECT_FALSE(needs_bounded_wait(StatementLockFacts{Kind::concurrent, {{"t", LockMode::share_update_exclusive}}}));
	EXPECT_FALSE(needs_bounded_wait(StatementLockFacts{Kind::no_table_lock, {}}));
	EXPECT_TRUE(needs_bounded_wait(StatementLockFacts{Kind::unclassified, {}}));
	EXPECT_EQ(bounding_lock(StatementLockFacts{Kind::unclassified, {}}), nullptr);
}

TEST(RetrySchedule, CountsAttempts)
{
	RetrySchedule s(5, 1000, 1);
	EXPECT_EQ(s.max_attempts(), 6);
	EXPECT_TRUE(s.can_retry(5));
	EXPECT_FALSE(s.can_retry(6));
	RetrySchedule none(0, 1000, 1);
	EXPECT_FALSE(none.can_retry(1));
	RetrySchedule negative(-3, 1000, 1);
	EXPECT_EQ(negative.max_attempts(), 1);
}

TEST(RetrySchedule, ExponentialAndCapped)
{
	RetrySchedule s(10, 1000, 1);
	EXPECT_EQ(s.cap_ms(), 16000);
	std::vector<int64_t> nominal;
	for (int r = 1; r <= 7; r++)
		nominal.push_back(s.nominal_delay_ms(r));
	EXPECT_EQ(nominal, (std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 16000, 16000}));
	// 30 s caps a long delay's ladder; a delay above 30 s is its own cap.
	EXPECT_EQ(RetrySchedule(10, 5000, 1).nominal_delay_ms(10), 30000);
	EXPECT_EQ(RetrySchedule(10, 60000, 1).nominal_delay_ms(3), 60000);
	EXPECT_EQ(RetrySchedule(3, 0, 1).next_delay_ms(2), 0);
	// No overflow on absurd retry numbers.
	EXPECT_EQ(s.nominal_delay_ms(1000000), 16000);
}

TEST(RetrySchedule, EqualJitterStaysInRangeAndDependsOnTheSeed)
{
	RetrySchedule a(100, 100, 42), b(100, 100, 42), c(100, 100, 43);
	bool differs = false, spread = false;
	int64_t first = -1;
	for (int r = 1; r <= 100; r++) {
		int64_t nominal = a.nominal_delay_ms(r);
		int64_t d = a.next_delay_ms(r);
		EXPECT_GE(d, nominal / 2) << r;
		EXPECT_LE(d, nominal) << r;
		EXPECT_EQ(d, b.next_delay_ms(r)) << r;  // same seed, same sleeps
		if (c.next_delay_ms(r) != d)
			differs = true;
		if (r >= 5) {
			if (first < 0)
				first = d;
			else if (d != first)
				spread = true;
		}
	}
	EXPECT_TRUE(differs);
	EXPECT_TRUE(spread);
}
