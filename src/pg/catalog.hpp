// Every read and write of the pfm_migrate.* catalog: named functions over plain structs.
// The SQL and the column positions live in catalog.cpp and nowhere else.
//
// Adding a per-revision attribute: one field (in core::Revision when planning needs it,
// else in StoredRevision), one row in catalog.cpp's revision_columns (its column, the
// catalog version that added it, how it is read, written and written into an offline
// script), and one argument of pfm_register. The column itself comes with an upgrade script.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/graph.hpp"
#include "core/planner.hpp"
#include "core/revision.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

// The extension version whose SQL objects are installed in this database: the library
// serves every released one until ALTER EXTENSION pfm_migrate UPDATE runs.
enum class CatalogVersion : int { v0_1_0 = 100, v0_2_0 = 200 };
// What only a 0.2.0 catalog has: the audit's outcome and attempts, pfm_migrate.progress.
constexpr CatalogVersion newest_catalog = CatalogVersion::v0_2_0;

CatalogVersion read_catalog_version(Spi &spi, bool read_only);

// A registered revision: what the graph needs plus the bodies.
struct StoredRevision {
	core::Revision revision;  // id, parents, depends_on, labels, message, checksum, has_downgrade
	std::string upgrade;
	Text downgrade;           // nullopt = irreversible

	// Same registered content (what pfm_register compares; the checksum is the server's);
	// blank lines and spaces at the ends of a body do not count.
	bool same_content(const StoredRevision &other) const;
};

// The registered graph and the applied set, as one snapshot saw them.
struct CatalogState {
	core::RevisionGraph graph;
	std::vector<core::AppliedRevision> applied;
	CatalogVersion version;
	// The catalog_generation row version read before the content (see read_catalog_state);
	// empty when the state is not cacheable (this transaction changed the catalog, or files
	// are previewed).
	std::string key = {};
	// Built from pfm_migrate.catalog_image (else from the tables); the tables were read
	// because the image of this key could not be read; the image of this state is recorded
	// (record_image found it there, or wrote it).
	bool from_image = false;
	bool image_unreadable = false;
	mutable bool image_recorded = false;

	std::vector<std::string> applied_ids() const;
	std::vector<std::string> current_heads() const { return graph.current_heads(applied); }
	bool is_applied(const std::string &id) const;
};
using StatePtr = std::shared_ptr<const CatalogState>;

// The graph (no bodies) and the applied set. A backend keeps the last state it read and
// reuses it while pfm_migrate.catalog_generation shows the same row version.
StatePtr read_catalog_state(Spi &spi, bool read_only);

// Records the image of a state read from the tables (pfm_migrate.catalog_image), for the
// next sessions' first read of this catalog: when the call may (a read-write READ
// COMMITTED transaction, not nested, a role that may UPDATE the table) and the state's key
// is still the latest committed catalog's. Never waits for the row. For reading calls that
// are VOLATILE (dry runs, a no-op pfm_upgrade): a call about to change the catalog would
// record a key its own change retires.
void record_image(Spi &spi, const CatalogState &state);

// pfm_migrate.noop_verdict: whether pfm_upgrade(target) ('head' or 'heads') was found to be a
// no-op for the catalog as it is now (its current key); and the record of that finding for
// the state a full plan found it in (written when the role may, never waiting for a row
// lock: a concurrent writer records the same finding).
bool noop_established(Spi &spi, const std::string &target, bool read_only);
// The moves such a record is kept for: an upgrade to 'head' or 'heads'.
inline bool
has_noop_verdict(core::Direction direction, const std::string &target)
{
	return direction == core::Direction::upgrade && (target == "head" || target == "heads");
}
void establish_noop(Spi &spi, const std::string &target, const CatalogState &state);
// The current revision(s) as pfm_current() joins them ('base' for none) when the files that
// hash to `digest` are exactly what is registered, the extension is at `version`,
// pfm_upgrade(target) is established as a no-op (noop_established), and the caller's
// search_path finds the extension's pfm_upgrade (scripts/deploy.sh calls it by name);
// nothing otherwise. One query. Needs SELECT on the catalog tables (the deploy role's).
std::optional<std::string> noop_current_for_files(Spi &spi, const std::string &digest, const std::string &version,
                                                  const std::string &target);

