#include "core/lint.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace pfm::core::lint {

const char *
severity_name(Severity severity)
{
	switch (severity) {
	case Severity::error: return "error";
	case Severity::warning: return "warning";
	case Severity::notice: return "notice";
	}
	return "error";
}

const std::vector<RuleInfo> &
rules()
{
	static const std::vector<RuleInfo> all = {
		{Rule::index_not_concurrent, "index-not-concurrent", Severity::error,
		 "Use CREATE INDEX CONCURRENTLY (or DROP INDEX CONCURRENTLY) in a non-transactional revision: it does not "
		 "block writes while it builds."},
		{Rule::concurrently_in_transaction, "concurrently-in-transaction", Severity::error,
		 "Move the statement into a revision of its own marked non-transactional (-- pfm:transactional false) and "
		 "deploy with CALL pfm_deploy()."},
		{Rule::add_column_volatile_default, "add-column-volatile-default", Severity::error,
		 "Add the column without a default (or with a stable one), set the default with ALTER COLUMN ... SET "
		 "DEFAULT, and fill existing rows in batches."},
		{Rule::column_type_rewrite, "column-type-rewrite", Severity::error,
		 "Add a column of the new type, backfill it in batches, and switch the application over; or choose a type "
		 "change PostgreSQL does without a rewrite (varchar widening, text, numeric precision widening)."},
		{Rule::set_not_null_scan, "set-not-null-scan", Severity::warning,
		 "First add CHECK (col IS NOT NULL) NOT VALID and VALIDATE CONSTRAINT it (in an earlier statement or "
		 "revision); SET NOT NULL then uses the validated check and skips the scan."},
		{Rule::constraint_not_valid, "constraint-not-valid", Severity::error,
		 "Add the constraint NOT VALID (a brief lock, no scan), then VALIDATE CONSTRAINT it in a later statement or "
		 "revision: validation takes only SHARE UPDATE EXCLUSIVE."},
		{Rule::unique_needs_index, "unique-needs-index", Severity::error,
		 "Build a unique index with CREATE UNIQUE INDEX CONCURRENTLY in a non-transactional revision, then ADD "
		 "CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX."},
		{Rule::drop_or_rename, "drop-or-rename", Severity::warning,
		 "Deploy the application code that stops using it first; rename by adding the new name and dropping the "
		 "old one in a later release."},
		{Rule::rewrite_command, "rewrite-command", Severity::error,
		 "Run it outside the deploy in a maintenance window, or use pg_repack or REINDEX CONCURRENTLY, which do not "
		 "hold ACCESS EXCLUSIVE for the whole rewrite."},
		{Rule::unbatched_dml, "unbatched-dml", Severity::warning,
		 "Change the rows in batches (WHERE id BETWEEN ...), outside the schema migration or in a "
		 "non-transactional revision."},
		{Rule::no_lock_timeout, "no-lock-timeout", Severity::warning,
		 "Start the body with SET LOCAL lock_timeout = '5s' (or set pfm_migrate.lock_wait), so a long-running query "
		 "holding the table makes the deploy fail instead of queueing every other query behind it."},
		{Rule::irreversible, "irreversible", Severity::notice,
		 "Give the revision a downgrade body, or opt out at the top of the body if it cannot have one."},
		{Rule::unknown_allow, "unknown-allow", Severity::warning,
		 "Name one of the rules pfm_lint reports (the README lists them), separated by commas."},
	};
	return all;
}

const RuleInfo &
info(Rule rule)
{
	return rules()[static_cast<std::size_t>(rule)];
}

std::optional<Rule>
rule_named(std::string_view name)
{
	for (const RuleInfo &r : rules())
		if (name == r.name)
			return r.rule;
	return std::nullopt;
}

bool
Allowances::allows(Rule rule, int statement) const
{
	if (revision.count(rule))
		return true;
	return statement >= 1 && static_cast<std::size_t>(statement) <= statements.size() &&
	       statements[static_cast<std::size_t>(statement) - 1].count(rule);
}

