// Planner tests: every target form, every error kind and its wording, the Alembic
// branch/merge/dependency scenarios of reference/migration-tools.md §1.2, chains, stamps.
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "test_graphs.hpp"

using namespace pfm::core;
using namespace pfm::core::test;

namespace {

using Strings = std::vector<std::string>;

enum class Cmd { upgrade, downgrade };

// One row of a plan table: either the steps + heads expected, or the error.
struct Case {
	Cmd cmd;
	std::string target;
	Strings applied;
	Strings steps;  // when ok
	Strings heads;  // when ok
	std::optional<ErrorKind> error;
	std::string message;  // exact primary message when error (empty: not checked)
};

Case
ok(Cmd cmd, std::string target, Strings applied, Strings steps, Strings heads)
{
	return {cmd, std::move(target), std::move(applied), std::move(steps), std::move(heads), std::nullopt, {}};
}

Case
err(Cmd cmd, std::string target, Strings applied, ErrorKind kind, std::string message = {})
{
	return {cmd, std::move(target), std::move(applied), {}, {}, kind, std::move(message)};
}

std::string
describe(const Case &c)
{
	std::string s = std::string(c.cmd == Cmd::upgrade ? "upgrade " : "downgrade ") + "'" + c.target + "' from {";
	for (const auto &a : c.applied)
		s += a + " ";
	return s + "}";
}

void
run_case(const RevisionGraph &g, const Case &c)
{
	SCOPED_TRACE(describe(c));
	auto plan = [&] {
		return c.cmd == Cmd::upgrade ? plan_upgrade(g, applied(c.applied), c.target)
		                             : plan_downgrade(g, applied(c.applied), c.target);
	};
	if (c.error) {
		try {
			plan();
			ADD_FAILURE() << "expected an error";
		} catch (const Error &e) {
			EXPECT_EQ(e.kind, *c.error) << e.what();
			if (!c.message.empty()) {
				EXPECT_EQ(std::string(e.what()), c.message);
			}
		}
		return;
	}
	try {
		Plan p = plan();
		EXPECT_EQ(step_ids(p), c.steps);
		EXPECT_EQ(p.heads_after, c.heads);
		for (const Step &s : p.steps)
			EXPECT_EQ(s.direction, c.cmd == Cmd::upgrade ? Direction::upgrade : Direction::downgrade);
	} catch (const Error &e) {
		ADD_FAILURE() << "unexpected error: " << e.what() << " / " << e.detail;
	}
}

const Strings kAfterNnnn = {"aaaa1111", "bbbb2222", "cccc3333", "mmmm4444", "nnnn5555"};
const std::string kMultipleHead =
	"multiple head revisions are present for given argument 'head'; please specify a specific target revision, "
	"'<branchname>@head' to narrow to a specific head, or 'heads' for all heads";

}  // namespace

