#include <algorithm>
#include <ostream>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "test_graphs.hpp"

using namespace pfm::core;
using namespace pfm::core::test;

namespace {

Error
validate_error(const RevisionGraph &g)
{
	try {
		g.validate();
	} catch (const Error &e) {
		return e;
	}
	ADD_FAILURE() << "validate() did not throw";
	return Error(ErrorKind::internal, "none");
}

}  // namespace

TEST(Graph, IndexesRevisions)
{
	RevisionGraph g = doc_graph();
	EXPECT_EQ(g.size(), 7u);
	ASSERT_NE(g.find("cccc3333"), nullptr);
	EXPECT_EQ(g.find("cccc3333")->branch_labels, std::vector<std::string>{"cart"});
	EXPECT_EQ(g.find("cccc"), nullptr);  // find() is exact
	EXPECT_EQ(g.find("cart"), nullptr);  // and by id only
	EXPECT_TRUE(g.structural_problems().empty());
	EXPECT_NO_THROW(g.validate());
}

TEST(Graph, DuplicateIdThrows)
{
	try {
		graph({{"a", ""}, {"a", ""}});
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind, ErrorKind::invalid_argument);
		EXPECT_STREQ(e.what(), "revision 'a' is registered more than once");
	}
}

TEST(Graph, MoveKeepsIndex)
{
	RevisionGraph g = doc_graph();
	RevisionGraph h(std::move(g));
	EXPECT_EQ(h.heads(), (std::vector<std::string>{"nnnn5555", "yyyy7777"}));
	RevisionGraph k = chain(2);
	k = std::move(h);
	EXPECT_EQ(k.size(), 7u);
}

TEST(Graph, Heads)
{
	EXPECT_EQ(doc_graph().heads(), (std::vector<std::string>{"nnnn5555", "yyyy7777"}));
	EXPECT_EQ(chain(3).heads(), (std::vector<std::string>{"0003"}));
	EXPECT_TRUE(graph({}).heads().empty());
	// A revision only depended upon is still a head (Alembic `heads`, not `_real_heads`).
	EXPECT_EQ(graph({{"a", ""}, {"b", "", "a"}}).heads(), (std::vector<std::string>{"a", "b"}));
}

