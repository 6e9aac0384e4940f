#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "pg/lock_retry.hpp"

#include "pg/boundary.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "commands/tablecmds.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace pfm::pg {

int lock_wait_ms = 0;
int lock_retries = 5;
int lock_retry_delay_ms = 1000;

namespace {

using Kind = core::StatementLockFacts::Kind;

// ---- raw parse tree -> the relations a statement locks (inside pg_call) ----

struct Collector {
	RawLocks *out;
	int capacity;
};

void
add_target(Collector &c, const RangeVar *rel, LOCKMODE mode)
{
	if (!rel || !rel->relname)
		return;
	if (c.out->count == c.capacity) {
		int grown = c.capacity * 2 + 4;
		auto *bigger = static_cast<RawLockTarget *>(palloc(sizeof(RawLockTarget) * grown));
		if (c.out->count > 0)
			memcpy(bigger, c.out->targets, sizeof(RawLockTarget) * c.out->count);
		c.out->targets = bigger;
		c.capacity = grown;
	}
	c.out->targets[c.out->count++] =
		RawLockTarget{rel->schemaname ? pstrdup(rel->schemaname) : nullptr, pstrdup(rel->relname), mode};
}

// A FOREIGN KEY locks the table it references in SHARE ROW EXCLUSIVE mode.
void
add_foreign_keys(Collector &c, List *constraints)
{
	ListCell *lc;
	foreach (lc, constraints) {
		Node *n = static_cast<Node *>(lfirst(lc));
		if (IsA(n, Constraint) && castNode(Constraint, n)->contype == CONSTR_FOREIGN)
			add_target(c, castNode(Constraint, n)->pktable, ShareRowExclusiveLock);
	}
}

bool
has_option(List *options, const char *name)
{
	ListCell *lc;
	foreach (lc, options)
		if (strcmp(static_cast<DefElem *>(lfirst(lc))->defname, name) == 0)
			return true;
	return false;
}

Kind
classify(Node *stmt, Collector &c)
{
	switch (nodeTag(stmt)) {
	// Nothing that queues traffic: settings, new objects, DML (ROW EXCLUSIVE and weaker),
	// privileges and comments.
	case T_VariableSetStmt:
	case T_VariableShowStmt:
	case T_ConstraintsSetStmt:
	case T_NotifyStmt:
	case T_CreateFunctionStmt:
	case T_AlterFunctionStmt:
	case T_CreateRangeStmt:
	case T_CreateCastStmt:
	case T_CreateEnumStmt:
	case T_CompositeTypeStmt:
	case T_CreateDomainStmt:
	case T_DefineStmt:
	case T_CreateSeqStmt:
	case T_CreateTableAsStmt:
	case T_CommentStmt:
	case T_GrantStmt:
	case T_GrantRoleStmt:
	case T_CreateRoleStmt:
	case T_AlterRoleStmt:
	case T_AlterDefaultPrivilegesStmt:
	case T_CreateExtensionStmt:
	case T_InsertStmt:
	case T_UpdateStmt:
	case T_DeleteStmt:
	case T_SelectStmt:
	case T_CopyStmt: return Kind::no_table_lock;
	case T_CreateSchemaStmt:
		return castNode(CreateSchemaStmt, stmt)->schemaElts == NIL ? Kind::no_table_lock : Kind::unclassified;
	case T_CreateStmt: {
		auto *create = castNode(CreateStmt, stmt);
		ListCell *lc;
		// PARTITION OF takes ACCESS EXCLUSIVE on the parent; INHERITS a weaker lock.
		foreach (lc, create->inhRelations)
			add_target(c, static_cast<RangeVar *>(lfirst(lc)),
			           create->partbound ? AccessExclusiveLock : ShareUpdateExclusiveLock);
		add_foreign_keys(c, create->constraints);
		foreach (lc, create->tableElts) {
			Node *element = static_cast<Node *>(lfirst(lc));
			if (IsA(element, ColumnDef))
				add_foreign_keys(c, castNode(ColumnDef, element)->constraints);
			else if (IsA(element, Constraint))
				add_foreign_keys(c, list_make1(element));
		}
		return Kind::table_locks;
	}
	case T_AlterTableStmt: {
		auto *alter = castNode(AlterTableStmt, stmt);
		add_target(c, alter->relation, AlterTableGetLockLevel(alter->cmds));
		ListCell *lc;
		foreach (lc, alter->cmds) {
			auto *cmd = static_cast<AlterTableCmd *>(lfirst(lc));
			if (cmd->def && IsA(cmd->def, Constraint))
				add_foreign_keys(c, list_make1(cmd->def));
			else if (cmd->def && IsA(cmd->def, ColumnDef))
				add_foreign_keys(c, castNode(ColumnDef, cmd->def)->constraints);
		}
		return Kind::table_locks;
	}
	case T_IndexStmt: {
		auto *index = castNode(IndexStmt, stmt);
		if (index->concurrent)
			return Kind::concurrent;
		add_target(c, index->relation, ShareLock);
		return Kind::table_locks;
	}
	case T_DropStmt: {
		auto *drop = castNode(DropStmt, stmt);
		if (drop->concurrent)
			return Kind::concurrent;
		switch (drop->removeType) {
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_INDEX:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE: {
			ListCell *lc;
			foreach (lc, drop->objects) {
				List *names = static_cast<List *>(lfirst(lc));
				if (list_length(names) > 3)
					return Kind::unclassified;  // an improper name: the statement reports it
				add_target(c, makeRangeVarFromNameList(names), AccessExclusiveLock);
			}
			return Kind::table_locks;
		}
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
		case OBJECT_SCHEMA:
			// DROP ... CASCADE may reach tables: only a plain drop is known to lock none.
			return drop->behavior == DROP_CASCADE ? Kind::unclassified : Kind::no_table_lock;
		default: return Kind::unclassified;
		}
	}
	case T_RenameStmt: {
		auto *rename = castNode(RenameStmt, stmt);
		if (!rename->relation)
			return Kind::unclassified;
		add_target(c, rename->relation, AccessExclusiveLock);
		return Kind::table_locks;
	}
	case T_TruncateStmt: {
		ListCell *lc;
		foreach (lc, castNode(TruncateStmt, stmt)->relations)
			add_target(c, static_cast<RangeVar *>(lfirst(lc)), AccessExclusiveLock);
		return Kind::table_locks;
	}
	case T_LockStmt: {
		auto *lock = castNode(LockStmt, stmt);
		ListCell *lc;
		foreach (lc, lock->relations)
			add_target(c, static_cast<RangeVar *>(lfirst(lc)), lock->mode);
		return Kind::table_locks;
	}
	case T_CreateTrigStmt:
		add_target(c, castNode(CreateTrigStmt, stmt)->relation, ShareRowExclusiveLock);
		return Kind::table_locks;
	case T_RuleStmt:
		add_target(c, castNode(RuleStmt, stmt)->relation, AccessExclusiveLock);
		return Kind::table_locks;
	case T_CreatePolicyStmt:
		add_target(c, castNode(CreatePolicyStmt, stmt)->table, AccessExclusiveLock);
		return Kind::table_locks;
	case T_AlterPolicyStmt:
		add_target(c, castNode(AlterPolicyStmt, stmt)->table, AccessExclusiveLock);
		return Kind::table_locks;
	case T_ViewStmt: {
		auto *view = castNode(ViewStmt, stmt);
		if (view->replace)  // CREATE OR REPLACE VIEW of an existing view
			add_target(c, view->view, AccessExclusiveLock);
		return Kind::table_locks;
	}
	case T_ClusterStmt:
		if (!castNode(ClusterStmt, stmt)->relation)
			return Kind::unclassified;
		add_target(c, castNode(ClusterStmt, stmt)->relation, AccessExclusiveLock);
		return Kind::table_locks;
	case T_ReindexStmt: {
		auto *reindex = castNode(ReindexStmt, stmt);
#if PG_VERSION_NUM >= 140000
		if (has_option(reindex->params, "concurrently"))
			return Kind::concurrent;
#else
		if (reindex->concurrent)
			return Kind::concurrent;
#endif
		if (!reindex->relation)
			return Kind::unclassified;
		add_target(c, reindex->relation, reindex->kind == REINDEX_OBJECT_INDEX ? AccessExclusiveLock : ShareLock);
		return Kind::table_locks;
	}
	case T_RefreshMatViewStmt: {
		auto *refresh = castNode(RefreshMatViewStmt, stmt);
		if (refresh->concurrent)
			return Kind::concurrent;
		add_target(c, refresh->relation, AccessExclusiveLock);
		return Kind::table_locks;
	}
	case T_VacuumStmt: {
		auto *vacuum = castNode(VacuumStmt, stmt);
		if (!has_option(vacuum->options, "full"))
			return Kind::no_table_lock;  // SHARE UPDATE EXCLUSIVE: readers and writers go on
		ListCell *lc;
		foreach (lc, vacuum->rels)
			add_target(c, castNode(VacuumRelation, lfirst(lc))->relation, AccessExclusiveLock);
		return vacuum->rels == NIL ? Kind::unclassified : Kind::table_locks;
	}
	default: return Kind::unclassified;
	}
}

// ---- waiting and reporting ----

void
sleep_interruptibly(int64_t ms)
{
	pg_call([ms] {
		TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);
		for (;;) {
			CHECK_FOR_INTERRUPTS();
			long left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);
			if (left <= 0)
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, left, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	});
}

