// Target grammar and resolution, after Alembic 1.8 script/revision.py.
#include <algorithm>

#include "core/resolve_internal.hpp"

namespace pfm::core::detail {

namespace {

const char *const kGrammarHint =
	"A target is head, heads, base, a revision id, a unique id prefix, a branch label, +N, -N, rev+N, rev-N, "
	"or one of these after label@ (label@head, label@base, label@-1, ...).";

Error
bad_target(std::string_view text, std::string detail)
{
	return Error(ErrorKind::invalid_argument, "invalid revision target " + quoted(text), std::move(detail), kGrammarHint);
}

bool
is_keyword(std::string_view s)
{
	return s == "head" || s == "heads" || s == "base";
}

}  // namespace

Target
parse_target(const RevisionGraph::Impl &g, std::string_view text)
{
	Target t;
	t.text = std::string(text);
	if (text.empty())
		throw Error(ErrorKind::invalid_argument, "revision target must not be empty", {}, kGrammarHint);

	std::string_view rest = text;
	std::size_t at = text.find('@');
	if (at != std::string_view::npos) {
		if (text.find('@', at + 1) != std::string_view::npos)
			throw bad_target(text, "A target names at most one branch (label@target).");
		std::string_view label = text.substr(0, at);
		rest = text.substr(at + 1);
		if (label.empty() || !is_valid_identifier(label))
			throw bad_target(text, "The text before '@' must be a branch label or revision id.");
		if (rest.empty())
			throw bad_target(text, "Nothing follows '@'.");
		t.has_label = true;
		t.label = std::string(label);
	}

	if (is_keyword(rest)) {
		t.kind = rest == "heads" ? Target::Kind::heads : rest == "head" ? Target::Kind::head : Target::Kind::base;
		t.symbol = std::string(rest);
		return t;
	}

	// Relative: [symbol](+|-)digits, unless the whole text is a registered id or label
	// (ids may contain '-', so "rel-2" can be a revision).
	if (g.find_key(rest) < 0) {
		std::size_t p = rest.size();
		while (p > 0 && rest[p - 1] >= '0' && rest[p - 1] <= '9')
			--p;
		if (p > 0 && p < rest.size() && (rest[p - 1] == '+' || rest[p - 1] == '-')) {
			std::string_view symbol = rest.substr(0, p - 1);
			std::string_view digits = rest.substr(p);
			if (!symbol.empty() && !is_keyword(symbol) && !is_valid_identifier(symbol))
				throw bad_target(text, "The text before the step count is not a revision id or label.");
			long long steps = 0;
			for (char c : digits) {
				steps = steps * 10 + (c - '0');
				if (steps > 1000000000LL)
					steps = 1000000000LL;
			}
			if (steps == 0 && symbol.empty())
				throw bad_target(text, "A relative step count must not be zero.");
			t.kind = Target::Kind::relative;
			t.symbol = std::string(symbol);
			t.upward = rest[p - 1] == '+';
			t.steps = steps;
			t.relative = std::string(rest.substr(p - 1));
			return t;
		}
	}
	if (!is_valid_identifier(rest))
		throw bad_target(text, "Revision ids and labels match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$.");
	t.kind = Target::Kind::literal;
	t.symbol = std::string(rest);
	return t;
}

std::string
Resolver::describe(int pos) const
{
	return pos >= 0 ? g_.id(pos).str() : std::string("base");
}

void
Resolver::throw_multiple_heads(const std::vector<int> &heads) const
{
	std::vector<std::string> ids = g_.sorted_ids(heads);
	throw Error(ErrorKind::multiple_heads,
	            "multiple head revisions are present for given argument " + quoted(t_.text) +
	                "; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, "
	                "or 'heads' for all heads",
	            "Heads: " + join(ids) + ".", {}, ids);
}

std::vector<char>
Resolver::lineage(const std::vector<int> &sources, bool with_deps) const
{
	using Edges = RevisionGraph::Impl::Edges;
	std::vector<char> out = g_.reach(sources, with_deps ? Edges::parents_and_deps : Edges::parents);
	std::vector<char> below = g_.reach(sources, with_deps ? Edges::children_and_dependants : Edges::children);
	for (std::size_t i = 0; i < out.size(); ++i)
		out[i] = static_cast<char>(out[i] | below[i]);
	return out;
}

const std::vector<char> &
Resolver::branch_lineage(int branch_rev) const
{
	if (cached_branch_ != branch_rev || cached_lineage_.empty()) {
		cached_lineage_ = lineage({branch_rev}, false);
		cached_branch_ = branch_rev;
	}
	return cached_lineage_;
}

int
Resolver::branch(std::string_view label) const
{
	int i = g_.find_key(label);
	if (i >= 0)
		return i;
	return ident(label, -1, {});
}

int
Resolver::target_branch() const
{
	if (!t_.has_label)
		return -1;
	if (target_branch_ == -2)
		target_branch_ = branch(t_.label);
	return target_branch_;
}

int
Resolver::ident(std::string_view text, int branch_rev, std::string_view branch_text) const
{
	int found = g_.find_key(text);
	if (found < 0) {
		std::vector<int> candidates;
		g_.for_each_prefixed(text, [&candidates](std::string_view key, int i) {
			if (key.size() > 3)
				candidates.push_back(i);
		});
		std::sort(candidates.begin(), candidates.end());
		candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
		if (branch_rev >= 0) {
			const std::vector<char> &lin = branch_lineage(branch_rev);
			candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
			                                [&lin](int c) { return !lin[static_cast<std::size_t>(c)]; }),
			                 candidates.end());
		}
		if (candidates.empty())
			throw Error(ErrorKind::unknown_revision, "can't locate revision identified by " + quoted(text), {}, {},
			            {std::string(text)});
		if (candidates.size() > 1) {
			std::vector<std::string> ids = g_.sorted_ids(candidates);
			throw Error(ErrorKind::ambiguous_revision,
			            "multiple revisions start with " + quoted(text) + ": " + join(ids),
			            "Candidates: " + join(ids) + ".", "Use more characters of the revision id.", ids);
		}
		found = candidates.front();
	}
	if (branch_rev >= 0 && !branch_lineage(branch_rev)[static_cast<std::size_t>(found)])
		throw Error(ErrorKind::unknown_revision,
		            "revision " + quoted(g_.id(found)) + " is not a member of branch " + quoted(branch_text),
		            "Branch " + std::string(branch_text) + " is revision " + g_.id(branch_rev) +
		                ", its ancestors and its descendants.",
		            {}, {g_.id(found), g_.id(branch_rev)});
	return found;
}

