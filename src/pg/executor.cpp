#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "pg/executor.hpp"

#include "pg/boundary.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "executor/spi.h"
}

namespace pfm::pg {

namespace {

// Plain data for the error-context callbacks (they run inside PostgreSQL's error machinery).
struct StatementContext {
	const char *revision;
	const char *direction;
	const char *body;       // whole body, for syntax-error positions (parse phase)
	int statement_number;   // 0 while parsing
	int line;
	const char *statement;
};

void
statement_error_context(void *arg)
{
	auto *c = static_cast<StatementContext *>(arg);
	if (c->statement_number == 0) {
		// Turn the syntax error position into a position inside the body, as spi.c does.
		int position = geterrposition();
		if (position > 0) {
			errposition(0);
			internalerrposition(position);
			internalerrquery(c->body);
		}
		errcontext("revision %s (%s), parsing the %s body", c->revision, c->direction, c->direction);
		return;
	}
	int len = static_cast<int>(strlen(c->statement));
	const int shown = 200;
	errcontext("revision %s (%s), statement %d at line %d: %.*s%s", c->revision, c->direction, c->statement_number,
	           c->line, len > shown ? shown : len, c->statement, len > shown ? "..." : "");
}

bool
is_catalog_relation(const RangeVar *rel)
{
	return rel && rel->schemaname && strcmp(rel->schemaname, "pfm_migrate") == 0;
}

// Why a raw statement may not run in a migration body (nullptr: it may); `top_level` marks
// the reasons that only mean "not inside a transaction block": a non-transactional
// revision runs such statements at top level.
struct Refusal {
	const char *reason;
	bool top_level;
};

const char *refusal_reason_text(Node *stmt, bool *top_level);

Refusal
refusal_of(Node *stmt)
{
	bool top_level = false;
	const char *reason = refusal_reason_text(stmt, &top_level);
	return Refusal{reason, top_level};
}

// "... cannot run inside a transaction block" reasons set *top_level.
const char *
top_level_only(bool *top_level, const char *reason)
{
	*top_level = true;
	return reason;
}

const char *
refusal_reason_text(Node *stmt, bool *top_level)
{
	switch (nodeTag(stmt)) {
	case T_TransactionStmt:
		return "transaction control statements are not allowed in a migration body";
	case T_VacuumStmt:
		if (castNode(VacuumStmt, stmt)->is_vacuumcmd)
			return top_level_only(top_level, "VACUUM cannot run inside a transaction block");
		return nullptr;
	case T_IndexStmt:
		if (castNode(IndexStmt, stmt)->concurrent)
			return top_level_only(top_level, "CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
		return nullptr;
	case T_DropStmt: {
		auto *drop = castNode(DropStmt, stmt);
		if (drop->concurrent)
			return top_level_only(top_level, "DROP INDEX CONCURRENTLY cannot run inside a transaction block");
		if (drop->removeType == OBJECT_EXTENSION || drop->removeType == OBJECT_SCHEMA) {
			ListCell *lc;
			foreach (lc, drop->objects) {
				Node *name = static_cast<Node *>(lfirst(lc));
				if (IsA(name, String) && strcmp(strVal(name), "pfm_migrate") == 0)
					return "a migration body cannot drop pfm_migrate or its catalog";
			}
		}
		return nullptr;
	}
	case T_ReindexStmt: {
		auto *reindex = castNode(ReindexStmt, stmt);
		if (reindex->kind == REINDEX_OBJECT_SCHEMA || reindex->kind == REINDEX_OBJECT_SYSTEM ||
		    reindex->kind == REINDEX_OBJECT_DATABASE)
			return top_level_only(top_level, "REINDEX SCHEMA, DATABASE and SYSTEM cannot run inside a transaction block");
#if PG_VERSION_NUM >= 140000
		ListCell *lc;
		foreach (lc, reindex->params) {
			auto *opt = static_cast<DefElem *>(lfirst(lc));
			if (strcmp(opt->defname, "concurrently") == 0)
				return top_level_only(top_level, "REINDEX CONCURRENTLY cannot run inside a transaction block");
		}
#else
		if (reindex->concurrent)
			return top_level_only(top_level, "REINDEX CONCURRENTLY cannot run inside a transaction block");
#endif
		return nullptr;
	}
	case T_TruncateStmt: {
		ListCell *lc;
		foreach (lc, castNode(TruncateStmt, stmt)->relations)
			if (is_catalog_relation(static_cast<RangeVar *>(lfirst(lc))))
				return "a migration body cannot change the pfm_migrate catalog";
		return nullptr;
	}
	case T_InsertStmt:
		return is_catalog_relation(castNode(InsertStmt, stmt)->relation)
		           ? "a migration body cannot change the pfm_migrate catalog"
		           : nullptr;
	case T_UpdateStmt:
		return is_catalog_relation(castNode(UpdateStmt, stmt)->relation)
		           ? "a migration body cannot change the pfm_migrate catalog"
		           : nullptr;
	case T_DeleteStmt:
		return is_catalog_relation(castNode(DeleteStmt, stmt)->relation)
		           ? "a migration body cannot change the pfm_migrate catalog"
		           : nullptr;
#if PG_VERSION_NUM >= 140000
	case T_AlterTableStmt: {
		ListCell *lc;
		foreach (lc, castNode(AlterTableStmt, stmt)->cmds) {
			auto *cmd = static_cast<AlterTableCmd *>(lfirst(lc));
			if (cmd->subtype == AT_DetachPartition && cmd->def && IsA(cmd->def, PartitionCmd) &&
			    castNode(PartitionCmd, cmd->def)->concurrent)
				return top_level_only(top_level, "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY cannot run inside a "
				                                 "transaction block");
		}
		return nullptr;
	}
#endif
	case T_AlterExtensionStmt:
		return strcmp(castNode(AlterExtensionStmt, stmt)->extname, "pfm_migrate") == 0
		           ? "a migration body cannot alter the pfm_migrate extension"
		           : nullptr;
	case T_CreatedbStmt: return "CREATE DATABASE is not allowed in a migration body";
	case T_DropdbStmt: return "DROP DATABASE is not allowed in a migration body";
	case T_CreateTableSpaceStmt: return "CREATE TABLESPACE is not allowed in a migration body";
	case T_DropTableSpaceStmt: return "DROP TABLESPACE is not allowed in a migration body";
	case T_AlterSystemStmt: return "ALTER SYSTEM is not allowed in a migration body";
	case T_CreateSubscriptionStmt: return "CREATE SUBSCRIPTION is not allowed in a migration body";
	case T_DropSubscriptionStmt: return "DROP SUBSCRIPTION is not allowed in a migration body";
	case T_DiscardStmt: return "DISCARD is not allowed in a migration body";
	case T_ClusterStmt:
		if (castNode(ClusterStmt, stmt)->relation == nullptr)
			return top_level_only(top_level, "CLUSTER without a table cannot run inside a transaction block");
		return nullptr;
	case T_CopyStmt:
		if (castNode(CopyStmt, stmt)->filename == nullptr)
			return "COPY FROM STDIN and COPY TO STDOUT are not allowed in a migration body";
		return nullptr;
	default: return nullptr;
	}
}

struct RawStatement {
	int location;
	int length;  // 0 = to the end of the body
	Refusal refusal;
	const char *index_relation;  // CREATE INDEX CONCURRENTLY: its table as written, and its name
	const char *index_name;      // (nullptr when unnamed)
	RawLocks locks;
};

// The table of a CREATE INDEX CONCURRENTLY as written ("schema.table" or "table").
const char *
concurrent_index_relation(Node *stmt, const char **name)
{
	*name = nullptr;
	if (!IsA(stmt, IndexStmt) || !castNode(IndexStmt, stmt)->concurrent)
		return nullptr;
	auto *index = castNode(IndexStmt, stmt);
	*name = index->idxname ? pstrdup(index->idxname) : nullptr;
	if (index->relation->schemaname)
		return psprintf("%s.%s", quote_identifier(index->relation->schemaname),
		                quote_identifier(index->relation->relname));
	return pstrdup(quote_identifier(index->relation->relname));
}

// Line numbers of increasing positions in one text, counted once over the whole text.
class LineCounter {
public:
	explicit LineCounter(const std::string &text) : text_(text) {}
	int line_at(std::size_t position)
	{
		for (; scanned_ < position && scanned_ < text_.size(); scanned_++)
			if (text_[scanned_] == '\n')
				line_++;
		return line_;
	}

private:
	const std::string &text_;
	std::size_t scanned_ = 0;
	int line_ = 1;
};

}  // namespace

std::vector<BodyStatement>
prepare_body(const std::string &revision, core::Direction direction, const std::string &body, bool transactional)
{
	StatementContext ctx{revision.c_str(), core::direction_name(direction), body.c_str(), 0, 0, ""};
	const char *source = body.c_str();

	// Parse inside pg_call, in a memory context of its own (a plan parses every body before
	// the first runs: the parse trees must not pile up for the whole call); copy plain
	// locations out into an array there, then into C++ strings, then drop the context. (On
	// an error the context goes with its parent, the call's.)
	struct Parsed {
		RawStatement *items;
		int count;
		MemoryContext context;
	};
	Parsed parsed = pg_call([&] {
		MemoryContext parse_context =
			AllocSetContextCreate(CurrentMemoryContext, "pfm_migrate body parse", ALLOCSET_DEFAULT_SIZES);
		MemoryContext caller = MemoryContextSwitchTo(parse_context);
		ErrorContextCallback callback;
		callback.callback = statement_error_context;
		callback.arg = &ctx;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		List *raw = pg_parse_query(source);
		error_context_stack = callback.previous;
		Parsed out{static_cast<RawStatement *>(palloc(sizeof(RawStatement) * (list_length(raw) + 1))), 0,
		           parse_context};
		ListCell *lc;
		foreach (lc, raw) {
			RawStmt *rs = lfirst_node(RawStmt, lc);
			const char *index_name = nullptr;
			const char *index_relation = concurrent_index_relation(rs->stmt, &index_name);
			out.items[out.count++] =
				RawStatement{rs->stmt_location, rs->stmt_len, refusal_of(rs->stmt), index_relation, index_name,
			                 raw_statement_locks(rs->stmt)};
		}
		MemoryContextSwitchTo(caller);
		return out;
	});

	std::vector<BodyStatement> statements;
	statements.reserve(static_cast<std::size_t>(parsed.count));
	LineCounter lines(body);
	for (int i = 0; i < parsed.count; i++) {
		if ((i & 0x3ff) == 0x3ff)
			pg_call([] { CHECK_FOR_INTERRUPTS(); });
		const RawStatement &rs = parsed.items[i];
		// A statement's location starts right after the previous semicolon: skip the blanks.
		std::size_t start = static_cast<std::size_t>(rs.location);
		std::size_t end = rs.length > 0 ? start + static_cast<std::size_t>(rs.length) : body.size();
		while (start < end && std::isspace(static_cast<unsigned char>(body[start])))
			start++;
		std::string sql = body.substr(start, end - start);
		int line = lines.line_at(start);
		if (rs.refusal.reason && (transactional || !rs.refusal.top_level)) {
			std::string shown = sql.size() > 200 ? sql.substr(0, 200) + "..." : sql;
			const char *hint =
				std::strstr(rs.refusal.reason, "pfm_migrate")
					? "The migration state changes only through pfm_register, pfm_upgrade, pfm_downgrade and pfm_stamp."
				: rs.refusal.top_level
					? "Mark the revision non-transactional (-- pfm:transactional false in its file, or "
					  "transactional => false) and deploy it with CALL pfm_deploy(): each of its statements then "
					  "runs at top level, in its own transaction."
				: std::strncmp(rs.refusal.reason, "transaction control", 19) == 0
					? "pfm_migrate ends the transactions itself (CALL pfm_deploy() commits after each revision): split "
					  "the work into two revisions instead."
					: "Run such statements outside pfm_migrate, before or after the deploy.";
			throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
			               "revision " + revision + " cannot be applied: " + rs.refusal.reason,
			               "Statement " + std::to_string(i + 1) + " of the " + ctx.direction + " body (line " +
			                   std::to_string(line) + ") is: " + shown,
			               hint, "revision " + revision + " (" + ctx.direction + ")");
		}
		BodyStatement statement{std::move(sql), line, {}, {}, to_statement_locks(rs.locks)};
		if (rs.index_relation) {
			statement.index_relation = rs.index_relation;
			statement.index_name = rs.index_name ? rs.index_name : "";
		}
		statements.push_back(std::move(statement));
	}
	MemoryContext parse_context = parsed.context;
	pg_call([parse_context] { MemoryContextDelete(parse_context); });
	return statements;
}

namespace {

struct StatementOutcome {
	int rc;
	std::uint64_t processed;
};

// One try of one statement through SPI, under the statement's error context.
StatementOutcome
run_statement(StatementContext *c)
{
	return pg_call([c] {
		ErrorContextCallback callback;
		callback.callback = statement_error_context;
		callback.arg = c;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		int result = SPI_execute(c->statement, false, 0);
		error_context_stack = callback.previous;
		StatementOutcome o{result, static_cast<std::uint64_t>(SPI_processed)};
		// Free each statement's result as it goes (extension.c does the same).
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
		return o;
	});
}

std::string
statement_context_line(const StatementContext &c)
{
	std::string text = c.statement;
	if (text.size() > 200)
		text = text.substr(0, 200) + "...";
	return "revision " + std::string(c.revision) + " (" + c.direction + "), statement " +
	       std::to_string(c.statement_number) + " at line " + std::to_string(c.line) + ": " + text;
}

void
log_statement(const StatementContext *c)
{
	if (!log_statements)
		return;
	pg_call([c] {
		ereport(NOTICE, (errmsg("revision %s (%s), statement %d: %s", c->revision, c->direction,
		                        c->statement_number, c->statement)));
	});
}

void
check_outcome(const StatementOutcome &o, const StatementContext &c)
{
	if (o.rc < 0)
		throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
		               std::string("revision ") + c.revision + " cannot be applied: statement not supported in a migration body",
		               std::string("SPI refused the statement: ") + std::to_string(o.rc), {},
		               std::string("revision ") + c.revision + " (" + c.direction + "), statement " +
		                   std::to_string(c.statement_number));
}

}  // namespace

