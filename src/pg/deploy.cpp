#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/deploy.hpp"

#include "core/planner.hpp"
#include "core/text.hpp"
#include "pg/catalog.hpp"
#include "pg/commit_record.hpp"
#include "pg/executor.hpp"
#include "pg/lock_retry.hpp"
#include "pg/locking.hpp"
#include "pg/plan_bodies.hpp"
#include "pg/spi.hpp"
#include "pg/subtransaction.hpp"
#include "pg/worker.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace pfm::pg {

namespace {

double
seconds_since_epoch()
{
	return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double
ms_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void
notice(const std::string &text)
{
	const char *s = text.c_str();
	pg_call([&] { ereport(NOTICE, (errmsg("%s", s))); });
}

// The primary message of whatever a failed step threw, for its audit row.
std::string
message_of(const std::exception_ptr &failure)
{
	try {
		std::rethrow_exception(failure);
	} catch (const PgError &e) {
		return e.data && e.data->message ? e.data->message : "error";
	} catch (const std::exception &e) {
		return e.what();
	} catch (...) {
		return "unknown error";
	}
}

bool
contains(const std::vector<std::string> &items, const std::string &item)
{
	return std::find(items.begin(), items.end(), item) != items.end();
}

// "schema.name" -> "name" (regclass text; a quoted name with a dot in it stays as it is).
std::string
unqualified(const std::string &regclass)
{
	if (regclass.find('"') != std::string::npos)
		return regclass;
	std::size_t dot = regclass.rfind('.');
	return dot == std::string::npos ? regclass : regclass.substr(dot + 1);
}

// A step as vetted before anything runs; its statements come from PlanBodies when it runs.
struct PreparedStep {
	core::Step step;
	bool transactional;
	std::string checksum;  // a non-transactional step's (its progress rows carry it); else empty
};

class PerRevisionMove {
public:
	PerRevisionMove(core::Direction direction, std::string target)
		: spi_(Spi::Mode::nonatomic), direction_(direction), target_(std::move(target))
	{
	}

	void run();
	// After run() threw: what can still be done cleanly (the failed audit row, the worker,
	// the locks); then the failure goes on.
	[[noreturn]] void fail(const std::exception_ptr &failure);

private:
	Spi spi_;
	core::Direction direction_;
	std::string target_;
	StatePtr state_;
	std::optional<core::VersionHeads> heads_;  // of the applied set as the steps change it
	std::unique_ptr<StatementWorker> worker_;
	core::Plan plan_;
	std::unique_ptr<PlanBodies> bodies_;  // of plan_'s steps
	std::vector<PreparedStep> steps_;
	const PreparedStep *current_ = nullptr;  // the step in progress (in steps_)
	std::chrono::steady_clock::time_point step_started_;
	int attempts_ = 1;
	LockRetry lock_retry_;  // pfm_migrate.lock_wait: the unit retried is the revision
	bool dirty_ = false;  // an error may have left the transaction unusable

	void commit()
	{
		dirty_ = true;
		catalog_recorded_by_caller();  // (record_for_next does, once, at the end)
		spi_.commit();
		dirty_ = false;
	}
	// Work that may fail, in a subtransaction: when it throws, it has been rolled back and
	// the transaction is clean again.
	template <typename F> void step(F &&f)
	{
		dirty_ = true;  // until the subtransaction has ended one way or the other
		try {
			in_subtransaction(std::forward<F>(f));
		} catch (...) {
			dirty_ = false;
			throw;
		}
		dirty_ = false;
	}
	void prepare();
	std::vector<BodyStatement> prepare_step(std::size_t index, const StoredRevision &r);
	void record(const PreparedStep &s);
	void run_transactional(const PreparedStep &s, const std::vector<BodyStatement> &statements);
	void run_top_level(const PreparedStep &s, const std::vector<BodyStatement> &statements);
	void run_in_worker(const PreparedStep &s, int number, int line, const std::string &sql);
	void run_bounded_in_worker(const PreparedStep &s, const BodyStatement &stmt, int number);
	void record_for_next();
};

// Vets every step's body before anything runs (a bad body anywhere fails the deploy before
// the first commit), and keeps what each step needs besides its statements.
void
PerRevisionMove::prepare()
{
	steps_.clear();
	steps_.reserve(plan_.steps.size());
	bodies_ = std::make_unique<PlanBodies>(
		plan_, false, [this](std::size_t index, const StoredRevision &r) { return prepare_step(index, r); });
	bodies_->vet(spi_);
}

std::vector<BodyStatement>
PerRevisionMove::prepare_step(std::size_t index, const StoredRevision &r)
{
	const core::Step &s = plan_.steps[index];
	const bool vetting = index == steps_.size();  // else read again to run (PlanBodies checks the checksum)
	if (vetting)
		steps_.push_back(PreparedStep{s, r.revision.transactional,
		                              r.revision.transactional ? std::string() : r.revision.checksum.str()});
	const std::string &body = s.direction == core::Direction::upgrade ? r.upgrade : r.downgrade.value_or("");
	std::vector<BodyStatement> statements = prepare_body(s.revision, s.direction, body, r.revision.transactional);
	if (r.revision.transactional || !vetting)
		return statements;
	for (const StatementProgress &p : read_progress(spi_, s.revision, s.direction))
		if (p.checksum != r.revision.checksum)
			throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			               "revision " + s.revision + " was partly run from other bodies",
			               "Statement " + std::to_string(p.statement) + " of its " + core::direction_name(s.direction) +
			                   " ran when its checksum was " + p.checksum + "; it is now " + r.revision.checksum + ".",
			               "Finish or undo what that run did by hand, then DELETE FROM pfm_migrate.progress WHERE "
			               "revision = '" + s.revision + "'.");
	return statements;
}

// The step's bookkeeping, in the transaction that commits it.
void
PerRevisionMove::record(const PreparedStep &s)
{
	record_steps(spi_, direction_, {StepRecord{s.step.revision, ms_since(step_started_), seconds_since_epoch(), attempts_}});
	if (direction_ == core::Direction::upgrade)
		heads_->add(s.step.revision);
	else
		heads_->remove(s.step.revision);
	write_version_rows(spi_, heads_->heads());
	if (!s.transactional)
		delete_progress(spi_, s.step.revision, direction_);
}

// The unit a lock timeout retries is the whole revision: its subtransaction is rolled back,
// which releases the locks its earlier statements took, so no table stays locked while the
// engine sleeps; then it runs again from its first statement (SET statements included).
void
PerRevisionMove::run_transactional(const PreparedStep &s, const std::vector<BodyStatement> &statements)
{
	for (;;) {
		std::optional<LockTimedOut> timeout;
		try {
			step([&] {
				execute_body(spi_, s.step.revision, s.step.direction, statements, &lock_retry_, false);
				// Deferred constraints fire here, inside the step, not at the commit below.
				spi_.run("SET CONSTRAINTS ALL IMMEDIATE");
				record(s);
			});
			break;
		} catch (const LockTimedOut &t) {
			timeout.emplace(t);
		}
		lock_retry_.after_timeout(spi_, *timeout, attempts_, "the revision");
		attempts_++;
	}
	commit();
}

void
PerRevisionMove::run_in_worker(const PreparedStep &s, int number, int line, const std::string &sql)
{
	// In a subtransaction that holds nothing: a cancel while it waits rolls back cleanly.
	step([&] {
		begin_top_level_step();
		std::exception_ptr failure;
		try {
			worker_->run(WorkerStatement{s.step.revision, core::direction_name(s.step.direction), number, line, sql});
		} catch (...) {
			failure = std::current_exception();
		}
		end_top_level_step();
		if (failure)
			std::rethrow_exception(failure);
	});
}

// A statement of a non-transactional revision that may queue traffic (not a CONCURRENTLY
// one) runs in the worker with lock_timeout = lock_wait: at top level, a lock timeout has
// rolled back its own transaction, so the statement is the unit retried.
void
PerRevisionMove::run_bounded_in_worker(const PreparedStep &s, const BodyStatement &stmt, int number)
{
	BoundLock bound;
	bool bounded = false;
	step([&] { bounded = lock_retry_.bounded(stmt.locks, &bound); });
	if (!bounded) {
		run_in_worker(s, number, stmt.line, stmt.sql);
		return;
	}
	const std::string where =
		"revision " + s.step.revision + " (" + core::direction_name(s.step.direction) + "), statement " + std::to_string(number);
	std::string shown = stmt.sql.size() > 200 ? stmt.sql.substr(0, 200) + "..." : stmt.sql;
	const std::string context = where + " at line " + std::to_string(stmt.line) + ": " + shown;
	for (;;) {
		// The worker copies this backend's lock_timeout when the statement is sent.
		const int level = lock_retry_.begin_bounded();
		std::exception_ptr failure;
		try {
			run_in_worker(s, number, stmt.line, stmt.sql);
		} catch (...) {
			failure = std::current_exception();
		}
		const bool timed_out = failure && lock_retry_.own_timeout(failure);
		// run_in_worker's subtransaction has ended either way: the transaction is clean
		// (unless its rollback failed: then the abort restores the settings).
		if (!dirty_)
			LockRetry::end_bounded(level);
		if (!failure)
			return;
		if (!timed_out)
			std::rethrow_exception(failure);
		step([&] { lock_retry_.after_timeout(spi_, LockTimedOut(bound, lock_retry_.wait_ms(), where, context), attempts_); });
		commit();  // no snapshot of the blockers' query is kept while the worker runs again
		attempts_++;
	}
}

// A non-transactional revision: each statement at top level, in the worker, its own
// transaction; its progress committed around it.
void
PerRevisionMove::run_top_level(const PreparedStep &s, const std::vector<BodyStatement> &statements)
{
	std::vector<StatementProgress> progress;
	step([&] { progress = read_progress(spi_, s.step.revision, s.step.direction); });
	for (std::size_t k = 0; k < statements.size(); k++) {
		const BodyStatement &stmt = statements[k];
		const int number = static_cast<int>(k + 1);
		auto before = std::find_if(progress.begin(), progress.end(),
		                           [number](const StatementProgress &p) { return p.statement == number; });
		if (before != progress.end() && before->done) {
			notice("revision " + s.step.revision + ", statement " + std::to_string(number) +
			       " already ran in an earlier deploy");
			continue;
		}
		StatementProgress now{number, s.checksum, false, std::nullopt, {}};
		std::vector<std::string> leftovers;
		step([&] {
			if (!stmt.index_relation.empty())
				now.relation = resolve_relation(spi_, stmt.index_relation);
			if (now.relation) {
				// An earlier attempt of this very statement was interrupted: the INVALID
				// indexes it left on the table are dropped before the build runs again
				// (IF NOT EXISTS would silently keep an INVALID index).
				if (before != progress.end() && before->relation == now.relation) {
					now.indexes_before = before->indexes_before;
					for (const std::string &i : invalid_indexes_of(spi_, *now.relation))
						if (!contains(now.indexes_before, i))
							leftovers.push_back(i);
				} else {
					now.indexes_before = indexes_of(spi_, *now.relation);
				}
				// Durable before the build starts: what a retry needs to find its leftovers.
				// Other statements are only marked when done (one commit fewer each).
				write_progress(spi_, s.step.revision, s.step.direction, now);
			}
		});
		commit();
		for (const std::string &index : leftovers) {
			notice("dropping INVALID index " + index + ", left by an earlier failed or interrupted CREATE INDEX CONCURRENTLY of revision " +
			       s.step.revision + " (statement " + std::to_string(number) + ")");
			run_in_worker(s, number, stmt.line, "DROP INDEX CONCURRENTLY IF EXISTS " + index);
			commit();
		}
		run_bounded_in_worker(s, stmt, number);
		commit();
		step([&] {
			if (now.relation) {
				// Never report success over an INVALID index (IF NOT EXISTS skips one).
				std::vector<std::string> invalid;
				for (const std::string &i : invalid_indexes_of(spi_, *now.relation))
					if (!contains(now.indexes_before, i) || (!stmt.index_name.empty() && unqualified(i) == stmt.index_name))
						invalid.push_back(i);
				if (!invalid.empty())
					throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
					               "revision " + s.step.revision + " left INVALID index " + core::join(invalid),
					               "Statement " + std::to_string(number) + " finished, but the index it builds is not "
					                                                       "valid (IF NOT EXISTS skips an existing INVALID index).",
					               "DROP INDEX CONCURRENTLY " + invalid.front() + ", then deploy again.",
					               "revision " + s.step.revision + " (" + core::direction_name(s.step.direction) +
					                   "), statement " + std::to_string(number));
			}
			now.done = true;
			write_progress(spi_, s.step.revision, s.step.direction, now);
		});
		commit();
	}
	step([&] { record(s); });
	commit();
}

