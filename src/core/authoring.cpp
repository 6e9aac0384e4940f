// Authoring: the parents and references of a new revision (pfm_merge, pfm_revision), after
// Alembic 1.8 script/base.py ScriptDirectory.generate_revision. No catalog access: the glue
// registers what these functions return.
//
// Deliberate differences from Alembic (test/differential/alembic_diff.py classes):
//  - Merge of 'heads' takes every head (revision without child), as `head` counts them;
//    Alembic's merge takes the "real" heads, leaving a depended-upon head unmerged.
//  - A new revision whose id is already registered (or is a branch label) is refused;
//    Alembic only warns "Revision X is present more than once" and writes a second file.
#include <algorithm>

#include "core/planner.hpp"
#include "core/resolve_internal.hpp"

namespace pfm::core {

using detail::Resolver;
using detail::Target;

namespace {

using Impl = RevisionGraph::Impl;

std::size_t
u(int i)
{
	return static_cast<std::size_t>(i);
}

Error
multiple_heads_for_new_revision(const Impl &g, const std::vector<int> &heads)
{
	std::vector<std::string> ids = g.sorted_ids(heads);
	return Error(ErrorKind::multiple_heads,
	             "multiple heads are present; please specify the head revision on which the new revision should be "
	             "based, or perform a merge",
	             "Heads: " + join(ids) + ".", "Use pfm_merge('heads') to merge them.", ids);
}

const char *const kIdentifierDetail = "Revision ids and branch labels match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$.";

}  // namespace

std::vector<std::string>
resolve_merge_parents(const RevisionGraph &graph, const std::string &revisions)
{
	const Impl &g = graph.impl();
	g.refuse_global_problems();  // a dangling reference elsewhere does not stop authoring
	std::vector<int> parents;
	std::vector<char> seen(g.revs.size(), 0);
	for (const std::string &item : split_revision_list(revisions)) {
		if (item.empty())
			throw Error(ErrorKind::invalid_argument, "empty revision in merge list " + quoted(revisions), {},
			            "List the revisions to merge separated by commas, or use 'heads'.");
		Target t = detail::parse_target(g, item);
		if (t.kind == Target::Kind::relative)
			throw Error(ErrorKind::invalid_argument, "relative target " + quoted(item) + " cannot be merged", {},
			            "List the revisions to merge separated by commas, or use 'heads'.");
		Resolver r(g, t);
		std::vector<int> found;
		if (t.kind == Target::Kind::heads && !t.has_label)
			found = g.vheads;  // every head `head` complains about (Alembic merges only the real heads)
		else if (t.kind != Target::Kind::base)
			found = r.resolve_symbol(t.symbol, r.target_branch(), t.label);
		for (int v : found)
			if (!seen[u(v)]) {
				seen[u(v)] = 1;
				parents.push_back(v);
			}
	}
	if (parents.size() < 2)
		throw Error(ErrorKind::invalid_argument, "a merge needs at least two distinct revisions",
		            quoted(revisions) + " resolves to " + (parents.empty() ? std::string("no revision") : join(g.ids_of(parents))) +
		                ".",
		            {});
	return g.ids_of(parents);
}

std::string
parent_for_new_revision(const RevisionGraph &graph)
{
	const Impl &g = graph.impl();
	g.refuse_global_problems();
	if (g.vheads.empty())
		return {};
	if (g.vheads.size() > 1) {
		std::vector<std::string> ids = g.ids_of(g.vheads);
		throw Error(ErrorKind::multiple_heads,
		            "multiple heads are present; please specify the head revision on which the new revision should be "
		            "based, or perform a merge",
		            "Heads: " + join(ids) + ".", "Use pfm_merge('heads') to merge them.", ids);
	}
	return g.id(g.vheads.front());
}


NewRevisionPlan
plan_new_revision(const RevisionGraph &graph, const NewRevisionRequest &request)
{
	const Impl &g = graph.impl();
	if (!is_valid_identifier(request.rev_id))
		throw Error(ErrorKind::invalid_argument, "invalid revision id " + quoted(request.rev_id), kIdentifierDetail);
	g.refuse_global_problems();
	int taken = g.find_key(request.rev_id);
	if (taken >= 0)
		throw Error(ErrorKind::invalid_argument,
		            g.id(taken) == request.rev_id
		                ? "revision " + quoted(request.rev_id) + " already exists"
		                : "revision id " + quoted(request.rev_id) + " is already a branch label of revision " +
		                      quoted(g.id(taken)),
		            {}, "Choose another rev_id, or leave it out to have one generated.", {g.id(taken)});

	NewRevisionPlan plan;
	plan.id = request.rev_id;

	// Parents: what --head names (Alembic get_revisions(head); base = a new root).
	Target head = detail::parse_target(g, request.head);
	if (head.kind == Target::Kind::relative)
		throw Error(ErrorKind::invalid_argument, "the head of a new revision must be an absolute target, not " +
		                                             quoted(head.text),
		            {}, "Name the revision, or use head, heads, base or label@head.");
	Resolver hr(g, head);
	std::vector<int> parents;
	if (head.kind != Target::Kind::base) {
		if (head.kind == Target::Kind::head) {
			// Alembic words the several-heads error for new revisions in its own way.
			std::vector<int> heads;
			int branch = hr.target_branch();
			for (int h : g.vheads)
				if (branch < 0 || hr.branch_lineage(branch)[u(h)])
					heads.push_back(h);
			if (heads.size() > 1)
				throw multiple_heads_for_new_revision(g, heads);
		}
		parents = hr.resolve_symbol(head.symbol, hr.target_branch(), head.label);
	}
	if (!request.splice)
		for (int p : parents)
			if (g.n_children[u(p)] > 0)
				throw Error(ErrorKind::invalid_target,
				            "revision " + g.id(p) +
				                " is not a head revision; please specify --splice to create a new branch from this "
				                "revision",
				            "Revision " + g.id(p) + " is followed by " +
				                join(g.ids_of(std::vector<int>(g.children_begin(p), g.children_end(p)))) + ".",
				            "Pass splice => true to start a new branch there.", {g.id(p)});
	plan.parents = g.ids_of(parents);

	// Dependencies (Alembic: a branch label is kept as written, anything else -- a prefix,
	// label@head -- becomes the revision id it resolves to).
	for (const std::string &text : request.depends_on) {
		Target t = detail::parse_target(g, text);
		if (t.kind == Target::Kind::relative || t.kind == Target::Kind::base)
			throw Error(ErrorKind::invalid_argument, "a new revision cannot depend on " + quoted(text), {},
			            "Name the revision or branch label it depends on.");
		Resolver r(g, t);
		int rev = r.get_revision(t.symbol, r.target_branch(), t.label);
		if (rev < 0)  // head or heads of an empty graph
			throw Error(ErrorKind::unknown_revision, "can't locate revision identified by " + quoted(text), {}, {},
			            {text});
		plan.depends_on.push_back(!t.has_label && g.by_label.count(std::string_view(text)) ? text : g.id(rev).str());
	}

	// Branch labels share one namespace with revision ids (Alembic _map_branch_labels).
	for (std::size_t k = 0; k < request.branch_labels.size(); ++k) {
		const std::string &label = request.branch_labels[k];
		if (!is_valid_identifier(label))
			throw Error(ErrorKind::invalid_argument, "invalid branch label " + quoted(label), kIdentifierDetail);
		int owner = g.find_key(label);
		bool again = std::find(request.branch_labels.begin(), request.branch_labels.begin() + static_cast<std::ptrdiff_t>(k),
		                       label) != request.branch_labels.begin() + static_cast<std::ptrdiff_t>(k);
		if (owner >= 0 || again || label == request.rev_id)
			throw Error(ErrorKind::duplicate_label,
			            "branch name " + quoted(label) + " in revision " + request.rev_id + " already used by revision " +
			                (owner >= 0 ? g.id(owner).str() : request.rev_id),
			            {}, "Branch labels and revision ids share one namespace; choose another label.",
			            {owner >= 0 ? g.id(owner).str() : request.rev_id});
	}
	plan.branch_labels = request.branch_labels;
	return plan;
}

}  // namespace pfm::core
