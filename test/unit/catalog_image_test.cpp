#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/catalog_image.hpp"
#include "core/graph.hpp"

using namespace pfm::core;

namespace {

const char *md5_a = "0123456789abcdef0123456789abcdef";
const char *md5_b = "fedcba9876543210fedcba9876543210";

std::vector<Revision>
sample_revisions()
{
	std::vector<Revision> out(5);
	out[0].id = "0001";
	out[0].message = "initial schema";
	out[0].checksum = md5_a;
	out[1].id = "0002";
	out[1].parents = {"0001"};
	out[1].branch_labels = {"billing", "b2"};
	out[1].message = std::string("a message with \0 a NUL, \"quotes\" and é", 40);
	out[1].checksum = "sha256:not-an-md5";  // kept as text
	out[1].has_downgrade = false;
	out[2].id = "0003";
	out[2].parents = {"0001"};
	out[2].depends_on = {"billing", "gone"};  // a label and a dangling name
	out[2].transactional = false;
	out[2].checksum = std::string(32, '0');   // the all-zero md5: kept as text
	out[3].id = "0004";
	out[3].parents = {"0002", "0003", ""};     // a merge, and an empty item
	out[3].checksum = "0000000000000000fedcba9876543210";  // a zero first half: kept as text
	out[3].message = std::string(300, 'm');   // a message longer than SmallText holds inline
	out[4].id = std::string(64, 'x');          // no checksum, no message
	return out;
}

std::vector<AppliedRevision>
sample_applied()
{
	return {{"0001", Checksum(md5_a)}, {"0002", Checksum(md5_b)}, {"unknown", Checksum()}, {"0003", Checksum("text")}};
}

void
expect_same(const std::vector<Revision> &a, const std::vector<Revision> &b)
{
	ASSERT_EQ(a.size(), b.size());
	for (std::size_t i = 0; i < a.size(); ++i) {
		EXPECT_EQ(a[i].id, b[i].id);
		EXPECT_EQ(a[i].parents, b[i].parents) << a[i].id;
		EXPECT_EQ(a[i].depends_on, b[i].depends_on) << a[i].id;
		EXPECT_EQ(a[i].branch_labels, b[i].branch_labels) << a[i].id;
		EXPECT_EQ(a[i].message, b[i].message) << a[i].id;
		EXPECT_EQ(a[i].checksum, b[i].checksum) << a[i].id;
		EXPECT_EQ(a[i].checksum.str(), b[i].checksum.str()) << a[i].id;
		EXPECT_EQ(a[i].has_downgrade, b[i].has_downgrade) << a[i].id;
		EXPECT_EQ(a[i].transactional, b[i].transactional) << a[i].id;
	}
}

}  // namespace

TEST(CatalogImage, RoundTripsEveryColumn)
{
	const std::vector<Revision> revisions = sample_revisions();
	const std::vector<AppliedRevision> applied = sample_applied();
	const std::string image = encode_catalog_image(revisions, applied);

	std::size_t n_revisions = 0, n_applied = 0;
	ASSERT_TRUE(catalog_image_counts(image, n_revisions, n_applied));
	EXPECT_EQ(n_revisions, revisions.size());
	EXPECT_EQ(n_applied, applied.size());

	std::vector<Revision> r;
	std::vector<AppliedRevision> a;
	ASSERT_TRUE(decode_catalog_image(image, r, a));
	expect_same(revisions, r);
	ASSERT_EQ(a.size(), applied.size());
	for (std::size_t i = 0; i < a.size(); ++i) {
		EXPECT_EQ(a[i].id, applied[i].id);
		EXPECT_EQ(a[i].checksum.str(), applied[i].checksum.str());
	}
	// The same bytes again: one image per content.
	EXPECT_EQ(encode_catalog_image(r, a), image);
}

TEST(CatalogImage, EmptyCatalog)
{
	const std::string image = encode_catalog_image({}, {});
	std::vector<Revision> r(1);
	std::vector<AppliedRevision> a(1);
	ASSERT_TRUE(decode_catalog_image(image, r, a));
	EXPECT_TRUE(r.empty());
	EXPECT_TRUE(a.empty());
}

TEST(CatalogImage, TheGraphFromAnImageIsTheGraphFromTheRows)
{
	std::vector<Revision> r;
	std::vector<AppliedRevision> a;
	ASSERT_TRUE(decode_catalog_image(encode_catalog_image(sample_revisions(), sample_applied()), r, a));
	RevisionGraph from_rows(sample_revisions()), from_image(std::move(r));
	EXPECT_EQ(from_image.heads(), from_rows.heads());
	EXPECT_EQ(from_image.history_order(), from_rows.history_order());
	EXPECT_EQ(from_image.structural_problems().size(), from_rows.structural_problems().size());
	EXPECT_EQ(from_image.current_heads(a), from_rows.current_heads(sample_applied()));
}

TEST(CatalogImage, RefusesEveryTruncationAndTrailingBytes)
{
	const std::string image = encode_catalog_image(sample_revisions(), sample_applied());
	for (std::size_t n = 0; n < image.size(); ++n) {
		std::vector<Revision> r;
		std::vector<AppliedRevision> a;
		EXPECT_FALSE(decode_catalog_image(image.substr(0, n), r, a)) << n;
		EXPECT_TRUE(r.empty() && a.empty()) << n;
	}
	std::vector<Revision> r;
	std::vector<AppliedRevision> a;
	EXPECT_FALSE(decode_catalog_image(image + '\0', r, a));
	EXPECT_FALSE(decode_catalog_image("pfm_migrate catalog image 2\n", r, a));
	EXPECT_FALSE(decode_catalog_image("", r, a));
}

// A damaged byte either makes the image unreadable or gives another image of the same format
// (it then re-encodes to exactly the damaged bytes): nothing in between, never a crash.
TEST(CatalogImage, EveryDamagedByteIsRefusedOrCanonical)
{
	const std::string image = encode_catalog_image(sample_revisions(), sample_applied());
	for (std::size_t i = 0; i < image.size(); ++i) {
		for (unsigned char x : {0x01, 0x80, 0xff}) {
			std::string damaged = image;
			damaged[i] = static_cast<char>(damaged[i] ^ x);
			std::vector<Revision> r;
			std::vector<AppliedRevision> a;
			if (decode_catalog_image(damaged, r, a)) {
				EXPECT_EQ(encode_catalog_image(r, a), damaged) << "byte " << i;
			}
		}
	}
}

TEST(CatalogImage, ImplausibleCountsReserveNothing)
{
	std::string image = encode_catalog_image({}, {});
	const std::size_t counts = std::string("pfm_migrate catalog image 1\n").size();
	for (std::size_t k = 0; k < 4; ++k)
		image[counts + k] = static_cast<char>(0xff);  // four billion revisions in 32 bytes
	std::size_t n_revisions = 0, n_applied = 0;
	EXPECT_FALSE(catalog_image_counts(image, n_revisions, n_applied));
	std::vector<Revision> r;
	std::vector<AppliedRevision> a;
	EXPECT_FALSE(decode_catalog_image(image, r, a));
	EXPECT_EQ(r.capacity(), 0u);
}
