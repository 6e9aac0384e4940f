// RevisionGraph: indexes the registered revisions once (hash map by id, CSR adjacency,
// a global topological order) and finds structural problems without throwing.
#include <algorithm>
#include <cstdint>
#include <utility>

#include "core/graph_internal.hpp"

namespace pfm::core {

void
RevisionGraph::Impl::order(std::vector<int> &nodes, bool newest_first) const
{
	// Sorting k nodes costs k log k; filtering the global order costs n. Take the cheaper.
	std::size_t k = nodes.size();
	std::size_t log_k = 1;
	while ((std::size_t{1} << log_k) < k)
		++log_k;
	if (k * log_k < revs.size()) {
		std::sort(nodes.begin(), nodes.end(), [this, newest_first](int a, int b) {
			return newest_first ? topo_pos[static_cast<std::size_t>(a)] > topo_pos[static_cast<std::size_t>(b)]
			                    : topo_pos[static_cast<std::size_t>(a)] < topo_pos[static_cast<std::size_t>(b)];
		});
		return;
	}
	std::vector<char> in(revs.size(), 0);
	for (int v : nodes)
		in[static_cast<std::size_t>(v)] = 1;
	nodes.clear();
	for (int v : topo)
		if (in[static_cast<std::size_t>(v)])
			nodes.push_back(v);
	if (newest_first)
		std::reverse(nodes.begin(), nodes.end());
}

std::vector<std::string>
RevisionGraph::Impl::sorted_ids(const std::vector<int> &nodes) const
{
	std::vector<int> sorted = nodes;
	sort_by_id(sorted);
	std::vector<std::string> out;
	out.reserve(sorted.size());
	for (int v : sorted)
		out.push_back(id(v));
	return out;
}

std::vector<int>
RevisionGraph::Impl::heads_of(const std::vector<char> &mark, const std::vector<int> &list) const
{
	std::vector<char> named(revs.size(), 0);
	for (int v : list)
		for (const int *d = down.begin(v); d != down.end(v); ++d)
			if (mark[static_cast<std::size_t>(*d)])
				named[static_cast<std::size_t>(*d)] = 1;
	std::vector<int> out;
	for (int v : list)
		if (!named[static_cast<std::size_t>(v)])
			out.push_back(v);
	sort_by_id(out);
	return out;
}

std::vector<std::string>
RevisionGraph::Impl::ids_of(const std::vector<int> &nodes) const
{
	std::vector<std::string> out;
	out.reserve(nodes.size());
	for (int v : nodes)
		out.push_back(id(v));
	return out;
}

namespace {

using Impl = RevisionGraph::Impl;

// A revision Alembic's label walk (_add_branches) passes: not a merge point, not a real
// branch point (children + dependants <= 1).
bool
on_plain_line(const Impl &g, int v)
{
	return g.n_parents[static_cast<std::size_t>(v)] <= 1 && g.up.degree(v) <= 1;
}

// Does the line of single children above v (v included) consist of plain revisions only?
// (A line longer than the graph is a cycle: not plain. The graph may be broken here: the
// inspecting functions answer for graphs pfm_check() reports.)
bool
plain_line_above(const Impl &g, int v)
{
	for (std::size_t steps = 0; steps <= g.revs.size(); steps++) {
		if (!on_plain_line(g, v))
			return false;
		if (g.n_children[static_cast<std::size_t>(v)] == 0)
			return true;
		v = *g.children_begin(v);
	}
	return false;
}

}  // namespace

std::vector<char>
RevisionGraph::Impl::label_members(int x) const
{
	std::vector<char> members = reach({x}, Edges::children);
	if (!plain_line_above(*this, x))
		return members;
	for (int v = x, steps = 0; n_parents[static_cast<std::size_t>(v)] == 1 && steps < static_cast<int>(revs.size());
	     steps++) {  // (bounded: a cycle of single parents would never end)
		v = *parents_begin(v);
		if (!on_plain_line(*this, v))
			break;
		members[static_cast<std::size_t>(v)] = 1;
	}
	return members;
}

std::vector<std::string>
RevisionGraph::Impl::branch_names(int v) const
{
	std::vector<std::string> names;
	auto add_declared = [&](int w) {
		for (std::string_view label : revs[static_cast<std::size_t>(w)].branch_labels) {
			auto it = by_label.find(std::string_view(label));
			if (it != by_label.end() && it->second == w)
				names.emplace_back(label);
		}
	};
	std::vector<int> ancestors;
	reach({v}, Edges::parents, [](int) { return true; }, &ancestors);
	for (int w : ancestors)
		add_declared(w);
	// Labels declared above v on its line come down to v if the whole line is plain.
	std::size_t inherited = names.size();
	bool plain = true;
	int w = v;
	for (std::size_t steps = 0;; steps++) {  // (a line longer than the graph is a cycle: not plain)
		if (steps > revs.size() || !on_plain_line(*this, w)) {
			plain = false;
			break;
		}
		if (n_children[static_cast<std::size_t>(w)] == 0)
			break;
		w = *children_begin(w);
		add_declared(w);
	}
	if (!plain)
		names.resize(inherited);
	std::sort(names.begin(), names.end());
	names.erase(std::unique(names.begin(), names.end()), names.end());
	return names;
}

namespace {

// Branch labels first: depends_on may name one. Each label goes to its first owner in id
// order; a label that is also an id stays out (find_revision_problems reports both cases).
void
index_labels(RevisionGraph::Impl &g)
{
	for (int i : g.by_id_order)
		for (std::string_view label : g.revs[static_cast<std::size_t>(i)].branch_labels)
			if (g.find(label) < 0)
				g.by_label.emplace(std::string_view(label), i);
}

void
build_edges(RevisionGraph::Impl &g)
{
	const int n = g.size();
	const auto un = static_cast<std::size_t>(n);
	std::vector<int> seen(un, -1);  // seen[j] == i: j already listed for node i

	g.down.off.assign(un + 1, 0);
	g.n_parents.assign(un, 0);
	g.suspect.assign(un, 0);
	g.down.to.clear();
	for (int i = 0; i < n; ++i) {
		const Revision &r = g.revs[static_cast<std::size_t>(i)];
		g.down.off[static_cast<std::size_t>(i)] = static_cast<int>(g.down.to.size());
		if (!r.branch_labels.empty())
			g.suspect[static_cast<std::size_t>(i)] = 1;
		for (std::string_view p : r.parents) {
			// (Revisions are mostly stored in the order they were written: a parent is often
			// the revision just before, found without a hash probe. Ids are unique.)
			int j = i > 0 && g.id(i - 1) == p ? i - 1 : g.find(p);
			if (j < 0 || j == i)
				g.suspect[static_cast<std::size_t>(i)] = 1;
			if (j < 0 || j == i || seen[static_cast<std::size_t>(j)] == i)
				continue;
			seen[static_cast<std::size_t>(j)] = i;
			g.down.to.push_back(j);
			++g.n_parents[static_cast<std::size_t>(i)];
		}
		for (std::string_view d : r.depends_on) {
			int j = g.find_key(d);  // Alembic _add_depends_on: an id or a branch label
			if (j < 0 || j == i)
				g.suspect[static_cast<std::size_t>(i)] = 1;
			if (j < 0 || j == i || seen[static_cast<std::size_t>(j)] == i)
				continue;
			seen[static_cast<std::size_t>(j)] = i;
			g.down.to.push_back(j);
		}
	}
	g.down.off[un] = static_cast<int>(g.down.to.size());

	// Reverse edges: children first, then dependants; within each, in id order.
	std::vector<int> n_child(un, 0), n_dep(un, 0);
	for (int i = 0; i < n; ++i) {
		const int *b = g.down.begin(i);
		for (const int *p = b; p != g.down.end(i); ++p) {
			if (p - b < g.n_parents[static_cast<std::size_t>(i)])
				++n_child[static_cast<std::size_t>(*p)];
			else
				++n_dep[static_cast<std::size_t>(*p)];
		}
	}
	g.up.off.assign(un + 1, 0);
	for (std::size_t v = 0; v < un; ++v)
		g.up.off[v + 1] = g.up.off[v] + n_child[v] + n_dep[v];
	g.up.to.assign(static_cast<std::size_t>(g.up.off[un]), -1);
	g.n_children = n_child;
	std::vector<int> child_cur(un), dep_cur(un);
	for (std::size_t v = 0; v < un; ++v) {
		child_cur[v] = g.up.off[v];
		dep_cur[v] = g.up.off[v] + n_child[v];
	}
	for (int i : g.by_id_order) {
		const int *b = g.down.begin(i);
		for (const int *p = b; p != g.down.end(i); ++p) {
			auto v = static_cast<std::size_t>(*p);
			if (p - b < g.n_parents[static_cast<std::size_t>(i)])
				g.up.to[static_cast<std::size_t>(child_cur[v]++)] = i;
			else
				g.up.to[static_cast<std::size_t>(dep_cur[v]++)] = i;
		}
	}
}

void
find_revision_problems(RevisionGraph::Impl &g)
{
	g.dangling.assign(g.revs.size(), 0);
	auto dangling = [&g](int i, char why, std::string text, std::vector<std::string> revisions) {
		g.dangling[static_cast<std::size_t>(i)] |= why;
		g.any_dangling = true;
		g.problems.push_back({ErrorKind::dangling_reference, g.id(i), std::move(text), std::move(revisions), i});
	};
	for (int i : g.by_id_order) {
		if (!g.suspect[static_cast<std::size_t>(i)])
			continue;
		const Revision &r = g.revs[static_cast<std::size_t>(i)];
		for (std::string_view t : r.parents) {
			if (t == r.id)
				g.problems.push_back({ErrorKind::graph_cycle, r.id, "revision " + quoted(r.id) + " names itself as parent",
				                      {r.id}, -1});
			else if (g.find(t) < 0)
				dangling(i, kDanglingParent,
				         "revision " + quoted(r.id) + " names parent " + quoted(t) + " that is not registered", {r.id, std::string(t)});
		}
		for (std::string_view t : r.depends_on) {
			int j = g.find_key(t);
			if (t == r.id)
				g.problems.push_back({ErrorKind::graph_cycle, r.id, "revision " + quoted(r.id) + " depends on itself",
				                      {r.id}, -1});
			else if (j == i)
				g.problems.push_back({ErrorKind::graph_cycle, r.id,
				                      "revision " + quoted(r.id) + " depends on its own branch label " + quoted(t), {r.id},
				                      -1});
			else if (j < 0)
				dangling(i, kDanglingDependency,
				         "revision " + quoted(r.id) + " depends on " + quoted(t) + " that is not registered", {r.id, std::string(t)});
		}
		const std::vector<std::string> labels = r.branch_labels.vec();  // (a suspect revision: rare)
		for (std::size_t k = 0; k < labels.size(); ++k) {
			const std::string &label = labels[k];
			int owner_id = g.find(label);
			if (owner_id >= 0) {
				g.problems.push_back({ErrorKind::duplicate_label, r.id,
				                      "branch label " + quoted(label) + " of revision " + quoted(r.id) +
				                          " is already used as the id of revision " + quoted(g.id(owner_id)),
				                      {r.id, g.id(owner_id)}, -1});
				continue;
			}
			int owner = g.by_label.at(std::string_view(label));
			if (owner != i)
				g.problems.push_back({ErrorKind::duplicate_label, r.id,
				                      "branch label " + quoted(label) + " of revision " + quoted(r.id) +
				                          " is already used by revision " + quoted(g.id(owner)),
				                      {r.id, g.id(owner)}, -1});
			else if (std::find(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(k), label) !=
			         labels.begin() + static_cast<std::ptrdiff_t>(k))
				g.problems.push_back({ErrorKind::duplicate_label, r.id,
				                      "branch label " + quoted(label) + " is listed twice by revision " + quoted(r.id),
				                      {r.id}, -1});
		}
	}
}

// Tarjan's strongly connected components over parent + depends_on edges, iteratively.
void
find_cycles(RevisionGraph::Impl &g)
{
	const auto un = static_cast<std::size_t>(g.size());
	std::vector<int> index(un, -1), low(un, 0), stack;
	std::vector<char> on_stack(un, 0);
	struct Frame {
		int v;
		const int *it;
	};
	std::vector<Frame> call;
	int counter = 0;
	std::vector<std::vector<std::string>> cycles;

	auto open = [&](int v) {
		index[static_cast<std::size_t>(v)] = low[static_cast<std::size_t>(v)] = counter++;
		stack.push_back(v);
		on_stack[static_cast<std::size_t>(v)] = 1;
		call.push_back({v, g.down.begin(v)});
	};
	for (int s : g.by_id_order) {
		if (index[static_cast<std::size_t>(s)] != -1)
			continue;
		open(s);
		while (!call.empty()) {
			Frame &f = call.back();
			if (f.it != g.down.end(f.v)) {
				int w = *f.it++;
				int v = f.v;
				if (index[static_cast<std::size_t>(w)] == -1)
					open(w);
				else if (on_stack[static_cast<std::size_t>(w)])
					low[static_cast<std::size_t>(v)] = std::min(low[static_cast<std::size_t>(v)], index[static_cast<std::size_t>(w)]);
				continue;
			}
			int v = f.v;
			call.pop_back();
			if (!call.empty()) {
				auto u = static_cast<std::size_t>(call.back().v);
				low[u] = std::min(low[u], low[static_cast<std::size_t>(v)]);
			}
			if (low[static_cast<std::size_t>(v)] != index[static_cast<std::size_t>(v)])
				continue;
			std::vector<std::string> component;
			int w;
			do {
				w = stack.back();
				stack.pop_back();
				on_stack[static_cast<std::size_t>(w)] = 0;
				component.push_back(g.id(w));
			} while (w != v);
			if (component.size() > 1) {
				std::sort(component.begin(), component.end());
				cycles.push_back(std::move(component));
			}
		}
	}
	std::sort(cycles.begin(), cycles.end());
	for (auto &c : cycles)
		g.problems.push_back({ErrorKind::graph_cycle, c.front(), "cycle detected in revisions (" + join(c) + ")", c, -1});
}

// Global upgrade order: depth-first post-order over down edges, starting from every
// revision in descending id order, visiting depends_on before parents and later parents
// first. On the Alembic documentation graph this reproduces Alembic's own upgrade order;
// reversed it lists heads in ascending id order. Cycles are tolerated (grey nodes skipped).
void
build_topo(RevisionGraph::Impl &g)
{
	const auto un = static_cast<std::size_t>(g.size());
	std::vector<char> state(un, 0);
	struct Frame {
		int v;
		const int *it;
	};
	std::vector<Frame> call;
	g.topo.clear();
	g.topo.reserve(un);
	for (auto s = g.by_id_order.rbegin(); s != g.by_id_order.rend(); ++s) {
		if (state[static_cast<std::size_t>(*s)])
			continue;
		state[static_cast<std::size_t>(*s)] = 1;
		call.push_back({*s, g.down.end(*s)});
		while (!call.empty()) {
			Frame &f = call.back();
			if (f.it != g.down.begin(f.v)) {
				int w = *--f.it;
				if (!state[static_cast<std::size_t>(w)]) {
					state[static_cast<std::size_t>(w)] = 1;
					call.push_back({w, g.down.end(w)});
				}
				continue;
			}
			state[static_cast<std::size_t>(f.v)] = 2;
			g.topo.push_back(f.v);
			call.pop_back();
		}
	}
	g.topo_pos.assign(un, 0);
	for (std::size_t k = 0; k < g.topo.size(); ++k)
		g.topo_pos[static_cast<std::size_t>(g.topo[k])] = static_cast<int>(k);
}

}  // namespace

RevisionGraph::RevisionGraph(std::vector<Revision> revisions) : impl_(new Impl)
{
	Impl &g = *impl_;
	try {
		g.revs = std::move(revisions);
		const int n = g.size();
		g.by_id.reserve(g.revs.size());
		auto key_of = [&g](int i) -> std::string_view { return g.id(i); };
		for (int i = 0; i < n; ++i) {
			if (g.by_id.insert(g.id(i), i, key_of) >= 0)
				throw Error(ErrorKind::invalid_argument, "revision " + quoted(g.id(i)) + " is registered more than once", {}, {},
				            {g.id(i)});
		}
		// Sort by id: first on the leading 8 bytes packed big-endian (one integer compare,
		// same order as the bytes), then on the whole id for equal prefixes.
		std::vector<std::pair<std::uint64_t, int>> keyed(g.revs.size());
		for (int i = 0; i < n; ++i) {
			const std::string &id = g.id(i);
			std::uint64_t k = 0;
			for (std::size_t b = 0; b < 8; ++b)
				k = (k << 8) | (b < id.size() ? static_cast<unsigned char>(id[b]) : 0u);
			keyed[static_cast<std::size_t>(i)] = {k, i};
		}
		std::sort(keyed.begin(), keyed.end(), [&g](const auto &a, const auto &b) {
			if (a.first != b.first)
				return a.first < b.first;
			return g.id(a.second) < g.id(b.second);
		});
		g.by_id_order.resize(g.revs.size());
		for (int i = 0; i < n; ++i)
			g.by_id_order[static_cast<std::size_t>(i)] = keyed[static_cast<std::size_t>(i)].second;
		g.id_rank.resize(g.revs.size());
		for (int k = 0; k < n; ++k)
			g.id_rank[static_cast<std::size_t>(g.by_id_order[static_cast<std::size_t>(k)])] = k;

		index_labels(g);
		build_edges(g);
		find_revision_problems(g);
		find_cycles(g);
		build_topo(g);

		g.label_keys.assign(g.by_label.begin(), g.by_label.end());
		std::sort(g.label_keys.begin(), g.label_keys.end());

		for (int i : g.by_id_order) {
			auto ui = static_cast<std::size_t>(i);
			if (g.n_children[ui] == 0) {
				g.vheads.push_back(i);
				if (g.up.degree(i) == 0)
					g.real_heads.push_back(i);
			}
			if (g.revs[ui].parents.empty())
				g.bases.push_back(i);
		}
	} catch (...) {
		delete impl_;
		throw;
	}
}

RevisionGraph::~RevisionGraph() { delete impl_; }

RevisionGraph::RevisionGraph(RevisionGraph &&other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }

RevisionGraph &
RevisionGraph::operator=(RevisionGraph &&other) noexcept
{
	if (this != &other) {
		delete impl_;
		impl_ = other.impl_;
		other.impl_ = nullptr;
	}
	return *this;
}

std::size_t
RevisionGraph::size() const
{
	return impl_->revs.size();
}

const std::vector<Revision> &
RevisionGraph::revisions() const
{
	return impl_->revs;
}

const Revision *
RevisionGraph::find(std::string_view id) const
{
	int i = impl_->find(id);
	return i < 0 ? nullptr : &impl_->revs[static_cast<std::size_t>(i)];
}

std::vector<Problem>
RevisionGraph::structural_problems() const
{
	std::vector<Problem> out;
	out.reserve(impl_->problems.size());
	for (const GraphProblem &p : impl_->problems)
		out.push_back({"error", p.revision, p.text});
	return out;
}

namespace {

Error
problem_error(const GraphProblem &p, std::string detail, std::string hint = {})
{
	return Error(p.kind, p.text, std::move(detail), std::move(hint), p.revisions);
}

std::string
problem_count_detail(std::size_t n)
{
	return n > 1 ? "The revision graph has " + std::to_string(n) + " structural problems; pfm_check() lists them all."
	             : std::string();
}

}  // namespace

void
RevisionGraph::Impl::refuse_global_problems() const
{
	for (const GraphProblem &p : problems)
		if (p.kind != ErrorKind::dangling_reference)
			throw problem_error(p, problem_count_detail(problems.size()));
}

void
RevisionGraph::Impl::refuse_dangling(std::initializer_list<const std::vector<int> *> lists) const
{
	if (!any_dangling)
		return;
	std::vector<char> hit;
	for (const std::vector<int> *list : lists)
		for (int v : *list)
			if (dangling[static_cast<std::size_t>(v)]) {
				if (hit.empty())
					hit.assign(revs.size(), 0);
				hit[static_cast<std::size_t>(v)] = 1;
			}
	if (hit.empty())
		return;
	for (const GraphProblem &p : problems)
		if (p.kind == ErrorKind::dangling_reference && hit[static_cast<std::size_t>(p.node)])
			throw problem_error(p,
			                    "Revision " + p.revision +
			                        " is part of this move (a step, or in the ancestry of the target); moves that do not "
			                        "involve it are not blocked.",
			                    "Register the missing revision, or register " + p.revision +
			                        " again without the reference. pfm_check() lists every problem.");
}

void
RevisionGraph::validate() const
{
	if (impl_->problems.empty())
		return;
	throw problem_error(impl_->problems.front(), problem_count_detail(impl_->problems.size()));
}

std::vector<std::string>
RevisionGraph::heads() const
{
	std::vector<std::string> out;
	out.reserve(impl_->vheads.size());
	for (int i : impl_->vheads)
		out.push_back(impl_->id(i));
	return out;
}

std::vector<std::string>
RevisionGraph::history_order() const
{
	std::vector<std::string> out;
	out.reserve(impl_->topo.size());
	for (auto it = impl_->topo.rbegin(); it != impl_->topo.rend(); ++it)
		out.push_back(impl_->id(*it));
	return out;
}

namespace {

template <class Applied, class IdOf>
std::vector<std::string>
version_heads_of(const RevisionGraph::Impl &g, const std::vector<Applied> &applied, IdOf id_of)
{
	std::vector<char> mark(g.revs.size(), 0);
	std::vector<std::string> unknown;
	std::vector<int> known;
	for (const Applied &a : applied) {
		std::string_view id = id_of(a);
		int i = g.find(id);
		if (i < 0)
			unknown.emplace_back(id);
		else if (!mark[static_cast<std::size_t>(i)]) {
			mark[static_cast<std::size_t>(i)] = 1;
			known.push_back(i);
		}
	}
	std::vector<std::string> out = g.ids_of(g.heads_of(mark, known));
	// Unknown ids are kept as heads, merged into the sorted list.
	std::sort(unknown.begin(), unknown.end());
	unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
	std::size_t mid = out.size();
	out.insert(out.end(), unknown.begin(), unknown.end());
	std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mid), out.end());
	return out;
}

}  // namespace

