// The one place a core error kind gets its SQLSTATE (the words come with the error).
#include "pg/boundary.hpp"

namespace pfm::pg {

int
sqlstate_for(core::ErrorKind kind)
{
	switch (kind) {
	case core::ErrorKind::invalid_argument:
	case core::ErrorKind::ambiguous_revision:
	case core::ErrorKind::multiple_heads:
	case core::ErrorKind::invalid_target:
		return ERRCODE_INVALID_PARAMETER_VALUE;  // 22023
	case core::ErrorKind::unknown_revision:
		return ERRCODE_UNDEFINED_OBJECT;  // 42704
	case core::ErrorKind::graph_cycle:
	case core::ErrorKind::dangling_reference:
	case core::ErrorKind::duplicate_label:
	case core::ErrorKind::unknown_applied:
	case core::ErrorKind::drift:
	case core::ErrorKind::irreversible:
		return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;  // 55000
	case core::ErrorKind::internal:
		break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

}  // namespace pfm::pg
