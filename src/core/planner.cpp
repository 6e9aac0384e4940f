// Planning with Alembic 1.8 semantics (script/revision.py _parse_upgrade_target,
// _parse_downgrade_target, _collect_upgrade_revisions, _collect_downgrade_revisions;
// script/base.py _stamp_revs), on index vectors: every plan is linear in the graph size.
//
// Deliberate differences from Alembic (SPEC §6 and choices of ours), each checked by
// test/differential/alembic_diff.py as an expected-difference class:
//  - `-N` with several current heads: error naming the heads (Alembic warns, picks one).
//  - Ambiguous prefix: ambiguous_revision listing every candidate (Alembic: "can't
//    locate"); a prefix matching an id and a label of the same revision is not ambiguous.
//  - Where Alembic fails internally: `label@-N` with no (or several) current heads on the
//    branch -> clear error; `rev+N` past a head -> "walked too far"; `rev-N` down to base as
//    an upgrade target -> nothing to do; no version-row bookkeeping can fail, because
//    heads_after is derived from the applied set (never a redundant row).
//  - `upgrade label@heads` where one head depends on another: upgrade to all (Alembic:
//    "overlaps with other requested revisions").
//  - `downgrade label@X`: X is resolved inside the branch as for upgrades (Alembic ignores
//    the label there: label@head means the global head, label@rev is not membership-checked).
//  - `stamp heads` / `label@heads`: each destination replaces only the current heads related
//    to it (Alembic may drop the head of an unrelated branch).
//  - Ids may contain '-': a text that is a registered id or label is never read as rev-N.
//  - Relative targets are refused by stamp (as in Alembic) with invalid_argument.
#include <algorithm>

#include "core/planner.hpp"
#include "core/resolve_internal.hpp"

namespace pfm::core {

using detail::kBase;
using detail::kNone;
using detail::kOverwalk;
using detail::Resolver;
using detail::Target;

namespace {

using Impl = RevisionGraph::Impl;
using Edges = Impl::Edges;

std::size_t
u(int i)
{
	return static_cast<std::size_t>(i);
}

// The applied set as indices (every id known, no drift).
struct AppliedSet {
	std::vector<char> applied;
	std::vector<int> list;
	std::vector<int> heads;  // version heads, sorted by id
};

[[noreturn]] void throw_state_error(const Impl &g, const std::vector<AppliedRevision> &applied);

// check_state and the applied set as indices, in one pass over the applied rows.
AppliedSet
index_applied_set(const Impl &g, const std::vector<AppliedRevision> &applied)
{
	AppliedSet s;
	s.applied.assign(g.revs.size(), 0);
	s.list.reserve(applied.size());
	for (const AppliedRevision &a : applied) {
		int i = g.find(a.id);
		if (i < 0 || a.checksum != g.revs[u(i)].checksum)
			throw_state_error(g, applied);
		if (!s.applied[u(i)]) {
			s.applied[u(i)] = 1;
			s.list.push_back(i);
		}
	}
	s.heads = g.heads_of(s.applied, s.list);
	return s;
}

// What every plan starts from: a graph without cycles or duplicate labels (a dangling
// reference only blocks the plans that touch it: each plan calls refuse_dangling), a known
// and undrifted applied set, the parsed target and its resolver.
struct PlanContext {
	const Impl &g;
	AppliedSet s;
	Target t;
	Resolver r;

	PlanContext(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target)
		: g((graph.impl().refuse_global_problems(), graph.impl())), s(index_applied_set(g, applied)),
		  t(detail::parse_target(g, target)),
		  r(g, t)
	{
	}
	PlanContext(const PlanContext &) = delete;
	PlanContext &operator=(const PlanContext &) = delete;