std::vector<int>
Resolver::resolve_symbol(std::string_view symbol, int branch_rev, std::string_view branch_text) const
{
	if (symbol == "heads" || symbol == "head") {
		std::vector<int> heads;
		if (branch_rev >= 0) {
			const std::vector<char> &lin = branch_lineage(branch_rev);
			for (int h : g_.vheads)
				if (lin[static_cast<std::size_t>(h)])
					heads.push_back(h);
		} else {
			heads = symbol == "heads" ? g_.real_heads : g_.vheads;
		}
		if (symbol == "head" && heads.size() > 1)
			throw_multiple_heads(heads);
		return heads;
	}
	if (symbol == "base")
		return {};
	return {ident(symbol, branch_rev, branch_text)};
}

int
Resolver::get_revision(std::string_view symbol, int branch_rev, std::string_view branch_text) const
{
	std::vector<int> r = resolve_symbol(symbol, branch_rev, branch_text);
	if (r.size() > 1)
		throw_multiple_heads(r);
	return r.empty() ? kNone : r.front();
}

std::vector<int>
Resolver::upward_start(const std::vector<int> &heads, const std::vector<int> &list, const std::vector<char> *lin) const
{
	if (!lin)
		return heads;
	std::vector<int> start;
	for (int h : heads)
		if ((*lin)[static_cast<std::size_t>(h)])
			start.push_back(h);
	if (!start.empty())
		return start;
	std::vector<char> active(g_.revs.size(), 0);
	for (int v : list)
		if ((*lin)[static_cast<std::size_t>(v)])
			active[static_cast<std::size_t>(v)] = 1;
	std::vector<char> below(g_.revs.size(), 0);
	for (int v : list)
		if (active[static_cast<std::size_t>(v)])
			for (const int *d = g_.down.begin(v); d != g_.down.end(v); ++d)
				below[static_cast<std::size_t>(*d)] = 1;
	for (int v : list)
		if (active[static_cast<std::size_t>(v)] && !below[static_cast<std::size_t>(v)])
			start.push_back(v);
	return start;
}

int
Resolver::walk(int start, long long steps, const std::vector<char> *lin, bool clamp) const
{
	int cur = start;
	const long long n = steps < 0 ? -steps : steps;
	std::vector<int> cands;
	for (long long k = 0; k < n; ++k) {
		cands.clear();
		std::string where;
		if (steps > 0) {
			if (cur < 0) {
				cands = g_.bases;
				where = "There are several base revisions";
			} else {
				cands.assign(g_.children_begin(cur), g_.children_end(cur));
				where = "Revision " + g_.id(cur) + " is followed by several revisions";
			}
			if (lin)
				cands.erase(std::remove_if(cands.begin(), cands.end(),
				                           [lin](int c) { return !(*lin)[static_cast<std::size_t>(c)]; }),
				            cands.end());
		} else if (cur != kBase) {
			if (cur == kNone) {
				cands = g_.vheads;
				where = "There are several heads";
			} else {
				// A missing parent would be a candidate: the walk cannot go on.
				if (g_.dangling[static_cast<std::size_t>(cur)] & kDanglingParent) {
					std::vector<int> here{cur};
					g_.refuse_dangling({&here});
				}
				cands.assign(g_.parents_begin(cur), g_.parents_end(cur));
				where = "Revision " + g_.id(cur) + " has several parents";
			}
			if (cands.empty())
				cands.push_back(kBase);
		}
		if (cands.empty())
			return clamp ? cur : kOverwalk;
		if (cands.size() > 1) {
			std::vector<std::string> ids = g_.sorted_ids(cands);
			throw Error(ErrorKind::invalid_target, "ambiguous walk",
			            where + ": " + join(ids) + "; target " + quoted(t_.text) + " does not say which one to follow.",
			            "Name the revision, or use label@+N / label@-N to stay on one branch.", ids);
		}
		cur = cands.front();
	}
	return cur;
}

}  // namespace pfm::core::detail
