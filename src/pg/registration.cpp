// Registering one revision: the checks of pfm_register and of loading migration files.
#include <optional>
#include <string>
#include <vector>

#include "pg/registration.hpp"

#include "pg/boundary.hpp"

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

}  // namespace

void
validate(const StoredRevision &stored)
{
	const core::Revision &r = stored.revision;
	const std::vector<std::string> parents = r.parents, labels = r.branch_labels, depends_on = r.depends_on;
	require_identifier(r.id, "revision id");
	for (const auto &p : parents)
		require_identifier(p, "parent revision id");
	for (const auto &l : labels)
		require_identifier(l, "branch label");
	for (const auto &d : depends_on)
		require_identifier(d, "depends_on revision id");
	require_distinct(parents, r.id, "parent");
	require_distinct(depends_on, r.id, "dependency");
	for (std::size_t i = 0; i < labels.size(); i++)
		for (std::size_t j = 0; j < i; j++)
			if (labels[i] == labels[j])
				throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
				               "revision " + r.id + " names branch label " + labels[i] + " twice");
}

std::string
register_revision(Spi &spi, CatalogVersion version, const StoredRevision &r)
{
	std::optional<StoredRevision> existing = read_revision(spi, r.revision.id, false);
	std::optional<std::string> as_applied;
	if (existing && !existing->same_content(r))
		as_applied = read_applied_checksum(spi, r.revision.id);
	return register_revision(spi, version, r, existing, as_applied);
}

std::string
register_revision(Spi &spi, CatalogVersion version, const StoredRevision &r, const std::optional<StoredRevision> &existing,
                  const std::optional<std::string> &as_applied)
{
	const std::string &id = r.revision.id;
	if (!existing) {
		audit_registration(spi, "register", id, insert_revision(spi, version, r));
		return id;
	}
	if (existing->same_content(r))
		return id;  // identical: a no-op

	if (as_applied) {
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

}  // namespace pfm::pg
