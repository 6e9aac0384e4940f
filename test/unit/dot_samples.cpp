// pfm_dot_samples DIR: writes graph_dot() output for a few graphs to DIR/NAME.dot, with the
// revision ids each must show in DIR/NAME.ids, for dot_accepts.sh to render with Graphviz.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/dot.hpp"
#include "test_graphs.hpp"

using namespace pfm::core;
using namespace pfm::core::test;

namespace {

void
write(const std::string &dir, const std::string &name, const RevisionGraph &g, const std::vector<AppliedRevision> &a)
{
	std::ofstream(dir + "/" + name + ".dot") << graph_dot(g, a);
	std::ofstream ids(dir + "/" + name + ".ids");
	for (const Revision &r : g.revisions())
		ids << r.id << "\n";
}

}  // namespace

int
main(int argc, char **argv)
{
	if (argc != 2) {
		std::cerr << "usage: pfm_dot_samples DIR\n";
		return 2;
	}
	const std::string dir = argv[1];

	// two branches, a merge, a dependency; applied up to the merge, one drifted, one phantom
	std::vector<AppliedRevision> state = applied({"aaaa1111", "bbbb2222", "cccc3333", "mmmm4444", "gone"});
	state[1].checksum = "old";
	write(dir, "doc", doc_graph(), state);

	// messages that need escaping, and a label in depends_on
	std::vector<Revision> revs = revisions({{"a1", "", "", "lib"}, {"b1", "", "lib"}, {"c1", "b1,a1"}});
	revs[0].message = "say \"hi\" \\ back\\slash {braces} <tags> \\l \\N";
	revs[1].message = "caf\xc3\xa9 \xe2\x9c\x93, bad \xff\xfe byte, a\ttab\r\nsecond line";
	revs[2].message = std::string(200, 'x');
	write(dir, "escaping", RevisionGraph(std::move(revs)), applied({"a1"}));

	// broken: a cycle, a dangling parent and dependency, a duplicate label
	write(dir, "broken",
	      graph({{"p", "q"}, {"q", "p"}, {"r", "missing", "nope"}, {"s", "", "", "dup"}, {"t", "s", "", "dup"}}), {});

	// a long chain with branches every 50 revisions
	std::vector<Revision> big;
	for (int i = 0; i < 2000; ++i) {
		Revision r;
		r.id = "r" + std::to_string(i);
		if (i > 0)
			r.parents = {"r" + std::to_string(i % 50 == 0 ? i - 25 : i - 1)};
		r.checksum = "c-" + r.id;
		big.push_back(std::move(r));
	}
	write(dir, "large", RevisionGraph(std::move(big)), {});
	return 0;
}
