// Private to src/core: the indexed form of a RevisionGraph. Every revision is an
// index 0..n-1 into `revs`; adjacency is stored in compressed (CSR) arrays so a
// walk over 100 000 revisions touches a few flat vectors and nothing else.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/errors.hpp"
#include "core/graph.hpp"
#include "core/text.hpp"

namespace pfm::core {

// Flat adjacency lists: the neighbours of node i are to[off[i] .. off[i+1]).
struct Adjacency {
	std::vector<int> off;
	std::vector<int> to;

	const int *begin(int i) const { return to.data() + off[static_cast<std::size_t>(i)]; }
	const int *end(int i) const { return to.data() + off[static_cast<std::size_t>(i) + 1]; }
	std::size_t degree(int i) const
	{
		return static_cast<std::size_t>(off[static_cast<std::size_t>(i) + 1] - off[static_cast<std::size_t>(i)]);
	}
};

// Open-addressing hash index from id text to revision index: one flat probe array of
// (index, 32-bit hash) pairs, the hash checked before any string compare; a probe touches
// one cache line. (std::unordered_map's node per entry made graph construction hash-bound
// at 100 000 revisions; two parallel arrays cost two cache misses per probe.)
class FlatIndex {
public:
	void reserve(std::size_t n)
	{
		std::size_t cap = 16;
		while (cap < 2 * n)
			cap <<= 1;
		slots_.assign(cap, Slot{});
		mask_ = cap - 1;
	}
	// Inserts `key` -> `value` unless present; returns the index already stored, or -1.
	template <class KeyOf>
	int insert(std::string_view key, int value, const KeyOf &key_of)
	{
		std::uint32_t h = hash(key);
		for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
			Slot &s = slots_[i];
			if (s.value < 0) {
				s = Slot{value, h};
				return -1;
			}
			if (s.hash == h && key_of(s.value) == key)
				return s.value;
		}
	}
	template <class KeyOf>
	int find(std::string_view key, const KeyOf &key_of) const
	{
		if (slots_.empty())
			return -1;
		std::uint32_t h = hash(key);
		for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
			const Slot &s = slots_[i];
			if (s.value < 0)
				return -1;
			if (s.hash == h && key_of(s.value) == key)
				return s.value;
		}
	}

private:
	static std::uint32_t hash(std::string_view key)
	{
		std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, then a final mix
		for (unsigned char c : key) {
			h ^= c;
			h *= 1099511628211ULL;
		}
		h ^= h >> 29;
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 32;
		return static_cast<std::uint32_t>(h);
	}

	struct Slot {
		int value = -1;
		std::uint32_t hash = 0;
	};
	std::vector<Slot> slots_;
	std::size_t mask_ = 0;
};

// A structural problem with the kind validate() throws it as.
struct GraphProblem {
	ErrorKind kind;
	std::string revision;
	std::string text;
	std::vector<std::string> revisions;
	int node;  // the revision holding a dangling reference; -1 for other problems
};

// Why a revision's references are broken (bits of Impl::dangling).
constexpr char kDanglingParent = 1;
constexpr char kDanglingDependency = 2;

struct RevisionGraph::Impl {
	std::vector<Revision> revs;
	FlatIndex by_id;                                      // id -> index
	std::unordered_map<std::string_view, int> by_label;  // label -> first owner (by id order)

	// down(i): registered parents first (declared order, deduplicated), then registered
	// depends_on that are not also parents. n_parents[i] of them are parents. A depends_on
	// entry names a revision id or, as in Alembic, a branch label (the revision carrying it);
	// a parent must be a revision id.
	Adjacency down;
	std::vector<int> n_parents;
	// up(i): children (revisions naming i as parent) first, then dependants that do not
	// also name i as parent. n_children[i] of them are children.
	Adjacency up;
	std::vector<int> n_children;

	std::vector<int> topo;       // upgrade order (oldest first); every node exactly once
	std::vector<int> topo_pos;   // position of a node in topo
	std::vector<int> by_id_order;  // indices sorted by id
	std::vector<int> id_rank;      // position of a node in by_id_order

	// Prefix lookup: the ids are sorted already (by_id_order); the (owned) branch labels,
	// few, sorted by text here.
	std::vector<std::pair<std::string_view, int>> label_keys;
	// Calls f(key, revision) for every id and owned branch label that starts with `prefix`
	// (a revision may come twice: by its id and by a label).
	template <class F>
	void for_each_prefixed(std::string_view prefix, F f) const
	{
		auto starts = [prefix](std::string_view key) { return key.substr(0, prefix.size()) == prefix; };
		auto id_before = [this](int i, std::string_view text) { return std::string_view(id(i)) < text; };
		for (auto it = std::lower_bound(by_id_order.begin(), by_id_order.end(), prefix, id_before);
		     it != by_id_order.end() && starts(id(*it)); ++it)
			f(std::string_view(id(*it)), *it);
		for (auto it = std::lower_bound(label_keys.begin(), label_keys.end(), std::make_pair(prefix, -1));
		     it != label_keys.end() && starts(it->first); ++it)
			f(it->first, it->second);
	}

