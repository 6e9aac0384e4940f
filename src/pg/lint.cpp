// pfm_lint: the statements of every revision a move would run, found by the server's parser
// (raw_parser's RawStmt locations, never a regular expression) and judged against the live
// catalog. The parse trees are read in C++ (plain memory); every catalog lookup is a
// pg_call returning plain data. A judgement that needs the server to transform an
// expression (a DEFAULT's volatility, a type change's cast) runs in a subtransaction, so an
// expression the server cannot resolve yet (a function created earlier in the plan) is
// reported as undecided instead of failing the lint.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pg/lint.hpp"

#include "core/planner.hpp"
#include "pg/boundary.hpp"
#include "pg/catalog.hpp"
#include "pg/lock_retry.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "storage/lockdefs.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
}

namespace pfm::pg {

using core::lint::Finding;
using core::lint::Rule;

namespace {

// ---- parsing ------------------------------------------------------------------------

struct ParseContext {
	const char *revision;
	const char *body;
};

void
parse_error_context(void *arg)
{
	auto *c = static_cast<ParseContext *>(arg);
	// The syntax error's position as a position inside the body, as spi.c does.
	int position = geterrposition();
	if (position > 0) {
		errposition(0);
		internalerrposition(position);
		internalerrquery(c->body);
	}
	errcontext("revision %s (upgrade), linting the upgrade body", c->revision);
}

struct ParsedStatement {
	Node *stmt;
	int location;
	int length;  // 0: to the end of the body
};
struct Parsed {
	ParsedStatement *items;
	int count;
};

Parsed
parse_body(const std::string &revision, const std::string &body)
{
	ParseContext ctx{revision.c_str(), body.c_str()};
	ParseContext *c = &ctx;
	return pg_call([c] {
		ErrorContextCallback callback;
		callback.callback = parse_error_context;
		callback.arg = c;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		List *raw = raw_parser(c->body, RAW_PARSE_DEFAULT);
		error_context_stack = callback.previous;
		Parsed out{static_cast<ParsedStatement *>(palloc(sizeof(ParsedStatement) * (list_length(raw) + 1))), 0};
		ListCell *lc;
		foreach (lc, raw) {
			RawStmt *rs = lfirst_node(RawStmt, lc);
			out.items[out.count++] = ParsedStatement{rs->stmt, rs->stmt_location, rs->stmt_len};
		}
		return out;
	});
}

// ---- catalog facts (plain data) ---------------------------------------------------------

struct RelationFacts {
	Oid oid = InvalidOid;
	char relkind = 0;
	double reltuples = -1;
};

RelationFacts
lookup_relation(RangeVar *rv)
{
	return pg_call([rv] {
		RelationFacts f;
		Oid oid = RangeVarGetRelid(rv, NoLock, true);
		if (!OidIsValid(oid))
			return f;
		HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(oid));
		if (HeapTupleIsValid(tuple)) {
			auto *cls = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple));
			f.oid = oid;
			f.relkind = cls->relkind;
			f.reltuples = cls->reltuples;
			ReleaseSysCache(tuple);
		}
		return f;
	});
}

struct ColumnFacts {
	bool found = false;
	AttrNumber attnum = 0;
	Oid type = InvalidOid;
	int32 typmod = -1;
	Oid collation = InvalidOid;
	bool notnull = false;
};

ColumnFacts
lookup_column(Oid relation, const char *column)
{
	return pg_call([relation, column] {
		ColumnFacts f;
		HeapTuple tuple = SearchSysCacheAttName(relation, column);
		if (HeapTupleIsValid(tuple)) {
			auto *att = reinterpret_cast<Form_pg_attribute>(GETSTRUCT(tuple));
			f = ColumnFacts{true, att->attnum, att->atttypid, att->atttypmod, att->attcollation, att->attnotnull};
			ReleaseSysCache(tuple);
		}
		return f;
	});
}

// CHECK (col IS NOT NULL) constraints of a relation, as pg_constraint holds them.
struct NotNullCheck {
	AttrNumber attnum;
	bool validated;
	NameData name;
};
struct NotNullChecks {
	NotNullCheck *items;
	int count;
};

NotNullChecks
read_not_null_checks(Oid relation)
{
	return pg_call([relation] {
		NotNullChecks out{nullptr, 0};
		int capacity = 4;
		out.items = static_cast<NotNullCheck *>(palloc(sizeof(NotNullCheck) * capacity));
		Relation conrel = table_open(ConstraintRelationId, AccessShareLock);
		ScanKeyData key;
		ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relation));
		SysScanDesc scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, nullptr, 1, &key);
		HeapTuple tuple;
		while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
			auto *con = reinterpret_cast<Form_pg_constraint>(GETSTRUCT(tuple));
			if (con->contype != CONSTRAINT_CHECK)
				continue;
			bool isnull = false;
			Datum bin = heap_getattr(tuple, Anum_pg_constraint_conbin, RelationGetDescr(conrel), &isnull);
			if (isnull)
				continue;
			Node *expr = static_cast<Node *>(stringToNode(TextDatumGetCString(bin)));
			if (!IsA(expr, NullTest))
				continue;
			auto *test = castNode(NullTest, expr);
			if (test->nulltesttype != IS_NOT_NULL || test->argisrow || !IsA(test->arg, Var))
				continue;
			if (out.count == capacity) {
				capacity *= 2;
				out.items = static_cast<NotNullCheck *>(repalloc(out.items, sizeof(NotNullCheck) * capacity));
			}
			out.items[out.count++] = NotNullCheck{castNode(Var, test->arg)->varattno, con->convalidated, con->conname};
		}
		systable_endscan(scan);
		table_close(conrel, AccessShareLock);
		return out;
	});
}

