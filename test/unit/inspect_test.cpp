// show, branches, heads, history ranges (alembic show / branches / heads / history -r).
// Expectations marked "Alembic" were checked against Alembic 1.8.1 (most also run in
// test/differential/alembic_scenarios.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "core/inspect.hpp"
#include "test_graphs.hpp"

using namespace pfm::core;
using namespace pfm::core::test;

namespace {

using Strings = std::vector<std::string>;

Strings
ids(const std::vector<RevisionInfo> &infos)
{
	Strings out;
	for (const RevisionInfo &i : infos)
		out.push_back(i.id);
	return out;
}

ErrorKind
error_kind(const std::function<void()> &f)
{
	try {
		f();
	} catch (const Error &e) {
		return e.kind;
	}
	ADD_FAILURE() << "no error";
	return ErrorKind::internal;
}

// tests/test_revision.py LabeledBranchTest
RevisionGraph
labeled_graph()
{
	return graph({{"a", "", "", "abranch"},
	              {"b", "a"},
	              {"somelongername", "b"},
	              {"c", "somelongername"},
	              {"d"},
	              {"e", "d", "", "ebranch"},
	              {"someothername", "e"},
	              {"f", "someothername"}});
}

}  // namespace

TEST(Show, DescribesARevisionLikeAlembicShow)
{
	RevisionGraph g = doc_graph();
	std::vector<RevisionInfo> s = show_revisions(g, {}, "aaaa1111");
	ASSERT_EQ(s.size(), 1u);
	const RevisionInfo &a = s.front();
	EXPECT_EQ(a.id, "aaaa1111");
	EXPECT_TRUE(a.parents.empty());
	EXPECT_TRUE(a.is_base);
	EXPECT_TRUE(a.is_branch_point);
	EXPECT_FALSE(a.is_head);
	EXPECT_EQ(a.children, (Strings{"bbbb2222", "cccc3333"}));
	EXPECT_EQ(a.message, "message of aaaa1111");

	const RevisionInfo m = show_revisions(g, {}, "mmmm")[0];  // a prefix
	EXPECT_TRUE(m.is_merge_point);
	EXPECT_EQ(m.parents, (Strings{"bbbb2222", "cccc3333"}));
	EXPECT_EQ(m.branch_names, Strings{"cart"});  // inherited from cccc3333
	EXPECT_TRUE(m.branch_labels.empty());

	const RevisionInfo c = show_revisions(g, {}, "cart")[0];
	EXPECT_EQ(c.id, "cccc3333");
	EXPECT_EQ(c.branch_labels, Strings{"cart"});
	EXPECT_EQ(c.dependants, Strings{"yyyy7777"});
	EXPECT_EQ(c.children, Strings{"mmmm4444"});

	const RevisionInfo y = show_revisions(g, {}, "yyyy7777")[0];
	EXPECT_EQ(y.depends_on, Strings{"cccc3333"});
	EXPECT_EQ(y.depends_on_ids, Strings{"cccc3333"});
	EXPECT_TRUE(y.is_head);
	EXPECT_FALSE(y.is_effective_head);
	EXPECT_EQ(y.branch_names, Strings{"net"});
}

TEST(Show, DependsOnALabelIsShownAsWritten)
{
	RevisionGraph g = graph({{"a1", "", "", "lib"}, {"b1", "", "lib"}});
	RevisionInfo b = show_revisions(g, {}, "b1")[0];
	EXPECT_EQ(b.depends_on, Strings{"lib"});  // "Also depends on: lib"
	EXPECT_EQ(b.depends_on_ids, Strings{"a1"});
	RevisionInfo a = show_revisions(g, {}, "a1")[0];
	EXPECT_TRUE(a.is_head);
	EXPECT_TRUE(a.is_effective_head);  // `alembic heads`: "(effective head)"
	EXPECT_EQ(a.dependants, Strings{"b1"});
}

