// The statement worker: a dynamic background worker, started by the extension (no
// shared_preload_libraries needed), that runs statements of non-transactional revisions
// at top level, each in its own transaction, as the calling role, in the calling
// database, with the caller's settings -- the pg_cron / pg_background technique.
//
// The caller sends one statement at a time through a shared-memory queue and waits on its
// latch (cancel works; it holds no snapshot, so CREATE INDEX CONCURRENTLY never waits for
// it); errors and NOTICEs come back with their SQLSTATE, detail, hint and our context line.
// The worker stops when the caller stops it, detaches, or dies; cancelling or terminating
// the caller terminates it.
#pragma once

#include <string>

#include "pg/spi.hpp"

namespace pfm::pg {

struct WorkerStatement {
	std::string revision;
	const char *direction;
	int number;  // statement number in the body, and its line
	int line;
	std::string sql;
};

class StatementWorker {
public:
	// Starts a worker session; no free worker slot (max_worker_processes) is a clear
	// error (53400). It lives across the caller's commits.
	StatementWorker();
	~StatementWorker() = default;  // stop() or abandon() must have run (destructors call no PostgreSQL)
	StatementWorker(const StatementWorker &) = delete;
	StatementWorker &operator=(const StatementWorker &) = delete;

	// Runs a statement and waits for it. The caller must hold no snapshot (commit first).
	// Throws PgError with the worker's error, which carries the statement's context line.
	void run(const WorkerStatement &statement);

	// Stops the worker and waits until it has exited (normal end).
	void stop();
	// After an error: stops the worker, terminating the statement it runs if any (a cancel
	// while it waited), and waits until it has exited.
	void abandon();
	int pid() const { return pid_; }

private:
	void *session_;  // the shared segment, queues and handle, in TopMemoryContext
	int pid_ = 0;
	bool busy_ = false;  // a statement was sent and its answer not read
};

}  // namespace pfm::pg
