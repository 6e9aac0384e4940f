// The migration file format: a plain SQL file whose header says what the revision is and
// whose two sections are its bodies. Files are data: the server reads them, nothing in
// them is ever executed by loading.
//
//     -- Add user preferences table             (comments and blank lines may stand anywhere
//     -- pfm:revision 0003                        before the upgrade section)
//     -- pfm:parents 0002                         ("base" for a root; "a1, b2" for a merge)
//     -- pfm:message Add user preferences table
//     -- pfm:branch-labels prefs                  (optional, comma-separated)
//     -- pfm:depends-on 0001                      (optional, comma-separated)
//     -- pfm:transactional false                  (optional; default true)
//
//     -- pfm:upgrade
//     CREATE TABLE user_preferences (...);
//
//     -- pfm:downgrade                            ("-- pfm:downgrade irreversible": none)
//     DROP TABLE user_preferences;
//
// A body is the text between its marker line and the next marker line (or the end of the
// file), blank lines at either end removed. Pure C++; the glue checks that ids are valid
// and that the bodies parse.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pfm::core {

struct MigrationFile {
	std::string revision;
	std::vector<std::string> parents;
	std::vector<std::string> branch_labels;
	std::vector<std::string> depends_on;
	std::string message;
	bool transactional = true;
	std::string upgrade;
	std::optional<std::string> downgrade;  // nullopt: irreversible
	int upgrade_line = 0;                   // line of the first line of each body
	int downgrade_line = 0;
};

// True when the text uses this format (it has a "-- pfm:upgrade" line); otherwise the file
// is read as a 0.1.0-style single pfm_register(...) call by the glue.
bool is_migration_file_format(std::string_view text);

// Parses a file. Throws Error(invalid_argument) whose message names the file and line:
// 'migration file "0003_x.sql", line 4: unknown header "pfm:parent"'.
MigrationFile parse_migration_file(std::string_view name, std::string_view text);

// Writes a revision in this format (what migrate-create, merge and the converters write);
// parse_migration_file(format_migration_file(f)) gives f back.
std::string format_migration_file(const MigrationFile &f, std::string_view comment = {});

// Text without blank lines and trailing blanks at either end: two bodies that differ only
// there are the same registration.
std::string_view trim_blank_edges(std::string_view body);

}  // namespace pfm::core
