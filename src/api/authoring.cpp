// pfm_register, pfm_revision, pfm_merge, pfm_unregister.
#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/planner.hpp"
#include "core/text.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/locking.hpp"
#include "pg/registration.hpp"

namespace pfm::pg {

namespace {

// A fresh 12-hex id like Alembic's uuid4().hex[-12:], not yet registered.
std::string
fresh_revision_id(const core::RevisionGraph &graph)
{
	static std::mt19937_64 generator{std::random_device{}()};
	static const char hex[] = "0123456789abcdef";
	while (true) {
		std::uint64_t bits = generator();
		std::string id(12, '0');
		for (char &c : id) {
			c = hex[bits & 0xf];
			bits >>= 4;
		}
		if (!graph.find(id))
			return id;
	}
}

std::string
require_nonempty(FunctionCallInfo fcinfo, int n, const char *name)
{
	std::string value = required_text(fcinfo, n, name);
	if (value.empty())
		throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, std::string("argument \"") + name + "\" must not be empty");
	return value;
}

bool
always_work(const CatalogState &)
{
	return true;
}

}  // namespace

}  // namespace pfm::pg

using namespace pfm;
using namespace pfm::pg;

PFM_SQL_FUNCTION(pfm_register)
{
	StoredRevision r;
	r.revision.id = require_nonempty(fcinfo, 0, "revision");
	if (auto parents = optional_text(fcinfo, 1))
		r.revision.parents = core::split_revision_list(*parents);
	r.upgrade = required_text(fcinfo, 2, "upgrade");
	r.downgrade = optional_text(fcinfo, 3);
	r.revision.message = optional_text(fcinfo, 4).value_or("");
	r.revision.branch_labels = optional_text_array(fcinfo, 5, "branch_labels");
	r.revision.depends_on = optional_text_array(fcinfo, 6, "depends_on");
	if (PG_NARGS() > 7)  // 0.2.0 (the 0.1.0 declaration has seven parameters)
		r.revision.transactional = required_bool(fcinfo, 7, "transactional");
	validate(r);
	remember_call(("pfm_register('" + r.revision.id + "')").c_str());
	Spi spi;
	// Registering needs the lock but not the graph: loading it here would make loading N
	// new migration files cost O(N^2).
	require_writable("pfm_register");
	acquire_migration_lock(spi);
	std::string id = register_revision(spi, read_catalog_version(spi, false), r);
	spi.finish();
	return text_datum(id);
}

// pfm_revision(message, upgrade, downgrade, head, splice, branch_label, depends_on, rev_id):
// `alembic revision -m --head --splice --branch-label --depends-on --rev-id`, with Alembic's
// parent selection and errors (core::plan_new_revision). branch_label may list several
// labels comma-separated, like down_revision in pfm_register.
PFM_SQL_FUNCTION(pfm_revision)
{
	StoredRevision r;
	r.revision.message = require_nonempty(fcinfo, 0, "message");
	r.upgrade = required_text(fcinfo, 1, "upgrade");
	r.downgrade = optional_text(fcinfo, 2);
	core::NewRevisionRequest request;
	std::optional<std::string> rev_id;
	if (PG_NARGS() > 3) {  // 0.2.0 (the 0.1.0 declaration has three parameters)
		request.head = require_nonempty(fcinfo, 3, "head");
		request.splice = required_bool(fcinfo, 4, "splice");
		if (auto labels = optional_text(fcinfo, 5))
			request.branch_labels = core::split_revision_list(*labels);
		request.depends_on = optional_text_array(fcinfo, 6, "depends_on");
		rev_id = optional_text(fcinfo, 7);
	}
	remember_call(("pfm_revision('" + rev_id.value_or("") + "')").c_str());
	Spi spi;
	auto state = lock_and_read_state(spi, "pfm_revision", always_work);
	request.rev_id = rev_id ? *rev_id : fresh_revision_id(state->graph);
	core::NewRevisionPlan plan = core::plan_new_revision(state->graph, request);
	r.revision.id = plan.id;
	r.revision.parents = plan.parents;
	r.revision.depends_on = plan.depends_on;
	r.revision.branch_labels = plan.branch_labels;
	validate(r);
	std::string id = register_revision(spi, state->version, r);
	spi.finish();
	return text_datum(id);
}

PFM_SQL_FUNCTION(pfm_merge)
{
	std::string revisions = require_nonempty(fcinfo, 0, "revisions");
	StoredRevision r;
	r.revision.message = optional_text(fcinfo, 1).value_or("");
	r.downgrade = std::string();  // merging is trivially reversible
	remember_call(("pfm_merge('" + revisions + "')").c_str());
	Spi spi;
	auto state = lock_and_read_state(spi, "pfm_merge", always_work);
	r.revision.parents = core::resolve_merge_parents(state->graph, revisions);
	r.revision.id = fresh_revision_id(state->graph);
	if (r.revision.message.empty())
		r.revision.message = "merge " + core::join(r.revision.parents);
	std::string id = register_revision(spi, state->version, r);
	spi.finish();
	return text_datum(id);
}

PFM_SQL_FUNCTION(pfm_unregister)
{
	std::string id = require_nonempty(fcinfo, 0, "revision");
	remember_call(("pfm_unregister('" + id + "')").c_str());
	Spi spi;
	auto state = lock_and_read_state(spi, "pfm_unregister", always_work);
	if (!state->graph.find(id))
		throw core::Error(core::ErrorKind::unknown_revision, "can't locate revision identified by '" + id + "'");
	if (state->is_applied(id))
		throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "cannot unregister revision " + id + ": it has been applied",
		               {}, "Downgrade it first with pfm_downgrade.");
	std::vector<std::string> users;
	for (const auto &r : state->graph.revisions()) {
		bool names = std::find(r.parents.begin(), r.parents.end(), id) != r.parents.end() ||
		             std::find(r.depends_on.begin(), r.depends_on.end(), id) != r.depends_on.end();
		if (names)
			users.push_back(r.id);
	}
	if (!users.empty())
		throw SqlError(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST, "cannot unregister revision " + id + ": other revisions build on it",
		               "Named as parent or dependency by: " + core::join(users) + ".", "Unregister those revisions first.");
	delete_revisions(spi, {id});
	spi.finish();
	PG_RETURN_VOID();
}
