"""Scenarios ported from Alembic's own tests (tag rel_1_8_1): tests/test_revision.py,
tests/test_version_traversal.py, tests/test_command.py.

Each scenario is one of their graphs and the commands their test functions run, with the
test's expectation. alembic_diff.py runs every command through Alembic 1.8 (live) and through
pfm_plan_cli, compares the two exactly as for the random graphs (same difference classes),
and also checks Alembic's live answer against the expectation written here, which guards the
transcription. Where a test calls an internal API with no command of ours, the command is the
equivalent one and the expectation is adapted; the comment says how:

  iterate_revisions(upper, lower, inclusive=True)      -> history lower:upper
  iterate_revisions(upper, lower, inclusive=False)     -> history lower:upper, plus lower
  iterate_revisions(..., implicit_base=True)           -> upgrade upper from lower (the steps)
  iterate_revisions(heads, target, select_for_downgrade=True)
                                                        -> downgrade target from heads
  _upgrade_revs / _downgrade_revs / _stamp_revs        -> upgrade / downgrade / stamp
  command.history / heads / revision / stamp --purge   -> history / heads / new_revision /
                                                          stamp_purge

A graph is written one revision a string: "id:parent1,parent2 +dep1,dep2 @label".
A command is (test function, command, target, start heads, expectation); the expectation is
a list (history in Alembic's order; show, heads: the ids), a pair (upgrade / downgrade: steps
in any order, version rows after), a set of rows (stamp, stamp_purge), a dict (new_revision),
ERR (Alembic refuses) or None (no test expectation: run through both only).
"""

ERR = "error"

R_PATH = ["e6239818bb3a", "548bbb905360:e6239818bb3a", "b7ea43dc85e4:548bbb905360", "1bbe33445780:b7ea43dc85e4",
          "3975fb1a0125:1bbe33445780"]
A, B, C, D, E = "e6239818bb3a", "548bbb905360", "b7ea43dc85e4", "1bbe33445780", "3975fb1a0125"

LABELED = ["a @abranch", "b:a", "somelongername:b", "c:somelongername", "d", "e:d @ebranch", "someothername:e",
           "f:someothername"]
MULTIPLE_BRANCH = ["a", "b1:a", "b2:a", "cb1:b1", "cb2:b2", "d1cb1:cb1", "d2cb1:cb1", "d1cb2:cb2", "d2cb2:cb2",
                   "d3cb2:cb2", "d1d2cb2:d1cb2,d2cb2"]
TRAVELLING = ["a1", "a2:a1", "a3:a2", "b1:a3", "b2:a3", "cb1:b1", "cb2:b2", "db1:cb1", "db2:cb2", "e1b1:db1",
              "fe1b1:e1b1", "e2b1:db1", "e2b2:db2", "merge:e2b1,e2b2"]
MULTIPLE_BASE = ["base1", "base2", "base3", "a1a:base1", "a1b:base1", "a2:base2", "a3:base3", "b1a:a1a", "b1b:a1b",
                 "b2:a2", "b3:a3", "c2:b2", "d2:c2", "mergeb3d2:b3,d2"]
CROSS_ONE = ["base1 @b_1", "a1a:base1", "a1b:base1", "b1a:a1a", "b1b:a1b +a3", "base2 @b_2", "a2:base2", "b2:a2",
             "c2:b2 +a3", "d2:c2", "base3 @b_3", "a3:base3", "b3:a3"]
# base2 depends on the branch label b_1 (issue 16)
CROSS_TWO = ["base1 @b_1", "a1:base1", "b1:a1", "c1:b1", "base2 +b_1 @b_2", "a2:base2", "b2:a2", "c2:b2", "d2:c2",
             "base3 @b_3", "a3:base3", "b3:a3", "c3:b3 +b2", "d3:c3"]
NORMALIZED = ["a1", "a2:a1", "a3:a2", "b1", "b2:b1 +a3", "b3:b2", "b4:b3 +a3", "b5:b4 +b4"]
BRANCHED = ["a", "b:a", "c1:b @c1branch", "d1:c1", "c2:b @c2branch", "d2:c2"]
MERGED = ["a", "b:a", "c1:b", "d1:c1", "c2:b @c2branch", "d2:c2", "e:d1,d2", "f:e"]
# c2 depends on the branch label c1lib (issue 16)
DEP_LABEL = ["a1 @lib1", "b1:a1", "c1:b1 @c1lib", "a2", "b2:a2", "c2:b2 +c1lib", "d1:c1", "e1:d1", "f1:e1"]
R1, R2, R3 = "1a2b3c4d5e6f", "7a8b9c0d1e2f", "3c4d5e6f7a8b"