struct Blocker {
	int64_t pid;
	std::string query;
};

// The sessions holding or awaiting a lock on the relation that conflicts with ours: what
// pg_blocking_pids() reported while we waited (asked after the rollback, which ended the wait).
std::vector<Blocker>
blockers_of(Spi &spi, const BoundLock &lock)
{
	std::vector<Blocker> out;
	if (lock.relation_oid == 0)
		return out;
	std::vector<std::string> modes;
	for (core::LockMode m : core::conflicting_modes(lock.mode)) {
		const int mode = static_cast<int>(m);
		modes.push_back(pg_call([mode] { return GetLockmodeName(DEFAULT_LOCKMETHOD, mode); }));
	}
	spi.run("SELECT DISTINCT ON (l.pid) l.pid, pg_catalog.left(pg_catalog.regexp_replace(a.query, '\\s+', ' ', 'g'), 60)"
	        " FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid"
	        " WHERE l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.relation OPERATOR(pg_catalog.=) $1::pg_catalog.oid"
	        " AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d"
	        "                   WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
	        // (IS DISTINCT FROM and = ANY look their operator up by name, on the search_path)
	        " AND (l.pid IS NULL OR l.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid())"
	        " AND l.mode OPERATOR(pg_catalog.=) ANY ($2)"
	        " ORDER BY l.pid",
	        {int8_param(lock.relation_oid), text_array_param(modes)}, true);
	for (std::uint64_t i = 0; i < spi.rows(); i++) {
		Row row = spi.row(i);
		out.push_back(Blocker{row.int8(1).value_or(0), row.text_or(2, "")});
	}
	return out;
}

