// What `alembic show`, `branches`, `heads` and `history -r` print, as data (issue 16). The
// glue adds what only the catalog knows (applied state, bodies, checksums). Pure C++.
#pragma once

#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/revision.hpp"

namespace pfm::core {

// One revision as `alembic show` describes it (Script.log_entry).
struct RevisionInfo {
	std::string id;
	std::vector<std::string> parents;         // down_revision(s) as registered; empty = a base ("Parent: <base>")
	std::vector<std::string> depends_on;      // as registered, ids or branch labels ("Also depends on")
	std::vector<std::string> depends_on_ids;  // the registered revisions they resolve to, in the same order
	std::vector<std::string> children;        // revisions naming this one as parent, sorted ("Branches into")
	std::vector<std::string> dependants;      // revisions that depend on this one, sorted
	std::vector<std::string> branch_labels;   // declared on this revision
	std::vector<std::string> branch_names;    // every label it carries, inherited ones too ("Branch names"), sorted
	std::string message;
	bool is_base = false;          // no parent
	bool is_head = false;          // no child ("(head)")
	bool is_effective_head = false;  // a head something depends on ("(effective head)" in `alembic heads`)
	bool is_branch_point = false;  // two or more children ("(branchpoint)")
	bool is_merge_point = false;   // two or more parents ("(mergepoint)", "Merges:")
};

// `alembic show <rev>`: the revisions a target names (head, heads, base = none, an id, a unique
// prefix, a label, label@head, label@heads, rev@head, label@rev), or `current`: the current
// heads of `applied` (an applied revision that is not registered is an error, drift is not).
// Relative targets are refused (invalid_argument). Heads and current come sorted by id.
// Works on a graph with structural problems (show is how one looks at them).
std::vector<RevisionInfo> show_revisions(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied,
                                         const std::string &revision);

// One branch point and its children (`alembic branches`).
struct BranchPoint {
	std::string id;
	std::vector<std::string> children;  // sorted
};

// `alembic branches`: every revision with two or more children, newest first.
std::vector<BranchPoint> branch_points(const RevisionGraph &graph);

// `alembic heads`: revisions without a child, sorted. With resolve_dependencies
// (`--resolve-dependencies`), a revision something depends on is not a head either
// (Alembic's _real_heads, what the target `heads` resolves to).
std::vector<std::string> list_heads(const RevisionGraph &graph, bool resolve_dependencies);

// `alembic history -r start:end`: the revisions in the range, newest first. Either side may
// be empty (start: base, end: heads); each side is a target (head, heads, base, an id, a
// prefix, a label, label@...), or current (the current heads of `applied`; with nothing
// applied it means base / heads, as in Alembic). The end may be relative (+N from the start,
// rev+N, rev-N; walks stop at the end of the graph instead of failing), the start may be -N or
// label@-N (N below the heads, or below the branch's heads; where that reaches base, N below
// the end if the end is one revision, else base). A start of label@... keeps only the
// ends on that branch. Without ':' an error worded like Alembic's. Refuses a graph with a cycle
// or a duplicate label, as plans do.
std::vector<std::string> history_range(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied,
                                       const std::string &range);

}  // namespace pfm::core