SCENARIOS = [
    ("tests/test_revision.py DiamondTest", ["a", "b1:a", "b2:a", "c:b1,b2", "d:c"], [
        ("test_iterate_simple_diamond", "history", "a:d", [], ["d", "c", "b1", "b2", "a"]),
    ]),
    ("tests/test_revision.py EmptyMapTest", [], [
        ("test_iterate", "history", "base:head", [], []),
    ]),
    ("tests/test_revision.py LabeledBranchTest", LABELED, [
        ("test_get_current_named_rev", "show", "ebranch@head", [], ["f"]),
        ("test_iterate_head_to_named_base", "history", "ebranch@base:heads", [], ["f", "someothername", "e", "d"]),
        ("test_iterate_head_to_named_base", "history", "abranch@base:heads", [], ["c", "somelongername", "b", "a"]),
        ("test_iterate_named_head_to_base", "history", "base:ebranch@head", [], ["f", "someothername", "e", "d"]),
        ("test_iterate_named_head_to_base", "history", "base:abranch@head", [], ["c", "somelongername", "b", "a"]),
        ("test_iterate_named_head_to_heads", "history", "ebranch@head:heads", [], ["f"]),
        ("test_iterate_named_rev_to_heads", "history", "ebranch@d:heads", [], ["f", "someothername", "e", "d"]),
        ("test_iterate_head_to_version_specific_base", "history", "e@base:heads", [],
         ["f", "someothername", "e", "d"]),
        ("test_iterate_head_to_version_specific_base", "history", "c@base:heads", [],
         ["c", "somelongername", "b", "a"]),
        ("test_branch_w_down_relative", "history", "ebranch@-2:heads", [], ["f", "someothername", "e"]),
        ("test_branch_w_up_relative", "history", "base:ebranch@+2", [], ["e", "d"]),
        ("test_partial_id_resolve", "show", "ebranch@some", [], ["someothername"]),
        ("test_partial_id_resolve", "show", "abranch@some", [], ["somelongername"]),
        ("test_partial_id_resolve_too_short", "show", "ebranch@sos", [], ERR),
        ("test_branch_at_heads", "show", "abranch@heads", [], ["c"]),
        ("test_branch_at_syntax", "show", "abranch@head", [], ["c"]),
        ("test_branch_at_syntax", "show", "abranch@base", [], []),
        ("test_branch_at_syntax", "show", "ebranch@head", [], ["f"]),
        ("test_branch_at_syntax", "show", "ebranch@d", [], ["d"]),
        ("test_branch_at_self", "show", "ebranch@ebranch", [], ["e"]),
        ("test_retrieve_branch_revision", "show", "abranch", [], ["a"]),
        ("test_retrieve_branch_revision", "show", "ebranch", [], ["e"]),
        ("test_rev_not_in_branch", "show", "ebranch@b", [], ERR),
        ("test_rev_not_in_branch", "show", "abranch@d", [], ERR),
        ("test_actually_short_rev_name", "show", "e", [], ["e"]),
        ("test_no_revision_exists", "show", "abranch@qprstuv", [], ERR),
        ("test_no_revision_exists", "show", "abranch@qpr", [], ERR),
        ("test_not_actually_a_branch", "show", "e@d", [], ["d"]),
        ("test_not_actually_a_branch_partial_resolution", "show", "someoth@d", [], ["d"]),
        ("test_no_such_branch", "show", "x@d", [], ERR),
    ]),
    ("tests/test_revision.py LabeledBranchTest.test_dupe_branch_collection",
     ["a", "b:a", "c:b @xy1", "d", "e:d @xy1", "f:e"], [
        ("test_dupe_branch_collection", "history", "base:heads", [], ERR),
        ("test_dupe_branch_collection", "upgrade", "heads", [], ERR),
    ]),
    ("tests/test_revision.py LongShortBranchTest", ["a", "b1:a", "b2:a", "c1:b1", "d11:c1", "d12:c1"], [
        ("test_iterate_full", "history", "base:heads", [], ["b2", "d11", "d12", "c1", "b1", "a"]),
    ]),
    ("tests/test_revision.py MultipleBranchTest", MULTIPLE_BRANCH, [
        ("test_iterate_from_merge_point", "history", "a:d1d2cb2", [], ["d1d2cb2", "d1cb2", "d2cb2", "cb2", "b2", "a"]),
        ("test_iterate_single_branch", "history", "a:d3cb2", [], ["d3cb2", "cb2", "b2", "a"]),
        ("test_iterate_single_branch_to_base", "history", "base:d3cb2", [], ["d3cb2", "cb2", "b2", "a"]),
        ("test_same_branch_wrong_direction", "history", "d1cb1:b1", [], ERR),
        ("test_distinct_branches", "history", "b1:d2cb2", [], ERR),
        ("test_wrong_direction_to_base_as_none", "history", "d1cb1:base", [], ERR),
    ]),
    ("tests/test_revision.py MultipleBranchEffectiveHead", ["y1 @y", "x1 @x", "y2:y1 +x1", "x2:x1"], [
        # iterate_revisions(heads, "x@-1", inclusive=False, select_for_downgrade=True)
        ("test_other_downgrade", "downgrade", "x@-1", ["x2", "y2"], (["x2"], None)),
        ("test_use_all_current", "downgrade", "x@-1", ["x1", "y2"], (["y2", "x1"], None)),
        ("test_effective_head", "downgrade", "x@-1", ["y2"], (["y2", "x1"], None)),
    ]),
    ("tests/test_revision.py BranchTravellingTest", TRAVELLING, [
        # implicit_base=True, inclusive: the upgrade's steps are the expectation without db1
        ("test_iterate_one_branch_both_to_merge", "upgrade", "merge", ["db1"],
         (["merge", "e2b1", "e2b2", "db2", "cb2", "b2"], ["merge"])),
        # upper ["merge", "fe1b1"] = the heads
        ("test_three_branches_end_in_single_branch", "history", "a3:heads", [],
         ["fe1b1", "e1b1", "merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3"]),
        ("test_two_branches_to_root", "history", "a1:merge", [],
         ["merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3", "a2", "a1"]),
        ("test_two_branches_end_in_branch", "history", "b1:merge", [], ["merge", "e2b1", "db1", "cb1", "b1"]),
        ("test_two_branches_end_behind_branch", "history", "a2:merge", [],
         ["merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3", "a2"]),
        ("test_three_branches_to_root", "history", "a1:heads", [],
         ["fe1b1", "e1b1", "merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3", "a2", "a1"]),
        # lower ["cb1", "cb2"] = the current heads
        ("test_three_branches_end_multiple_bases", "history", "current:heads", ["cb1", "cb2"],
         ["fe1b1", "e1b1", "merge", "e2b1", "db1", "cb1", "e2b2", "db2", "cb2"]),
        ("test_iterate_to_symbolic_base", "history", "base:fe1b1", [],
         ["fe1b1", "e1b1", "db1", "cb1", "b1", "a3", "a2", "a1"]),
    ]),
    ("tests/test_revision.py MultipleBaseTest", MULTIPLE_BASE, [
        ("test_heads_to_base", "history", "base:heads", [],
         ["b1a", "a1a", "b1b", "a1b", "base1", "mergeb3d2", "b3", "a3", "base3", "d2", "c2", "b2", "a2", "base2"]),
        ("test_heads_to_revs_plus_implicit_base_exclusive", "upgrade", "heads", ["c2"],
         (["b1a", "a1a", "b1b", "a1b", "base1", "mergeb3d2", "b3", "a3", "base3", "d2"], ["b1a", "b1b", "mergeb3d2"])),
        # inclusive=False: c2 added
        ("test_heads_to_revs_base_exclusive", "history", "c2:heads", [], ["mergeb3d2", "d2", "c2"]),
        ("test_specific_path_one", "history", "base3:b3", [], ["b3", "a3", "base3"]),
    ]),
    ("tests/test_revision.py MultipleBaseCrossDependencyTestOne", CROSS_ONE, [
        ("test_what_are_the_heads", "heads", "", [], ["b1a", "b1b", "b3", "d2"]),
        ("test_heads_to_base", "history", "base:heads", [],
         ["b1a", "a1a", "b1b", "a1b", "base1", "d2", "c2", "b2", "a2", "base2", "b3", "a3", "base3"]),
        ("test_heads_to_base_downgrade", "downgrade", "base", ["b1a", "b1b", "d2", "b3"],
         (["b1a", "a1a", "b1b", "a1b", "base1", "d2", "c2", "b2", "a2", "base2", "b3", "a3", "base3"], [])),
        ("test_same_branch_wrong_direction", "history", "d2:b2", [], ERR),
        ("test_different_branch_not_wrong_direction", "history", "d2:b3", [], ERR),
        ("test_we_need_head2_upgrade", "history", "base:b_2@head", [], ["d2", "c2", "b2", "a2", "base2", "a3", "base3"]),
        ("test_we_need_head2_downgrade", "downgrade", "b_2@base", ["d2"], (["d2", "c2", "b2", "a2", "base2"], ["a3"])),
        ("test_we_need_head3_upgrade", "history", "base:b_3@head", [], ["b3", "a3", "base3"]),
        ("test_we_need_head3_downgrade", "downgrade", "base", ["b3"], (["b3", "a3", "base3"], [])),
        ("test_we_need_head1_upgrade", "history", "base:b1b@head", [], ["b1b", "a1b", "base1", "a3", "base3"]),
        ("test_we_need_head1_downgrade", "downgrade", "b1b@base", ["b1b"], (["b1b", "a1b", "base1"], ["a3"])),
        ("test_we_need_base2_upgrade", "history", "b_2@base:heads", [], ["d2", "c2", "b2", "a2", "base2", "a3", "base3"]),
        ("test_we_need_base2_downgrade", "downgrade", "b_2@base", ["b1a", "b1b", "d2", "b3"],
         (["d2", "c2", "b2", "a2", "base2"], ["b1a", "b1b", "b3"])),
        ("test_we_need_base3_upgrade", "history", "b_3@base:heads", [], ["b3", "a3", "base3"]),
        ("test_we_need_base3_downgrade", "downgrade", "b_3@base", ["b1a", "b1b", "d2", "b3"],
         (["b1b", "d2", "c2", "b3", "a3", "base3"], ["a1b", "b1a", "b2"])),
    ]),
    ("tests/test_revision.py MultipleBaseCrossDependencyTestTwo (depends_on a branch label)", CROSS_TWO, [
        ("test_what_are_the_heads", "heads", "", [], ["c1", "d2", "d3"]),
        ("test_heads_to_base", "history", "base:heads", [],
         ["c1", "b1", "a1", "d2", "c2", "d3", "c3", "b3", "a3", "base3", "b2", "a2", "base2", "base1"]),
        ("test_we_need_head2", "history", "base:b_2@head", [], ["d2", "c2", "b2", "a2", "base2", "base1"]),
        ("test_we_need_head3", "history", "base:b_3@head", [],
         ["d3", "c3", "b3", "a3", "base3", "b2", "a2", "base2", "base1"]),
        ("test_we_need_head1", "history", "base:b_1@head", [], ["c1", "b1", "a1", "base1"]),
        ("test_we_need_base1", "history", "b_1@base:heads", [], ["c1", "b1", "a1", "base1"]),
        ("test_we_need_base2", "history", "b_2@base:heads", [], ["d2", "c2", "b2", "a2", "base2", "base1"]),
        ("test_we_need_base3", "history", "b_3@base:heads", [],
         ["d3", "c3", "b3", "a3", "base3", "b2", "a2", "base2", "base1"]),
        # the same graph through the moving commands (no test expectation: Alembic live only)
        ("(moving)", "upgrade", "b_2@head", [], None),
        ("(moving)", "upgrade", "heads", [], None),
        ("(moving)", "upgrade", "base2", ["c1"], None),
        ("(moving)", "downgrade", "b_1@base", ["c1", "d2", "d3"], None),
        ("(moving)", "downgrade", "base1", ["c1", "d2"], None),
        ("(moving)", "stamp", "b_2@head", [], None),
        ("(moving)", "heads", "resolve", [], None),
        ("(moving)", "show", "base2", [], None),
    ]),
    ("tests/test_revision.py MultipleBaseCrossDependencyTestThree",
     ["base1", "a1:base1", "b1:a1", "c2 +a1", "c3:c2"], [
        ("test_traverse_no_parent_but_a_dep", "history", "base:heads", [], ["b1", "c3", "c2", "a1", "base1"]),
    ]),
    ("tests/test_revision.py GraphWithLoopTest", ["user_foo", "user:user_foo +user_foo"], [
        ("test_revision_dupe_head", "history", "base:heads", [], ["user", "user_foo"]),
    ]),
    ("tests/test_revision.py GraphWithLoopTest", ["user_foo", "user:user_foo"], [
        ("test_revision_map_no_loop_w_overlapping_substrings", "history", "base:heads", [], ["user", "user_foo"]),
    ]),
    ("tests/test_revision.py GraphWithLoopTest", ["user_foo", "user +user_foo"], [
        ("test_revision_map_no_loop_w_overlapping_substrings_dependencies", "history", "base:heads", [],
         ["user", "user_foo"]),
    ]),
    ("tests/test_revision.py GraphWithLoopTest", ["a", "b:a", "c:b,c"], [
        ("test_revision_map_head_loop", "upgrade", "heads", [], ERR),
    ]),
    ("tests/test_revision.py GraphWithLoopTest", ["a", "b:a +b", "c1:b", "c2:b"], [
        ("test_revision_map_branch_point_dep_loop", "history", "base:heads", [], ERR),
    ]),
    ("tests/test_revision.py GraphWithCycleTest", ["a:c", "b:a", "c:b", "d", "e:d"], [
        ("test_revision_map_extra_simple_cycle", "upgrade", "e", [], ERR),
    ]),
    ("tests/test_revision.py GraphWithCycleTest", ["a +c", "b:a", "c:b", "d", "e:d"], [
        ("test_revision_map_extra_simple_dep_cycle", "history", "base:heads", [], ERR),
    ]),
    ("tests/test_revision.py NormalizedDownRevTest", NORMALIZED, [
        ("test_branch_traversal", "downgrade", "b1@base", ["b4"], (["b4", "b3", "b2", "b1"], ["a3"])),
        ("test_all_traversal", "downgrade", "base", ["b5"], (["b5", "b4", "b3", "b2", "b1", "a3", "a2", "a1"], [])),
        # inclusive downgrade of a2 = downgrade to a1 (a2 is a1's only child)
        ("test_partial_traversal", "downgrade", "a1", ["b5"], (["b5", "b4", "b3", "b2", "a3", "a2"], ["a1", "b1"])),
        # implicit_base, inclusive: the upgrade's steps without b1
        ("test_partial_traversal_implicit_base_two", "upgrade", "b5", ["b1"],
         (["b5", "b4", "b3", "b2", "a3", "a2", "a1"], ["b5"])),
    ]),
    ("tests/test_revision.py NormalizedDownRevTest.test_partial_traversal_implicit_base_three",
     ["c1", "a1", "a2:a1 +c1", "a3:a2 +c1", "b1", "b2:b1 +a3", "b3:b2", "b4:b3 +a3", "b5:b4"], [
        ("test_partial_traversal_implicit_base_three", "upgrade", "b5", ["b1"],
         (["b5", "b4", "b3", "b2", "a3", "a2", "a1", "c1"], ["b5"])),
    ]),
    ("tests/test_version_traversal.py RevisionPathTest", R_PATH, [
        ("test_downgrade_base_no_version", "downgrade", "base", [], ([], [])),
        ("test_downgrade_to_existing", "downgrade", A, [A], ([], [A])),
        ("test_downgrade_to_existing_head", "downgrade", E, [E], ([], [E])),
        ("test_upgrade_path", "upgrade", E, [C], ([D, E], [E])),
        ("test_upgrade_path", "upgrade", C, [], ([A, B, C], [C])),
        ("test_relative_upgrade_path", "upgrade", "+2", [A], ([B, C], [C])),
        ("test_relative_upgrade_path", "upgrade", "+1", [A], ([B], [B])),
        ("test_relative_upgrade_path", "upgrade", "+3", [B], ([C, D, E], [E])),
        ("test_relative_upgrade_path", "upgrade", B + "+2", [A], ([B, C, D], [D])),
        ("test_relative_upgrade_path", "upgrade", D + "-2", [A], ([B], [B])),
        ("test_invalid_relative_upgrade_path", "upgrade", "-2", [B], ERR),
        ("test_invalid_relative_upgrade_path", "upgrade", "+5", [B], ERR),
        ("test_downgrade_path", "downgrade", C, [E], ([E, D], [C])),
        ("test_downgrade_path", "downgrade", "base", [C], ([C, B, A], [])),
        ("test_relative_downgrade_path", "downgrade", "-1", [C], ([C], [B])),
        ("test_relative_downgrade_path", "downgrade", "-3", [E], ([E, D, C], [B])),
        ("test_relative_downgrade_path", "downgrade", A + "+2", [D], ([D], [C])),
        ("test_relative_downgrade_path", "downgrade", C + "-2", [D], ([D, C, B], [A])),
        ("test_invalid_relative_downgrade_path", "downgrade", "-5", [B], ERR),
        ("test_invalid_relative_downgrade_path", "downgrade", "+2", [B], ERR),
        ("test_invalid_move_rev_to_none", "downgrade", B[0:3], [], ERR),
        ("test_invalid_move_higher_to_lower", "downgrade", C[0:4], [B], ERR),
        ("test_stamp_to_base", "stamp", "base", [D], set()),
    ]),
    ("tests/test_version_traversal.py BranchedPathTest", BRANCHED, [
        ("test_stamp_down_across_multiple_branch_to_branchpoint", "stamp", "b", ["d1", "c2"], {"b"}),
        ("test_stamp_to_labeled_base_multiple_heads", "stamp", "c1branch@base", ["d1", "c2"], {"c2"}),
        ("test_stamp_to_labeled_head_multiple_heads", "stamp", "c2branch@head", ["d1", "c2"], {"d1", "d2"}),
        ("test_upgrade_single_branch", "upgrade", "d1", ["b"], (["c1", "d1"], ["d1"])),
        # destination (d1, d2) = the heads
        ("test_upgrade_multiple_branch", "upgrade", "heads", ["a"], (["b", "c2", "d2", "c1", "d1"], ["d1", "d2"])),
        ("test_downgrade_multiple_branch", "downgrade", "a", ["d1", "d2"], (["d1", "c1", "d2", "c2", "b"], ["a"])),
        ("test_relative_upgrade", "upgrade", "c2branch@head-1", ["b"], (["c2"], ["c2"])),
        ("test_relative_downgrade_baseplus2", "downgrade", "base+2", ["d2", "d1"], (["d1", "c1", "d2", "c2"], ["b"])),
        ("test_relative_downgrade_branchplus2", "downgrade", "c2branch@base+2", ["d2", "d1"], (["d2", "c2"], ["d1"])),
        ("test_relative_downgrade_branchplus3", "downgrade", "c2", ["d2", "d1"], (["d2"], ["c2", "d1"])),
        ("test_relative_downgrade_branchplus3", "downgrade", "c2branch@base+3", ["d2", "d1"], (["d2"], ["c2", "d1"])),
        # Alembic warns and picks the first row; we refuse (downgrade_relative_multiple_heads)
        ("test_downgrade_once_order_right", "downgrade", "-1", ["d2", "d1"], (["d2"], ["c2", "d1"])),
        ("test_downgrade_once_order_right_unbalanced", "downgrade", "-1", ["c2", "d1"], (["c2"], ["d1"])),
        ("test_downgrade_once_order_left", "downgrade", "-1", ["d1", "d2"], (["d1"], ["c1", "d2"])),
        ("test_downgrade_once_order_left_unbalanced", "downgrade", "-1", ["c1", "d2"], (["c1"], ["d2"])),
        ("test_downgrade_once_order_left_unbalanced_labelled", "downgrade", "c1branch@-1", ["d1", "d2"],
         (["d1"], ["c1", "d2"])),
        ("test_downgrade_relative_order_right", "downgrade", "d2-1", ["d2", "c1"], (["d2"], ["c1", "c2"])),
        ("test_downgrade_relative_order_left", "downgrade", "d2-1", ["c1", "d2"], (["d2"], ["c1", "c2"])),
        ("test_downgrade_single_branch_c1branch", "downgrade", "c1branch@b", ["c1", "d2"], (["c1"], ["d2"])),
        ("test_downgrade_single_branch_c1branch_from_d1_head", "downgrade", "c2branch@b", ["c1", "d2"],
         (["d2", "c2"], ["c1"])),
        ("test_downgrade_single_branch_c2", "downgrade", "c2@b", ["d1", "d2"], (["d2", "c2"], ["d1"])),
        ("test_downgrade_single_branch_d1", "downgrade", "d1@b", ["d1", "d2"], (["d1", "c1"], ["d2"])),
        ("test_downgrade_relative_to_branch_head", "downgrade", "c1branch@head-1", ["d1", "d2"],
         (["d1"], ["c1", "d2"])),
        ("test_upgrade_other_branch_from_mergepoint", "upgrade", "c2branch@+1", ["c1"], (["c2"], ["c1", "c2"])),
        ("test_upgrade_one_branch_of_heads", "upgrade", "c2branch@+1", ["c1", "c2"], (["d2"], ["c1", "d2"])),
        ("test_ambiguous_upgrade", "upgrade", "+1", ["c1", "c2"], ERR),
        ("test_upgrade_from_base", "upgrade", "base+1", [], (["a"], ["a"])),
        ("test_upgrade_from_base_implicit", "upgrade", "+1", [], (["a"], ["a"])),
        ("test_downgrade_minus1_to_base", "downgrade", "-1", ["a"], (["a"], [])),
        ("test_downgrade_minus1_from_base", "downgrade", "-1", [], ERR),
        ("test_downgrade_no_effect_branched", "downgrade", "c2", ["d1", "c2"], ([], ["c2", "d1"])),
        ("test_downgrade_no_effect_branched", "downgrade", "d1", ["d1", "c2"], ([], ["c2", "d1"])),
    ]),
    ("tests/test_version_traversal.py BranchFromMergepointTest",
     ["a1", "b1:a1", "c1:b1", "a2", "b2:a2", "c2:b2", "d1:c1,c2", "d2:c2"], [
        ("test_mergepoint_to_only_one_side_upgrade", "upgrade", "d1", ["d2", "b1"], (["c1", "d1"], ["d1", "d2"])),
        ("test_mergepoint_to_only_one_side_downgrade", "downgrade", "b1", ["d2", "d1"], (["d1", "c1"], ["b1", "d2"])),
    ]),
    ("tests/test_version_traversal.py BranchFrom3WayMergepointTest",
     ["a1", "b1:a1", "c1:b1", "a2", "b2:a2", "c2:b2", "a3", "b3:a3", "c3:b3", "d1:c1,c2,c3", "d2:c2", "d3:c3"], [
        ("test_mergepoint_to_only_one_side_upgrade", "upgrade", "d1", ["d3", "d2", "b1"],
         (["c1", "d1"], ["d1", "d2", "d3"])),
        ("test_mergepoint_to_only_one_side_downgrade", "downgrade", "b1", ["d3", "d2", "d1"],
         (["d1", "c1"], ["b1", "d2", "d3"])),
        ("test_mergepoint_to_two_sides_upgrade", "upgrade", "d1", ["d3", "b2", "b1"],
         (["c2", "c1", "d1"], ["d1", "d3"])),
        ("test_mergepoint_to_two_sides_upgrade", "upgrade", "d2", ["d3", "d1"], (["d2"], ["d1", "d2", "d3"])),
    ]),
    ("tests/test_version_traversal.py TwinMergeTest",
     ["a", "b1:a", "b2:a", "b3:a", "c1:b1,b2,b3", "c2:b1,b2,b3", "d1:c1", "d2:c2"], [
        ("test_upgrade", "upgrade", "heads", ["a"], (["b3", "b1", "b2", "c2", "d2", "c1", "d1"], ["d1", "d2"])),
    ]),
    ("tests/test_version_traversal.py NotQuiteTwinMergeTest",
     ["a", "b1:a", "b2:a", "b3:a", "c1:b1,b2", "c2:b2,b3", "d1:c1", "d2:c2"], [
        ("test_upgrade", "upgrade", "heads", ["a"], (["b2", "b3", "c2", "d2", "b1", "c1", "d1"], ["d1", "d2"])),
    ]),
    ("tests/test_version_traversal.py DependsOnBranchTestOne",
     ["a1 @lib1", "b1:a1", "c1:b1", "a2", "b2:a2", "c2:b2 +c1", "d1:c1", "e1:d1", "f1:e1"], [
        # HeadMaintainer from [c2, d1] after down_(d1) = downgrade c1 from there
        ("test_downgrade_to_dependency", "downgrade", "c1", ["c2", "d1"], (["d1"], ["c2"])),
        ("test_stamp_across_dependency", "stamp", "b1", ["e1", "c2"], {"b1"}),
    ]),
    ("tests/test_version_traversal.py DependsOnBranchTestTwo",
     ["a1", "a2", "a3", "amerge:a1,a2,a3", "b1", "b2", "bmerge:b1,b2", "c1", "c2", "c3", "cmerge:c1,c2,c3",
      "d1 +a3,b2,c1"], [
        ("test_kaboom", "downgrade", "b2", ["amerge", "bmerge", "cmerge", "d1"],
         (["bmerge"], ["amerge", "b1", "cmerge", "d1"])),
        ("test_kaboom", "downgrade", "d1@base", ["amerge", "d1", "b1", "cmerge"],
         (["d1"], ["amerge", "b1", "b2", "cmerge"])),
        ("test_kaboom", "downgrade", "base", ["amerge", "b1", "b2", "cmerge"],
         (["amerge", "a1", "b1", "b2", "cmerge", "c1", "a2", "a3", "c2", "c3"], [])),
    ]),
    ("tests/test_version_traversal.py DependsOnBranchTestThree", ["a1", "a2:a1", "b1", "b2:b1 +a2", "b3:b2",
                                                                  "a3:a2 +b1"], [
        ("test_downgrade_over_crisscross", "downgrade", "b1", ["a3", "b2"], (["b2"], ["a3"])),
    ]),
    ("tests/test_version_traversal.py DependsOnOwnDownrevTest", ["a1", "a2:a1 +a1"], [
        ("test_traverse", "upgrade", "a2", [], (["a1", "a2"], ["a2"])),
        ("test_traverse_down", "downgrade", "a1", ["a2"], (["a2"], ["a1"])),
    ]),
    ("tests/test_version_traversal.py DependsOnBranchTestFour",
     ["a1", "a2:a1", "a3:a2", "b1", "b2:b1 +a3", "b3:b2", "b4:b3 +a3"], [
        ("test_dependencies_are_normalized", "downgrade", "b3", ["b4"], (["b4"], ["b3"])),
    ]),
    ("tests/test_version_traversal.py DependsOnBranchLabelTest (depends_on a branch label)", DEP_LABEL, [
        ("test_upgrade_path", "upgrade", "c2", ["a2"], (["a1", "b1", "c1", "b2", "c2"], ["c2"])),
        ("(moving)", "downgrade", "c1lib@base", ["c2", "f1"], None),
        ("(moving)", "downgrade", "c1", ["c2", "f1"], None),
        ("(moving)", "history", "base:c2", [], None),
        ("(moving)", "show", "c2", [], None),
    ]),
    ("tests/test_version_traversal.py ForestTest", ["a1", "b1:a1", "a2", "b2:a2"], [
        ("test_base_to_heads", "upgrade", "heads", [], (["a2", "b2", "a1", "b1"], ["b1", "b2"])),
        ("test_stamp_to_heads", "stamp", "heads", [], {"b1", "b2"}),
        ("test_stamp_to_heads_no_moves_needed", "stamp", "heads", ["b1", "b2"], {"b1", "b2"}),
    ]),
    ("tests/test_version_traversal.py MergedPathTest", MERGED, [
        ("test_stamp_down_across_merge_point_branch", "stamp", "c2", ["e"], {"c2"}),
        ("test_stamp_down_across_merge_prior_branching", "stamp", "a", ["e"], {"a"}),
        ("test_stamp_up_across_merge_from_single_branch", "stamp", "e", ["c2"], {"e"}),
        ("test_stamp_labled_head_across_merge_from_multiple_branch", "stamp", "c2branch@head", ["d1", "c2"], {"f"}),
        ("test_stamp_up_across_merge_from_multiple_branch", "stamp", "e", ["d1", "c2"], {"e"}),
        ("test_stamp_up_across_merge_prior_branching", "stamp", "e", ["b"], {"e"}),
        ("test_upgrade_across_merge_point", "upgrade", "f", ["b"], (["c2", "d2", "c1", "d1", "e", "f"], ["f"])),
        ("test_downgrade_across_merge_point", "downgrade", "b", ["f"], (["f", "e", "d1", "c1", "d2", "c2"], ["b"])),
    ]),
    ("tests/test_version_traversal.py BranchedPathTestCrossDependencies",
     ["a", "b:a", "c1:b @c1branch", "d1:c1", "c2:b @c2branch", "d2:c2 +c1"], [
        ("test_downgrade_independent_branch", "downgrade", "c2branch@b", ["d1", "d2"], (["d2", "c2"], ["d1"])),
        ("test_downgrade_branch_dependency", "downgrade", "c1branch@b", ["d1", "d2"], (["c1", "d1", "d2"], ["c2"])),
    ]),
    ("tests/test_command.py HistoryTest", ["a", "b:a", "c:b"], [
        ("test_history_full", "history", ":", [], ["c", "b", "a"]),
        ("test_history_num_range", "history", "a:b", [], ["b", "a"]),
        ("test_history_base_to_num", "history", ":b", [], ["b", "a"]),
        ("test_history_num_to_head", "history", "a:", [], ["c", "b", "a"]),
        ("test_history_num_plus_relative", "history", "a:+2", [], ["c", "b", "a"]),
        ("test_history_relative_to_num", "history", "-2:c", [], ["c", "b", "a"]),
        ("test_history_too_large_relative_to_num", "history", "-5:c", [], ["c", "b", "a"]),
        ("test_history_current_to_head_as_b", "history", "current:", ["b"], ["c", "b"]),
        ("test_history_current_to_head_as_base", "history", "current:", [], ["c", "b", "a"]),
        ("(command.history: no ':')", "history", "b", [], ERR),
    ]),
    ("tests/test_command.py RevisionTest", [R1, R2 + ":" + R1 + " @foobar", "9f9f9f9f9f9f:" + R1], [
        ("test_create_rev_plain_need_to_select_head", "new_revision", ("ab12cd34ef56", "head", False, [], []), [],
         ERR),
        ("test_create_rev_depends_on_branch_label", "new_revision", (R3, R2, False, [], ["foobar"]), [],
         {"parents": [R2], "depends_on": ["foobar"], "labels": []}),
        ("test_create_rev_depends_on_partial_revid", "new_revision", (R3, R2, False, [], [R2[0:4]]), [],
         {"parents": [R2], "depends_on": [R2], "labels": []}),
        ("test_create_rev_depends_on", "new_revision", (R3, R2, False, [], [R2, "9f9f9f9f9f9f"]), [],
         {"parents": [R2], "depends_on": [R2, "9f9f9f9f9f9f"], "labels": []}),
        ("test_create_rev_invalid_depends_on", "new_revision", (R3, R2, False, [], ["invalid"]), [], ERR),
        # generate_revision: --head names a revision that is not a head
        ("(generate_revision: not a head)", "new_revision", (R3, R1, False, [], []), [], ERR),
        ("(generate_revision: --splice)", "new_revision", (R3, R1, True, [], []), [],
         {"parents": [R1], "depends_on": [], "labels": []}),
        ("(generate_revision: --head heads)", "new_revision", (R3, "heads", False, ["lib"], []), [],
         {"parents": sorted([R2, "9f9f9f9f9f9f"]), "depends_on": [], "labels": ["lib"]}),
        ("(generate_revision: label in use)", "new_revision", (R3, R2, False, ["foobar"], []), [], ERR),
        ("(generate_revision: --head base)", "new_revision", (R3, "base", False, [], []), [],
         {"parents": [], "depends_on": [], "labels": []}),
    ]),
    ("tests/test_command.py StampMultipleHeadsTest.test_stamp_purge", ["a", "b:a", "c:b"], [
        # the version table names 'fake' (not a revision): stamp --purge a
        ("test_stamp_purge", "stamp_purge", "a", ["fake"], {"a"}),
        ("test_stamp_purge", "stamp_purge", "c", ["b", "fake"], {"c"}),
        ("test_stamp_purge", "stamp", "a", ["fake"], ERR),
    ]),
    # Issue 16's own example: b1 depends on the label lib of a1.
    ("issue 16 (depends_on a branch label)", ["a1 @lib", "b1 +lib"], [
        ("(issue 16)", "upgrade", "heads", [], (["a1", "b1"], ["b1"])),
        ("(issue 16)", "upgrade", "a1", [], (["a1"], ["a1"])),
        ("(issue 16)", "downgrade", "base", ["b1"], (["b1", "a1"], [])),
    ]),
    # A genuinely dangling dependency: Alembic cannot build its map (KeyError) and refuses
    # everything; we refuse only the moves that touch b2.
    ("issue 16 (dangling dependency)", ["a1", "a2:a1", "b1", "b2:b1 +nope"], [
        ("(issue 16)", "upgrade", "a2", [], None),
        ("(issue 16)", "upgrade", "b1", [], None),
        ("(issue 16)", "upgrade", "b2", [], ERR),
        ("(issue 16)", "upgrade", "heads", [], ERR),
        ("(issue 16)", "downgrade", "base", ["a2", "b1"], None),
    ]),
]


