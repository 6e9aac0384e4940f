// show, branches, heads and history ranges, after Alembic 1.8 command.py (show, branches,
// heads, history) and script/revision.py (_collect_upgrade_revisions as walk_revisions calls
// it: inclusive, no implicit base, walks that stop at the end of the graph).
//
// Where history differs from Alembic (test/differential/alembic_diff.py classes):
//  - a start of -N / label@-N whose walk reaches base on some head counts N below the end
//    when the end is one plain revision (Alembic's fallback), else starts at base; Alembic
//    takes that fallback only when its first head passes base, and otherwise refuses (a range
//    error when a walk lands exactly on base, "can't locate 'heads'" for an end that is not a
//    revision) or fails (AssertionError);
//  - ends that overlap (label@heads where one head depends on another) are taken together, as
//    upgrades do (Alembic: "overlaps with other requested revisions");
//  - where Alembic fails internally (rev-N down to base as the end, a start of rev@x for a
//    revision with no or several labels) the obvious result.
#include <algorithm>

#include "core/inspect.hpp"
#include "core/resolve_internal.hpp"

namespace pfm::core {

using detail::kBase;
using detail::kNone;
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

// The current heads of the recorded applied set (the version rows), sorted by id. Drift does
// not matter for looking; an applied revision that is not registered does.
std::vector<int>
current_heads(const Impl &g, const std::vector<AppliedRevision> &applied)
{
	std::vector<char> mark(g.revs.size(), 0);
	std::vector<int> list;
	std::vector<std::string> unknown;
	for (const AppliedRevision &a : applied) {
		int i = g.find(a.id);
		if (i < 0)
			unknown.push_back(a.id);
		else if (!mark[u(i)]) {
			mark[u(i)] = 1;
			list.push_back(i);
		}
	}
	if (!unknown.empty()) {
		std::sort(unknown.begin(), unknown.end());
		unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
		throw Error(ErrorKind::unknown_applied, "applied revision " + quoted(unknown.front()) + " is not registered",
		            unknown.size() > 1 ? "Applied revisions missing from the catalog: " + join(unknown) + "." : "",
		            "Register the revision again, or use pfm_stamp(target, purge => true) to forget it.", unknown);
	}
	return g.heads_of(mark, list);
}

RevisionInfo
describe(const Impl &g, int v)
{
	const Revision &r = g.revs[u(v)];
	RevisionInfo info;
	info.id = r.id;
	info.parents = r.parents;
	info.depends_on = r.depends_on;
	for (std::string_view d : r.depends_on) {
		int j = g.find_key(d);
		if (j >= 0)
			info.depends_on_ids.push_back(g.id(j));
	}
	// up(v) lists children, then dependants, each in id order.
	for (const int *c = g.up.begin(v); c != g.up.end(v); ++c)
		(c < g.children_end(v) ? info.children : info.dependants).push_back(g.id(*c));
	info.branch_labels = r.branch_labels;
	info.branch_names = g.branch_names(v);
	info.message = r.message;
	info.is_base = r.parents.empty();
	info.is_head = g.n_children[u(v)] == 0;
	info.is_effective_head = info.is_head && g.up.degree(v) > 0;
	info.is_branch_point = g.n_children[u(v)] > 1;
	info.is_merge_point = r.parents.size() > 1;
	return info;
}

// What history's start "x@..." keeps of the ends (Alembic: the ends whose branch names hold
// x; x a revision id stands for its one branch name).
std::vector<char>
branch_members(const Impl &g, const Resolver &r, const std::string &x)
{
	auto label = g.by_label.find(std::string_view(x));
	if (label != g.by_label.end())
		return g.label_members(label->second);
	int rev = r.branch(x);
	if (g.find(x) == rev) {
		std::vector<std::string> names = g.branch_names(rev);
		if (names.size() == 1)
			return g.label_members(g.by_label.at(std::string_view(names.front())));
	}
	// A revision with no or several branch names (Alembic: AssertionError), or a prefix: the
	// branch holding it, as rev@head means elsewhere.
	return r.lineage({rev}, false);
}

Error
range_error(const std::string &start, const std::string &end, const std::string &detail)
{
	return Error(ErrorKind::invalid_target,
	             "requested range " + start + ":" + end +
	                 " does not refer to ancestor/descendant revisions along the same branch",
	             detail, "The start of a history range must be an ancestor of its end.");
}

const char *const kRangeHint = "A range is start:end; base:heads is everything, rev: from a revision, :rev up to one.";

}  // namespace

