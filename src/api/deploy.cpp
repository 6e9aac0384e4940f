// CALL pfm_deploy(target), CALL pfm_revert(target): one revision per transaction.
#include <string>

#include "pg/args.hpp"
#include "pg/deploy.hpp"

using namespace pfm;
using namespace pfm::pg;

PFM_SQL_FUNCTION(pfm_deploy)
{
	return deploy_per_revision(fcinfo, core::Direction::upgrade, required_text(fcinfo, 0, "target"));
}

PFM_SQL_FUNCTION(pfm_revert)
{
	return deploy_per_revision(fcinfo, core::Direction::downgrade, required_text(fcinfo, 0, "target"));
}