def parse_graph(diff, lines):
    revs = []
    for line in lines:
        tokens = line.split()
        rid, _, parents = tokens[0].partition(":")
        deps = [d for t in tokens[1:] if t.startswith("+") for d in t[1:].split(",")]
        labels = [t[1:] for t in tokens[1:] if t.startswith("@")]
        revs.append(diff.Rev(rid, parents.split(",") if parents else [], deps, labels))
    owner = {l: r.id for r in revs for l in r.labels}
    for r in revs:
        r.deps_text = r.deps
        r.deps = [owner.get(d, d) for d in r.deps]
    return diff.Graph(revs)


def check_expectation(diff, g, command, alembic, expect):
    """Does Alembic's live answer match the expectation of its own test? A problem or None."""
    if expect == ERR:
        return None if alembic.error else "Alembic did not refuse"
    if alembic.error:
        return "Alembic refused: %s" % (alembic.error,)
    if command in ("upgrade", "downgrade"):
        steps, rows = expect
        if sorted(alembic.steps) != sorted(steps):
            return "Alembic steps %s, its test says %s" % (alembic.steps, steps)
        if rows is not None and (alembic.rows is None or g.reduce_rows(alembic.rows) != sorted(rows)):
            return "Alembic rows %s, its test says %s" % (alembic.rows, rows)
        return None
    if command in ("stamp", "stamp_purge"):
        return None if set(alembic.rows or ()) == expect else "Alembic rows %s, its test says %s" % (
            alembic.rows, sorted(expect))
    value = alembic.value
    if command == "show":
        value = [e["id"] for e in value]
    if command == "heads":
        value = sorted(value)
    return None if value == expect else "Alembic says %s, its test says %s" % (value, expect)