std::vector<RevisionInfo>
show_revisions(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &revision)
{
	const Impl &g = graph.impl();
	std::vector<int> picks;
	if (revision == "current") {
		picks = current_heads(g, applied);
	} else {
		Target t = detail::parse_target(g, revision);
		if (t.kind == Target::Kind::relative)
			throw Error(ErrorKind::invalid_argument, "show needs an absolute revision, not " + quoted(t.text), {},
			            "Name the revision, or use current, head, heads or label@head.");
		Resolver r(g, t);
		if (t.kind != Target::Kind::base)
			picks = r.resolve_symbol(t.symbol, r.target_branch(), t.label);
	}
	std::vector<RevisionInfo> out;
	out.reserve(picks.size());
	for (int v : picks)
		out.push_back(describe(g, v));
	return out;
}

std::vector<BranchPoint>
branch_points(const RevisionGraph &graph)
{
	const Impl &g = graph.impl();
	std::vector<BranchPoint> out;
	for (auto it = g.topo.rbegin(); it != g.topo.rend(); ++it) {
		if (g.n_children[u(*it)] < 2)
			continue;
		BranchPoint bp;
		bp.id = g.id(*it);
		for (const int *c = g.children_begin(*it); c != g.children_end(*it); ++c)
			bp.children.push_back(g.id(*c));
		out.push_back(std::move(bp));
	}
	return out;
}

std::vector<std::string>
list_heads(const RevisionGraph &graph, bool resolve_dependencies)
{
	const Impl &g = graph.impl();
	return g.ids_of(resolve_dependencies ? g.real_heads : g.vheads);
}

