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

namespace pfm::pg {

namespace {

void
require_identifier(const std::string &text, const char *what)
{
	if (!core::is_valid_identifier(text))
		throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, std::string("invalid ") + what + " \"" + text + "\"",
		               "Revision ids and branch labels must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$.");
}

// Parents or dependencies: each valid, none twice, none the revision itself.
void
require_distinct(const std::vector<std::string> &items, const std::string &revision, const char *what)
{
	for (std::size_t i = 0; i < items.size(); i++) {
		if (items[i] == revision)
			throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "revision " + revision + " cannot name itself as " + what);
		for (std::size_t j = 0; j < i; j++)
			if (items[i] == items[j])
				throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
				               "revision " + revision + " names " + what + " " + items[i] + " twice");
	}
}

void
validate(const StoredRevision &stored)
{
	const core::Revision &r = stored.revision;
	require_identifier(r.id, "revision id");
	for (const auto &p : r.parents)
		require_identifier(p, "parent revision id");
	for (const auto &l : r.branch_labels)
		require_identifier(l, "branch label");
	for (const auto &d : r.depends_on)
		require_identifier(d, "depends_on revision id");
	require_distinct(r.parents, r.id, "parent");
	require_distinct(r.depends_on, r.id, "dependency");
	for (std::size_t i = 0; i < r.branch_labels.size(); i++)
		for (std::size_t j = 0; j < i; j++)
			if (r.branch_labels[i] == r.branch_labels[j])
				throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
				               "revision " + r.id + " names branch label " + r.branch_labels[i] + " twice");
}

// Registers, replaces or leaves alone (identical content) one revision; the caller holds
// the migration lock.
std::string
register_revision(Spi &spi, CatalogVersion version, const StoredRevision &r)
{
	const std::string &id = r.revision.id;
	std::optional<StoredRevision> existing = read_revision(spi, id, false);
	if (!existing) {
		audit_registration(spi, "register", id, insert_revision(spi, version, r));
		return id;
	}
	if (existing->same_content(r))
		return id;  // identical: a no-op

	if (std::optional<std::string> as_applied = read_applied_checksum(spi, id)) {
		// The server computes the checksum of what is written; a refusal rolls the write
		// back with this call's error.
		std::string proposed = update_revision(spi, version, r);
		if (proposed != *as_applied)
			throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			               "cannot change the bodies of revision " + id + ": it has been applied",
			               "Checksum as applied: " + *as_applied + "; new bodies: " + proposed + ".",
			               "Applied migrations are immutable: restore the original bodies, or write a new revision "
			               "that makes the change.");
		const core::Revision &old = existing->revision;
		if (old.parents != r.revision.parents || old.depends_on != r.revision.depends_on)
			throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			               "cannot change the parents or dependencies of revision " + id + ": it has been applied");
		audit_registration(spi, "replace", id, proposed);
	} else {
		audit_registration(spi, "replace", id, update_revision(spi, version, r));
	}
	std::string note = "revision " + id + " replaced with new content";
	const char *s = note.c_str();
	pg_call([&] { ereport(NOTICE, (errmsg("%s", s))); });
	return id;
}

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

PFM_SQL_FUNCTION(pfm_revision)
{
	StoredRevision r;
	r.revision.message = require_nonempty(fcinfo, 0, "message");
	r.upgrade = required_text(fcinfo, 1, "upgrade");
	r.downgrade = optional_text(fcinfo, 2);
	remember_call("pfm_revision()");
	Spi spi;
	auto state = lock_and_read_state(spi, "pfm_revision", always_work);
	std::string parent = core::parent_for_new_revision(state->graph);
	if (!parent.empty())
		r.revision.parents = {parent};
	r.revision.id = fresh_revision_id(state->graph);
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
	delete_revision(spi, id);
	spi.finish();
	PG_RETURN_VOID();
}