void
PerRevisionMove::run()
{
	// First of all, end the CALL's transaction: from here on this backend waits (for the
	// lock, for the worker) without holding a snapshot.
	commit();
	acquire_migration_lock(spi_, LockScope::session);
	step([&] {
		state_ = read_catalog_state(spi_, false);
		plan_ = direction_ == core::Direction::upgrade ? core::plan_upgrade(state_->graph, state_->applied, target_)
		                                               : core::plan_downgrade(state_->graph, state_->applied, target_);
		prepare();
	});
	heads_.emplace(state_->graph, state_->applied_ids());
	if (steps_.empty())
		notice("nothing to do: the database is already at '" + target_ + "'");
	// The worker starts before anything runs: no free slot is an error now, not halfway.
	if (std::any_of(steps_.begin(), steps_.end(), [](const PreparedStep &s) { return !s.transactional; }))
		worker_ = std::make_unique<StatementWorker>();
	commit();
	for (std::size_t i = 0; i < steps_.size(); i++) {
		const PreparedStep &s = steps_[i];
		std::vector<BodyStatement> statements;
		if (bodies_->loaded(i))
			statements = bodies_->take(spi_, i);
		else
			step([&] { statements = bodies_->take(spi_, i); });  // the next batch, in this step's transaction
		current_ = &s;
		step_started_ = std::chrono::steady_clock::now();
		attempts_ = 1;
		notice(core::step_description(state_->graph, s.step));
		if (s.transactional)
			run_transactional(s, statements);
		else
			run_top_level(s, statements);
		current_ = nullptr;
	}
	if (worker_)
		worker_->stop();
	// The catalog this move leaves, recorded for the sessions after it (the next probe's
	// pfm_status(), the next deploy's first call) while this one still holds the lock.
	step([&] { record_for_next(); });
	commit();
	release_session_migration_lock();
	spi_.finish();
}

