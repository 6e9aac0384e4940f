// Registering one revision: the checks of pfm_register and of loading migration files.
#pragma once

#include <optional>
#include <string>

#include "pg/catalog.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

// Ids and labels well formed; no parent, dependency or label twice; no self-reference.
void validate(const StoredRevision &r);

// Registers, replaces (NOTICE) or leaves alone (same content) one revision, with its audit
// row; refuses to change an applied revision's bodies or parents. The caller holds the
// migration lock. Returns the id.
std::string register_revision(Spi &spi, CatalogVersion version, const StoredRevision &r);
// The same, with the registered row and the checksum as applied already read (nullopt:
// not registered / not applied).
std::string register_revision(Spi &spi, CatalogVersion version, const StoredRevision &r,
                              const std::optional<StoredRevision> &existing, const std::optional<std::string> &as_applied);

}  // namespace pfm::pg
