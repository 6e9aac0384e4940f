// graph_dot (pfm_graph): every revision and edge is in the text, the colours follow the state,
// text is escaped, output is deterministic. That Graphviz accepts it is dot_accepts.sh's job.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/dot.hpp"
#include "test_graphs.hpp"

using namespace pfm::core;
using namespace pfm::core::test;

namespace {

// The attribute list of node `id` ("" if there is no such node line).
std::string
node_line(const std::string &dot, const std::string &id)
{
	std::string start = "  " + dot_quoted(id) + " [";
	std::size_t at = dot.find(start);
	if (at == std::string::npos)
		return {};
	return dot.substr(at, dot.find('\n', at) - at);
}

bool
has(const std::string &text, const std::string &part)
{
	return text.find(part) != std::string::npos;
}

std::string
fill(const DotStyle &s)
{
	return std::string("fillcolor=\"") + s.fill + "\"";
}

}  // namespace

TEST(Dot, EveryRevisionAndEdge)
{
	RevisionGraph g = doc_graph();
	std::string dot = graph_dot(g, {});
	EXPECT_EQ(dot.rfind("digraph pfm_migrate {\n", 0), 0u);
	EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
	for (const Revision &r : g.revisions()) {
		SCOPED_TRACE(r.id);
		EXPECT_TRUE(has(node_line(dot, r.id), "label=\"" + r.id)) << dot;
		for (const std::string &p : r.parents.vec())
			EXPECT_TRUE(has(dot, "  \"" + p + "\" -> \"" + r.id + "\";\n"));
		for (const std::string &d : r.depends_on.vec())
			EXPECT_TRUE(has(dot, "  \"" + d + "\" -> \"" + r.id + "\" [style=dashed"));
	}
	// merge and branch points have shapes and Alembic's markers, heads a heavy border
	EXPECT_TRUE(has(node_line(dot, "aaaa1111"), "shape=invtrapezium"));
	EXPECT_TRUE(has(node_line(dot, "aaaa1111"), "(branchpoint)"));
	EXPECT_TRUE(has(node_line(dot, "mmmm4444"), "shape=trapezium"));
	EXPECT_TRUE(has(node_line(dot, "mmmm4444"), "(mergepoint)"));
	EXPECT_TRUE(has(node_line(dot, "nnnn5555"), "(head)"));
	EXPECT_TRUE(has(node_line(dot, "nnnn5555"), "penwidth=3"));
	EXPECT_FALSE(has(node_line(dot, "bbbb2222"), "penwidth"));
	EXPECT_TRUE(has(node_line(dot, "bbbb2222"), "shape=box"));
	// branch labels as tags beside their revision
	EXPECT_TRUE(has(dot, "\"@label cart cccc3333\" [label=\"cart\", shape=cds"));
	EXPECT_TRUE(has(dot, "{ rank=same; \"@label cart cccc3333\"; \"cccc3333\"; }"));
	EXPECT_TRUE(has(dot, "subgraph cluster_legend"));
	EXPECT_FALSE(has(graph_dot(g, {}, DotOptions{false, 48}), "cluster_legend"));
}

TEST(Dot, ColoursFollowTheState)
{
	RevisionGraph g = doc_graph();
	std::vector<AppliedRevision> state = applied({"aaaa1111", "bbbb2222", "cccc3333", "xxxx6666", "gone"});
	state[2].checksum = "changed";  // cccc3333 drifted
	std::string dot = graph_dot(g, state);
	EXPECT_TRUE(has(node_line(dot, "aaaa1111"), fill(kDotApplied)));
	EXPECT_TRUE(has(node_line(dot, "bbbb2222"), fill(kDotCurrent)));  // a version row
	EXPECT_TRUE(has(node_line(dot, "xxxx6666"), fill(kDotCurrent)));
	EXPECT_TRUE(has(node_line(dot, "cccc3333"), fill(kDotDrifted)));  // drift wins over current
	EXPECT_TRUE(has(node_line(dot, "nnnn5555"), fill(kDotPending)));
	EXPECT_TRUE(has(node_line(dot, "yyyy7777"), fill(kDotPending)));
	EXPECT_TRUE(has(node_line(dot, "gone"), fill(kDotMissing)));
	EXPECT_TRUE(has(node_line(dot, "gone"), "(applied, not registered)"));
	// the five colours are distinct
	std::vector<std::string> fills;
	for (const DotStyle *s : {&kDotPending, &kDotApplied, &kDotCurrent, &kDotDrifted, &kDotMissing})
		fills.push_back(s->fill);
	std::sort(fills.begin(), fills.end());
	EXPECT_EQ(std::unique(fills.begin(), fills.end()), fills.end());
}

