// Core planning benchmark: graph build, plan_upgrade('heads') from an empty database,
// the no-op plan at head, plan_downgrade('base'), check_all, and the looking functions
// (history_range(':'), show_revisions of a head, graph_dot), for 1k / 10k / 100k
// revisions on two shapes:
//   linear    0001 -> 0002 -> ... (one head)
//   branched  a main stream of forks into 4 short branches (3 revisions each) merged
//             again, plus a second base stream ("lib") that every 10th main revision
//             depends_on; several bases, branch points, merge points, dependencies.
// Run: ./pfm_core_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <functional>
#include <string>
#include <vector>

#include "core/dot.hpp"
#include "core/graph.hpp"
#include "core/inspect.hpp"
#include "core/planner.hpp"

using namespace pfm::core;

namespace {

std::string
rid(const char *prefix, long i)
{
	char buf[32];
	std::snprintf(buf, sizeof buf, "%s%08lx", prefix, i);
	return buf;
}

Revision
make(std::string id, std::vector<std::string> parents, std::vector<std::string> deps = {})
{
	Revision r;
	r.id = std::move(id);
	r.parents = std::move(parents);
	r.depends_on = std::move(deps);
	// What the server computes: an md5, 32 lower-case hex digits (held as 16 bytes).
	std::size_t h = std::hash<std::string>()(r.id);
	char md5[33];
	std::snprintf(md5, sizeof md5, "%016zx%016zx", h, ~h);
	r.checksum = md5;
	r.message = "revision " + r.id;
	return r;
}

std::vector<Revision>
linear(long n)
{
	std::vector<Revision> out;
	out.reserve(static_cast<std::size_t>(n));
	for (long i = 0; i < n; ++i)
		out.push_back(make(rid("r", i), i ? std::vector<std::string>{rid("r", i - 1)} : std::vector<std::string>{}));
	return out;
}

std::vector<Revision>
branched(long n)
{
	std::vector<Revision> out;
	out.reserve(static_cast<std::size_t>(n));
	const long lib_n = n / 10;
	for (long i = 0; i < lib_n; ++i)
		out.push_back(make(rid("l", i), i ? std::vector<std::string>{rid("l", i - 1)} : std::vector<std::string>{}));
	long next = 0;
	std::string fork = rid("m", next++);
	out.push_back(make(fork, {}));
	long made_main = 1;
	while (static_cast<long>(out.size()) + 13 <= n) {
		std::vector<std::string> tips;
		for (int b = 0; b < 4; ++b) {
			std::string parent = fork;
			for (int k = 0; k < 3; ++k) {
				std::string id = rid("m", next++);
				std::vector<std::string> deps;
				if (++made_main % 10 == 0 && lib_n > 0)
					deps.push_back(rid("l", (made_main / 10) % lib_n));
				out.push_back(make(id, {parent}, deps));
				parent = id;
			}
			tips.push_back(parent);
		}
		fork = rid("m", next++);
		out.push_back(make(fork, tips));
		++made_main;
	}
	while (static_cast<long>(out.size()) < n) {
		std::string id = rid("m", next++);
		out.push_back(make(id, {fork}));
		fork = id;
	}
	return out;
}

std::vector<Revision>
shape(const benchmark::State &state)
{
	return state.range(1) == 0 ? linear(state.range(0)) : branched(state.range(0));
}

std::vector<AppliedRevision>
all_applied(const std::vector<Revision> &revs)
{
	std::vector<AppliedRevision> out;
	out.reserve(revs.size());
	for (const Revision &r : revs)
		out.push_back({r.id, r.checksum});
	return out;
}

void
label(benchmark::State &state)
{
	state.SetLabel(state.range(1) == 0 ? "linear" : "branched");
	state.counters["revisions"] = static_cast<double>(state.range(0));
}

void
BM_Build(benchmark::State &state)
{
	std::vector<Revision> revs = shape(state);
	for (auto _ : state) {
		state.PauseTiming();
		std::vector<Revision> copy = revs;
		state.ResumeTiming();
		RevisionGraph g(std::move(copy));
		benchmark::DoNotOptimize(g.size());
	}
	label(state);
}

void
BM_UpgradeHeadsFromEmpty(benchmark::State &state)
{
	RevisionGraph g(shape(state));
	for (auto _ : state) {
		Plan p = plan_upgrade(g, {}, "heads");
		benchmark::DoNotOptimize(p.steps.data());
	}
	label(state);
}

void
BM_UpgradeNoOpAtHead(benchmark::State &state)
{
	std::vector<Revision> revs = shape(state);
	std::vector<AppliedRevision> applied = all_applied(revs);
	RevisionGraph g(std::move(revs));
	for (auto _ : state) {
		Plan p = plan_upgrade(g, applied, "heads");
		if (!p.steps.empty())
			state.SkipWithError("not a no-op");
		benchmark::DoNotOptimize(p.heads_after.data());
	}
	label(state);
}

void
BM_DowngradeBase(benchmark::State &state)
{
	std::vector<Revision> revs = shape(state);
	std::vector<AppliedRevision> applied = all_applied(revs);
	RevisionGraph g(std::move(revs));
	for (auto _ : state) {
		Plan p = plan_downgrade(g, applied, "base");
		benchmark::DoNotOptimize(p.steps.data());
	}
	label(state);
}

void
BM_CheckAll(benchmark::State &state)
{
	std::vector<Revision> revs = shape(state);
	std::vector<AppliedRevision> applied = all_applied(revs);
	RevisionGraph g(std::move(revs));
	for (auto _ : state) {
		std::vector<Problem> p = check_all(g, applied);
		benchmark::DoNotOptimize(p.data());
	}
	label(state);
}

void
BM_HistoryAll(benchmark::State &state)
{
	std::vector<Revision> revs = shape(state);
	std::vector<AppliedRevision> applied = all_applied(revs);
	RevisionGraph g(std::move(revs));
	for (auto _ : state) {
		std::vector<std::string> h = history_range(g, applied, "base:current");
		benchmark::DoNotOptimize(h.data());
	}
	label(state);
}

void
BM_ShowHead(benchmark::State &state)
{
	RevisionGraph g(shape(state));
	std::string head = g.heads().front();
	for (auto _ : state) {
		std::vector<RevisionInfo> s = show_revisions(g, {}, head);  // branch names walk its ancestry
		benchmark::DoNotOptimize(s.data());
	}
	label(state);
}

void
BM_GraphDot(benchmark::State &state)
{
	std::vector<Revision> revs = shape(state);
	std::vector<AppliedRevision> applied = all_applied(revs);
	applied.resize(applied.size() / 2);
	RevisionGraph g(std::move(revs));
	for (auto _ : state) {
		std::string dot = graph_dot(g, applied);
		benchmark::DoNotOptimize(dot.data());
	}
	label(state);
}

void
sizes(benchmark::internal::Benchmark *b)
{
	for (long shape_kind : {0L, 1L})
		for (long n : {1000L, 10000L, 100000L})
			b->Args({n, shape_kind});
	b->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_Build)->Apply(sizes);
BENCHMARK(BM_UpgradeHeadsFromEmpty)->Apply(sizes);
BENCHMARK(BM_UpgradeNoOpAtHead)->Apply(sizes);
BENCHMARK(BM_DowngradeBase)->Apply(sizes);
BENCHMARK(BM_CheckAll)->Apply(sizes);
BENCHMARK(BM_HistoryAll)->Apply(sizes);
BENCHMARK(BM_ShowHead)->Apply(sizes);
BENCHMARK(BM_GraphDot)->Apply(sizes);

BENCHMARK_MAIN();
