#include "pg/catalog.hpp"

#include "pg/boundary.hpp"

namespace pfm::pg {

namespace {

std::vector<std::string>
split_list(const Text &joined)
{
	std::vector<std::string> out;
	if (!joined || joined->empty())
		return out;
	std::size_t start = 0;
	while (true) {
		std::size_t comma = joined->find(',', start);
		out.push_back(joined->substr(start, comma == std::string::npos ? std::string::npos : comma - start));
		if (comma == std::string::npos)
			break;
		start = comma + 1;
	}
	return out;
}

}  // namespace

std::vector<core::AppliedRevision>
load_applied(Spi &spi, bool read_only)
{
	std::uint64_t n = spi.run("SELECT revision, checksum FROM pfm_migrate.applied", {}, read_only);
	std::vector<core::AppliedRevision> applied;
	applied.reserve(n);
	for (std::uint64_t i = 0; i < n; i++) {
		std::vector<Text> row = spi.texts(i);
		applied.push_back({std::move(row[0]).value_or(""), std::move(row[1]).value_or("")});
	}
	return applied;
}

namespace {
struct StateCache {
	std::string key;  // "<xmin>:<generation>" of the catalog_generation row version
	StatePtr state;
};
StateCache state_cache;

CatalogState
read_state(Spi &spi, bool read_only)
{
	// Ids and labels cannot contain commas, so joined lists are unambiguous and cheap to read.
	std::uint64_t n = spi.run(
		"SELECT revision, pg_catalog.array_to_string(down_revisions, ','),"
		" pg_catalog.array_to_string(depends_on, ','), pg_catalog.array_to_string(branch_labels, ','),"
		" message, checksum, CASE WHEN downgrade IS NULL THEN '' ELSE 'd' END FROM pfm_migrate.revisions",
		{}, read_only);
	std::vector<core::Revision> revisions;
	revisions.reserve(n);
	for (std::uint64_t i = 0; i < n; i++) {
		std::vector<Text> row = spi.texts(i);
		core::Revision r;
		r.id = std::move(row[0]).value_or("");
		r.parents = split_list(row[1]);
		r.depends_on = split_list(row[2]);
		r.branch_labels = split_list(row[3]);
		r.message = std::move(row[4]).value_or("");
		r.checksum = std::move(row[5]).value_or("");
		r.has_downgrade = row[6] && !row[6]->empty();
		revisions.push_back(std::move(r));
	}
	core::RevisionGraph graph(std::move(revisions));
	return CatalogState{std::move(graph), load_applied(spi, read_only)};
}
}  // namespace

StatePtr
load_state(Spi &spi, bool read_only)
{
	// Every statement that changes revisions or applied creates a new version of this row
	// (a statement trigger), in the same (sub)transaction: same xmin and generation means
	// the same catalog content.
	// A transaction that changed the catalog itself always reads it afresh.
	std::uint64_t n = spi.run("SELECT xmin::pg_catalog.text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||)"
	                          " generation::pg_catalog.text, pfm_migrate.written_by_current_transaction(xmin)"
	                          " FROM pfm_migrate.catalog_generation",
	                          {}, read_only);
	bool cacheable = n == 1 && !spi.boolean(0, 2);
	std::string key = cacheable ? spi.text_or(0, 1, "") : std::string();
	if (cacheable && state_cache.state && state_cache.key == key)
		return state_cache.state;
	auto state = std::make_shared<const CatalogState>(read_state(spi, read_only));
	if (cacheable)
		state_cache = StateCache{key, state};
	return state;
}

std::vector<std::string>
load_version_rows(Spi &spi, bool read_only)
{
	std::uint64_t n = spi.run("SELECT version_num FROM pfm_migrate.version ORDER BY version_num COLLATE \"C\"", {},
	                          read_only);
	std::vector<std::string> rows;
	for (std::uint64_t i = 0; i < n; i++)
		rows.push_back(spi.text_or(i, 1, ""));
	return rows;
}

void
sync_version_rows(Spi &spi, const std::vector<std::string> &heads)
{
	spi.run("DELETE FROM pfm_migrate.version WHERE version_num OPERATOR(pg_catalog.<>) ALL ($1)",
	        {text_array_param(heads)});
	spi.run("INSERT INTO pfm_migrate.version SELECT pg_catalog.unnest($1) ON CONFLICT DO NOTHING",
	        {text_array_param(heads)});
}

std::unordered_map<std::string, AppliedDetail>
load_applied_details(Spi &spi)
{
	std::uint64_t n = spi.run("SELECT revision, applied_at::pg_catalog.text, applied_by::pg_catalog.text, stamped"
	                          " FROM pfm_migrate.applied",
	                          {}, true);
	std::unordered_map<std::string, AppliedDetail> out;
	out.reserve(n);
	for (std::uint64_t i = 0; i < n; i++)
		out[spi.text_or(i, 1, "")] = AppliedDetail{spi.text_or(i, 2, ""), spi.text_or(i, 3, ""), spi.boolean(i, 4)};
	return out;
}

std::optional<StoredRevision>
load_revision(Spi &spi, const std::string &id)
{
	std::uint64_t n = spi.run("SELECT pg_catalog.array_to_string(down_revisions, ','),"
	                          " pg_catalog.array_to_string(depends_on, ','), pg_catalog.array_to_string(branch_labels, ','),"
	                          " message, checksum, upgrade, downgrade"
	                          " FROM pfm_migrate.revisions WHERE revision OPERATOR(pg_catalog.=) $1",
	                          {text_param(id)}, false);
	if (n == 0)
		return std::nullopt;
	StoredRevision s;
	s.revision.id = id;
	s.revision.parents = split_list(spi.text(0, 1));
	s.revision.depends_on = split_list(spi.text(0, 2));
	s.revision.branch_labels = split_list(spi.text(0, 3));
	s.revision.message = spi.text_or(0, 4, "");
	s.revision.checksum = spi.text_or(0, 5, "");
	s.upgrade = spi.text_or(0, 6, "");
	s.downgrade = spi.text(0, 7);
	s.revision.has_downgrade = s.downgrade.has_value();
	return s;
}

std::unordered_map<std::string, std::string>
load_bodies(Spi &spi, const std::vector<std::string> &ids, core::Direction direction)
{
	const char *sql = direction == core::Direction::upgrade
	                      ? "SELECT revision, upgrade FROM pfm_migrate.revisions"
	                        " WHERE revision OPERATOR(pg_catalog.=) ANY ($1)"
	                      : "SELECT revision, downgrade FROM pfm_migrate.revisions"
	                        " WHERE revision OPERATOR(pg_catalog.=) ANY ($1)";
	std::uint64_t n = spi.run(sql, {text_array_param(ids)}, false);
	std::unordered_map<std::string, std::string> bodies;
	bodies.reserve(n);
	for (std::uint64_t i = 0; i < n; i++)
		bodies[spi.text_or(i, 1, "")] = spi.text_or(i, 2, "");
	return bodies;
}

void
append_audit(Spi &spi, const char *operation, const std::string &revision, const Text &direction,
             std::optional<double> duration_ms, const Text &checksum)
{
	spi.run("INSERT INTO pfm_migrate.audit (operation, revision, direction, duration_ms, checksum)"
	        " VALUES ($1, $2, $3, $4, $5)",
	        {text_param(std::string(operation)), text_param(revision), text_param(direction), float8_param(duration_ms),
	         text_param(checksum)});
}

void
record_steps(Spi &spi, core::Direction direction, const std::vector<StepRecord> &steps)
{
	if (steps.empty())
		return;
	std::vector<std::string> ids;
	std::vector<double> durations, finished;
	for (const StepRecord &s : steps) {
		ids.push_back(s.revision);
		durations.push_back(s.duration_ms);
		finished.push_back(s.finished_at);
	}
	std::vector<Param> params = {text_array_param(ids), float8_array_param(durations), float8_array_param(finished)};
	if (direction == core::Direction::upgrade)
		spi.run("WITH s AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3))"
		        "       WITH ORDINALITY AS s(id, ms, at, ord)),"
		        " a AS (INSERT INTO pfm_migrate.applied (revision, checksum, applied_at, duration_ms)"
		        "       SELECT s.id, r.checksum, pg_catalog.to_timestamp(s.at), s.ms FROM s"
		        "       JOIN pfm_migrate.revisions r ON r.revision OPERATOR(pg_catalog.=) s.id"
		        "       RETURNING revision, checksum)"
		        " INSERT INTO pfm_migrate.audit (at, operation, revision, direction, duration_ms, checksum)"
		        " SELECT pg_catalog.to_timestamp(s.at), 'upgrade', s.id, 'upgrade', s.ms, a.checksum"
		        " FROM s JOIN a ON a.revision OPERATOR(pg_catalog.=) s.id ORDER BY s.ord",
		        params);
	else
		spi.run("WITH s AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3))"
		        "       WITH ORDINALITY AS s(id, ms, at, ord)),"
		        " d AS (DELETE FROM pfm_migrate.applied a USING s WHERE a.revision OPERATOR(pg_catalog.=) s.id"
		        "       RETURNING a.revision, a.checksum)"
		        " INSERT INTO pfm_migrate.audit (at, operation, revision, direction, duration_ms, checksum)"
		        " SELECT pg_catalog.to_timestamp(s.at), 'downgrade', s.id, 'downgrade', s.ms, d.checksum"
		        " FROM s JOIN d ON d.revision OPERATOR(pg_catalog.=) s.id ORDER BY s.ord",
		        params);
}

void
record_stamp(Spi &spi, const std::vector<std::string> &unmark, const std::vector<std::string> &mark)
{
	if (!unmark.empty())
		spi.run("WITH u AS (SELECT id, ord FROM pg_catalog.unnest($1) WITH ORDINALITY AS u(id, ord)),"
		        " d AS (DELETE FROM pfm_migrate.applied a USING u WHERE a.revision OPERATOR(pg_catalog.=) u.id"
		        "       RETURNING a.revision, a.checksum, u.ord)"
		        " INSERT INTO pfm_migrate.audit (operation, revision, direction, checksum)"
		        " SELECT 'stamp', d.revision, 'downgrade', d.checksum FROM d ORDER BY d.ord",
		        {text_array_param(unmark)});
	if (!mark.empty())
		spi.run("WITH u AS (SELECT id, ord FROM pg_catalog.unnest($1) WITH ORDINALITY AS u(id, ord)),"
		        " a AS (INSERT INTO pfm_migrate.applied (revision, checksum, stamped)"
		        "       SELECT r.revision, r.checksum, true FROM u"
		        "       JOIN pfm_migrate.revisions r ON r.revision OPERATOR(pg_catalog.=) u.id"
		        "       RETURNING revision, checksum)"
		        " INSERT INTO pfm_migrate.audit (operation, revision, direction, checksum)"
		        " SELECT 'stamp', a.revision, 'upgrade', a.checksum FROM a"
		        " JOIN u ON u.id OPERATOR(pg_catalog.=) a.revision ORDER BY u.ord",
		        {text_array_param(mark)});
}

}  // namespace pfm::pg
