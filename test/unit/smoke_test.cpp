#include <gtest/gtest.h>
#include "core/planner.hpp"
TEST(Smoke, Builds) { pfm::core::RevisionGraph g({}); EXPECT_EQ(g.size(), 0u); }
