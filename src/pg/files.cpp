#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pg/files.hpp"

#include "core/migration_file.hpp"
#include "core/revision.hpp"
#include "core/text.hpp"
#include "pg/boundary.hpp"
#include "pg/registration.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
}

namespace pfm::pg {

namespace {

[[noreturn]] void
refuse(const std::string &file, int line, const std::string &what, std::string hint = {})
{
	throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
	               "migration file \"" + file + "\", line " + std::to_string(line) + ": " + what, {},
	               hint.empty() ? std::string("Migration files are read, never run; see the README for the format.")
	                            : std::move(hint));
}

int
line_at(const std::string &text, std::size_t offset)
{
	return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(
	                                                                         std::min(offset, text.size())),
	                                       '\n'));
}

// Error context while a file's text is parsed: the syntax error's position becomes a line
// of the file.
struct ParseContext {
	const char *file;
	const char *text;
	int first_line;  // line of the file where `text` starts
	const char *what;
};

void
parse_error_context(void *arg)
{
	auto *c = static_cast<ParseContext *>(arg);
	int position = geterrposition();
	int line = c->first_line;
	if (position > 0) {
		// The position counts characters from 1; walk them to count the newlines.
		const char *p = c->text;
		for (int k = 1; k < position && *p; k++) {
			if (*p == '\n')
				line++;
			p += pg_mblen(p);
		}
		errposition(0);
	}
	errcontext("migration file \"%s\", line %d (%s)", c->file, line, c->what);
}

// Raw-parses text under that context; returns the raw statements (plain pointers).
List *
parse_with_context(const std::string &file, const std::string &text, int first_line, const char *what)
{
	ParseContext ctx{file.c_str(), text.c_str(), first_line, what};
	ParseContext *c = &ctx;
	return pg_call([&] {
		ErrorContextCallback callback;
		callback.callback = parse_error_context;
		callback.arg = c;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		List *raw = pg_parse_query(c->text);
		error_context_stack = callback.previous;
		return raw;
	});
}

// ---- a 0.1.0-style file: one SELECT pfm_register(...) with constant arguments ----------

struct Constant {
	enum class Kind { null, text, list, boolean } kind = Kind::null;
	std::string text;
	std::vector<std::string> list;
	bool flag = false;
	int location = 0;
};

// pfm_register's parameters in declaration order.
const char *const kRegisterParameters[] = {"revision",      "down_revision", "upgrade",      "downgrade",
                                           "message",       "branch_labels", "depends_on",   "transactional"};
constexpr int kRegisterParameterCount = static_cast<int>(std::size(kRegisterParameters));

class LegacyFile {
public:
	LegacyFile(const std::string &file, const std::string &text) : file_(file), text_(text) {}

	[[noreturn]] void fail(int location, const std::string &what) const
	{
		refuse(file_, line_at(text_, location < 0 ? 0 : static_cast<std::size_t>(location)), what,
		       "A 0.1.0-style migration file holds exactly one SELECT pfm_register(...) call whose arguments are "
		       "constants; it is read, never run. scripts/dev.sh convert-files rewrites such files in the "
		       "migration file format.");
	}

	// Every value of text cast to what the node says; the node is a parse tree.
	Constant constant(Node *node) const
	{
		Constant c;
		if (IsA(node, TypeCast)) {
			auto *cast = castNode(TypeCast, node);
			c = constant(cast->arg);
#if PG_VERSION_NUM < 150000
			// 13/14 parse true/false as 't'::boolean
			if (c.kind == Constant::Kind::text && list_length(cast->typeName->names) > 0) {
				const char *type = strVal(llast(cast->typeName->names));
				if (strcmp(type, "bool") == 0) {
					c.kind = Constant::Kind::boolean;
					c.flag = c.text == "t" || c.text == "true";
				}
			}
#endif
			return c;
		}
		if (IsA(node, A_ArrayExpr)) {
			auto *array = castNode(A_ArrayExpr, node);
			c.kind = Constant::Kind::list;
			c.location = array->location;
			ListCell *lc;
			foreach (lc, array->elements) {
				Constant item = constant(static_cast<Node *>(lfirst(lc)));
				if (item.kind != Constant::Kind::text)
					fail(item.location, "an array argument must hold string constants");
				c.list.push_back(std::move(item.text));
			}
			return c;
		}
		if (!IsA(node, A_Const))
			fail(location_of(node), "a pfm_register argument that is not a constant");
		auto *value = castNode(A_Const, node);
		c.location = value->location;
#if PG_VERSION_NUM >= 150000
		if (value->isnull)
			return c;
		switch (nodeTag(&value->val)) {
		case T_String:
			c.kind = Constant::Kind::text;
			c.text = strVal(&value->val);
			return c;
		case T_Boolean:
			c.kind = Constant::Kind::boolean;
			c.flag = boolVal(&value->val);
			return c;
		default: break;
		}
#else
		switch (nodeTag(&value->val)) {
		case T_Null: return c;
		case T_String:
			c.kind = Constant::Kind::text;
			c.text = strVal(&value->val);
			return c;
		default: break;
		}
#endif
		fail(c.location, "a pfm_register argument that is not a string, NULL, boolean or ARRAY[...] of strings");
	}

