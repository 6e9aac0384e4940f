// Shared by the libFuzzer targets: a revision list read from fuzz input, fixed generated
// graphs, and the planner's invariants checked on every plan. Only core::Error may leave
// the core; a broken invariant aborts, which libFuzzer reports as a crash.
//
// Revision list format, one revision a line (every field may be empty or hold any bytes):
//   id:parent,parent:depends_on,depends_on:label,label:flags
// flags: '!' no downgrade body, '*' applied, '~' applied with a checksum that drifted,
// '?' an applied revision "id?" that is not registered.
// A line ">text" is a target to plan; a line starting with '#' is a comment.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "core/graph.hpp"
#include "core/planner.hpp"

namespace pfm::fuzz {

using core::AppliedRevision;
using core::Revision;
using core::RevisionGraph;
using Strings = std::vector<std::string>;

[[noreturn]] inline void
fail(const std::string &what, const std::string &target)
{
	std::fprintf(stderr, "invariant broken: %s (target '%s')\n", what.c_str(), target.c_str());
	std::abort();
}

// Splits on `sep`, keeping empty items; an empty text is an empty list.
inline Strings
split(std::string_view text, char sep)
{
	Strings out;
	if (text.empty())
		return out;
	std::size_t start = 0;
	for (;;) {
		std::size_t p = text.find(sep, start);
		out.emplace_back(text.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
		if (p == std::string_view::npos)
			return out;
		start = p + 1;
	}
}

struct Input {
	std::vector<Revision> revisions;
	std::vector<AppliedRevision> applied;
	Strings targets;
};

inline std::string
checksum_of(const std::string &id)
{
	return "c-" + id;
}

inline Input
parse_revision_list(std::string_view text)
{
	Input in;
	for (const std::string &line : split(text, '\n')) {
		if (!line.empty() && line[0] == '#')
			continue;
		if (!line.empty() && line[0] == '>') {
			in.targets.push_back(line.substr(1));
			continue;
		}
		Strings f = split(line, ':');
		if (f.empty())
			continue;
		Revision r;
		r.id = f[0];
		if (f.size() > 1)
			r.parents = split(f[1], ',');
		if (f.size() > 2)
			r.depends_on = split(f[2], ',');
		if (f.size() > 3)
			r.branch_labels = split(f[3], ',');
		const std::string flags = f.size() > 4 ? f[4] : std::string();
		r.message = "m " + r.id;
		r.checksum = checksum_of(r.id);
		r.has_downgrade = flags.find('!') == std::string::npos;
		if (flags.find('*') != std::string::npos)
			in.applied.push_back({r.id, r.checksum});
		if (flags.find('~') != std::string::npos)
			in.applied.push_back({r.id, "drifted"});
		if (flags.find('?') != std::string::npos)  // recorded as applied, never registered (unless by chance)
			in.applied.push_back({r.id + "?", checksum_of(r.id + "?")});
		in.revisions.push_back(std::move(r));
	}
	return in;
}

// Ancestors (parents and depends_on, registered ones) of the applied ids, inclusive: the
// shape of an applied set in a sound database.
inline std::vector<AppliedRevision>
ancestor_closed(const RevisionGraph &g, const std::vector<AppliedRevision> &applied)
{
	std::set<std::string> seen;
	std::vector<std::string> todo;
	for (const AppliedRevision &a : applied)
		if (g.find(a.id) && seen.insert(a.id).second)
			todo.push_back(a.id);
	while (!todo.empty()) {
		const Revision *r = g.find(todo.back());
		todo.pop_back();
		for (const auto *list : {&r->parents, &r->depends_on})
			for (std::string_view p : *list)
				if (g.find(p) && seen.insert(std::string(p)).second)
					todo.emplace_back(p);
	}
	std::vector<AppliedRevision> out;
	for (const std::string &id : seen)
		out.push_back({id, g.find(id)->checksum});
	return out;
}

// --- fixed generated graphs -----------------------------------------------------------

inline Revision
rev(std::string id, Strings parents = {}, Strings deps = {}, Strings labels = {}, bool reversible = true)
{
	Revision r;
	r.id = std::move(id);
	r.parents = std::move(parents);
	r.depends_on = std::move(deps);
	r.branch_labels = std::move(labels);
	r.message = "m " + r.id;
	r.checksum = checksum_of(r.id);
	r.has_downgrade = reversible;
	return r;
}

// A deterministic pseudo-random DAG: each revision takes one or two earlier parents (or
// none: a new base), sometimes a dependency and a label.
inline std::vector<Revision>
generated_dag(int n, std::uint32_t seed)
{
	std::vector<Revision> out;
	auto next = [&seed] {
		seed = seed * 1664525u + 1013904223u;
		return seed >> 8;
	};
	for (int i = 0; i < n; ++i) {
		char id[16];
		std::snprintf(id, sizeof id, "%06x%02d", next() & 0xffffff, i % 100);
		Strings parents, deps, labels;
		if (i > 0 && next() % 8 != 0) {
			parents.push_back(out[next() % static_cast<std::uint32_t>(i)].id);
			if (next() % 6 == 0) {
				const std::string &p2 = out[next() % static_cast<std::uint32_t>(i)].id;
				if (p2 != parents.front())
					parents.push_back(p2);
			}
		}
		if (i > 1 && next() % 9 == 0)
			deps.push_back(out[next() % static_cast<std::uint32_t>(i)].id);
		if (next() % 17 == 0)
			labels.push_back("lab" + std::to_string(i));
		out.push_back(rev(id, parents, deps, labels, next() % 23 != 0));
	}
	return out;
}

inline std::vector<std::vector<Revision>>
fixed_revision_lists()
{
	return {
		// 0: the Alembic documentation graph: branch point, merge, labels, a second base with depends_on.
		{rev("aaaa1111"), rev("bbbb2222", {"aaaa1111"}), rev("cccc3333", {"aaaa1111"}, {}, {"cart"}),
		 rev("mmmm4444", {"bbbb2222", "cccc3333"}), rev("nnnn5555", {"mmmm4444"}), rev("xxxx6666", {}, {}, {"net"}),
		 rev("yyyy7777", {"xxxx6666"}, {"cccc3333"})},
		// 1: a linear chain of numbered revisions, as the example project has; one irreversible.
		{rev("0001"), rev("0002", {"0001"}), rev("0003", {"0002"}), rev("0004", {"0003"}, {}, {"v1"}),
		 rev("0005", {"0004"}, {}, {}, false), rev("0006", {"0005"}), rev("0007", {"0006"}), rev("0008", {"0007"}),
		 rev("0009", {"0008"}), rev("0010", {"0009"}), rev("0011", {"0010"}), rev("0012", {"0011"})},
		// 2: ids that look like relative targets, prefix collisions between ids and labels,
		//    short ids, a merge that also depends on its own ancestor.
		{rev("aaaa"), rev("aaaa-1", {"aaaa"}), rev("aaaa-2", {"aaaa-1"}), rev("abcd1234", {"aaaa"}, {}, {"abcdef"}),
		 rev("abcd5678", {"aaaa-2"}), rev("m.1", {"abcd1234", "abcd5678"}, {"aaaa-1"}), rev("1", {"m.1"}),
		 rev("12", {"1"}, {}, {"x-1", "head1"}), rev("base1", {"12"}), rev("heads2", {"base1"}, {}, {"abcd"})},
		// 3: three bases, several heads, a cross-branch dependency, labels on each branch.
		{rev("r1"), rev("r1a", {"r1"}, {}, {"one"}), rev("r1b", {"r1a"}), rev("r2", {}, {}, {"two"}),
		 rev("r2a", {"r2"}, {"r1a"}), rev("r2b", {"r2"}, {}, {}, false), rev("r3"),
		 rev("r3a", {"r3"}, {"r2a", "r1b"}, {"three"}), rev("r3b", {"r3a"}), rev("r3c", {"r3a"})},
		// 4: empty.
		{},
		// 5: a larger generated DAG.
		generated_dag(200, 12345u),
	};
}

// --- invariants of the planner ----------------------------------------------------------

inline std::set<std::string>
applied_ids(const std::vector<AppliedRevision> &applied)
{
	std::set<std::string> out;
	for (const AppliedRevision &a : applied)
		out.insert(a.id);
	return out;
}

inline bool
sorted_unique(const Strings &v)
{
	return std::adjacent_find(v.begin(), v.end(), [](const auto &a, const auto &b) { return !(a < b); }) == v.end();
}

inline void
expect_heads(const RevisionGraph &g, const std::set<std::string> &after, const Strings &heads_after,
             const std::string &what, const std::string &target)
{
	if (!sorted_unique(heads_after))
		fail(what + ": heads_after not sorted and unique", target);
	if (g.version_heads(Strings(after.begin(), after.end())) != heads_after)
		fail(what + ": heads_after differs from version_heads of the resulting set", target);
}

// Registered parents and dependencies of a revision.
inline Strings
needs_of(const RevisionGraph &g, const Revision &r)
{
	Strings out;
	for (const auto *list : {&r.parents, &r.depends_on})
		for (std::string_view p : *list)
			if (g.find(p))
				out.emplace_back(p);
	return out;
}

inline void
check_upgrade(const RevisionGraph &g, const std::vector<AppliedRevision> &applied, const core::Plan &p,
              const std::string &target)
{
	std::set<std::string> after = applied_ids(applied);
	for (const core::Step &s : p.steps) {
		const Revision *r = g.find(s.revision);
		if (!r || s.direction != core::Direction::upgrade)
			fail("upgrade step of an unknown revision or wrong direction", target);
		for (const std::string &need : needs_of(g, *r))
			if (!after.count(need))
				fail("upgrade step " + s.revision + " runs before " + need, target);
		if (!after.insert(s.revision).second)
			fail("upgrade step " + s.revision + " is applied already or listed twice", target);
	}
	expect_heads(g, after, p.heads_after, "upgrade", target);
}

inline void
check_downgrade(const RevisionGraph &g, const std::vector<AppliedRevision> &applied, const core::Plan &p,
                const std::string &target)
{
	const std::set<std::string> before = applied_ids(applied);
	std::set<std::string> after = before;
	std::map<std::string, std::size_t> position;
	for (const core::Step &s : p.steps) {
		if (!g.find(s.revision) || s.direction != core::Direction::downgrade)
			fail("downgrade step of an unknown revision or wrong direction", target);
		if (!g.find(s.revision)->has_downgrade)
			fail("downgrade step " + s.revision + " has no downgrade body", target);
		if (!after.erase(s.revision))
			fail("downgrade step " + s.revision + " is not applied or listed twice", target);
		const std::size_t k = position.size();
		position[s.revision] = k;
	}
	// Every applied revision that needs a reverted one is reverted, and before it.
	for (const std::string &id : before)
		for (const std::string &need : needs_of(g, *g.find(id))) {
			auto n = position.find(need);
			if (n == position.end())
				continue;
			auto r = position.find(id);
			if (r == position.end())
				fail("downgrade of " + need + " leaves " + id + " applied, which needs it", target);
			if (r->second > n->second)
				fail("downgrade reverts " + need + " before " + id + ", which needs it", target);
		}
	expect_heads(g, after, p.heads_after, "downgrade", target);
}

inline void
check_stamp(const RevisionGraph &g, const std::vector<AppliedRevision> &applied, const core::StampPlan &p,
            const std::string &target)
{
	std::set<std::string> after = applied_ids(applied);
	for (const std::string &id : p.unmark)
		if (!g.find(id) || !after.erase(id))
			fail("stamp forgets " + id + ", which is not applied", target);
	for (const std::string &id : p.mark)
		if (!g.find(id) || !after.insert(id).second)
			fail("stamp records " + id + ", which is applied already", target);
	for (const std::string &id : after)
		for (const std::string &need : needs_of(g, *g.find(id)))
			if (!after.count(need))
				fail("stamp leaves " + id + " applied without " + need, target);
	expect_heads(g, after, p.heads_after, "stamp", target);
}

inline std::vector<AppliedRevision>
as_applied(const RevisionGraph &g, const std::set<std::string> &ids)
{
	std::vector<AppliedRevision> out;
	for (const std::string &id : ids)
		out.push_back({id, g.find(id)->checksum});
	return out;
}

// Plans `target` every way the SQL functions can, checks each plan, and re-plans an
// absolute upgrade from the state it leads to (it must then have nothing to do).
inline void
plan_everything(const RevisionGraph &g, const std::vector<AppliedRevision> &applied, const std::string &target)
{
	try {
		core::Plan p = core::plan_upgrade(g, applied, target);
		check_upgrade(g, applied, p, target);
		std::set<std::string> after = applied_ids(applied);
		for (const core::Step &s : p.steps)
			after.insert(s.revision);
		core::Plan again;
		try {
			again = core::plan_upgrade(g, as_applied(g, after), target);
		} catch (const core::Error &) {
			// A relative target moves on from the new state, and may not get far.
		}
		// Relative unless it has no sign, or is a registered id as a whole (the grammar reads a
		// registered "rel-2" as the revision; an id with '@' in it is never read as one).
		bool relative = target.find_first_of("+-") != std::string::npos &&
		                (target.find('@') != std::string::npos || !g.find(target));
		if (!relative && !again.steps.empty())
			fail("an absolute upgrade repeated from its own result has steps", target);
	} catch (const core::Error &) {
	}
	try {
		check_downgrade(g, applied, core::plan_downgrade(g, applied, target), target);
	} catch (const core::Error &) {
	}
	try {
		check_stamp(g, applied, core::plan_stamp(g, applied, target), target);
	} catch (const core::Error &) {
	}
	try {
		Strings parents = core::resolve_merge_parents(g, target);
		std::set<std::string> distinct(parents.begin(), parents.end());
		if (parents.size() < 2 || distinct.size() != parents.size())
			fail("merge parents: fewer than two, or repeated", target);
		for (const std::string &id : parents)
			if (!g.find(id))
				fail("merge parent " + id + " is not registered", target);
	} catch (const core::Error &) {
	}
}

}  // namespace pfm::fuzz
