// plan_new_revision (alembic revision --head --splice --branch-label --depends-on --rev-id)
// and plan_stamp_purge (alembic stamp --purge).
#include <gtest/gtest.h>

#include "test_graphs.hpp"

using namespace pfm::core;
using namespace pfm::core::test;

namespace {

using Strings = std::vector<std::string>;

NewRevisionRequest
request(std::string rev_id, std::string head = "head", bool splice = false, Strings labels = {}, Strings deps = {})
{
	NewRevisionRequest r;
	r.rev_id = std::move(rev_id);
	r.head = std::move(head);
	r.splice = splice;
	r.branch_labels = std::move(labels);
	r.depends_on = std::move(deps);
	return r;
}

Error
refusal(const RevisionGraph &g, const NewRevisionRequest &r)
{
	try {
		plan_new_revision(g, r);
	} catch (const Error &e) {
		return e;
	}
	ADD_FAILURE() << "no error for " << r.rev_id << " on " << r.head;
	return Error(ErrorKind::internal, "none");
}

}  // namespace

TEST(NewRevision, ParentSelection)
{
	RevisionGraph c = chain(3);
	NewRevisionPlan p = plan_new_revision(c, request("n1"));
	EXPECT_EQ(p.id, "n1");
	EXPECT_EQ(p.parents, Strings{"0003"});
	EXPECT_TRUE(plan_new_revision(graph({}), request("n1")).parents.empty());  // the first revision
	EXPECT_TRUE(plan_new_revision(c, request("n1", "base")).parents.empty());  // a new base

	RevisionGraph g = doc_graph();
	EXPECT_EQ(plan_new_revision(g, request("n1", "cart@head")).parents, Strings{"nnnn5555"});
	EXPECT_EQ(plan_new_revision(g, request("n1", "yyyy")).parents, Strings{"yyyy7777"});
	// heads: a merge of every real head
	EXPECT_EQ(plan_new_revision(g, request("n1", "heads")).parents, (Strings{"nnnn5555", "yyyy7777"}));
	// splice: branch off a revision that has children
	EXPECT_EQ(plan_new_revision(g, request("n1", "aaaa1111", true)).parents, Strings{"aaaa1111"});
}

TEST(NewRevision, AlembicErrors)
{
	RevisionGraph g = doc_graph();
	Error e = refusal(g, request("n1"));
	EXPECT_EQ(e.kind, ErrorKind::multiple_heads);
	EXPECT_STREQ(e.what(),
	             "multiple heads are present; please specify the head revision on which the new revision should be "
	             "based, or perform a merge");
	EXPECT_EQ(e.detail, "Heads: nnnn5555, yyyy7777.");

	e = refusal(g, request("n1", "aaaa1111"));
	EXPECT_EQ(e.kind, ErrorKind::invalid_target);
	EXPECT_STREQ(e.what(),
	             "revision aaaa1111 is not a head revision; please specify --splice to create a new branch from this "
	             "revision");
	EXPECT_EQ(e.detail, "Revision aaaa1111 is followed by bbbb2222, cccc3333.");

	e = refusal(g, request("bbbb2222", "nnnn5555"));
	EXPECT_EQ(e.kind, ErrorKind::invalid_argument);
	EXPECT_STREQ(e.what(), "revision 'bbbb2222' already exists");
	e = refusal(g, request("cart", "nnnn5555"));
	EXPECT_STREQ(e.what(), "revision id 'cart' is already a branch label of revision 'cccc3333'");
	EXPECT_EQ(refusal(g, request("bad id", "nnnn5555")).kind, ErrorKind::invalid_argument);

	e = refusal(g, request("n1", "nnnn5555", false, {"net"}));
	EXPECT_EQ(e.kind, ErrorKind::duplicate_label);
	EXPECT_STREQ(e.what(), "branch name 'net' in revision n1 already used by revision xxxx6666");
	EXPECT_STREQ(refusal(g, request("n1", "nnnn5555", false, {"aaaa1111"})).what(),
	             "branch name 'aaaa1111' in revision n1 already used by revision aaaa1111");
	EXPECT_STREQ(refusal(g, request("n1", "nnnn5555", false, {"n1"})).what(),
	             "branch name 'n1' in revision n1 already used by revision n1");
	EXPECT_STREQ(refusal(g, request("n1", "nnnn5555", false, {"x", "x"})).what(),
	             "branch name 'x' in revision n1 already used by revision n1");
	EXPECT_EQ(refusal(g, request("n1", "nnnn5555", false, {"bad label"})).kind, ErrorKind::invalid_argument);

	EXPECT_EQ(refusal(g, request("n1", "zzzz")).kind, ErrorKind::unknown_revision);
	EXPECT_EQ(refusal(g, request("n1", "+1")).kind, ErrorKind::invalid_argument);
	e = refusal(g, request("n1", "nnnn5555", false, {}, {"invalid"}));
	EXPECT_EQ(e.kind, ErrorKind::unknown_revision);
	EXPECT_STREQ(e.what(), "can't locate revision identified by 'invalid'");
	EXPECT_EQ(refusal(g, request("n1", "nnnn5555", false, {}, {"base"})).kind, ErrorKind::invalid_argument);
	EXPECT_EQ(refusal(g, request("n1", "nnnn5555", false, {}, {"head"})).kind, ErrorKind::multiple_heads);
}

