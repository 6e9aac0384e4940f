// Revision value type and identifier rules. Pure C++: no PostgreSQL header may
// be included anywhere under src/core (the CMake target has no server include path).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pfm::core {

// One registered revision, as the catalog holds it.
struct Revision {
	std::string id;
	std::vector<std::string> parents;        // down_revision(s): empty = root, 2+ = merge point
	std::vector<std::string> depends_on;     // cross-branch dependencies
	std::vector<std::string> branch_labels;
	std::string message;
	std::string checksum;                    // checksum of the registered bodies
	bool has_downgrade = true;               // false = irreversible
	bool transactional = true;               // false: each statement runs at top level, in its own transaction
};

// A revision recorded as applied, with the checksum of its bodies as applied.
struct AppliedRevision {
	std::string id;
	std::string checksum;
};

enum class Direction { upgrade, downgrade };

inline const char *
direction_name(Direction d)
{
	return d == Direction::upgrade ? "upgrade" : "downgrade";
}

// ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ -- revision ids and branch labels alike.
bool is_valid_identifier(std::string_view text);

// Splits "a1,b2" / "a1, b2" into ids; empty items are kept as "" so callers can reject them.
std::vector<std::string> split_revision_list(std::string_view text);

}  // namespace pfm::core
