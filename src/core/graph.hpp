// The revision graph: built once from the registered revisions, indexed, linear-time
// walks. Construction never throws for structural problems, so pfm_check() can list
// them all. A depends_on entry may name a revision id or a branch label (Alembic
// resolves it to the revision carrying the label); a parent must be an id. Plans refuse
// a cycle or a duplicate label always, and a dangling reference only when they touch the
// revision holding it (planner.hpp); validate() throws the first problem of any kind.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/revision.hpp"

namespace pfm::core {

// One finding of a health check (pfm_check rows).
struct Problem {
	std::string severity;  // "error", "warning" or "notice"
	std::string revision;  // revision involved (first one when several), may be empty
	std::string problem;   // one sentence, lower-case start, no trailing period
};

class RevisionGraph {
public:
	// Throws Error(invalid_argument) only for duplicate ids (the catalog's primary key prevents them).
	explicit RevisionGraph(std::vector<Revision> revisions);
	~RevisionGraph();
	RevisionGraph(RevisionGraph &&) noexcept;
	RevisionGraph &operator=(RevisionGraph &&) noexcept;
	RevisionGraph(const RevisionGraph &) = delete;
	RevisionGraph &operator=(const RevisionGraph &) = delete;

	std::size_t size() const;
	const std::vector<Revision> &revisions() const;
	const Revision *find(std::string_view id) const;  // exact id, nullptr if unknown

	// Structural problems: cycles, self-parenting, dangling parents/dependencies (neither a
	// registered id nor, for a dependency, a branch label), duplicate branch labels. Empty
	// when the graph is sound.
	std::vector<Problem> structural_problems() const;
	// Throws the first structural problem as Error (graph_cycle, dangling_reference, duplicate_label).
	void validate() const;

	// Heads of the registered graph (revisions no other revision names as parent), sorted.
	std::vector<std::string> heads() const;
	// Every revision, newest first (a topological order, ties broken by id); tolerates broken graphs.
	std::vector<std::string> history_order() const;
	// The version rows for an applied set: applied revisions that no other applied revision
	// names as parent or dependency. Sorted. Unknown ids are kept as heads.
	std::vector<std::string> version_heads(const std::vector<std::string> &applied) const;
	// version_heads() of the applied rows themselves (no copy of their ids).
	std::vector<std::string> current_heads(const std::vector<AppliedRevision> &applied) const;

	// Internals (indices, adjacency) are the core's business; planner.cpp reaches them via impl().
	struct Impl;
	const Impl &impl() const { return *impl_; }

private:
	Impl *impl_;
};

// The heads of an applied set as it changes one revision at a time (CALL pfm_deploy and
// pfm_revert record them after every step): at every point the same as
// graph.version_heads(the set), in time proportional to the revision's own edges instead of
// the whole set (a deploy of N revisions: O(N), not O(N^2)). A marked revision is a head
// unless another marked one names it in its parents or depends_on; ids the graph does not
// know stay heads. The graph must outlive it.
class VersionHeads {
public:
	VersionHeads(const RevisionGraph &graph, const std::vector<std::string> &applied);
	void add(const std::string &id);     // nothing when already in the set
	void remove(const std::string &id);  // nothing when not in it
	std::vector<std::string> heads() const;  // sorted, as version_heads() gives them

private:
	const RevisionGraph *graph_;
	std::vector<char> marked_;
	std::vector<int> referrers_;    // of a marked revision: the marked ones naming it
	std::set<std::string> heads_;   // marked and named by none, and the unknown ids
};

}  // namespace pfm::core