TEST(Show, TargetsAndCurrent)
{
	RevisionGraph g = doc_graph();
	EXPECT_EQ(ids(show_revisions(g, {}, "heads")), (Strings{"nnnn5555", "yyyy7777"}));
	EXPECT_EQ(ids(show_revisions(g, {}, "cart@head")), Strings{"nnnn5555"});
	EXPECT_TRUE(show_revisions(g, {}, "base").empty());
	EXPECT_TRUE(show_revisions(g, {}, "current").empty());
	EXPECT_EQ(ids(show_revisions(g, applied({"aaaa1111", "bbbb2222", "cccc3333"}), "current")),
	          (Strings{"bbbb2222", "cccc3333"}));
	EXPECT_EQ(error_kind([&] { show_revisions(g, {}, "head"); }), ErrorKind::multiple_heads);
	EXPECT_EQ(error_kind([&] { show_revisions(g, {}, "-1"); }), ErrorKind::invalid_argument);
	EXPECT_EQ(error_kind([&] { show_revisions(g, {}, "zzzz"); }), ErrorKind::unknown_revision);
	EXPECT_EQ(error_kind([&] { show_revisions(g, applied({"gone"}), "current"); }), ErrorKind::unknown_applied);
	// drift does not matter for looking
	std::vector<AppliedRevision> drifted = applied({"aaaa1111"});
	drifted[0].checksum = "old";
	EXPECT_EQ(ids(show_revisions(g, drifted, "current")), Strings{"aaaa1111"});
}

// tests/test_revision.py LabeledBranchTest: get_revision() forms
TEST(Show, LabeledBranchTestForms)
{
	RevisionGraph g = labeled_graph();
	for (const auto &[target, want] : std::vector<std::pair<std::string, Strings>>{
		     {"ebranch@head", {"f"}},     {"ebranch@some", {"someothername"}}, {"abranch@some", {"somelongername"}},
		     {"abranch@heads", {"c"}},    {"abranch@head", {"c"}},             {"abranch@base", {}},
		     {"ebranch@d", {"d"}},        {"ebranch@ebranch", {"e"}},          {"abranch", {"a"}},
		     {"e", {"e"}},                {"e@d", {"d"}},                      {"someoth@d", {"d"}},
	     }) {
		SCOPED_TRACE(target);
		EXPECT_EQ(ids(show_revisions(g, {}, target)), want);
	}
	for (const char *bad : {"ebranch@sos", "ebranch@b", "abranch@d", "abranch@qprstuv", "abranch@qpr", "x@d"})
		EXPECT_THROW(show_revisions(g, {}, bad), Error) << bad;
}

TEST(Show, BranchNamesFollowAlembicPropagation)
{
	// ebranch on e: its descendants form one plain line, so d (below it) carries the label
	// too; abranch on a base: only a and its descendants.
	RevisionGraph g = labeled_graph();
	EXPECT_EQ(show_revisions(g, {}, "d")[0].branch_names, Strings{"ebranch"});
	EXPECT_EQ(show_revisions(g, {}, "f")[0].branch_names, Strings{"ebranch"});
	EXPECT_EQ(show_revisions(g, {}, "c")[0].branch_names, Strings{"abranch"});
	// a label above a branch point does not come down: x has two children
	RevisionGraph h = graph({{"x"}, {"y", "x", "", "lab"}, {"z", "x"}, {"w", "y"}});
	EXPECT_TRUE(show_revisions(h, {}, "x")[0].branch_names.empty());
	EXPECT_EQ(show_revisions(h, {}, "w")[0].branch_names, Strings{"lab"});
	// nor through a dependant (a real branch point): p has child q and dependant r
	RevisionGraph k = graph({{"p"}, {"q", "p", "", "lab"}, {"r", "", "p"}});
	EXPECT_TRUE(show_revisions(k, {}, "p")[0].branch_names.empty());
	RevisionGraph plain = graph({{"p"}, {"q", "p", "", "lab"}});
	EXPECT_EQ(show_revisions(plain, {}, "p")[0].branch_names, Strings{"lab"});
}

