#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pg/catalog.hpp"

#include "core/catalog_image.hpp"
#include "core/migration_file.hpp"
#include "core/sql_text.hpp"
#include "core/text.hpp"
#include "pg/boundary.hpp"
#include "pg/commit_record.hpp"

#include <malloc.h>
#include <sys/mman.h>

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/lsyscache.h"
}

namespace pfm::pg {

namespace {

// ---- pfm_migrate.revisions: the one table of its columns ---------------------------

// One column of pfm_migrate.revisions as the engine uses it. `select` is what a read
// selects (a column or an expression); `column` is what a write sets (nullptr: the server
// computes it); `in_graph` columns are read when the graph is loaded (bodies are not).
// `argument` names the pfm_register parameter an offline script passes it as.
struct RevisionColumn {
	const char *select;
	const char *column;
	bool in_graph;
	CatalogVersion since;
	void (*read)(const Row &row, int column, StoredRevision &r);
	Param (*write)(const StoredRevision &r);
	const char *argument;
	// The argument's SQL text, or nullopt when it is at its default (left out).
	std::optional<std::string> (*literal)(const StoredRevision &r);
};

std::optional<std::string>
list_literal(const std::vector<std::string> &items)
{
	if (items.empty())
		return std::nullopt;
	return core::sql_text_array(items);
}

const RevisionColumn revision_columns[] = {
	{"revision", "revision", true, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.id = row.text_or(c, ""); },
	 [](const StoredRevision &r) { return text_param(r.revision.id); }, "revision",
	 [](const StoredRevision &r) -> std::optional<std::string> { return core::sql_literal(r.revision.id); }},
	{"down_revisions", "down_revisions", true, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.parents = row.text_array(c); },
	 [](const StoredRevision &r) { return text_array_param(r.revision.parents); }, "down_revision",
	 [](const StoredRevision &r) -> std::optional<std::string> {
		 return r.revision.parents.empty() ? std::string("NULL") : core::sql_literal(core::join(r.revision.parents, ","));
	 }},
	{"branch_labels", "branch_labels", true, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.branch_labels = row.text_array(c); },
	 [](const StoredRevision &r) { return text_array_param(r.revision.branch_labels); }, "branch_labels",
	 [](const StoredRevision &r) { return list_literal(r.revision.branch_labels); }},
	{"depends_on", "depends_on", true, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.depends_on = row.text_array(c); },
	 [](const StoredRevision &r) { return text_array_param(r.revision.depends_on); }, "depends_on",
	 [](const StoredRevision &r) { return list_literal(r.revision.depends_on); }},
	{"message", "message", true, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.message = row.text_or(c, ""); },
	 [](const StoredRevision &r) { return text_param(r.revision.message.empty() ? Text() : Text(r.revision.message)); },
	 "message",
	 [](const StoredRevision &r) -> std::optional<std::string> {
		 if (r.revision.message.empty())
			 return std::nullopt;
		 return core::dollar_quoted(r.revision.message);
	 }},
	{"upgrade", "upgrade", false, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.upgrade = row.text_or(c, ""); },
	 [](const StoredRevision &r) { return text_param(r.upgrade); }, "upgrade",
	 [](const StoredRevision &r) -> std::optional<std::string> { return core::dollar_quoted(r.upgrade); }},
	{"downgrade", "downgrade", false, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) {
		 r.downgrade = row.text(c);
		 r.revision.has_downgrade = r.downgrade.has_value();
	 },
	 [](const StoredRevision &r) { return text_param(r.downgrade); }, "downgrade",
	 [](const StoredRevision &r) -> std::optional<std::string> {
		 return r.downgrade ? core::dollar_quoted(*r.downgrade) : std::string("NULL");
	 }},
	{"transactional", "transactional", true, CatalogVersion::v0_2_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.transactional = row.boolean(c); },
	 [](const StoredRevision &r) { return bool_param(r.revision.transactional); }, "transactional",
	 [](const StoredRevision &r) -> std::optional<std::string> {
		 return r.revision.transactional ? std::nullopt : std::optional<std::string>("false");
	 }},
	// Computed by the server; read only.
	{"checksum", nullptr, true, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.checksum = core::Checksum(row.text_view(c)); }, nullptr, nullptr,
	 nullptr},
	{"downgrade IS NOT NULL", nullptr, true, CatalogVersion::v0_1_0,
	 [](const Row &row, int c, StoredRevision &r) { r.revision.has_downgrade = row.boolean(c); }, nullptr, nullptr,
	 nullptr},
};

bool
present_in(const RevisionColumn &col, CatalogVersion version)
{
	return static_cast<int>(col.since) <= static_cast<int>(version);
}

// The statements over pfm_migrate.revisions for one catalog version, built once from the
// column table.
struct RevisionSql {
	std::string select_graph;  // every registered revision, without bodies
	std::string select_full;   // the named revisions ($1 text[]), with bodies
	std::string insert;        // RETURNING checksum
	std::string update;        // RETURNING checksum
	std::vector<const RevisionColumn *> graph_columns, full_columns, written_columns;
};

const RevisionSql &
revision_sql(CatalogVersion version)
{
	static std::unordered_map<int, RevisionSql> built;
	auto found = built.find(static_cast<int>(version));
	if (found != built.end())
		return found->second;
	RevisionSql s;
	std::string graph_list, full_list, insert_columns, insert_values, assignments;
	int n = 0;
	for (const RevisionColumn &col : revision_columns) {
		if (!present_in(col, version))
			continue;
		full_list += (full_list.empty() ? "" : ", ") + std::string(col.select);
		s.full_columns.push_back(&col);
		if (col.in_graph) {
			graph_list += (graph_list.empty() ? "" : ", ") + std::string(col.select);
			s.graph_columns.push_back(&col);
		}
		if (col.column) {
			std::string placeholder = "$" + std::to_string(++n);
			insert_columns += (insert_columns.empty() ? "" : ", ") + std::string(col.column);
			insert_values += (insert_values.empty() ? "" : ", ") + placeholder;
			if (n > 1)  // $1 is the revision id, the key
				assignments += std::string(col.column) + " = " + placeholder + ", ";
			s.written_columns.push_back(&col);
		}
	}
	s.select_graph = "SELECT " + graph_list + " FROM pfm_migrate.revisions";
	s.select_full = "SELECT " + full_list +
	                " FROM pfm_migrate.revisions WHERE revision OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])";
	s.insert = "INSERT INTO pfm_migrate.revisions (" + insert_columns + ") VALUES (" + insert_values +
	           ") RETURNING checksum";
	s.update = "UPDATE pfm_migrate.revisions SET " + assignments +
	           "registered_by = CURRENT_USER, registered_at = pg_catalog.clock_timestamp()"
	           " WHERE revision OPERATOR(pg_catalog.=) $1 RETURNING checksum";
	return built.emplace(static_cast<int>(version), std::move(s)).first->second;
}

