#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "pg/plan_bodies.hpp"

#include "pg/boundary.hpp"

namespace pfm::pg {

namespace {

// About what a prepared statement holds on the heap (kept_bytes_max's measure).
std::size_t
footprint(const std::vector<BodyStatement> &statements)
{
	std::size_t bytes = sizeof(statements);
	for (const BodyStatement &s : statements)
		bytes += sizeof(s) + s.sql.capacity() + s.index_relation.capacity() + s.index_name.capacity() +
		         s.locks.targets.size() * sizeof(LockTarget);
	return bytes;
}

}  // namespace

PlanBodies::PlanBodies(const core::Plan &plan, bool read_only, Prepare prepare)
	: plan_(plan), read_only_(read_only), prepare_(std::move(prepare))
{
}

// Reads and prepares the bodies of steps first .. first + batch_steps - 1. While vetting,
// `checksums` receives each one's checksum; afterwards, a step past what vet() kept must
// still have the checksum vetted.
std::vector<std::vector<BodyStatement>>
PlanBodies::read_batch(Spi &spi, std::size_t first, std::vector<core::Checksum> *checksums)
{
	const std::size_t end = std::min(plan_.steps.size(), first + batch_steps);
	std::vector<std::string> ids;
	ids.reserve(end - first);
	for (std::size_t i = first; i < end; i++)
		ids.push_back(plan_.steps[i].revision);
	std::vector<StoredRevision> stored = read_revisions(spi, ids, read_only_);
	std::vector<std::vector<BodyStatement>> out;
	out.reserve(stored.size());
	for (std::size_t k = 0; k < stored.size(); k++) {
		const std::size_t index = first + k;
		const core::Checksum &checksum = stored[k].revision.checksum;
		if (checksums)
			checksums->push_back(checksum);
		else if (checksum != vetted_[index - kept_.size()])
			throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
			               "revision " + stored[k].revision.id + " changed while this call ran",
			               "Its checksum is now " + stored[k].revision.checksum + ", not that of the body vetted.",
			               "Retry the call.");
		out.push_back(prepare_(index, stored[k]));
		std::string().swap(stored[k].upgrade);  // each body freed once parsed
		stored[k].downgrade.reset();
	}
	pg_call([] { CHECK_FOR_INTERRUPTS(); });
	return out;
}

void
PlanBodies::vet(Spi &spi)
{
	std::size_t kept_bytes = 0;
	bool keeping = true;
	for (std::size_t first = 0; first < plan_.steps.size(); first += batch_steps) {
		std::vector<core::Checksum> checksums;
		std::vector<std::vector<BodyStatement>> batch = read_batch(spi, first, &checksums);
		for (std::size_t k = 0; k < batch.size(); k++) {
			if (keeping) {
				kept_bytes += footprint(batch[k]);
				keeping = kept_bytes <= kept_bytes_max;
			}
			if (keeping)
				kept_.push_back(std::move(batch[k]));
			else
				vetted_.push_back(std::move(checksums[k]));  // to be read again: what it must still be
		}
	}
}

std::vector<BodyStatement>
PlanBodies::take(Spi &spi, std::size_t index)
{
	if (index < kept_.size())
		return std::move(kept_[index]);
	if (!loaded(index)) {
		batch_ = read_batch(spi, index, nullptr);
		first_ = index;
	}
	return std::move(batch_[index - first_]);
}

}  // namespace pfm::pg