// ---- judgements by the server's own rules (in a subtransaction) -------------------------

enum class Verdict : int { no, yes, undecided };

// Runs a judgement; an error in it (an unknown function or type, no cast) means undecided.
// A cancel or shutdown goes on as itself.
template <class F>
Verdict
judge(F f)
{
	Verdict verdict = Verdict::undecided;
	try {
		in_subtransaction([&] { verdict = pg_call(f); });
	} catch (const PgError &e) {
		if (e.data->sqlerrcode == ERRCODE_QUERY_CANCELED || e.data->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			throw;
		verdict = Verdict::undecided;
	}
	return verdict;
}

// ADD COLUMN with this default: does PostgreSQL rewrite the table? As ATExecAddColumn
// decides: a volatile default (after coercion to the column type), or a domain type with
// constraints, fills every row; a stable or immutable one becomes the "missing" value.
Verdict
default_rewrites(Node *raw_default, TypeName *type_name)
{
	return judge([raw_default, type_name] {
		ParseState *pstate = make_parsestate(nullptr);
		Oid type = InvalidOid;
		int32 typmod = -1;
		typenameTypeIdAndMod(pstate, type_name, &type, &typmod);
		Node *expr = transformExpr(pstate, static_cast<Node *>(copyObjectImpl(raw_default)), EXPR_KIND_COLUMN_DEFAULT);
		expr = coerce_to_target_type(pstate, expr, exprType(expr), type, typmod, COERCION_ASSIGNMENT,
		                             COERCE_IMPLICIT_CAST, -1);
		Verdict v = !expr ? Verdict::undecided
		            : contain_volatile_functions(expr) || DomainHasConstraints(type) ? Verdict::yes
		                                                                             : Verdict::no;
		free_parsestate(pstate);
		return v;
	});
}

// A column of a domain type with constraints is filled even without a default.
Verdict
type_has_domain_constraints(TypeName *type_name)
{
	return judge([type_name] {
		Oid type = InvalidOid;
		int32 typmod = -1;
		typenameTypeIdAndMod(nullptr, type_name, &type, &typmod);
		return DomainHasConstraints(type) ? Verdict::yes : Verdict::no;
	});
}

// tablecmds.c's ATColumnChangeRequiresRewrite, on the planned coercion of the column.
bool
change_requires_rewrite(Node *expr, AttrNumber attnum)
{
	for (;;) {
		if (IsA(expr, Var) && castNode(Var, expr)->varattno == attnum)
			return false;
		if (IsA(expr, RelabelType)) {
			expr = reinterpret_cast<Node *>(castNode(RelabelType, expr)->arg);
		} else if (IsA(expr, CoerceToDomain)) {
			auto *d = castNode(CoerceToDomain, expr);
			if (DomainHasConstraints(d->resulttype))
				return true;
			expr = reinterpret_cast<Node *>(d->arg);
		} else if (IsA(expr, FuncExpr)) {
			auto *f = castNode(FuncExpr, expr);
			if ((f->funcid == F_TIMESTAMPTZ_TIMESTAMP || f->funcid == F_TIMESTAMP_TIMESTAMPTZ) &&
			    !TimestampTimestampTzRequiresRewrite())
				expr = static_cast<Node *>(linitial(f->args));
			else
				return true;
		} else {
			return true;
		}
	}
}

// ALTER COLUMN ... TYPE without USING: does PostgreSQL rewrite the table? The column's
// value coerced to the new type as ALTER TABLE does it (assignment coercion, then
// expression_planner, whose support functions drop length coercions that cannot fail:
// varchar and numeric widening and the like), judged by ATColumnChangeRequiresRewrite.
// undecided: no assignment cast (the statement fails without USING).
Verdict
type_change_rewrites(ColumnFacts column, TypeName *type_name)
{
	return judge([column, type_name] {
		ParseState *pstate = make_parsestate(nullptr);
		Oid type = InvalidOid;
		int32 typmod = -1;
		typenameTypeIdAndMod(pstate, type_name, &type, &typmod);
		Node *value = reinterpret_cast<Node *>(makeVar(1, column.attnum, column.type, column.typmod, column.collation, 0));
		Node *transform = coerce_to_target_type(pstate, value, column.type, type, typmod, COERCION_ASSIGNMENT,
		                                        COERCE_IMPLICIT_CAST, -1);
		Verdict v = Verdict::undecided;
		if (transform) {
			transform = reinterpret_cast<Node *>(expression_planner(reinterpret_cast<Expr *>(transform)));
			v = change_requires_rewrite(transform, column.attnum) ? Verdict::yes : Verdict::no;
		}
		free_parsestate(pstate);
		return v;
	});
}

// A type as format_type prints it (bigint, character varying(20)); as written when unknown.
std::string
type_name_text(TypeName *type_name)
{
	return pg_call([type_name] {
		int32 typmod = -1;
		Type type = LookupTypeName(nullptr, type_name, &typmod, true);
		if (!type)
			return static_cast<const char *>(TypeNameToString(type_name));
		Oid oid = typeTypeId(type);
		ReleaseSysCache(type);
		return static_cast<const char *>(format_type_with_typemod(oid, typmod));
	});
}

std::string
column_type_text(ColumnFacts column)
{
	return pg_call([column] { return static_cast<const char *>(format_type_with_typemod(column.type, column.typmod)); });
}

std::string
command_name(Node *stmt)
{
	return pg_call([stmt] { return CreateCommandName(stmt); });
}

// ---- what the plan did before the statement being judged --------------------------------

std::string
display_name(const RangeVar *rv)
{
	std::string name = rv->relname ? rv->relname : "";
	return rv->schemaname ? std::string(rv->schemaname) + "." + name : name;
}

bool
is_serial_type(const TypeName *type_name)
{
	if (!type_name || list_length(type_name->names) != 1 || type_name->arrayBounds)
		return false;
	const char *name = strVal(linitial(type_name->names));
	for (const char *serial : {"smallserial", "serial2", "serial", "serial4", "bigserial", "serial8"})
		if (strcmp(name, serial) == 0)
			return true;
	return false;
}

// A CHECK (col IS NOT NULL) as written: its column, or nullptr.
const char *
not_null_check_column(const Constraint *con)
{
	if (con->contype != CONSTR_CHECK || !con->raw_expr || !IsA(con->raw_expr, NullTest))
		return nullptr;
	auto *test = castNode(NullTest, con->raw_expr);
	if (test->nulltesttype != IS_NOT_NULL || !test->arg || !IsA(test->arg, ColumnRef))
		return nullptr;
	List *fields = castNode(ColumnRef, test->arg)->fields;
	if (list_length(fields) != 1 || !IsA(linitial(fields), String))
		return nullptr;
	return strVal(linitial(fields));
}

// The tables an ALTER TABLE, and the like, names: RangeVar pointers are stable for the parse.
struct Existing {
	const RangeVar *rv;
	std::optional<RelationFacts> facts;
};

// One statement at a time, in plan order: each rule is one function that looks at the
// statement (and asks the catalog); remember() then records what the statement does for
// the statements after it.
class Linter {
public:
	explicit Linter(bool session_bounds_locks) : session_bounds_locks_(session_bounds_locks) {}

	std::vector<Finding> lint_body(const std::string &revision, const std::string &body, bool transactional,
	                               bool has_downgrade);

private:
	bool session_bounds_locks_;
	// Relations created by earlier statements of the plan: name -> schemas as written ("" unqualified).
	std::unordered_multimap<std::string, std::string> created_;
	// Validated CHECK (col IS NOT NULL) added by the plan: (table oid, column).
	std::set<std::pair<Oid, std::string>> validated_not_null_;
	// Added NOT VALID by the plan: (table oid, constraint name) -> column.
	std::map<std::pair<Oid, std::string>, std::string> pending_not_null_;

	// Per body, and per statement.
	bool body_bounds_locks_ = false;
	bool transactional_ = true;
	std::vector<Finding> findings_;
	int statement_ = 0;
	int line_ = 0;
	std::vector<Existing> looked_up_;

	void add(Rule rule, std::string message) { findings_.push_back(Finding{rule, statement_, line_, std::move(message)}); }

	void statement(Node *stmt);
	// The rules (src/core/lint.cpp has their names, severities and hints).
	void index_not_concurrent(Node *stmt);
	void concurrently_in_transaction(Node *stmt);
	void add_column_volatile_default(Node *stmt);
	void column_type_rewrite(Node *stmt);
	void set_not_null_scan(Node *stmt);
	void constraint_not_valid(Node *stmt);
	void unique_needs_index(Node *stmt);
	void drop_or_rename(Node *stmt);
	void rewrite_command(Node *stmt);
	void unbatched_dml(Node *stmt);
	void no_lock_timeout(Node *stmt);
	// What the statement does that later statements depend on.
	void remember(Node *stmt);

	bool created_in_plan(const RangeVar *rv) const
	{
		auto range = created_.equal_range(rv->relname);
		for (auto it = range.first; it != range.second; ++it)
			if (it->second.empty() || !rv->schemaname || it->second == rv->schemaname)
				return true;
		return false;
	}
	void remember_created(const RangeVar *rv)
	{
		if (rv && rv->relname)
			created_.emplace(rv->relname, rv->schemaname ? rv->schemaname : "");
	}
	// The relation as it was before the plan; nullopt when the plan created it or it does not
	// exist. Looked up once per statement.
	std::optional<RelationFacts> existing(RangeVar *rv)
	{
		if (!rv || !rv->relname)
			return std::nullopt;
		for (const Existing &e : looked_up_)
			if (e.rv == rv)
				return e.facts;
		std::optional<RelationFacts> facts;
		if (!created_in_plan(rv)) {
			RelationFacts f = lookup_relation(rv);
			if (OidIsValid(f.oid))
				facts = f;
		}
		looked_up_.push_back(Existing{rv, facts});
		return facts;
	}
	// An ALTER TABLE of a table that exists before the plan: its facts, else nullopt.
	std::optional<RelationFacts> altered_table(Node *stmt)
	{
		if (!IsA(stmt, AlterTableStmt) || castNode(AlterTableStmt, stmt)->objtype != OBJECT_TABLE)
			return std::nullopt;
		return existing(castNode(AlterTableStmt, stmt)->relation);
	}
	bool has_validated_not_null_check(Oid relation, const ColumnFacts &column, const std::string &name)
	{
		if (validated_not_null_.count({relation, name}))
			return true;
		NotNullChecks checks = read_not_null_checks(relation);
		for (int i = 0; i < checks.count; i++)
			if (checks.items[i].attnum == column.attnum && checks.items[i].validated)
				return true;
		return false;
	}
};

// Calls f(cmd) for every subcommand of an ALTER TABLE.
template <class F>
void
for_each_cmd(Node *stmt, F f)
{
	ListCell *lc;
	foreach (lc, castNode(AlterTableStmt, stmt)->cmds)
		f(lfirst_node(AlterTableCmd, lc));
}

// The RangeVars of a DROP TABLE / DROP INDEX.
std::vector<RangeVar *>
dropped_relations(DropStmt *stmt)
{
	std::vector<RangeVar *> out;
	ListCell *lc;
	foreach (lc, stmt->objects) {
		List *names = lfirst_node(List, lc);
		out.push_back(pg_call([names] { return makeRangeVarFromNameList(names); }));
	}
	return out;
}

void
Linter::statement(Node *stmt)
{
	looked_up_.clear();
	index_not_concurrent(stmt);
	concurrently_in_transaction(stmt);
	add_column_volatile_default(stmt);
	column_type_rewrite(stmt);
	set_not_null_scan(stmt);
	constraint_not_valid(stmt);
	unique_needs_index(stmt);
	drop_or_rename(stmt);
	rewrite_command(stmt);
	unbatched_dml(stmt);
	no_lock_timeout(stmt);
	remember(stmt);
}

// CREATE INDEX or DROP INDEX without CONCURRENTLY on a table that exists before the plan.
void
Linter::index_not_concurrent(Node *stmt)
{
	if (IsA(stmt, IndexStmt)) {
		auto *index = castNode(IndexStmt, stmt);
		if (!index->concurrent)
			if (auto table = existing(index->relation))
				add(Rule::index_not_concurrent, "CREATE INDEX on table " + display_name(index->relation) +
				                                    " blocks its writes (SHARE lock) while the index builds" +
				                                    core::lint::rows_text(table->reltuples));
	} else if (IsA(stmt, DropStmt)) {
		auto *drop = castNode(DropStmt, stmt);
		if (drop->removeType != OBJECT_INDEX || drop->concurrent)
			return;
		for (RangeVar *rv : dropped_relations(drop))
			if (existing(rv))
				add(Rule::index_not_concurrent,
				    "DROP INDEX " + display_name(rv) + " without CONCURRENTLY takes ACCESS EXCLUSIVE on its table");
	}
}

// CONCURRENTLY in a revision that runs in a transaction.
void
Linter::concurrently_in_transaction(Node *stmt)
{
	if (!transactional_)
		return;
	if (IsA(stmt, IndexStmt) && castNode(IndexStmt, stmt)->concurrent)
		add(Rule::concurrently_in_transaction,
		    "CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and this revision is transactional");
	else if (IsA(stmt, DropStmt) && castNode(DropStmt, stmt)->concurrent)
		add(Rule::concurrently_in_transaction,
		    "DROP INDEX CONCURRENTLY cannot run inside a transaction block, and this revision is transactional");
}

// ADD COLUMN whose value PostgreSQL must compute for every row (ATExecAddColumn's rules).
void
Linter::add_column_volatile_default(Node *stmt)
{
	auto table = altered_table(stmt);
	if (!table)
		return;
	const RangeVar *rv = castNode(AlterTableStmt, stmt)->relation;
	const std::string rewrites = " rewrites table " + display_name(rv) + " under ACCESS EXCLUSIVE" +
	                             core::lint::rows_text(table->reltuples);
	for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
		if (cmd->subtype != AT_AddColumn)
			return;
		auto *def = castNode(ColumnDef, cmd->def);
		const std::string what = "ADD COLUMN " + std::string(def->colname);
		Node *raw_default = def->raw_default;
		bool identity = false, generated = false;
		ListCell *lc;
		foreach (lc, def->constraints) {
			auto *con = lfirst_node(Constraint, lc);
			if (con->contype == CONSTR_DEFAULT)
				raw_default = con->raw_expr;
			identity = identity || con->contype == CONSTR_IDENTITY;
			generated = generated || con->contype == CONSTR_GENERATED;
		}
		if (is_serial_type(def->typeName)) {
			add(Rule::add_column_volatile_default, what + " " + strVal(linitial(def->typeName->names)) +
			                                           " fills every row from a sequence (nextval is volatile), so it" +
			                                           rewrites);
		} else if (identity) {
			add(Rule::add_column_volatile_default,
			    what + " GENERATED AS IDENTITY fills every row from a sequence, so it" + rewrites);
		} else if (generated) {
			add(Rule::add_column_volatile_default,
			    what + " GENERATED ALWAYS AS (...) STORED computes every row, so it" + rewrites);
		} else if (raw_default) {
			Verdict v = default_rewrites(raw_default, def->typeName);
			if (v == Verdict::yes)
				add(Rule::add_column_volatile_default,
				    what + " with a volatile default (or a domain type with constraints)" + rewrites);
			else if (v == Verdict::undecided)
				add(Rule::add_column_volatile_default,
				    what + ": its default or type is not known before the plan runs; if the default is volatile, it" +
				        rewrites);
		} else if (type_has_domain_constraints(def->typeName) == Verdict::yes) {
			add(Rule::add_column_volatile_default,
			    what + " of a domain type with constraints checks every row, so it" + rewrites);
		}
	});
}