StoredRevision
revision_from_row(const Row &row, const std::vector<const RevisionColumn *> &columns)
{
	StoredRevision r;
	for (std::size_t i = 0; i < columns.size(); i++)
		columns[i]->read(row, static_cast<int>(i + 1), r);
	return r;
}

std::vector<Param>
revision_params(const RevisionSql &sql, const StoredRevision &r)
{
	std::vector<Param> params;
	params.reserve(sql.written_columns.size());
	for (const RevisionColumn *col : sql.written_columns)
		params.push_back(col->write(r));
	return params;
}

bool
same_param(const Param &a, const Param &b)
{
	return a.kind == b.kind && a.isnull == b.isnull && a.text == b.text && a.list == b.list && a.flag == b.flag &&
	       a.number == b.number && a.numbers == b.numbers && a.integer == b.integer;
}

std::string
written_checksum(Spi &spi, const std::string &sql, const std::vector<Param> &params, const std::string &id)
{
	if (spi.run(sql, params) != 1)
		internal_error("writing revision " + id + " did not return its checksum");
	return spi.row(0).text_or(1, "");
}

// ---- the state cache ------------------------------------------------------------------

struct StateCache {
	std::string key;  // "<xmin>:<generation>:<version>" of the catalog_generation row version
	StatePtr state;
};
StateCache state_cache;

CatalogVersion
version_from_text(const Text &text)
{
	if (!text)
		throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "extension \"pfm_migrate\" is not installed",
		               {}, "Run CREATE EXTENSION pfm_migrate.");
	// Released versions in order; a version this library does not know is newer than it.
	if (*text == "0.1.0")
		return CatalogVersion::v0_1_0;
	if (*text == "0.2.0")
		return CatalogVersion::v0_2_0;
	return newest_catalog;
}

// The catalog_generation row version: every statement that changes revisions or applied
// creates a new version of that row (a statement trigger), in the same (sub)transaction:
// same xmin and generation means the same catalog content. A transaction that changed the
// catalog itself gets no key (it always reads the catalog afresh). Also says whether the
// role may read and write pfm_migrate.noop_verdict (absent before 0.2.0).
struct CatalogKey {
	std::string key;
	CatalogVersion version;
	bool verdict_readable, verdict_writable;  // pfm_migrate.noop_verdict
	bool status_readable, status_writable;    // pfm_migrate.status_verdict
	bool image_readable, image_writable;      // pfm_migrate.catalog_image
};

// The key's first part, from the catalog_generation row g, selected as text; key_of adds the
// extension's version.
#define PFM_GENERATION_KEY_SQL \
	"g.xmin::pg_catalog.text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) g.generation::pg_catalog.text"

std::string
key_of(const std::string &generation, const Text &extension_version)
{
	return generation + ":" + extension_version.value_or("");
}

bool own_change_keyed = false;  // an OwnChangeKeyed is alive

CatalogKey
read_catalog_key(Spi &spi, bool read_only)
{
	std::uint64_t n = spi.run(
		"SELECT " PFM_GENERATION_KEY_SQL ", pfm_migrate.written_by_current_transaction(g.xmin),"
		" (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pfm_migrate'),"
		" coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass('pfm_migrate.noop_verdict'), 'SELECT'), false),"
		" coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass('pfm_migrate.noop_verdict'), 'UPDATE'), false),"
		" coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass('pfm_migrate.status_verdict'), 'SELECT'), false),"
		" coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass('pfm_migrate.status_verdict'), 'UPDATE'), false),"
		" coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass('pfm_migrate.catalog_image'), 'SELECT'), false),"
		" coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass('pfm_migrate.catalog_image'), 'UPDATE'), false)"
		" FROM pfm_migrate.catalog_generation g",
		{}, read_only);
	if (n != 1)
		internal_error("pfm_migrate.catalog_generation holds " + std::to_string(n) + " rows instead of one");
	Row row = spi.row(0);
	Text version_text = row.text(3);
	CatalogKey k{{},           version_from_text(version_text), row.boolean(4), row.boolean(5), row.boolean(6),
	             row.boolean(7), row.boolean(8),                  row.boolean(9)};
	if (!row.boolean(2) || own_change_keyed)
		k.key = key_of(row.text_or(1, ""), version_text);
	return k;
}

// The planner's estimate of a catalog table's rows (0 when it has none): what a whole-table
// read reserves, so that 100 000 revisions are not copied through doubling vectors.
std::size_t
estimated_rows(Spi &spi, const char *table, bool read_only)
{
	spi.run("SELECT c.reltuples::pg_catalog.float8 FROM pg_catalog.pg_class c"
	        " WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1)",
	        {text_param(std::string(table))}, read_only);
	const double estimate = spi.rows() == 1 ? spi.row(0).float8(1).value_or(0) : 0;
	return estimate > 0 && estimate < 1e8 ? static_cast<std::size_t>(estimate * 1.05) : 0;  // -1: never counted
}

// Asks the kernel to back the 2 MB-aligned part of a large, still untouched array (the
// vectors a whole-table read fills) with transparent huge pages: a new session's first
// read of 100 000 revisions otherwise takes a page fault per 4 kB as it fills them (about
// 3 000 faults, 8-10 ms of a 130 ms first call on a small virtual machine). Advice only:
// where THP is off or "never", nothing changes; arrays under 4 MB are left alone.
template <class T>
void
prefer_huge_pages(const std::vector<T> &rows)
{
	constexpr std::uintptr_t huge = std::uintptr_t(2) << 20;
	const auto begin = reinterpret_cast<std::uintptr_t>(rows.data());
	const std::uintptr_t end = begin + rows.capacity() * sizeof(T);
	const std::uintptr_t from = (begin + huge - 1) & ~(huge - 1), to = end & ~(huge - 1);
	if (rows.capacity() * sizeof(T) >= 2 * huge && to > from)
		(void)madvise(reinterpret_cast<void *>(from), to - from, MADV_HUGEPAGE);
}

// After a read into a vector reserved from an estimate: gives back what a stale estimate
// reserved in excess.
template <class T>
void
fit(std::vector<T> &rows)
{
	if (rows.capacity() > rows.size() + rows.size() / 8 + 16)
		rows.shrink_to_fit();
}