// reference/migration-tools.md §1.2, "Observed on 1.8.1": the same results.
TEST(DocGraph, ObservedAlembicResults)
{
	RevisionGraph g = doc_graph();
	const Cmd U = Cmd::upgrade, D = Cmd::downgrade;
	for (const Case &c : {
		     err(U, "head", {}, ErrorKind::multiple_heads, kMultipleHead),
		     err(U, "zzzz", {}, ErrorKind::unknown_revision, "can't locate revision identified by 'zzzz'"),
		     ok(U, "cart", {}, {"aaaa1111", "cccc3333"}, {"cccc3333"}),
		     ok(U, "cart@head", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444", "nnnn5555"}, {"nnnn5555"}),
		     ok(U, "net@head", {}, {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777"}),
		     err(U, "+1", {}, ErrorKind::invalid_target, "ambiguous walk"),
		     err(U, "aaaa1111+1", {}, ErrorKind::invalid_target, "ambiguous walk"),
		     err(U, "-1", {}, ErrorKind::invalid_target, "relative revision -1 didn't produce 1 migrations"),
		     ok(U, "bbbb2222", kAfterNnnn, {}, {"nnnn5555"}),
		     err(D, "-2", kAfterNnnn, ErrorKind::invalid_target, "ambiguous walk"),
		     err(D, "cccc3333", {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, ErrorKind::invalid_target,
		         "destination cccc3333 is not a valid downgrade target from current head(s)"),
		     // the online sqlite sequence of §1.4 ([nnnn5555, xxxx6666] after Alembic's guess for -1)
		     ok(D, "cart@-1", {"aaaa1111", "bbbb2222", "cccc3333", "mmmm4444", "nnnn5555", "xxxx6666"}, {"nnnn5555"},
		        {"mmmm4444", "xxxx6666"}),
		     ok(D, "bbbb2222", {"aaaa1111", "bbbb2222", "cccc3333", "mmmm4444", "xxxx6666"}, {"mmmm4444"},
		        {"bbbb2222", "cccc3333", "xxxx6666"}),
		     ok(D, "base", {"aaaa1111", "bbbb2222", "cccc3333", "xxxx6666"}, {"bbbb2222", "xxxx6666", "cccc3333", "aaaa1111"},
		        {}),
	     })
		run_case(g, c);
}

TEST(DocGraph, UpgradeHeadsOrderMatchesAlembicOfflineOutput)
{
	// The order of `alembic upgrade heads --sql` in reference/migration-tools.md §1.1.
	Plan p = plan_upgrade(doc_graph(), {}, "heads");
	EXPECT_EQ(step_ids(p), (Strings{"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777", "bbbb2222", "mmmm4444", "nnnn5555"}));
	EXPECT_EQ(p.heads_after, (Strings{"nnnn5555", "yyyy7777"}));
}

TEST(DocGraph, MultipleHeadsNamesThem)
{
	try {
		plan_upgrade(doc_graph(), {}, "head");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.detail, "Heads: nnnn5555, yyyy7777.");
		EXPECT_EQ(e.revisions, (Strings{"nnnn5555", "yyyy7777"}));
	}
}

// Every grammar form of SPEC §3, on the documentation graph.
TEST(Grammar, UpgradeForms)
{
	RevisionGraph g = doc_graph();
	const Cmd U = Cmd::upgrade;
	const Strings A = {"aaaa1111"};
	for (const Case &c : {
		     ok(U, "heads", {}, {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777", "bbbb2222", "mmmm4444", "nnnn5555"},
		        {"nnnn5555", "yyyy7777"}),
		     ok(U, "heads", kDocAll, {}, {"nnnn5555", "yyyy7777"}),
		     ok(U, "base", {}, {}, {}),
		     ok(U, "base", A, {}, {"aaaa1111"}),
		     ok(U, "mmmm4444", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444"}, {"mmmm4444"}),
		     ok(U, "yyyy7777", A, {"cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777"}),
		     // prefixes: keys longer than 3 characters (ids and labels)
		     ok(U, "b", {}, {"aaaa1111", "bbbb2222"}, {"bbbb2222"}),
		     ok(U, "bbbb", {}, {"aaaa1111", "bbbb2222"}, {"bbbb2222"}),
		     ok(U, "car", {}, {"aaaa1111", "cccc3333"}, {"cccc3333"}),
		     err(U, "ne", {}, ErrorKind::unknown_revision, "can't locate revision identified by 'ne'"),
		     ok(U, "net", {}, {"xxxx6666"}, {"xxxx6666"}),
		     // relative to the current state
		     err(U, "+1", A, ErrorKind::invalid_target, "ambiguous walk"),  // aaaa1111 is a branch point
		     ok(U, "+1", {"aaaa1111", "bbbb2222"}, {"cccc3333", "mmmm4444"}, {"mmmm4444"}),  // walks into the merge
		     ok(U, "+2", {"aaaa1111", "bbbb2222"}, {"cccc3333", "mmmm4444", "nnnn5555"}, {"nnnn5555"}),
		     err(U, "+1", {"aaaa1111", "bbbb2222", "cccc3333"}, ErrorKind::invalid_target,
		         "ambiguous upgrade from multiple current revisions"),
		     err(U, "+1", kAfterNnnn, ErrorKind::invalid_target, "relative revision +1 didn't produce 1 migrations"),
		     err(U, "+3", {"aaaa1111", "bbbb2222", "cccc3333", "mmmm4444"}, ErrorKind::invalid_target,
		         "relative revision +3 didn't produce 3 migrations"),
		     // rev+N / rev-N
		     ok(U, "bbbb2222+1", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444"}, {"mmmm4444"}),
		     ok(U, "cart+2", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444", "nnnn5555"}, {"nnnn5555"}),
		     ok(U, "bbbb2222+0", {}, {"aaaa1111", "bbbb2222"}, {"bbbb2222"}),
		     ok(U, "nnnn5555-1", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444"}, {"mmmm4444"}),
		     err(U, "nnnn5555-2", {}, ErrorKind::invalid_target, "ambiguous walk"),  // down through the merge
		     ok(U, "aaaa1111-1", {}, {}, {}),                                          // base: nothing to do
		     err(U, "aaaa1111-2", {}, ErrorKind::invalid_target, "walked too far"),
		     err(U, "nnnn5555+1", {}, ErrorKind::invalid_target, "walked too far"),  // Alembic: AssertionError
		     // labels
		     ok(U, "cart@heads", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444", "nnnn5555"}, {"nnnn5555"}),
		     ok(U, "net@heads", {}, {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777"}),
		     ok(U, "cart@base", {}, {}, {}),
		     ok(U, "cart@+1", {}, {"aaaa1111"}, {"aaaa1111"}),  // the bases sharing cart's lineage
		     ok(U, "cart@+2", {}, {"aaaa1111", "cccc3333"}, {"cccc3333"}),
		     ok(U, "cart@+1", A, {"cccc3333"}, {"cccc3333"}),
		     ok(U, "net@+1", kAfterNnnn, {"xxxx6666"}, {"nnnn5555", "xxxx6666"}),
		     ok(U, "cart@aaaa1111", {}, {"aaaa1111"}, {"aaaa1111"}),
		     ok(U, "cart@mmmm", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444"}, {"mmmm4444"}),
		     err(U, "net@aaaa1111", {}, ErrorKind::unknown_revision,
		         "revision 'aaaa1111' is not a member of branch 'net'"),
		     err(U, "zzzz@head", {}, ErrorKind::unknown_revision, "can't locate revision identified by 'zzzz'"),
		     // rev@head: the head of the branch holding rev (parent edges)
		     ok(U, "bbbb2222@head", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444", "nnnn5555"}, {"nnnn5555"}),
		     ok(U, "xxxx@head", {}, {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777"}),
		     ok(U, "nnnn5555@head", {}, {"aaaa1111", "cccc3333", "bbbb2222", "mmmm4444", "nnnn5555"}, {"nnnn5555"}),
	     })
		run_case(g, c);
}

TEST(Grammar, DowngradeForms)
{
	RevisionGraph g = doc_graph();
	const Cmd D = Cmd::downgrade;
	for (const Case &c : {
		     ok(D, "base", {}, {}, {}),
		     ok(D, "base", kDocAll, {"nnnn5555", "mmmm4444", "bbbb2222", "yyyy7777", "xxxx6666", "cccc3333", "aaaa1111"}, {}),
		     ok(D, "net@base", kDocAll, {"yyyy7777", "xxxx6666"}, {"nnnn5555"}),
		     ok(D, "cart@base", kAfterNnnn, {"nnnn5555", "mmmm4444", "bbbb2222", "cccc3333", "aaaa1111"}, {}),
		     // reverting a revision reverts what depends on it, in other branches too
		     ok(D, "aaaa1111", kDocAll, {"nnnn5555", "mmmm4444", "bbbb2222", "yyyy7777", "cccc3333"},
		        {"aaaa1111", "xxxx6666"}),
		     ok(D, "xxxx6666", kDocAll, {"yyyy7777"}, {"nnnn5555", "xxxx6666"}),
		     ok(D, "mmmm", kAfterNnnn, {"nnnn5555"}, {"mmmm4444"}),
		     ok(D, "nnnn5555", kAfterNnnn, {}, {"nnnn5555"}),  // already there
		     err(D, "nnnn5555", {"aaaa1111"}, ErrorKind::invalid_target,
		         "destination nnnn5555 is not a valid downgrade target from current head(s)"),
		     // relative
		     ok(D, "-1", kAfterNnnn, {"nnnn5555"}, {"mmmm4444"}),
		     ok(D, "-1", {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777"}, {"cccc3333", "xxxx6666"}),
		     ok(D, "-2", {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777", "xxxx6666"}, {"cccc3333"}),
		     ok(D, "-1", {"aaaa1111"}, {"aaaa1111"}, {}),
		     err(D, "-1", {}, ErrorKind::invalid_target, "relative revision -1 didn't produce 1 migrations"),
		     err(D, "-2", {"aaaa1111"}, ErrorKind::invalid_target, "relative revision -2 didn't produce 2 migrations"),
		     err(D, "-1", kDocAll, ErrorKind::invalid_target, "downgrade -1 from multiple heads is ambiguous"),
		     err(D, "+1", kAfterNnnn, ErrorKind::invalid_target, "relative revision +1 didn't produce 1 migrations"),
		     ok(D, "net@-1", kDocAll, {"yyyy7777"}, {"nnnn5555", "xxxx6666"}),
		     ok(D, "cart@-1", kDocAll, {"nnnn5555"}, {"mmmm4444", "yyyy7777"}),
		     ok(D, "cart@-1", {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777", "cccc3333"},
		        {"aaaa1111", "xxxx6666"}),
		     err(D, "cart@-1", {}, ErrorKind::invalid_target, "relative revision -1 didn't produce 1 migrations"),
		     err(D, "net@-1", {"aaaa1111", "bbbb2222", "cccc3333"}, ErrorKind::invalid_target),
		     ok(D, "nnnn5555-1", kAfterNnnn, {"nnnn5555"}, {"mmmm4444"}),
		     ok(D, "aaaa1111-1", kDocAll, {"nnnn5555", "mmmm4444", "bbbb2222", "yyyy7777", "xxxx6666", "cccc3333", "aaaa1111"},
		        {}),  // rev-N reaching base is base (Alembic)
		     err(D, "aaaa1111-2", kDocAll, ErrorKind::invalid_target, "walked too far"),
		     ok(D, "aaaa1111+0", kDocAll, {"nnnn5555", "mmmm4444", "bbbb2222", "yyyy7777", "cccc3333"},
		        {"aaaa1111", "xxxx6666"}),
		     ok(D, "xxxx6666+1", kDocAll, {}, {"nnnn5555", "yyyy7777"}),
		     err(D, "nnnn5555+1", kDocAll, ErrorKind::invalid_target, "walked too far"),
		     // cccc3333 stays, so yyyy7777 (which depends on it) stays
		     ok(D, "cart@cccc3333", kDocAll, {"nnnn5555", "mmmm4444"}, {"bbbb2222", "yyyy7777"}),
		     err(D, "net@bbbb2222", kDocAll, ErrorKind::unknown_revision),
		     err(D, "head", kDocAll, ErrorKind::multiple_heads),
		     err(D, "heads", kDocAll, ErrorKind::multiple_heads),
		     ok(D, "cart@head", kDocAll, {}, {"nnnn5555", "yyyy7777"}),  // Alembic: the global head (error here)
	     })
		run_case(g, c);
}

TEST(Grammar, MalformedTargetsAreInvalidArguments)
{
	RevisionGraph g = doc_graph();
	for (const char *bad : {"", "@", "a@", "@head", "a@@b", "a@b@c", "+", "-", "+0", "-0", "cart@+0", "a b", "-abc", "++1",
	                        "h\xc3\xa9llo", "aaaa1111;drop table x", "x@+", "+1a"}) {
		SCOPED_TRACE(std::string("target '") + bad + "'");
		for (int cmd = 0; cmd < 3; ++cmd) {
			try {
				if (cmd == 0)
					plan_upgrade(g, {}, bad);
				else if (cmd == 1)
					plan_downgrade(g, applied(kDocAll), bad);
				else
					plan_stamp(g, {}, bad);
				ADD_FAILURE() << "no error";
			} catch (const Error &e) {
				EXPECT_EQ(e.kind, ErrorKind::invalid_argument) << e.what();
			}
		}
	}
}

TEST(Grammar, AmbiguousPrefixListsEveryCandidate)
{
	RevisionGraph g = graph({{"aaaa1111"}, {"aaaa2222", "aaaa1111"}, {"aaaa3333", "aaaa1111"}, {"aab", "", "", "aaaa_label"}});
	try {
		plan_upgrade(g, {}, "aaaa");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::ambiguous_revision);
		EXPECT_STREQ(e.what(), "multiple revisions start with 'aaaa': aaaa1111, aaaa2222, aaaa3333, aab");
		EXPECT_EQ(e.detail, "Candidates: aaaa1111, aaaa2222, aaaa3333, aab.");
		EXPECT_EQ(e.revisions.size(), 4u);
	}
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "aaaa2")), (Strings{"aaaa1111", "aaaa2222"}));
	// "aa" is shorter than every key but does not match the 3-letter id "aab"
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "aaaa_")), (Strings{"aab"}));
}

TEST(Grammar, LabelPrefixCandidatesAreLimitedToTheBranch)
{
	RevisionGraph g = graph({{"base1", "", "", "one"}, {"abcd1", "base1"}, {"base2", "", "", "two"}, {"abcd2", "base2"}});
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "two@abcd")), (Strings{"base2", "abcd2"}));
	EXPECT_THROW(plan_upgrade(g, {}, "abcd"), Error);
}

TEST(Grammar, IdsWithDashes)
{
	RevisionGraph g = graph({{"v-1"}, {"v-2", "v-1"}, {"v-3", "v-2"}});
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "v-2")), (Strings{"v-1", "v-2"}));  // an exact id, not v-2 steps
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "v-2+1")), (Strings{"v-1", "v-2", "v-3"}));
	EXPECT_EQ(step_ids(plan_downgrade(g, applied({"v-1", "v-2", "v-3"}), "v-3-2")), (Strings{"v-3", "v-2"}));
}

TEST(Chain, Plans)
{
	RevisionGraph g = chain(5);
	const Cmd U = Cmd::upgrade, D = Cmd::downgrade;
	const Strings all = {"0001", "0002", "0003", "0004", "0005"};
	for (const Case &c : {
		     ok(U, "head", {}, all, {"0005"}),
		     ok(U, "head", all, {}, {"0005"}),
		     ok(U, "heads", {"0001", "0002"}, {"0003", "0004", "0005"}, {"0005"}),
		     ok(U, "+2", {"0001"}, {"0002", "0003"}, {"0003"}),
		     ok(U, "+1", {}, {"0001"}, {"0001"}),
		     err(U, "+5", {"0001", "0002", "0003"}, ErrorKind::invalid_target,
		         "relative revision +5 didn't produce 5 migrations"),
		     err(U, "+1", all, ErrorKind::invalid_target, "relative revision +1 didn't produce 1 migrations"),
		     err(U, "+1000000000000", {}, ErrorKind::invalid_target),
		     ok(U, "0002+1", {}, {"0001", "0002", "0003"}, {"0003"}),
		     err(U, "0004+3", {}, ErrorKind::invalid_target, "walked too far"),
		     err(U, "head+1", {}, ErrorKind::invalid_target, "walked too far"),
		     ok(U, "head-1", {}, {"0001", "0002", "0003", "0004"}, {"0004"}),
		     ok(U, "base+2", {}, {"0001", "0002"}, {"0002"}),
		     ok(U, "0003", all, {}, {"0005"}),
		     ok(D, "-1", all, {"0005"}, {"0004"}),
		     ok(D, "-2", all, {"0005", "0004"}, {"0003"}),
		     ok(D, "-5", all, {"0005", "0004", "0003", "0002", "0001"}, {}),
		     err(D, "-6", all, ErrorKind::invalid_target, "relative revision -6 didn't produce 6 migrations"),
		     ok(D, "base", all, {"0005", "0004", "0003", "0002", "0001"}, {}),
		     ok(D, "0003", all, {"0005", "0004"}, {"0003"}),
		     ok(D, "0005", all, {}, {"0005"}),
		     ok(D, "base", {}, {}, {}),
		     err(D, "0005", {"0001", "0002", "0003"}, ErrorKind::invalid_target,
		         "destination 0005 is not a valid downgrade target from current head(s)"),
		     ok(D, "0003-1", all, {"0005", "0004", "0003"}, {"0002"}),
		     ok(D, "0004+1", all, {}, {"0005"}),
		     err(D, "+2", all, ErrorKind::invalid_target, "relative revision +2 didn't produce 2 migrations"),
	     })
		run_case(g, c);
	// "000" is a prefix of every id: ambiguous
	try {
		plan_upgrade(g, {}, "000");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::ambiguous_revision);
		EXPECT_EQ(e.revisions, all);
	}
}

TEST(Chain, EmptyGraph)
{
	RevisionGraph g = graph({});
	EXPECT_TRUE(plan_upgrade(g, {}, "head").steps.empty());
	EXPECT_TRUE(plan_upgrade(g, {}, "heads").steps.empty());
	EXPECT_TRUE(plan_downgrade(g, {}, "base").steps.empty());
	EXPECT_THROW(plan_upgrade(g, {}, "+1"), Error);
	EXPECT_THROW(plan_downgrade(g, {}, "-1"), Error);
	EXPECT_EQ(parent_for_new_revision(g), "");
}

TEST(Dependencies, UpgradePullsDependencies)
{
	// two independent bases; b2 depends on a2
	RevisionGraph g = graph({{"a1"}, {"a2", "a1"}, {"b1"}, {"b2", "b1", "a2"}, {"b3", "b2"}});
	Plan p = plan_upgrade(g, {}, "b3");
	EXPECT_EQ(step_ids(p), (Strings{"a1", "a2", "b1", "b2", "b3"}));
	EXPECT_EQ(p.heads_after, Strings{"b3"});
	// reverting the dependency reverts its dependants first
	p = plan_downgrade(g, applied({"a1", "a2", "b1", "b2", "b3"}), "a1");
	EXPECT_EQ(step_ids(p), (Strings{"b3", "b2", "a2"}));
	EXPECT_EQ(p.heads_after, (Strings{"a1", "b1"}));
}

TEST(Dependencies, RedundantDependencyEdgesLeaveNoRedundantRows)
{
	// c depends on a, which is already its ancestor (Alembic leaves a stale row here).
	RevisionGraph g = graph({{"a"}, {"b", "a"}, {"c", "b", "a"}, {"x"}, {"y", "x", "b"}});
	Plan p = plan_upgrade(g, {}, "heads");
	EXPECT_EQ(p.heads_after, (Strings{"c", "y"}));
	p = plan_downgrade(g, applied({"a", "b", "c", "x", "y"}), "a");
	EXPECT_EQ(step_ids(p), (Strings{"c", "y", "b"}));
	EXPECT_EQ(p.heads_after, (Strings{"a", "x"}));
	p = plan_downgrade(g, applied({"a", "b", "c", "x", "y"}), "b");
	EXPECT_EQ(step_ids(p), Strings{"c"});
	EXPECT_EQ(p.heads_after, (Strings{"y"}));
}

TEST(Irreversible, DowngradeThroughItThrowsBeforeAnyStep)
{
	RevisionGraph g = doc_graph(false);
	try {
		plan_downgrade(g, applied(kDocAll), "bbbb2222");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::irreversible);
		EXPECT_STREQ(e.what(), "cannot downgrade irreversible revision 'mmmm4444'");
		EXPECT_EQ(e.revisions, Strings{"mmmm4444"});
	}
	// not in the way: fine
	EXPECT_EQ(step_ids(plan_downgrade(g, applied(kDocAll), "mmmm4444")), Strings{"nnnn5555"});
	EXPECT_EQ(step_ids(plan_downgrade(g, applied(kDocAll), "net@base")), (Strings{"yyyy7777", "xxxx6666"}));
	// upgrades do not care
	EXPECT_EQ(plan_upgrade(g, {}, "heads").steps.size(), 7u);
}

struct StampCase {
	std::string target;
	Strings applied;
	Strings mark, unmark, heads;
};

TEST(Stamp, LikeAlembicStamp)
{
	RevisionGraph g = doc_graph();
	for (const StampCase &c : std::vector<StampCase>{
		     // §1.4: stamp bbbb2222 from [nnnn5555, yyyy7777] -> [bbbb2222, yyyy7777]; stamp base -> []
		     {"bbbb2222", kDocAll, {}, {"nnnn5555", "mmmm4444"}, {"bbbb2222", "yyyy7777"}},
		     {"base", kDocAll, {}, {"nnnn5555", "mmmm4444", "bbbb2222", "yyyy7777", "xxxx6666", "cccc3333", "aaaa1111"}, {}},
		     {"heads", {}, {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777", "bbbb2222", "mmmm4444", "nnnn5555"}, {},
		      {"nnnn5555", "yyyy7777"}},
		     {"heads", kDocAll, {}, {}, {"nnnn5555", "yyyy7777"}},
		     {"nnnn5555", {"aaaa1111", "bbbb2222"}, {"cccc3333", "mmmm4444", "nnnn5555"}, {}, {"nnnn5555"}},
		     {"yyyy7777", {"aaaa1111", "bbbb2222"}, {"cccc3333", "xxxx6666", "yyyy7777"}, {}, {"bbbb2222", "yyyy7777"}},
		     {"cart", {}, {"aaaa1111", "cccc3333"}, {}, {"cccc3333"}},
		     {"net@base", kDocAll, {}, {"yyyy7777", "xxxx6666"}, {"nnnn5555"}},
		     {"net@head", {"aaaa1111", "bbbb2222"}, {"cccc3333", "xxxx6666", "yyyy7777"}, {}, {"bbbb2222", "yyyy7777"}},
		     {"aaaa1111", kAfterNnnn, {}, {"nnnn5555", "mmmm4444", "bbbb2222", "cccc3333"}, {"aaaa1111"}},
		     {"base", {}, {}, {}, {}},
	     }) {
		SCOPED_TRACE("stamp " + c.target);
		StampPlan p = plan_stamp(g, applied(c.applied), c.target);
		EXPECT_EQ(p.mark, c.mark);
		EXPECT_EQ(p.unmark, c.unmark);
		EXPECT_EQ(p.heads_after, c.heads);
	}
	EXPECT_THROW(plan_stamp(g, {}, "head"), Error);
	try {
		plan_stamp(g, {}, "+1");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::invalid_argument);
	}
}

TEST(Stamp, HeadsKeepsUnrelatedBranches)
{
	// Alembic's `stamp heads` from {h1, x} (x below h2) loses h1; we keep it.
	RevisionGraph g = graph({{"r1"}, {"h1", "r1"}, {"r2"}, {"x", "r2"}, {"h2", "x"}});
	StampPlan p = plan_stamp(g, applied({"r1", "h1", "r2", "x"}), "heads");
	EXPECT_EQ(p.mark, Strings{"h2"});
	EXPECT_TRUE(p.unmark.empty());
	EXPECT_EQ(p.heads_after, (Strings{"h1", "h2"}));
}

TEST(State, UnknownAppliedRevision)
{
	RevisionGraph g = doc_graph();
	try {
		plan_upgrade(g, applied({"aaaa1111", "zz2", "zz1"}), "heads");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::unknown_applied);
		EXPECT_STREQ(e.what(), "applied revision 'zz1' is not registered");
		EXPECT_EQ(e.detail, "Applied revisions missing from the catalog: zz1, zz2.");
		EXPECT_EQ(e.revisions, (Strings{"zz1", "zz2"}));
	}
}

TEST(State, Drift)
{
	RevisionGraph g = chain(3);
	std::vector<AppliedRevision> a = applied({"0001", "0002"});
	a[1].checksum = "old";
	for (int which = 0; which < 3; ++which) {
		try {
			if (which == 0)
				plan_upgrade(g, a, "head");
			else if (which == 1)
				plan_downgrade(g, a, "base");
			else
				plan_stamp(g, a, "head");
			FAIL();
		} catch (const Error &e) {
			EXPECT_EQ(e.kind, ErrorKind::drift);
			EXPECT_STREQ(e.what(), "revision '0002' changed since it was applied");
			EXPECT_EQ(e.detail, "Checksum as applied: old; registered: c-0002.");
			EXPECT_EQ(e.revisions, Strings{"0002"});
		}
	}
	EXPECT_NO_THROW(check_state(g, applied({"0001", "0002"})));
}

TEST(State, CyclesAndDuplicateLabelsAreRefusedBeforePlanning)
{
	for (const std::vector<Revision> &revs :
	     {revisions({{"a"}, {"b", "c"}, {"c", "b"}}), revisions({{"a", "", "", "x"}, {"b", "", "", "x"}})}) {
		RevisionGraph g(revs);
		EXPECT_THROW(plan_upgrade(g, {}, "a"), Error);
		EXPECT_THROW(plan_downgrade(g, {}, "base"), Error);
		EXPECT_THROW(plan_stamp(g, {}, "base"), Error);
		EXPECT_THROW(plan_stamp_purge(g, {}, "base"), Error);
		EXPECT_THROW(parent_for_new_revision(g), Error);
		EXPECT_THROW(resolve_merge_parents(g, "heads"), Error);
	}
	try {
		plan_upgrade(graph({{"a"}, {"b", "zz"}, {"c", "c"}}), {}, "a");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::graph_cycle);  // not the dangling parent of b, which a does not need
		EXPECT_STREQ(e.what(), "revision 'c' names itself as parent");
		EXPECT_EQ(e.detail, "The revision graph has 2 structural problems; pfm_check() lists them all.");
	}
}

