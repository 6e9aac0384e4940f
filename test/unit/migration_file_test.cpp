#include <gtest/gtest.h>

#include <string>

#include "core/errors.hpp"
#include "core/migration_file.hpp"
#include "core/sql_text.hpp"

using namespace pfm::core;

namespace {

const char *const kFile = R"(-- Add user preferences table
--
-- pfm:revision 0003
-- pfm:parents 0002
-- pfm:message Add user preferences table
-- pfm:branch-labels prefs, ui
-- pfm:depends-on 0001

-- pfm:upgrade

CREATE TABLE user_preferences (id int);
-- pfm:allow index-not-concurrent
CREATE INDEX ON user_preferences (id);

-- pfm:downgrade
DROP TABLE user_preferences;
)";

std::string
error_of(const std::string &text)
{
	try {
		parse_migration_file("f.sql", text);
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::invalid_argument);
		return e.what();
	}
	return "no error";
}

}  // namespace

TEST(MigrationFile, ReadsHeadersAndSections)
{
	ASSERT_TRUE(is_migration_file_format(kFile));
	MigrationFile f = parse_migration_file("0003.sql", kFile);
	EXPECT_EQ(f.revision, "0003");
	EXPECT_EQ(f.parents, std::vector<std::string>{"0002"});
	EXPECT_EQ(f.message, "Add user preferences table");
	EXPECT_EQ(f.branch_labels, (std::vector<std::string>{"prefs", "ui"}));
	EXPECT_EQ(f.depends_on, std::vector<std::string>{"0001"});
	EXPECT_TRUE(f.transactional);
	EXPECT_EQ(f.upgrade, "CREATE TABLE user_preferences (id int);\n-- pfm:allow index-not-concurrent\n"
	                     "CREATE INDEX ON user_preferences (id);");
	ASSERT_TRUE(f.downgrade.has_value());
	EXPECT_EQ(*f.downgrade, "DROP TABLE user_preferences;");
	EXPECT_EQ(f.upgrade_line, 10);
	EXPECT_EQ(f.downgrade_line, 16);
}

TEST(MigrationFile, RootsMergesIrreversibleAndNonTransactional)
{
	MigrationFile root = parse_migration_file("a", "-- pfm:revision a\n-- pfm:parents base\n-- pfm:upgrade\nSELECT 1\n"
	                                              "-- pfm:downgrade irreversible\n");
	EXPECT_TRUE(root.parents.empty());
	EXPECT_FALSE(root.downgrade.has_value());
	MigrationFile merge = parse_migration_file("m", "-- pfm:revision m\r\n-- pfm:parents a1, b2\r\n-- pfm:transactional false\r\n"
	                                                "-- pfm:upgrade\r\n-- pfm:downgrade\r\n");
	EXPECT_EQ(merge.parents, (std::vector<std::string>{"a1", "b2"}));
	EXPECT_FALSE(merge.transactional);
	EXPECT_EQ(merge.upgrade, "");
	ASSERT_TRUE(merge.downgrade.has_value());
	EXPECT_EQ(*merge.downgrade, "");  // reversible: reverting a merge runs nothing
}

TEST(MigrationFile, RefusesWithTheLine)
{
	const std::string head = "-- pfm:revision a\n-- pfm:parents base\n";
	EXPECT_EQ(error_of("CREATE TABLE plain_t (i int);\n"), "migration file \"f.sql\", line 1: SQL before the -- pfm:upgrade line");
	EXPECT_EQ(error_of(head + "COMMIT;\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 3: SQL before the -- pfm:upgrade line");
	EXPECT_EQ(error_of("-- pfm:revision a\n-- pfm:parent base\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 2: unknown header \"pfm:parent\"");
	EXPECT_EQ(error_of(head + "-- pfm:revision b\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 3: a second pfm:revision header");
	EXPECT_EQ(error_of(head + "-- pfm:upgrade\nSELECT 1;\n"), "migration file \"f.sql\", line 5: no -- pfm:downgrade line");
	EXPECT_EQ(error_of(head + "-- pfm:downgrade\n-- pfm:upgrade\n"),
	          "migration file \"f.sql\", line 3: the -- pfm:downgrade section comes before -- pfm:upgrade");
	EXPECT_EQ(error_of(head + "-- pfm:upgrade\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 4: a second -- pfm:upgrade line");
	EXPECT_EQ(error_of(head + "-- pfm:upgrade\n-- pfm:downgrade irreversible\nDROP TABLE x;\n"),
	          "migration file \"f.sql\", line 5: an irreversible migration has no downgrade body");
	EXPECT_EQ(error_of(head + "-- pfm:upgrade\n-- pfm:message late\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 4: header pfm:message inside a body");
	EXPECT_EQ(error_of("-- pfm:parents base\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 1: no -- pfm:revision header");
	EXPECT_EQ(error_of("-- pfm:revision a\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 1: no -- pfm:parents header");
	EXPECT_EQ(error_of("-- pfm:revision a\n-- pfm:parents a,,b\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 2: empty item in pfm:parents \"a,,b\"");
	EXPECT_EQ(error_of(head + "-- pfm:transactional maybe\n-- pfm:upgrade\n-- pfm:downgrade\n"),
	          "migration file \"f.sql\", line 3: pfm:transactional is true or false, not \"maybe\"");
	EXPECT_FALSE(is_migration_file_format("SELECT pfm_register('a');\n"));
}

TEST(MigrationFile, FormatRoundTrips)
{
	MigrationFile f = parse_migration_file("0003.sql", kFile);
	std::string text = format_migration_file(f, "Add user preferences table\n\nmore words");
	MigrationFile again = parse_migration_file("0003.sql", text);
	EXPECT_EQ(again.revision, f.revision);
	EXPECT_EQ(again.parents, f.parents);
	EXPECT_EQ(again.message, f.message);
	EXPECT_EQ(again.branch_labels, f.branch_labels);
	EXPECT_EQ(again.depends_on, f.depends_on);
	EXPECT_EQ(again.upgrade, f.upgrade);
	EXPECT_EQ(again.downgrade, f.downgrade);
	EXPECT_EQ(text.substr(0, 37), "-- Add user preferences table\n--\n-- m");

	MigrationFile irreversible = f;
	irreversible.downgrade.reset();
	irreversible.transactional = false;
	irreversible.message = "two\nlines";
	MigrationFile back = parse_migration_file("x", format_migration_file(irreversible));
	EXPECT_FALSE(back.downgrade.has_value());
	EXPECT_FALSE(back.transactional);
	EXPECT_EQ(back.message, "two lines");

	MigrationFile sneaky = f;
	sneaky.upgrade = "SELECT 1;\n-- pfm:downgrade\nDROP TABLE users;";
	EXPECT_THROW(format_migration_file(sneaky), Error);
}

TEST(SqlText, LiteralsSurviveAnyContent)
{
	EXPECT_EQ(sql_literal("it's"), "'it''s'");
	EXPECT_EQ(dollar_quoted("x"), "$pfm$x$pfm$");
	EXPECT_EQ(dollar_quoted("a $pfm$ b"), "$pfm1$a $pfm$ b$pfm1$");
	// The text's end must not complete the tag: "x$pfm" + "$pfm$" would close early.
	EXPECT_EQ(dollar_quoted("x$pfm"), "$pfm1$x$pfm$pfm1$");
	EXPECT_EQ(sql_text_array({}), "NULL");
	EXPECT_EQ(sql_text_array({"a", "b'c"}), "ARRAY['a', 'b''c']::text[]");
	EXPECT_EQ(sql_comment_text("two\n\\! touch x\r\tend"), "two \\! touch x  end");
}
