// The catalogue of lint rules, the -- pfm:allow opt-outs and statement positions.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/lint.hpp"

using namespace pfm::core::lint;

namespace {

// Spans as the server's parser reports them: each from just after the previous semicolon
// to just before its own.
std::vector<Span>
spans_of(const std::string &body)
{
	std::vector<Span> out;
	std::size_t start = 0;
	for (std::size_t i = 0; i < body.size(); i++)
		if (body[i] == ';') {
			out.push_back(Span{start, i});
			start = i + 1;
		}
	if (body.find_first_not_of(" \n\t", start) != std::string::npos)
		out.push_back(Span{start, body.size()});
	return out;
}

}  // namespace

TEST(LintRules, EveryRuleHasAUniqueNameAndAHint)
{
	std::set<std::string> names;
	for (std::size_t i = 0; i < rules().size(); i++) {
		const RuleInfo &r = rules()[i];
		EXPECT_EQ(static_cast<std::size_t>(r.rule), i) << r.name;
		EXPECT_TRUE(names.insert(r.name).second) << r.name;
		EXPECT_GT(std::string(r.hint).size(), 10u) << r.name;
		EXPECT_EQ(rule_named(r.name), r.rule);
	}
	EXPECT_EQ(rules().size(), 13u);
	EXPECT_FALSE(rule_named("no-such-rule"));
	EXPECT_STREQ(info(Rule::drop_or_rename).name, "drop-or-rename");
	EXPECT_EQ(info(Rule::drop_or_rename).severity, Severity::warning);
	EXPECT_EQ(info(Rule::irreversible).severity, Severity::notice);
	EXPECT_EQ(info(Rule::column_type_rewrite).severity, Severity::error);
	EXPECT_STREQ(severity_name(Severity::warning), "warning");
}

TEST(LintAllow, TopOfBodyAppliesToTheRevision)
{
	std::string body = "-- pfm:allow drop-or-rename, irreversible\nDROP TABLE a;\nDROP TABLE b;";
	Allowances a = parse_allowances(body, spans_of(body));
	EXPECT_TRUE(a.allows(Rule::drop_or_rename, 1));
	EXPECT_TRUE(a.allows(Rule::drop_or_rename, 2));
	EXPECT_TRUE(a.allows(Rule::irreversible, 0));
	EXPECT_FALSE(a.allows(Rule::rewrite_command, 1));
	EXPECT_TRUE(a.unknown.empty());
}

TEST(LintAllow, CommentBeforeOrOnAStatementAppliesToIt)
{
	std::string body = "CREATE TABLE t (id int);\n"
	                   "-- the table is new: pfm:allow would be inside text, not a marker\n"
	                   "-- pfm:allow index-not-concurrent\n"
	                   "CREATE INDEX ON t (id);\n"
	                   "ALTER TABLE u ALTER c TYPE bigint; -- pfm:allow column-type-rewrite: u is tiny\n"
	                   "ALTER TABLE v ALTER c TYPE bigint;\n"
	                   "DROP TABLE w -- pfm:allow drop-or-rename\n;";
	Allowances a = parse_allowances(body, spans_of(body));
	EXPECT_TRUE(a.revision.empty());
	EXPECT_FALSE(a.allows(Rule::index_not_concurrent, 1));
	EXPECT_TRUE(a.allows(Rule::index_not_concurrent, 2));
	EXPECT_TRUE(a.allows(Rule::column_type_rewrite, 3));  // trailing comment: its own line's statement
	EXPECT_FALSE(a.allows(Rule::column_type_rewrite, 4));
	EXPECT_TRUE(a.allows(Rule::drop_or_rename, 5));
	EXPECT_FALSE(a.allows(Rule::drop_or_rename, 4));
}

TEST(LintAllow, MarkersInsideLiteralsAndBlockCommentsDoNotCount)
{
	std::string body = "UPDATE t SET note = '-- pfm:allow unbatched-dml';\n"
	                   "UPDATE t SET note = $x$ -- pfm:allow unbatched-dml $x$;\n"
	                   "UPDATE t SET note = E'\\' -- pfm:allow unbatched-dml';\n"
	                   "/* -- pfm:allow unbatched-dml */ UPDATE t SET n = 1;\n"
	                   "SELECT \"-- pfm:allow unbatched-dml\" FROM t;";
	Allowances a = parse_allowances(body, spans_of(body));
	for (int s = 1; s <= 5; s++)
		EXPECT_FALSE(a.allows(Rule::unbatched_dml, s)) << s;
	EXPECT_TRUE(a.revision.empty());
}

