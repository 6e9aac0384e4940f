// libFuzzer target: arbitrary revision lists (ids, parents, labels, depends_on, cycles,
// duplicates, self-references, dangling names, any bytes) built into a RevisionGraph,
// checked and planned with a few targets. Format: see fuzz_common.hpp.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/catalog_image.hpp"
#include "fuzz_common.hpp"

using namespace pfm;

namespace {

void
check_structure(const core::RevisionGraph &g, const std::vector<core::AppliedRevision> &applied)
{
	const std::string none = "(graph)";
	std::vector<core::Problem> problems = g.structural_problems();
	bool threw = false;
	try {
		g.validate();
	} catch (const core::Error &) {
		threw = true;
	}
	if (threw != !problems.empty())
		fuzz::fail("validate() disagrees with structural_problems()", none);

	std::vector<core::Problem> all = core::check_all(g, applied);
	if (all.size() < problems.size())
		fuzz::fail("check_all() lists fewer problems than structural_problems()", none);

	fuzz::Strings heads = g.heads();
	if (!fuzz::sorted_unique(heads))
		fuzz::fail("heads() not sorted and unique", none);
	for (const std::string &h : heads)
		if (!g.find(h))
			fuzz::fail("head " + h + " is not registered", none);
	if (g.size() > 0 && heads.empty() && problems.empty())
		fuzz::fail("a sound non-empty graph has no head", none);

	fuzz::Strings order = g.history_order();
	std::set<std::string> listed(order.begin(), order.end());
	if (order.size() != g.size() || listed.size() != g.size())
		fuzz::fail("history_order() is not every revision exactly once", none);
	if (problems.empty()) {
		// Newest first: a revision comes before everything it needs.
		std::map<std::string, std::size_t> pos;
		for (std::size_t i = 0; i < order.size(); ++i)
			pos[order[i]] = i;
		for (const core::Revision &r : g.revisions())
			for (const std::string &need : fuzz::needs_of(g, r))
				if (pos[need] < pos[r.id])
					fuzz::fail("history_order() lists " + need + " before " + r.id + ", which needs it", none);
	}

	fuzz::Strings ids;
	for (const core::AppliedRevision &a : applied)
		ids.push_back(a.id);
	ids.push_back("not-registered");
	if (!fuzz::sorted_unique(g.version_heads(ids)))
		fuzz::fail("version_heads() not sorted and unique", none);

	try {
		core::check_state(g, applied);
	} catch (const core::Error &) {
	}
	try {
		std::string parent = core::parent_for_new_revision(g);
		if (g.size() == 0 ? !parent.empty() : !g.find(parent))  // ids may be empty text
			fuzz::fail("parent_for_new_revision() names no registered head", none);
	} catch (const core::Error &) {
	}
}

// The catalog image (core/catalog_image.hpp): any bytes are refused or decode to an image that
// encodes back to exactly them; what a graph is built from comes back from its image unchanged.
void
check_image(std::string_view bytes)
{
	std::vector<core::Revision> revisions;
	std::vector<core::AppliedRevision> applied;
	if (core::decode_catalog_image(bytes, revisions, applied)) {
		if (core::encode_catalog_image(revisions, applied) != bytes)
			fuzz::fail("a decoded catalog image does not encode back to its bytes", "(image)");
	} else if (!revisions.empty() || !applied.empty()) {
		fuzz::fail("a refused catalog image left rows behind", "(image)");
	}
}

void
check_image_round_trip(const fuzz::Input &in)
{
	const std::string image = core::encode_catalog_image(in.revisions, in.applied);
	std::vector<core::Revision> revisions;
	std::vector<core::AppliedRevision> applied;
	if (!core::decode_catalog_image(image, revisions, applied))
		fuzz::fail("the image of a revision list is refused", "(image)");
	if (revisions.size() != in.revisions.size() || applied.size() != in.applied.size())
		fuzz::fail("the image of a revision list has other counts", "(image)");
	for (std::size_t i = 0; i < revisions.size(); ++i) {
		const core::Revision &a = revisions[i], &b = in.revisions[i];
		if (a.id != b.id || a.parents != b.parents || a.depends_on != b.depends_on || a.branch_labels != b.branch_labels ||
		    a.message != b.message || a.checksum.str() != b.checksum.str() || a.has_downgrade != b.has_downgrade ||
		    a.transactional != b.transactional)
			fuzz::fail("revision " + b.id + " comes back from the image changed", "(image)");
	}
	for (std::size_t i = 0; i < applied.size(); ++i)
		if (applied[i].id != in.applied[i].id || applied[i].checksum.str() != in.applied[i].checksum.str())
			fuzz::fail("applied " + in.applied[i].id + " comes back from the image changed", "(image)");
	check_image(image);
}

}  // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view bytes(reinterpret_cast<const char *>(data), size);
	check_image(bytes);
	fuzz::Input in = fuzz::parse_revision_list(bytes);
	check_image_round_trip(in);
	fuzz::Strings targets = {"head", "heads", "base", "+1", "-1", "+2", "-2", "heads,head"};
	for (const core::Revision &r : in.revisions) {
		if (targets.size() > 24)
			break;
		targets.push_back(r.id);
		targets.emplace_back(r.id.substr(0, 4));
		targets.push_back(r.id + "-1");
		targets.push_back(r.id + "+1");
		for (std::string_view label : r.branch_labels) {
			targets.push_back(std::string(label) + "@head");
			targets.push_back(std::string(label) + "@-1");
			targets.push_back(std::string(label) + "@+1");
		}
	}
	targets.insert(targets.end(), in.targets.begin(), in.targets.end());

	std::unique_ptr<core::RevisionGraph> g;
	try {
		g = std::make_unique<core::RevisionGraph>(in.revisions);
	} catch (const core::Error &) {
		return 0;  // duplicate ids: the catalog's primary key prevents them
	}
	check_structure(*g, in.applied);
	if (!g->structural_problems().empty()) {
		for (const std::string &t : targets)  // each must refuse the broken graph with a core::Error
			fuzz::plan_everything(*g, in.applied, t);
		return 0;
	}
	std::vector<core::AppliedRevision> closed = fuzz::ancestor_closed(*g, in.applied);
	auto rows = [](const std::vector<core::AppliedRevision> &a) {
		std::set<std::pair<std::string, std::string>> out;
		for (const core::AppliedRevision &r : a)
			out.insert({r.id, r.checksum});
		return out;
	};
	const bool same = closed.size() == in.applied.size() && rows(closed) == rows(in.applied);
	for (const std::string &t : targets) {
		fuzz::plan_everything(*g, in.applied, t);
		if (!same)
			fuzz::plan_everything(*g, closed, t);
	}
	return 0;
}
