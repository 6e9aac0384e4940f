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
	EXPECT_EQ(c.md5_bytes().size(), 16u);
	EXPECT_EQ(Checksum::of_md5_bytes(c.md5_bytes()), c);
	EXPECT_EQ(sizeof(Checksum), 16u);
}

// The one md5 in 2^64 whose first 8 bytes are zero is held as its text: it reads back the
// same and has no 16-byte form, so the catalog image writes it as a text.
TEST(Checksum, Md5WithAZeroFirstHalfIsKeptAsText)
{
	const std::string md5 = "0000000000000000fedcba9876543210";
	Checksum c(md5);
	EXPECT_EQ(c.str(), md5);
	EXPECT_FALSE(c.empty());
	EXPECT_TRUE(c.md5_bytes().empty());
	EXPECT_TRUE(c == Checksum(md5));
	EXPECT_TRUE(c != Checksum("0000000000000001fedcba9876543210"));
	EXPECT_FALSE(Checksum("0000000000000001fedcba9876543210").md5_bytes().empty());
	std::string bytes(8, '\0');
	bytes += "\xfe\xdc\xba\x98\x76\x54\x32\x10";
	EXPECT_TRUE(Checksum::of_md5_bytes(bytes).empty());
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

// SmallText: a revision's id and message in 16 bytes, inline up to 15 bytes.
TEST(SmallText, HoldsAnyTextInSixteenBytes)
{
	EXPECT_EQ(sizeof(SmallText), 16u);
	const std::string longer(200, 'm');
	for (std::string text : {std::string(), std::string("a"), std::string("r000001"), std::string("ae1027a6acf1"),
	                         std::string(14, 'x'), std::string(15, 'y'), std::string(16, 'z'), std::string(64, 'w'),
	                         longer, std::string("with\0nul", 8)}) {
		SmallText t(text);
		EXPECT_EQ(t.size(), text.size());
		EXPECT_EQ(t.empty(), text.empty());
		EXPECT_EQ(std::string(t), text);
		EXPECT_EQ(t.view(), text);
		EXPECT_EQ(t.c_str()[text.size()], '\0') << text;
		EXPECT_TRUE(t == text);
		EXPECT_TRUE(text == t);
		EXPECT_FALSE(t != text);
		EXPECT_EQ("<" + t + ">", "<" + text + ">");
		SmallText copy = t;
		EXPECT_EQ(copy, t);
		SmallText moved = std::move(copy);
		EXPECT_EQ(moved, t);
		EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from text is empty
		SmallText assigned("something else, long enough to be on the heap");
		assigned = t;
		EXPECT_EQ(assigned, t);
		assigned = std::move(moved);
		EXPECT_EQ(assigned, t);
		const SmallText &same = assigned;
		assigned = same;  // self-assignment keeps the text
		EXPECT_EQ(assigned.view(), text);
	}
	EXPECT_TRUE(SmallText("a") < SmallText("b"));
	EXPECT_TRUE(SmallText(std::string(20, 'a')) < SmallText(std::string(20, 'a') + "b"));
	EXPECT_TRUE(SmallText("abc") != SmallText("abd"));
	EXPECT_TRUE(SmallText() == "");
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
