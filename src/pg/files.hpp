// Migration files as data: read (never executed), checked, and reconciled with the catalog.
#pragma once

#include <string>
#include <vector>

#include "pg/catalog.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

// One file and the revision it declares.
struct FileRevision {
	std::string file;
	StoredRevision revision;
};

// Reads every file: the 0.2.0 format (core/migration_file.hpp), or a 0.1.0-style file
// holding one SELECT pfm_register(...) call with constant arguments, which is parsed with
// the server's parser and never run. Checks ids, that no revision has two files and that
// every body parses. Throws naming the file and line; nothing has changed then.
std::vector<FileRevision> read_migration_files(const std::vector<std::string> &names,
                                               const std::vector<std::string> &contents);

// What loading a file set does to the catalog.
struct FileAction {
	std::string revision;
	std::string file;    // empty: the revision has no file
	std::string action;  // registered, replaced, unchanged, removed (unapplied, no file),
	                     // applied, no file
};
struct FileSetPlan {
	std::vector<FileAction> actions;
	FileOverlay overlay;  // the registered revisions once the files are loaded
};

// Compares the files with the catalog: each file registers or replaces its revision
// (an applied revision's bodies or parents cannot change: error naming the file and both
// checksums); a registered unapplied revision with no file is removed; an applied one
// with no file stays and is reported. Reads only.
FileSetPlan plan_file_set(Spi &spi, const std::vector<FileRevision> &files);

// Carries the plan out (the caller holds the migration lock): registrations with their
// audit rows, removals with theirs, a NOTICE for each removal.
void apply_file_set(Spi &spi, const std::vector<FileRevision> &files, const FileSetPlan &plan);

}  // namespace pfm::pg
