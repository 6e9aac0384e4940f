// graph_dot: the revision graph and its state as Graphviz DOT.
#include <algorithm>
#include <utility>

#include "core/dot.hpp"
#include "core/graph_internal.hpp"

namespace pfm::core {

const DotStyle kDotPending{"pending", "#ffffff", "#757575", "#212121"};
const DotStyle kDotApplied{"applied", "#c8e6c9", "#388e3c", "#1b5e20"};
const DotStyle kDotCurrent{"current", "#2e7d32", "#1b5e20", "#ffffff"};
const DotStyle kDotDrifted{"drifted", "#ffcdd2", "#c62828", "#b71c1c"};
const DotStyle kDotMissing{"not registered", "#eeeeee", "#c62828", "#b71c1c"};

namespace {

using Impl = RevisionGraph::Impl;

const char *const kDependencyColour = "#1565c0";
const char *const kTagFill = "#fff59d";
const char *const kTagBorder = "#f9a825";

std::size_t
u(int i)
{
	return static_cast<std::size_t>(i);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0.
std::size_t
utf8_sequence(const std::string &s, std::size_t i)
{
	auto c = static_cast<unsigned char>(s[i]);
	std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
	if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2))
		return 0;
	for (std::size_t k = 1; k < n; ++k)
		if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
			return 0;
	return n;
}

// The first non-empty line of a message, at most `width` characters (code points).
std::string
headline(const std::string &message, std::size_t width)
{
	std::size_t begin = message.find_first_not_of(" \t\r\n");
	if (begin == std::string::npos || width == 0)
		return {};
	std::size_t end = message.find_first_of("\r\n", begin);
	std::string line = message.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
	std::vector<std::size_t> starts;  // where each character begins
	for (std::size_t i = 0; i < line.size(); i += std::max<std::size_t>(1, utf8_sequence(line, i)))
		starts.push_back(i);
	if (starts.size() <= width)
		return line;
	return line.substr(0, starts[width - 1]) + "\xe2\x80\xa6";  // U+2026 horizontal ellipsis
}

std::string
attributes(const DotStyle &style, const char *shape, bool rounded, bool dashed)
{
	std::string style_list = std::string(rounded ? "rounded," : "") + (dashed ? "dashed," : "") + "filled";
	return std::string("shape=") + shape + ", style=\"" + style_list + "\", fillcolor=\"" + style.fill +
	       "\", color=\"" + style.border + "\", fontcolor=\"" + style.font + "\"";
}

}  // namespace

std::string
dot_quoted(const std::string &text)
{
	std::string out = "\"";
	out.reserve(text.size() + 2);
	for (std::size_t i = 0; i < text.size();) {
		char c = text[i];
		if (c == '"' || c == '\\') {
			out += '\\';
			out += c;
		} else if (c == '\n') {
			out += "\\n";
		} else if (c == '\r') {
			if (i + 1 >= text.size() || text[i + 1] != '\n')
				out += "\\n";
		} else if (c == '\t') {
			out += ' ';
		} else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
			out += '?';
		} else if (static_cast<unsigned char>(c) >= 0x80) {
			std::size_t n = utf8_sequence(text, i);
			if (n == 0) {
				out += '?';
				++i;
				continue;
			}
			out.append(text, i, n);
			i += n;
			continue;
		} else {
			out += c;
		}
		++i;
	}
	return out + "\"";
}