std::uint64_t
execute_statement(Spi & /* connected */, const std::string &revision, core::Direction direction,
                  const BodyStatement &stmt, int number)
{
	StatementContext ctx{revision.c_str(), core::direction_name(direction), nullptr, number, stmt.line,
	                     stmt.sql.c_str()};
	log_statement(&ctx);
	StatementOutcome outcome = run_statement(&ctx);
	check_outcome(outcome, ctx);
	return outcome.processed;
}

int
execute_body(Spi &spi, const std::string &revision, core::Direction direction,
             const std::vector<BodyStatement> &statements, LockRetry *retry, bool retry_statements)
{
	StatementContext ctx{revision.c_str(), core::direction_name(direction), nullptr, 0, 0, ""};
	int number = 0;
	int attempts = 1;
	for (const BodyStatement &stmt : statements) {
		ctx.statement_number = ++number;
		ctx.line = stmt.line;
		ctx.statement = stmt.sql.c_str();
		log_statement(&ctx);
		StatementContext *c = &ctx;
		StatementOutcome outcome{0, 0};
		BoundLock bound;
		if (retry && retry->bounded(stmt.locks, &bound)) {
			auto attempt = [&] { outcome = run_statement(c); };
			const std::string where =
				"revision " + revision + " (" + ctx.direction + "), statement " + std::to_string(number);
			if (retry_statements)
				attempts += retry->run_retrying(spi, bound, where, statement_context_line(ctx), attempt) - 1;
			else
				retry->run_once(bound, where, statement_context_line(ctx), attempt);
		} else {
			outcome = run_statement(c);
		}
		check_outcome(outcome, ctx);
	}
	return attempts;
}

}  // namespace pfm::pg
