// pfm_register, pfm_revision, pfm_merge, pfm_unregister.
#include <random>
#include <string>
#include <vector>

#include "core/planner.hpp"
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

void
require_distinct(const std::vector<std::string> &items, const std::string &revision, const char *what)
{
	for (std::size_t i = 0; i < items.size(); i++) {
		if (items[i] == revision)
			throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
			               "revision " + revision + " cannot name itself as " + what);
		for (std::size_t j = 0; j < i; j++)
			if (items[i] == items[j])
				throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
				               "revision " + revision + " names " + what + " " + items[i] + " twice");
	}
}

struct NewRevision {
	std::string id;
	std::vector<std::string> parents, labels, depends_on;
	std::optional<std::string> message;
	std::string upgrade;
	std::optional<std::string> downgrade;
};

void
validate(const NewRevision &r)
{
	require_identifier(r.id, "revision id");
	for (const auto &p : r.parents)
		require_identifier(p, "parent revision id");
	for (const auto &l : r.labels)
		require_identifier(l, "branch label");
	for (const auto &d : r.depends_on)
		require_identifier(d, "depends_on revision id");
	require_distinct(r.parents, r.id, "parent");
	require_distinct(r.depends_on, r.id, "dependency");
	require_distinct(r.labels, "", "branch label");
}

std::string
register_revision(Spi &spi, const NewRevision &r)
{
	auto existing = load_revision(spi, r.id);
	std::vector<Param> params = {text_param(r.id),          text_array_param(r.parents), text_array_param(r.labels),
	                             text_array_param(r.depends_on), text_param(r.message), text_param(r.upgrade),
	                             text_param(r.downgrade)};
	if (!existing) {
		spi.run("INSERT INTO pfm_migrate.revisions (revision, down_revisions, branch_labels, depends_on, message,"
		        " upgrade, downgrade) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		        params);
		spi.run("SELECT checksum FROM pfm_migrate.revisions WHERE revision OPERATOR(pg_catalog.=) $1",
		        {text_param(r.id)});
		append_audit(spi, "register", r.id, std::nullopt, std::nullopt, spi.text(0, 1));
		return r.id;
	}

	const core::Revision &old = existing->revision;
	bool same_structure = old.parents == r.parents && old.depends_on == r.depends_on;
	bool same_bodies = existing->upgrade == r.upgrade && existing->downgrade == r.downgrade;
	if (same_structure && same_bodies && old.branch_labels == r.labels && old.message == r.message.value_or(""))
		return r.id;  // identical: a no-op

	std::uint64_t applied = spi.run("SELECT a.checksum, pfm_migrate.body_checksum($2, $3)"
	                                " FROM pfm_migrate.applied a WHERE a.revision OPERATOR(pg_catalog.=) $1",
	                                {text_param(r.id), text_param(r.upgrade), text_param(r.downgrade)});
	if (applied > 0) {
		std::string as_applied = spi.text_or(0, 1, "");
		std::string proposed = spi.text_or(0, 2, "");
		if (as_applied != proposed)
			throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			               "cannot change the bodies of revision " + r.id + ": it has been applied",
			               "Checksum as applied: " + as_applied + "; new bodies: " + proposed + ".",
			               "Applied migrations are immutable: restore the original bodies, or write a new revision "
			               "that makes the change.");
		if (!same_structure)
			throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			               "cannot change the parents or dependencies of revision " + r.id + ": it has been applied");
	}
	spi.run("UPDATE pfm_migrate.revisions SET down_revisions = $2, branch_labels = $3, depends_on = $4, message = $5,"
	        " upgrade = $6, downgrade = $7, registered_by = CURRENT_USER, registered_at = pg_catalog.clock_timestamp()"
	        " WHERE revision OPERATOR(pg_catalog.=) $1 RETURNING checksum",
	        params);
	Text checksum = spi.text(0, 1);
	append_audit(spi, "replace", r.id, std::nullopt, std::nullopt, checksum);
	std::string note = "revision " + r.id + " replaced with new content";
	const char *s = note.c_str();
	pg_call([&] { ereport(NOTICE, (errmsg("%s", s))); });
	return r.id;
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