TEST(Branches, EveryBranchPointNewestFirst)
{
	std::vector<BranchPoint> b = branch_points(doc_graph());
	ASSERT_EQ(b.size(), 1u);
	EXPECT_EQ(b[0].id, "aaaa1111");
	EXPECT_EQ(b[0].children, (Strings{"bbbb2222", "cccc3333"}));
	// tests/test_revision.py MultipleBranchTest: a, b2 (into cb2's line) and cb1, cb2
	RevisionGraph g = graph({{"a"}, {"b1", "a"}, {"b2", "a"}, {"cb1", "b1"}, {"cb2", "b2"}, {"d1cb1", "cb1"},
	                         {"d2cb1", "cb1"}, {"d1cb2", "cb2"}, {"d2cb2", "cb2"}, {"d3cb2", "cb2"},
	                         {"d1d2cb2", "d1cb2,d2cb2"}});
	std::vector<BranchPoint> m = branch_points(g);
	ASSERT_EQ(m.size(), 3u);
	EXPECT_EQ(m.back().id, "a");  // oldest last
	for (const BranchPoint &p : m) {
		if (p.id == "cb2") {
			EXPECT_EQ(p.children, (Strings{"d1cb2", "d2cb2", "d3cb2"}));
		}
	}
	EXPECT_TRUE(branch_points(chain(3)).empty());
	// a dependant is not a branch
	EXPECT_TRUE(branch_points(graph({{"a"}, {"b", "a"}, {"c", "", "a"}})).empty());
}

TEST(Heads, ResolveDependencies)
{
	RevisionGraph g = graph({{"a1"}, {"a2", "a1"}, {"b1"}, {"b2", "b1", "a2"}});
	EXPECT_EQ(list_heads(g, false), (Strings{"a2", "b2"}));
	EXPECT_EQ(list_heads(g, true), Strings{"b2"});  // a2 is only depended upon
	EXPECT_EQ(list_heads(doc_graph(), true), (Strings{"nnnn5555", "yyyy7777"}));
	EXPECT_TRUE(list_heads(graph({}), true).empty());
}

TEST(History, RangeGrammar)
{
	// tests/test_command.py HistoryTest: a -> b -> c
	RevisionGraph g = graph({{"a"}, {"b", "a"}, {"c", "b"}});
	for (const auto &[range, want] : std::vector<std::pair<std::string, Strings>>{
		     {":", {"c", "b", "a"}},       {"a:b", {"b", "a"}},     {":b", {"b", "a"}},     {"a:", {"c", "b", "a"}},
		     {"a:+2", {"c", "b", "a"}},    {"a:+5", {"c", "b", "a"}}, {":+1", {"a"}},       {"-2:c", {"c", "b", "a"}},
		     {"-5:c", {"c", "b", "a"}},    {"-1:b", {"b"}},         {":c+3", {"c", "b", "a"}}, {"heads:heads", {"c"}},
		     {"base:heads", {"c", "b", "a"}}, {" a:b ", {"b", "a"}}, {"b:head", {"c", "b"}}, {":c-5", {}},
		     {"-2:", {"c", "b", "a"}},     {"-3:c", {"c", "b", "a"}},  // Alembic: a range error (walk lands on base)
	     }) {
		SCOPED_TRACE(range);
		EXPECT_EQ(history_range(g, {}, range), want);
	}
	EXPECT_EQ(history_range(g, applied({"a", "b"}), "current:"), (Strings{"c", "b"}));
	EXPECT_EQ(history_range(g, {}, "current:"), (Strings{"c", "b", "a"}));  // nothing applied: from base
	EXPECT_EQ(history_range(g, applied({"a"}), ":current"), Strings{"a"});
	for (const char *bad : {"c:a", "c-5:", "+1:", "-1:+1"}) {
		SCOPED_TRACE(bad);
		EXPECT_THROW(history_range(g, {}, bad), Error);
	}
	try {
		history_range(g, {}, "b");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::invalid_argument);
		EXPECT_STREQ(e.what(), "history range requires [start]:[end], [start]:, or :[end]");
	}
	EXPECT_EQ(error_kind([&] { history_range(g, {}, "a:b:c"); }), ErrorKind::invalid_argument);
	EXPECT_EQ(error_kind([&] { history_range(g, {}, "current:current"); }), ErrorKind::unknown_revision);
	try {
		history_range(g, {}, "c:a");
		FAIL();
	} catch (const Error &e) {
		EXPECT_STREQ(e.what(), "requested range c:a does not refer to ancestor/descendant revisions along the same branch");
	}
}

