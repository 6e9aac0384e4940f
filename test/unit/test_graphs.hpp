// Shared helpers for the core unit tests: graphs from literal lists.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/graph.hpp"
#include "core/planner.hpp"

namespace pfm::core::test {

struct R {
	std::string id;
	std::string parents;     // comma-separated
	std::string depends_on;  // comma-separated
	std::string labels;      // comma-separated
	bool has_downgrade;

	R(std::string id_, std::string parents_ = {}, std::string depends_on_ = {}, std::string labels_ = {},
	  bool has_downgrade_ = true)
		: id(std::move(id_)), parents(std::move(parents_)), depends_on(std::move(depends_on_)), labels(std::move(labels_)),
		  has_downgrade(has_downgrade_)
	{
	}
};

inline std::vector<std::string>
csv(const std::string &text)
{
	return text.empty() ? std::vector<std::string>{} : split_revision_list(text);
}

inline std::vector<Revision>
revisions(std::initializer_list<R> list)
{
	std::vector<Revision> out;
	for (const R &r : list) {
		Revision rev;
		rev.id = r.id;
		rev.parents = csv(r.parents);
		rev.depends_on = csv(r.depends_on);
		rev.branch_labels = csv(r.labels);
		rev.message = "message of " + r.id;
		rev.checksum = "c-" + r.id;
		rev.has_downgrade = r.has_downgrade;
		out.push_back(std::move(rev));
	}
	return out;
}

inline RevisionGraph
graph(std::initializer_list<R> list)
{
	return RevisionGraph(revisions(list));
}

inline std::vector<AppliedRevision>
applied(const std::vector<std::string> &ids)
{
	std::vector<AppliedRevision> out;
	for (const std::string &id : ids)
		out.push_back({id, "c-" + id});
	return out;
}

// The graph of reference/migration-tools.md §1.2 (observed with Alembic 1.8.1):
// aaaa1111 -> {bbbb2222, cccc3333 (label cart)} -> merge mmmm4444 -> nnnn5555;
// a second base xxxx6666 (label net) -> yyyy7777, which depends on cccc3333.
inline RevisionGraph
doc_graph(bool mmmm_reversible = true)
{
	std::vector<Revision> revs = revisions({
		{"aaaa1111", "", "", ""},
		{"bbbb2222", "aaaa1111", "", ""},
		{"cccc3333", "aaaa1111", "", "cart"},
		{"mmmm4444", "bbbb2222,cccc3333", "", ""},
		{"nnnn5555", "mmmm4444", "", ""},
		{"xxxx6666", "", "", "net"},
		{"yyyy7777", "xxxx6666", "cccc3333", ""},
	});
	revs[3].has_downgrade = mmmm_reversible;
	return RevisionGraph(std::move(revs));
}

inline const std::vector<std::string> kDocAll = {"aaaa1111", "bbbb2222", "cccc3333", "mmmm4444",
                                                 "nnnn5555", "xxxx6666", "yyyy7777"};

inline RevisionGraph
chain(int n, const std::string &prefix = "000")
{
	std::vector<Revision> revs;
	for (int i = 1; i <= n; ++i) {
		Revision r;
		r.id = prefix + std::to_string(i);
		if (i > 1)
			r.parents = {prefix + std::to_string(i - 1)};
		r.checksum = "c-" + r.id;
		revs.push_back(std::move(r));
	}
	return RevisionGraph(std::move(revs));
}

inline std::vector<std::string>
step_ids(const Plan &p)
{
	std::vector<std::string> out;
	for (const Step &s : p.steps)
		out.push_back(s.revision);
	return out;
}

}  // namespace pfm::core::test