std::vector<core::AppliedRevision>
read_applied(Spi &spi, bool read_only)
{
	// (Whole tables are streamed: no result of 100 000 rows is held while they are copied.)
	std::vector<core::AppliedRevision> applied;
	applied.reserve(estimated_rows(spi, "pfm_migrate.applied", read_only));
	prefer_huge_pages(applied);
	spi.for_each_row("SELECT revision, checksum FROM pfm_migrate.applied", {}, read_only,
	                 [&](const Row &row) { applied.push_back({row.text_or(1, ""), core::Checksum(row.text_view(2))}); });
	fit(applied);
	return applied;
}

// Whether this call may record something about the catalog it read (a verdict, the
// image): a read-write READ COMMITTED transaction outside recovery, not nested in another
// pfm call (a migration body's trigger, say), the catalog at 0.2.0 or later.
bool
may_record(CatalogVersion version)
{
	if (version < CatalogVersion::v0_2_0 || nesting_depth() > 1)
		return false;
	return pg_call([] { return !XactReadOnly && !RecoveryInProgress() && !IsolationUsesXactSnapshot(); });
}

// ---- the catalog image (core/catalog_image.hpp) -----------------------------------------

// The state from pfm_migrate.catalog_image when it holds the image of the catalog with this
// key; nullopt otherwise (none yet, another key, bytes this build cannot read: the caller
// then reads the tables). `unreadable`: an image for this key that could not be read (the
// caller's read then replaces it).
std::optional<CatalogState>
state_from_image(Spi &spi, const CatalogKey &key, bool read_only, bool &unreadable)
{
	unreadable = false;
	if (key.key.empty() || !key.image_readable)
		return std::nullopt;
	if (spi.run("SELECT image FROM pfm_migrate.catalog_image WHERE catalog_key OPERATOR(pg_catalog.=) $1",
	            {text_param(key.key)}, read_only) != 1)
		return std::nullopt;
	unreadable = true;
	std::vector<core::Revision> revisions;
	std::vector<core::AppliedRevision> applied;
	bool decoded = false;
	spi.row(0).with_bytes(1, [&](std::string_view image) {
		std::size_t n_revisions = 0, n_applied = 0;
		if (!core::catalog_image_counts(image, n_revisions, n_applied))
			return;
		revisions.reserve(n_revisions);
		prefer_huge_pages(revisions);
		applied.reserve(n_applied);
		prefer_huge_pages(applied);
		decoded = core::decode_catalog_image(image, revisions, applied);
	});
	if (!decoded)
		return std::nullopt;
	unreadable = false;
	CatalogState state{core::RevisionGraph(std::move(revisions)), std::move(applied), key.version};
	state.from_image = true;
	return state;
}

// An image larger than this is not recorded (a bytea may hold 1 GB; this one would hold
// millions of revisions).
constexpr std::size_t max_image_bytes = std::size_t(256) << 20;

CatalogState
read_state_uncached(Spi &spi, const CatalogKey &key, bool read_only)
{
	bool unreadable = false;
	if (std::optional<CatalogState> imaged = state_from_image(spi, key, read_only, unreadable))
		return std::move(*imaged);
	const CatalogVersion version = key.version;
	const RevisionSql &sql = revision_sql(version);
	std::vector<core::Revision> revisions;
	revisions.reserve(estimated_rows(spi, "pfm_migrate.revisions", read_only));
	prefer_huge_pages(revisions);
	StoredRevision scratch;  // (one for every row: only its graph columns are read)
	spi.for_each_row(sql.select_graph, {}, read_only, [&](const Row &row) {
		for (std::size_t i = 0; i < sql.graph_columns.size(); i++)
			sql.graph_columns[i]->read(row, static_cast<int>(i + 1), scratch);
		revisions.push_back(std::move(scratch.revision));
		scratch.revision = core::Revision();
	});
	fit(revisions);
	core::RevisionGraph graph(std::move(revisions));
	CatalogState state{std::move(graph), read_applied(spi, read_only), version};
	state.image_unreadable = unreadable;
	return state;
}

// ---- the file overlay of pfm_preview() -----------------------------------------------------

struct OverlayState {
	std::unordered_map<std::string, StoredRevision> by_id;
	std::vector<std::string> missing;
	StatePtr state;
	SubTransactionId set_in = InvalidSubTransactionId;
};
std::unique_ptr<OverlayState> overlay;

}  // namespace

OwnChangeKeyed::OwnChangeKeyed()
{
	own_change_keyed = true;
}

OwnChangeKeyed::~OwnChangeKeyed()
{
	own_change_keyed = false;
}

void
set_file_overlay(Spi &spi, FileOverlay files)
{
	auto o = std::make_unique<OverlayState>();
	std::vector<core::Revision> graph_revisions;
	graph_revisions.reserve(files.revisions.size());
	for (StoredRevision &r : files.revisions) {
		graph_revisions.push_back(r.revision);
		std::string id = r.revision.id;
		o->by_id.emplace(std::move(id), std::move(r));
	}
	CatalogVersion version = read_catalog_version(spi, true);
	o->state = std::make_shared<const CatalogState>(
		CatalogState{core::RevisionGraph(std::move(graph_revisions)), read_applied(spi, true), version});
	o->missing = std::move(files.missing);
	o->set_in = pg_call([] { return GetCurrentSubTransactionId(); });
	overlay = std::move(o);
}

bool
file_overlay_active()
{
	return overlay != nullptr;
}

std::vector<std::string>
file_overlay_missing()
{
	return overlay ? overlay->missing : std::vector<std::string>{};
}

void
file_overlay_transaction_end()
{
	overlay.reset();
}

void
file_overlay_subtransaction_end(bool aborted, unsigned subtransaction, unsigned parent)
{
	if (!overlay || overlay->set_in != subtransaction)
		return;
	if (aborted)
		overlay.reset();
	else
		overlay->set_in = parent;
}

// ---- public functions ---------------------------------------------------------------------

bool
StoredRevision::same_content(const StoredRevision &other) const
{
	// Bodies that differ only in blank lines and spaces at either end are the same
	// registration (a file converted to another layout keeps its checksum as registered).
	auto normalized = [](const StoredRevision &r) {
		StoredRevision n = r;
		n.upgrade = std::string(core::trim_blank_edges(r.upgrade));
		if (r.downgrade)
			n.downgrade = std::string(core::trim_blank_edges(*r.downgrade));
		return n;
	};
	const StoredRevision a = normalized(*this), b = normalized(other);
	const RevisionSql &sql = revision_sql(newest_catalog);
	for (const RevisionColumn *col : sql.written_columns)
		if (!same_param(col->write(a), col->write(b)))
			return false;
	return true;
}