// Issue 16: depends_on may name a branch label (Alembic resolves it to the revision that
// carries the label, script/revision.py _add_depends_on).
TEST(Dependencies, BranchLabelInDependsOn)
{
	RevisionGraph g = graph({{"a1", "", "", "lib"}, {"b1", "", "lib"}});
	EXPECT_TRUE(g.structural_problems().empty());
	Plan p = plan_upgrade(g, {}, "heads");
	EXPECT_EQ(step_ids(p), (Strings{"a1", "b1"}));
	EXPECT_EQ(p.heads_after, Strings{"b1"});  // a1 is b1's dependency: no version row of its own
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "a1")), Strings{"a1"});
	EXPECT_EQ(step_ids(plan_downgrade(g, applied({"a1", "b1"}), "base")), (Strings{"b1", "a1"}));
	EXPECT_EQ(step_ids(plan_downgrade(g, applied({"a1", "b1"}), "lib@base")), (Strings{"b1", "a1"}));
	EXPECT_EQ(plan_stamp(g, {}, "b1").mark, (Strings{"a1", "b1"}));
	// the same graph with the id instead of the label plans identically
	RevisionGraph by_id = graph({{"a1", "", "", "lib"}, {"b1", "", "a1"}});
	EXPECT_EQ(step_ids(plan_upgrade(by_id, {}, "heads")), step_ids(p));
	// a label the revision carries itself is a self-dependency
	RevisionGraph self = graph({{"a1", "", "me", "me"}});
	ASSERT_EQ(self.structural_problems().size(), 1u);
	EXPECT_EQ(self.structural_problems().front().problem, "revision 'a1' depends on its own branch label 'me'");
	EXPECT_THROW(plan_upgrade(self, {}, "heads"), Error);
}