	// The version rows once `after` (marked) / `list` is the applied set.
	std::vector<std::string> heads_after(const std::vector<char> &after, const std::vector<int> &list) const
	{
		return g.ids_of(g.heads_of(after, list));
	}
};

std::string
heads_text(const Impl &g, const std::vector<int> &heads)
{
	return heads.empty() ? std::string("none (base)") : join(g.ids_of(heads));
}

Error
relative_error(const Target &t, ErrorKind kind, std::string detail, std::string hint)
{
	return Error(kind, "relative revision " + t.relative + " didn't produce " + std::to_string(t.steps) + " migrations",
	             std::move(detail), std::move(hint));
}

Error
walked_too_far(const Target &t)
{
	return Error(ErrorKind::invalid_target, "walked too far",
	             "Target " + quoted(t.text) + " goes past the end of the revision graph.", {});
}

// The revisions an upgrade must reach (Alembic _parse_upgrade_target).
std::vector<int>
upgrade_targets(const PlanContext &c)
{
	const Impl &g = c.g;
	const Resolver &r = c.r;
	const Target &t = c.t;
	const int branch = r.target_branch();
	if (t.kind != Target::Kind::relative)
		// Alembic rejects label@heads when one head depends on another ("overlaps"); we take them all.
		return r.resolve_symbol(t.symbol, branch, t.label);

	if (t.upward && t.steps > 0) {
		if (t.symbol.empty()) {
			// +N / label@+N: walk up from the single current head (on the branch).
			const std::vector<char> *lin = branch >= 0 ? &r.branch_lineage(branch) : nullptr;
			std::vector<int> start = r.upward_start(c.s.heads, c.s.list, lin);
			if (start.size() > 1) {
				std::vector<std::string> ids = g.sorted_ids(start);
				throw Error(ErrorKind::invalid_target, "ambiguous upgrade from multiple current revisions",
				            "Current heads: " + join(ids) + ".", "Use label@+N or rev+N to say which branch to move.", ids);
			}
			int rev = r.walk(start.empty() ? kNone : start.front(), t.steps, lin);
			if (rev == kOverwalk)
				throw relative_error(t, ErrorKind::invalid_target,
				                     "Fewer than " + std::to_string(t.steps) + " revisions follow the current state (" +
				                         heads_text(g, c.s.heads) + ").",
				                     {});
			return {rev};
		}
		// rev+N / label@rev+N: walk up from rev (Alembic resolves rev without the label).
		int start = r.get_revision(t.symbol, -1, {});
		int rev = r.walk(start, t.steps, branch >= 0 ? &r.branch_lineage(branch) : nullptr);
		if (rev == kOverwalk)  // Alembic: AssertionError (SPEC §6)
			throw walked_too_far(t);
		return {rev};
	}

	// -N, +0, rev-N, rev+0
	if (t.symbol.empty())
		throw Error(ErrorKind::invalid_target,
		            "relative revision " + t.relative + " didn't produce " + std::to_string(t.steps) + " migrations",
		            "An upgrade cannot go down.", "To revert revisions, use pfm_downgrade(" + t.relative + ").");
	int start = r.get_revision(t.symbol, branch, t.label);
	int rev = r.walk(start, t.upward ? 0 : -t.steps, nullptr);
	if (rev == kOverwalk)  // Alembic: AssertionError (SPEC §6)
		throw walked_too_far(t);
	if (rev < 0)  // walked down to base: nothing to upgrade (Alembic: AssertionError)
		return {};
	return {rev};
}

struct DowngradeTarget {
	int branch = -1;  // revision whose ancestors limit the roots when there are several
	int rev = kNone;  // kNone / kBase = base
};

// Where -N / label@-N starts: the single current head (of the branch), or, with none on the
// branch, the branch tips of the applied set (parent edges only, as Alembic's _get_all_current).
DowngradeTarget
downward_walk_start(const PlanContext &c)
{
	const Impl &g = c.g;
	const AppliedSet &s = c.s;
	const Target &t = c.t;
	const int branch = c.r.target_branch();
	if (branch < 0) {
		if (s.heads.empty())
			throw relative_error(t, ErrorKind::invalid_target, "Nothing is applied.", {});
		if (s.heads.size() > 1) {
			// SPEC §6: Alembic warns and picks the first version row.
			std::vector<std::string> ids = g.ids_of(s.heads);
			throw Error(ErrorKind::invalid_target, "downgrade " + t.relative + " from multiple heads is ambiguous",
			            "Current heads: " + join(ids) + ".",
			            "Name the branch: 'label@" + t.relative + "' or '" + ids.front() + t.relative + "'.", ids);
		}
		return {s.heads.front(), s.heads.front()};
	}
	const std::vector<char> &lin = c.r.branch_lineage(branch);
	std::vector<int> cands;
	for (int h : s.heads)
		if (lin[u(h)])
			cands.push_back(h);
	if (cands.empty()) {
		for (int v : s.list) {
			if (!lin[u(v)])
				continue;
			bool has_child = false;
			for (const int *ch = g.children_begin(v); ch != g.children_end(v) && !has_child; ++ch)
				has_child = s.applied[u(*ch)] != 0;
			if (!has_child)
				cands.push_back(v);
		}
	}
	if (cands.empty())  // Alembic: AssertionError (SPEC §6)
		throw relative_error(t, ErrorKind::invalid_target, "No revision of branch " + t.label + " is applied.", {});
	if (cands.size() > 1) {  // Alembic: AssertionError (SPEC §6)
		std::vector<std::string> ids = g.sorted_ids(cands);
		throw Error(ErrorKind::invalid_target, "downgrade " + t.text + " is ambiguous",
		            "Branch " + t.label + " has several current heads: " + join(ids) + ".",
		            "Name the revision to go down from, e.g. '" + ids.front() + t.relative + "'.", ids);
	}
	return {branch, cands.front()};
}

// Alembic _parse_downgrade_target.
DowngradeTarget
downgrade_target(const PlanContext &c)
{
	const Resolver &r = c.r;
	const Target &t = c.t;
	const int branch = r.target_branch();
	if (t.kind != Target::Kind::relative) {
		// Alembic resolves the part after '@' without the label (so label@head means the
		// global head); we resolve it inside the branch, as for upgrades.
		return {branch, t.kind == Target::Kind::base ? kNone : r.get_revision(t.symbol, branch, t.label)};
	}
	if (t.upward || t.steps == 0) {
		if (t.symbol.empty())
			throw relative_error(t, ErrorKind::invalid_target, "A downgrade cannot go up.",
			                     "To apply revisions, use pfm_upgrade(" + t.relative + ").");
		int start = r.get_revision(t.symbol, -1, {});
		int rev = r.walk(start, t.steps, branch >= 0 ? &r.branch_lineage(branch) : nullptr);
		if (rev == kOverwalk)
			throw walked_too_far(t);
		return {branch, rev};
	}
	if (!t.symbol.empty()) {
		// rev-N / label@rev-N
		int start = r.get_revision(t.symbol, branch, t.label);
		int rev = r.walk(start, -t.steps, nullptr);
		if (rev == kOverwalk)
			throw walked_too_far(t);
		return {branch, rev};
	}
	// -N / label@-N: walk down from the current head (of the branch).
	DowngradeTarget from = downward_walk_start(c);
	int rev = r.walk(from.rev, -t.steps, nullptr);
	if (rev == kOverwalk)
		throw relative_error(t, ErrorKind::invalid_target,
		                     "Fewer than " + std::to_string(t.steps) + " revisions lie below " + c.g.id(from.rev) + ".",
		                     {});
	return {from.branch, rev};
}

// Alembic _collect_downgrade_revisions: the roots of what a downgrade reverts are the
// target's children (every base for base), limited to the branch's ancestors when there
// are several.
std::vector<int>
downgrade_roots(const PlanContext &c, const DowngradeTarget &d)
{
	const Impl &g = c.g;
	std::vector<int> roots;
	if (d.rev < 0)
		roots = g.bases;
	else
		roots.assign(g.children_begin(d.rev), g.children_end(d.rev));
	if (d.branch >= 0 && roots.size() > 1) {
		std::vector<char> anc = g.reach({d.branch}, Edges::parents);
		roots.erase(std::remove_if(roots.begin(), roots.end(), [&anc](int v) { return !anc[u(v)]; }), roots.end());
		if (roots.empty())
			throw Error(ErrorKind::invalid_target, "not a valid downgrade target from current heads",
			            "Target " + quoted(c.t.text) + " lies outside branch " + g.id(d.branch) + ".", {});
	}
	return roots;
}

// Throws irreversible when a revision about to be reverted has no downgrade body.
void
refuse_irreversible(const PlanContext &c, const std::vector<int> &dropped)
{
	std::vector<std::string> irreversible;
	for (int v : dropped)
		if (!c.g.revs[u(v)].has_downgrade)
			irreversible.push_back(c.g.id(v));
	if (irreversible.empty())
		return;
	std::string detail = "Revision " + irreversible.front() + " has no downgrade body";
	if (irreversible.size() > 1)
		detail += "; neither have " + join(std::vector<std::string>(irreversible.begin() + 1, irreversible.end()));
	detail += ". Downgrading to " + quoted(c.t.text) + " would revert it.";
	throw Error(ErrorKind::irreversible, "cannot downgrade irreversible revision " + quoted(irreversible.front()), detail,
	            "An applied revision keeps its bodies: stamp below it with pfm_stamp() to forget it without running SQL, or write a new revision that undoes it.",
	            irreversible);
}

// The version rows after a stamp (Alembic _stamp_revs): which current heads the
// destinations replace, and the destinations themselves. `dests` empty = base.
std::vector<int>
stamp_rows(const PlanContext &c, const std::vector<int> &dests)
{
	const Impl &g = c.g;
	const AppliedSet &s = c.s;
	const int branch = c.r.target_branch();

	// Current heads sharing lineage (with dependencies) with the label or a destination;
	// all current heads when there is neither (plain "base").
	std::vector<int> shares = dests;
	if (branch >= 0)
		shares.push_back(branch);
	std::vector<char> filtered(g.revs.size(), 0);
	if (shares.empty()) {
		for (int h : s.heads)
			filtered[u(h)] = 1;
	} else {
		std::vector<char> lin = c.r.lineage(shares, true);
		for (int h : s.heads)
			if (lin[u(h)])
				filtered[u(h)] = 1;
	}

	std::vector<char> rows(g.revs.size(), 0);
	for (int h : s.heads)
		rows[u(h)] = 1;
	auto remove_filtered = [&](const std::vector<char> *only) {
		for (int h : s.heads)
			if (filtered[u(h)] && (!only || (*only)[u(h)]))
				rows[u(h)] = 0;
	};
	if (dests.empty()) {
		remove_filtered(nullptr);
	} else if (dests.size() == 1) {
		int dest = dests.front();
		if (!filtered[u(dest)]) {
			std::vector<char> related = c.r.lineage({dest}, true);
			bool any = false;
			for (int h : s.heads)
				any = any || (filtered[u(h)] && related[u(h)]);
			if (any)  // Alembic: one stamp step from every filtered head to dest
				remove_filtered(nullptr);
			rows[u(dest)] = 1;
		}
	} else {
		// Several destinations (heads, label@heads): each replaces the filtered heads it is
		// related to. (Alembic replaces every filtered head per destination and can lose a
		// head of an unrelated branch.)
		std::vector<int> fresh;
		for (int dest : dests)
			if (!filtered[u(dest)])
				fresh.push_back(dest);
		if (!fresh.empty()) {
			std::vector<char> related = c.r.lineage(fresh, true);
			remove_filtered(&related);
		}
		for (int dest : dests)
			rows[u(dest)] = 1;
	}

	std::vector<int> row_list;
	for (int h : s.heads)
		if (rows[u(h)] == 1) {
			rows[u(h)] = 2;  // listed
			row_list.push_back(h);
		}
	for (int dest : dests)
		if (rows[u(dest)] == 1) {
			rows[u(dest)] = 2;
			row_list.push_back(dest);
		}
	return row_list;
}

// Unknown applied revisions first, then drift; each error names every revision involved.
void
throw_state_error(const Impl &g, const std::vector<AppliedRevision> &applied)
{
	std::vector<std::string> unknown;
	std::vector<const AppliedRevision *> drifted;
	for (const AppliedRevision &a : applied) {
		int i = g.find(a.id);
		if (i < 0)
			unknown.push_back(a.id);
		else if (a.checksum != g.revs[u(i)].checksum)
			drifted.push_back(&a);
	}
	if (!unknown.empty()) {
		std::sort(unknown.begin(), unknown.end());
		unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
		std::string detail;
		if (unknown.size() > 1)
			detail = "Applied revisions missing from the catalog: " + join(unknown) + ".";
		throw Error(ErrorKind::unknown_applied, "applied revision " + quoted(unknown.front()) + " is not registered", detail,
		            "Register the revision again, or use pfm_stamp(target, purge => true) to forget it.", unknown);
	}
	if (!drifted.empty()) {
		std::sort(drifted.begin(), drifted.end(),
		          [](const AppliedRevision *a, const AppliedRevision *b) { return a->id < b->id; });
		const AppliedRevision &first = *drifted.front();
		std::string detail =
			"Checksum as applied: " + first.checksum + "; registered: " + g.revs[u(g.find(first.id))].checksum + ".";
		std::vector<std::string> ids;
		for (const AppliedRevision *a : drifted)
			ids.push_back(a->id);
		ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
		if (ids.size() > 1)
			detail += " Other revisions changed since they were applied: " +
			          join(std::vector<std::string>(ids.begin() + 1, ids.end())) + ".";
		throw Error(ErrorKind::drift, "revision " + quoted(first.id) + " changed since it was applied", detail,
		            "Restore the registered bodies as they were applied, or register the change as a new revision.", ids);
	}
	throw Error(ErrorKind::internal, "applied state check failed without a finding");
}

}  // namespace

Plan
plan_upgrade(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target)
{
	PlanContext c(graph, applied, target);
	const Impl &g = c.g;
	// Every unapplied ancestor of the targets (parents and depends_on), inclusive.
	std::vector<int> reached;
	g.reach(upgrade_targets(c), Edges::parents_and_deps, [](int) { return true; }, &reached);
	g.refuse_dangling({&reached});  // the steps are a subset of the target's ancestry
	std::vector<int> needs;
	for (int v : reached)
		if (!c.s.applied[u(v)])
			needs.push_back(v);
	g.order(needs, false);

	Plan plan;
	plan.steps.reserve(needs.size());
	for (int v : needs)
		plan.steps.push_back({g.id(v), Direction::upgrade, v});
	std::vector<char> after = c.s.applied;
	std::vector<int> list = c.s.list;
	for (int v : needs) {
		after[u(v)] = 1;
		list.push_back(v);
	}
	plan.heads_after = c.heads_after(after, list);
	return plan;
}

Plan
plan_downgrade(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target)
{
	PlanContext c(graph, applied, target);
	const Impl &g = c.g;
	const AppliedSet &s = c.s;
	DowngradeTarget d = downgrade_target(c);

	// Drop: applied descendants of the roots, through children and dependants. The applied
	// set is ancestor-closed, so the walk never needs to cross an unapplied revision.
	std::vector<int> dropped;
	std::vector<char> drop = g.reach(
		downgrade_roots(c, d), Edges::children_and_dependants, [&s](int v) { return s.applied[u(v)] != 0; }, &dropped);
	if (d.rev >= 0 && dropped.empty() && std::find(s.heads.begin(), s.heads.end(), d.rev) == s.heads.end()) {
		std::string why = s.applied[u(d.rev)]
		                      ? "Revision " + g.id(d.rev) +
		                            " is applied only as a dependency of another branch; downgrade that branch instead."
		                      : "Revision " + g.id(d.rev) + " is not applied.";
		throw Error(ErrorKind::invalid_target,
		            "destination " + c.t.text + " is not a valid downgrade target from current head(s)",
		            why + " Current heads: " + heads_text(g, s.heads) + ".", {}, {g.id(d.rev)});
	}
	if (g.any_dangling) {
		std::vector<int> kept;  // the target's ancestry
		if (d.rev >= 0)
			g.reach({d.rev}, Edges::parents_and_deps, [](int) { return true; }, &kept);
		g.refuse_dangling({&dropped, &kept});
	}
	g.order(dropped, true);
	refuse_irreversible(c, dropped);

	Plan plan;
	plan.steps.reserve(dropped.size());
	for (int v : dropped)
		plan.steps.push_back({g.id(v), Direction::downgrade, v});
	std::vector<char> after = s.applied;
	std::vector<int> list;
	list.reserve(s.list.size());
	for (int v : s.list)
		if (drop[u(v)])
			after[u(v)] = 0;
		else
			list.push_back(v);
	plan.heads_after = c.heads_after(after, list);
	return plan;
}

namespace {

// Destinations of a stamp (Alembic get_revisions(revision)); none = base.
std::vector<int>
stamp_destinations(const PlanContext &c)
{
	const Target &t = c.t;
	if (t.kind == Target::Kind::relative)
		throw Error(ErrorKind::invalid_argument, "stamp needs an absolute target, not " + quoted(t.text), {},
		            "Name the revision, or use head, heads, base or label@head.");
	if (t.kind == Target::Kind::base)
		return {};
	return c.r.resolve_symbol(t.symbol, c.r.target_branch(), t.label);
}

// The stamp that makes the closure of `rows` the applied set: what to mark (what the
// applied set lacks) and unmark (what it has beyond), refused when it touches a revision
// with a dangling reference (marked, unmarked, or needed by a destination).
StampPlan
stamp_to(const PlanContext &c, const std::vector<int> &rows, const std::vector<int> &dests)
{
	const Impl &g = c.g;
	std::vector<char> after = g.reach(rows, Edges::parents_and_deps);
	std::vector<int> mark, unmark, after_list;
	for (int v = 0; v < g.size(); ++v) {
		if (after[u(v)]) {
			after_list.push_back(v);
			if (!c.s.applied[u(v)])
				mark.push_back(v);
		} else if (c.s.applied[u(v)]) {
			unmark.push_back(v);
		}
	}
	if (g.any_dangling) {
		std::vector<int> needed;
		g.reach(dests, Edges::parents_and_deps, [](int) { return true; }, &needed);
		g.refuse_dangling({&mark, &unmark, &needed});
	}
	g.order(mark, false);
	g.order(unmark, true);
	StampPlan plan;
	plan.mark = g.ids_of(mark);
	plan.unmark = g.ids_of(unmark);
	plan.heads_after = c.heads_after(after, after_list);
	return plan;
}

}  // namespace

StampPlan
plan_stamp(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target)
{
	PlanContext c(graph, applied, target);
	std::vector<int> dests = stamp_destinations(c);
	return stamp_to(c, stamp_rows(c, dests), dests);
}

StampPlan
plan_stamp_purge(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target)
{
	// Alembic `stamp --purge`: the version table is emptied, then the destinations are
	// stamped from base, so the recorded state is never read (it may name revisions that no
	// longer exist, or changed since they were applied).
	PlanContext c(graph, {}, target);
	const Impl &g = c.g;
	std::vector<int> dests = stamp_destinations(c);
	std::vector<int> rows;
	std::vector<char> seen(g.revs.size(), 0);
	for (int v : dests)
		if (!seen[u(v)]) {
			seen[u(v)] = 1;
			rows.push_back(v);
		}
	StampPlan plan = stamp_to(c, rows, dests);

	// Forget everything recorded: registered revisions newest first, then unknown ids sorted.
	std::vector<int> known;
	std::vector<std::string> unknown;
	std::fill(seen.begin(), seen.end(), 0);
	for (const AppliedRevision &a : applied) {
		int i = g.find(a.id);
		if (i < 0)
			unknown.push_back(a.id);
		else if (!seen[u(i)]) {
			seen[u(i)] = 1;
			known.push_back(i);
		}
	}
	g.order(known, true);
	std::sort(unknown.begin(), unknown.end());
	unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
	plan.unmark = g.ids_of(known);
	plan.unmark.insert(plan.unmark.end(), unknown.begin(), unknown.end());
	return plan;
}

void
check_state(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied)
{
	(void) index_applied_set(graph.impl(), applied);
}

const Revision *
step_revision(const RevisionGraph &graph, const Step &step)
{
	const std::vector<Revision> &revs = graph.revisions();
	if (step.node >= 0 && static_cast<std::size_t>(step.node) < revs.size() && revs[static_cast<std::size_t>(step.node)].id == step.revision)
		return &revs[static_cast<std::size_t>(step.node)];
	return graph.find(step.revision);
}

std::string
step_description(const RevisionGraph &graph, const Step &step)
{
	const Revision *r = step_revision(graph, step);
	std::string parents = r ? join(r->parents) : "";
	std::string text = step.direction == Direction::upgrade ? "Running upgrade " + parents + " -> " + step.revision
	                                                        : "Running downgrade " + step.revision + " -> " + parents;
	if (r && !r->message.empty())
		text += ", " + r->message;
	return text;
}

std::vector<Problem>
check_all(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied)
{
	const Impl &g = graph.impl();
	std::vector<Problem> out = graph.structural_problems();

	std::vector<std::string> unknown;
	std::vector<const AppliedRevision *> drifted;
	std::vector<char> is_applied(g.revs.size(), 0);
	for (const AppliedRevision &a : applied) {
		int i = g.find(a.id);
		if (i < 0) {
			unknown.push_back(a.id);
			continue;
		}
		if (a.checksum != g.revs[u(i)].checksum)
			drifted.push_back(&a);
		is_applied[u(i)] = 1;
	}
	std::sort(unknown.begin(), unknown.end());
	unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
	for (const std::string &id : unknown)
		out.push_back({"error", id, "applied revision " + quoted(id) + " is not registered"});
	std::sort(drifted.begin(), drifted.end(),
	          [](const AppliedRevision *a, const AppliedRevision *b) { return a->id < b->id; });
	for (const AppliedRevision *a : drifted)
		out.push_back({"error", a->id,
		               "revision " + quoted(a->id) + " changed since it was applied (checksum as applied " + a->checksum +
		                   ", registered " + graph.find(a->id)->checksum + ")"});

	for (int v : g.by_id_order) {
		if (!is_applied[u(v)])
			continue;
		for (const int *d = g.down.begin(v); d != g.down.end(v); ++d)
			if (!is_applied[u(*d)])
				out.push_back({"error", g.id(v),
				               "applied revision " + quoted(g.id(v)) + " needs " + quoted(g.id(*d)) +
				                   ", which is not applied"});
	}

	if (g.vheads.size() > 1) {
		std::vector<std::string> ids = g.ids_of(g.vheads);
		out.push_back({"warning", ids.front(),
		               "several heads are present (" + join(ids) + "); target 'head' is ambiguous until they are merged"});
	}
	for (int v : g.by_id_order)
		if (!g.revs[u(v)].has_downgrade)
			out.push_back({"notice", g.id(v), "revision " + quoted(g.id(v)) + " has no downgrade body and cannot be downgraded"});
	return out;
}

}  // namespace pfm::core