std::vector<std::string>
CatalogState::applied_ids() const
{
	std::vector<std::string> ids;
	ids.reserve(applied.size());
	for (const auto &a : applied)
		ids.push_back(a.id);
	return ids;
}

bool
CatalogState::is_applied(const std::string &id) const
{
	for (const auto &a : applied)
		if (a.id == id)
			return true;
	return false;
}

CatalogVersion
read_catalog_version(Spi &spi, bool read_only)
{
	std::uint64_t n = spi.run("SELECT extversion FROM pg_catalog.pg_extension"
	                          " WHERE extname OPERATOR(pg_catalog.=) 'pfm_migrate'",
	                          {}, read_only);
	return version_from_text(n == 1 ? spi.row(0).text(1) : Text());
}

bool
noop_established(Spi &spi, const std::string &target, bool read_only)
{
	if (overlay)
		return false;
	CatalogKey current = read_catalog_key(spi, read_only);
	if (current.key.empty() || !current.verdict_readable)
		return false;
	return spi.run("SELECT FROM pfm_migrate.noop_verdict WHERE target OPERATOR(pg_catalog.=) $1"
	               " AND catalog_key OPERATOR(pg_catalog.=) $2",
	               {text_param(target), text_param(current.key)}, read_only) == 1;
}

std::optional<std::string>
noop_current_for_files(Spi &spi, const std::string &digest, const std::string &version, const std::string &target)
{
	if (overlay)
		return std::nullopt;
	// the schema of the pfm_upgrade(text, boolean) that the caller's search_path finds
	std::optional<std::int64_t> upgrade_schema = pg_call([]() -> std::optional<std::int64_t> {
		Oid argtypes[2] = {TEXTOID, BOOLOID};
		Oid fn = LookupFuncName(list_make1(makeString(pstrdup("pfm_upgrade"))), 2, argtypes, true);
		if (!OidIsValid(fn))
			return std::nullopt;
		return static_cast<std::int64_t>(get_func_namespace(fn));
	});
	if (!upgrade_schema)
		return std::nullopt;
	// (noop_established's test and file_set_loaded's: what they read, in one query of
	// independent parts, compared here. A new session's first reads of these tables, and the
	// planning of a join of them, are most of what this costs.)
	std::uint64_t n = spi.run(
		"SELECT " PFM_GENERATION_KEY_SQL ", pfm_migrate.written_by_current_transaction(g.xmin),"
		"       e.extversion, e.extnamespace::pg_catalog.int8,"
		"       EXISTS (SELECT FROM pfm_migrate.file_set f WHERE f.digest OPERATOR(pg_catalog.=) $1),"
		"       (SELECT nv.catalog_key FROM pfm_migrate.noop_verdict nv WHERE nv.target OPERATOR(pg_catalog.=) $2),"
		"       (SELECT pg_catalog.string_agg(v.version_num, ',' ORDER BY v.version_num COLLATE pg_catalog.\"C\")"
		"          FROM pfm_migrate.version v)"
		"  FROM pfm_migrate.catalog_generation g, pg_catalog.pg_extension e"
		" WHERE e.extname OPERATOR(pg_catalog.=) 'pfm_migrate'",
		{text_param(digest), text_param(target)}, true);
	if (n != 1)
		return std::nullopt;
	Row row = spi.row(0);
	Text extversion = row.text(3), verdict = row.text(6);
	if (row.boolean(2) || extversion != version || row.int8(4) != upgrade_schema || !row.boolean(5) || !verdict ||
	    *verdict != key_of(row.text_or(1, ""), extversion))
		return std::nullopt;
	return row.text_or(7, "base");
}

void
establish_noop(Spi &spi, const std::string &target, const CatalogState &state)
{
	if (overlay || state.key.empty())
		return;
	CatalogKey current = read_catalog_key(spi, false);
	if (current.key != state.key || !current.verdict_writable)
		return;
	spi.run("WITH free AS (SELECT ctid FROM pfm_migrate.noop_verdict WHERE target OPERATOR(pg_catalog.=) $1"
	        "   AND (catalog_key IS NULL OR catalog_key OPERATOR(pg_catalog.<>) $2) FOR UPDATE SKIP LOCKED)"
	        " UPDATE pfm_migrate.noop_verdict v SET catalog_key = $2 FROM free WHERE v.ctid OPERATOR(pg_catalog.=) free.ctid",
	        {text_param(target), text_param(state.key)});
}

StatusVerdict
status_of(const CatalogState &state)
{
	StatusVerdict v;
	v.current_heads = state.current_heads();
	v.heads = state.graph.heads();
	// (The graph's own index marks what is applied: no set of 100 000 id strings.)
	const std::vector<core::Revision> &revisions = state.graph.revisions();
	std::vector<char> applied(revisions.size(), 0);
	for (const auto &a : state.applied) {
		const core::Revision *r = state.graph.find(a.id);
		if (!r)
			continue;
		applied[static_cast<std::size_t>(r - revisions.data())] = 1;
		if (r->checksum != a.checksum)
			v.drifted++;
	}
	v.pending = static_cast<int>(std::count(applied.begin(), applied.end(), 0));
	v.graph_problems = core::check_all(state.graph, state.applied);
	return v;
}

// The select list of LiveRows (0.2.0: the progress table is new there).
constexpr const char *live_rows_select =
	"ARRAY(SELECT version_num FROM pfm_migrate.version ORDER BY version_num COLLATE pg_catalog.\"C\"),"
	" EXISTS (SELECT FROM pfm_migrate.progress)";

LiveRows
live_rows_from(const Row &row, int first_column)
{
	return LiveRows{row.text_array(first_column), row.boolean(first_column + 1)};
}

LiveRows
read_live_rows(Spi &spi, bool read_only)
{
	if (read_catalog_version(spi, read_only) < CatalogVersion::v0_2_0)
		return LiveRows{read_version_rows(spi, read_only), false};
	spi.run(std::string("SELECT ") + live_rows_select, {}, read_only);
	return live_rows_from(spi.row(0), 1);
}