// ALTER COLUMN ... TYPE that makes PostgreSQL rewrite the table, by the server's own rules.
void
Linter::column_type_rewrite(Node *stmt)
{
	auto table = altered_table(stmt);
	if (!table)
		return;
	const std::string name = display_name(castNode(AlterTableStmt, stmt)->relation);
	const std::string rows = core::lint::rows_text(table->reltuples);
	for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
		if (cmd->subtype != AT_AlterColumnType)
			return;
		auto *def = castNode(ColumnDef, cmd->def);
		ColumnFacts column = lookup_column(table->oid, cmd->name);
		if (!column.found)
			return;  // added by the plan (no rows to rewrite in it yet), or missing (the statement fails)
		const std::string what = "ALTER COLUMN " + std::string(cmd->name) + " TYPE " + type_name_text(def->typeName);
		bool using_same_column = false;
		if (def->raw_default && IsA(def->raw_default, ColumnRef)) {
			List *fields = castNode(ColumnRef, def->raw_default)->fields;
			using_same_column = list_length(fields) == 1 && IsA(linitial(fields), String) &&
			                    strcmp(strVal(linitial(fields)), cmd->name) == 0;
		}
		if (def->raw_default && !using_same_column) {
			add(Rule::column_type_rewrite,
			    what + " USING an expression rewrites table " + name + " under ACCESS EXCLUSIVE" + rows);
			return;
		}
		Verdict v = type_change_rewrites(column, def->typeName);
		if (v == Verdict::yes)
			add(Rule::column_type_rewrite, what + " (from " + column_type_text(column) + ") rewrites table " + name +
			                                   " and rebuilds its indexes under ACCESS EXCLUSIVE" + rows);
		else if (v == Verdict::undecided)
			add(Rule::column_type_rewrite, what + " (from " + column_type_text(column) +
			                                   "): no cast the server applies without USING, or the type is not "
			                                   "known yet; the statement may fail or rewrite table " + name);
	});
}

