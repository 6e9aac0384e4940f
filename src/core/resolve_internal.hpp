// Private to src/core: target grammar (SPEC §3) and Alembic-style resolution
// primitives (_resolve_revision_number, _revision_for_ident, _walk, lineage).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/graph_internal.hpp"

namespace pfm::core::detail {

// Positions a walk can be at besides a revision index (>= 0).
constexpr int kNone = -1;      // Alembic's None: below every base (walk up from the bases, down from the heads)
constexpr int kBase = -2;      // Alembic's "base": what walking down past a root yields
constexpr int kOverwalk = -3;  // walked off the end of the graph

struct Target {
	enum class Kind { heads, head, base, literal, relative };

	std::string text;        // as given
	bool has_label = false;  // "label@..."
	std::string label;
	Kind kind = Kind::literal;
	std::string symbol;      // heads/head/base: the keyword; literal: id, label or prefix;
	                         // relative: "" (current state), keyword or id
	bool upward = false;     // relative: '+'
	long long steps = 0;     // relative: N (saturated at 1e9)
	std::string relative;    // relative: "+2" / "-1" as written
};

// Parses target text. Throws invalid_argument for malformed text (empty, bad characters,
// several '@', empty label or symbol, "+0"/"-0" without a revision).
Target parse_target(const RevisionGraph::Impl &g, std::string_view text);

class Resolver {
public:
	Resolver(const RevisionGraph::Impl &g, const Target &t) : g_(g), t_(t) {}

	// Alembic _resolve_branch: the revision a label (or revision id / unique prefix) names.
	int branch(std::string_view label) const;
	// The revision the target's label names (cached); -1 without a label.
	int target_branch() const;
	// Alembic _revision_for_ident: exact id or label, else unique prefix (keys longer than
	// 3 characters); with a branch, prefix candidates and the result must share its lineage.
	int ident(std::string_view text, int branch_rev, std::string_view branch_text) const;
	// Alembic _resolve_revision_number + _revision_for_ident for a symbol: heads, head, base
	// or an identifier, optionally inside a branch. Throws multiple_heads for an ambiguous "head".
	std::vector<int> resolve_symbol(std::string_view symbol, int branch_rev, std::string_view branch_text) const;
	// Alembic get_revision: one revision or kNone; several -> multiple_heads.
	int get_revision(std::string_view symbol, int branch_rev, std::string_view branch_text) const;
	// Alembic _walk: with no_overwalk (the default) kOverwalk when the walk leaves the graph,
	// without it (clamp) the last position reached; throws invalid_target "ambiguous walk".
	// `lineage` (may be null) filters upward candidates.
	int walk(int start, long long steps, const std::vector<char> *lineage, bool clamp = false) const;
	// Where +N / label@+N starts from a state (`heads` its version heads, `list` its
	// revisions): the single current head (on the branch); with no current head on the branch,
	// the tips of the state's revisions on it (empty: from its base). Alembic
	// _parse_upgrade_target's start_revs.
	std::vector<int> upward_start(const std::vector<int> &heads, const std::vector<int> &list,
	                              const std::vector<char> *lineage) const;

	// Revisions sharing lineage (ancestor, descendant or self) with any source; parent
	// edges only, or parents + depends_on.
	std::vector<char> lineage(const std::vector<int> &sources, bool with_deps) const;
	const std::vector<char> &branch_lineage(int branch_rev) const;  // parent edges, cached per branch

	[[noreturn]] void throw_multiple_heads(const std::vector<int> &heads) const;
	std::string describe(int pos) const;  // id, or "base"

	const Target &target() const { return t_; }

private:
	const RevisionGraph::Impl &g_;
	const Target &t_;
	mutable int cached_branch_ = -1;
	mutable std::vector<char> cached_lineage_;
	mutable int target_branch_ = -2;
};

}  // namespace pfm::core::detail
