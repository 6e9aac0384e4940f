// The statement worker (see worker.hpp). The worker's entry point is PostgreSQL-facing
// code of its own: plain C-style code, no C++ object alive anywhere in it, so every
// ereport and longjmp in it is PostgreSQL's business alone.
#include <cstring>
#include <string>

#include "pg/worker.hpp"

#include "pg/boundary.hpp"

extern "C" {
#include "access/xact.h"
#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/ps_status.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

PGDLLEXPORT void pfm_statement_worker_main(Datum main_arg);
}

namespace {

constexpr uint64 kMagic = 0x70666d5f776b7231ULL;  // "pfm_wkr1"
constexpr Size kQueueSize = 64 * 1024;
enum TocKey : uint64 { kFixed = 1, kGucState, kToWorker, kFromWorker };

// What the worker needs to become the caller.
struct FixedData {
	Oid database_id;
	Oid authenticated_user_id;
	Oid current_user_id;
	int sec_context;
	pid_t caller_pid;
};

// The settings a statement runs with, copied from the caller at the time it is sent (a
// revision body may have changed them since the worker started).
const char *const kStatementSettings[] = {"lock_timeout",         "statement_timeout",
                                          "search_path",          "maintenance_work_mem",
                                          "work_mem",             "max_parallel_maintenance_workers",
                                          "default_tablespace",   "idle_in_transaction_session_timeout"};

// Caller side: everything lives in TopMemoryContext, so it survives the caller's commits.
struct Session {
	dsm_segment *segment;
	shm_mq_handle *to_worker;
	shm_mq_handle *from_worker;
	BackgroundWorkerHandle *handle;
};

// When the caller detaches the segment -- at its exit too, however it exits -- the worker
// is told to stop: cancelling or terminating the caller stops what the worker runs.
void
terminate_on_detach(dsm_segment *, Datum arg)
{
	TerminateBackgroundWorker(reinterpret_cast<BackgroundWorkerHandle *>(DatumGetPointer(arg)));
}

Session *
start_session(int *pid_out)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	Size guc_size = EstimateGUCStateSpace();
	shm_toc_estimator e;
	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, sizeof(FixedData));
	shm_toc_estimate_chunk(&e, guc_size);
	shm_toc_estimate_chunk(&e, kQueueSize);
	shm_toc_estimate_chunk(&e, kQueueSize);
	shm_toc_estimate_keys(&e, 4);
	Size size = shm_toc_estimate(&e);

	dsm_segment *seg = dsm_create(size, 0);
	shm_toc *toc = shm_toc_create(kMagic, dsm_segment_address(seg), size);

	auto *fixed = static_cast<FixedData *>(shm_toc_allocate(toc, sizeof(FixedData)));
	fixed->database_id = MyDatabaseId;
	fixed->authenticated_user_id = GetAuthenticatedUserId();
	GetUserIdAndSecContext(&fixed->current_user_id, &fixed->sec_context);
	fixed->caller_pid = MyProcPid;
	shm_toc_insert(toc, kFixed, fixed);

	char *guc = static_cast<char *>(shm_toc_allocate(toc, guc_size));
	SerializeGUCState(guc_size, guc);
	shm_toc_insert(toc, kGucState, guc);

	shm_mq *to = shm_mq_create(shm_toc_allocate(toc, kQueueSize), kQueueSize);
	shm_toc_insert(toc, kToWorker, to);
	shm_mq_set_sender(to, MyProc);
	shm_mq *from = shm_mq_create(shm_toc_allocate(toc, kQueueSize), kQueueSize);
	shm_toc_insert(toc, kFromWorker, from);
	shm_mq_set_receiver(from, MyProc);

	BackgroundWorker worker;
	memset(&worker, 0, sizeof worker);
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pfm_migrate");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pfm_statement_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pfm_migrate worker for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pfm_migrate worker");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	auto *session = static_cast<Session *>(palloc0(sizeof(Session)));
	session->segment = seg;
	session->to_worker = shm_mq_attach(to, seg, nullptr);
	session->from_worker = shm_mq_attach(from, seg, nullptr);
	if (!RegisterDynamicBackgroundWorker(&worker, &session->handle)) {
		dsm_detach(seg);
		MemoryContextSwitchTo(old);
		ereport(ERROR, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
		                errmsg("no background worker slot is free for the non-transactional migration steps"),
		                errdetail("Every one of max_worker_processes (%d) is in use.", max_worker_processes),
		                errhint("Raise max_worker_processes (a restart), or deploy when fewer workers run.")));
	}
	shm_mq_set_handle(session->to_worker, session->handle);
	shm_mq_set_handle(session->from_worker, session->handle);
	// The mapping outlives the caller's transactions; detaching (or exiting) terminates the worker.
	dsm_pin_mapping(seg);
	on_dsm_detach(seg, terminate_on_detach, PointerGetDatum(session->handle));
	MemoryContextSwitchTo(old);

	pid_t pid = 0;
	if (WaitForBackgroundWorkerStartup(session->handle, &pid) != BGWH_STARTED)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_RESOURCES),
		                errmsg("the background worker for non-transactional migration steps did not start")));
	shm_mq_wait_for_attach(session->from_worker);
	*pid_out = static_cast<int>(pid);
	return session;
}