TEST(Graph, VersionHeads)
{
	RevisionGraph g = doc_graph();
	EXPECT_EQ(g.version_heads({}), std::vector<std::string>{});
	EXPECT_EQ(g.version_heads(kDocAll), (std::vector<std::string>{"nnnn5555", "yyyy7777"}));
	// a dependency is not a version row once its dependant is applied
	EXPECT_EQ(g.version_heads({"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}), std::vector<std::string>{"yyyy7777"});
	EXPECT_EQ(g.version_heads({"aaaa1111", "bbbb2222", "cccc3333"}), (std::vector<std::string>{"bbbb2222", "cccc3333"}));
	EXPECT_EQ(g.version_heads({"yyyy7777", "aaaa1111", "aaaa1111"}), (std::vector<std::string>{"aaaa1111", "yyyy7777"}));
	// unknown ids are kept as heads
	EXPECT_EQ(g.version_heads({"aaaa1111", "zz"}), (std::vector<std::string>{"aaaa1111", "zz"}));
	// the same straight from applied rows
	for (const std::vector<std::string> &ids : std::vector<std::vector<std::string>>{
	         {}, kDocAll, {"aaaa1111", "cccc3333", "xxxx6666", "yyyy7777"}, {"yyyy7777", "aaaa1111", "aaaa1111"},
	         {"aaaa1111", "zz", "zz"}}) {
		std::vector<AppliedRevision> rows;
		for (const std::string &id : ids)
			rows.push_back({id, "c-" + id});
		EXPECT_EQ(g.current_heads(rows), g.version_heads(ids));
	}
}

TEST(Graph, HistoryOrderNewestFirst)
{
	EXPECT_EQ(doc_graph().history_order(), (std::vector<std::string>{"nnnn5555", "mmmm4444", "bbbb2222", "yyyy7777",
	                                                                  "xxxx6666", "cccc3333", "aaaa1111"}));
	EXPECT_EQ(chain(3).history_order(), (std::vector<std::string>{"0003", "0002", "0001"}));
}

TEST(Graph, HistoryOrderIsDeterministicAcrossInputOrder)
{
	RevisionGraph a = graph({{"r", ""}, {"x", "r"}, {"y", "r"}, {"m", "x,y"}});
	RevisionGraph b = graph({{"m", "x,y"}, {"y", "r"}, {"x", "r"}, {"r", ""}});
	EXPECT_EQ(a.history_order(), b.history_order());
}

TEST(Graph, HistoryOrderToleratesBrokenGraphs)
{
	RevisionGraph g = graph({{"a", "c"}, {"b", "a"}, {"c", "b"}, {"d", "zz"}, {"e", "e"}});
	std::vector<std::string> h = g.history_order();
	std::sort(h.begin(), h.end());
	EXPECT_EQ(h, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

struct ProblemCase {
	const char *name;
	std::vector<Revision> revs;
	ErrorKind kind;
	const char *message;
};

void
PrintTo(const ProblemCase &c, std::ostream *os)
{
	*os << c.name;
}

class StructuralProblems : public ::testing::TestWithParam<ProblemCase> {};

TEST_P(StructuralProblems, ValidateThrowsFirstProblem)
{
	const ProblemCase &c = GetParam();
	RevisionGraph g(c.revs);
	ASSERT_FALSE(g.structural_problems().empty());
	EXPECT_EQ(g.structural_problems().front().severity, "error");
	EXPECT_EQ(g.structural_problems().front().problem, c.message);
	Error e = validate_error(g);
	EXPECT_EQ(e.kind, c.kind);
	EXPECT_STREQ(e.what(), c.message);
}

INSTANTIATE_TEST_SUITE_P(
	Graph, StructuralProblems,
	::testing::Values(
		ProblemCase{"dangling_parent", revisions({{"a", ""}, {"b", "zz"}}), ErrorKind::dangling_reference,
	                "revision 'b' names parent 'zz' that is not registered"},
		ProblemCase{"dangling_dependency", revisions({{"a", ""}, {"b", "a", "zz"}}), ErrorKind::dangling_reference,
	                "revision 'b' depends on 'zz' that is not registered"},
		ProblemCase{"self_parent", revisions({{"a", "a"}}), ErrorKind::graph_cycle, "revision 'a' names itself as parent"},
		ProblemCase{"self_dependency", revisions({{"a", "", "a"}}), ErrorKind::graph_cycle, "revision 'a' depends on itself"},
		ProblemCase{"cycle", revisions({{"a", "c"}, {"b", "a"}, {"c", "b"}, {"d", ""}}), ErrorKind::graph_cycle,
	                "cycle detected in revisions (a, b, c)"},
		ProblemCase{"cycle_through_depends_on", revisions({{"a", "", "b"}, {"b", "a"}}), ErrorKind::graph_cycle,
	                "cycle detected in revisions (a, b)"},
		ProblemCase{"duplicate_label", revisions({{"c1", "", "", "cart"}, {"c2", "c1", "", "cart"}}), ErrorKind::duplicate_label,
	                "branch label 'cart' of revision 'c2' is already used by revision 'c1'"},
		ProblemCase{"label_is_an_id", revisions({{"c1", ""}, {"c2", "c1", "", "c1"}}), ErrorKind::duplicate_label,
	                "branch label 'c1' of revision 'c2' is already used as the id of revision 'c1'"},
		ProblemCase{"label_twice", revisions({{"c1", "", "", "cart,cart"}}), ErrorKind::duplicate_label,
	                "branch label 'cart' is listed twice by revision 'c1'"}),
	[](const ::testing::TestParamInfo<ProblemCase> &info) { return std::string(info.param.name); });

TEST(Graph, EveryProblemIsListed)
{
	RevisionGraph g = graph({{"a", "b"}, {"b", "a"}, {"c", "zz", "yy"}, {"d", "", "", "x"}, {"e", "", "", "x"}});
	std::vector<Problem> p = g.structural_problems();
	ASSERT_EQ(p.size(), 4u);
	EXPECT_EQ(p[0].revision, "c");
	EXPECT_EQ(p[0].problem, "revision 'c' names parent 'zz' that is not registered");
	EXPECT_EQ(p[1].problem, "revision 'c' depends on 'yy' that is not registered");
	EXPECT_EQ(p[2].revision, "e");
	EXPECT_EQ(p[3].problem, "cycle detected in revisions (a, b)");
	Error e = validate_error(g);
	EXPECT_EQ(e.kind, ErrorKind::dangling_reference);
	EXPECT_EQ(e.revisions, (std::vector<std::string>{"c", "zz"}));
	EXPECT_NE(e.detail.find("4 structural problems"), std::string::npos);
}

TEST(Graph, LargeChainHasNoRecursionLimit)
{
	RevisionGraph g = chain(200000, "r");
	EXPECT_EQ(g.heads(), std::vector<std::string>{"r200000"});
	EXPECT_TRUE(g.structural_problems().empty());
	EXPECT_EQ(g.history_order().front(), "r200000");
	EXPECT_EQ(g.history_order().back(), "r1");
}

TEST(Graph, LargeCycleIsFound)
{
	std::vector<Revision> revs;
	for (int i = 0; i < 100000; ++i) {
		Revision r;
		r.id = "r" + std::to_string(i);
		r.parents = {"r" + std::to_string((i + 1) % 100000)};
		revs.push_back(std::move(r));
	}
	RevisionGraph g(std::move(revs));
	ASSERT_EQ(g.structural_problems().size(), 1u);
	EXPECT_EQ(g.structural_problems().front().revision, "r0");
	EXPECT_EQ(g.history_order().size(), 100000u);
}

// VersionHeads (what CALL pfm_deploy / pfm_revert record after each step) is, after every
// single change, exactly version_heads() of the applied set: random graphs with merges and
// depends_on, random additions and removals, unknown ids.
TEST(Graph, VersionHeadsStepByStepIsVersionHeads)
{
	std::mt19937 rng(20261202);
	for (int round = 0; round < 40; round++) {
		const int n = 30;
		std::vector<Revision> revs;
		for (int i = 0; i < n; i++) {
			Revision r;
			r.id = "r" + std::to_string(100 + i);
			if (i > 0) {
				std::set<int> parents{static_cast<int>(rng() % i)};
				if (i > 2 && rng() % 4 == 0)
					parents.insert(static_cast<int>(rng() % i));
				for (int p : parents)
					r.parents.push_back("r" + std::to_string(100 + p));
				if (i > 3 && rng() % 3 == 0)
					r.depends_on.push_back("r" + std::to_string(100 + static_cast<int>(rng() % i)));
			}
			revs.push_back(std::move(r));
		}
		RevisionGraph g(std::move(revs));
		std::set<std::string> applied;
		for (int i = 0; i < n; i++)
			if (rng() % 3 == 0)
				applied.insert("r" + std::to_string(100 + i));
		applied.insert("zz-unknown");
		VersionHeads heads(g, std::vector<std::string>(applied.begin(), applied.end()));
		for (int step = 0; step < 200; step++) {
			std::string id = rng() % 25 == 0 ? "gone" + std::to_string(rng() % 3)
			                                  : "r" + std::to_string(100 + static_cast<int>(rng() % n));
			if (rng() % 2) {
				heads.add(id);
				applied.insert(id);
			} else {
				heads.remove(id);
				applied.erase(id);
			}
			ASSERT_EQ(heads.heads(), g.version_heads(std::vector<std::string>(applied.begin(), applied.end())))
				<< "round " << round << " step " << step << " id " << id;
		}
	}
}