// pfm_migrate.status_verdict (0.2.0): the part of pfm_status() that depends only on the
// catalog content a key covers (revisions and applied), as a full computation found it.
struct StatusVerdict {
	std::vector<std::string> current_heads;  // of the applied set, sorted as version rows are
	std::vector<std::string> heads;          // of the graph
	int pending = 0;
	int drifted = 0;
	std::vector<core::Problem> graph_problems;  // what core::check_all finds
};
// The verdict as computed from a state: what pfm_status() reports of it.
StatusVerdict status_of(const CatalogState &state);
// What pfm_status() and pfm_check() read live beside the catalog content: the version rows
// (sorted bytewise) and whether pfm_migrate.progress has any row (none: no leftover INVALID
// index and no partly run revision to look for). One statement.
struct LiveRows {
	std::vector<std::string> version_rows;
	bool progress = false;
};
LiveRows read_live_rows(Spi &spi, bool read_only);
// The verdict recorded for the catalog as this statement's snapshot sees it, with the live
// rows read in the same statement; nullopt when there is none for its key (or the state is
// not cacheable, or the role may not read the record).
struct EstablishedStatus {
	StatusVerdict verdict;
	LiveRows live;
};
std::optional<EstablishedStatus> established_status(Spi &spi);
// Records the verdict computed from `state` when that state is still the catalog's latest
// and this call may write: a role with UPDATE on the table, a read-write READ COMMITTED
// transaction that did not change the catalog itself, not on a standby, not from inside a
// migration body; never waiting for the row's lock (a concurrent writer records the same).
void establish_status(Spi &spi, const CatalogState &state, const StatusVerdict &verdict);
// The same, computing status_of(state) only when it will be written (not when this call may
// not record it, nor when the record already holds this catalog's).
void establish_status(Spi &spi, const CatalogState &state);

// Everything the next sessions' first calls read instead of the whole catalog, recorded for
// `state` where the call may (each record checks that `state` is the latest committed
// catalog): the pfm_status() verdict, the catalog image and, when `noop_target` is given
// ('head' or 'heads', a plan from `state` having found it so), that pfm_upgrade(noop_target)
// is a no-op. For a no-op pfm_upgrade at head, and for a procedure's move once it committed.
void record_for_next_sessions(Spi &spi, const CatalogState &state, const std::string &noop_target = {});

// While one is alive (the recording at commit, src/pg/commit_record.cpp), this transaction's
// own change of the catalog is read with the key it has once committed: the
// catalog_generation row version it wrote, which no other transaction can make (the bump
// runs once per transaction, so the content that key covers is final when the transaction
// commits; an aborted transaction's key never appears).
class OwnChangeKeyed {
public:
	OwnChangeKeyed();
	~OwnChangeKeyed();  // (resets a flag; calls no PostgreSQL)
	OwnChangeKeyed(const OwnChangeKeyed &) = delete;
	OwnChangeKeyed &operator=(const OwnChangeKeyed &) = delete;
};

// pfm_preview(): for the rest of the (sub)transaction that sets it, every read of the
// registered revisions sees `revisions` instead of the catalog's (the file set as if it
// had been loaded), and pfm_check() reports `missing` (applied revisions with no file).
// Nothing is written; state-changing calls refuse to run meanwhile.
struct FileOverlay {
	std::vector<StoredRevision> revisions;
	std::vector<std::string> missing;
};
void set_file_overlay(Spi &spi, FileOverlay overlay);
bool file_overlay_active();
std::vector<std::string> file_overlay_missing();
// Transaction callbacks (src/module.cpp): the overlay ends with the transaction, or with
// the subtransaction that set it when that one aborts.
void file_overlay_transaction_end();
void file_overlay_subtransaction_end(bool aborted, unsigned subtransaction, unsigned parent);

// Full rows (bodies included) of these revisions, in the order asked; a revision that is
// not registered (any more) is an error naming it, never an empty value.
std::vector<StoredRevision> read_revisions(Spi &spi, const std::vector<std::string> &ids, bool read_only);
// The same for the revisions of a plan's steps, in step order.
std::vector<StoredRevision> read_step_revisions(Spi &spi, const core::Plan &plan, bool read_only);
std::optional<StoredRevision> read_revision(Spi &spi, const std::string &id, bool read_only);

