// The catalog image: what a catalog read builds the graph from — every registered
// revision's graph columns and every applied row — as one compact byte string. The server
// keeps the image of the catalog it last read in full next to that catalog's key
// (pfm_migrate.catalog_image); a new session whose catalog has the same key builds the
// graph from the image instead of scanning pfm_migrate.revisions and applied, which at
// 100 000 revisions is most of a first call. The image holds exactly what the read would
// give, so the plan and every check made from it are the same.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/revision.hpp"

namespace pfm::core {

// The image of these rows (revisions and applied in the order given).
std::string encode_catalog_image(const std::vector<Revision> &revisions, const std::vector<AppliedRevision> &applied);

// How many revisions and applied rows an image says it holds (false: not an image of this
// format), for a caller that reserves the vectors itself; decode_catalog_image checks again.
bool catalog_image_counts(std::string_view image, std::size_t &revisions, std::size_t &applied);

// The rows of an image encode_catalog_image wrote (into vectors the caller may have
// reserved). False, with both vectors empty, for any
// other bytes: another format, a truncated or damaged image, trailing bytes. Never reads
// outside `image`, never reserves more than the image could describe.
bool decode_catalog_image(std::string_view image, std::vector<Revision> &revisions,
                          std::vector<AppliedRevision> &applied);

}  // namespace pfm::core