std::string
describe(const std::vector<Blocker> &blockers)
{
	if (blockers.empty())
		return "";
	std::string out = blockers.size() == 1 ? "Blocked by PID " : "Blocked by PIDs ";
	for (std::size_t i = 0; i < blockers.size(); i++) {
		if (i > 0)
			out += ", ";
		out += std::to_string(blockers[i].pid);
		if (!blockers[i].query.empty())
			out += " (" + blockers[i].query + (blockers[i].query.size() >= 60 ? "...)" : ")");
	}
	return out + ".";
}

std::string
relation_words(const BoundLock &lock)
{
	return lock.relation.empty() ? std::string("a lock") : "the " + std::string(core::lock_mode_name(lock.mode)) +
	                                                           " lock on relation " + lock.relation;
}

}  // namespace

RawLocks
raw_statement_locks(void *raw_stmt)
{
	RawLocks out{static_cast<int>(Kind::unclassified), 0, nullptr};
	Collector c{&out, 0};
	out.kind = static_cast<int>(classify(static_cast<Node *>(raw_stmt), c));
	return out;
}

StatementLocks
to_statement_locks(const RawLocks &raw)
{
	StatementLocks out;
	out.kind = static_cast<Kind>(raw.kind);
	out.targets.reserve(static_cast<std::size_t>(raw.count));
	for (int i = 0; i < raw.count; i++) {
		const RawLockTarget &t = raw.targets[i];
		out.targets.push_back(LockTarget{t.schema ? t.schema : "", t.name, static_cast<core::LockMode>(t.mode)});
	}
	return out;
}

LockRetry::LockRetry()
	: wait_ms_(lock_wait_ms), caller_lock_timeout_ms_(LockTimeout),
	  schedule_(lock_retries, lock_retry_delay_ms,
	            static_cast<uint64_t>(MyProcPid) * 0x9e3779b97f4a7c15ULL ^ static_cast<uint64_t>(std::time(nullptr)))
{
}