// Writes a revision (pfm_register); each returns the checksum the server computed.
std::string insert_revision(Spi &spi, CatalogVersion version, const StoredRevision &r);
std::string update_revision(Spi &spi, CatalogVersion version, const StoredRevision &r);
// Removes unapplied revisions and writes their audit rows (pfm_unregister, loading files).
void delete_revisions(Spi &spi, const std::vector<std::string> &ids);
// The checksum the server would compute for r's bodies.
std::string checksum_of(Spi &spi, const StoredRevision &r);

// One named argument of a pfm_register call that reproduces r (offline scripts); arguments
// at their default are left out, so the call also runs against older catalogs.
struct RegisterArgument {
	const char *name;
	std::string literal;  // SQL text
};
std::vector<RegisterArgument> register_arguments(const StoredRevision &r);

// When, by whom and how a revision was applied.
struct AppliedDetail {
	Timestamp applied_at = 0;
	std::string applied_by;
	std::optional<double> duration_ms;
	bool stamped = false;
};
std::unordered_map<std::string, AppliedDetail> read_applied_details(Spi &spi);
// The checksum a revision was applied with; nullopt when it is not applied.
std::optional<std::string> read_applied_checksum(Spi &spi, const std::string &id);

// The version rows as stored, sorted bytewise.
std::vector<std::string> read_version_rows(Spi &spi, bool read_only);
// Rewrites pfm_migrate.version to exactly these heads.
void write_version_rows(Spi &spi, const std::vector<std::string> &heads);

// One step that ran: which revision, how long its body took, when it finished, and how
// many tries its lock waits took (1 = no retry).
struct StepRecord {
	std::string revision;
	double duration_ms;
	double finished_at;  // seconds since the Unix epoch
	int attempts = 1;
};

// Records steps in one statement whatever their number: upgrade inserts the applied rows
// with the registered checksums, downgrade deletes them; one audit row per step (outcome
// applied), in execution order. (A long call records a batch of steps at a time: the
// statement's memory grows with the number of steps it is given.)
void record_steps(Spi &spi, core::Direction direction, const std::vector<StepRecord> &steps);

// The durable record of a step that failed in a per-revision deploy (outcome failed),
// written in its own transaction after the step rolled back.
void audit_failed_step(Spi &spi, core::Direction direction, const std::string &revision, double duration_ms,
                       int attempts, const std::string &error);

// ---- per-statement progress of non-transactional revisions (pfm_migrate.progress) ----
struct StatementProgress {
	int statement = 0;
	std::string checksum;   // of the revision when the statement ran
	bool done = false;      // false: started, not known to have finished
	Text relation;          // a concurrent index build: its table (regclass text)
	std::vector<std::string> indexes_before;  // and the table's indexes before it began
};
std::vector<StatementProgress> read_progress(Spi &spi, const std::string &revision, core::Direction direction);
void write_progress(Spi &spi, const std::string &revision, core::Direction direction, const StatementProgress &p);
void delete_progress(Spi &spi, const std::string &revision, core::Direction direction);

// ---- indexes, for concurrent builds ----
// The relation a name (as written) resolves to with the caller's search_path, as
// schema.name (quoted where needed: the same under any later search_path); nullopt when
// there is none.
Text resolve_relation(Spi &spi, const std::string &name);
// Every index of the relation, valid or not (schema.name).
std::vector<std::string> indexes_of(Spi &spi, const std::string &relation);
// Its INVALID indexes (schema.name).
std::vector<std::string> invalid_indexes_of(Spi &spi, const std::string &relation);

// INVALID indexes that interrupted or failed concurrent builds of migrations left behind.
struct LeftoverIndex {
	std::string revision;
	std::string direction;
	int statement;
	std::string index;
};
std::vector<LeftoverIndex> read_leftover_indexes(Spi &spi, bool read_only);
// Revisions some of whose statements ran (and committed) without the revision being
// recorded: (revision, direction, statements done).
struct PartialRevision {
	std::string revision;
	std::string direction;
	int statements_done;
};
std::vector<PartialRevision> read_partial_revisions(Spi &spi, bool read_only);

// Records a stamp in one statement per slice of 1 000 revisions: forgets `unmark`, marks `mark`
// as applied (stamped), one audit row per revision, in the order given.
void record_stamp(Spi &spi, const std::vector<std::string> &unmark, const std::vector<std::string> &mark);

// An audit row of a registration ("register", "replace").
void audit_registration(Spi &spi, const char *operation, const std::string &revision, const std::string &checksum);

// The schema the extension's functions live in, quoted for SQL text.
std::string extension_schema(Spi &spi);

}  // namespace pfm::pg
