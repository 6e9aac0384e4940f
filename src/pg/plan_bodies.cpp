#include <algorithm>
#include <string>
#include <vector>

#include "pg/plan_bodies.hpp"

#include "pg/boundary.hpp"

namespace pfm::pg {

PlanBodies::PlanBodies(const core::Plan &plan, bool read_only, Prepare prepare)
	: plan_(plan), read_only_(read_only), prepare_(std::move(prepare))
{
}

void
PlanBodies::load(Spi &spi, std::size_t first)
{
	const std::size_t end = std::min(plan_.steps.size(), first + batch_steps);
	std::vector<std::string> ids;
	ids.reserve(end - first);
	for (std::size_t i = first; i < end; i++)
		ids.push_back(plan_.steps[i].revision);
	std::vector<std::vector<BodyStatement>>().swap(batch_);
	first_ = first;
	std::vector<StoredRevision> stored = read_revisions(spi, ids, read_only_);
	batch_.reserve(stored.size());
	for (std::size_t k = 0; k < stored.size(); k++) {
		batch_.push_back(prepare_(first + k, stored[k]));
		std::string().swap(stored[k].upgrade);  // each body freed once parsed
		stored[k].downgrade.reset();
	}
	pg_call([] { CHECK_FOR_INTERRUPTS(); });
}

void
PlanBodies::vet(Spi &spi)
{
	for (std::size_t first = 0; first < plan_.steps.size(); first += batch_steps)
		load(spi, first);
	if (plan_.steps.size() > batch_steps)
		load(spi, 0);  // (a plan of one batch keeps what it vetted)
}

std::vector<BodyStatement>
PlanBodies::take(Spi &spi, std::size_t index)
{
	if (!loaded(index))
		load(spi, index);
	return std::move(batch_[index - first_]);
}

}  // namespace pfm::pg