// SET NOT NULL that scans the table: no validated CHECK (col IS NOT NULL) proves it.
void
Linter::set_not_null_scan(Node *stmt)
{
	auto table = altered_table(stmt);
	if (!table)
		return;
	const std::string name = display_name(castNode(AlterTableStmt, stmt)->relation);
	for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
		if (cmd->subtype != AT_SetNotNull)
			return;
		ColumnFacts column = lookup_column(table->oid, cmd->name);
		if (!column.found || column.notnull || has_validated_not_null_check(table->oid, column, cmd->name))
			return;
		add(Rule::set_not_null_scan, "SET NOT NULL on column " + std::string(cmd->name) + " scans table " + name +
		                                 " under ACCESS EXCLUSIVE: no validated CHECK (" + cmd->name +
		                                 " IS NOT NULL) proves it" + core::lint::rows_text(table->reltuples));
	});
}

// FOREIGN KEY or CHECK added to an existing table without NOT VALID.
void
Linter::constraint_not_valid(Node *stmt)
{
	auto table = altered_table(stmt);
	if (!table)
		return;
	const std::string name = display_name(castNode(AlterTableStmt, stmt)->relation);
	for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
		if (cmd->subtype != AT_AddConstraint)
			return;
		auto *con = castNode(Constraint, cmd->def);
		if (con->skip_validation || (con->contype != CONSTR_FOREIGN && con->contype != CONSTR_CHECK))
			return;
		const std::string label = con->conname ? " " + std::string(con->conname) : std::string();
		add(Rule::constraint_not_valid,
		    "ADD CONSTRAINT" + label +
		        (con->contype == CONSTR_FOREIGN
		             ? " FOREIGN KEY without NOT VALID scans table " + name + " while it blocks writes (SHARE ROW EXCLUSIVE)"
		             : " CHECK without NOT VALID scans table " + name + " under ACCESS EXCLUSIVE") +
		        core::lint::rows_text(table->reltuples));
	});
}