TEST(History, LabeledBranchTest)
{
	RevisionGraph g = labeled_graph();
	for (const auto &[range, want] : std::vector<std::pair<std::string, Strings>>{
		     {"ebranch@base:heads", {"f", "someothername", "e", "d"}},
		     {"abranch@base:heads", {"c", "somelongername", "b", "a"}},
		     {"base:ebranch@head", {"f", "someothername", "e", "d"}},
		     {"ebranch@head:heads", {"f"}},
		     {"ebranch@d:heads", {"f", "someothername", "e", "d"}},
		     {"e@base:heads", {"f", "someothername", "e", "d"}},  // e stands for its one branch name
		     {"c@base:heads", {"c", "somelongername", "b", "a"}},
		     {"ebranch@-2:heads", {"f", "someothername", "e"}},
		     {"base:ebranch@+2", {"e", "d"}},
	     }) {
		SCOPED_TRACE(range);
		std::vector<std::string> got = history_range(g, {}, range);
		std::vector<std::string> sorted_got = got, sorted_want = want;
		std::sort(sorted_got.begin(), sorted_got.end());
		std::sort(sorted_want.begin(), sorted_want.end());
		EXPECT_EQ(sorted_got, sorted_want);
	}
}

TEST(History, DependenciesAndBrokenGraphs)
{
	// tests/test_revision.py MultipleBaseCrossDependencyTestTwo: base2 depends on the label b_1
	RevisionGraph g = graph({{"base1", "", "", "b_1"}, {"a1", "base1"}, {"b1", "a1"}, {"c1", "b1"},
	                         {"base2", "", "b_1", "b_2"}, {"a2", "base2"}, {"b2", "a2"}, {"c2", "b2"}, {"d2", "c2"},
	                         {"base3", "", "", "b_3"}, {"a3", "base3"}, {"b3", "a3"}, {"c3", "b3", "b2"}, {"d3", "c3"}});
	EXPECT_EQ(list_heads(g, false), (Strings{"c1", "d2", "d3"}));
	auto sorted = [](Strings v) {
		std::sort(v.begin(), v.end());
		return v;
	};
	EXPECT_EQ(sorted(history_range(g, {}, "base:b_2@head")), sorted({"d2", "c2", "b2", "a2", "base2", "base1"}));
	EXPECT_EQ(sorted(history_range(g, {}, "b_3@base:heads")),
	          sorted({"d3", "c3", "b3", "a3", "base3", "b2", "a2", "base2", "base1"}));
	EXPECT_EQ(sorted(history_range(g, {}, "b_1@base:heads")), sorted({"c1", "b1", "a1", "base1"}));
	// the order is newest first: every revision after all that depend on it
	Strings all = history_range(g, {}, ":");
	EXPECT_EQ(all.size(), 14u);
	auto pos = [&all](const std::string &id) { return std::find(all.begin(), all.end(), id) - all.begin(); };
	EXPECT_LT(pos("base2"), pos("base1"));
	EXPECT_LT(pos("c3"), pos("b2"));
	// a cycle makes a range meaningless; a dangling reference does not
	EXPECT_THROW(history_range(graph({{"a", "b"}, {"b", "a"}}), {}, ":"), Error);
	EXPECT_EQ(history_range(graph({{"a"}, {"b", "a", "zz"}}), {}, ":"), (Strings{"b", "a"}));
}

TEST(Looking, ScaleIsLinear)
{
	RevisionGraph g = chain(100000, "r");
	EXPECT_EQ(history_range(g, {}, ":").size(), 100000u);
	EXPECT_EQ(history_range(g, {}, "r99990:").size(), 11u);
	EXPECT_EQ(history_range(g, {}, "-5:").front(), "r100000");
	EXPECT_EQ(show_revisions(g, {}, "r1")[0].children, Strings{"r2"});
	EXPECT_TRUE(branch_points(g).empty());
}

// A cycle of single parents and children (pfm_check() reports it; the inspecting functions
// still answer): the label walks up and down a plain line end. The SQL fuzz found
// pfm_show() looping here for minutes.
TEST(Show, ACycleOfPlainRevisionsEnds)
{
	RevisionGraph g = graph({{"base1", "", "", ""}, {"c1", "c3", "", "lab"}, {"c2", "c1", "", ""}, {"c3", "c2", "", ""}});
	for (const char *id : {"c1", "c2", "c3"}) {
		std::vector<RevisionInfo> s = show_revisions(g, {}, id);
		ASSERT_EQ(s.size(), 1u) << id;
		EXPECT_EQ(s[0].id, id);
	}
}