// Waits for the worker's answer to one statement; the error it reported, or nullptr.
// The wait is on the caller's latch, with interrupts checked: a cancel ends it.
ErrorData *
await_statement(Session *session, bool *detached)
{
	ErrorData *error = nullptr;
	*detached = false;
	StringInfoData msg;
	initStringInfo(&msg);
	for (;;) {
		Size nbytes = 0;
		void *data = nullptr;
		shm_mq_result res = shm_mq_receive(session->from_worker, &nbytes, &data, true);
		if (res == SHM_MQ_WOULD_BLOCK) {
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		if (res == SHM_MQ_DETACHED) {
			*detached = true;
			return error;
		}
		resetStringInfo(&msg);
		appendBinaryStringInfo(&msg, static_cast<const char *>(data), static_cast<int>(nbytes));
		char type = static_cast<char>(pq_getmsgbyte(&msg));
		if (type == 'E' || type == 'N') {
			auto *edata = static_cast<ErrorData *>(palloc0(sizeof(ErrorData)));
			pq_parse_errornotice(&msg, edata);
			if (type == 'N') {
				edata->elevel = Min(edata->elevel, WARNING);
				ThrowErrorData(edata);  // re-emitted as this backend's NOTICE
			} else {
				// Raised again in this backend (ReThrowError), which reports it as it is.
				edata->elevel = ERROR;
				edata->output_to_client = true;
				edata->output_to_server = true;
				error = edata;
			}
		} else if (type == 'Z') {
			return error;
		}
	}
}

void
send_statement(Session *session, const char *revision, const char *direction, int number, int line, const char *sql)
{
	StringInfoData buf;
	initStringInfo(&buf);
	pq_sendbyte(&buf, 'S');
	pq_sendstring(&buf, revision);
	pq_sendstring(&buf, direction);
	pq_sendint32(&buf, number);
	pq_sendint32(&buf, line);
	pq_sendstring(&buf, sql);
	for (const char *name : kStatementSettings) {
		const char *value = GetConfigOption(name, true, false);
		if (value) {
			pq_sendstring(&buf, name);
			pq_sendstring(&buf, value);
		}
	}
	pq_sendstring(&buf, "");
#if PG_VERSION_NUM >= 150000
	shm_mq_result res = shm_mq_send(session->to_worker, buf.len, buf.data, false, true);
#else
	shm_mq_result res = shm_mq_send(session->to_worker, buf.len, buf.data, false);
#endif
	pfree(buf.data);
	if (res != SHM_MQ_SUCCESS)
		ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
		                errmsg("the background worker for non-transactional migration steps is gone")));
}

void
end_session(Session *session, bool terminate)
{
	if (!terminate) {
		char quit = 'X';
#if PG_VERSION_NUM >= 150000
		(void) shm_mq_send(session->to_worker, 1, &quit, true, true);
#else
		(void) shm_mq_send(session->to_worker, 1, &quit, true);
#endif
	} else {
		TerminateBackgroundWorker(session->handle);
	}
	(void) WaitForBackgroundWorkerShutdown(session->handle);
	dsm_detach(session->segment);
}

}  // namespace