std::optional<EstablishedStatus>
established_status(Spi &spi)
{
	if (overlay)
		return std::nullopt;
	CatalogKey current = read_catalog_key(spi, true);
	if (current.key.empty() || !current.status_readable)
		return std::nullopt;
	if (spi.run(std::string("SELECT current_heads, heads, pending, drifted, graph_problems, ") + live_rows_select +
	                " FROM pfm_migrate.status_verdict WHERE catalog_key OPERATOR(pg_catalog.=) $1",
	            {text_param(current.key)}, true) != 1)
		return std::nullopt;
	Row row = spi.row(0);
	std::optional<std::int64_t> pending = row.int8(3), drifted = row.int8(4);
	std::vector<std::string> flat = row.text_array(5);
	if (!pending || !drifted || flat.size() % 3 != 0)
		return std::nullopt;
	std::vector<core::Problem> problems;
	problems.reserve(flat.size() / 3);
	for (std::size_t i = 0; i < flat.size(); i += 3)
		problems.push_back({std::move(flat[i]), std::move(flat[i + 1]), std::move(flat[i + 2])});
	return EstablishedStatus{StatusVerdict{row.text_array(1), row.text_array(2), static_cast<int>(*pending),
	                                       static_cast<int>(*drifted), std::move(problems)},
	                         live_rows_from(row, 6)};
}

namespace {

// Whether this call may record the status verdict of `state` (see establish_status).
bool
status_recordable(Spi &spi, const CatalogState &state)
{
	if (overlay || state.key.empty() || !may_record(state.version))
		return false;
	// The state may come from this backend's cache, or from a snapshot older than this
	// statement: record it only when the latest committed catalog still has its key (a
	// change committed since would show as a new key here).
	CatalogKey current = read_catalog_key(spi, false);
	return current.key == state.key && current.status_readable && current.status_writable;
}

void
write_status(Spi &spi, const CatalogState &state, const StatusVerdict &verdict)
{
	std::vector<std::string> flat;
	flat.reserve(3 * verdict.graph_problems.size());
	for (const core::Problem &p : verdict.graph_problems) {
		flat.push_back(p.severity);
		flat.push_back(p.revision);
		flat.push_back(p.problem);
	}
	spi.run("WITH free AS (SELECT ctid FROM pfm_migrate.status_verdict"
	        "   WHERE (catalog_key IS NULL OR catalog_key OPERATOR(pg_catalog.<>) $1) FOR UPDATE SKIP LOCKED)"
	        " UPDATE pfm_migrate.status_verdict v SET catalog_key = $1, current_heads = $2, heads = $3, pending = $4,"
	        "   drifted = $5, graph_problems = $6 FROM free WHERE v.ctid OPERATOR(pg_catalog.=) free.ctid",
	        {text_param(state.key), text_array_param(verdict.current_heads), text_array_param(verdict.heads),
	         int4_param(verdict.pending), int4_param(verdict.drifted), text_array_param(flat)});
}

}  // namespace

void
establish_status(Spi &spi, const CatalogState &state, const StatusVerdict &verdict)
{
	if (status_recordable(spi, state))
		write_status(spi, state, verdict);
}

void
establish_status(Spi &spi, const CatalogState &state)
{
	// (The verdict is computed only when it will be written: about 20 ms at 100 000.)
	if (!status_recordable(spi, state) ||
	    spi.run("SELECT FROM pfm_migrate.status_verdict WHERE catalog_key OPERATOR(pg_catalog.=) $1",
	            {text_param(state.key)}) == 1)
		return;
	write_status(spi, state, status_of(state));
}

void
record_image(Spi &spi, const CatalogState &state)
{
	if (overlay || state.key.empty() || state.from_image || state.image_recorded || !may_record(state.version))
		return;
	// (As for the verdicts: the content read after the key may be newer than it; the latest
	// committed catalog still having that key means it is not.)
	CatalogKey now = read_catalog_key(spi, false);
	if (now.key != state.key || !now.image_readable || !now.image_writable)
		return;
	state.image_recorded = true;  // by this call, or by the session that holds the row
	if (!state.image_unreadable &&
	    spi.run("SELECT FROM pfm_migrate.catalog_image WHERE catalog_key OPERATOR(pg_catalog.=) $1",
	            {text_param(state.key)}) == 1)
		return;
	std::string image = core::encode_catalog_image(state.graph.revisions(), state.applied);
	if (image.size() > max_image_bytes)
		return;
	spi.run("WITH free AS (SELECT ctid FROM pfm_migrate.catalog_image"
	        "   WHERE catalog_key IS NULL OR catalog_key OPERATOR(pg_catalog.<>) $1 OR $3 FOR UPDATE SKIP LOCKED)"
	        " UPDATE pfm_migrate.catalog_image i SET catalog_key = $1, image = $2"
	        "   FROM free WHERE i.ctid OPERATOR(pg_catalog.=) free.ctid",
	        {text_param(state.key), bytea_param(std::move(image)), bool_param(state.image_unreadable)});
}

void
record_for_next_sessions(Spi &spi, const CatalogState &state, const std::string &noop_target)
{
	if (!noop_target.empty())
		establish_noop(spi, noop_target, state);
	establish_status(spi, state);
	record_image(spi, state);
}

namespace {

// After a large catalog was read: returns to the kernel what reading it used and freed (the
// graph's construction, the image's decoding), which glibc's heap would otherwise keep for
// the rest of the session: about 3 MB of every monitoring connection at 100 000 revisions.
void
give_back_scratch(const CatalogState &state)
{
#ifdef __GLIBC__
	if (state.graph.size() >= 10000)
		(void)malloc_trim(0);
#else
	(void)state;
#endif
}

}  // namespace

StatePtr
read_catalog_state(Spi &spi, bool read_only)
{
	if (overlay)
		return overlay->state;
	// (The key is read before the content: in READ COMMITTED the content may be newer than
	// its key, never older, so a change committed meanwhile only makes the next call read
	// again.)
	CatalogKey current = read_catalog_key(spi, read_only);
	const std::string &key = current.key;
	const bool cacheable = !key.empty();
	if (cacheable && state_cache.state && state_cache.key == key)
		return state_cache.state;
	CatalogState read = read_state_uncached(spi, current, read_only);
	read.key = key;
	auto state = std::make_shared<const CatalogState>(std::move(read));
	if (cacheable)
		state_cache = StateCache{key, state};
	give_back_scratch(*state);
	return state;
}

std::vector<StoredRevision>
read_step_revisions(Spi &spi, const core::Plan &plan, bool read_only)
{
	std::vector<std::string> ids;
	ids.reserve(plan.steps.size());
	for (const core::Step &step : plan.steps)
		ids.push_back(step.revision);
	return read_revisions(spi, ids, read_only);
}