// UNIQUE or PRIMARY KEY that builds its index under ACCESS EXCLUSIVE (no USING INDEX).
void
Linter::unique_needs_index(Node *stmt)
{
	auto table = altered_table(stmt);
	if (!table)
		return;
	const std::string name = display_name(castNode(AlterTableStmt, stmt)->relation);
	const std::string tail = " builds its index on table " + name + " under ACCESS EXCLUSIVE" +
	                         core::lint::rows_text(table->reltuples);
	auto check = [&](const std::string &what, Constraint *con) {
		if ((con->contype == CONSTR_UNIQUE || con->contype == CONSTR_PRIMARY) && !con->indexname)
			add(Rule::unique_needs_index,
			    what + (con->contype == CONSTR_PRIMARY ? " PRIMARY KEY" : " UNIQUE") + tail);
	};
	for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
		if (cmd->subtype == AT_AddConstraint) {
			auto *con = castNode(Constraint, cmd->def);
			check("ADD CONSTRAINT" + (con->conname ? " " + std::string(con->conname) : std::string()), con);
		} else if (cmd->subtype == AT_AddColumn) {
			auto *def = castNode(ColumnDef, cmd->def);
			ListCell *lc;
			foreach (lc, def->constraints)
				check("ADD COLUMN " + std::string(def->colname), lfirst_node(Constraint, lc));
		}
	});
}