void
PerRevisionMove::record_for_next()
{
	StatePtr now = read_catalog_state(spi_, false);
	std::string noop;
	if (has_noop_verdict(direction_, target_) && !uses_transaction_snapshot()) {
		try {
			if (core::plan_upgrade(now->graph, now->applied, target_).steps.empty())
				noop = target_;
		} catch (const core::Error &) {
			// (a catalog no plan can be made from has no no-op to record)
		}
	}
	record_for_next_sessions(spi_, *now, noop);
}

void
PerRevisionMove::fail(const std::exception_ptr &failure)
{
	if (!dirty_) {
		if (worker_)
			worker_->abandon();
		end_top_level_step();
		if (current_)
			step([&] {
				audit_failed_step(spi_, direction_, current_->step.revision, ms_since(step_started_), attempts_,
				                  message_of(failure));
			});
		commit();
		release_session_migration_lock();
	}
	// Otherwise the failure aborts the transaction, and the abort releases the session
	// locks (release_session_locks_on_abort); the worker stops when this backend detaches.
	std::rethrow_exception(failure);
}

}  // namespace

Datum
deploy_per_revision(FunctionCallInfo fcinfo, core::Direction direction, const std::string &target)
{
	const char *name = direction == core::Direction::upgrade ? "pfm_deploy" : "pfm_revert";
	const bool atomic = fcinfo->context == nullptr || !IsA(fcinfo->context, CallContext) ||
	                    castNode(CallContext, fcinfo->context)->atomic;
	if (atomic)
		throw SqlError(ERRCODE_ACTIVE_SQL_TRANSACTION,
		               std::string(name) + "() cannot run inside a transaction block or a function",
		               "It commits after every revision.",
		               std::string("Run CALL ") + name + "(...) on its own, in autocommit mode; for one atomic "
		               "transaction use " + (direction == core::Direction::upgrade ? "pfm_upgrade" : "pfm_downgrade") + "().");
	require_writable(name);
	remember_call((std::string(name) + "('" + target + "')").c_str(), true);
	PerRevisionMove move(direction, target);
	std::exception_ptr failure;
	try {
		move.run();
	} catch (...) {
		failure = std::current_exception();
	}
	if (failure)
		move.fail(failure);
	PG_RETURN_VOID();
}

}  // namespace pfm::pg