std::vector<StoredRevision>
read_revisions(Spi &spi, const std::vector<std::string> &ids, bool read_only)
{
	if (overlay) {
		std::vector<StoredRevision> out;
		out.reserve(ids.size());
		for (const std::string &id : ids) {
			auto it = overlay->by_id.find(id);
			if (it == overlay->by_id.end())
				internal_error("revision " + id + " is not in the previewed file set");
			out.push_back(it->second);
		}
		return out;
	}
	const RevisionSql &sql = revision_sql(read_catalog_version(spi, read_only));
	std::uint64_t n = spi.run(sql.select_full, {text_array_param(ids)}, read_only);
	std::unordered_map<std::string, StoredRevision> by_id;
	by_id.reserve(n);
	for (std::uint64_t i = 0; i < n; i++) {
		StoredRevision r = revision_from_row(spi.row(i), sql.full_columns);
		std::string id = r.revision.id;
		by_id.emplace(std::move(id), std::move(r));
	}
	std::vector<StoredRevision> out;
	out.reserve(ids.size());
	for (const std::string &id : ids) {
		auto it = by_id.find(id);
		if (it == by_id.end())
			throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE, "revision " + id + " is no longer registered",
			               "It was unregistered while this call was reading the catalog.", "Retry the call.");
		out.push_back(it->second);
	}
	return out;
}

std::optional<StoredRevision>
read_revision(Spi &spi, const std::string &id, bool read_only)
{
	const RevisionSql &sql = revision_sql(read_catalog_version(spi, read_only));
	if (spi.run(sql.select_full, {text_array_param({id})}, read_only) == 0)
		return std::nullopt;
	return revision_from_row(spi.row(0), sql.full_columns);
}

std::string
insert_revision(Spi &spi, CatalogVersion version, const StoredRevision &r)
{
	catalog_changes_in_transaction();
	const RevisionSql &sql = revision_sql(version);
	return written_checksum(spi, sql.insert, revision_params(sql, r), r.revision.id);
}

std::string
update_revision(Spi &spi, CatalogVersion version, const StoredRevision &r)
{
	catalog_changes_in_transaction();
	const RevisionSql &sql = revision_sql(version);
	return written_checksum(spi, sql.update, revision_params(sql, r), r.revision.id);
}

void
delete_revisions(Spi &spi, const std::vector<std::string> &ids)
{
	catalog_changes_in_transaction();
	spi.run("WITH d AS (DELETE FROM pfm_migrate.revisions WHERE revision OPERATOR(pg_catalog.=) ANY ($1)"
	        "           RETURNING revision, checksum)"
	        " INSERT INTO pfm_migrate.audit (operation, revision, checksum)"
	        " SELECT 'unregister', d.revision, d.checksum FROM d ORDER BY d.revision COLLATE pg_catalog.\"C\"",
	        {text_array_param(ids)});
}

std::string
checksum_of(Spi &spi, const StoredRevision &r)
{
	CatalogVersion version = read_catalog_version(spi, true);
	const char *sql = version >= CatalogVersion::v0_2_0
	                      ? "SELECT pfm_migrate.revision_checksum($1, $2, $3)"
	                      : "SELECT pfm_migrate.body_checksum($1, $2), $3";
	spi.run(sql, {text_param(r.upgrade), text_param(r.downgrade), bool_param(r.revision.transactional)}, true);
	return spi.row(0).text_or(1, "");
}

std::vector<RegisterArgument>
register_arguments(const StoredRevision &r)
{
	std::vector<RegisterArgument> out;
	for (const RevisionColumn &col : revision_columns) {
		if (!col.argument)
			continue;
		if (std::optional<std::string> literal = col.literal(r))
			out.push_back({col.argument, std::move(*literal)});
	}
	return out;
}

std::unordered_map<std::string, AppliedDetail>
read_applied_details(Spi &spi)
{
	std::uint64_t n =
		spi.run("SELECT revision, applied_at, applied_by, duration_ms, stamped FROM pfm_migrate.applied", {}, true);
	std::unordered_map<std::string, AppliedDetail> out;
	out.reserve(n);
	for (std::uint64_t i = 0; i < n; i++) {
		Row row = spi.row(i);
		out[row.text_or(1, "")] =
			AppliedDetail{row.timestamptz(2).value_or(0), row.text_or(3, ""), row.float8(4), row.boolean(5)};
	}
	return out;
}

std::optional<std::string>
read_applied_checksum(Spi &spi, const std::string &id)
{
	if (spi.run("SELECT checksum FROM pfm_migrate.applied WHERE revision OPERATOR(pg_catalog.=) $1", {text_param(id)}) ==
	    0)
		return std::nullopt;
	return spi.row(0).text_or(1, "");
}

std::vector<std::string>
read_version_rows(Spi &spi, bool read_only)
{
	std::uint64_t n = spi.run(
		"SELECT version_num FROM pfm_migrate.version ORDER BY version_num COLLATE pg_catalog.\"C\"", {}, read_only);
	std::vector<std::string> rows;
	rows.reserve(n);
	for (std::uint64_t i = 0; i < n; i++)
		rows.push_back(spi.row(i).text_or(1, ""));
	return rows;
}

void
write_version_rows(Spi &spi, const std::vector<std::string> &heads)
{
	spi.run("DELETE FROM pfm_migrate.version WHERE version_num OPERATOR(pg_catalog.<>) ALL ($1)",
	        {text_array_param(heads)});
	spi.run("INSERT INTO pfm_migrate.version SELECT pg_catalog.unnest($1) ON CONFLICT DO NOTHING",
	        {text_array_param(heads)});
}

void
audit_registration(Spi &spi, const char *operation, const std::string &revision, const std::string &checksum)
{
	spi.run("INSERT INTO pfm_migrate.audit (operation, revision, checksum) VALUES ($1, $2, $3)",
	        {text_param(std::string(operation)), text_param(revision), text_param(checksum)});
}