namespace pfm::pg {

StatementWorker::StatementWorker()
{
	int pid = 0;
	session_ = pg_call([&pid] { return static_cast<void *>(start_session(&pid)); });
	pid_ = pid;
}

void
StatementWorker::run(const WorkerStatement &s)
{
	if (!session_)
		internal_error("the statement worker has ended");
	auto *session = static_cast<Session *>(session_);
	const char *revision = s.revision.c_str();
	const char *sql = s.sql.c_str();
	const char *direction = s.direction;
	const int number = s.number, line = s.line;
	struct Outcome {
		ErrorData *error;
		bool detached;
	};
	busy_ = true;
	Outcome out = pg_call([&] {
		// The caller must not hold a snapshot: a concurrent index build in the worker
		// waits for every transaction with an older one (indexcmds.c WaitForOlderSnapshots).
		InvalidateCatalogSnapshot();
		if (TransactionIdIsValid(MyProc->xmin))
			elog(ERROR, "pfm_migrate: the caller holds a snapshot while it waits for the worker");
		send_statement(session, revision, direction, number, line, sql);
		Outcome o{nullptr, false};
		o.error = await_statement(session, &o.detached);
		return o;
	});
	busy_ = false;
	if (out.error)
		throw PgError(out.error);
	if (out.detached) {
		session_ = nullptr;
		throw SqlError(ERRCODE_CONNECTION_FAILURE, "the background worker running revision " + s.revision +
		                                               " exited before statement " + std::to_string(s.number) +
		                                               " finished",
		               "It was terminated, or it crashed; its statement did not complete.", {},
		               "revision " + s.revision + " (" + s.direction + "), statement " + std::to_string(s.number));
	}
}

void
StatementWorker::stop()
{
	if (!session_)
		return;
	auto *session = static_cast<Session *>(session_);
	session_ = nullptr;
	pg_call([session] { end_session(session, false); });
}

void
StatementWorker::abandon()
{
	if (!busy_) {
		stop();  // between statements: it stops as usual
		return;
	}
	if (!session_)
		return;
	auto *session = static_cast<Session *>(session_);
	session_ = nullptr;
	pg_call([session] { end_session(session, true); });
}

}  // namespace pfm::pg

// ---- the worker process ---------------------------------------------------------------------

namespace {

struct StatementContext {
	const char *revision;
	const char *direction;
	int number;
	int line;
	const char *sql;
};

void
worker_error_context(void *arg)
{
	auto *c = static_cast<StatementContext *>(arg);
	int len = static_cast<int>(strlen(c->sql));
	errcontext("revision %s (%s), statement %d at line %d: %.*s%s", c->revision, c->direction, c->number, c->line,
	           len > 200 ? 200 : len, c->sql, len > 200 ? "..." : "");
}

// Runs one statement at top level, as exec_simple_query does: its own transaction (a
// concurrent index build commits and starts transactions inside), a portal, no results.
void
run_top_level(const char *sql, MemoryContext loop_context)
{
	// Not under the transaction's memory: a concurrent index build commits the transaction
	// it started in, and the parse tree and plan must outlive that.
	MemoryContext parse_context = AllocSetContextCreate(loop_context, "pfm_migrate worker statement",
	                                                    ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(parse_context);
	List *raw = pg_parse_query(sql);
	const bool top_level = list_length(raw) == 1;
	MemoryContextSwitchTo(old);
	ListCell *lc;
	foreach (lc, raw) {
		RawStmt *parsetree = lfirst_node(RawStmt, lc);
		CommandTag tag = CreateCommandTag(parsetree->stmt);
		set_ps_display(GetCommandTagName(tag));
		bool snapshot_set = false;
		if (analyze_requires_snapshot(parsetree)) {
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		old = MemoryContextSwitchTo(parse_context);
#if PG_VERSION_NUM >= 150000
		List *queries = pg_analyze_and_rewrite_fixedparams(parsetree, sql, nullptr, 0, nullptr);
#else
		List *queries = pg_analyze_and_rewrite(parsetree, sql, nullptr, 0, nullptr);
#endif
		List *plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, nullptr);
		MemoryContextSwitchTo(old);
		if (snapshot_set)
			PopActiveSnapshot();
		CHECK_FOR_INTERRUPTS();
		Portal portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, nullptr, sql, tag, plans, nullptr);
		PortalStart(portal, nullptr, 0, InvalidSnapshot);
		DestReceiver *receiver = CreateDestReceiver(DestNone);
		QueryCompletion qc;
		InitializeQueryCompletion(&qc);
		(void) PortalRun(portal, FETCH_ALL, top_level, true, receiver, receiver, &qc);
		receiver->rDestroy(receiver);
		PortalDrop(portal, false);
		CommandCounterIncrement();
	}
	MemoryContextDelete(parse_context);
}

// 'Z' to the caller: the statement is over ('I' done, 'E' failed, its error sent before).
void
report_done(char status)
{
	StringInfoData buf;
	pq_beginmessage(&buf, 'Z');
	pq_sendbyte(&buf, status);
	pq_endmessage(&buf);
}

void
apply_setting(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
}

// One statement message from the caller: runs it; the outcome goes back as 'Z' (an error
// first, as 'E', through the redirected error reporting).
void
handle_statement(StringInfo msg, const FixedData *fixed, MemoryContext loop_context)
{
	StatementContext ctx;
	ctx.revision = pq_getmsgstring(msg);
	ctx.direction = pq_getmsgstring(msg);
	ctx.number = static_cast<int>(pq_getmsgint(msg, 4));
	ctx.line = static_cast<int>(pq_getmsgint(msg, 4));
	ctx.sql = pq_getmsgstring(msg);

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		for (;;) {
			const char *name = pq_getmsgstring(msg);
			if (name[0] == '\0')
				break;
			apply_setting(name, pq_getmsgstring(msg));
		}
		SetUserIdAndSecContext(fixed->current_user_id, fixed->sec_context);
		debug_query_string = ctx.sql;
		pgstat_report_activity(STATE_RUNNING, ctx.sql);
		ErrorContextCallback callback;
		callback.callback = worker_error_context;
		callback.arg = &ctx;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		if (StatementTimeout > 0)
			enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
		run_top_level(ctx.sql, loop_context);
		disable_timeout(STATEMENT_TIMEOUT, false);
		error_context_stack = callback.previous;
		CommitTransactionCommand();
		report_done('I');
	}
	PG_CATCH();
	{
		// PostgresMain's error recovery, for one statement.
		HOLD_INTERRUPTS();
		disable_all_timeouts(false);
		QueryCancelPending = false;
		EmitErrorReport();  // to the caller, through the queue
		AbortCurrentTransaction();
		MemoryContextSwitchTo(loop_context);
		FlushErrorState();
		RESUME_INTERRUPTS();
		report_done('E');
	}
	PG_END_TRY();
	debug_query_string = nullptr;
	pgstat_report_activity(STATE_IDLE, nullptr);
}

}  // namespace