// A dangling reference blocks only the moves that touch the revision holding it.
TEST(Dependencies, DanglingReferenceBlocksOnlyTheMovesThatNeedIt)
{
	// a1 <- a2 (label lib);  b1 <- b2 depends on 'nope';  c1 names the missing parent 'gone'
	RevisionGraph g = graph({{"a1"}, {"a2", "a1", "", "lib"}, {"b1"}, {"b2", "b1", "nope"}, {"b3", "b2"}, {"c1", "gone"}});
	const std::string b2_msg = "revision 'b2' depends on 'nope' that is not registered";
	const std::string c1_msg = "revision 'c1' names parent 'gone' that is not registered";
	auto refused = [](const std::function<void()> &f, const std::string &message) {
		try {
			f();
			ADD_FAILURE() << "expected " << message;
		} catch (const Error &e) {
			EXPECT_EQ(e.kind, ErrorKind::dangling_reference) << e.what();
			EXPECT_EQ(std::string(e.what()), message);
			EXPECT_NE(e.detail.find("moves that do not involve it are not blocked"), std::string::npos);
		}
	};
	// untouched: fine
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "a2")), (Strings{"a1", "a2"}));
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "lib@head")), (Strings{"a1", "a2"}));
	EXPECT_EQ(step_ids(plan_upgrade(g, {}, "b1")), Strings{"b1"});
	EXPECT_EQ(step_ids(plan_downgrade(g, applied({"a1", "a2", "b1"}), "base")), (Strings{"a2", "a1", "b1"}));
	EXPECT_EQ(step_ids(plan_downgrade(g, applied({"a1", "a2", "b1"}), "lib@-1")), Strings{"a2"});
	EXPECT_EQ(plan_stamp(g, {}, "a2").mark, (Strings{"a1", "a2"}));
	EXPECT_EQ(plan_stamp_purge(g, applied({"b1"}), "a1").mark, Strings{"a1"});
	// touched: refused, naming the revision and the missing reference
	refused([&] { plan_upgrade(g, {}, "b2"); }, b2_msg);
	refused([&] { plan_upgrade(g, {}, "b3"); }, b2_msg);        // in the target's ancestry
	refused([&] { plan_upgrade(g, {}, "heads"); }, b2_msg);     // first problem by id
	refused([&] { plan_upgrade(g, {}, "c1"); }, c1_msg);
	refused([&] { plan_upgrade(g, applied({"b1"}), "+1"); }, b2_msg);  // walks up into b2
	refused([&] { plan_upgrade(g, {}, "c1-1"); }, c1_msg);      // cannot walk down past the missing parent
	refused([&] { plan_stamp(g, {}, "b3"); }, b2_msg);
	refused([&] { plan_stamp_purge(g, {}, "c1"); }, c1_msg);
	refused([&] { plan_stamp(g, applied({"b1", "b2"}), "base"); }, b2_msg);  // unmarks b2
	refused([&] { plan_downgrade(g, applied({"b1", "b2", "b3"}), "b2"); }, b2_msg);  // b2 stays, in the target's ancestry
	refused([&] { plan_downgrade(g, applied({"b1", "b2", "b3"}), "b1"); }, b2_msg);  // reverts b2
	// authoring is not a move: a dangling reference elsewhere does not stop it
	EXPECT_EQ(resolve_merge_parents(g, "a2,b1"), (Strings{"a2", "b1"}));
	// pfm_check still lists both
	std::vector<Problem> problems = check_all(g, {});
	ASSERT_GE(problems.size(), 2u);
	EXPECT_EQ(problems[0].problem, b2_msg);
	EXPECT_EQ(problems[1].problem, c1_msg);
}