	static int location_of(Node *node)
	{
		if (IsA(node, ColumnRef))
			return castNode(ColumnRef, node)->location;
		if (IsA(node, FuncCall))
			return castNode(FuncCall, node)->location;
		return -1;
	}

	StoredRevision read()
	{
		List *raw = parse_with_context(file_, text_, 1, "pfm_register call");
		if (list_length(raw) != 1)
			fail(list_length(raw) == 0 ? 0 : lfirst_node(RawStmt, list_nth_cell(raw, 1))->stmt_location,
			     list_length(raw) == 0 ? "no pfm_register call"
			                           : "more than one statement (a migration file holds one revision)");
		auto *rs = lfirst_node(RawStmt, list_head(raw));
		FuncCall *call = register_call(rs->stmt);
		if (!call)
			fail(rs->stmt_location, "the file is not a single SELECT pfm_register(...) call");

		Constant args[kRegisterParameterCount];
		bool given[kRegisterParameterCount] = {};
		int position = 0;
		ListCell *lc;
		foreach (lc, call->args) {
			Node *arg = static_cast<Node *>(lfirst(lc));
			int k = position;
			if (IsA(arg, NamedArgExpr)) {
				auto *named = castNode(NamedArgExpr, arg);
				k = 0;
				while (k < kRegisterParameterCount && strcmp(kRegisterParameters[k], named->name) != 0)
					k++;
				if (k == kRegisterParameterCount)
					fail(named->location, std::string("pfm_register has no parameter \"") + named->name + "\"");
				arg = reinterpret_cast<Node *>(named->arg);
			} else {
				position++;
			}
			if (k >= kRegisterParameterCount)
				fail(location_of(arg), "too many arguments to pfm_register");
			if (given[k])
				fail(location_of(arg), std::string("argument \"") + kRegisterParameters[k] + "\" given twice");
			given[k] = true;
			args[k] = constant(arg);
		}
		return revision_of(args, given, call->location);
	}

private:
	// The pfm_register(...) of "SELECT [schema.]pfm_register(...)", or nullptr.
	static FuncCall *register_call(Node *stmt)
	{
		if (!IsA(stmt, SelectStmt))
			return nullptr;
		auto *select = castNode(SelectStmt, stmt);
		if (select->fromClause || select->whereClause || select->groupClause || select->havingClause ||
		    select->withClause || select->op != SETOP_NONE || select->valuesLists || list_length(select->targetList) != 1)
			return nullptr;
		auto *target = lfirst_node(ResTarget, list_head(select->targetList));
		if (!target->val || !IsA(target->val, FuncCall))
			return nullptr;
		auto *call = castNode(FuncCall, target->val);
		int names = list_length(call->funcname);
		if (names < 1 || names > 2 || strcmp(strVal(llast(call->funcname)), "pfm_register") != 0 || call->agg_order ||
		    call->agg_filter || call->over || call->agg_star || call->agg_distinct || call->func_variadic)
			return nullptr;
		return call;
	}