std::vector<std::string>
RevisionGraph::version_heads(const std::vector<std::string> &applied) const
{
	return version_heads_of(*impl_, applied, [](const std::string &id) -> std::string_view { return id; });
}

std::vector<std::string>
RevisionGraph::current_heads(const std::vector<AppliedRevision> &applied) const
{
	return version_heads_of(*impl_, applied, [](const AppliedRevision &a) -> std::string_view { return a.id; });
}

VersionHeads::VersionHeads(const RevisionGraph &graph, const std::vector<std::string> &applied)
	: graph_(&graph), marked_(graph.size(), 0), referrers_(graph.size(), 0)
{
	const RevisionGraph::Impl &g = graph.impl();
	std::vector<int> known;
	for (const std::string &id : applied) {
		int i = g.find(id);
		if (i < 0)
			heads_.insert(id);
		else if (!marked_[static_cast<std::size_t>(i)]) {
			marked_[static_cast<std::size_t>(i)] = 1;
			known.push_back(i);
		}
	}
	for (int w : known)
		for (const int *d = g.down.begin(w); d != g.down.end(w); ++d)
			if (marked_[static_cast<std::size_t>(*d)])
				referrers_[static_cast<std::size_t>(*d)]++;
	for (int v : known)
		if (referrers_[static_cast<std::size_t>(v)] == 0)
			heads_.insert(g.id(v));
}

