// libFuzzer target: arbitrary bytes as a migration target, parsed and resolved against a
// graph, planned as upgrade, downgrade, stamp and merge.
//
// Input: line 1 is the target (any bytes but '\n'). Line 2 picks the graph and the applied
// set: its first byte 'a'.. selects one of the fixed graphs of fuzz_common.hpp (lower case:
// the applied set as given, which may be unsound; upper case: closed over ancestors), or
// 'g' / 'G' to read the graph from the lines that follow (fuzz_graph's format, flags mark
// applied revisions). Each later byte of line 2 marks revision (byte - '0') mod N as
// applied; '~' makes the next one drifted, '?' adds an applied revision that is not registered.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz_common.hpp"

using namespace pfm;

namespace {

const std::vector<std::unique_ptr<core::RevisionGraph>> &
fixed_graphs()
{
	static const auto graphs = [] {
		std::vector<std::unique_ptr<core::RevisionGraph>> out;
		for (auto &list : fuzz::fixed_revision_lists())
			out.push_back(std::make_unique<core::RevisionGraph>(std::move(list)));
		return out;
	}();
	return graphs;
}

}  // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::string_view in(reinterpret_cast<const char *>(data), size);
	std::size_t nl = in.find('\n');
	const std::string target(in.substr(0, nl));
	std::string_view control = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
	std::string_view state = control.substr(0, control.find('\n'));

	const char selector = state.empty() ? 'a' : state.front();
	const bool closed = selector >= 'A' && selector <= 'Z';
	const char lower = static_cast<char>(closed ? selector - 'A' + 'a' : selector);

	std::unique_ptr<core::RevisionGraph> own;
	const core::RevisionGraph *g;
	std::vector<core::AppliedRevision> applied;
	if (lower == 'g') {
		std::size_t nl2 = control.find('\n');
		std::string_view lines = nl2 == std::string_view::npos ? std::string_view() : control.substr(nl2 + 1);
		fuzz::Input list = fuzz::parse_revision_list(lines);
		try {
			own = std::make_unique<core::RevisionGraph>(std::move(list.revisions));
		} catch (const core::Error &) {
			return 0;  // duplicate ids
		}
		g = own.get();
		applied = std::move(list.applied);
	} else {
		const auto &graphs = fixed_graphs();
		g = graphs[static_cast<unsigned char>(lower) % graphs.size()].get();
	}

	const auto &revs = g->revisions();
	bool drift_next = false;
	for (char c : state.substr(state.empty() ? 0 : 1)) {
		if (c == '~') {
			drift_next = true;
		} else if (c == '?') {
			applied.push_back({"unregistered" + std::to_string(applied.size() % 3), "c-unregistered"});
		} else if (!revs.empty()) {
			const core::Revision &r = revs[static_cast<unsigned char>(c - '0') % revs.size()];
			applied.push_back({r.id, drift_next ? "drifted" : r.checksum});
			drift_next = false;
		}
	}
	if (closed)
		applied = fuzz::ancestor_closed(*g, applied);

	fuzz::plan_everything(*g, applied, target);
	return 0;
}