// DROP or RENAME of a table or column that exists before the plan (old code still uses it).
void
Linter::drop_or_rename(Node *stmt)
{
	if (IsA(stmt, DropStmt) && castNode(DropStmt, stmt)->removeType == OBJECT_TABLE) {
		for (RangeVar *rv : dropped_relations(castNode(DropStmt, stmt)))
			if (auto table = existing(rv))
				add(Rule::drop_or_rename, "DROP TABLE " + display_name(rv) + ": code still using the table fails" +
				                              core::lint::rows_text(table->reltuples));
	} else if (IsA(stmt, RenameStmt)) {
		auto *rename = castNode(RenameStmt, stmt);
		bool table = rename->renameType == OBJECT_TABLE;
		bool column = rename->renameType == OBJECT_COLUMN && rename->relationType == OBJECT_TABLE;
		if ((table || column) && existing(rename->relation)) {
			std::string name = display_name(rename->relation);
			add(Rule::drop_or_rename, table ? "RENAME of table " + name + " to " + rename->newname +
			                                      ": code still using the old name fails"
			                                : "RENAME of column " + std::string(rename->subname) + " of table " + name +
			                                      " to " + rename->newname + ": code still using the old name fails");
		}
	} else if (altered_table(stmt)) {
		const std::string name = display_name(castNode(AlterTableStmt, stmt)->relation);
		for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
			if (cmd->subtype == AT_DropColumn)
				add(Rule::drop_or_rename,
				    "DROP COLUMN " + std::string(cmd->name) + " of table " + name + ": code still using the column fails");
		});
	}
}

// Commands that rewrite a whole table (or its indexes) while they lock it.
void
Linter::rewrite_command(Node *stmt)
{
	switch (nodeTag(stmt)) {
	case T_VacuumStmt: {
		auto *vacuum = castNode(VacuumStmt, stmt);
		bool full = false;
		ListCell *lc;
		foreach (lc, vacuum->options)
			if (strcmp(lfirst_node(DefElem, lc)->defname, "full") == 0) {
				DefElem *option = lfirst_node(DefElem, lc);
				full = pg_call([option] { return defGetBoolean(option); });
			}
		if (!vacuum->is_vacuumcmd || !full)
			return;
		if (vacuum->rels == NIL)
			add(Rule::rewrite_command, "VACUUM FULL rewrites every table of the database, each under ACCESS EXCLUSIVE");
		foreach (lc, vacuum->rels) {
			RangeVar *rv = lfirst_node(VacuumRelation, lc)->relation;
			if (auto table = existing(rv))
				add(Rule::rewrite_command, "VACUUM FULL rewrites table " + display_name(rv) + " under ACCESS EXCLUSIVE" +
				                               core::lint::rows_text(table->reltuples));
		}
		return;
	}
	case T_ClusterStmt: {
		auto *cluster = castNode(ClusterStmt, stmt);
		if (!cluster->relation)
			add(Rule::rewrite_command, "CLUSTER rewrites every clustered table of the database under ACCESS EXCLUSIVE");
		else if (auto table = existing(cluster->relation))
			add(Rule::rewrite_command, "CLUSTER rewrites table " + display_name(cluster->relation) +
			                               " under ACCESS EXCLUSIVE" + core::lint::rows_text(table->reltuples));
		return;
	}
	case T_ReindexStmt: {
		auto *reindex = castNode(ReindexStmt, stmt);
		bool concurrently = false;
		ListCell *lc;
		foreach (lc, reindex->params)
			concurrently = concurrently || strcmp(lfirst_node(DefElem, lc)->defname, "concurrently") == 0;
		if (concurrently || !reindex->relation ||
		    (reindex->kind != REINDEX_OBJECT_TABLE && reindex->kind != REINDEX_OBJECT_INDEX))
			return;
		if (auto relation = existing(reindex->relation))
			add(Rule::rewrite_command,
			    "REINDEX without CONCURRENTLY rebuilds " +
			        std::string(reindex->kind == REINDEX_OBJECT_TABLE ? "the indexes of table " : "index ") +
			        display_name(reindex->relation) + " while it blocks writes to the table" +
			        core::lint::rows_text(relation->reltuples));
		return;
	}
	case T_AlterTableStmt: {
		auto table = altered_table(stmt);
		if (!table)
			return;
		const std::string name = display_name(castNode(AlterTableStmt, stmt)->relation);
		for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
			const char *what = cmd->subtype == AT_SetTableSpace ? "SET TABLESPACE copies"
			                   : cmd->subtype == AT_SetLogged   ? "SET LOGGED rewrites"
			                   : cmd->subtype == AT_SetUnLogged ? "SET UNLOGGED rewrites"
			                                                    : nullptr;
			if (what)
				add(Rule::rewrite_command, std::string(what) + " table " + name + " under ACCESS EXCLUSIVE" +
				                               core::lint::rows_text(table->reltuples));
		});
		return;
	}
	default: return;
	}
}