std::string
graph_dot(const RevisionGraph &graph, const std::vector<AppliedRevision> &applied, const DotOptions &options)
{
	const Impl &g = graph.impl();
	const std::size_t n = g.revs.size();

	// The state: applied, drifted, current (version rows); applied ids that are not registered.
	std::vector<char> is_applied(n, 0), drifted(n, 0);
	std::vector<int> applied_list;
	std::vector<std::string> missing_applied;
	for (const AppliedRevision &a : applied) {
		int i = g.find(a.id);
		if (i < 0) {
			missing_applied.push_back(a.id);
			continue;
		}
		if (a.checksum != g.revs[u(i)].checksum)
			drifted[u(i)] = 1;
		if (!is_applied[u(i)]) {
			is_applied[u(i)] = 1;
			applied_list.push_back(i);
		}
	}
	std::vector<char> current(n, 0);
	for (int h : g.heads_of(is_applied, applied_list))
		current[u(h)] = 1;

	std::string out = "digraph pfm_migrate {\n"
	                  "  graph [rankdir=BT, fontname=\"Helvetica\", nodesep=0.35, ranksep=0.45];\n"
	                  "  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.12,0.05\"];\n"
	                  "  edge [color=\"#616161\", arrowsize=0.7];\n";

	// Revisions, in id order.
	for (int v : g.by_id_order) {
		const Revision &r = g.revs[u(v)];
		bool head = g.n_children[u(v)] == 0;
		bool branch_point = g.n_children[u(v)] > 1;
		bool merge_point = r.parents.size() > 1;
		std::string title = r.id;
		if (head)
			title += g.up.degree(v) > 0 ? " (effective head)" : " (head)";
		if (branch_point)
			title += " (branchpoint)";
		if (merge_point)
			title += " (mergepoint)";
		std::string label = title;
		std::string line = headline(r.message, options.message_width);
		if (!line.empty())
			label += "\n" + line;
		const DotStyle &style = drifted[u(v)]     ? kDotDrifted
		                        : current[u(v)]    ? kDotCurrent
		                        : is_applied[u(v)] ? kDotApplied
		                                           : kDotPending;
		const char *shape = branch_point && merge_point ? "hexagon"
		                    : merge_point               ? "trapezium"
		                    : branch_point              ? "invtrapezium"
		                                                : "box";
		out += "  " + dot_quoted(r.id) + " [label=" + dot_quoted(label) + ", " +
		       attributes(style, shape, std::string(shape) == "box", false) + (head ? ", penwidth=3" : "") + "];\n";
	}

	// Ids that are applied or referenced but not registered.
	std::vector<std::pair<std::string, bool>> missing;  // id, applied
	for (const std::string &id : missing_applied)
		missing.emplace_back(id, true);
	for (const Revision &r : g.revs) {
		for (std::string_view p : r.parents)
			if (g.find(p) < 0)
				missing.emplace_back(p, false);
		for (std::string_view d : r.depends_on)
			if (g.find_key(d) < 0)
				missing.emplace_back(d, false);
	}
	std::sort(missing.begin(), missing.end(),
	          [](const auto &a, const auto &b) { return a.first != b.first ? a.first < b.first : a.second > b.second; });
	std::string previous;
	for (std::size_t k = 0; k < missing.size(); ++k) {
		if (k > 0 && missing[k].first == previous)
			continue;
		previous = missing[k].first;
		out += "  " + dot_quoted(previous) + " [label=" +
		       dot_quoted(previous + (missing[k].second ? "\n(applied, not registered)" : "\n(not registered)")) + ", " +
		       attributes(kDotMissing, "box", true, true) + "];\n";
	}

	// Edges by (child, parent): parents solid, dependencies dashed.
	for (int v : g.by_id_order) {
		const Revision &r = g.revs[u(v)];
		std::vector<std::string> parents = r.parents;
		std::sort(parents.begin(), parents.end());
		parents.erase(std::unique(parents.begin(), parents.end()), parents.end());
		for (const std::string &p : parents)
			out += "  " + dot_quoted(p) + " -> " + dot_quoted(r.id) + (g.find(p) < 0 ? " [color=\"#c62828\"]" : "") +
			       ";\n";
		std::vector<std::pair<std::string, std::string>> deps;  // target id (or missing text), text
		for (std::string_view d : r.depends_on) {
			int j = g.find_key(d);
			std::string target = j >= 0 ? g.id(j).str() : std::string(d);
			if (j >= 0 && std::binary_search(parents.begin(), parents.end(), target))
				continue;  // already drawn as a parent edge
			deps.emplace_back(target, d);
		}
		std::sort(deps.begin(), deps.end());
		deps.erase(std::unique(deps.begin(), deps.end(), [](const auto &a, const auto &b) { return a.first == b.first; }),
		           deps.end());
		for (const auto &[target, text] : deps) {
			bool known = g.find(target) >= 0;
			const char *colour = known ? kDependencyColour : "#c62828";
			out += "  " + dot_quoted(target) + " -> " + dot_quoted(r.id) + " [style=dashed, color=\"" + colour +
			       "\", fontcolor=\"" + colour + "\", fontsize=9" +
			       (known && text != target ? ", label=" + dot_quoted(text) : "") + "];\n";
		}
	}

	// Branch labels: a tag beside the revision that declares them.
	std::vector<std::pair<std::string, int>> tags;
	for (int v : g.by_id_order)
		for (std::string_view label : g.revs[u(v)].branch_labels)
			tags.emplace_back(label, v);
	std::sort(tags.begin(), tags.end(), [&g](const auto &a, const auto &b) {
		return a.first != b.first ? a.first < b.first : g.id_rank[u(a.second)] < g.id_rank[u(b.second)];
	});
	tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
	for (const auto &[label, v] : tags) {
		std::string tag = dot_quoted("@label " + label + " " + g.id(v));
		out += "  " + tag + " [label=" + dot_quoted(label) + ", shape=cds, style=filled, fillcolor=\"" + kTagFill +
		       "\", color=\"" + kTagBorder + "\", fontsize=9];\n";
		out += "  " + tag + " -> " + dot_quoted(g.id(v)) + " [style=dotted, arrowhead=none, color=\"" + kTagBorder +
		       "\"];\n";
		out += "  { rank=same; " + tag + "; " + dot_quoted(g.id(v)) + "; }\n";
	}

	if (options.legend) {
		out += "  subgraph cluster_legend {\n"
		       "    label=\"legend\"; fontname=\"Helvetica\"; fontsize=9; color=\"#bdbdbd\";\n";
		for (const DotStyle *s : {&kDotPending, &kDotApplied, &kDotCurrent, &kDotDrifted, &kDotMissing})
			out += "    " + dot_quoted(std::string("@legend ") + s->name) + " [label=" + dot_quoted(s->name) + ", " +
			       attributes(*s, "box", true, s == &kDotMissing) + ", fontsize=9];\n";
		out += "  }\n";
	}
	out += "}\n";
	return out;
}

}  // namespace pfm::core
