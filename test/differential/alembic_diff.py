#!/usr/bin/python3
"""Differential test: pfm_migrate's core planner against Alembic 1.8.

For seeded random revision graphs (branch points, merges, several bases, branch
labels, depends_on), runs sequences of upgrade / downgrade / stamp commands from
random reachable states through BOTH

  * Alembic's own machinery: RevisionMap for resolution, ScriptDirectory's
    _upgrade_revs / _downgrade_revs / _stamp_revs (with _catch_revision_errors)
    for planning, and HeadMaintainer.update_to_step for the version rows (only
    the SQL is replaced by a set, exactly mirroring the table), and
  * our core, through the pfm_plan_cli line protocol,

and compares: whether each errs, the set of revisions applied / reverted, and
the resulting heads (version rows).

With --sql --dbname DB, "our side" is the installed extension instead of the CLI,
through SQL (psycopg2; host, port and user from the libpq environment): per graph
DROP/CREATE EXTENSION and pfm_register for every revision (bodies `SELECT 1;`); per
start state pfm_stamp('base') then pfm_stamp(head) for each head of the state; per
command, inside a SAVEPOINT, pfm_upgrade(target) / pfm_downgrade(target) (steps in
row order) or pfm_stamp(target), then pfm_migrate.version and pfm_migrate.applied.
A stamp's marked / unmarked revisions are the difference of the applied table. The
same comparison and classes apply; the SQL side must also give a typed SQLSTATE
(22023, 42704, 55000) for every error, the right direction column, and an applied
table equal to the set the steps imply. A command whose result is not accepted is
rolled back to its savepoint, so the database keeps the state the test believes in.
With --sql and --cli together, every SQL result must also equal the core's exactly
(step order, heads, stamp sets; SQLSTATE and message of errors): any difference
there is a bug in the glue (src/pg, src/api), not in the core.

Besides the moving commands, each step also runs one looking or authoring command (from a
random stream of its own, so the moving commands stay the same): `heads` with and without
--resolve-dependencies, `branches`, `show`, `history -r start:end`, `stamp --purge` (from an
applied set that may name revisions that are not registered) and the parent selection and
checks of `revision --head --splice --branch-label --depends-on --rev-id`, compared with
Alembic's RevisionMap / ScriptDirectory / command.history logic. With --sql they go through
pfm_heads(resolve_dependencies), pfm_branches(), pfm_show(), pfm_history(range),
pfm_stamp(target, purge => true) (phantoms written to the applied table; what it forgot and
marked read back from its audit rows) and pfm_revision(head =>, splice =>, branch_label =>,
depends_on =>, rev_id =>) (the registered row read back), each in a savepoint that is rolled
back; show is compared on the columns pfm_show() has. With --sql and --cli, each SQL answer
must also equal the core's exactly. Before the random graphs, the scenarios of
alembic_scenarios.py (ported from Alembic's own tests) run the same way -- through the CLI, or
with --sql through SQL, each from its start state written straight into the catalog -- each
also checked against the expectation of the Alembic test it comes from. Half the dependencies
on a labelled revision are registered by the branch label, as Alembic allows.

Expected differences (SPEC §6 and the core's documented choices) are classified,
counted and printed, never silently skipped. Each class:

  downgrade_relative_multiple_heads  `downgrade -N` with several current heads:
        Alembic warns and picks the first row, we refuse naming the heads (SPEC §6).
  alembic_internal_error:<Type>  Alembic fails with an internal error
        (AssertionError, KeyError, TypeError...) while planning or while
        maintaining the version rows: `label@-1` at base, `rev+N` past a head,
        `rev-N` down to base as an upgrade target, downgrades through redundant
        dependency edges, a map with a dangling reference (KeyError on every command,
        where we refuse only the moves that touch it), history ranges that walk to
        base as their end, `a:b:c` (ValueError). Accepted when we give a typed error or
        a result that passes the invariants (SPEC §6: "a clear error or the obvious
        result").
  redundant_version_rows  Alembic's rows after the command hold a revision that is
        an ancestor of another row (issue #789); we compare Alembic's rows reduced
        to the heads of the applied set (SPEC §6: no redundant rows).
  ambiguous_prefix  a prefix matching several revisions: Alembic says "can't
        locate", we say ambiguous_revision listing the candidates (SPEC §6); both err.
  prefix_alias_same_revision  a prefix matching an id and a label of the SAME
        revision: Alembic calls that ambiguous, we resolve it.
  overlapping_targets  `upgrade label@heads` where one head depends on another (and history
        ranges whose ends or starts are so related): Alembic raises "overlaps with other
        requested revisions", we take them all.
  downgrade_label_resolution  `downgrade label@X` (X = head, heads, a revision or
        prefix): Alembic resolves X ignoring the label (rpartition), so label@head is
        the global head and label@rev is not checked for membership; we resolve X
        inside the branch, as for upgrades.
  stamp_several_destinations  `stamp heads` / `stamp label@heads` with several
        destinations: Alembic replaces every related head once per destination and
        can lose (or fail to delete) the head of an unrelated branch; we replace, per
        destination, only the heads related to it.
  history_relative_start_at_base  `history -r -N:end` (or label@-N) where N below some head
        reaches base: we count N below the end if it is one revision, else start at base;
        Alembic does that only when its first head passes base, and otherwise refuses with
        a misleading error (a range error when the walk lands exactly on base, "can't locate
        'heads'") or fails.
  duplicate_rev_id  `revision --rev-id X` where X is already a revision (or a label): Alembic
        only warns "Revision X is present more than once" and writes a second file with the
        same id; we refuse.

Everything else that differs is a failure: the script exits non-zero.
"""

import argparse
import collections
import json
import random
import re
import subprocess
import sys
import time
import warnings

from alembic import util as alembic_util
from alembic.runtime.migration import HeadMaintainer
from alembic.script.base import ScriptDirectory
from alembic.script.revision import Revision, RevisionMap


# --------------------------------------------------------------------------- Alembic side


class _Module:
    @staticmethod
    def upgrade():
        pass

    @staticmethod
    def downgrade():
        pass


class FakeScript(Revision):
    """A Revision with what RevisionStep needs from a Script (module, doc)."""

    module = _Module
    doc = ""


class SetHeadMaintainer(HeadMaintainer):
    """Alembic's HeadMaintainer; the version table is the `heads` set itself.

    The three row operations keep Alembic's own bookkeeping (the asserts and the
    set updates of the originals); a missing row raises KeyError where the real
    one would fail its rowcount check."""

    def __init__(self, heads):
        self.context = None
        self.heads = set(heads)

    def _insert_version(self, version):
        assert version not in self.heads
        self.heads.add(version)

    def _delete_version(self, version):
        self.heads.remove(version)

    def _update_version(self, from_, to_):
        assert to_ not in self.heads
        self.heads.remove(from_)
        self.heads.add(to_)


