// pfm_plan_cli: drives the pure core from a line protocol, for the differential test
// against Alembic (test/differential/alembic_diff.py). One process serves many graphs.
//
// Input lines (fields separated by '|', lists by ','):
//   G                                   start a new graph
//   R id|parents|depends_on|labels|flags  one revision (flags: "irreversible" or empty)
//   Q command|target|applied            command: upgrade, downgrade, stamp, stamp_purge, heads
//                                       (target "resolve": --resolve-dependencies), merge, revision,
//                                       history (every revision), history_range (target = range),
//                                       branches, show, check, version_heads
//   Q new_revision|rev_id|head|splice|labels|depends_on   (splice: "1" or empty)
// Output: one JSON object per Q line:
//   {"ok":true,"steps":[...],"heads":[...]}               upgrade / downgrade
//   {"ok":true,"mark":[...],"unmark":[...],"heads":[...]}  stamp / stamp_purge
//   {"ok":true,"result":[...]}                            heads / merge / revision / history /
//                                                         history_range / check; branches: "id:c1,c2"
//   {"ok":true,"show":[{"id":...,"parents":[...],...}]}    show
//   {"ok":true,"parents":[...],"depends_on":[...],"labels":[...]}  new_revision
//   {"ok":false,"kind":"...","message":"...","detail":"..."}
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/inspect.hpp"
#include "core/planner.hpp"
#include "core/text.hpp"

using namespace pfm::core;

namespace {

const char *
kind_name(ErrorKind k)
{
	switch (k) {
	case ErrorKind::invalid_argument: return "invalid_argument";
	case ErrorKind::unknown_revision: return "unknown_revision";
	case ErrorKind::ambiguous_revision: return "ambiguous_revision";
	case ErrorKind::multiple_heads: return "multiple_heads";
	case ErrorKind::invalid_target: return "invalid_target";
	case ErrorKind::graph_cycle: return "graph_cycle";
	case ErrorKind::dangling_reference: return "dangling_reference";
	case ErrorKind::duplicate_label: return "duplicate_label";
	case ErrorKind::unknown_applied: return "unknown_applied";
	case ErrorKind::drift: return "drift";
	case ErrorKind::irreversible: return "irreversible";
	case ErrorKind::internal: return "internal";
	}
	return "?";
}

std::string
json_string(const std::string &s)
{
	std::string out = "\"";
	for (char c : s) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += c;
		} else if (static_cast<unsigned char>(c) < 0x20) {
			out += ' ';
		} else {
			out += c;
		}
	}
	return out + "\"";
}

std::string
json_list(const std::vector<std::string> &v)
{
	std::string out = "[";
	for (std::size_t i = 0; i < v.size(); ++i)
		out += (i ? "," : "") + json_string(v[i]);
	return out + "]";
}

std::vector<std::string>
fields(const std::string &line, char sep)
{
	std::vector<std::string> out;
	std::string cur;
	std::istringstream in(line);
	while (std::getline(in, cur, sep))
		out.push_back(cur);
	if (!line.empty() && line.back() == sep)
		out.emplace_back();
	return out;
}

std::vector<std::string>
list(const std::string &text)
{
	return text.empty() ? std::vector<std::string>{} : fields(text, ',');
}

std::string
json_bool(bool b)
{
	return b ? "true" : "false";
}

std::string
json_info(const RevisionInfo &r)
{
	return "{\"id\":" + json_string(r.id) + ",\"parents\":" + json_list(r.parents) +
	       ",\"depends_on\":" + json_list(r.depends_on) + ",\"depends_on_ids\":" + json_list(r.depends_on_ids) +
	       ",\"children\":" + json_list(r.children) + ",\"dependants\":" + json_list(r.dependants) +
	       ",\"branch_labels\":" + json_list(r.branch_labels) + ",\"branch_names\":" + json_list(r.branch_names) +
	       ",\"is_base\":" + json_bool(r.is_base) + ",\"is_head\":" + json_bool(r.is_head) +
	       ",\"is_effective_head\":" + json_bool(r.is_effective_head) +
	       ",\"is_branch_point\":" + json_bool(r.is_branch_point) +
	       ",\"is_merge_point\":" + json_bool(r.is_merge_point) + "}";
}

}  // namespace