void
pfm_statement_worker_main(Datum main_arg)
{
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(nullptr, "pfm_migrate worker");
	dsm_segment *seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == nullptr)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("pfm_migrate worker: could not map the dynamic shared memory segment")));
	shm_toc *toc = shm_toc_attach(kMagic, dsm_segment_address(seg));
	if (toc == nullptr)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("pfm_migrate worker: bad magic number in the shared memory segment")));
	auto *fixed = static_cast<FixedData *>(shm_toc_lookup(toc, kFixed, false));
	char *guc = static_cast<char *>(shm_toc_lookup(toc, kGucState, false));
	auto *to = static_cast<shm_mq *>(shm_toc_lookup(toc, kToWorker, false));
	auto *from = static_cast<shm_mq *>(shm_toc_lookup(toc, kFromWorker, false));
	shm_mq_set_receiver(to, MyProc);
	shm_mq_handle *requests = shm_mq_attach(to, seg, nullptr);
	shm_mq_set_sender(from, MyProc);
	shm_mq_handle *replies = shm_mq_attach(from, seg, nullptr);
	pq_redirect_to_shm_mq(seg, replies);

	BackgroundWorkerInitializeConnectionByOid(fixed->database_id, fixed->authenticated_user_id, 0);
	StartTransactionCommand();
	RestoreGUCState(guc);
	CommitTransactionCommand();
	// Messages go back in the server's encoding: the caller re-raises them as they are.
	SetClientEncoding(GetDatabaseEncoding());
	{
		char name[64];
		snprintf(name, sizeof name, "pfm_migrate worker for PID %d", static_cast<int>(fixed->caller_pid));
		(void) set_config_option("application_name", name, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0,
		                         false);
	}

	MemoryContext loop_context = AllocSetContextCreate(TopMemoryContext, "pfm_migrate worker loop",
	                                                   ALLOCSET_DEFAULT_SIZES);
	StringInfoData msg;
	initStringInfo(&msg);
	for (;;) {
		MemoryContextSwitchTo(loop_context);
		MemoryContextReset(loop_context);
		Size nbytes = 0;
		void *data = nullptr;
		shm_mq_result res = shm_mq_receive(requests, &nbytes, &data, false);
		if (res != SHM_MQ_SUCCESS)
			break;  // the caller has gone
		resetStringInfo(&msg);
		appendBinaryStringInfo(&msg, static_cast<const char *>(data), static_cast<int>(nbytes));
		char type = static_cast<char>(pq_getmsgbyte(&msg));
		if (type != 'S')
			break;  // 'X': stop
		handle_statement(&msg, fixed, loop_context);
	}
	proc_exit(0);
}