TEST(CheckAll, ListsEverything)
{
	RevisionGraph g = graph({{"a"}, {"b", "a", "", "", false}, {"c", "a"}, {"d", "zz"}});
	std::vector<AppliedRevision> a = applied({"a", "b", "c", "gone"});
	a[2].checksum = "old";
	std::vector<Problem> p = check_all(g, a);
	ASSERT_EQ(p.size(), 5u);
	EXPECT_EQ(p[0].severity, "error");
	EXPECT_EQ(p[0].problem, "revision 'd' names parent 'zz' that is not registered");
	EXPECT_EQ(p[1].severity, "error");
	EXPECT_EQ(p[1].revision, "gone");
	EXPECT_EQ(p[1].problem, "applied revision 'gone' is not registered");
	EXPECT_EQ(p[2].severity, "error");
	EXPECT_EQ(p[2].revision, "c");
	EXPECT_EQ(p[2].problem, "revision 'c' changed since it was applied (checksum as applied old, registered c-c)");
	EXPECT_EQ(p[3].severity, "warning");
	EXPECT_EQ(p[3].problem, "several heads are present (b, c, d); target 'head' is ambiguous until they are merged");
	EXPECT_EQ(p[4].severity, "notice");
	EXPECT_EQ(p[4].revision, "b");
	EXPECT_EQ(p[4].problem, "revision 'b' has no downgrade body and cannot be downgraded");
}

