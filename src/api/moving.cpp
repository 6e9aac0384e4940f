// pfm_upgrade, pfm_downgrade (text and integer forms), pfm_stamp (and stamp --purge).
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/planner.hpp"
#include "core/text.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/executor.hpp"
#include "pg/locking.hpp"
#include "pg/plan_bodies.hpp"

namespace pfm::pg {

namespace {

void
notice(const std::string &text)
{
	const char *s = text.c_str();
	pg_call([&] { ereport(NOTICE, (errmsg("%s", s))); });
}

core::Plan
plan_for(core::Direction direction, const CatalogState &state, const std::string &target)
{
	return direction == core::Direction::upgrade ? core::plan_upgrade(state.graph, state.applied, target)
	                                             : core::plan_downgrade(state.graph, state.applied, target);
}

double
seconds_since_epoch()
{
	return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Runs the plan's bodies in this transaction (each parsed and vetted before the first one
// runs) and records them; calls on_step for each step that ran. What it holds does not grow
// with the number of steps: the bodies are read and parsed a batch at a time, and each
// batch's bookkeeping is written when the batch is done.
template <class OnStep>
void
apply_plan(Spi &spi, const CatalogState &state, const core::Plan &plan, core::Direction direction, OnStep on_step)
{
	PlanBodies bodies(plan, false, [&](std::size_t i, const StoredRevision &r) {
		const std::string &body = direction == core::Direction::upgrade ? r.upgrade : r.downgrade.value_or("");
		return prepare_body(plan.steps[i].revision, plan.steps[i].direction, body);
	});
	bodies.vet(spi);
	std::vector<StepRecord> done;
	done.reserve(std::min(plan.steps.size(), PlanBodies::batch_steps));
	LockRetry retry;  // pfm_migrate.lock_wait: the unit retried is the statement
	for (std::size_t i = 0; i < plan.steps.size(); i++) {
		const core::Step &step = plan.steps[i];
		std::vector<BodyStatement> statements = bodies.take(spi, i);
		notice(core::step_description(state.graph, step));
		auto started = std::chrono::steady_clock::now();
		const int attempts = execute_body(spi, step.revision, step.direction, statements, &retry);
		double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
		done.push_back(StepRecord{step.revision, elapsed, seconds_since_epoch(), attempts});
		on_step(step, elapsed);
		// The bookkeeping, a batch of steps in one go: the bodies ran in this transaction,
		// so it commits or rolls back with them.
		if (done.size() == PlanBodies::batch_steps || i + 1 == plan.steps.size()) {
			record_steps(spi, direction, done);
			done.clear();
		}
	}
	write_version_rows(spi, plan.heads_after);
}

// The atomic functions run every revision in the caller's transaction: a plan with a
// non-transactional revision is refused before anything runs.
void
refuse_top_level_steps(const CatalogState &state, const core::Plan &plan, core::Direction direction)
{
	for (const core::Step &step : plan.steps) {
		const core::Revision *r = core::step_revision(state.graph, step);
		if (r && !r->transactional)
			throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
			               "revision " + step.revision + " is non-transactional: " +
			                   (direction == core::Direction::upgrade ? "pfm_upgrade" : "pfm_downgrade") +
			                   "() runs every revision in the caller's transaction",
			               "Its statements (CREATE INDEX CONCURRENTLY and the like) run at top level, one transaction each.",
			               direction == core::Direction::upgrade
			                   ? "Deploy with CALL pfm_deploy('<target>'), which runs one revision per transaction."
			                   : "Revert with CALL pfm_revert('<target>'), which runs one revision per transaction.");
	}
}

}  // namespace

Datum
move_to_target(FunctionCallInfo fcinfo, core::Direction direction, const std::string &target, bool dry_run)
{
	const char *function_name = direction == core::Direction::upgrade ? "pfm_upgrade" : "pfm_downgrade";
	// pfm_upgrade('head') / ('heads') that a full plan already found to be a no-op for this
	// very catalog (see pfm_migrate.noop_verdict) is that no-op again, without the graph.
	const bool verdict_target = has_noop_verdict(direction, target);
	RowSink rows(fcinfo);  // each step's row goes out as the step finishes
	if (verdict_target) {
		Spi spi;
		if (!dry_run)
			require_writable(function_name);
		bool established = noop_established(spi, target, dry_run);
		spi.finish();
		if (established) {
			notice("nothing to do: the database is already at '" + target + "'");
			return rows.result();
		}
	}
	{
		Spi spi;
		// The plan made while deciding whether to take the lock, and the state it was made
		// from: reused when that is the state the call goes on with (a no-op plans once).
		std::optional<core::Plan> decided;
		const CatalogState *decided_from = nullptr;
		auto state = [&] {
			if (dry_run) {
				StatePtr read = read_catalog_state(spi, true);
				record_image(spi, *read);
				return read;
			}
			remember_call((std::string(function_name) + "('" + target + "')").c_str());
			return lock_and_read_state(spi, function_name, [&](const CatalogState &latest) {
				decided = plan_for(direction, latest, target);
				decided_from = &latest;
				return !decided->steps.empty();
			});
		}();

		core::Plan plan = decided && decided_from == state.get() ? std::move(*decided) : plan_for(direction, *state, target);
		if (plan.steps.empty()) {
			notice("nothing to do: the database is already at '" + target + "'");
			// (Recorded from READ COMMITTED only: under a transaction snapshot, locking the
			// record's row after another session updated it would fail the no-op with 40001.)
			// (The deploy role's no-op at head also records what pfm_status() reports of this
			// catalog, for the probes of roles that may not record it themselves.)
			if (verdict_target && !dry_run && !uses_transaction_snapshot())
				record_for_next_sessions(spi, *state, target);
		}
		// (The row's texts are the plan's and the graph's own, handed over without a copy.)
		auto put_step = [&](const core::Step &step, Cell elapsed) {
			const core::Revision *r = core::step_revision(state->graph, step);
			rows.put({Cell::of_view(step.revision), Cell::of_view(core::direction_name(step.direction)),
			          r && !r->message.empty() ? Cell::of_view(r->message) : Cell::null(), std::move(elapsed)});
		};
		if (dry_run) {
			for (const core::Step &step : plan.steps)
				put_step(step, Cell::null());
		} else if (!plan.steps.empty()) {
			refuse_top_level_steps(*state, plan, direction);
			apply_plan(spi, *state, plan, direction,
			           [&](const core::Step &step, double elapsed) { put_step(step, Cell::of(elapsed)); });
		}
		spi.finish();
	}
	return rows.result();
}

}  // namespace pfm::pg

