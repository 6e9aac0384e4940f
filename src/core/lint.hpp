// pfm_lint's rules where no catalog is needed: the catalogue of rules (name, severity,
// what it means, how to do it safely), the `-- pfm:allow <rule>` opt-outs of a body, and
// where a statement of a multi-statement body starts (its line). The glue (src/pg/lint.cpp)
// walks the server's parse trees, asks the catalog, and reports through these. Pure C++.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pfm::core::lint {

enum class Severity { error, warning, notice };
const char *severity_name(Severity severity);

enum class Rule {
	index_not_concurrent,
	concurrently_in_transaction,
	add_column_volatile_default,
	column_type_rewrite,
	set_not_null_scan,
	constraint_not_valid,
	unique_needs_index,
	drop_or_rename,
	rewrite_command,
	unbatched_dml,
	no_lock_timeout,
	irreversible,
	unknown_allow,  // a `-- pfm:allow` comment naming no rule
};

struct RuleInfo {
	Rule rule;
	const char *name;   // as in pfm_lint's rule column and in -- pfm:allow
	Severity severity;
	const char *hint;   // how to do it safely (pfm_lint's hint column)
};

// Every rule, in the order of the README's table.
const std::vector<RuleInfo> &rules();
const RuleInfo &info(Rule rule);
std::optional<Rule> rule_named(std::string_view name);

// One finding of one statement (statement 0: the revision as a whole).
struct Finding {
	Rule rule;
	int statement = 0;
	int line = 0;
	std::string message;
};

// ---- opt-outs -------------------------------------------------------------------------
// Where each statement of a body is: [start, end) byte offsets, end just past its last
// character (the semicolon, if any), as the server's parser reports them (RawStmt
// stmt_location / stmt_len).
struct Span {
	std::size_t start;
	std::size_t end;
};

struct Allowances {
	std::set<Rule> revision;                   // comments before the first statement
	std::vector<std::set<Rule>> statements;    // per statement, in order
	std::vector<std::string> unknown;          // names that are no rule
	std::vector<int> unknown_lines;            // and the lines they are on
	bool allows(Rule rule, int statement) const;  // statement: 1-based; 0 = the revision
};

// The `-- pfm:allow rule[, rule ...]` comments of a body (line comments, found by a scanner
// that skips string literals, quoted identifiers, dollar quotes and block comments).
// A comment before the first statement opts the whole revision out; one inside a
// statement, at the end of its last line (after the semicolon), or on the lines just
// before it, opts that statement out.
Allowances parse_allowances(std::string_view body, const std::vector<Span> &statements);

// Removes the findings the allowances opt out of; adds an unknown_allow finding per unknown name.
std::vector<Finding> apply_allowances(std::vector<Finding> findings, const Allowances &allowances);

// Keeps the first finding of `rule` and counts the others into its message ("... (and 2
// more statements of this body)"): no-lock-timeout has one remedy for the whole body.
std::vector<Finding> first_of_each_body(std::vector<Finding> findings, Rule rule);

// ---- positions ------------------------------------------------------------------------
// The offset of a statement's first token: the parser's location starts right after the
// previous semicolon, so blanks and comments come first.
std::size_t first_token(std::string_view body, std::size_t start, std::size_t end);

// 1-based line numbers of byte offsets in one text (binary search over its line starts).
class LineIndex {
public:
	explicit LineIndex(std::string_view text);
	int line_at(std::size_t offset) const;

private:
	std::vector<std::size_t> line_starts_;
};

// ---- judgements that need no catalog ------------------------------------------------
// What pg_class.reltuples says about a table's rows: -1 (never vacuumed or analyzed) is unknown.
enum class Rows { none, some, unknown };
Rows rows_from_reltuples(double reltuples);
// " (about N rows)", " (its size is unknown: never analyzed)", " (empty when last analyzed)"
std::string rows_text(double reltuples);

// The value a body's SET lock_timeout gives bounds lock waits (nullptr = none). "0", "",
// "off" and "-1" bound nothing.
bool bounds_lock_waits(const char *setting);

}  // namespace pfm::core::lint