TEST(CheckAll, HealthyIsEmptyAndGapsAreReported)
{
	RevisionGraph g = chain(3);
	EXPECT_TRUE(check_all(g, applied({"0001", "0002"})).empty());
	std::vector<Problem> p = check_all(g, applied({"0001", "0003"}));
	ASSERT_EQ(p.size(), 1u);
	EXPECT_EQ(p[0].problem, "applied revision '0003' needs '0002', which is not applied");
}

TEST(Merge, Parents)
{
	RevisionGraph g = doc_graph();
	EXPECT_EQ(resolve_merge_parents(g, "heads"), (Strings{"nnnn5555", "yyyy7777"}));
	EXPECT_EQ(resolve_merge_parents(g, "yyyy7777, bbbb"), (Strings{"yyyy7777", "bbbb2222"}));
	EXPECT_EQ(resolve_merge_parents(g, "net@head,cart"), (Strings{"yyyy7777", "cccc3333"}));
	for (const char *bad : {"bbbb2222", "bbbb2222,bbbb2222", "bbbb2222,,cccc3333", "", "base", "+1,bbbb2222"}) {
		SCOPED_TRACE(bad);
		try {
			resolve_merge_parents(g, bad);
			FAIL();
		} catch (const Error &e) {
			EXPECT_EQ(e.kind, ErrorKind::invalid_argument) << e.what();
		}
	}
	EXPECT_THROW(resolve_merge_parents(g, "zzzz,bbbb2222"), Error);
	EXPECT_THROW(resolve_merge_parents(chain(3), "heads"), Error);
	// a head that is only depended upon is merged too
	EXPECT_EQ(resolve_merge_parents(graph({{"a"}, {"b", "", "a"}}), "heads"), (Strings{"a", "b"}));
}