// UPDATE or DELETE without WHERE on a table with rows (or whose size is unknown).
void
Linter::unbatched_dml(Node *stmt)
{
	bool update = IsA(stmt, UpdateStmt);
	if (!update && !IsA(stmt, DeleteStmt))
		return;
	RangeVar *rv = update ? castNode(UpdateStmt, stmt)->relation : castNode(DeleteStmt, stmt)->relation;
	Node *where = update ? castNode(UpdateStmt, stmt)->whereClause : castNode(DeleteStmt, stmt)->whereClause;
	if (where)
		return;
	if (auto table = existing(rv))
		if (core::lint::rows_from_reltuples(table->reltuples) != core::lint::Rows::none)
			add(Rule::unbatched_dml, std::string(update ? "UPDATE" : "DELETE") + " of table " + display_name(rv) +
			                             " without WHERE changes every row in one transaction" +
			                             core::lint::rows_text(table->reltuples));
}

// A statement taking ACCESS EXCLUSIVE on an existing table with no lock timeout in effect.
void
Linter::no_lock_timeout(Node *stmt)
{
	if (session_bounds_locks_ || body_bounds_locks_)
		return;
	std::string target;  // "table t", or empty: no ACCESS EXCLUSIVE lock on an existing table
	auto first_existing = [&](const std::vector<RangeVar *> &rels) {
		for (RangeVar *rv : rels)
			if (existing(rv))
				return display_name(rv);
		return std::string();
	};
	switch (nodeTag(stmt)) {
	case T_AlterTableStmt:
		if (altered_table(stmt) &&
		    pg_call([stmt] { return AlterTableGetLockLevel(castNode(AlterTableStmt, stmt)->cmds) == AccessExclusiveLock; }))
			target = "table " + display_name(castNode(AlterTableStmt, stmt)->relation);
		break;
	case T_DropStmt: {
		auto *drop = castNode(DropStmt, stmt);
		if (drop->removeType == OBJECT_TABLE || (drop->removeType == OBJECT_INDEX && !drop->concurrent)) {
			std::string name = first_existing(dropped_relations(drop));
			if (!name.empty())
				target = (drop->removeType == OBJECT_TABLE ? "table " : "the table of index ") + name;
		}
		break;
	}
	case T_RenameStmt: {
		auto *rename = castNode(RenameStmt, stmt);
		if ((rename->renameType == OBJECT_TABLE ||
		     (rename->renameType == OBJECT_COLUMN && rename->relationType == OBJECT_TABLE)) &&
		    existing(rename->relation))
			target = "table " + display_name(rename->relation);
		break;
	}
	case T_TruncateStmt: {
		std::vector<RangeVar *> rels;
		ListCell *lc;
		foreach (lc, castNode(TruncateStmt, stmt)->relations)
			rels.push_back(lfirst_node(RangeVar, lc));
		std::string name = first_existing(rels);
		if (!name.empty())
			target = "table " + name;
		break;
	}
	case T_VacuumStmt: {
		auto *vacuum = castNode(VacuumStmt, stmt);
		bool full = false;
		std::vector<RangeVar *> rels;
		ListCell *lc;
		foreach (lc, vacuum->options)
			full = full || strcmp(lfirst_node(DefElem, lc)->defname, "full") == 0;
		foreach (lc, vacuum->rels)
			rels.push_back(lfirst_node(VacuumRelation, lc)->relation);
		std::string name = full && vacuum->is_vacuumcmd ? first_existing(rels) : std::string();
		if (!name.empty())
			target = "table " + name;
		break;
	}
	case T_ClusterStmt:
		if (castNode(ClusterStmt, stmt)->relation && existing(castNode(ClusterStmt, stmt)->relation))
			target = "table " + display_name(castNode(ClusterStmt, stmt)->relation);
		break;
	default: break;
	}
	if (!target.empty())
		add(Rule::no_lock_timeout, command_name(stmt) + " takes ACCESS EXCLUSIVE on " + target +
		                               " with no lock timeout: while it waits for the lock, every query on the table "
		                               "waits behind it");
}