std::vector<std::string>
history_range(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &range_text)
{
	const Impl &g = graph.impl();
	// Alembic: rev_range.strip().split(":")
	std::size_t first = range_text.find_first_not_of(" \t\r\n");
	std::size_t last = range_text.find_last_not_of(" \t\r\n");
	std::string range = first == std::string::npos ? std::string() : range_text.substr(first, last - first + 1);
	std::size_t colon = range.find(':');
	if (colon == std::string::npos || range.find(':', colon + 1) != std::string::npos)
		throw Error(ErrorKind::invalid_argument, "history range requires [start]:[end], [start]:, or :[end]",
		            "Range given: " + quoted(range_text) + ".", kRangeHint);
	g.refuse_global_problems();
	const std::string start_text = range.substr(0, colon);
	const std::string end_text = range.substr(colon + 1);

	// current: the version rows; with nothing applied, base or heads (Alembic: `base or "base"`).
	// Alembic replaces only one side (the end if both say current).
	const bool end_current = end_text == "current";
	const bool start_current = !end_current && start_text == "current";
	if (end_current && start_text == "current")
		throw Error(ErrorKind::unknown_revision, "can't locate revision identified by 'current'", {},
		            "Use current on one side of the range only.", {"current"});
	std::vector<int> cur;
	if (end_current || start_current)
		cur = current_heads(g, applied);
	const std::string start_shown = start_text.empty() || (start_current && cur.empty()) ? "base" : start_text;
	const std::string end_shown = end_text.empty() || (end_current && cur.empty()) ? "heads" : end_text;

	// The start (Alembic's lower): revisions, or base (none).
	const Target lower = detail::parse_target(g, start_current && !cur.empty() ? "base" : start_shown);
	const Resolver lr(g, lower);
	std::vector<int> starts;
	bool start_relative = false;
	if (start_current && !cur.empty()) {
		starts = cur;
	} else if (lower.kind == Target::Kind::relative) {
		if (lower.upward || !lower.symbol.empty())
			throw Error(ErrorKind::invalid_argument, "history range cannot start at " + quoted(lower.text),
			            "A range starts at base, current, a revision, -N or label@-N.", kRangeHint);
		start_relative = true;  // resolved below: it walks down from the heads
	} else if (lower.kind != Target::Kind::base) {
		starts = lr.resolve_symbol(lower.symbol, lr.target_branch(), lower.label);
	}

	const Target upper = detail::parse_target(g, end_current && !cur.empty() ? "heads" : end_shown);
	const Resolver ur(g, upper);
	if (start_relative) {
		// -N / label@-N: N below every head (Alembic get_revisions: the real heads, on the
		// branch). Where a walk reaches base: N below the end when the end is one plain revision
		// (Alembic's fallback, _parse_downgrade_target from the end), else from base.
		std::vector<int> heads = g.real_heads;
		std::vector<char> members;
		if (lower.has_label) {
			members = branch_members(g, lr, lower.label);
			heads.erase(std::remove_if(heads.begin(), heads.end(), [&members](int h) { return !members[u(h)]; }),
			            heads.end());
		}
		bool reaches_base = false;
		for (int h : heads) {
			int pos = lr.walk(h, -lower.steps, nullptr, true);  // every walk: any may be ambiguous
			reaches_base = reaches_base || pos < 0;
			starts.push_back(pos);  // two heads N above one revision name it twice, as in Alembic
		}
		if (reaches_base) {
			starts.clear();
			int end = -1;
			if (end_current && cur.size() == 1)
				end = cur.front();
			else if (!end_current && upper.kind == Target::Kind::literal && !upper.has_label)
				end = ur.get_revision(upper.symbol, -1, {});
			if (end >= 0 && (!lower.has_label || lr.lineage({end}, false)[u(lr.branch(lower.label))])) {
				int pos = lr.walk(end, -lower.steps, nullptr, true);
				if (pos >= 0)
					starts.push_back(pos);
			}
		}
	}

	// The end (Alembic's upper, _parse_upgrade_target with no_overwalk=False).
	const int ubranch = ur.target_branch();
	std::vector<int> ends;
	if (end_current && !cur.empty()) {
		ends = cur;
	} else if (upper.kind != Target::Kind::relative) {
		ends = ur.resolve_symbol(upper.symbol, ubranch, upper.label);
	} else {
		const std::vector<char> *lin = ubranch >= 0 ? &ur.branch_lineage(ubranch) : nullptr;
		int pos;
		if (upper.upward && upper.symbol.empty()) {
			// +N / label@+N: up from the start.
			// Alembic walks from -N only on a branch (label@+N: it resolves the start with
			// get_revisions); plain +N takes -N for a revision id it cannot find.
			if (start_relative && ubranch < 0)
				throw Error(ErrorKind::invalid_argument, "history range cannot walk " + upper.relative + " from " +
				                                             quoted(lower.text),
				            "A relative end counts from a revision, from base, or on a branch (label@+N).", kRangeHint);
			std::vector<int> below;
			g.reach(starts, Edges::parents_and_deps, [](int) { return true; }, &below);
			std::vector<int> from = ur.upward_start(starts, below, lin);
			if (from.size() > 1) {
				std::vector<std::string> ids = g.sorted_ids(from);
				throw Error(ErrorKind::invalid_target, "ambiguous upgrade from multiple current revisions",
				            "The range starts at " + join(ids) + ".", "Start the range at one revision.", ids);
			}
			pos = ur.walk(from.empty() ? kNone : from.front(), upper.steps, lin, true);
		} else if (upper.upward || upper.steps == 0) {
			pos = ur.walk(ur.get_revision(upper.symbol, -1, {}), upper.steps, lin, true);
		} else if (upper.symbol.empty()) {
			throw Error(ErrorKind::invalid_target,
			            "relative revision " + upper.relative + " didn't produce " + std::to_string(upper.steps) +
			                " migrations",
			            "The end of a history range cannot count down from the current state.", kRangeHint);
		} else {
			pos = ur.walk(ur.get_revision(upper.symbol, ubranch, upper.label), -upper.steps, nullptr, true);
		}
		if (pos >= 0)  // walking down to base leaves nothing (Alembic: AssertionError)
			ends.push_back(pos);
	}

	if (lower.has_label && !(start_current && !cur.empty())) {
		std::vector<char> members = branch_members(g, lr, lower.label);
		ends.erase(std::remove_if(ends.begin(), ends.end(), [&members](int e) { return !members[u(e)]; }), ends.end());
	}

	// Everything below the ends, above (and including) the start.
	std::vector<int> required;
	std::vector<char> in_required = g.reach(ends, Edges::parents_and_deps, [](int) { return true; }, &required);
	for (int s : starts)
		if (!in_required[u(s)])
			throw range_error(start_shown, end_shown,
			                  "Revision " + g.id(s) + " is not an ancestor of " +
			                      (ends.empty() ? std::string("the end") : join(g.ids_of(ends))) + ".");
	std::vector<char> is_start(g.revs.size(), 0);
	for (int s : starts)
		is_start[u(s)] = 1;
	std::vector<char> below = g.reach(starts, Edges::parents_and_deps);
	std::vector<char> above;
	if (!starts.empty())
		above = g.reach(starts, Edges::children);
	std::vector<int> out;
	for (int v : required)
		if ((is_start[u(v)] || !below[u(v)]) && (above.empty() || above[u(v)]))
			out.push_back(v);
	g.order(out, true);
	return g.ids_of(out);
}

}  // namespace pfm::core