TEST(NewRevision, Parent)
{
	EXPECT_EQ(parent_for_new_revision(chain(3)), "0003");
	try {
		parent_for_new_revision(doc_graph());
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::multiple_heads);
		EXPECT_STREQ(e.what(),
		             "multiple heads are present; please specify the head revision on which the new revision should be "
		             "based, or perform a merge");
		EXPECT_EQ(e.detail, "Heads: nnnn5555, yyyy7777.");
	}
}

TEST(Scale, HundredThousandRevisionChain)
{
	RevisionGraph g = chain(100000, "r");
	Plan up = plan_upgrade(g, {}, "head");
	ASSERT_EQ(up.steps.size(), 100000u);
	EXPECT_EQ(up.steps.front().revision, "r1");
	EXPECT_EQ(up.heads_after, Strings{"r100000"});
	std::vector<std::string> ids;
	for (const Step &s : up.steps)
		ids.push_back(s.revision);
	std::vector<AppliedRevision> all = applied(ids);
	EXPECT_TRUE(plan_upgrade(g, all, "head").steps.empty());
	Plan down = plan_downgrade(g, all, "r50000");
	EXPECT_EQ(down.steps.size(), 50000u);
	EXPECT_EQ(down.steps.front().revision, "r100000");
	EXPECT_EQ(plan_downgrade(g, all, "-99999").heads_after, Strings{"r1"});
	EXPECT_EQ(plan_stamp(g, all, "r2").unmark.size(), 99998u);
}
