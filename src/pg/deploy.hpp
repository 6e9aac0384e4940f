// Moving one revision per transaction: CALL pfm_deploy / pfm_revert.
//
// The procedure holds the migration lock at session level for the whole move (it commits
// while holding it). A transactional revision runs in a subtransaction and commits with its
// bookkeeping and audit row; a non-transactional one runs statement by statement at top
// level in the statement worker (src/pg/worker.hpp), with its progress recorded after each
// statement, so that an interrupted deploy resumes where it stopped. A failing step leaves
// nothing of itself: it is rolled back, a 'failed' audit row is committed, and the
// procedure ends with the step's error.
//
// The procedure waits -- for the lock, for the worker -- without a snapshot: it commits
// first. That is what lets CREATE INDEX CONCURRENTLY in the worker finish, and a second
// deployer wait for the lock without blocking the first one's concurrent build.
#pragma once

#include <string>

#include "core/revision.hpp"
#include "pg/boundary.hpp"

namespace pfm::pg {

Datum deploy_per_revision(FunctionCallInfo fcinfo, core::Direction direction, const std::string &target);

}  // namespace pfm::pg