	std::string text_arg(const Constant *args, const bool *given, int k, bool nullable, int fallback) const
	{
		if (!given[k] || args[k].kind == Constant::Kind::null) {
			if (!nullable && given[k])
				fail(args[k].location, std::string("argument \"") + kRegisterParameters[k] + "\" must not be NULL");
			return {};
		}
		if (args[k].kind != Constant::Kind::text)
			fail(given[k] ? args[k].location : fallback,
			     std::string("argument \"") + kRegisterParameters[k] + "\" must be a string");
		return args[k].text;
	}

	std::vector<std::string> list_arg(const Constant *args, const bool *given, int k) const
	{
		if (!given[k] || args[k].kind == Constant::Kind::null)
			return {};
		if (args[k].kind != Constant::Kind::list)
			fail(args[k].location, std::string("argument \"") + kRegisterParameters[k] + "\" must be ARRAY[...]");
		return args[k].list;
	}

	StoredRevision revision_of(const Constant *args, const bool *given, int location) const
	{
		StoredRevision r;
		if (!given[0])
			fail(location, "pfm_register without a revision");
		r.revision.id = text_arg(args, given, 0, false, location);
		std::string parents = text_arg(args, given, 1, true, location);
		if (given[1] && args[1].kind != Constant::Kind::null)
			r.revision.parents = core::split_revision_list(parents);
		r.upgrade = text_arg(args, given, 2, false, location);
		if (given[3] && args[3].kind != Constant::Kind::null)
			r.downgrade = text_arg(args, given, 3, true, location);
		r.revision.message = text_arg(args, given, 4, true, location);
		r.revision.branch_labels = list_arg(args, given, 5);
		r.revision.depends_on = list_arg(args, given, 6);
		if (given[7] && args[7].kind != Constant::Kind::null) {
			if (args[7].kind != Constant::Kind::boolean)
				fail(args[7].location, "argument \"transactional\" must be true or false");
			r.revision.transactional = args[7].flag;
		}
		upgrade_line_ = given[2] ? line_at(text_, static_cast<std::size_t>(args[2].location)) : 1;
		downgrade_line_ = given[3] ? line_at(text_, static_cast<std::size_t>(args[3].location)) : 1;
		return r;
	}

public:
	mutable int upgrade_line_ = 1, downgrade_line_ = 1;

private:
	const std::string &file_;
	const std::string &text_;
};

// The revision a file declares, its bodies checked to parse.
StoredRevision
read_one_file(const std::string &file, const std::string &text)
{
	StoredRevision r;
	int upgrade_line = 1, downgrade_line = 1;
	if (core::is_migration_file_format(text)) {
		core::MigrationFile f = core::parse_migration_file(file, text);
		r.revision.id = f.revision;
		r.revision.parents = f.parents;
		r.revision.branch_labels = f.branch_labels;
		r.revision.depends_on = f.depends_on;
		r.revision.message = f.message;
		r.revision.transactional = f.transactional;
		r.upgrade = f.upgrade;
		r.downgrade = f.downgrade;
		upgrade_line = f.upgrade_line;
		downgrade_line = f.downgrade_line;
	} else {
		LegacyFile legacy(file, text);
		r = legacy.read();
		upgrade_line = legacy.upgrade_line_;
		downgrade_line = legacy.downgrade_line_;
	}
	r.revision.has_downgrade = r.downgrade.has_value();
	try {
		validate(r);
	} catch (const SqlError &e) {
		refuse(file, 1, e.message);
	}
	(void) parse_with_context(file, r.upgrade, upgrade_line, "upgrade body");
	if (r.downgrade)
		(void) parse_with_context(file, *r.downgrade, downgrade_line, "downgrade body");
	return r;
}

}  // namespace

std::vector<FileRevision>
read_migration_files(const std::vector<std::string> &names, const std::vector<std::string> &contents)
{
	if (names.size() != contents.size())
		throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "file names and contents differ in number",
		               std::to_string(names.size()) + " names, " + std::to_string(contents.size()) + " contents.");
	std::vector<FileRevision> files;
	files.reserve(names.size());
	std::unordered_map<std::string, std::size_t> file_of;
	for (std::size_t i = 0; i < names.size(); i++) {
		if ((i & 0x3f) == 0x3f)
			pg_call([] { CHECK_FOR_INTERRUPTS(); });
		StoredRevision r = read_one_file(names[i], contents[i]);
		auto [it, fresh] = file_of.emplace(r.revision.id, i);
		if (!fresh)
			throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
			               "revision " + r.revision.id + " is declared by two migration files",
			               "Files: \"" + names[it->second] + "\" and \"" + names[i] + "\".",
			               "Each revision has one file: remove or renumber one of them.");
		files.push_back(FileRevision{names[i], std::move(r)});
	}
	return files;
}

