// Typed errors of the core. They carry the words for the user (primary message in
// PostgreSQL style: lower-case, no trailing period; detail and hint as sentences)
// and a kind; src/pg/error_map.cpp is the one place that gives each kind a SQLSTATE.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace pfm::core {

enum class ErrorKind {
	invalid_argument,        // malformed id, label or target text; bad step count
	unknown_revision,        // "can't locate revision identified by 'x'"
	ambiguous_revision,      // id prefix matching several revisions
	multiple_heads,          // "head" (or a new revision) with several heads present
	invalid_target,          // a target that cannot be reached/walked from the current state
	graph_cycle,             // cycle or self-parenting
	dangling_reference,      // parent or depends_on not registered
	duplicate_label,         // a branch label used by two revisions
	unknown_applied,         // applied revision missing from the catalog
	drift,                   // applied revision whose bodies changed since it was applied
	irreversible,            // downgrade through a revision without downgrade body
	internal,                // a bug: invariant broken
};

struct Error : std::runtime_error {
	ErrorKind kind;
	std::string detail;
	std::string hint;
	std::vector<std::string> revisions;  // revisions involved, for callers that want them

	Error(ErrorKind k, std::string message, std::string detail_ = {}, std::string hint_ = {},
	      std::vector<std::string> revisions_ = {})
		: std::runtime_error(std::move(message)), kind(k), detail(std::move(detail_)), hint(std::move(hint_)),
		  revisions(std::move(revisions_))
	{
	}
};

}  // namespace pfm::core