void
Linter::remember(Node *stmt)
{
	switch (nodeTag(stmt)) {
	case T_CreateStmt: remember_created(castNode(CreateStmt, stmt)->relation); break;
	case T_CreateTableAsStmt: remember_created(castNode(CreateTableAsStmt, stmt)->into->rel); break;
	case T_IndexStmt: {
		auto *index = castNode(IndexStmt, stmt);
		if (index->idxname)
			created_.emplace(index->idxname, index->relation->schemaname ? index->relation->schemaname : "");
		break;
	}
	case T_VariableSetStmt: {
		auto *set = castNode(VariableSetStmt, stmt);
		if (!set->name || strcmp(set->name, "lock_timeout") != 0)
			break;
		if (set->kind != VAR_SET_VALUE || list_length(set->args) != 1) {
			body_bounds_locks_ = false;  // RESET, SET ... TO DEFAULT: back to the session's value
			break;
		}
		auto *value = static_cast<A_Const *>(linitial(set->args));
		if (!IsA(value, A_Const) || value->isnull)
			body_bounds_locks_ = false;
		else if (IsA(&value->val, Integer))
			body_bounds_locks_ = intVal(&value->val) > 0;
		else if (IsA(&value->val, String))
			body_bounds_locks_ = core::lint::bounds_lock_waits(strVal(&value->val));
		else
			body_bounds_locks_ = true;  // a float: some milliseconds
		break;
	}
	case T_AlterTableStmt: {
		// CHECK (col IS NOT NULL) constraints: validated ones let a later SET NOT NULL skip its scan.
		auto table = altered_table(stmt);
		if (!table)
			break;
		for_each_cmd(stmt, [&](AlterTableCmd *cmd) {
			if (cmd->subtype == AT_AddConstraint) {
				auto *con = castNode(Constraint, cmd->def);
				const char *column = not_null_check_column(con);
				if (column && !con->skip_validation)
					validated_not_null_.insert({table->oid, column});
				else if (column && con->conname)
					pending_not_null_[{table->oid, con->conname}] = column;
			} else if (cmd->subtype == AT_ValidateConstraint) {
				auto pending = pending_not_null_.find({table->oid, cmd->name});
				if (pending != pending_not_null_.end()) {
					validated_not_null_.insert({table->oid, pending->second});
					return;
				}
				NotNullChecks checks = read_not_null_checks(table->oid);
				const Oid relation = table->oid;
				for (int i = 0; i < checks.count; i++) {
					if (strcmp(NameStr(checks.items[i].name), cmd->name) != 0)
						continue;
					const AttrNumber attnum = checks.items[i].attnum;
					const char *column = pg_call([relation, attnum] { return get_attname(relation, attnum, true); });
					if (column)
						validated_not_null_.insert({relation, column});
				}
			}
		});
		break;
	}
	default: break;
	}
}

std::vector<Finding>
Linter::lint_body(const std::string &revision, const std::string &body, bool transactional, bool has_downgrade)
{
	findings_.clear();
	body_bounds_locks_ = false;
	transactional_ = transactional;
	statement_ = 0;
	line_ = 0;
	if (!has_downgrade)
		add(Rule::irreversible, "revision " + revision + " has no downgrade: it cannot be reverted");

	Parsed parsed = parse_body(revision, body);
	std::vector<core::lint::Span> spans;
	spans.reserve(static_cast<std::size_t>(parsed.count));
	for (int i = 0; i < parsed.count; i++) {
		const ParsedStatement &p = parsed.items[i];
		std::size_t start = static_cast<std::size_t>(p.location);
		spans.push_back({start, p.length > 0 ? start + static_cast<std::size_t>(p.length) : body.size()});
	}
	core::lint::LineIndex lines(body);
	for (int i = 0; i < parsed.count; i++) {
		if ((i & 0xff) == 0xff)
			pg_call([] { CHECK_FOR_INTERRUPTS(); });
		statement_ = i + 1;
		line_ = lines.line_at(core::lint::first_token(body, spans[i].start, spans[i].end));
		statement(parsed.items[i].stmt);
	}
	std::vector<Finding> kept =
		core::lint::apply_allowances(std::move(findings_), core::lint::parse_allowances(body, spans));
	return core::lint::first_of_each_body(std::move(kept), Rule::no_lock_timeout);
}

}  // namespace

std::vector<LintRow>
lint_upgrade(Spi &spi, const std::string &target)
{
	StatePtr state = read_catalog_state(spi, true);
	core::Plan plan = core::plan_upgrade(state->graph, state->applied, target);
	std::vector<StoredRevision> stored = read_step_revisions(spi, plan, true);

	// What bounds lock waits in this session: pfm_migrate.lock_wait or lock_timeout.
	bool session_bounds = lock_wait_ms > 0 || LockTimeout > 0;
	Linter linter(session_bounds);
	std::vector<LintRow> rows;
	for (std::size_t i = 0; i < plan.steps.size(); i++) {
		pg_call([] { CHECK_FOR_INTERRUPTS(); });
		const StoredRevision &r = stored[i];
		for (Finding &f : linter.lint_body(r.revision.id, r.upgrade, r.revision.transactional, r.downgrade.has_value()))
			rows.push_back(LintRow{r.revision.id, std::move(f)});
		std::string().swap(stored[i].upgrade);
	}
	return rows;
}

}  // namespace pfm::pg