bool
LockRetry::bounded(const StatementLocks &locks, BoundLock *bound) const
{
	if (!active() || locks.kind == Kind::concurrent || locks.kind == Kind::no_table_lock)
		return false;
	// The body set lock_timeout itself (SET, SET LOCAL): its choice stands.
	if (LockTimeout != caller_lock_timeout_ms_)
		return false;
	core::StatementLockFacts facts{locks.kind, {}};
	std::vector<unsigned> oids;
	for (const LockTarget &t : locks.targets) {
		struct Resolved {
			Oid oid;
			bool held;
			const char *name;
		};
		const char *schema = t.schema.empty() ? nullptr : t.schema.c_str();
		const char *name = t.name.c_str();
		const int mode = static_cast<int>(t.mode);
		Resolved r = pg_call([schema, name, mode] {
			Resolved out{InvalidOid, false, nullptr};
			out.oid = RangeVarGetRelid(makeRangeVar(const_cast<char *>(schema), const_cast<char *>(name), -1), NoLock,
			                           true);
			if (!OidIsValid(out.oid))
				return out;
			LOCKTAG tag;
			SET_LOCKTAG_RELATION(tag, MyDatabaseId, out.oid);
			for (int m = mode; m <= AccessExclusiveLock && !out.held; m++)
				out.held = LockHeldByMe(&tag, m);
			char *nsp = get_namespace_name(get_rel_namespace(out.oid));
			char *rel = get_rel_name(out.oid);
			out.name = nsp && rel ? quote_qualified_identifier(nsp, rel) : name;
			return out;
		});
		oids.push_back(r.oid);
		facts.locks.push_back(core::RelationLock{r.name ? r.name : t.name, t.mode, OidIsValid(r.oid), r.held});
	}
	if (!core::needs_bounded_wait(facts))
		return false;
	*bound = BoundLock{};
	if (const core::RelationLock *lock = core::bounding_lock(facts)) {
		bound->relation_oid = oids[static_cast<std::size_t>(lock - facts.locks.data())];
		bound->relation = lock->relation;
		bound->mode = lock->mode;
	}
	return true;
}

int
LockRetry::begin_bounded() const
{
	const int wait = wait_ms_;
	return pg_call([wait] {
		char value[32];
		snprintf(value, sizeof value, "%dms", wait);
		int level = NewGUCNestLevel();
		(void) set_config_option("lock_timeout", value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		return level;
	});
}

void
LockRetry::end_bounded(int nest_level)
{
	pg_call([nest_level] { AtEOXact_GUC(true, nest_level); });
}

bool
LockRetry::own_timeout(const std::exception_ptr &failure) const
{
	try {
		std::rethrow_exception(failure);
	} catch (const PgError &e) {
		// A lock timeout under our lock_timeout (not one the statement set, nor NOWAIT's 55P03).
		// (An error the statement worker sent back has its message only, in the server's language.)
		static const char *const kTimeout = "canceling statement due to lock timeout";
		return e.data && e.data->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE && LockTimeout == wait_ms_ &&
		       (e.data->message_id ? strcmp(e.data->message_id, kTimeout) == 0
		                           : e.data->message && strcmp(e.data->message, _(kTimeout)) == 0);
	} catch (...) {
		return false;
	}
}

void
LockRetry::after_timeout(Spi &spi, const LockTimedOut &timeout, int attempts_made, const char *unit)
{
	const std::string &where = timeout.where;
	const std::string &context = timeout.context;
	std::string blockers = describe(blockers_of(spi, timeout.lock));
	if (timeout.lock.relation_oid == 0)
		blockers = "pfm_migrate cannot tell which lock this kind of statement waited for; pg_locks shows who holds it.";
	if (!schedule_.can_retry(attempts_made))
		throw SqlError(ERRCODE_LOCK_NOT_AVAILABLE,
		               "could not obtain " + relation_words(timeout.lock) + " within " +
		                   std::to_string(attempts_made) + (attempts_made == 1 ? " attempt" : " attempts") + " of " +
		                   std::to_string(timeout.wait_ms) + " ms",
		               blockers.empty() ? "The blocking session finished or was not found." : blockers,
		               "Wait until the blocking sessions finish, or end them with pg_terminate_backend(); "
		               "pfm_migrate.lock_wait and pfm_migrate.lock_retries set how long and how often to try.",
		               context);
	const int64_t delay = schedule_.next_delay_ms(attempts_made);
	const std::string message = where + ": " + relation_words(timeout.lock) + " was not granted within " +
	                            std::to_string(timeout.wait_ms) + " ms (attempt " + std::to_string(attempts_made) +
	                            " of " + std::to_string(max_attempts()) + "); retrying " + unit + " in " +
	                            std::to_string(delay) + " ms";
	const char *m = message.c_str();
	const char *d = blockers.c_str();
	pg_call([m, d] {
		if (*d)
			ereport(NOTICE, (errcode(ERRCODE_LOCK_NOT_AVAILABLE), errmsg("%s", m), errdetail("%s", d)));
		else
			ereport(NOTICE, (errcode(ERRCODE_LOCK_NOT_AVAILABLE), errmsg("%s", m)));
	});
	// No lock of the failed attempt is held here: its (sub)transaction was rolled back.
	sleep_interruptibly(delay);
}

}  // namespace pfm::pg
