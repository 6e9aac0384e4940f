#include "core/migration_file.hpp"

#include "core/errors.hpp"
#include "core/revision.hpp"
#include "core/text.hpp"

namespace pfm::core {

namespace {

bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view
trim(std::string_view s)
{
	while (!s.empty() && is_space(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && is_space(s.back()))
		s.remove_suffix(1);
	return s;
}

// "-- pfm:name value" -> name and value; nullopt for any other line.
struct Directive {
	std::string_view name, value;
};
std::optional<Directive>
directive_of(std::string_view line)
{
	line = trim(line);
	if (line.substr(0, 2) != "--")
		return std::nullopt;
	line = trim(line.substr(2));
	if (line.substr(0, 4) != "pfm:")
		return std::nullopt;
	line.remove_prefix(4);
	std::size_t end = 0;
	while (end < line.size() && !is_space(line[end]))
		end++;
	return Directive{line.substr(0, end), trim(line.substr(end))};
}

const char *const kHeaders[] = {"revision", "parents", "message", "branch-labels", "depends-on", "transactional"};

bool
is_header(std::string_view name)
{
	for (const char *h : kHeaders)
		if (name == h)
			return true;
	return false;
}

class Parser {
public:
	Parser(std::string_view name, std::string_view text) : name_(name), text_(text) {}

	[[noreturn]] void fail(int line, const std::string &what, std::string hint = {}) const
	{
		throw Error(ErrorKind::invalid_argument,
		            "migration file \"" + std::string(name_) + "\", line " + std::to_string(line) + ": " + what, {},
		            hint.empty() ? std::string("A migration file has -- pfm: header lines, then a -- pfm:upgrade "
		                                       "section and a -- pfm:downgrade section.")
		                         : std::move(hint));
	}

	std::vector<std::string> list(int line, std::string_view value, const char *what) const
	{
		std::vector<std::string> items = split_revision_list(value);
		for (const std::string &item : items)
			if (item.empty())
				fail(line, std::string("empty item in ") + what + " \"" + std::string(value) + "\"");
		return items;
	}

	MigrationFile parse()
	{
		enum class Section { header, upgrade, downgrade } section = Section::header;
		std::vector<bool> seen(std::size(kHeaders), false);
		std::size_t pos = 0, body_start = 0;
		int line_no = 0, last_line = 0;
		bool irreversible = false, have_revision = false, have_parents = false, have_downgrade = false;
		auto end_body = [&](std::size_t end) {
			std::string body(trim_blank_edges(text_.substr(body_start, end - body_start)));
			if (section == Section::upgrade)
				f_.upgrade = std::move(body);
			else if (section == Section::downgrade) {
				if (irreversible && !body.empty())
					fail(f_.downgrade_line, "an irreversible migration has no downgrade body",
					     "Remove the text after -- pfm:downgrade irreversible, or drop the word irreversible.");
				if (!irreversible)
					f_.downgrade = std::move(body);
			}
		};
		while (pos <= text_.size()) {
			std::size_t nl = text_.find('\n', pos);
			std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
			std::string_view line = text_.substr(pos, end - pos);
			line_no++;
			last_line = line_no;
			std::optional<Directive> d = directive_of(line);
			if (d && d->name == "upgrade") {
				if (section != Section::header)
					fail(line_no, "a second -- pfm:upgrade line");
				if (!d->value.empty())
					fail(line_no, "unexpected text after -- pfm:upgrade");
				section = Section::upgrade;
				body_start = nl == std::string_view::npos ? text_.size() : nl + 1;
				f_.upgrade_line = line_no + 1;
			} else if (d && d->name == "downgrade") {
				if (section == Section::header)
					fail(line_no, "the -- pfm:downgrade section comes before -- pfm:upgrade");
				if (section == Section::downgrade)
					fail(line_no, "a second -- pfm:downgrade line");
				if (!d->value.empty() && d->value != "irreversible")
					fail(line_no, "unexpected text after -- pfm:downgrade: \"" + std::string(d->value) + "\"",
					     "Write -- pfm:downgrade irreversible for a migration that cannot be reverted.");
				end_body(pos);
				section = Section::downgrade;
				have_downgrade = true;
				irreversible = !d->value.empty();
				body_start = nl == std::string_view::npos ? text_.size() : nl + 1;
				f_.downgrade_line = line_no + 1;
			} else if (section == Section::header) {
				if (d) {
					header(line_no, *d, seen);
					have_revision = have_revision || d->name == "revision";
					have_parents = have_parents || d->name == "parents";
				} else if (!trim(line).empty() && trim(line).substr(0, 2) != "--") {
					fail(line_no, "SQL before the -- pfm:upgrade line",
					     "Nothing in a migration file runs outside its sections: put the SQL under -- pfm:upgrade.");
				}
			} else if (d && is_header(d->name)) {
				fail(line_no, "header pfm:" + std::string(d->name) + " inside a body", "Headers go before -- pfm:upgrade.");
			}
			if (nl == std::string_view::npos)
				break;
			pos = nl + 1;
		}
		if (section == Section::header)
			fail(last_line, "no -- pfm:upgrade line");
		end_body(text_.size());
		if (!have_downgrade)
			fail(last_line, "no -- pfm:downgrade line",
			     "End the file with a -- pfm:downgrade section, or -- pfm:downgrade irreversible.");
		if (!have_revision)
			fail(1, "no -- pfm:revision header");
		if (!have_parents)
			fail(1, "no -- pfm:parents header", "Write -- pfm:parents base for a first revision.");
		return f_;
	}

private:
	void header(int line, const Directive &d, std::vector<bool> &seen)
	{
		std::size_t k = 0;
		while (k < std::size(kHeaders) && d.name != kHeaders[k])
			k++;
		if (k == std::size(kHeaders))
			fail(line, "unknown header \"pfm:" + std::string(d.name) + "\"",
			     "Headers: pfm:revision, pfm:parents, pfm:message, pfm:branch-labels, pfm:depends-on, pfm:transactional.");
		if (seen[k])
			fail(line, "a second pfm:" + std::string(d.name) + " header");
		seen[k] = true;
		if (d.name == "revision") {
			if (d.value.empty())
				fail(line, "pfm:revision needs a revision id");
			f_.revision = std::string(d.value);
		} else if (d.name == "parents") {
			if (d.value.empty())
				fail(line, "pfm:parents needs base or the parent revision ids");
			if (d.value != "base")
				f_.parents = list(line, d.value, "pfm:parents");
		} else if (d.name == "message") {
			f_.message = std::string(d.value);
		} else if (d.name == "branch-labels") {
			f_.branch_labels = list(line, d.value, "pfm:branch-labels");
		} else if (d.name == "depends-on") {
			f_.depends_on = list(line, d.value, "pfm:depends-on");
		} else {
			if (d.value != "true" && d.value != "false")
				fail(line, "pfm:transactional is true or false, not \"" + std::string(d.value) + "\"");
			f_.transactional = d.value == "true";
		}
	}

	std::string_view name_, text_;
	MigrationFile f_;
};

// A line of `body` that the parser would take for a marker or a header.
bool
has_marker_line(std::string_view body)
{
	std::size_t pos = 0;
	while (pos <= body.size()) {
		std::size_t nl = body.find('\n', pos);
		std::string_view line = body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
		if (std::optional<Directive> d = directive_of(line))
			if (d->name == "upgrade" || d->name == "downgrade" || is_header(d->name))
				return true;
		if (nl == std::string_view::npos)
			break;
		pos = nl + 1;
	}
	return false;
}

std::string
one_line(std::string_view text)
{
	std::string out(trim(text));
	for (char &c : out)
		if (c == '\n' || c == '\r')
			c = ' ';
	return out;
}

}  // namespace

std::string_view
trim_blank_edges(std::string_view body)
{
	return trim(body);
}

bool
is_migration_file_format(std::string_view text)
{
	std::size_t pos = 0;
	while (pos <= text.size()) {
		std::size_t nl = text.find('\n', pos);
		std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
		if (std::optional<Directive> d = directive_of(line))
			if (d->name == "upgrade")
				return true;
		if (nl == std::string_view::npos)
			break;
		pos = nl + 1;
	}
	return false;
}

MigrationFile
parse_migration_file(std::string_view name, std::string_view text)
{
	return Parser(name, text).parse();
}

std::string
format_migration_file(const MigrationFile &f, std::string_view comment)
{
	for (const std::string *body : {&f.upgrade, f.downgrade ? &*f.downgrade : &f.upgrade})
		if (has_marker_line(*body))
			throw Error(ErrorKind::invalid_argument,
			            "revision " + quoted(f.revision) + " has a body line that reads like a -- pfm: header or marker",
			            {}, "Such a line cannot be written into a migration file; reword the comment.");
	std::string out;
	std::string_view rest = comment;
	while (!rest.empty()) {
		std::size_t nl = rest.find('\n');
		std::string_view line = trim(rest.substr(0, nl));
		out += line.empty() ? "--\n" : "-- " + std::string(line) + "\n";
		rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
	}
	out += "-- pfm:revision " + f.revision + "\n";
	out += "-- pfm:parents " + (f.parents.empty() ? std::string("base") : join(f.parents)) + "\n";
	if (!trim(f.message).empty())
		out += "-- pfm:message " + one_line(f.message) + "\n";
	if (!f.branch_labels.empty())
		out += "-- pfm:branch-labels " + join(f.branch_labels) + "\n";
	if (!f.depends_on.empty())
		out += "-- pfm:depends-on " + join(f.depends_on) + "\n";
	if (!f.transactional)
		out += "-- pfm:transactional false\n";
	out += "\n-- pfm:upgrade\n";
	std::string_view up = trim_blank_edges(f.upgrade);
	if (!up.empty())
		out += std::string(up) + "\n";
	if (!f.downgrade) {
		out += "\n-- pfm:downgrade irreversible\n";
	} else {
		out += "\n-- pfm:downgrade\n";
		std::string_view down = trim_blank_edges(*f.downgrade);
		if (!down.empty())
			out += std::string(down) + "\n";
	}
	return out;
}

}  // namespace pfm::core