TEST(LintAllow, UnknownNamesBecomeFindingsAndAllowedOnesDisappear)
{
	std::string body = "-- pfm:allow irreversible, no-such-rule\nUPDATE t SET a = 1;\n-- pfm:allow unbatched-dml\nDELETE FROM t;";
	Allowances a = parse_allowances(body, spans_of(body));
	ASSERT_EQ(a.unknown.size(), 1u);
	EXPECT_EQ(a.unknown[0], "no-such-rule");
	EXPECT_EQ(a.unknown_lines[0], 1);
	std::vector<Finding> in = {{Rule::irreversible, 0, 0, "no downgrade"},
	                           {Rule::unbatched_dml, 1, 2, "update"},
	                           {Rule::unbatched_dml, 2, 4, "delete"}};
	std::vector<Finding> out = apply_allowances(in, a);
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[0].statement, 1);
	EXPECT_EQ(out[1].rule, Rule::unknown_allow);
	EXPECT_NE(out[1].message.find("no-such-rule"), std::string::npos);
}

TEST(LintAllow, OtherCommentsAreNoMarkers)
{
	std::string body = "-- pfm:allowed drop-or-rename\n-- pfm:transactional false\n--pfm:allow\nDROP TABLE a;";
	Allowances a = parse_allowances(body, spans_of(body));
	EXPECT_TRUE(a.revision.empty());
	EXPECT_TRUE(a.unknown.empty());
}

TEST(LintPositions, FirstTokenSkipsBlanksAndComments)
{
	std::string body = "SELECT 1;\n  -- a comment\n/* block /* nested */ */\n  DROP TABLE x;";
	auto spans = spans_of(body);
	ASSERT_EQ(spans.size(), 2u);
	std::size_t at = first_token(body, spans[1].start, spans[1].end);
	EXPECT_EQ(body.substr(at, 4), "DROP");
	LineIndex lines(body);
	EXPECT_EQ(lines.line_at(first_token(body, spans[0].start, spans[0].end)), 1);
	EXPECT_EQ(lines.line_at(at), 4);
	EXPECT_EQ(lines.line_at(body.size()), 4);
	EXPECT_EQ(first_token("   ", 0, 3), 3u);
}

TEST(LintJudgements, RowsFromReltuples)
{
	EXPECT_EQ(rows_from_reltuples(-1), Rows::unknown);
	EXPECT_EQ(rows_from_reltuples(0), Rows::none);
	EXPECT_EQ(rows_from_reltuples(12), Rows::some);
	EXPECT_EQ(rows_text(1500), " (about 1500 rows)");
	EXPECT_NE(rows_text(-1).find("unknown"), std::string::npos);
}

TEST(LintJudgements, LockWaitSettings)
{
	EXPECT_FALSE(bounds_lock_waits(nullptr));
	EXPECT_FALSE(bounds_lock_waits("0"));
	EXPECT_FALSE(bounds_lock_waits(""));
	EXPECT_FALSE(bounds_lock_waits("off"));
	EXPECT_FALSE(bounds_lock_waits("-1"));
	EXPECT_FALSE(bounds_lock_waits("0ms"));
	EXPECT_TRUE(bounds_lock_waits("5s"));
	EXPECT_TRUE(bounds_lock_waits("200"));
	EXPECT_TRUE(bounds_lock_waits("on"));
}

TEST(LintJudgements, OneNoLockTimeoutPerBody)
{
	std::vector<Finding> in = {{Rule::no_lock_timeout, 1, 1, "ALTER TABLE a"},
	                           {Rule::drop_or_rename, 2, 2, "drop"},
	                           {Rule::no_lock_timeout, 2, 2, "ALTER TABLE b"},
	                           {Rule::no_lock_timeout, 3, 3, "ALTER TABLE c"}};
	std::vector<Finding> out = first_of_each_body(in, Rule::no_lock_timeout);
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[0].message, "ALTER TABLE a (and 2 more statements of this body)");
	EXPECT_EQ(out[1].rule, Rule::drop_or_rename);
	EXPECT_EQ(first_of_each_body({in[0]}, Rule::no_lock_timeout)[0].message, "ALTER TABLE a");
}

#ifdef PFM_SOURCE_DIR
TEST(LintRules, TheReadmeTableListsEveryRuleWithItsSeverity)
{
	std::ifstream in(std::string(PFM_SOURCE_DIR) + "/README.md");
	ASSERT_TRUE(in) << "README.md not found";
	std::stringstream text;
	text << in.rdbuf();
	const std::string readme = text.str();
	std::size_t rows = 0;
	for (const RuleInfo &r : rules()) {
		std::string row = std::string("| `") + r.name + "` | " + severity_name(r.severity) + " | ";
		EXPECT_NE(readme.find(row), std::string::npos) << "README has no row starting " << row;
		rows++;
	}
	EXPECT_EQ(rows, rules().size());
}
#endif
