// Target resolution and planning with Alembic 1.8 semantics (see ../shared/SPEC.md §3, §6).
// Parse, then resolve, then plan: the planner never runs SQL; the glue executes the steps.
#pragma once

#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/revision.hpp"

namespace pfm::core {

struct Step {
	std::string revision;
	Direction direction;
	int node = -1;  // the revision's index in graph.revisions() (a row per step needs no lookup)
};

struct Plan {
	std::vector<Step> steps;                // execution order (downgrades newest first)
	std::vector<std::string> heads_after;   // version rows once every step has run, sorted
};

// What pfm_stamp must change: revisions to record as applied (stamped) and to forget.
struct StampPlan {
	std::vector<std::string> mark;          // in upgrade (topological) order
	std::vector<std::string> unmark;        // newest first
	std::vector<std::string> heads_after;
};

// Every plan function first refuses a graph with a cycle or a duplicate branch label, and
// checks the state (check_state), then resolves the target, and throws core::Error on any
// problem. A dangling reference (a parent or depends_on that is neither a registered id nor,
// for depends_on, a branch label) only refuses the plans it touches: a plan whose steps
// (or stamp marks) or whose target's ancestry contain the revision holding it.
// `applied` is the applied set as recorded (ancestor-closed in a sound database).

// pfm_upgrade(target): target grammar of SPEC §3. An absolute target already reached
// gives an empty plan; a relative target that cannot be walked throws.
Plan plan_upgrade(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target);

// pfm_downgrade(target): reverts the target's applied descendants and their dependants,
// newest first. Throws irreversible when a step has no downgrade body.
Plan plan_downgrade(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target);

// pfm_stamp(target), like `alembic stamp`: no body runs.
StampPlan plan_stamp(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const std::string &target);

// pfm_stamp(target, purge => true), like `alembic stamp --purge`: forgets every recorded
// applied revision first (unmark lists them all, registered ones newest first, then ids that
// are not registered, sorted), then stamps the target from base (mark = the target's whole
// ancestry, in upgrade order). The recorded state is never checked: it may name revisions
// that no longer exist or whose bodies changed; that is what purge is for.
StampPlan plan_stamp_purge(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied,
                           const std::string &target);

// State checks shared by all plans: applied revisions missing from the catalog
// (unknown_applied) and drift (checksum as applied != registered checksum).
void check_state(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied);

// The revision a step of a plan made over `graph` runs (its node, checked against the id;
// looked up by id otherwise); nullptr when the graph does not hold it.
const Revision *step_revision(const RevisionGraph &graph, const Step &step);
// The Alembic-style step line: "Running upgrade 0002 -> 0003, Add user preferences table".
std::string step_description(const RevisionGraph &graph, const Step &step);

// pfm_check(): every problem (structural ones, drift, unknown applied revisions,
// several heads as a warning, irreversible revisions as a notice). Never throws for
// problems in the data.
std::vector<Problem> check_all(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied);

// pfm_merge(revisions): 'heads' or a comma-separated list of targets -> parent ids (>= 2, sorted
// by first appearance). Throws when fewer than two distinct revisions result.
std::vector<std::string> resolve_merge_parents(const RevisionGraph &graph, const std::string &revisions);

// pfm_revision(): the single head a new revision is based on ("" for an empty graph);
// throws multiple_heads with Alembic's wording for `revision` when there are several.
std::string parent_for_new_revision(const RevisionGraph &graph);

// `alembic revision --head H --splice --branch-label L --depends-on D --rev-id R`.
struct NewRevisionRequest {
	std::string rev_id;                      // required: the glue generates one when the user gives none
	std::string head = "head";               // head, heads (a merge of every real head), base (a new root), an id,
	                                         // a prefix, a label, label@head, rev@head
	bool splice = false;                     // allow a parent that already has children
	std::vector<std::string> branch_labels;  // labels of the new revision
	std::vector<std::string> depends_on;     // revisions or branch labels it depends on (any absolute target)
};

// What the new revision records.
struct NewRevisionPlan {
	std::string id;
	std::vector<std::string> parents;        // down_revision(s); empty = a new base
	std::vector<std::string> depends_on;     // a branch label as written, anything else as the id it resolves to
	std::vector<std::string> branch_labels;
};

// The parent selection and validation of `alembic revision` (ScriptDirectory.generate_revision),
// with its errors: an invalid or taken rev_id (invalid_argument), several heads for head
// (multiple_heads, "multiple heads are present; please specify the head revision on which the
// new revision should be based, or perform a merge"), a parent that is not a head without
// splice (invalid_target, "revision X is not a head revision; please specify --splice to create
// a new branch from this revision"), an unknown head or dependency (unknown_revision), a branch
// label already used as a label or id (duplicate_label, "branch name 'L' in revision R already
// used by revision X"). Refuses a graph with a cycle or a duplicate label; a dangling reference
// elsewhere does not matter.
NewRevisionPlan plan_new_revision(const RevisionGraph &graph, const NewRevisionRequest &request);

}  // namespace pfm::core