def run(core, diff, verbose=False):
    """Runs every scenario; prints failures; returns counts."""
    out = {"commands": 0, "graphs": 0, "tests": 0, "expected": 0, "failed": 0}
    tests = set()
    stats = diff.collections.Counter()
    for name, lines, commands in SCENARIOS:
        g = parse_graph(diff, lines)
        sd = diff.alembic_script_directory(g)
        core.load(g)
        out["graphs"] += 1
        for test, command, target, heads, expect in commands:
            out["commands"] += 1
            if not test.startswith("("):
                tests.add((name.split(" (")[0].split(".test_")[0], test))
            known = [h for h in heads if h in g.by_id]
            applied = g.closure(known) | {h for h in heads if h not in g.by_id}
            if command in diff.INSPECT_COMMANDS:
                alembic = diff.run_alembic_inspect(sd, g, command, target, heads)
                ours = diff.query_inspect(core, command, target, applied)
                problem = diff.compare_inspect(g, sd, command, target, applied, alembic, ours, stats)
            else:
                alembic = diff.run_alembic(sd, command, target, heads)
                ours = core.query(command, target, applied)
                problem, _ = diff.compare(g, command, target, applied, alembic, ours, stats)
            if problem is None and expect is not None:
                out["expected"] += 1
                transcription = check_expectation(diff, g, command, alembic, expect)
                if transcription:
                    problem = "scenario does not match Alembic's test: " + transcription
            if problem:
                out["failed"] += 1
                print("FAIL scenario %s, %s: %s %s from %s" % (name, test, command, target, heads))
                print("    " + problem)
            elif verbose:
                print("ok scenario %s, %s: %s %s -> %s" % (name, test, command, target, diff.describe(ours)
                                                          if "steps" in ours or "mark" in ours else ours))
    out["tests"] = len(tests)
    print("scenario differences and notes:")
    for k in sorted(stats):
        print("  %-45s %d" % (k, stats[k]))
    return out