auto always_work = [](const CatalogState &) { return true; };

}  // namespace

}  // namespace pfm::pg

using namespace pfm;
using namespace pfm::pg;

PFM_SQL_FUNCTION(pfm_register)
{
	NewRevision r;
	r.id = require_nonempty(fcinfo, 0, "revision");
	if (auto parents = optional_text(fcinfo, 1))
		r.parents = core::split_revision_list(*parents);
	r.upgrade = required_text(fcinfo, 2, "upgrade");
	r.downgrade = optional_text(fcinfo, 3);
	r.message = optional_text(fcinfo, 4);
	r.labels = optional_text_array(fcinfo, 5, "branch_labels");
	r.depends_on = optional_text_array(fcinfo, 6, "depends_on");
	validate(r);
	remember_call(("pfm_register('" + r.id + "')").c_str());
	Spi spi;
	// Registering needs the lock but not the graph: loading it here would make loading N
	// new migration files cost O(N^2).
	require_writable("pfm_register");
	acquire_migration_lock(spi);
	std::string id = register_revision(spi, r);
	spi.finish();
	return text_datum(id);
}

PFM_SQL_FUNCTION(pfm_revision)
{
	NewRevision r;
	r.message = require_nonempty(fcinfo, 0, "message");
	r.upgrade = required_text(fcinfo, 1, "upgrade");
	r.downgrade = optional_text(fcinfo, 2);
	remember_call("pfm_revision()");
	Spi spi;
	auto state = load_state_for_change(spi, "pfm_revision", always_work);
	std::string parent = core::parent_for_new_revision(state->graph);
	if (!parent.empty())
		r.parents = {parent};
	r.id = fresh_revision_id(state->graph);
	std::string id = register_revision(spi, r);
	spi.finish();
	return text_datum(id);
}

PFM_SQL_FUNCTION(pfm_merge)
{
	std::string revisions = require_nonempty(fcinfo, 0, "revisions");
	NewRevision r;
	r.message = optional_text(fcinfo, 1);
	r.downgrade = std::string();  // merging is trivially reversible
	remember_call(("pfm_merge('" + revisions + "')").c_str());
	Spi spi;
	auto state = load_state_for_change(spi, "pfm_merge", always_work);
	r.parents = core::resolve_merge_parents(state->graph, revisions);
	r.id = fresh_revision_id(state->graph);
	if (!r.message)
		r.message = "merge " + [&] {
			std::string s;
			for (const auto &p : r.parents)
				s += (s.empty() ? "" : ", ") + p;
			return s;
		}();
	std::string id = register_revision(spi, r);
	spi.finish();
	return text_datum(id);
}

PFM_SQL_FUNCTION(pfm_unregister)
{
	std::string id = require_nonempty(fcinfo, 0, "revision");
	remember_call(("pfm_unregister('" + id + "')").c_str());
	Spi spi;
	auto state = load_state_for_change(spi, "pfm_unregister", always_work);
	if (!state->graph.find(id))
		throw core::Error(core::ErrorKind::unknown_revision, "can't locate revision identified by '" + id + "'");
	for (const auto &a : state->applied)
		if (a.id == id)
			throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			               "cannot unregister revision " + id + ": it has been applied",
			               {}, "Downgrade it first with pfm_downgrade.");
	std::string users;
	for (const auto &r : state->graph.revisions()) {
		bool names = false;
		for (const auto &p : r.parents)
			names = names || p == id;
		for (const auto &d : r.depends_on)
			names = names || d == id;
		if (names)
			users += (users.empty() ? "" : ", ") + r.id;
	}
	if (!users.empty())
		throw SqlError(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
		               "cannot unregister revision " + id + ": other revisions build on it",
		               "Named as parent or dependency by: " + users + ".", "Unregister those revisions first.");
	spi.run("WITH d AS (DELETE FROM pfm_migrate.revisions WHERE revision OPERATOR(pg_catalog.=) $1 RETURNING checksum)"
	        " INSERT INTO pfm_migrate.audit (operation, revision, checksum) SELECT 'unregister', $1, checksum FROM d",
	        {text_param(id)});
	spi.finish();
	PG_RETURN_VOID();
}