namespace {

bool
is_name_char(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// The rule names after "pfm:allow" in one line comment's text (after the "--"); empty when
// the comment is no opt-out.
std::optional<std::vector<std::string>>
allowed_names(std::string_view comment)
{
	std::size_t i = 0;
	while (i < comment.size() && (comment[i] == ' ' || comment[i] == '\t'))
		i++;
	static constexpr std::string_view marker = "pfm:allow";
	if (comment.substr(i, marker.size()) != marker)
		return std::nullopt;
	i += marker.size();
	if (i < comment.size() && !(comment[i] == ' ' || comment[i] == '\t'))
		return std::nullopt;  // pfm:allowed, pfm:allow-x: not ours
	std::vector<std::string> names;
	for (;;) {
		while (i < comment.size() && (comment[i] == ' ' || comment[i] == '\t'))
			i++;
		std::size_t begin = i;
		while (i < comment.size() && is_name_char(comment[i]))
			i++;
		if (i == begin)
			break;
		names.emplace_back(comment.substr(begin, i - begin));
		while (i < comment.size() && (comment[i] == ' ' || comment[i] == '\t'))
			i++;
		if (i < comment.size() && comment[i] == ',')
			i++;
		else
			break;  // the rest is the reason
	}
	return names;
}

// A dollar-quote opening tag at body[i] ("$$" or "$tag$"); its length, or 0.
std::size_t
dollar_tag_length(std::string_view body, std::size_t i)
{
	if (body[i] != '$')
		return 0;
	std::size_t j = i + 1;
	if (j < body.size() && std::isdigit(static_cast<unsigned char>(body[j])))
		return 0;  // $1: a parameter
	while (j < body.size() && (std::isalnum(static_cast<unsigned char>(body[j])) || body[j] == '_' ||
	                           static_cast<unsigned char>(body[j]) >= 0x80))
		j++;
	return j < body.size() && body[j] == '$' ? j - i + 1 : 0;
}

// Calls on_comment(offset, text) for every line comment of the body outside literals.
template <class F>
void
scan_line_comments(std::string_view body, F on_comment)
{
	std::size_t i = 0;
	const std::size_t n = body.size();
	while (i < n) {
		char c = body[i];
		if (c == '-' && i + 1 < n && body[i + 1] == '-') {
			std::size_t end = body.find('\n', i);
			if (end == std::string_view::npos)
				end = n;
			on_comment(i, body.substr(i + 2, end - i - 2));
			i = end;
		} else if (c == '/' && i + 1 < n && body[i + 1] == '*') {
			int depth = 1;  // block comments nest in PostgreSQL
			i += 2;
			while (i < n && depth > 0) {
				if (body[i] == '/' && i + 1 < n && body[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (body[i] == '*' && i + 1 < n && body[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
		} else if (c == '\'' || c == '"') {
			// E'...' strings take backslash escapes; standard strings and identifiers double the quote.
			bool escapes = c == '\'' && i > 0 && (body[i - 1] == 'E' || body[i - 1] == 'e') &&
			               (i < 2 || !is_name_char(body[i - 2]));
			i++;
			while (i < n) {
				if (escapes && body[i] == '\\') {
					i += 2;
				} else if (body[i] == c) {
					if (i + 1 < n && body[i + 1] == c)
						i += 2;
					else
						break;
				} else {
					i++;
				}
			}
			i++;
		} else if (std::size_t tag = c == '$' && (i == 0 || !is_name_char(body[i - 1])) ? dollar_tag_length(body, i) : 0) {
			std::size_t close = body.find(body.substr(i, tag), i + tag);
			i = close == std::string_view::npos ? n : close + tag;
		} else {
			i++;
		}
	}
}

bool
no_newline_between(std::string_view body, std::size_t from, std::size_t to)
{
	return body.substr(from, to - from).find('\n') == std::string_view::npos;
}

}  // namespace

Allowances
parse_allowances(std::string_view body, const std::vector<Span> &statements)
{
	Allowances out;
	out.statements.resize(statements.size());
	LineIndex lines(body);
	std::vector<std::size_t> firsts;
	firsts.reserve(statements.size());
	for (const Span &s : statements)
		firsts.push_back(first_token(body, s.start, s.end));
	scan_line_comments(body, [&](std::size_t at, std::string_view text) {
		auto names = allowed_names(text);
		if (!names)
			return;
		// The statement the comment belongs to: 0-based, or -1 for the revision, -2 for none.
		long owner = -2;
		// The first statement whose span ends after the comment (spans are in order).
		auto it = std::upper_bound(statements.begin(), statements.end(), at,
		                           [](std::size_t pos, const Span &s) { return pos < s.end; });
		long k = static_cast<long>(it - statements.begin());
		if (k < static_cast<long>(statements.size()) && at >= firsts[static_cast<std::size_t>(k)]) {
			owner = k;  // inside the statement
		} else if (k > 0 && no_newline_between(body, statements[static_cast<std::size_t>(k) - 1].end, at)) {
			owner = k - 1;  // at the end of the previous statement's last line
		} else if (k == 0) {
			owner = -1;  // the top of the body
		} else if (k < static_cast<long>(statements.size())) {
			owner = k;  // on the lines just before the statement
		}
		for (const std::string &name : *names) {
			auto rule = rule_named(name);
			if (!rule) {
				out.unknown.push_back(name);
				out.unknown_lines.push_back(lines.line_at(at));
			} else if (owner == -1) {
				out.revision.insert(*rule);
			} else if (owner >= 0) {
				out.statements[static_cast<std::size_t>(owner)].insert(*rule);
			}
		}
	});
	return out;
}

std::vector<Finding>
apply_allowances(std::vector<Finding> findings, const Allowances &allowances)
{
	std::vector<Finding> kept;
	kept.reserve(findings.size() + allowances.unknown.size());
	for (Finding &f : findings)
		if (!allowances.allows(f.rule, f.statement))
			kept.push_back(std::move(f));
	for (std::size_t i = 0; i < allowances.unknown.size(); i++)
		kept.push_back(Finding{Rule::unknown_allow, 0, allowances.unknown_lines[i],
		                       "-- pfm:allow names no rule \"" + allowances.unknown[i] + "\""});
	return kept;
}

std::vector<Finding>
first_of_each_body(std::vector<Finding> findings, Rule rule)
{
	std::vector<Finding> out;
	out.reserve(findings.size());
	std::size_t first = findings.size();
	int more = 0;
	for (Finding &f : findings) {
		if (f.rule == rule && first != findings.size()) {
			more++;
			continue;
		}
		if (f.rule == rule)
			first = out.size();
		out.push_back(std::move(f));
	}
	if (more > 0)
		out[first].message += " (and " + std::to_string(more) + " more statement" + (more == 1 ? "" : "s") +
		                      " of this body)";
	return out;
}

std::size_t
first_token(std::string_view body, std::size_t start, std::size_t end)
{
	end = std::min(end, body.size());
	std::size_t i = start;
	while (i < end) {
		if (std::isspace(static_cast<unsigned char>(body[i]))) {
			i++;
		} else if (body[i] == '-' && i + 1 < end && body[i + 1] == '-') {
			std::size_t nl = body.find('\n', i);
			i = nl == std::string_view::npos ? end : nl + 1;
		} else if (body[i] == '/' && i + 1 < end && body[i + 1] == '*') {
			int depth = 1;
			i += 2;
			while (i < end && depth > 0) {
				if (body[i] == '/' && i + 1 < end && body[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (body[i] == '*' && i + 1 < end && body[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
		} else {
			break;
		}
	}
	return std::min(i, end);
}

LineIndex::LineIndex(std::string_view text)
{
	line_starts_.push_back(0);
	for (std::size_t i = 0; i < text.size(); i++)
		if (text[i] == '\n')
			line_starts_.push_back(i + 1);
}

int
LineIndex::line_at(std::size_t offset) const
{
	auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
	return static_cast<int>(it - line_starts_.begin());
}

Rows
rows_from_reltuples(double reltuples)
{
	if (reltuples < 0)
		return Rows::unknown;
	return reltuples > 0 ? Rows::some : Rows::none;
}

std::string
rows_text(double reltuples)
{
	switch (rows_from_reltuples(reltuples)) {
	case Rows::unknown: return " (its size is unknown: never vacuumed or analyzed)";
	case Rows::none: return " (empty when last analyzed)";
	case Rows::some: break;
	}
	char buf[64];
	std::snprintf(buf, sizeof buf, " (about %.0f rows)", reltuples);
	return buf;
}

namespace {

// The leading "<digits><unit>" of a setting, and whether its number is positive.
std::string_view
leading_duration(std::string_view s, bool *positive)
{
	std::size_t i = 0;
	while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
		i++;
	*positive = s.substr(0, i).find_first_not_of('0') != std::string_view::npos;
	if (i == 0)
		return {};
	std::size_t j = i;
	while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j])))
		j++;
	std::string_view unit = s.substr(i, j - i);
	for (std::string_view ok : {"", "us", "ms", "s", "min", "h", "d"})
		if (unit == ok)
			return s.substr(0, j);
	return s.substr(0, i);
}

std::string_view
trimmed(const char *setting)
{
	std::string_view s(setting);
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
		s.remove_prefix(1);
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.remove_suffix(1);
	return s;
}

}  // namespace

bool
bounds_lock_waits(const char *setting)
{
	if (!setting)
		return false;
	std::string_view s = trimmed(setting);
	if (s.empty() || s == "off" || s == "false" || s.front() == '-')
		return false;
	bool positive = false;
	std::string_view d = leading_duration(s, &positive);
	return d.empty() ? true : positive;
}

}  // namespace pfm::core::lint