TEST(Dot, DependencyByLabelAndBrokenReferences)
{
	RevisionGraph g = graph({{"a1", "", "", "lib"}, {"b1", "", "lib"}, {"c1", "gone", "nope"}, {"d1", "a1", "a1"}});
	std::string dot = graph_dot(g, {});
	EXPECT_TRUE(has(dot, "  \"a1\" -> \"b1\" [style=dashed, color=\"#1565c0\", fontcolor=\"#1565c0\", fontsize=9, "
	                     "label=\"lib\"];"));
	EXPECT_TRUE(has(node_line(dot, "gone"), "(not registered)"));
	EXPECT_TRUE(has(node_line(dot, "nope"), "style=\"rounded,dashed,filled\""));
	EXPECT_TRUE(has(dot, "  \"gone\" -> \"c1\" [color=\"#c62828\"];"));
	EXPECT_TRUE(has(dot, "  \"nope\" -> \"c1\" [style=dashed, color=\"#c62828\""));
	// a dependency that is also the parent is drawn once, as the parent
	EXPECT_TRUE(has(dot, "  \"a1\" -> \"d1\";\n"));
	EXPECT_FALSE(has(dot, "  \"a1\" -> \"d1\" [style=dashed"));
	// cycles do not stop it
	EXPECT_TRUE(has(graph_dot(graph({{"p", "q"}, {"q", "p"}}), {}), "  \"q\" -> \"p\";"));
}

TEST(Dot, Escaping)
{
	EXPECT_EQ(dot_quoted("plain"), "\"plain\"");
	EXPECT_EQ(dot_quoted("say \"hi\" \\l"), "\"say \\\"hi\\\" \\\\l\"");
	EXPECT_EQ(dot_quoted("a\nb\r\nc\rd\te"), "\"a\\nb\\nc\\nd e\"");
	EXPECT_EQ(dot_quoted(std::string("x\x01y\x7f")), "\"x?y?\"");
	EXPECT_EQ(dot_quoted("caf\xc3\xa9 \xe2\x9c\x93"), "\"caf\xc3\xa9 \xe2\x9c\x93\"");
	EXPECT_EQ(dot_quoted("bad \xff\xc3 \xe2\x9c"), "\"bad ?? ??\"");

	std::vector<Revision> revs = revisions({{"a1"}});
	revs[0].message = "\n  first \"line\" {x}\nsecond line";
	std::string dot = graph_dot(RevisionGraph(revs), {});
	EXPECT_TRUE(has(node_line(dot, "a1"), "label=\"a1 (head)\\nfirst \\\"line\\\" {x}\""));
	revs[0].message = std::string(10, 'x') + "\xc3\xa9\xc3\xa9";
	dot = graph_dot(RevisionGraph(revs), {}, DotOptions{false, 11});
	EXPECT_TRUE(has(node_line(dot, "a1"), "\\nxxxxxxxxxx\xe2\x80\xa6\""));  // 10 + ellipsis, not a cut é
	dot = graph_dot(RevisionGraph(revs), {}, DotOptions{false, 12});
	EXPECT_TRUE(has(node_line(dot, "a1"), "\\nxxxxxxxxxx\xc3\xa9\xc3\xa9\""));
}

TEST(Dot, DeterministicAndSorted)
{
	RevisionGraph a = graph({{"r"}, {"x", "r"}, {"y", "r", "", "lab"}, {"m", "y,x"}});
	RevisionGraph b = graph({{"m", "x,y"}, {"y", "r", "", "lab"}, {"x", "r"}, {"r"}});
	std::vector<AppliedRevision> s1 = applied({"x", "r"}), s2 = applied({"r", "x", "r"});
	EXPECT_EQ(graph_dot(a, s1), graph_dot(b, s2));
	std::string dot = graph_dot(a, {});
	EXPECT_LT(dot.find("  \"m\" ["), dot.find("  \"r\" ["));
	EXPECT_LT(dot.find("  \"r\" ["), dot.find("  \"x\" ["));
	EXPECT_LT(dot.find("  \"x\" -> \"m\";"), dot.find("  \"y\" -> \"m\";"));
	EXPECT_LT(dot.find("  \"y\" -> \"m\";"), dot.find("  \"r\" -> \"x\";"));
}

TEST(Dot, LargeGraphIsLinear)
{
	RevisionGraph g = chain(100000, "r");
	std::string dot = graph_dot(g, {}, DotOptions{false, 48});
	EXPECT_TRUE(has(dot, "  \"r99999\" -> \"r100000\";"));
	EXPECT_EQ(std::count(dot.begin(), dot.end(), '\n'), 4 + 100000 + 99999 + 1);
}