int
main()
{
	std::vector<Revision> pending;
	std::unique_ptr<RevisionGraph> graph;
	std::string line;
	while (std::getline(std::cin, line)) {
		if (line.empty())
			continue;
		if (line == "G") {
			pending.clear();
			graph.reset();
			continue;
		}
		if (line.rfind("R ", 0) == 0) {
			std::vector<std::string> f = fields(line.substr(2), '|');
			f.resize(5);
			Revision r;
			r.id = f[0];
			r.parents = list(f[1]);
			r.depends_on = list(f[2]);
			r.branch_labels = list(f[3]);
			r.has_downgrade = f[4] != "irreversible";
			r.checksum = "c-" + r.id;
			pending.push_back(std::move(r));
			graph.reset();
			continue;
		}
		if (line.rfind("Q ", 0) != 0) {
			std::cerr << "bad line: " << line << "\n";
			return 2;
		}
		std::vector<std::string> f = fields(line.substr(2), '|');
		f.resize(6);
		std::vector<AppliedRevision> applied;
		for (const std::string &id : list(f[2]))
			applied.push_back({id, "c-" + id});
		try {
			if (!graph)
				graph = std::make_unique<RevisionGraph>(pending);
			const std::string &cmd = f[0];
			if (cmd == "upgrade" || cmd == "downgrade") {
				Plan p = cmd == "upgrade" ? plan_upgrade(*graph, applied, f[1]) : plan_downgrade(*graph, applied, f[1]);
				std::vector<std::string> steps;
				for (const Step &s : p.steps)
					steps.push_back(s.revision);
				std::cout << "{\"ok\":true,\"steps\":" << json_list(steps) << ",\"heads\":" << json_list(p.heads_after) << "}\n";
			} else if (cmd == "stamp" || cmd == "stamp_purge") {
				StampPlan p = cmd == "stamp" ? plan_stamp(*graph, applied, f[1]) : plan_stamp_purge(*graph, applied, f[1]);
				std::cout << "{\"ok\":true,\"mark\":" << json_list(p.mark) << ",\"unmark\":" << json_list(p.unmark)
				          << ",\"heads\":" << json_list(p.heads_after) << "}\n";
			} else if (cmd == "heads") {
				std::cout << "{\"ok\":true,\"result\":" << json_list(list_heads(*graph, f[1] == "resolve")) << "}\n";
			} else if (cmd == "history_range") {
				std::vector<std::string> range = history_range(*graph, applied, f[1]);  // may throw: before any output
				std::cout << "{\"ok\":true,\"result\":" << json_list(range) << "}\n";
			} else if (cmd == "branches") {
				std::vector<std::string> out;
				for (const BranchPoint &b : branch_points(*graph))
					out.push_back(b.id + ":" + join(b.children, ","));
				std::cout << "{\"ok\":true,\"result\":" << json_list(out) << "}\n";
			} else if (cmd == "show") {
				std::string out;
				for (const RevisionInfo &r : show_revisions(*graph, applied, f[1]))
					out += (out.empty() ? "" : ",") + json_info(r);
				std::cout << "{\"ok\":true,\"show\":[" << out << "]}\n";
			} else if (cmd == "new_revision") {
				NewRevisionRequest req;
				req.rev_id = f[1];
				req.head = f[2];
				req.splice = f[3] == "1";
				req.branch_labels = list(f[4]);
				req.depends_on = list(f[5]);
				NewRevisionPlan p = plan_new_revision(*graph, req);
				std::cout << "{\"ok\":true,\"parents\":" << json_list(p.parents) << ",\"depends_on\":"
				          << json_list(p.depends_on) << ",\"labels\":" << json_list(p.branch_labels) << "}\n";
			} else if (cmd == "version_heads") {
				std::cout << "{\"ok\":true,\"result\":" << json_list(graph->version_heads(list(f[2]))) << "}\n";
			} else if (cmd == "history") {
				std::cout << "{\"ok\":true,\"result\":" << json_list(graph->history_order()) << "}\n";
			} else if (cmd == "merge") {
				std::vector<std::string> parents = resolve_merge_parents(*graph, f[1]);
				std::cout << "{\"ok\":true,\"result\":" << json_list(parents) << "}\n";
			} else if (cmd == "revision") {
				std::string parent = parent_for_new_revision(*graph);
				std::cout << "{\"ok\":true,\"result\":" << json_list({parent}) << "}\n";
			} else if (cmd == "check") {
				std::vector<std::string> out;
				for (const Problem &p : check_all(*graph, applied))
					out.push_back(p.severity + ": " + p.problem);
				std::cout << "{\"ok\":true,\"result\":" << json_list(out) << "}\n";
			} else {
				std::cout << "{\"ok\":false,\"kind\":\"cli\",\"message\":" << json_string("unknown command " + cmd) << "}\n";
			}
		} catch (const Error &e) {
			std::cout << "{\"ok\":false,\"kind\":\"" << kind_name(e.kind) << "\",\"message\":" << json_string(e.what())
			          << ",\"detail\":" << json_string(e.detail) << "}\n";
		} catch (const std::exception &e) {
			std::cout << "{\"ok\":false,\"kind\":\"exception\",\"message\":" << json_string(e.what()) << "}\n";
		}
		std::cout.flush();
	}
	return 0;
}