def alembic_script_directory(graph):
    """Alembic's ScriptDirectory over the graph's revisions (depends_on as registered: ids or
    branch labels). A map Alembic cannot build (cycle, duplicate label: RevisionError; a
    dangling reference: KeyError) leaves sd.broken set, and every command then fails with it."""
    revs = []
    for r in graph.revs:
        down = tuple(r.parents) if len(r.parents) > 1 else (r.parents[0] if r.parents else None)
        deps = tuple(r.deps_text) if r.deps_text else None
        labels = tuple(r.labels) if r.labels else None
        try:
            revs.append(FakeScript(r.id, down, dependencies=deps, branch_labels=labels))
        except Exception as e:  # noqa: BLE001 -- LoopDetected at construction
            sd = object.__new__(ScriptDirectory)
            sd.broken = e
            return sd
    sd = object.__new__(ScriptDirectory)
    sd.revs = revs
    sd.broken = None
    sd.revision_map = RevisionMap(lambda: revs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sd.revision_map._revision_map  # build now
        except Exception as e:  # noqa: BLE001
            sd.broken = e
    return sd


def broken_result(sd):
    """The AlembicResult of any command on a map Alembic could not build."""
    from alembic.script.revision import RevisionError

    res = AlembicResult()
    if isinstance(sd.broken, RevisionError):
        res.error = ("command", str(sd.broken))
    else:
        res.error = ("internal", "%s: %s" % (type(sd.broken).__name__, sd.broken))
    return res


class AlembicResult:
    def __init__(self):
        self.error = None  # ("command", message) or ("internal", "Type: message")
        self.cause = None  # message of the underlying RevisionError, if any
        self.steps = None  # list of revision ids (upgrade/downgrade)
        self.rows = None  # version rows after the command, or None if maintenance crashed
        self.maintenance_error = None
        self.warned = False
        self.value = None  # looking/authoring commands: the comparable answer


def run_alembic(sd, command, target, heads):
    if sd.broken is not None:
        return broken_result(sd)
    res = AlembicResult()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if command == "upgrade":
                steps = sd._upgrade_revs(target, tuple(heads))
            elif command == "downgrade":
                steps = sd._downgrade_revs(target, tuple(heads))
            else:
                steps = sd._stamp_revs(target, tuple(heads))
        except alembic_util.CommandError as e:
            res.error = ("command", str(e))
            res.cause = str(e.__cause__) if e.__cause__ is not None else None
            res.warned = bool(caught)
            return res
        except Exception as e:  # noqa: BLE001 -- Alembic internal errors are what we classify
            res.error = ("internal", "%s: %s" % (type(e).__name__, e))
            res.warned = bool(caught)
            return res
        res.warned = bool(caught)
    if command != "stamp":
        res.steps = [s.revision.revision for s in steps]
    hm = SetHeadMaintainer(heads)
    try:
        for step in steps:
            hm.update_to_step(step)
        res.rows = sorted(hm.heads)
    except Exception as e:  # noqa: BLE001
        res.maintenance_error = "%s: %s" % (type(e).__name__, e)
    return res


# --------------------------------------------------------------------------- graphs


class Rev:
    def __init__(self, id_, parents, deps, labels, deps_text=None):
        self.id = id_
        self.parents = parents
        self.deps = deps  # resolved revision ids (the model's edges)
        self.deps_text = deps if deps_text is None else deps_text  # as registered: ids or branch labels
        self.labels = labels


class Graph:
    def __init__(self, revs):
        self.revs = revs
        self.by_id = {r.id: r for r in revs}
        # registered edges only: a dangling reference is no edge (the core reports it)
        self.down = {r.id: [d for d in dict.fromkeys(r.parents + r.deps) if d in self.by_id and d != r.id]
                     for r in revs}
        self.up = collections.defaultdict(list)
        for r in revs:
            for d in self.down[r.id]:
                self.up[d].append(r.id)
        self.labels = [l for r in revs for l in r.labels]
        self._anc = {}

    def ancestors(self, rid):
        """Inclusive ancestors through parents and depends_on."""
        if rid not in self._anc:
            out = {rid}
            for d in self.down[rid]:
                out |= self.ancestors(d)
            self._anc[rid] = frozenset(out)
        return self._anc[rid]

    def closure(self, ids):
        out = set()
        for i in ids:
            out |= self.ancestors(i)
        return out

    def version_heads(self, applied):
        named = {d for a in applied for d in self.down.get(a, ()) if d in applied}
        return sorted(set(applied) - named)

    def reduce_rows(self, rows):
        rows = set(rows)
        return sorted(r for r in rows if not any(r != o and r in self.ancestors(o) for o in rows))


def random_graph(rng, index, label_rng=None):
    """A random graph from `rng`. With `label_rng` (a stream of its own, so the graphs and
    commands drawn from `rng` stay the same), half the dependencies on a labelled revision
    are registered by its branch label, as Alembic allows (issue 16)."""
    n = rng.randint(5, 20)
    # Ids share 2-character prefixes often enough to exercise prefix resolution.
    pool = ["a1", "a1", "b2", "c3", "d4", "e5", "f6", "0a", "9f"]
    ids = []
    while len(ids) < n:
        cand = rng.choice(pool) + "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice([1, 2, 2, 4, 6])))
        if cand not in ids:
            ids.append(cand)
    label_pool = ["cart", "net", "ui", "feat1", "a1x", "b2lab", "main", "billing"]
    rng.shuffle(label_pool)
    revs = []
    made = []
    anc = {}
    for i, rid in enumerate(ids):
        roll = rng.random()
        parents = []
        if not made or roll < 0.12:
            parents = []
        elif roll < 0.30 and len(made) >= 2:
            # merge of 2 (sometimes 3) revisions, none an ancestor of another
            k = 3 if rng.random() < 0.2 and len(made) >= 3 else 2
            for _ in range(10):
                cand = rng.sample(made, k)
                if all(a == b or a not in anc[b] for a in cand for b in cand):
                    parents = cand
                    break
            if not parents:
                parents = [rng.choice(made)]
        else:
            # prefer recent revisions: long lines with some branch points
            parents = [made[max(0, len(made) - 1 - int(rng.expovariate(0.6)))]]
        deps = []
        if made and rng.random() < 0.22:
            mine = set().union(*(anc[p] for p in parents)) if parents else set()
            cands = [m for m in made if m not in parents]
            if rng.random() < 0.8:
                cands = [m for m in cands if m not in mine]  # mostly non-redundant dependencies
            if cands:
                deps = [rng.choice(cands)]
        labels = []
        if label_pool and rng.random() < 0.18:
            labels = [label_pool.pop()]
        revs.append(Rev(rid, parents, deps, labels))
        anc[rid] = {rid}.union(*(anc[p] for p in parents + deps)) if parents or deps else {rid}
        made.append(rid)
    if label_rng is not None:
        by_id = {r.id: r for r in revs}
        for r in revs:
            r.deps_text = [by_id[d].labels[0] if by_id[d].labels and label_rng.random() < 0.5 else d for d in r.deps]
    return Graph(revs)


# --------------------------------------------------------------------------- commands


def random_command(rng, g):
    ids = [r.id for r in g.revs]
    rid = lambda: rng.choice(ids)  # noqa: E731
    labels = g.labels or [rid()]
    lab = lambda: rng.choice(labels)  # noqa: E731
    prefix = lambda: rng.choice([rid(), rid(), lab()])[: rng.randint(1, 6)]  # noqa: E731
    up = [
        (6, lambda: "heads"),
        (3, lambda: "head"),
        (1, lambda: "base"),
        (8, rid),
        (3, prefix),
        (2, lambda: lab()),
        (4, lambda: lab() + "@head"),
        (2, lambda: lab() + "@heads"),
        (1, lambda: lab() + "@base"),
        (5, lambda: "+%d" % rng.randint(1, 3)),
        (4, lambda: "%s+%d" % (rid(), rng.randint(1, 2))),
        (2, lambda: "%s-%d" % (rid(), rng.randint(1, 2))),
        (2, lambda: "%s@+%d" % (lab(), rng.randint(1, 2))),
        (2, lambda: rid() + "@head"),
        (2, lambda: "%s@%s" % (lab(), rid())),
        (1, lambda: "-1"),
    ]
    down = [
        (4, lambda: "base"),
        (8, rid),
        (2, prefix),
        (6, lambda: "-%d" % rng.randint(1, 3)),
        (4, lambda: "%s@-%d" % (lab(), rng.randint(1, 2))),
        (2, lambda: lab() + "@base"),
        (3, lambda: "%s-%d" % (rid(), rng.randint(1, 2))),
        (1, lambda: "%s+%d" % (rid(), rng.randint(1, 2))),
        (2, lambda: "%s@%s" % (lab(), rid())),
        (1, lambda: lab() + "@head"),
        (1, lambda: "head"),
        (1, lambda: "heads"),
        (1, lambda: "+1"),
        (1, lambda: lab()),
    ]
    stamp = [
        (8, rid),
        (3, lambda: "heads"),
        (2, lambda: "head"),
        (3, lambda: "base"),
        (2, lambda: lab() + "@head"),
        (2, lambda: lab() + "@heads"),
        (2, lambda: lab() + "@base"),
        (2, lambda: lab()),
        (1, lambda: "+1"),
    ]
    roll = rng.random()
    command, table = ("upgrade", up) if roll < 0.45 else ("downgrade", down) if roll < 0.85 else ("stamp", stamp)
    total = sum(w for w, _ in table)
    x = rng.uniform(0, total)
    for w, fn in table:
        x -= w
        if x <= 0:
            return command, fn()
    return command, table[-1][1]()


# --------------------------------------------------------------------------- our side


class Core:
    def __init__(self, cli):
        self.proc = subprocess.Popen([cli], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def load(self, g):
        lines = ["G"]
        for r in g.revs:
            lines.append("R %s|%s|%s|%s|" % (r.id, ",".join(r.parents), ",".join(r.deps_text), ",".join(r.labels)))
        self.proc.stdin.write("\n".join(lines) + "\n")

    def query(self, command, target, applied):
        return self.query_line("Q %s|%s|%s" % (command, target, ",".join(sorted(applied))))

    def query_line(self, sent):
        self.proc.stdin.write(sent + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("pfm_plan_cli exited")
        try:
            return json.loads(line)
        except ValueError:
            raise RuntimeError("bad reply to %r: %r" % (sent, line))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


# SQLSTATE each core error kind gets at the SQL boundary (src/pg/error_map.cpp).
KIND_SQLSTATE = {
    "invalid_argument": "22023",
    "ambiguous_revision": "22023",
    "multiple_heads": "22023",
    "invalid_target": "22023",
    "unknown_revision": "42704",
    "graph_cycle": "55000",
    "dangling_reference": "55000",
    "duplicate_label": "55000",
    "unknown_applied": "55000",
    "drift": "55000",
    "irreversible": "55000",
}
TYPED_SQLSTATES = set(KIND_SQLSTATE.values())


def kind_from_sql_error(sqlstate, message):
    """The core error kind an SQL error stands for (SQLSTATE, refined by the message where
    one SQLSTATE covers several kinds); "internal" / "exception" for anything untyped."""
    if sqlstate == "42704":
        return "unknown_revision"
    if sqlstate == "22023":
        if message.startswith("multiple revisions start with"):
            return "ambiguous_revision"
        if message.startswith("multiple head"):
            return "multiple_heads"
        return "invalid_target"
    if sqlstate == "55000":
        return "not_in_prerequisite_state"
    if sqlstate == "XX000":
        return "internal"
    return "exception"


class SqlCore:
    """The installed extension, driven through SQL with psycopg2 (libpq environment for
    host, port and user). One database; per graph the extension is dropped and created
    again. Each command runs inside a SAVEPOINT: an error rolls back just that command,
    and finish(keep=False) undoes a command whose result was not accepted, so that the
    database always holds the state the comparison believes in."""

    def __init__(self, dbname):
        import psycopg2  # only the --sql mode needs it

        self.psycopg2 = psycopg2
        self.conn = psycopg2.connect(dbname=dbname, application_name="alembic_diff")
        self.cur = self.conn.cursor()
        self.cur.execute("SET client_min_messages = warning")
        self.conn.commit()
        self.open_savepoint = False

    def load(self, g):
        cur = self.cur
        cur.execute("DROP EXTENSION IF EXISTS pfm_migrate CASCADE")
        cur.execute("CREATE EXTENSION pfm_migrate")
        for r in g.revs:
            cur.execute("SAVEPOINT reg")
            try:
                cur.execute(
                    "SELECT pfm_register(%s, down_revision => %s, upgrade => %s, downgrade => %s, message => %s,"
                    " branch_labels => %s::text[], depends_on => %s::text[])",
                    (r.id, ",".join(r.parents) or None, "SELECT 1;", "SELECT 1;", "rev " + r.id,
                     list(r.labels) or None, list(r.deps_text) or None),
                )
            except self.psycopg2.Error:
                # pfm_register refuses a revision that names itself, which Alembic's loop tests
                # (alembic_scenarios.py) need: such a row goes into the catalog directly.
                cur.execute("ROLLBACK TO SAVEPOINT reg")
                cur.execute("INSERT INTO pfm_migrate.revisions (revision, down_revisions, depends_on, branch_labels,"
                            " message, upgrade, downgrade) VALUES (%s, %s::text[], %s::text[], %s::text[], %s, %s, %s)",
                            (r.id, list(r.parents), list(r.deps_text), list(r.labels), "rev " + r.id, "SELECT 1;",
                             "SELECT 1;"))
            cur.execute("RELEASE SAVEPOINT reg")
        self.conn.commit()

    def db_state(self):
        self.cur.execute("SELECT revision FROM pfm_migrate.applied")
        applied = {row[0] for row in self.cur.fetchall()}
        self.cur.execute("SELECT version_num FROM pfm_migrate.version")
        rows = sorted(row[0] for row in self.cur.fetchall())
        return applied, rows

    def set_state(self, g, applied):
        """Brings the database to `applied` with pfm_stamp('base') and one pfm_stamp per head.
        Returns a problem (and then forces the state by writing the catalog directly) or None."""
        heads = g.version_heads(applied)
        problem = None
        try:
            self.cur.execute("SELECT pfm_stamp('base')")
            for h in heads:
                self.cur.execute("SELECT pfm_stamp(%s::text)", (h,))
            got_applied, got_rows = self.db_state()
            if got_applied != set(applied) or got_rows != heads:
                problem = "stamping base, then %s gives applied=%s version=%s; expected applied=%s version=%s" % (
                    heads, sorted(got_applied), got_rows, sorted(applied), heads)
        except self.psycopg2.Error as e:
            problem = "stamping base, then %s raised %s: %s" % (heads, e.pgcode, e.diag.message_primary)
        if problem is None:
            self.conn.commit()
            return None
        self.conn.rollback()
        self.force_state(g, applied)
        self.conn.commit()
        return problem

    def force_state(self, g, applied):
        """Writes `applied` and its version rows straight into the catalog, running nothing;
        ids that are not registered (phantoms) are recorded too, with a checksum no body has."""
        cur = self.cur
        cur.execute("DELETE FROM pfm_migrate.applied")
        cur.execute("INSERT INTO pfm_migrate.applied (revision, checksum, stamped)"
                    " SELECT a.id, coalesce(r.checksum, 'phantom'), true FROM unnest(%s::text[]) AS a(id)"
                    " LEFT JOIN pfm_migrate.revisions r ON r.revision = a.id", (sorted(applied),))
        cur.execute("DELETE FROM pfm_migrate.version")
        cur.execute("INSERT INTO pfm_migrate.version SELECT unnest(%s::text[])", (g.version_heads(applied),))

    def query(self, command, target):
        """Runs one command inside a savepoint. Returns the same dict as pfm_plan_cli, plus
        "directions" (upgrade/downgrade), "sqlstate" on errors and "db_applied" (the applied
        table afterwards). The savepoint stays open until finish()."""
        cur = self.cur
        cur.execute("SAVEPOINT cmd")
        before, _ = self.db_state()
        try:
            if command == "stamp":
                cur.execute("SELECT pfm_stamp(%s::text)", (target,))
                steps = directions = None
            else:
                cur.execute(
                    "SELECT t.revision, t.direction FROM pfm_%s(%%s::text) WITH ORDINALITY"
                    " AS t(revision, direction, message, elapsed_ms, n) ORDER BY t.n" % command,
                    (target,),
                )
                got = cur.fetchall()
                steps = [row[0] for row in got]
                directions = [row[1] for row in got]
        except self.psycopg2.Error as e:
            cur.execute("ROLLBACK TO SAVEPOINT cmd")
            cur.execute("RELEASE SAVEPOINT cmd")
            message = e.diag.message_primary or str(e)
            return {"ok": False, "kind": kind_from_sql_error(e.pgcode, message), "sqlstate": e.pgcode,
                    "message": message, "detail": e.diag.message_detail or "", "db_before": before}
        self.open_savepoint = True
        after, rows = self.db_state()
        out = {"ok": True, "heads": rows, "db_before": before, "db_applied": after}
        if command == "stamp":
            out["mark"] = sorted(after - before)
            out["unmark"] = sorted(before - after)
        else:
            out["steps"] = steps
            out["directions"] = directions
        return out

    def query_inspect(self, command, arg, applied):
        """A looking/authoring command through SQL, answered in pfm_plan_cli's format. Runs in a
        savepoint that is always rolled back, so the state stays as it was (stamp --purge and
        revision are undone once their effect is read). Ids of `applied` that the applied table
        does not hold (stamp --purge's phantoms) are written to it for the command."""
        cur = self.cur
        cur.execute("SAVEPOINT inspect")
        try:
            before, _ = self.db_state()
            phantoms = sorted(set(applied) - before)
            if phantoms:
                cur.execute("INSERT INTO pfm_migrate.applied (revision, checksum, stamped)"
                            " SELECT unnest(%s::text[]), 'phantom', true", (phantoms,))
            return self._inspect(command, arg)
        except self.psycopg2.Error as e:
            message = e.diag.message_primary or str(e)
            return {"ok": False, "kind": kind_from_sql_error(e.pgcode, message), "sqlstate": e.pgcode,
                    "message": message, "detail": e.diag.message_detail or ""}
        finally:
            cur.execute("ROLLBACK TO SAVEPOINT inspect")
            cur.execute("RELEASE SAVEPOINT inspect")

    def _inspect(self, command, arg):
        cur = self.cur
        if command == "heads":
            cur.execute("SELECT h FROM pfm_heads(%s) AS h", (arg == "resolve",))
            return {"ok": True, "result": [row[0] for row in cur.fetchall()]}
        if command == "branches":
            cur.execute("SELECT revision, branches_into FROM pfm_branches()")
            return {"ok": True, "result": ["%s:%s" % (rid, ",".join(into)) for rid, into in cur.fetchall()]}
        if command == "show":
            cur.execute("SELECT %s FROM pfm_show(%%s::text)" % ", ".join(c for c, _ in SHOW_COLUMNS), (arg,))
            entries = []
            for row in cur.fetchall():
                e = {key: value for (_, key), value in zip(SHOW_COLUMNS, row)}
                e["is_base"] = not e["parents"]
                entries.append(e)
            return {"ok": True, "show": entries, "keys": SHOW_SQL_KEYS}
        if command == "history":
            cur.execute("SELECT revision FROM pfm_history(%s::text)", (arg,))
            return {"ok": True, "result": [row[0] for row in cur.fetchall()]}
        if command == "stamp_purge":
            cur.execute("SELECT coalesce(max(id), 0) FROM pfm_migrate.audit")
            last = cur.fetchone()[0]
            cur.execute("SELECT pfm_stamp(%s::text, purge => true)", (arg,))
            cur.execute("SELECT revision, direction FROM pfm_migrate.audit"
                        " WHERE id > %s AND operation = 'stamp' ORDER BY id", (last,))
            rows = cur.fetchall()
            _, heads = self.db_state()
            return {"ok": True, "mark": [r for r, d in rows if d == "upgrade"],
                    "unmark": [r for r, d in rows if d == "downgrade"], "heads": heads}
        rev_id, head, splice, labels, deps = arg
        cur.execute("SELECT pfm_revision('new revision', 'SELECT 1;', 'SELECT 1;', head => %s, splice => %s,"
                    " branch_label => %s, depends_on => %s::text[], rev_id => %s)",
                    (head, splice, ",".join(labels) or None, list(deps) or None, rev_id))
        cur.execute("SELECT down_revisions, depends_on, branch_labels FROM pfm_migrate.revisions"
                    " WHERE revision = %s", (rev_id,))
        parents, depends_on, new_labels = cur.fetchone()
        return {"ok": True, "parents": parents, "depends_on": depends_on, "labels": new_labels}

    def finish(self, keep):
        if self.open_savepoint:
            self.cur.execute("RELEASE SAVEPOINT cmd" if keep else "ROLLBACK TO SAVEPOINT cmd; RELEASE SAVEPOINT cmd")
            self.open_savepoint = False

    def end_episode(self):
        self.conn.commit()

    def close(self):
        self.conn.rollback()
        self.cur.execute("DROP EXTENSION IF EXISTS pfm_migrate CASCADE")
        self.conn.commit()
        self.conn.close()


# pfm_show()'s columns that `alembic show` describes, and the key of each in pfm_plan_cli's
# answer; with is_base (no parent) these are the keys a show through SQL is compared on
# (pfm_show has no column for dependants, depends_on_ids or is_effective_head).
SHOW_COLUMNS = [("revision", "id"), ("parents", "parents"), ("depends_on", "depends_on"),
                ("branches_into", "children"), ("branch_labels", "branch_labels"), ("branch_names", "branch_names"),
                ("is_head", "is_head"), ("is_branch_point", "is_branch_point"), ("is_merge_point", "is_merge_point")]
SHOW_SQL_KEYS = [key for _, key in SHOW_COLUMNS] + ["is_base"]


class ScenarioSql:
    """The scenarios of alembic_scenarios.py through SQL: each command from its own start state,
    written straight into the catalog (it may name revisions that are not registered) inside a
    savepoint that is rolled back afterwards. With a core (--cli), every answer is also checked
    against the core's; differences are kept in `problems`."""

    def __init__(self, sql, core):
        self.sql, self.core, self.g = sql, core, None
        self.problems = []

    def load(self, g):
        self.g = g
        self.sql.load(g)
        if self.core:
            self.core.load(g)

    def _from_state(self, applied, fn):
        cur = self.sql.cur
        cur.execute("SAVEPOINT scenario")
        try:
            self.sql.force_state(self.g, applied)
            return fn()
        finally:
            cur.execute("ROLLBACK TO SAVEPOINT scenario")
            cur.execute("RELEASE SAVEPOINT scenario")

    def query(self, command, target, applied):
        def run():
            out = self.sql.query(command, target)
            self.sql.finish(keep=False)
            return out
        out = self._from_state(applied, run)
        if self.core:
            problem = check_sql(command, applied, None, out, self.core.query(command, target, applied))
            if problem:
                self.problems.append("%s %s from %s: %s" % (command, target, sorted(applied), problem))
        return out

    def query_inspect(self, command, arg, applied):
        out = self._from_state(applied, lambda: self.sql.query_inspect(command, arg, applied))
        if self.core:
            problem = check_sql_inspect(command, out, query_inspect(self.core, command, arg, applied))
            if problem:
                self.problems.append("%s %s from %s: %s" % (command, arg, sorted(applied), problem))
        return out


def sql_inspect_view(command, ours):
    """The part of a looking/authoring answer the SQL side gives."""
    if command == "show":
        return [{k: e[k] for k in SHOW_SQL_KEYS} for e in ours["show"]]
    if command == "stamp_purge":
        return ours["mark"], ours["unmark"], ours["heads"]
    if command == "new_revision":
        return ours["parents"], ours["depends_on"], ours["labels"]
    return ours["result"]


def check_sql_inspect(command, sql, cli):
    """What only the SQL side of a looking/authoring command can get wrong: an untyped
    SQLSTATE, or (with --cli) any difference from the core's answer. A problem or None."""
    if not sql["ok"] and sql["sqlstate"] not in TYPED_SQLSTATES:
        return "untyped SQLSTATE %s: %s" % (sql["sqlstate"], sql["message"])
    if cli is None:
        return None
    if cli["ok"] != sql["ok"]:
        return "sql and cli disagree: sql=%s cli=%s" % (describe_inspect(command, sql), describe_inspect(command, cli))
    if not sql["ok"]:
        if KIND_SQLSTATE.get(cli["kind"], "XX000") != sql["sqlstate"] or cli["message"] != sql["message"]:
            return "sql and cli errors differ: sql=%s cli=%s" % (describe(sql), describe(cli))
        return None
    if sql_inspect_view(command, sql) != sql_inspect_view(command, cli):
        return "sql and cli results differ: sql=%s cli=%s" % (sql_inspect_view(command, sql),
                                                             sql_inspect_view(command, cli))
    return None


def check_sql(command, applied, new, sql, cli):
    """What only the SQL side can get wrong. `new` is the applied set the comparison accepted
    (None if the command erred or was not accepted). Returns a problem or None."""
    if sql["db_before"] != set(applied):
        return "out of sync: the applied table held %s before the command, expected %s" % (
            sorted(sql["db_before"]), sorted(applied))
    if not sql["ok"]:
        if sql["sqlstate"] not in TYPED_SQLSTATES:
            return "untyped SQLSTATE %s: %s" % (sql["sqlstate"], sql["message"])
    else:
        if command != "stamp" and any(d != command for d in sql["directions"]):
            return "direction column %s for %s" % (sql["directions"], command)
        if new is not None and sql["db_applied"] != set(new):
            return "applied table %s != applied set implied by the steps %s" % (
                sorted(sql["db_applied"]), sorted(new))
    if cli is None:
        return None
    # The glue must not change the core's answer in any way.
    if cli["ok"] != sql["ok"]:
        return "sql and cli disagree: sql=%s cli=%s" % (describe(sql), describe(cli))
    if not sql["ok"]:
        if KIND_SQLSTATE.get(cli["kind"], "XX000") != sql["sqlstate"] or cli["message"] != sql["message"]:
            return "sql and cli errors differ: sql=%s cli=%s" % (describe(sql), describe(cli))
        return None
    keys = ("mark", "unmark", "heads") if command == "stamp" else ("steps", "heads")
    if any(sorted(cli[k]) != sorted(sql[k]) if k != "steps" else cli[k] != sql[k] for k in keys):
        return "sql and cli results differ: sql=%s cli=%s" % (describe(sql), describe(cli))
    return None


def describe(ours):
    if ours is None:
        return "-"
    if not ours["ok"]:
        return "error %s %s: %s%s" % (ours.get("sqlstate", ""), ours["kind"], ours["message"],
                                       " (%s)" % ours["detail"] if ours.get("detail") else "")
    if "steps" in ours:
        return "steps=%s heads=%s" % (ours["steps"], ours["heads"])
    return "mark=%s unmark=%s heads=%s" % (ours["mark"], ours["unmark"], ours["heads"])


# --------------------------------------------------------------------------- comparison

VERBOSE_CLASSES = False


def check_invariants(g, command, applied, ours):
    """Our result must be self-consistent: a valid order, an ancestor-closed applied
    set afterwards and heads_after = the heads of that set. Returns (problem, new_applied)."""
    if command == "stamp":
        new = (set(applied) | set(ours["mark"])) - set(ours["unmark"])
        if set(ours["mark"]) & set(applied) or not set(ours["unmark"]) <= set(applied):
            return "stamp marks an applied or unmarks an unapplied revision", new
        order_ok = True
    else:
        steps = ours["steps"]
        if len(set(steps)) != len(steps):
            return "duplicate step", set(applied)
        if command == "upgrade":
            if set(steps) & set(applied):
                return "upgrade re-applies a revision", set(applied)
            done = set(applied)
            order_ok = True
            for s in steps:
                order_ok = order_ok and all(d in done for d in g.down[s])
                done.add(s)
            new = done
        else:
            if not set(steps) <= set(applied):
                return "downgrade reverts an unapplied revision", set(applied)
            left = set(applied)
            order_ok = True
            for s in steps:
                order_ok = order_ok and not any(u in left for u in g.up[s])
                left.discard(s)
            new = left
    if not order_ok:
        return "steps are not in a valid topological order", new
    if g.closure(new) != new:
        return "applied set after the command is not ancestor-closed", new
    if g.version_heads(new) != ours["heads"]:
        return "heads_after %s != heads of the applied set %s" % (ours["heads"], g.version_heads(new)), new
    return None, new


def classify_error_mismatch(g, command, target, heads, alembic, ours):
    """An error on one side only (or an Alembic crash): the expected-difference class, or None."""
    kind, msg = alembic.error if alembic.error else (None, None)
    cause = alembic.cause or ""
    if kind == "internal":
        if ours["ok"] or ours["kind"] not in ("internal", "exception"):
            return "alembic_internal_error:" + msg.split(":")[0]
        return None
    if command == "downgrade" and target.startswith("-") and len(heads) > 1:
        if not ours["ok"] and "multiple heads" in ours["message"]:
            return "downgrade_relative_multiple_heads"
    if kind == "command" and "Multiple revisions start with" in cause:
        if not ours["ok"] and ours["kind"] == "ambiguous_revision":
            return "ambiguous_prefix"
        if ours["ok"]:
            # every key that matched must name the same revision
            text = target.split("@")[-1]
            keys = [r.id for r in g.revs if len(r.id) > 3 and r.id.startswith(text)]
            keys += [(l, r.id) for r in g.revs for l in r.labels if len(l) > 3 and l.startswith(text)]
            revs = {k if isinstance(k, str) else k[1] for k in keys}
            if len(revs) == 1:
                return "prefix_alias_same_revision"
            if "@" in target:
                return "downgrade_label_resolution" if command == "downgrade" else "prefix_alias_same_revision"
    if kind == "command" and "overlaps with other requested revisions" in cause and ours["ok"]:
        return "overlapping_targets"
    if command == "downgrade" and "@" in target and not target.split("@")[1].lstrip("+-").isdigit():
        # Alembic: label@head(s) is the global head(s); label@rev is not checked for membership
        if kind == "command" and "Multiple head" in msg and ours["ok"]:
            return "downgrade_label_resolution"
        if alembic.error is None and not ours["ok"] and "is not a member of branch" in ours["message"]:
            return "downgrade_label_resolution"
    if command == "stamp" and target.split("@")[-1] == "heads" and alembic.error is None and ours["ok"]:
        return "stamp_several_destinations"
    return None


def compare(g, command, target, applied, alembic, ours, stats):
    heads = g.version_heads(applied)
    if alembic.error or not ours["ok"]:
        if alembic.error and not ours["ok"]:
            if alembic.cause and "Multiple revisions start with" in alembic.cause:
                stats["ambiguous_prefix"] += 1
            stats["(both refuse)"] += 1
            if alembic.error[0] == "internal":
                cls = "alembic_internal_error:" + alembic.error[1].split(":")[0]
                stats[cls] += 1
                if VERBOSE_CLASSES:
                    print("  [%s] %s %s from %s: alembic=%s ours=%s" % (cls, command, target, heads, alembic.error,
                                                                   ours["message"]))
            return None, None
        cls = classify_error_mismatch(g, command, target, heads, alembic, ours)
        if cls is None:
            return "error mismatch: alembic=%s ours=%s" % (
                alembic.error or "ok",
                "ok" if ours["ok"] else "%s: %s (%s)" % (ours["kind"], ours["message"], ours.get("detail", "")),
            ), None
        stats[cls] += 1
        if VERBOSE_CLASSES:
            print("  [%s] %s %s from %s: alembic=%s ours=%s" % (cls, command, target, heads, alembic.error or alembic.rows,
                                                           ours if ours["ok"] else ours["message"]))
        if ours["ok"]:
            problem, new = check_invariants(g, command, applied, ours)
            if problem:
                return "[%s] ours fails invariants: %s" % (cls, problem), None
            return None, new
        return None, None

    problem, new = check_invariants(g, command, applied, ours)
    if problem:
        return problem, None
    if command != "stamp" and sorted(alembic.steps) != sorted(ours["steps"]):
        return "steps differ: alembic=%s ours=%s" % (alembic.steps, ours["steps"]), None
    if command != "stamp" and alembic.steps == ours["steps"]:
        stats["(same step order as alembic)"] += 1
    if alembic.maintenance_error:
        cls = "alembic_internal_error:" + alembic.maintenance_error.split(":")[0]
        stats[cls] += 1
        if VERBOSE_CLASSES:
            print("  [%s] %s %s from %s: alembic steps=%s (rows: %s) ours=%s" % (
                cls, command, target, heads, alembic.steps, alembic.maintenance_error, ours))
        return None, new
    reduced = g.reduce_rows(alembic.rows)
    if reduced != ours["heads"]:
        if command == "stamp" and target.split("@")[-1] == "heads":
            stats["stamp_several_destinations"] += 1
            if VERBOSE_CLASSES:
                print("  [stamp_several_destinations] stamp %s from %s: alembic rows=%s ours=%s" % (
                    target, heads, alembic.rows, ours["heads"]))
            return None, new
        return "heads differ: alembic rows=%s ours=%s" % (alembic.rows, ours["heads"]), None
    if reduced != alembic.rows:
        stats["redundant_version_rows"] += 1
    stats["(both succeed, same result)"] += 1
    return None, new


# --------------------------------------------------------------------------- looking and authoring

# Commands that change no state: `alembic heads [--resolve-dependencies]`, `branches`, `show`,
# `history -r`, `stamp --purge` (its plan), and the parent selection of `alembic revision`.
INSPECT_COMMANDS = ("heads", "branches", "show", "history", "stamp_purge", "new_revision")

MULTIPLE_HEADS_FOR_REVISION = ("Multiple heads are present; please specify the head revision on which the new "
                               "revision should be based, or perform a merge.")


def fake_scripts(graph, extra=()):
    """Fresh FakeScripts for the graph (building a RevisionMap mutates its revisions)."""
    revs = []
    for r in list(graph.revs) + list(extra):
        down = tuple(r.parents) if len(r.parents) > 1 else (r.parents[0] if r.parents else None)
        revs.append(FakeScript(r.id, down, dependencies=tuple(r.deps_text) or None,
                               branch_labels=tuple(r.labels) or None))
    return revs


def alembic_history(sd, range_text, heads):
    """command.history's range handling, then walk_revisions (ids, newest first)."""
    if ":" not in range_text:
        raise alembic_util.CommandError("History range requires [start]:[end], [start]:, or :[end]")
    base, head = range_text.strip().split(":")
    rev = tuple(heads)
    if head == "current":
        head = rev
    elif base == "current":
        base = rev
    return [sc.revision for sc in sd.walk_revisions(base=base or "base", head=head or "heads")]


def alembic_show_entry(rev):
    return {
        "id": rev.revision,
        "parents": list(rev._versioned_down_revisions),
        "depends_on": list(alembic_util.to_tuple(rev.dependencies, default=())),
        "depends_on_ids": list(rev._resolved_dependencies),
        "children": sorted(rev.nextrev),
        "dependants": sorted(rev._all_nextrev - rev.nextrev),
        "branch_labels": list(rev._orig_branch_labels),
        "branch_names": sorted(rev.branch_labels),
        "is_base": rev.is_base,
        "is_head": rev.is_head,
        "is_effective_head": rev.is_head and not rev._is_real_head,
        "is_branch_point": rev.is_branch_point,
        "is_merge_point": rev.is_merge_point,
    }


def alembic_new_revision(sd, graph, rev_id, head, splice, labels, deps):
    """ScriptDirectory.generate_revision without the file: its checks, parents and depends_on."""
    from alembic.script.revision import RevisionError, tuple_rev_as_scalar
    from alembic.util import not_none

    try:
        Revision.verify_rev_id(rev_id)
    except RevisionError as err:
        raise alembic_util.CommandError(err.args[0]) from err
    with sd._catch_revision_errors(multiple_heads=MULTIPLE_HEADS_FOR_REVISION):
        heads = sd.revision_map.get_revisions(head)
        for h in heads:
            assert h != "base"
    if len(set(heads)) != len(heads):
        raise alembic_util.CommandError("Duplicate head revisions specified")
    if not splice:
        for h in heads:
            if h is not None and not h.is_head:
                raise alembic_util.CommandError(
                    "Revision %s is not a head revision; please specify --splice to create a new branch from this "
                    "revision" % h.revision)
    resolved = []
    if deps:
        with sd._catch_revision_errors():
            resolved = [dep if dep in rev.branch_labels else rev.revision
                        for rev, dep in [(not_none(sd.revision_map.get_revision(dep)), dep) for dep in deps]]
    parents = [h.revision for h in heads if h is not None]
    new = Rev(rev_id, parents, [], list(labels), deps_text=resolved)
    try:
        RevisionMap(lambda: fake_scripts(graph, [new]))._revision_map
    except RevisionError as err:
        raise alembic_util.CommandError(err.args[0]) from err
    return {"parents": sorted(parents), "depends_on": resolved, "labels": list(labels)}


def run_alembic_inspect(sd, g, command, arg, heads):
    """Alembic's answer to a looking/authoring command: AlembicResult with .value set."""
    if command == "stamp_purge":
        return run_alembic(sd, "stamp", arg, ())  # --purge: the version table is emptied first
    if sd.broken is not None:
        return broken_result(sd)
    res = AlembicResult()
    res.value = None
    rm = sd.revision_map
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if command == "heads":
                res.value = sorted(rm._real_heads if arg == "resolve" else rm.heads)
            elif command == "branches":
                res.value = sorted("%s:%s" % (sc.revision, ",".join(sorted(sc.nextrev)))
                                   for sc in sd.walk_revisions() if sc.is_branch_point)
            elif command == "show":
                revs = sd.get_revisions(tuple(heads) if arg == "current" else arg)
                res.value = sorted((alembic_show_entry(r) for r in revs if r is not None), key=lambda e: e["id"])
            elif command == "history":
                res.value = alembic_history(sd, arg, heads)
            else:
                res.value = alembic_new_revision(sd, g, *arg)
        except alembic_util.CommandError as e:
            res.error = ("command", str(e))
            res.cause = str(e.__cause__) if e.__cause__ is not None else None
        except Exception as e:  # noqa: BLE001
            res.error = ("internal", "%s: %s" % (type(e).__name__, e))
        res.warned = [str(w.message) for w in caught]
    return res


def query_inspect(core, command, arg, applied):
    if hasattr(core, "query_inspect"):  # SqlCore, ScenarioSql
        return core.query_inspect(command, arg, applied)
    if command == "new_revision":
        rev_id, head, splice, labels, deps = arg
        return core.query_line("Q new_revision|%s|%s|%s|%s|%s" % (rev_id, head, "1" if splice else "", ",".join(labels),
                                                                 ",".join(deps)))
    cmd = {"history": "history_range"}.get(command, command)
    return core.query_line("Q %s|%s|%s" % (cmd, arg, ",".join(sorted(applied))))


def ours_inspect_value(command, ours):
    if command == "show":
        return sorted(ours["show"], key=lambda e: e["id"])
    if command == "new_revision":
        return {"parents": sorted(ours["parents"]), "depends_on": ours["depends_on"], "labels": ours["labels"]}
    if command == "branches":  # ours newest first, Alembic's in its map order
        return sorted(ours["result"])
    return ours["result"]


def random_inspect(rng, g, applied):
    """One looking/authoring command (a stream of its own, so the moving commands stay the same)."""
    ids = [r.id for r in g.revs]
    rid = lambda: rng.choice(ids)  # noqa: E731
    labels = g.labels
    lab = lambda: rng.choice(labels) if labels else rid()  # noqa: E731
    prefix = lambda: rng.choice([rid(), rid(), lab()])[: rng.randint(1, 6)]  # noqa: E731
    k = lambda: rng.randint(1, 4)  # noqa: E731
    roll = rng.random()
    if roll < 0.12:
        return "heads", rng.choice(["", "resolve"])
    if roll < 0.18:
        return "branches", ""
    if roll < 0.36:
        return "show", rng.choice([rid, rid, prefix, lab, lambda: lab() + "@head", lambda: "heads", lambda: "head",
                                   lambda: "current", lambda: "base", lambda: rid() + "@head",
                                   lambda: "%s@%s" % (lab(), rid())])()
    if roll < 0.66:
        starts = [lambda: "", lambda: "base", rid, rid, lambda: "current", lambda: "-%d" % k(), lambda: "heads"]
        ends = [lambda: "", lambda: "heads", lambda: "head", rid, rid, lambda: "current", lambda: "+%d" % k(),
                lambda: "%s+%d" % (rid(), k()), lambda: "%s-%d" % (rid(), k()), prefix]
        if labels:
            starts += [lambda: lab() + "@base", lambda: "%s@-%d" % (lab(), k()), lab]
            ends += [lambda: lab() + "@head", lab, lambda: "%s@+%d" % (lab(), k())]
        if rng.random() < 0.03:
            return "history", rng.choice([rid(), "heads", "a:b:c"])
        return "history", "%s:%s" % (rng.choice(starts)(), rng.choice(ends)())
    if roll < 0.80:
        target = rng.choice([rid, rid, lambda: "heads", lambda: "head", lambda: "base", lab,
                             lambda: lab() + "@head", lambda: lab() + "@base"])()
        return "stamp_purge", target
    rev_id = rng.choice(["n" + "".join(rng.choice("0123456789abcdef") for _ in range(8))] * 6 + [rid(), lab()])
    head = rng.choice(["head", "head", "heads", "base", rid(), rid(), lab(), lab() + "@head", prefix()])
    new_labels = rng.choice([[], [], [], ["newlab"], [lab()], ["newlab", "newlab"], [rev_id]])
    deps = rng.choice([[], [], [rid()], [lab()], [prefix()], [rid(), lab()], ["head"], ["nosuchrev"]])
    return "new_revision", (rev_id, head, rng.random() < 0.4, new_labels, deps)


def phantom_applied(rng, applied):
    """An applied set that also names revisions that are not registered (a deleted file)."""
    return set(applied) | {"zz%04x" % rng.randint(0, 0xffff) for _ in range(rng.choice([0, 1, 1, 2]))}


def history_start_reaches_base(sd, range_text):
    """Does the start -N / label@-N of the range walk down to (or past) base from some head?"""
    if range_text.count(":") != 1:
        return False
    start = range_text.strip().split(":")[0]
    label, _, rel = start.rpartition("@")
    if not (rel.startswith("-") and rel[1:].isdigit()):
        return False
    rm = sd.revision_map
    heads = [rm.get_revision(h) for h in rm._real_heads]
    if label:
        heads = [h for h in heads if label in h.branch_labels]
    try:
        return any([rm._walk(h, steps=-int(rel[1:])) in (None, "base") for h in heads])
    except Exception:  # noqa: BLE001 -- an ambiguous walk is not this case
        return False


def prefix_alias_in_cause(g, cause):
    """The cause is "Multiple revisions start with 'x'" and every key starting with x names one revision."""
    m = re.match(r"Multiple revisions start with '([^']*)'", cause or "")
    if not m:
        return False
    text = m.group(1)
    revs = {r.id for r in g.revs if len(r.id) > 3 and r.id.startswith(text)}
    revs |= {r.id for r in g.revs for l in r.labels if len(l) > 3 and l.startswith(text)}
    return len(revs) == 1


def classify_inspect_mismatch(g, sd, command, arg, alembic, ours):
    kind = alembic.error[0] if alembic.error else None
    if kind == "internal":
        if ours["ok"] or ours["kind"] not in ("internal", "exception"):
            return "alembic_internal_error:" + alembic.error[1].split(":")[0]
        return None
    cause = alembic.cause or ""
    if kind == "command" and ours["ok"] and prefix_alias_in_cause(g, cause):
        return "prefix_alias_same_revision"
    if command == "history" and ours["ok"]:
        if kind == "command" and "overlaps with other requested revisions" in cause:
            return "overlapping_targets"
        if kind == "command" and history_start_reaches_base(sd, arg):
            return "history_relative_start_at_base"
    if (command == "new_revision" and kind is None and not ours["ok"]
            and any("is present more than once" in w for w in alembic.warned)):
        return "duplicate_rev_id"
    return None


def compare_inspect(g, sd, command, arg, applied, alembic, ours, stats):
    """Returns a problem or None."""
    if alembic.error or not ours["ok"]:
        if alembic.error and not ours["ok"]:
            if alembic.cause and "Multiple revisions start with" in alembic.cause:
                stats["ambiguous_prefix"] += 1
            if alembic.error[0] == "internal":
                stats["alembic_internal_error:" + alembic.error[1].split(":")[0]] += 1
            stats["(both refuse)"] += 1
            return None
        cls = classify_inspect_mismatch(g, sd, command, arg, alembic, ours)
        if cls is None:
            return "error mismatch: alembic=%s ours=%s" % (
                alembic.error or "ok: %s" % (alembic.value if command != "stamp_purge" else alembic.rows),
                "ok: %s" % describe_inspect(command, ours) if ours["ok"] else "%s: %s (%s)" % (
                    ours["kind"], ours["message"], ours.get("detail", "")))
        stats[cls] += 1
        if VERBOSE_CLASSES:
            print("  [%s] %s %s: alembic=%s ours=%s" % (cls, command, arg, alembic.error or alembic.value,
                                                      describe_inspect(command, ours)))
        return None
    if command == "stamp_purge":
        if alembic.maintenance_error:
            stats["alembic_internal_error:" + alembic.maintenance_error.split(":")[0]] += 1
            return None
        rows = g.reduce_rows(alembic.rows)
        if ours["heads"] != rows or sorted(ours["mark"]) != sorted(g.closure(alembic.rows)):
            return "purge differs: alembic rows=%s ours=%s" % (alembic.rows, describe(ours))
        if sorted(ours["unmark"]) != sorted(applied):
            return "purge forgets %s, the applied set is %s" % (ours["unmark"], sorted(applied))
        if rows != alembic.rows:
            stats["redundant_version_rows"] += 1
        stats["(both succeed, same result)"] += 1
        return None
    mine = ours_inspect_value(command, ours)
    theirs = alembic.value
    if command == "show" and "keys" in ours:  # through SQL: the columns pfm_show() has
        theirs = [{k: e[k] for k in ours["keys"]} for e in theirs]
    if command == "history":
        if sorted(mine) != sorted(theirs):
            return "history differs: alembic=%s ours=%s" % (theirs, mine)
        if mine == theirs:
            stats["(same history order as alembic)"] += 1
    elif mine != theirs:
        return "%s differs: alembic=%s ours=%s" % (command, theirs, mine)
    stats["(both succeed, same result)"] += 1
    return None


def describe_inspect(command, ours):
    if not ours["ok"]:
        return describe(ours)
    if command == "stamp_purge":
        return describe(ours)
    return str(ours_inspect_value(command, ours))


# --------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", help="path to pfm_plan_cli (required without --sql; with --sql, also cross-checks"
                    " every SQL result against the core's)")
    ap.add_argument("--sql", action="store_true",
                    help="drive the installed extension through SQL (psycopg2, libpq environment) instead of the CLI")
    ap.add_argument("--dbname", help="database for --sql (the extension is dropped and created in it per graph)")
    ap.add_argument("--graphs", type=int, default=None, help="default: 300, or 60 with --sql")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--episodes", type=int, default=5, help="start states per graph")
    ap.add_argument("--steps", type=int, default=6, help="commands per start state")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--show-classes", action="store_true", help="print every expected difference")
    ap.add_argument("--no-scenarios", action="store_true", help="skip the scenarios ported from Alembic's tests")
    args = ap.parse_args()
    if not args.sql and not args.cli:
        ap.error("--cli is required (or use --sql)")
    if args.sql and not args.dbname:
        ap.error("--sql needs --dbname")
    if args.graphs is None:
        args.graphs = 60 if args.sql else 300
    global VERBOSE_CLASSES
    VERBOSE_CLASSES = args.show_classes

    started = time.monotonic()
    rng = random.Random(args.seed)
    core = Core(args.cli) if args.cli else None
    sql = SqlCore(args.dbname) if args.sql else None
    stats = collections.Counter()
    commands = passed = failed = 0
    inspected = inspect_failed = 0
    shown = 0
    # The looking/authoring commands (heads, branches, show, history, stamp --purge, revision)
    # run against the core, or with --sql through the extension (checked against the core too
    # with --cli).
    inspect = True

    def show_graph(g):
        for r in g.revs:
            print("    %s parents=%s deps=%s labels=%s" % (r.id, r.parents, r.deps_text, r.labels))

    scenario_stats = None
    if inspect and not args.no_scenarios:
        import alembic_scenarios

        through = ScenarioSql(sql, core) if sql else core
        scenario_stats = alembic_scenarios.run(through, sys.modules[__name__], verbose=args.verbose)
        failed += scenario_stats["failed"]
        if sql:
            for problem in through.problems:
                print("FAIL scenario through SQL: " + problem)
            scenario_stats["failed"] += len(through.problems)
            failed += len(through.problems)

    for gi in range(args.graphs):
        g = random_graph(rng, gi, random.Random(args.seed * 7919 + gi))
        irng = random.Random(args.seed * 104729 + gi)
        sd = alembic_script_directory(g)
        if core:
            core.load(g)
        if sql:
            sql.load(g)
        for _ in range(args.episodes):
            ids = [r.id for r in g.revs]
            k = rng.choice([0, 0, 1, 1, 2, 3])
            applied = g.closure(rng.sample(ids, min(k, len(ids))))
            if sql:
                problem = sql.set_state(g, applied)
                if problem:
                    failed += 1
                    if shown < 25 or args.verbose:
                        shown += 1
                        print("FAIL graph %d: setting the start state %s" % (gi, g.version_heads(applied)))
                        show_graph(g)
                        print("    " + problem)
            for _ in range(args.steps):
                if inspect:
                    inspected += 1
                    icmd, iarg = random_inspect(irng, g, applied)
                    state = phantom_applied(irng, applied) if icmd == "stamp_purge" else applied
                    alembic = run_alembic_inspect(sd, g, icmd, iarg, g.version_heads(applied))
                    cli_inspect = query_inspect(core, icmd, iarg, state) if core else None
                    ours = sql.query_inspect(icmd, iarg, state) if sql else cli_inspect
                    problem = compare_inspect(g, sd, icmd, iarg, state, alembic, ours, stats)
                    if sql and problem is None:
                        problem = check_sql_inspect(icmd, ours, cli_inspect)
                        if problem is None and cli_inspect is not None:
                            stats["(sql result = cli result, looking/authoring)"] += 1
                    if problem:
                        inspect_failed += 1
                        if shown < 25 or args.verbose:
                            shown += 1
                            print("FAIL graph %d: %s %s from heads %s" % (gi, icmd, iarg, g.version_heads(state)))
                            show_graph(g)
                            print("    " + problem)
                command, target = random_command(rng, g)
                heads = g.version_heads(applied)
                alembic = run_alembic(sd, command, target, heads)
                cli_res = core.query(command, target, applied) if core else None
                ours = sql.query(command, target) if sql else cli_res
                commands += 1
                problem, new = compare(g, command, target, applied, alembic, ours, stats)
                if sql and problem is None:
                    problem = check_sql(command, applied, new, ours, cli_res)
                    if problem is None and cli_res is not None:
                        stats["(sql result = cli result)"] += 1
                if sql:
                    sql.finish(keep=problem is None)
                if problem:
                    failed += 1
                    if shown < 25 or args.verbose:
                        shown += 1
                        print("FAIL graph %d: %s %s from heads %s" % (gi, command, target, heads))
                        show_graph(g)
                        print("    " + problem)
                        if sql:
                            print("    alembic: %s" % (
                                "error %s" % (alembic.error,) if alembic.error
                                else "steps=%s rows=%s" % (alembic.steps, alembic.rows or alembic.maintenance_error)))
                            print("    sql:     %s" % describe(ours))
                            if cli_res is not None:
                                print("    cli:     %s" % describe(cli_res))
                    continue
                passed += 1
                if args.verbose:
                    print("ok %s %s from %s -> %s" % (command, target, heads, describe(ours) if sql else ours))
                if new is not None:
                    applied = new
            if sql:
                sql.end_episode()
    if core:
        core.close()
    if sql:
        sql.close()

    print("expected differences and notes:")
    for k in sorted(stats):
        print("  %-45s %d" % (k, stats[k]))
    if sql:
        print("mode: sql%s; %.1f s" % (" + cli cross-check" if core else "", time.monotonic() - started))
    if scenario_stats:
        print("scenarios from Alembic's tests%s: %d commands in %d graphs (%d test functions), %d checked against"
              " Alembic's own expectation: %d failed" % (
                  " (through SQL)" if sql else "", scenario_stats["commands"], scenario_stats["graphs"],
                  scenario_stats["tests"], scenario_stats["expected"], scenario_stats["failed"]))
    if inspect:
        print("looking/authoring commands: %d, %d failed" % (inspected, inspect_failed))
    print("%d graphs, %d commands: %d passed, %d failed" % (args.graphs, commands, passed, failed))
    return 1 if failed or inspect_failed else 0


if __name__ == "__main__":
    sys.exit(main())