void
record_steps(Spi &spi, core::Direction direction, const std::vector<StepRecord> &steps)
{
	if (steps.empty())
		return;
	catalog_changes_in_transaction();
	std::vector<std::string> ids;
	std::vector<double> durations, finished, attempts;
	ids.reserve(steps.size());
	durations.reserve(steps.size());
	finished.reserve(steps.size());
	attempts.reserve(steps.size());
	for (const StepRecord &s : steps) {
		ids.push_back(s.revision);
		durations.push_back(s.duration_ms);
		finished.push_back(s.finished_at);
		attempts.push_back(s.attempts);
	}
	const bool with_attempts = read_catalog_version(spi, false) >= CatalogVersion::v0_2_0;
	std::vector<Param> params = {text_array_param(ids), float8_array_param(durations), float8_array_param(finished),
	                             float8_array_param(attempts)};
	// (0.1.0's audit has no attempts column: $4 is then passed and not used.)
	const char *upgrade_sql =
		with_attempts
			? "WITH s AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
			  "       pg_catalog.unnest($4)) WITH ORDINALITY AS s(id, ms, at, tries, ord)),"
			  " a AS (INSERT INTO pfm_migrate.applied (revision, checksum, applied_at, duration_ms)"
			  "       SELECT s.id, r.checksum, pg_catalog.to_timestamp(s.at), s.ms FROM s"
			  "       JOIN pfm_migrate.revisions r ON r.revision OPERATOR(pg_catalog.=) s.id"
			  "       RETURNING revision, checksum)"
			  " INSERT INTO pfm_migrate.audit (at, operation, revision, direction, duration_ms, checksum, attempts)"
			  " SELECT pg_catalog.to_timestamp(s.at), 'upgrade', s.id, 'upgrade', s.ms, a.checksum, s.tries::integer"
			  " FROM s JOIN a ON a.revision OPERATOR(pg_catalog.=) s.id ORDER BY s.ord"
			: "WITH s AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
			  "       pg_catalog.unnest($4)) WITH ORDINALITY AS s(id, ms, at, tries, ord)),"
			  " a AS (INSERT INTO pfm_migrate.applied (revision, checksum, applied_at, duration_ms)"
			  "       SELECT s.id, r.checksum, pg_catalog.to_timestamp(s.at), s.ms FROM s"
			  "       JOIN pfm_migrate.revisions r ON r.revision OPERATOR(pg_catalog.=) s.id"
			  "       RETURNING revision, checksum)"
			  " INSERT INTO pfm_migrate.audit (at, operation, revision, direction, duration_ms, checksum)"
			  " SELECT pg_catalog.to_timestamp(s.at), 'upgrade', s.id, 'upgrade', s.ms, a.checksum"
			  " FROM s JOIN a ON a.revision OPERATOR(pg_catalog.=) s.id ORDER BY s.ord";
	const char *downgrade_sql =
		with_attempts
			? "WITH s AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
			  "       pg_catalog.unnest($4)) WITH ORDINALITY AS s(id, ms, at, tries, ord)),"
			  " d AS (DELETE FROM pfm_migrate.applied a USING s WHERE a.revision OPERATOR(pg_catalog.=) s.id"
			  "       RETURNING a.revision, a.checksum)"
			  " INSERT INTO pfm_migrate.audit (at, operation, revision, direction, duration_ms, checksum, attempts)"
			  " SELECT pg_catalog.to_timestamp(s.at), 'downgrade', s.id, 'downgrade', s.ms, d.checksum, s.tries::integer"
			  " FROM s JOIN d ON d.revision OPERATOR(pg_catalog.=) s.id ORDER BY s.ord"
			: "WITH s AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
			  "       pg_catalog.unnest($4)) WITH ORDINALITY AS s(id, ms, at, tries, ord)),"
			  " d AS (DELETE FROM pfm_migrate.applied a USING s WHERE a.revision OPERATOR(pg_catalog.=) s.id"
			  "       RETURNING a.revision, a.checksum)"
			  " INSERT INTO pfm_migrate.audit (at, operation, revision, direction, duration_ms, checksum)"
			  " SELECT pg_catalog.to_timestamp(s.at), 'downgrade', s.id, 'downgrade', s.ms, d.checksum"
			  " FROM s JOIN d ON d.revision OPERATOR(pg_catalog.=) s.id ORDER BY s.ord";
	spi.run(direction == core::Direction::upgrade ? upgrade_sql : downgrade_sql, params);
}

void
audit_failed_step(Spi &spi, core::Direction direction, const std::string &revision, double duration_ms, int attempts,
                  const std::string &error)
{
	const std::string dir = core::direction_name(direction);
	spi.run("INSERT INTO pfm_migrate.audit (operation, revision, direction, duration_ms, checksum, outcome, attempts,"
	        " error) SELECT $1, $2, $1, $3, r.checksum, 'failed', $4, $5"
	        " FROM (SELECT) AS one LEFT JOIN pfm_migrate.revisions r ON r.revision OPERATOR(pg_catalog.=) $2",
	        {text_param(dir), text_param(revision), float8_param(duration_ms), int4_param(attempts), text_param(error)});
}

std::vector<StatementProgress>
read_progress(Spi &spi, const std::string &revision, core::Direction direction)
{
	std::uint64_t n = spi.run("SELECT statement, checksum, state OPERATOR(pg_catalog.=) 'done', relation, indexes_before"
	                          " FROM pfm_migrate.progress WHERE revision OPERATOR(pg_catalog.=) $1"
	                          "   AND direction OPERATOR(pg_catalog.=) $2 ORDER BY statement",
	                          {text_param(revision), text_param(std::string(core::direction_name(direction)))});
	std::vector<StatementProgress> out;
	out.reserve(n);
	for (std::uint64_t i = 0; i < n; i++) {
		Row row = spi.row(i);
		out.push_back(StatementProgress{static_cast<int>(row.int8(1).value_or(0)), row.text_or(2, ""), row.boolean(3),
		                                row.text(4), row.text_array(5)});
	}
	return out;
}

void
write_progress(Spi &spi, const std::string &revision, core::Direction direction, const StatementProgress &p)
{
	spi.run("INSERT INTO pfm_migrate.progress (revision, direction, statement, checksum, state, relation, indexes_before)"
	        " VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN 'done' ELSE 'started' END, $6, $7)"
	        " ON CONFLICT (revision, direction, statement) DO UPDATE SET checksum = EXCLUDED.checksum,"
	        "   state = EXCLUDED.state, relation = EXCLUDED.relation, indexes_before = EXCLUDED.indexes_before,"
	        "   at = pg_catalog.clock_timestamp()",
	        {text_param(revision), text_param(std::string(core::direction_name(direction))), int4_param(p.statement),
	         text_param(p.checksum), bool_param(p.done), text_param(p.relation), text_array_param(p.indexes_before)});
}

void
delete_progress(Spi &spi, const std::string &revision, core::Direction direction)
{
	spi.run("DELETE FROM pfm_migrate.progress WHERE revision OPERATOR(pg_catalog.=) $1"
	        " AND direction OPERATOR(pg_catalog.=) $2",
	        {text_param(revision), text_param(std::string(core::direction_name(direction)))});
}