FileSetPlan
plan_file_set(Spi &spi, const std::vector<FileRevision> &files)
{
	StatePtr state = read_catalog_state(spi, false);
	std::vector<std::string> registered_ids;
	registered_ids.reserve(state->graph.size());
	for (const core::Revision &r : state->graph.revisions())
		registered_ids.push_back(r.id);
	std::vector<StoredRevision> registered = read_revisions(spi, registered_ids, false);
	std::unordered_map<std::string, const StoredRevision *> by_id;
	for (const StoredRevision &r : registered)
		by_id.emplace(r.revision.id, &r);
	std::unordered_map<std::string, std::string> applied;  // id -> checksum as applied
	for (const core::AppliedRevision &a : state->applied)
		applied.emplace(a.id, a.checksum);

	FileSetPlan plan;
	std::unordered_map<std::string, bool> has_file;
	for (const FileRevision &f : files) {
		const StoredRevision &r = f.revision;
		has_file[r.revision.id] = true;
		auto old = by_id.find(r.revision.id);
		auto applied_as = applied.find(r.revision.id);
		if (old == by_id.end()) {
			plan.actions.push_back({r.revision.id, f.file, "registered"});
			plan.overlay.revisions.push_back(r);
		} else if (old->second->same_content(r)) {
			plan.actions.push_back({r.revision.id, f.file, "unchanged"});
			plan.overlay.revisions.push_back(*old->second);
		} else if (applied_as != applied.end()) {
			bool bodies_changed = old->second->upgrade != r.upgrade || old->second->downgrade != r.downgrade ||
			                      old->second->revision.transactional != r.revision.transactional;
			throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			               "migration file \"" + f.file + "\" changes revision " + r.revision.id +
			                   ", which has been applied",
			               bodies_changed ? "Checksum as applied: " + applied_as->second + "; the file's bodies: " +
			                                    checksum_of(spi, r) + "."
			                              : std::string("The file changes its parents or dependencies."),
			               "Applied migrations are immutable: restore the file and write a new revision for the "
			               "change; in a development database, downgrade the revision first (scripts/dev.sh "
			               "downgrade), then edit the file.");
		} else {
			plan.actions.push_back({r.revision.id, f.file, "replaced"});
			plan.overlay.revisions.push_back(r);
		}
	}
	for (const StoredRevision &r : registered) {
		const std::string &id = r.revision.id;
		if (has_file.count(id))
			continue;
		if (applied.count(id)) {
			plan.actions.push_back({id, "", "applied, no file"});
			plan.overlay.revisions.push_back(r);
			plan.overlay.missing.push_back(id);
		} else {
			plan.actions.push_back({id, "", "removed"});
		}
	}
	return plan;
}

void
apply_file_set(Spi &spi, const std::vector<FileRevision> &files, const FileSetPlan &plan)
{
	CatalogVersion version = read_catalog_version(spi, false);
	std::unordered_map<std::string, const FileRevision *> by_id;
	for (const FileRevision &f : files)
		by_id.emplace(f.revision.revision.id, &f);
	std::vector<std::string> removed;
	for (const FileAction &a : plan.actions) {
		if (a.action == "registered" || a.action == "replaced")
			register_revision(spi, version, by_id.at(a.revision)->revision,
			                  a.action == "registered" ? std::nullopt : read_revision(spi, a.revision, false), std::nullopt);
		else if (a.action == "removed")
			removed.push_back(a.revision);
	}
	if (removed.empty())
		return;
	delete_revisions(spi, removed);
	std::string note = "removed " + std::to_string(removed.size()) + " unapplied revision(s) that no migration file declares: " +
	                   core::join(removed);
	const char *s = note.c_str();
	pg_call([&] { ereport(NOTICE, (errmsg("%s", s))); });
}

}  // namespace pfm::pg
