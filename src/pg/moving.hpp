// Shared by the moving and offline entry points.
#pragma once

#include <string>

#include "core/graph.hpp"
#include "core/planner.hpp"

namespace pfm::pg {

// The Alembic-style step line: "Running upgrade 0002 -> 0003, Add user preferences table".
std::string step_description(const core::RevisionGraph &graph, const core::Step &step);

}  // namespace pfm::pg
