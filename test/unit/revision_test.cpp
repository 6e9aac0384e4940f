#include <gtest/gtest.h>

#include "core/revision.hpp"

using namespace pfm::core;

TEST(Identifier, AcceptsIdsAndLabels)
{
	const std::string longest(64, 'x');
	for (const char *ok : {"a", "0", "0002", "ae1027a6acf", "cart", "v1.2", "my_label", "a-b", longest.c_str()})
		EXPECT_TRUE(is_valid_identifier(ok)) << ok;
}

TEST(Identifier, RejectsEverythingElse)
{
	const std::string too_long(65, 'x');
	for (const char *bad : {"", "_a", "-a", ".a", "a b", "a@b", "a+b", "a,b", "a'b", "a;drop", "é", "a\n", too_long.c_str()})
		EXPECT_FALSE(is_valid_identifier(bad)) << bad;
}

TEST(SplitRevisionList, TrimsAndKeepsEmptyItems)
{
	EXPECT_EQ(split_revision_list("a1,b2"), (std::vector<std::string>{"a1", "b2"}));
	EXPECT_EQ(split_revision_list(" a1 ,  b2 "), (std::vector<std::string>{"a1", "b2"}));
	EXPECT_EQ(split_revision_list("a1"), (std::vector<std::string>{"a1"}));
	EXPECT_EQ(split_revision_list("a1,,b2"), (std::vector<std::string>{"a1", "", "b2"}));
	EXPECT_EQ(split_revision_list("a1,"), (std::vector<std::string>{"a1", ""}));
	EXPECT_EQ(split_revision_list(""), (std::vector<std::string>{""}));
}
