// The bodies of a plan's steps, read and parsed a batch at a time: a plan over 100 000
// revisions never holds every body (nor every parsed body) at once.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "core/planner.hpp"
#include "pg/catalog.hpp"
#include "pg/executor.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

class PlanBodies {
public:
	// Steps whose bodies are read by one query and held at once.
	static constexpr std::size_t batch_steps = 256;
	// What vet() keeps of the statements it prepared, so that a plan of ordinary size reads
	// and parses each body once; the steps past it are read and parsed again to run.
	static constexpr std::size_t kept_bytes_max = 8u << 20;

	// Prepares (parses and vets) step `index`'s body from its stored revision: called by
	// vet(), and again when a step past what vet() kept is read to run.
	using Prepare = std::function<std::vector<BodyStatement>(std::size_t index, const StoredRevision &)>;

	PlanBodies(const core::Plan &plan, bool read_only, Prepare prepare);

	// Reads and prepares every step's body, a batch at a time, before anything runs: a bad
	// body anywhere in the plan fails the call up front, as when all were read at once.
	void vet(Spi &spi);

	// The prepared statements of step `index` (taken in step order, each once); reads and
	// prepares the next batch when the step is past what is loaded. The migration lock keeps
	// the bodies as vet() saw them; a revision whose checksum is not the one vetted (a write
	// to the catalog that bypassed the lock) is a serialization failure (40001).
	std::vector<BodyStatement> take(Spi &spi, std::size_t index);
	// Whether take(index) reads nothing.
	bool loaded(std::size_t index) const { return index < kept_.size() || (index >= first_ && index < first_ + batch_.size()); }

private:
	const core::Plan &plan_;
	bool read_only_;
	Prepare prepare_;
	std::vector<std::vector<BodyStatement>> kept_;   // steps 0 .. kept_.size()-1, as vet() prepared them
	std::vector<core::Checksum> vetted_;             // the steps after: the checksums vetted (exact)
	std::size_t first_ = 0;                          // plan index of batch_[0]
	std::vector<std::vector<BodyStatement>> batch_;  // a batch read again to run

	std::vector<std::vector<BodyStatement>> read_batch(Spi &spi, std::size_t first, std::vector<core::Checksum> *checksums);
};

}  // namespace pfm::pg