// A relation's name as schema.name, quoted where needed: what progress rows keep, so that a
// later call under another search_path (or one that a pg_temp table of the same name
// shadows) finds the same relation and index names. regclass::text would leave the schema
// out whenever the relation is visible on the current search_path.
static std::string
qualified_name_sql(const char *oid_expr)
{
	return std::string("(SELECT pg_catalog.quote_ident(qn.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)"
	                   " pg_catalog.quote_ident(qc.relname) FROM pg_catalog.pg_class qc JOIN pg_catalog.pg_namespace qn"
	                   " ON qn.oid OPERATOR(pg_catalog.=) qc.relnamespace WHERE qc.oid OPERATOR(pg_catalog.=) ") +
	       oid_expr + ")";
}

Text
resolve_relation(Spi &spi, const std::string &name)
{
	// The name as the body wrote it resolves under the deploy's search_path (the body's own
	// semantics); what is kept is the schema-qualified name.
	spi.run("SELECT " + qualified_name_sql("pg_catalog.to_regclass($1)"), {text_param(name)});
	return spi.row(0).text(1);
}

std::vector<std::string>
indexes_of(Spi &spi, const std::string &relation)
{
	std::uint64_t n = spi.run("SELECT " + qualified_name_sql("i.indexrelid") + " FROM pg_catalog.pg_index i"
	                          " WHERE i.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass ORDER BY 1",
	                          {text_param(relation)});
	std::vector<std::string> out;
	for (std::uint64_t i = 0; i < n; i++)
		out.push_back(spi.row(i).text_or(1, ""));
	return out;
}

std::vector<std::string>
invalid_indexes_of(Spi &spi, const std::string &relation)
{
	std::uint64_t n = spi.run("SELECT " + qualified_name_sql("i.indexrelid") + " FROM pg_catalog.pg_index i"
	                          " WHERE i.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass AND NOT i.indisvalid"
	                          " ORDER BY 1",
	                          {text_param(relation)});
	std::vector<std::string> out;
	for (std::uint64_t i = 0; i < n; i++)
		out.push_back(spi.row(i).text_or(1, ""));
	return out;
}

std::vector<LeftoverIndex>
read_leftover_indexes(Spi &spi, bool read_only)
{
	if (read_catalog_version(spi, read_only) < CatalogVersion::v0_2_0)
		return {};
	std::uint64_t n = spi.run(
		"SELECT p.revision, p.direction, p.statement, " + qualified_name_sql("i.indexrelid") +
		" FROM pfm_migrate.progress p"
		" JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(p.relation)"
		" WHERE p.state OPERATOR(pg_catalog.=) 'started' AND NOT i.indisvalid"
		"   AND " + qualified_name_sql("i.indexrelid") + " OPERATOR(pg_catalog.<>) ALL (p.indexes_before)"
		" ORDER BY 1, 2, 3, 4",
		{}, read_only);
	std::vector<LeftoverIndex> out;
	for (std::uint64_t i = 0; i < n; i++) {
		Row row = spi.row(i);
		out.push_back(LeftoverIndex{row.text_or(1, ""), row.text_or(2, ""), static_cast<int>(row.int8(3).value_or(0)),
		                            row.text_or(4, "")});
	}
	return out;
}

std::vector<PartialRevision>
read_partial_revisions(Spi &spi, bool read_only)
{
	if (read_catalog_version(spi, read_only) < CatalogVersion::v0_2_0)
		return {};
	std::uint64_t n = spi.run("SELECT revision, direction, pg_catalog.count(*) FILTER (WHERE state OPERATOR(pg_catalog.=) 'done')"
	                          " FROM pfm_migrate.progress GROUP BY 1, 2 ORDER BY 1, 2",
	                          {}, read_only);
	std::vector<PartialRevision> out;
	for (std::uint64_t i = 0; i < n; i++) {
		Row row = spi.row(i);
		out.push_back(PartialRevision{row.text_or(1, ""), row.text_or(2, ""), static_cast<int>(row.int8(3).value_or(0))});
	}
	return out;
}

// Revisions per statement of record_stamp: a stamp over 100 000 revisions writes them a
// slice at a time, so the statement's memory (its CTE, its hash join) stays that of one slice.
constexpr std::size_t stamp_slice = 1000;

// Calls write(slice) for consecutive slices of `ids`, in order.
template <class Write>
void
in_slices(const std::vector<std::string> &ids, Write write)
{
	for (std::size_t first = 0; first < ids.size(); first += stamp_slice) {
		const auto begin = ids.begin() + static_cast<std::ptrdiff_t>(first);
		write(std::vector<std::string>(begin, begin + static_cast<std::ptrdiff_t>(std::min(stamp_slice, ids.size() - first))));
	}
}

void
record_stamp(Spi &spi, const std::vector<std::string> &unmark, const std::vector<std::string> &mark)
{
	catalog_changes_in_transaction();
	in_slices(unmark, [&](const std::vector<std::string> &slice) {
		spi.run("WITH u AS (SELECT id, ord FROM pg_catalog.unnest($1) WITH ORDINALITY AS u(id, ord)),"
		        " d AS (DELETE FROM pfm_migrate.applied a USING u WHERE a.revision OPERATOR(pg_catalog.=) u.id"
		        "       RETURNING a.revision, a.checksum, u.ord)"
		        " INSERT INTO pfm_migrate.audit (operation, revision, direction, checksum)"
		        " SELECT 'stamp', d.revision, 'downgrade', d.checksum FROM d ORDER BY d.ord",
		        {text_array_param(slice)});
	});
	in_slices(mark, [&](const std::vector<std::string> &slice) {
		spi.run("WITH u AS (SELECT id, ord FROM pg_catalog.unnest($1) WITH ORDINALITY AS u(id, ord)),"
		        " a AS (INSERT INTO pfm_migrate.applied (revision, checksum, stamped)"
		        "       SELECT r.revision, r.checksum, true FROM u"
		        "       JOIN pfm_migrate.revisions r ON r.revision OPERATOR(pg_catalog.=) u.id"
		        "       RETURNING revision, checksum)"
		        " INSERT INTO pfm_migrate.audit (operation, revision, direction, checksum)"
		        " SELECT 'stamp', a.revision, 'upgrade', a.checksum FROM a"
		        " JOIN u ON u.id OPERATOR(pg_catalog.=) a.revision ORDER BY u.ord",
		        {text_array_param(slice)});
	});
}

std::string
extension_schema(Spi &spi)
{
	std::uint64_t n = spi.run("SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
	                          " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
	                          " WHERE e.extname OPERATOR(pg_catalog.=) 'pfm_migrate'",
	                          {}, true);
	return n == 1 ? spi.row(0).text_or(1, "public") : std::string("public");
}

}  // namespace pfm::pg
