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

// Checksums: the server's md5 is held as 16 bytes and reads back as the same text; any other
// text is kept exactly.
TEST(Checksum, Md5RoundTripsThroughSixteenBytes)
{
	const std::string md5 = "0123456789abcdef0fedcba987654321";
	Checksum c(md5);
	EXPECT_EQ(c.str(), md5);
	EXPECT_EQ(std::string(c), md5);
	EXPECT_FALSE(c.empty());
	EXPECT_TRUE(c == md5);
	EXPECT_TRUE(md5 == c);
	EXPECT_TRUE(c == Checksum(md5));
	EXPECT_TRUE(c != Checksum("0123456789abcdef0fedcba987654320"));
	EXPECT_EQ("was " + c + ".", "was " + md5 + ".");
	EXPECT_EQ(sizeof(Checksum), 24u);
}

TEST(Checksum, OtherTextIsKeptAsItIs)
{
	for (const char *text : {"c-a", "old", "0123456789ABCDEF0FEDCBA987654321", "00000000000000000000000000000000",
	                         "0123456789abcdef0fedcba98765432", "0123456789abcdef0fedcba9876543210", "x"}) {
		Checksum c(text);
		EXPECT_EQ(c.str(), text);
		EXPECT_FALSE(c.empty()) << text;
		EXPECT_TRUE(c == std::string(text));
		Checksum copy = c;
		EXPECT_TRUE(copy == c);
		Checksum moved = std::move(copy);
		EXPECT_TRUE(moved == c);
	}
	// Upper-case hex is another text than the same digits in lower case.
	EXPECT_TRUE(Checksum("0123456789ABCDEF0FEDCBA987654321") != Checksum("0123456789abcdef0fedcba987654321"));
	EXPECT_TRUE(Checksum("00000000000000000000000000000000") != Checksum());
}

TEST(Checksum, EmptyIsTheDefault)
{
	Checksum c;
	EXPECT_TRUE(c.empty());
	EXPECT_EQ(c.str(), "");
	EXPECT_TRUE(c == Checksum(""));
	EXPECT_TRUE(c != Checksum("0123456789abcdef0fedcba987654321"));
	c = Checksum("0123456789abcdef0fedcba987654321");
	EXPECT_FALSE(c.empty());
	c = Checksum("c-x");
	EXPECT_EQ(c.str(), "c-x");
}

// IdList: a revision's parents, dependencies and labels in one allocation.
TEST(IdList, HoldsItemsInOrder)
{
	IdList empty;
	EXPECT_TRUE(empty.empty());
	EXPECT_EQ(empty.size(), 0u);
	EXPECT_TRUE(empty.begin() == empty.end());
	EXPECT_TRUE(empty == IdList(std::vector<std::string>{}));
	EXPECT_EQ(sizeof(IdList), sizeof(void *));

	const std::vector<std::string> items = {"a1", "", "a much longer revision identifier than fifteen", "b"};
	IdList list(items);
	EXPECT_FALSE(list.empty());
	EXPECT_EQ(list.size(), 4u);
	EXPECT_EQ(list.vec(), items);
	EXPECT_EQ(std::vector<std::string>(list), items);
	EXPECT_EQ(list[1], "");
	EXPECT_EQ(list[2], items[2]);
	EXPECT_EQ(list.front(), "a1");
	std::vector<std::string> walked(list.begin(), list.end());
	EXPECT_EQ(walked, items);

	IdList copy = list;
	EXPECT_TRUE(copy == list);
	copy.push_back("c");
	EXPECT_TRUE(copy != list);
	EXPECT_EQ(copy.size(), 5u);
	EXPECT_EQ(copy[4], "c");
	IdList grown;
	grown.push_back("x");
	EXPECT_TRUE(grown == IdList({"x"}));
	IdList moved = std::move(copy);
	EXPECT_EQ(moved.size(), 5u);
	moved = list;
	EXPECT_TRUE(moved == list);
	EXPECT_TRUE(IdList({"a", "b"}) != IdList({"ab"}));
}
