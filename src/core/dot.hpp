// pfm_graph(): the revision graph as Graphviz DOT text (issue 16). Pure C++.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/revision.hpp"

namespace pfm::core {

struct DotOptions {
	bool legend = true;               // a small cluster explaining the colours
	std::size_t message_width = 48;   // characters of a message's first line kept in a node
};

// Colours of the revision states (fill, border, text), also what the legend shows.
struct DotStyle {
	const char *name;
	const char *fill;
	const char *border;
	const char *font;
};
extern const DotStyle kDotPending;   // registered, not applied
extern const DotStyle kDotApplied;   // applied, below a current head
extern const DotStyle kDotCurrent;   // applied and a version row (a current head)
extern const DotStyle kDotDrifted;   // applied, bodies changed since (checksum as applied != registered)
extern const DotStyle kDotMissing;   // named (applied, or as a parent / dependency) but not registered

// DOT for the graph and the state `applied` (ids with their checksum as applied):
//  - one node per revision, labelled with its id, Alembic's markers ((head), (effective head),
//    (branchpoint), (mergepoint)) and the first line of its message, escaped for DOT;
//    branch points, merge points and both have their own shapes, heads a heavy border;
//  - parent edges solid (parent -> child), depends_on edges dashed (dependency -> dependant,
//    labelled with the branch label when it was written as one);
//  - each declared branch label as a tag node beside its revision;
//  - the state as fill colours (kDot* above), drift over current over applied over pending;
//    revisions that are applied or referenced but not registered as dashed red nodes.
// Bases at the bottom, heads at the top. Nodes in id order, edges by (child, parent):
// the same graph and state always give the same text. Works on any graph (cycles, dangling
// references and duplicate labels included): it is how one looks at them.
std::string graph_dot(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied,
                      const DotOptions &options = {});

// A DOT double-quoted string for arbitrary text: quotes and backslashes escaped, line breaks as
// \n, other control characters and invalid UTF-8 as '?'.
std::string dot_quoted(const std::string &text);

}  // namespace pfm::core
