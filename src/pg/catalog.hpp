// Reads and writes of the pfm_migrate.* catalog, returning core values.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/graph.hpp"
#include "core/revision.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

struct CatalogState {
	core::RevisionGraph graph;
	std::vector<core::AppliedRevision> applied;
};

struct AppliedDetail {
	std::string applied_at;  // timestamptz text
	std::string applied_by;
	bool stamped = false;
};

using StatePtr = std::shared_ptr<const CatalogState>;

// The registered graph and the applied set. A backend keeps the last state it loaded
// and reuses it while pfm_migrate.catalog_generation shows the same row version.
StatePtr load_state(Spi &spi, bool read_only);

// The version rows as stored, sorted.
std::vector<std::string> load_version_rows(Spi &spi, bool read_only);
// Rewrites pfm_migrate.version to exactly these heads.
void sync_version_rows(Spi &spi, const std::vector<std::string> &heads);
std::vector<core::AppliedRevision> load_applied(Spi &spi, bool read_only);
std::unordered_map<std::string, AppliedDetail> load_applied_details(Spi &spi);

// A registered revision with everything pfm_register compares and the offline script needs.
struct StoredRevision {
	core::Revision revision;  // id, parents, depends_on, labels, message, checksum, has_downgrade
	std::string upgrade;
	std::optional<std::string> downgrade;
};
std::optional<StoredRevision> load_revision(Spi &spi, const std::string &id);

// The bodies of the given revisions for one direction, keyed by id.
std::unordered_map<std::string, std::string> load_bodies(Spi &spi, const std::vector<std::string> &ids,
                                                         core::Direction direction);

// One step that ran: which revision, how long its body took, when it finished.
struct StepRecord {
	std::string revision;
	double duration_ms;
	double finished_at;  // seconds since the Unix epoch
};

// Records the steps of one call in two statements whatever their number: upgrade inserts
// the applied rows with the registered checksums, downgrade deletes them; one audit row
// per step, in execution order.
void record_steps(Spi &spi, core::Direction direction, const std::vector<StepRecord> &steps);

// Records a stamp in two statements whatever its size: forgets `unmark`, marks `mark`
// as applied (stamped), one audit row per revision, in the order given.
void record_stamp(Spi &spi, const std::vector<std::string> &unmark, const std::vector<std::string> &mark);

void append_audit(Spi &spi, const char *operation, const std::string &revision, const Text &direction,
                  std::optional<double> duration_ms, const Text &checksum);

}  // namespace pfm::pg