// tests/test_command.py test_create_rev_depends_on*: a label is kept as written, a prefix
// becomes the id it resolves to.
TEST(NewRevision, DependsOn)
{
	RevisionGraph g = graph({{"1a2b3c4d5e6f"}, {"7a8b9c0d1e2f", "1a2b3c4d5e6f", "", "foobar"}});
	NewRevisionPlan p = plan_new_revision(g, request("n1", "head", false, {}, {"foobar"}));
	EXPECT_EQ(p.depends_on, Strings{"foobar"});
	EXPECT_EQ(plan_new_revision(g, request("n1", "head", false, {}, {"7a8b"})).depends_on, Strings{"7a8b9c0d1e2f"});
	EXPECT_EQ(plan_new_revision(g, request("n1", "head", false, {}, {"foobar@head"})).depends_on,
	          Strings{"7a8b9c0d1e2f"});
	EXPECT_EQ(plan_new_revision(g, request("n1", "head", false, {"lib"}, {"1a2b3c4d5e6f", "foobar"})).depends_on,
	          (Strings{"1a2b3c4d5e6f", "foobar"}));
	// the plan registers: the new revision depends on the labelled one
	std::vector<Revision> revs = revisions({{"1a2b3c4d5e6f"}, {"7a8b9c0d1e2f", "1a2b3c4d5e6f", "", "foobar"}});
	Revision n;
	n.id = p.id;
	n.parents = p.parents;
	n.depends_on = p.depends_on;
	n.checksum = "c-n1";
	revs.push_back(n);
	RevisionGraph after(revs);
	EXPECT_TRUE(after.structural_problems().empty());
	EXPECT_EQ(after.heads(), Strings{"n1"});
}

TEST(NewRevision, DanglingReferenceElsewhereDoesNotStopIt)
{
	// the way to fix a dangling reference can be to write the missing revision
	RevisionGraph g = graph({{"a"}, {"b", "a", "zz"}});
	EXPECT_EQ(plan_new_revision(g, request("zz", "base")).parents, Strings{});
	EXPECT_EQ(plan_new_revision(g, request("c", "b")).parents, Strings{"b"});
	EXPECT_THROW(plan_new_revision(graph({{"a", "b"}, {"b", "a"}}), request("c", "base")), Error);
}

TEST(StampPurge, ForgetsEverythingThenStamps)
{
	RevisionGraph g = doc_graph();
	// the version state names a revision that no longer exists, and one that changed
	std::vector<AppliedRevision> state = applied({"aaaa1111", "bbbb2222", "phantom", "deleted"});
	state[1].checksum = "old";
	EXPECT_THROW(plan_stamp(g, state, "cart"), Error);
	StampPlan p = plan_stamp_purge(g, state, "cart");
	EXPECT_EQ(p.unmark, (Strings{"bbbb2222", "aaaa1111", "deleted", "phantom"}));
	EXPECT_EQ(p.mark, (Strings{"aaaa1111", "cccc3333"}));
	EXPECT_EQ(p.heads_after, Strings{"cccc3333"});

	p = plan_stamp_purge(g, state, "heads");
	EXPECT_EQ(p.mark.size(), 7u);
	EXPECT_EQ(p.heads_after, (Strings{"nnnn5555", "yyyy7777"}));
	p = plan_stamp_purge(g, state, "base");
	EXPECT_TRUE(p.mark.empty());
	EXPECT_TRUE(p.heads_after.empty());
	EXPECT_EQ(p.unmark.size(), 4u);
	EXPECT_TRUE(plan_stamp_purge(g, {}, "base").unmark.empty());
	EXPECT_THROW(plan_stamp_purge(g, state, "head"), Error);  // several heads
	EXPECT_THROW(plan_stamp_purge(g, state, "+1"), Error);
	EXPECT_THROW(plan_stamp_purge(g, state, "zzzz"), Error);
}