	std::vector<int> vheads;      // no child (parent edges): Alembic `heads`; sorted by id
	std::vector<int> real_heads;  // no child and no dependant: Alembic `_real_heads`; sorted by id
	std::vector<int> bases;       // no declared parent: Alembic `bases`; sorted by id

	std::vector<GraphProblem> problems;
	std::vector<char> suspect;   // revisions whose references need a second look for problems
	std::vector<char> dangling;  // kDanglingParent / kDanglingDependency bits per revision
	bool any_dangling = false;

	int size() const { return static_cast<int>(revs.size()); }
	const SmallText &id(int i) const { return revs[static_cast<std::size_t>(i)].id; }
	int find(std::string_view id) const
	{
		return by_id.find(id, [this](int i) -> std::string_view { return revs[static_cast<std::size_t>(i)].id; });
	}
	// Exact key: a revision id, else a branch label.
	int find_key(std::string_view key) const
	{
		int i = find(key);
		if (i >= 0)
			return i;
		auto it = by_label.find(key);
		return it == by_label.end() ? -1 : it->second;
	}
	// Problems that make every plan meaningless (cycles, duplicate labels): throws the first
	// one. Dangling references are local and checked per plan by refuse_dangling().
	void refuse_global_problems() const;
	// Throws the first dangling-reference problem of a revision in any of the lists: a plan
	// whose steps or whose target's ancestry contain such a revision cannot be made.
	void refuse_dangling(std::initializer_list<const std::vector<int> *> lists) const;

	const int *parents_begin(int i) const { return down.begin(i); }
	const int *parents_end(int i) const { return down.begin(i) + n_parents[static_cast<std::size_t>(i)]; }
	const int *children_begin(int i) const { return up.begin(i); }
	const int *children_end(int i) const { return up.begin(i) + n_children[static_cast<std::size_t>(i)]; }

	// Which edges a walk follows: towards the roots (parents only, or parents and depends_on)
	// or towards the heads (children only, or children and dependants).
	enum class Edges { parents, parents_and_deps, children, children_and_dependants };
	const int *edges_begin(int v, Edges e) const
	{
		return e == Edges::parents || e == Edges::parents_and_deps ? down.begin(v) : up.begin(v);
	}
	const int *edges_end(int v, Edges e) const
	{
		switch (e) {
		case Edges::parents: return parents_end(v);
		case Edges::parents_and_deps: return down.end(v);
		case Edges::children: return children_end(v);
		case Edges::children_and_dependants: break;
		}
		return up.end(v);
	}

	// The one graph walk: marks every node reachable from `sources` (inclusive) along `edges`,
	// entering only nodes for which enter(v) holds (sources included); negative sources are
	// ignored. Appends the nodes it marks to `visited` when given. Linear in what it reaches.
	template <class Enter>
	std::vector<char> reach(const std::vector<int> &sources, Edges edges, Enter enter,
	                        std::vector<int> *visited = nullptr) const
	{
		std::vector<char> mark(revs.size(), 0);
		std::vector<int> todo;
		auto push = [&](int v) {
			if (v < 0 || mark[static_cast<std::size_t>(v)] || !enter(v))
				return;
			mark[static_cast<std::size_t>(v)] = 1;
			todo.push_back(v);
			if (visited)
				visited->push_back(v);
		};
		for (int s : sources)
			push(s);
		while (!todo.empty()) {
			int v = todo.back();
			todo.pop_back();
			for (const int *p = edges_begin(v, edges); p != edges_end(v, edges); ++p)
				push(*p);
		}
		return mark;
	}
	std::vector<char> reach(const std::vector<int> &sources, Edges edges) const
	{
		return reach(sources, edges, [](int) { return true; });
	}

	// Alembic's branch names (Revision.branch_labels after RevisionMap._add_branches): a label
	// declared on x names x, its descendants through parent edges, and -- when x's descendants
	// form one line without a merge or a real branch point (children + dependants > 1) -- the
	// revisions below x down to the previous merge or real branch point.
	// label_members(x): the revisions carrying x's declared labels. Linear.
	std::vector<char> label_members(int x) const;
	// branch_names(v): every label v carries, sorted. Linear in v's ancestry.
	std::vector<std::string> branch_names(int v) const;

	// Members of `list` (marked in `mark`) that no other member names as parent or
	// dependency: the version rows of an applied set. Sorted by id.
	std::vector<int> heads_of(const std::vector<char> &mark, const std::vector<int> &list) const;
	std::vector<std::string> ids_of(const std::vector<int> &nodes) const;

	// Sorts node indices into upgrade order (oldest first) or newest first.
	void order(std::vector<int> &nodes, bool newest_first) const;
	// Ids of the given nodes, sorted by id.
	std::vector<std::string> sorted_ids(const std::vector<int> &nodes) const;
	// Sorts node indices by id (an integer sort on id_rank).
	void sort_by_id(std::vector<int> &nodes) const
	{
		std::sort(nodes.begin(), nodes.end(),
		          [this](int a, int b) { return id_rank[static_cast<std::size_t>(a)] < id_rank[static_cast<std::size_t>(b)]; });
	}
};

}  // namespace pfm::core