using namespace pfm;
using namespace pfm::pg;

PFM_SQL_FUNCTION(pfm_upgrade)
{
	std::string target = required_text(fcinfo, 0, "target");
	return move_to_target(fcinfo, core::Direction::upgrade, target, required_bool(fcinfo, 1, "dry_run"));
}

PFM_SQL_FUNCTION(pfm_upgrade_steps)
{
	int steps = required_int(fcinfo, 0, "steps");
	if (steps <= 0)
		throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "number of upgrade steps must be positive",
		               "Got " + std::to_string(steps) + ".",
		               steps < 0 ? "Use pfm_downgrade(" + std::to_string(steps) + ") to revert revisions." : "");
	return move_to_target(fcinfo, core::Direction::upgrade, "+" + std::to_string(steps), required_bool(fcinfo, 1, "dry_run"));
}

PFM_SQL_FUNCTION(pfm_downgrade)
{
	std::string target = required_text(fcinfo, 0, "target");
	return move_to_target(fcinfo, core::Direction::downgrade, target, required_bool(fcinfo, 1, "dry_run"));
}

PFM_SQL_FUNCTION(pfm_downgrade_steps)
{
	int steps = required_int(fcinfo, 0, "steps");
	if (steps >= 0)
		throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "number of downgrade steps must be negative",
		               "Got " + std::to_string(steps) + ".",
		               steps > 0 ? "Use pfm_downgrade(-" + std::to_string(steps) + ") to revert " + std::to_string(steps) +
		                               " step(s), or pfm_upgrade(" + std::to_string(steps) + ") to apply them."
		                         : "");
	return move_to_target(fcinfo, core::Direction::downgrade, std::to_string(steps), required_bool(fcinfo, 1, "dry_run"));
}

// pfm_stamp(target, purge => false). With purge (`alembic stamp --purge`), every applied row
// is forgotten first, including rows of revisions that are no longer registered or whose
// bodies changed (which any other plan refuses): the way out of a state naming a phantom.
PFM_SQL_FUNCTION(pfm_stamp)
{
	std::string target = required_text(fcinfo, 0, "target");
	bool purge = PG_NARGS() > 1 && required_bool(fcinfo, 1, "purge");  // the 0.1.0 declaration has one parameter
	auto plan_for_state = [&](const CatalogState &s) {
		return purge ? core::plan_stamp_purge(s.graph, s.applied, target) : core::plan_stamp(s.graph, s.applied, target);
	};
	remember_call(("pfm_stamp('" + target + "'" + (purge ? ", purge => true" : "") + ")").c_str());
	Spi spi;
	auto state = lock_and_read_state(spi, "pfm_stamp", [&](const CatalogState &latest) {
		core::StampPlan left = plan_for_state(latest);
		return !left.mark.empty() || !left.unmark.empty();
	});
	core::StampPlan plan = plan_for_state(*state);
	if (plan.mark.empty() && plan.unmark.empty()) {
		notice("nothing to do: the database is already at '" + target + "'");
	} else {
		notice("Running stamp_revision " + core::join(state->current_heads()) + " -> " + core::join(plan.heads_after));
		record_stamp(spi, plan.unmark, plan.mark);
		write_version_rows(spi, plan.heads_after);
	}
	spi.finish();
	PG_RETURN_VOID();
}