void
VersionHeads::add(const std::string &id)
{
	const RevisionGraph::Impl &g = graph_->impl();
	int i = g.find(id);
	if (i < 0) {
		heads_.insert(id);
		return;
	}
	const auto v = static_cast<std::size_t>(i);
	if (marked_[v])
		return;
	marked_[v] = 1;
	int named = 0;
	for (const int *w = g.up.begin(i); w != g.up.end(i); ++w)
		named += marked_[static_cast<std::size_t>(*w)] ? 1 : 0;
	referrers_[v] = named;
	for (const int *d = g.down.begin(i); d != g.down.end(i); ++d)
		if (marked_[static_cast<std::size_t>(*d)] && referrers_[static_cast<std::size_t>(*d)]++ == 0)
			heads_.erase(g.id(*d));
	if (named == 0)
		heads_.insert(id);
}

void
VersionHeads::remove(const std::string &id)
{
	const RevisionGraph::Impl &g = graph_->impl();
	int i = g.find(id);
	if (i < 0) {
		heads_.erase(id);
		return;
	}
	const auto v = static_cast<std::size_t>(i);
	if (!marked_[v])
		return;
	marked_[v] = 0;
	heads_.erase(id);
	for (const int *d = g.down.begin(i); d != g.down.end(i); ++d)
		if (marked_[static_cast<std::size_t>(*d)] && --referrers_[static_cast<std::size_t>(*d)] == 0)
			heads_.insert(g.id(*d));
}

std::vector<std::string>
VersionHeads::heads() const
{
	return std::vector<std::string>(heads_.begin(), heads_.end());
}

}  // namespace pfm::core
