#!/usr/bin/python3
"""pfm_migrate benchmark driver: engine cost next to `psql -1 -f` and Alembic, and planning
that scales (SPEC section 5, issue 6).

bench/run.sh prepares everything (packages, build, a throwaway cluster) and calls this with
the cluster's socket directory and port.  Standard library + psycopg2; Alembic is run as
`/usr/bin/python3 -m alembic` (Debian's python3-alembic has no `alembic` script).

Every timing is a wall-clock time taken around a subprocess (psql, alembic) or around a
statement in an open session, and every figure is the median over several runs.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

import psycopg2

PY = "/usr/bin/python3"  # Debian's interpreter: the one python3-alembic/psycopg2 are installed for


# ---------------------------------------------------------------------------------------------
# The server


class Server:
    def __init__(self, host, port):
        self.host, self.port = host, str(port)
        # Each migration step raises a NOTICE; keep the terminal (and the timings) clean.
        self.env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning", PGAPPNAME="pfm_bench")

    def psql_cmd(self, db, *args):
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", self.port,
                "-U", "postgres", "-d", db, *args]

    def timed(self, cmd, env=None, cwd=None):
        """Runs cmd, returns (seconds, stdout); raises with its stderr when it fails."""
        start = time.perf_counter()
        p = subprocess.run(cmd, env=env or self.env, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        if p.returncode != 0:
            sys.exit("bench: command failed (%d): %s\n%s" % (p.returncode, " ".join(cmd[:12]), p.stderr))
        return elapsed, p.stdout

    def psql(self, db, *args):
        return self.timed(self.psql_cmd(db, *args))

    def connect(self, db):
        conn = psycopg2.connect(host=self.host, port=self.port, user="postgres", dbname=db,
                                options="-c client_min_messages=warning", application_name="pfm_bench")
        conn.autocommit = True
        return conn

    def query(self, db, sql, params=None):
        conn = self.connect(db)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def fresh_db(self, name, extension=True):
        """A new, empty database (CREATE DATABASE ... TEMPLATE template0), with the extension."""
        self.drop_db(name)
        self.query("postgres", 'CREATE DATABASE "%s" TEMPLATE template0' % name)
        if extension:
            self.query(name, "CREATE EXTENSION pfm_migrate")

    def drop_db(self, name):
        self.query("postgres", 'DROP DATABASE IF EXISTS "%s"' % name)

    def settle(self):
        """Untimed: flush what earlier steps left dirty so it is not charged to the next one."""
        self.query("postgres", "CHECKPOINT")

    def alembic_url(self, db):
        return "postgresql+psycopg2://postgres@/%s?host=%s&port=%s" % (db, self.host, self.port)


def median(xs):
    return statistics.median(xs)


def explain_ms(cur, sql):
    """Server-side execution time of one statement (EXPLAIN ANALYZE's Execution Time)."""
    cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)
    return float(cur.fetchone()[0][0]["Execution Time"])


def cold_ms(server, db, sql, runs):
    """Server-side time of sql as the first statement of a new session (the module already
    loaded with LOAD, so its dlopen is not counted): what a deploy's single call pays."""
    return cold_run(server, db, sql, runs)["ms"]


def cold_run(server, db, sql, runs, read_only=False):
    """cold_ms, and the backend's memory around that first call (medians, kB, from
    /proc/self/status read by the backend itself): VmRSS before and after, VmHWM after, and
    the growth of RssAnon (private memory) and RssShmem (shared buffers it touched for the
    first time, which count in VmRSS but are not the backend's own)."""
    times, mem = [], []
    for _ in range(runs):
        conn = server.connect(db)
        with conn.cursor() as cur:
            cur.execute("LOAD 'pfm_migrate'")
            before = backend_rss_kb(cur)
            if read_only:  # (nothing recorded: the catalog image stays as it is)
                cur.execute("BEGIN READ ONLY")
            times.append(explain_ms(cur, sql))
            if read_only:
                cur.execute("COMMIT")
            after = backend_rss_kb(cur)
        conn.close()
        mem.append({"rss_before": before["VmRSS"], "rss_after": after["VmRSS"], "hwm": after["VmHWM"],
                    "anon": after["RssAnon"] - before["RssAnon"], "shmem": after["RssShmem"] - before["RssShmem"]})
    out = {"ms": median(times)}
    for key in mem[0]:
        out[key] = median([m[key] for m in mem])
    return out


def session_ms(cur, sql):
    """Round trip of one statement in an open session, as the client sees it."""
    start = time.perf_counter()
    cur.execute(sql)
    cur.fetchall()
    return (time.perf_counter() - start) * 1000.0


def say(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Generated migrations: the same bodies for pfm, psql -1 -f and Alembic


def rev_id(i):
    return "r%05d" % i


def migration_statements(i):
    """Migration i: a new table with an index, a column on the previous migration's table,
    100 rows.  Statements are kept separate so Alembic gets one op.execute() per statement."""
    t = "t%05d" % i
    stmts = [
        "CREATE TABLE %s (\n    id bigserial PRIMARY KEY,\n    account_id bigint NOT NULL,\n"
        "    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n)" % t,
        "CREATE INDEX %s_account_id_idx ON %s (account_id)" % (t, t),
    ]
    if i > 1:
        stmts.append("ALTER TABLE t%05d ADD COLUMN note_%05d text" % (i - 1, i))
    stmts.append("INSERT INTO %s (account_id, name)\n"
                 "SELECT g / 10, 'row ' || g FROM generate_series(1, 100) AS g" % t)
    return stmts


def downgrade_statements(i):
    stmts = ["DROP TABLE t%05d" % i]
    if i > 1:
        stmts.insert(0, "ALTER TABLE t%05d DROP COLUMN note_%05d" % (i - 1, i))
    return stmts


def sql_body(stmts):
    return "".join(s + ";\n" for s in stmts)


def write_pfm_files(directory, n, body_of, down_of):
    """One migration file per revision, as scripts/deploy.sh loads them (see examples/pfm)."""
    os.makedirs(directory, exist_ok=True)
    files = []
    for i in range(1, n + 1):
        path = os.path.join(directory, "%s.sql" % rev_id(i))
        down = "NULL" if i == 1 else "'%s'" % rev_id(i - 1)
        with open(path, "w") as f:
            f.write("-- Revision ID: %s\n-- Revises: %s\n" % (rev_id(i), "" if i == 1 else rev_id(i - 1)))
            f.write("SELECT pfm_register(\n    revision      => '%s',\n    down_revision => %s,\n"
                    "    message       => 'migration %d',\n    upgrade       => $up$\n%s$up$,\n"
                    "    downgrade     => $down$\n%s$down$\n);\n"
                    % (rev_id(i), down, i, sql_body(body_of(i)), sql_body(down_of(i))))
        files.append(path)
    return files


ALEMBIC_ENV = '''\
import os

from alembic import context
from sqlalchemy import create_engine, pool

engine = create_engine(os.environ["BENCH_DB_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)  # one transaction for the whole run, like psql -1
    with context.begin_transaction():
        context.run_migrations()
'''


def write_alembic_project(directory, n, body_of, down_of):
    versions = os.path.join(directory, "versions")
    os.makedirs(versions, exist_ok=True)
    with open(os.path.join(directory, "alembic.ini"), "w") as f:
        f.write("[alembic]\nscript_location = %s\n" % directory)
    with open(os.path.join(directory, "env.py"), "w") as f:
        f.write(ALEMBIC_ENV)

    def ops(stmts):
        return "".join('    op.execute(\n        """%s"""\n    )\n' % s for s in stmts)

    for i in range(1, n + 1):
        down = "None" if i == 1 else repr(rev_id(i - 1))
        with open(os.path.join(versions, "%s.py" % rev_id(i)), "w") as f:
            f.write('"""migration %d\n\nRevision ID: %s\nRevises: %s\n"""\nfrom alembic import op\n\n'
                    "revision = %r\ndown_revision = %s\nbranch_labels = None\ndepends_on = None\n\n\n"
                    "def upgrade():\n%s\n\ndef downgrade():\n%s"
                    % (i, rev_id(i), "" if i == 1 else rev_id(i - 1), rev_id(i), down,
                       ops(body_of(i)), ops(down_of(i))))
    return directory


class Alembic:
    def __init__(self, server, project):
        self.server, self.project = server, project

    def run(self, db, *command):
        env = dict(self.server.env, BENCH_DB_URL=self.server.alembic_url(db))
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # let Python cache the compiled scripts, as usual
        return self.server.timed([PY, "-m", "alembic", "-c", os.path.join(self.project, "alembic.ini"), *command],
                                 env=env)


def write_dbmate_project(directory, n, body_of, down_of):
    """dbmate's layout: NNNNN_name.sql with -- migrate:up / -- migrate:down; each migration runs
    in its own transaction (dbmate's default), like CALL pfm_deploy."""
    os.makedirs(directory, exist_ok=True)
    for i in range(1, n + 1):
        with open(os.path.join(directory, "%05d_migration_%d.sql" % (i, i)), "w") as f:
            f.write("-- migrate:up\n%s\n-- migrate:down\n%s" % (sql_body(body_of(i)), sql_body(down_of(i))))
    return directory


class Dbmate:
    def __init__(self, server, binary, migrations):
        self.server, self.binary, self.migrations = server, binary, migrations

    def run(self, db, *command):
        url = "postgres://postgres@:%s/%s?socket=%s&sslmode=disable" % (self.server.port, db, self.server.host)
        return self.server.timed([self.binary, "--url", url, "--migrations-dir", self.migrations,
                                  "--no-dump-schema", *command])


# ---------------------------------------------------------------------------------------------
# 1. Apply N realistic migrations from empty


CPU_SQL = "SELECT pg_catalog.pg_read_file('/proc/self/schedstat')"


def backend_cpu(out):
    """The backend's CPU time so far, in seconds, from the last line psql printed: the first
    field of /proc/self/schedstat as read by the backend itself (nanoseconds on a CPU)."""
    return int(out.split()[-3]) / 1e9


def bench_apply(server, work, n, runs, alembic_runs, dbmate_binary=None):
    say("apply N=%d: generating files" % n)
    d = os.path.join(work, "apply_%d" % n)
    files = write_pfm_files(os.path.join(d, "migrations"), n, migration_statements, downgrade_statements)
    bodies = "".join("-- %s\n%s" % (rev_id(i), sql_body(migration_statements(i))) for i in range(1, n + 1))
    concatenated = os.path.join(d, "all.sql")
    with open(concatenated, "w") as f:
        f.write(bodies)
    alembic = Alembic(server, write_alembic_project(os.path.join(d, "alembic"), n, migration_statements,
                                                     downgrade_statements))
    dbmate = Dbmate(server, dbmate_binary, write_dbmate_project(os.path.join(d, "dbmate"), n, migration_statements,
                                                                downgrade_statements)) if dbmate_binary else None
    file_args = [a for path in files for a in ("-f", path)]
    db = "bench_apply"
    keys = ("register", "reregister", "pfm", "pfm_cpu", "steps_ms", "psql", "psql_cpu", "one", "one_cpu",
            "alembic", "deploy", "dbmate")
    t = {k: [] for k in keys}

    # Warm-up (untimed): byte-compiles the Alembic scripts and warms the page cache.
    server.fresh_db(db, extension=False)
    alembic.run(db, "heads")

    for r in range(max(runs, alembic_runs)):
        say("apply N=%d: run %d" % (n, r + 1))
        if r < runs:
            # pfm: register the N files (timed apart), then the upgrade alone. Like the floor
            # below, in one psql -1 transaction that ends by reading the backend's CPU time.
            server.fresh_db(db)
            server.settle()
            secs, _ = server.psql(db, "-1", "-o", "/dev/null", *file_args)
            t["register"].append(secs)
            server.settle()
            secs, out = server.psql(db, "-1", "-A", "-t", "-F", " ", "-c",
                                    "SELECT count(*), sum(elapsed_ms) FROM pfm_upgrade('head')", "-c", CPU_SQL)
            count, steps_ms = out.split()[:2]
            if int(count) != n:
                sys.exit("bench: pfm_upgrade applied %s revisions, expected %d" % (count, n))
            t["pfm"].append(secs)
            t["pfm_cpu"].append(backend_cpu(out))
            t["steps_ms"].append(float(steps_ms))
            # What every deploy does: load all the (unchanged) files again.
            secs, _ = server.psql(db, "-1", "-o", "/dev/null", *file_args)
            t["reregister"].append(secs)

            # The floor: the same bodies in one file, one transaction.
            server.fresh_db(db, extension=False)
            server.settle()
            secs, out = server.psql(db, "-1", "-A", "-t", "-f", concatenated, "-c", CPU_SQL)
            t["psql"].append(secs)
            t["psql_cpu"].append(backend_cpu(out))
            if r == 0 and server.query(db, "SELECT count(*) FROM t%05d" % n)[0][0] != 100:
                sys.exit("bench: psql -1 -f run looks wrong")

            # The server's own floor: the same bodies sent as ONE query string (one round trip,
            # where psql -f sends statements one by one), in one transaction.
            server.fresh_db(db, extension=False)
            server.settle()
            start = time.perf_counter()
            conn = server.connect(db)
            conn.autocommit = False
            with conn.cursor() as cur:
                cur.execute(bodies)
                cur.execute(CPU_SQL)
                cpu = backend_cpu(cur.fetchone()[0])
            conn.commit()
            conn.close()
            t["one"].append(time.perf_counter() - start)
            t["one_cpu"].append(cpu)

            # One transaction per revision: CALL pfm_deploy, next to dbmate, which commits per
            # migration too.
            server.fresh_db(db)
            server.psql(db, "-1", "-o", "/dev/null", *file_args)
            server.settle()
            secs, _ = server.psql(db, "-o", "/dev/null", "-c", "CALL pfm_deploy('head')")
            t["deploy"].append(secs)
            applied = server.query(db, "SELECT count(*) FROM pfm_migrate.applied")[0][0]
            if applied != n:
                sys.exit("bench: pfm_deploy applied %s revisions, expected %d" % (applied, n))
            if dbmate:
                server.fresh_db(db, extension=False)
                server.settle()
                secs, _ = dbmate.run(db, "up")
                t["dbmate"].append(secs)
                if server.query(db, "SELECT count(*) FROM schema_migrations")[0][0] != n:
                    sys.exit("bench: dbmate did not apply %d migrations" % n)
        if r < alembic_runs:
            server.fresh_db(db, extension=False)
            server.settle()
            secs, _ = alembic.run(db, "upgrade", "head")
            t["alembic"].append(secs)
            version = server.query(db, "SELECT version_num FROM alembic_version")
            if version != [(rev_id(n),)]:
                sys.exit("bench: alembic ended at %r, expected %s" % (version, rev_id(n)))
    server.drop_db(db)
    return {k: median(v) if v else None for k, v in t.items()} | {"runs": runs, "alembic_runs": alembic_runs,
                                                                  "n": n, "raw": t}


# ---------------------------------------------------------------------------------------------
# 1c. Bounded lock waits (pfm_migrate.lock_wait) with no contention: what they cost


def bench_lock_wait(server, work, n, runs):
    """The N migrations of section 1 applied with pfm_migrate.lock_wait off and on (2s), no
    other session: pfm_upgrade('head') in one transaction (the ALTER of the previous
    migration's table is not bounded there: the transaction created that table), and
    CALL pfm_deploy('head') (one transaction per revision: each ALTER of an existing table is
    bounded, in a subtransaction). Off and on alternate run by run, so that the machine's drift
    hits both alike; backend CPU time is the steadier figure on a shared machine."""
    say("lock_wait N=%d: generating files" % n)
    d = os.path.join(work, "lock_wait_%d" % n)
    files = write_pfm_files(os.path.join(d, "migrations"), n, migration_statements, downgrade_statements)
    file_args = [a for path in files for a in ("-f", path)]
    db = "bench_lock_wait"
    t = {k: [] for k in ("upgrade_off", "upgrade_on", "upgrade_off_cpu", "upgrade_on_cpu",
                         "deploy_off", "deploy_on", "deploy_off_cpu", "deploy_on_cpu")}
    for r in range(runs):
        say("lock_wait N=%d: run %d" % (n, r + 1))
        for mode in (("off", "on") if r % 2 == 0 else ("on", "off")):
            setting = "SET pfm_migrate.lock_wait = '%s'" % ("2s" if mode == "on" else "0")
            server.fresh_db(db)
            server.psql(db, "-1", "-o", "/dev/null", *file_args)
            server.settle()
            secs, out = server.psql(db, "-1", "-A", "-t", "-F", " ", "-c", setting, "-c",
                                    "SELECT count(*) FROM pfm_upgrade('head')", "-c", CPU_SQL)
            if int(out.split()[0]) != n:
                sys.exit("bench: pfm_upgrade applied %s revisions, expected %d" % (out.split()[0], n))
            t["upgrade_" + mode].append(secs)
            t["upgrade_%s_cpu" % mode].append(backend_cpu(out))
            server.fresh_db(db)
            server.psql(db, "-1", "-o", "/dev/null", *file_args)
            server.settle()
            secs, out = server.psql(db, "-A", "-t", "-c", setting, "-c", "CALL pfm_deploy('head')", "-c", CPU_SQL)
            if server.query(db, "SELECT count(*) FROM pfm_migrate.applied")[0][0] != n:
                sys.exit("bench: pfm_deploy did not apply %d revisions" % n)
            t["deploy_" + mode].append(secs)
            t["deploy_%s_cpu" % mode].append(backend_cpu(out))
    server.drop_db(db)
    return {"n": n, "runs": runs, "median": {k: median(v) for k, v in t.items()},
            "min": {k: min(v) for k, v in t.items()}, "raw": t}


def lock_wait_lines(lw):
    """Section 1c of the report, and the SPEC §12 line."""
    def pct(on, off):
        return (on / off - 1) * 100
    m = lw["median"]
    rows = []
    for call, key in (("`pfm_upgrade('head')` (one transaction)", "upgrade"),
                      ("`CALL pfm_deploy('head')` (one per revision)", "deploy")):
        rows.append([lw["n"], call, "%s / %s" % (fmt_s(m[key + "_off"]), fmt_s(m[key + "_on"])),
                     "%+.1f %%" % pct(m[key + "_on"], m[key + "_off"]),
                     "%s / %s" % (fmt_s(m[key + "_off_cpu"]), fmt_s(m[key + "_on_cpu"])),
                     "%+.1f %%" % pct(m[key + "_on_cpu"], m[key + "_off_cpu"]), lw["runs"]])
    # (medians: the minimum of five runs let one fast outlier decide, e.g. an off run at half
    # the CPU of every other run of the same call)
    worst = max(pct(m["upgrade_on_cpu"], m["upgrade_off_cpu"]), pct(m["deploy_on_cpu"], m["deploy_off_cpu"]))
    spec = ("- **`pfm_migrate.lock_wait` on, no contention, N = %d (SPEC §12)**: backend CPU %+.1f %% "
            "(`pfm_upgrade`) and %+.1f %% (`pfm_deploy`) next to off (target ≤ +5 %%: %s)."
            % (lw["n"], pct(m["upgrade_on_cpu"], m["upgrade_off_cpu"]), pct(m["deploy_on_cpu"], m["deploy_off_cpu"]),
               "met" if worst <= 5 else "NOT met"))
    lines = ["## 1c. Bounded lock waits with no contention\n",
             "The migrations of section 1 applied with `pfm_migrate.lock_wait` off and `'2s'`, no other session. "
             "Only a statement that may queue traffic is bounded (SHARE or a stronger lock on a table that "
             "existed before and that the transaction does not hold yet): in `pfm_upgrade` no statement of "
             "these bodies is (each ALTER's table was created in the same transaction), in `pfm_deploy` each "
             "ALTER of the previous revision's table is, in a subtransaction. Wall and backend CPU: "
             "medians over the runs (off and on alternate).\n",
             table(["N", "call", "wall off / on", "Δ wall", "backend CPU off / on", "Δ CPU", "runs"], rows), "",
             "Backend CPU of each run, off / on (s): " + "; ".join(
                 "%s %s" % (call, ", ".join("%.2f / %.2f" % pair for pair in zip(lw["raw"][key + "_off_cpu"],
                                                                                  lw["raw"][key + "_on_cpu"])))
                 for call, key in (("`pfm_upgrade`", "upgrade"), ("`pfm_deploy`", "deploy"))) + ".", ""]
    return spec, "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 1b. The engine's overhead for a non-transactional statement (worker start, hand-over)


def bench_nontx(server, work, statements, runs):
    """CALL pfm_deploy of one revision whose body is `SELECT 1` statements, timed on an open
    session: non-transactional (each statement handed to the background worker and run at top
    level there) against the same body as a transactional revision. SELECT 1 costs next to
    nothing, so the difference is the engine's: worker start, hand-over per statement."""
    db = "bench_nontx"
    server.fresh_db(db)
    conn = server.connect(db)  # autocommit: CALL pfm_deploy must run outside a transaction block
    t = {"tx_1": [], "nontx_1": [], "tx_n": [], "nontx_n": [], "psql_n": []}
    with conn.cursor() as cur:
        for kind, transactional in (("tx", True), ("nontx", False)):
            for size in (1, statements):
                rev = "%s_%d" % (kind, size)
                body = "SELECT 1;\n" * size
                cur.execute("SELECT pfm_register(revision => %s, upgrade => %s, downgrade => %s, "
                            "transactional => %s)", (rev, body, body, transactional))
        for r in range(runs):
            say("non-transactional overhead: run %d" % (r + 1))
            for key in ("tx_1", "nontx_1", "tx_n", "nontx_n"):
                server.settle()
                start = time.perf_counter()
                cur.execute("CALL pfm_deploy(%s)", (key.replace("_n", "_%d" % statements),))
                t[key].append(time.perf_counter() - start)
                cur.execute("CALL pfm_revert('base')")
        cur.execute("SELECT count(*) FROM pfm_migrate.audit WHERE revision = 'nontx_%d' AND operation = 'upgrade' "
                    "AND outcome = 'applied'" % statements)
        if cur.fetchone()[0] != runs:
            sys.exit("bench: the non-transactional revision was not applied %d times" % runs)
    conn.close()
    # The floor for top-level statements: psql -f sends each as its own transaction.
    path = os.path.join(work, "select1.sql")
    with open(path, "w") as f:
        f.write("SELECT 1;\n" * statements)
    for r in range(runs):
        secs, _ = server.psql(db, "-o", "/dev/null", "-f", path)
        t["psql_n"].append(secs)
    server.drop_db(db)
    m = {k: median(v) * 1000 for k, v in t.items()}
    return m | {"statements": statements, "runs": runs, "raw": t,
                "start_ms": m["nontx_1"] - m["tx_1"],
                "per_statement_ms": (m["nontx_n"] - m["nontx_1"] - (m["tx_n"] - m["tx_1"])) / (statements - 1)}


# ---------------------------------------------------------------------------------------------
# 2. "Anything to do?" at head


def register_chain(server, db, n):
    """Bulk-loads a chain of n revisions r000001 .. with `SELECT 1` bodies into db's catalog."""
    server.query(db, """
        INSERT INTO pfm_migrate.revisions (revision, down_revisions, message, upgrade, downgrade)
        SELECT 'r' || lpad(g::text, 6, '0'),
               CASE WHEN g = 1 THEN '{}' ELSE ARRAY['r' || lpad((g - 1)::text, 6, '0')] END,
               'migration ' || g, 'SELECT 1', 'SELECT 1'
          FROM generate_series(1, %s) AS g""", (n,))




def bench_at_head(server, work, n, session_runs, wall_runs, alembic_n, alembic_runs, alembic_big_runs):
    db = "bench_head"
    say("at head: %d revisions for pfm" % n)
    server.fresh_db(db)
    register_chain(server, db, n)
    start = time.perf_counter()
    applied = server.query(db, "SELECT count(*) FROM pfm_upgrade('head')")[0][0]
    apply_secs = time.perf_counter() - start
    assert applied == n, applied
    server.query(db, "VACUUM ANALYZE")
    server.settle()

    res = {"n": n, "apply_tiny_s": apply_secs, "session_runs": session_runs, "wall_runs": wall_runs}
    statements = {"noop": "SELECT count(*) FROM pfm_upgrade('head')", "current": "SELECT pfm_current()",
                  "status": "SELECT * FROM pfm_status()"}
    for key, sql in statements.items():
        res[key + "_cold_ms"] = cold_ms(server, db, sql, wall_runs)
    conn = server.connect(db)
    with conn.cursor() as cur:
        for key, sql in statements.items():
            session_ms(cur, sql)  # first call of the session: loads the module, prepares plans
            res[key + "_server_ms"] = median([explain_ms(cur, sql) for _ in range(session_runs)])
            res[key + "_session_ms"] = median([session_ms(cur, sql) for _ in range(session_runs)])
    conn.close()
    for key, sql in list(statements.items()) + [("select1", "SELECT 1")]:
        res[key + "_wall_ms"] = median([server.psql(db, "-o", "/dev/null", "-c", sql)[0] * 1000
                                        for _ in range(wall_runs)])
    assert server.query(db, "SELECT pfm_current()")[0][0] == "r%06d" % n
    server.drop_db(db)

    # Alembic at head: tiny revisions, stamped (alembic stamp head) rather than applied.
    res["alembic"] = []
    # At n revisions `alembic current` takes close to a minute (quadratic), so it runs once there.
    for m, runs, current_runs in ((alembic_n, alembic_runs, alembic_runs), (n, alembic_big_runs, 1)):
        if runs == 0:
            continue
        say("at head: alembic with %d revisions" % m)
        project = write_alembic_project(os.path.join(work, "alembic_head_%d" % m), m,
                                        lambda i: ["SELECT 1"], lambda i: ["SELECT 1"])
        alembic = Alembic(server, project)
        server.fresh_db(db, extension=False)
        alembic.run(db, "stamp", "head")  # also byte-compiles the scripts
        row = {"n": m, "runs": runs, "current_runs": current_runs}
        row["upgrade_s"] = median([alembic.run(db, "upgrade", "head")[0] for _ in range(runs)])
        out = None
        times = []
        for _ in range(current_runs):
            secs, out = alembic.run(db, "current")
            times.append(secs)
        assert rev_id(m) in out, out
        row["current_s"] = median(times)
        res["alembic"].append(row)
        server.drop_db(db)
    return res


# ---------------------------------------------------------------------------------------------
# 3. Planning and pfm_status() over 1k, 10k, 100k revisions


LOAD_LINEAR = """
INSERT INTO pfm_migrate.revisions (revision, down_revisions, message, upgrade, downgrade)
SELECT 'r' || lpad(g::text, 6, '0'),
       CASE WHEN g = 1 THEN '{}' ELSE ARRAY['r' || lpad((g - 1)::text, 6, '0')] END,
       'migration ' || g, 'SELECT 1', 'SELECT 1'
  FROM generate_series(1, %(n)s) AS g"""

# One root, then S segments: each forks 10 branches of 10 revisions off the previous merge point
# (the root for the first) and ends in a merge revision of the 10 branch tips: 1 + 101 S revisions.
LOAD_BRANCHED = """
INSERT INTO pfm_migrate.revisions (revision, down_revisions, message, upgrade, downgrade)
SELECT 'root', '{}', 'root', 'SELECT 1', 'SELECT 1'
UNION ALL
SELECT format('s%%s_b%%s_%%s', s, b, p),
       ARRAY[CASE WHEN p > 0 THEN format('s%%s_b%%s_%%s', s, b, p - 1)
                  WHEN s = 0 THEN 'root' ELSE format('m%%s', s - 1) END],
       'branch change', 'SELECT 1', 'SELECT 1'
  FROM generate_series(0, %(s)s - 1) AS s, generate_series(0, 9) AS b, generate_series(0, 9) AS p
UNION ALL
SELECT format('m%%s', s), ARRAY(SELECT format('s%%s_b%%s_9', s, b) FROM generate_series(0, 9) AS b),
       'merge', 'SELECT 1', 'SELECT 1'
  FROM generate_series(0, %(s)s - 1) AS s"""


PLAN_SQL = "SELECT count(*) FROM pfm_upgrade('heads', true)"
STATUS_SQL = "SELECT * FROM pfm_status()"


def bench_planning(server, sizes, runs_for):
    db = "bench_plan"
    server.fresh_db(db)
    rows = []
    # *linear, applied*: the chain with every revision applied (issue 15's case): the dry run
    # still reads and checks the whole catalog, and plans nothing.
    for shape in ("linear", "branched", "linear, applied"):
        for n in sizes:
            say("planning: %s, %d revisions" % (shape, n))
            conn = server.connect(db)
            with conn.cursor() as cur:
                cur.execute("TRUNCATE pfm_migrate.revisions, pfm_migrate.applied, pfm_migrate.version")
                if shape == "branched":
                    cur.execute(LOAD_BRANCHED, {"s": max(1, round((n - 1) / 101))})
                else:
                    cur.execute(LOAD_LINEAR, {"n": n})
                if shape == "linear, applied":
                    cur.execute("SET client_min_messages = warning")
                    cur.execute("SELECT count(*) FROM pfm_upgrade('heads')")
                cur.execute("VACUUM ANALYZE pfm_migrate.revisions, pfm_migrate.applied")
                cur.execute("SELECT count(*) FROM pfm_migrate.revisions")
                actual = cur.fetchone()[0]
                # The first dry run after the catalog changed: reads the tables, builds the
                # graph, plans, and records the catalog image for the next sessions.
                cur.execute("LOAD 'pfm_migrate'")
                recording = explain_ms(cur, PLAN_SQL)
                cur.execute("SELECT count(*) FROM pfm_upgrade('heads', true)")
                planned = cur.fetchone()[0]
                expected = 0 if shape == "linear, applied" else actual
                if planned != expected:
                    sys.exit("bench: %s plan has %d steps for %d revisions" % (shape, planned, actual))
                runs = runs_for(n)
                # Warm: the session's cached catalog state (the call above filled it).
                plan = [explain_ms(cur, PLAN_SQL) for _ in range(runs)]
                status = [explain_ms(cur, STATUS_SQL) for _ in range(runs)]
                scan = [explain_ms(cur, "SELECT count(*) FROM pfm_migrate.revisions") for _ in range(runs)]
            conn.close()
            plan_cold = cold_run(server, db, PLAN_SQL, runs)
            status_cold = cold_run(server, db, STATUS_SQL, runs)
            # The same first call without the image: from the tables (read-only sessions
            # record nothing), as every new session's was before the image.
            server.query(db, "UPDATE pfm_migrate.catalog_image SET catalog_key = NULL, image = NULL")
            plan_tables = cold_run(server, db, PLAN_SQL, runs, read_only=True)
            rows.append({"shape": shape, "n": actual, "runs": runs,
                         "plan_cold_ms": plan_cold["ms"], "plan_warm_ms": median(plan),
                         "plan_tables_ms": plan_tables["ms"], "plan_recording_ms": recording,
                         "status_cold_ms": status_cold["ms"], "status_warm_ms": median(status),
                         "scan_ms": median(scan), "plan_memory_kb": plan_cold, "status_memory_kb": status_cold})
            if shape == "linear, applied":
                rows[-1]["direct"] = bench_direct_change(server, db, runs)
    server.drop_db(db)
    return rows


def bench_direct_change(server, db, runs):
    """A change made by a statement of the user's own (autocommit) transaction: the last
    revision reverted, then applied again by pfm_upgrade('head'). Its wall time (the commit
    included) and the next new session's first pfm_status() and no-op pfm_upgrade('head'),
    with pfm_migrate.record_at_commit off (that first call computes in full) and on (the
    commit recorded for it). Medians over `runs` changes each."""
    out = {}
    for setting in ("off", "on"):
        apply_ms, status_ms, noop_ms = [], [], []
        for _ in range(runs):
            for first_call, times in ((STATUS_SQL, status_ms), ("SELECT count(*) FROM pfm_upgrade('head')", noop_ms)):
                conn = server.connect(db)
                with conn.cursor() as cur:
                    cur.execute("SET client_min_messages = warning")
                    cur.execute("SET pfm_migrate.record_at_commit = " + setting)
                    cur.execute("SELECT count(*) FROM pfm_downgrade('-1')")
                    start = time.perf_counter()
                    cur.execute("SELECT count(*) FROM pfm_upgrade('head')")
                    apply_ms.append((time.perf_counter() - start) * 1000.0)
                conn.close()
                times.append(cold_ms(server, db, first_call, 1))
        out[setting] = {"apply_ms": median(apply_ms), "status_ms": median(status_ms), "noop_ms": median(noop_ms)}
    return out


def planning_lines(planning):
    """Section 3 of the report: planning time, and the backend's memory after the first call."""
    lines = ["## 3. Planning and pfm_status() as the catalog grows\n"]
    lines.append("Catalog bulk-loaded with `INSERT ... SELECT generate_series` into `pfm_migrate.revisions`, "
                 "nothing applied. *linear*: one chain. *branched*: a root, then segments of 10 branches × 10 "
                 "revisions forked off the previous merge point and merged by one revision (1 + 101·S). "
                 "*linear, applied*: the chain, every revision applied (one `pfm_upgrade('heads')`): the dry "
                 "run reads everything and plans nothing. "
                 "Server-side execution time (EXPLAIN ANALYZE), median: *first call* in a new session (builds "
                 "the graph from the catalog image an earlier dry run recorded, then plans), *from the tables* "
                 "the same first call reading `revisions` and `applied` instead (read-only sessions, no image: "
                 "what every new session paid before the image), *after a change* the first dry run after the "
                 "catalog changed (reads the tables and records the image; one call), *repeat* in the same "
                 "session (cached catalog state); *per 1k* divides the first call by the size, to show the "
                 "growth; *catalog scan* is a bare `count(*)` of `pfm_migrate.revisions`, for scale.\n")
    rows = []
    for p in planning:
        k = p["n"] / 1000.0
        rows.append([p["shape"], p["n"], fmt_ms(p["plan_cold_ms"]), fmt_ms(p["plan_cold_ms"] / k),
                     fmt_ms(p["plan_tables_ms"]), fmt_ms(p["plan_recording_ms"]),
                     fmt_ms(p["plan_warm_ms"]), fmt_ms(p["status_cold_ms"]), fmt_ms(p["status_cold_ms"] / k),
                     fmt_ms(p["status_warm_ms"]), fmt_ms(p["scan_ms"]), p["runs"]])
    lines.append(table(["graph", "revisions", "dry run `pfm_upgrade('heads', true)`: first call", "per 1k",
                        "from the tables", "after a change", "repeat", "`pfm_status()`: first call", "per 1k",
                        "repeat", "catalog scan", "runs"], rows))
    lines.append("")
    lines.append("The backend's memory around that first call, median over the same new sessions (MB, "
                 "`/proc/self/status` read by the backend itself, after `LOAD`): VmRSS before and after, VmHWM "
                 "after, and how much of the growth is the backend's own memory (*private*: RssAnon, what it "
                 "holds for the cached catalog state and what it did not give back) and how much is shared "
                 "buffers it touched for the first time (*shared*: RssShmem; they count in VmRSS, are shared "
                 "with every backend and are not the graph's).\n")
    rows = []
    mb = lambda kb: "%.1f" % (kb / 1024.0)
    for p in planning:
        for call, key in (("dry run", "plan_memory_kb"), ("`pfm_status()`", "status_memory_kb")):
            m = p[key]
            rows.append([p["shape"], p["n"], call, mb(m["rss_before"]), mb(m["rss_after"]),
                         "+" + mb(m["rss_after"] - m["rss_before"]), mb(m["hwm"]), "+" + mb(m["anon"]),
                         "+" + mb(m["shmem"])])
    lines.append(table(["graph", "revisions", "first call", "VmRSS before", "after", "growth", "VmHWM",
                        "private", "shared"], rows))
    lines.append("")
    direct = [p for p in planning if "direct" in p]
    if direct:
        lines.append("After a change made by a statement of the user's own transaction (*linear, applied*: the "
                     "last revision reverted, then `SELECT count(*) FROM pfm_upgrade('head')` in autocommit), "
                     "with `pfm_migrate.record_at_commit` off and on: that statement's wall time as the client "
                     "sees it (its commit included), and the next new session's first call, server time, "
                     "medians.\n")
        rows = []
        for p in direct:
            for setting in ("off", "on"):
                d = p["direct"][setting]
                rows.append([p["n"], setting, fmt_ms(d["apply_ms"]), fmt_ms(d["status_ms"]), fmt_ms(d["noop_ms"]),
                             p["runs"]])
        lines.append(table(["revisions", "record_at_commit", "`pfm_upgrade('head')` applying 1, with its commit",
                            "next session's first `pfm_status()`", "first no-op `pfm_upgrade('head')`", "runs"],
                           rows))
        lines.append("")
    return lines


# ---------------------------------------------------------------------------------------------
# 4. Registering files, and the engine's cost per step, as N grows


def bench_scaling(server, work, register_sizes, apply_sizes, runs):
    db = "bench_scale"
    register = []
    for n in register_sizes:
        say("scaling: registering %d files" % n)
        files = write_pfm_files(os.path.join(work, "register_%d" % n), n, migration_statements,
                                downgrade_statements)
        file_args = [a for path in files for a in ("-f", path)]
        times = []
        for _ in range(runs):
            server.fresh_db(db)
            server.settle()
            times.append(server.psql(db, "-1", "-o", "/dev/null", *file_args)[0])
        assert server.query(db, "SELECT count(*) FROM pfm_migrate.revisions")[0][0] == n
        register.append({"n": n, "runs": runs, "s": median(times), "raw": times})
    apply = []
    for n in apply_sizes:
        say("scaling: applying %d tiny revisions" % n)
        times, cpu, peak, private = [], [], [], []
        for _ in range(runs):
            server.fresh_db(db)
            server.query(db, LOAD_LINEAR, {"n": n})
            server.settle()
            secs, out = server.psql(db, "-1", "-A", "-t", "-c", "SELECT count(*) FROM pfm_upgrade('head')",
                                    "-c", PROC_STATUS_SQL, "-c", CPU_SQL)
            assert int(out.split()[0]) == n, out
            times.append(secs)
            cpu.append(backend_cpu(out))
            mem = memory_kb(out)
            peak.append(mem["VmHWM"])
            private.append(mem["VmHWM"] - mem["RssShmem"])
        apply.append({"n": n, "runs": runs, "s": median(times), "cpu_s": median(cpu), "raw": times,
                      "peak_kb": max(peak), "private_kb": max(private)})
    server.drop_db(db)
    return {"register": register, "apply": apply}


# The memory of the backend that ran the call: /proc/self/status as read by the backend itself
# at the end of the session (VmHWM: its peak resident set; RssShmem: how much of what it holds now
# is shared memory, mostly the shared buffers it touched, which only grows: VmHWM - RssShmem is
# close to the peak of its private memory).
PROC_STATUS_SQL = "SELECT pg_catalog.pg_read_file('/proc/self/status')"


def memory_kb(out):
    return {k: int(re.search(r"^%s:\s+(\d+)" % k, out, re.M).group(1)) for k in ("VmHWM", "RssShmem")}


# ---------------------------------------------------------------------------------------------
# Report


# ---------------------------------------------------------------------------------------------
# 5. The commands a pipeline runs on every deploy, at head (issue 15)

DEPLOY_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "deploy.sh")
DEPLOY_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin", "pfm_deploy_fast")


def bench_deploy_noop(server, work, n, runs, dbmate_binary=None):
    """scripts/deploy.sh migrate / plan / health at head with n migration files, next to
    psql -c 'SELECT 1' (the floor) and dbmate's no-op `up` and `status` over the same
    migrations; min and median of `runs` interleaved rounds (wall time of the process)."""
    d = os.path.join(work, "noop")
    shutil.rmtree(d, ignore_errors=True)
    files = os.path.join(d, "pfm")
    write_pfm_files(files, n, migration_statements, downgrade_statements)
    db, dbm = "bench_noop", "bench_noop_dbmate"
    server.fresh_db(db, extension=False)
    url = "postgresql://postgres@/%s?host=%s&port=%s" % (db, server.host, server.port)
    # deploy.sh's digest cache (per user and directory) lives in the bench's directory
    env = dict(server.env, MIGRATIONS_DIR=files, DATABASE_URL=url, XDG_CACHE_HOME=os.path.join(d, "cache"))
    say("deploy.sh at head: applying %d migrations" % n)
    server.timed([DEPLOY_SH, "migrate"], env=env)
    server.timed([DEPLOY_SH, "migrate"], env=env)  # stores the digest if the first could not
    cmds = {
        "floor": server.psql_cmd(db, "-o", "/dev/null", "-c", "SELECT 1"),
        "migrate": [DEPLOY_SH, "migrate"], "plan": [DEPLOY_SH, "plan"], "health": [DEPLOY_SH, "health"],
    }
    envs = {"migrate_full": dict(env, PFM_FILE_DIGEST="off"), "health_full": dict(env, PFM_FILE_DIGEST="off"),
            "migrate_nocache": dict(env, PFM_FILE_CACHE="off"), "migrate_script": dict(env, PFM_FAST_CLIENT="off"),
            "health_script": dict(env, PFM_FAST_CLIENT="off")}
    cmds["migrate_full"], cmds["health_full"], cmds["migrate_nocache"] = cmds["migrate"], cmds["health"], cmds["migrate"]
    cmds["migrate_script"], cmds["health_script"] = cmds["migrate"], cmds["health"]
    # The compiled client must answer these itself (it execs its first argument, here
    # /bin/false, when it hands a command over to the script): else the rows measure the script.
    time.sleep(2.1)  # (files hashed less than 2 s after they were written are not cached)
    server.timed([DEPLOY_SH, "migrate"], env=env)
    for command in ("migrate", "plan", "health"):
        p = subprocess.run([DEPLOY_CLIENT, "/bin/false", DEPLOY_SH, files, command], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            sys.exit("bench: bin/pfm_deploy_fast did not answer %s itself (exit %d): %s" % (command, p.returncode, p.stdout))
    dbmate = None
    if dbmate_binary:
        server.fresh_db(dbm, extension=False)
        dbmate = Dbmate(server, dbmate_binary, write_dbmate_project(os.path.join(d, "dbmate"), n,
                                                                    migration_statements, downgrade_statements))
        say("deploy.sh at head: dbmate applies the same %d migrations" % n)
        dbmate.run(dbm, "up")
    times = {k: [] for k in list(cmds) + (["dbmate_up", "dbmate_status"] if dbmate else [])}
    for _ in range(runs):
        for key, cmd in cmds.items():
            secs, out = server.timed(cmd, env=envs.get(key, env))
            times[key].append(secs * 1000)
        if dbmate:
            times["dbmate_up"].append(dbmate.run(dbm, "up")[0] * 1000)
            times["dbmate_status"].append(dbmate.run(dbm, "status")[0] * 1000)
    out = server.timed([DEPLOY_SH, "migrate"], env=env)[1]
    if "nothing to apply" not in out:
        sys.exit("bench: deploy.sh migrate at head did something: %s" % out)
    if server.query(db, "SELECT count(*) FROM pfm_migrate.file_set WHERE digest IS NOT NULL")[0][0] != 1:
        sys.exit("bench: deploy.sh stored no file digest: the no-op rows would measure the full load")
    if not os.listdir(os.path.join(d, "cache", "pfm_migrate")):
        sys.exit("bench: deploy.sh kept no digest cache: the no-op rows would measure the hashing")
    server.drop_db(db)
    if dbmate:
        server.drop_db(dbm)
    return {"n": n, "runs": runs, "min": {k: min(v) for k, v in times.items()},
            "median": {k: median(v) for k, v in times.items()}}


# pgbench: new sessions (-C) calling one statement each, as health probes and deploy jobs do.
PROBES = [("select1", "SELECT 1"), ("current", "SELECT pfm_current()"), ("status", "SELECT * FROM pfm_status()"),
          ("noop", "SELECT count(*) FROM pfm_upgrade('head')")]


def backend_rss_kb(cur):
    """VmRSS, VmHWM, RssAnon and RssShmem (kB) of the backend behind cur."""
    cur.execute(CPU_SQL.replace("schedstat", "status"))
    status = cur.fetchone()[0]
    return {k: int(re.search(r"^%s:\s+(\d+)" % k, status, re.M).group(1))
            for k in ("VmRSS", "VmHWM", "RssAnon", "RssShmem")}


def bench_probes(server, n, seconds, clients=8):
    """Transactions per second of each probe from new connections (pgbench -C), at n applied
    revisions, and the memory a backend holds after one first call of each."""
    db = "bench_probes"
    say("probes: %d applied revisions" % n)
    server.fresh_db(db)
    register_chain(server, db, n)
    server.query(db, "SELECT count(*) FROM pfm_upgrade('head')")
    server.query(db, "VACUUM ANALYZE")
    server.settle()
    res = {"n": n, "clients": clients, "seconds": seconds, "tps": {}, "rss_kb": {}}
    script_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probes")
    for key, sql in PROBES:
        script = os.path.join(script_dir, key + ".sql")
        cmd = ["pgbench", "-n", "-C", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
               "-T", str(seconds), "-f", script, "-h", server.host, "-p", server.port, "-U", "postgres", db]
        _, out = server.timed(cmd)
        m = re.search(r"tps = ([0-9.]+) \((?:including|without)", out)
        lat = re.search(r"latency average = ([0-9.]+) ms", out)
        res["tps"][key] = {"tps": float(m.group(1)), "latency_ms": float(lat.group(1)) if lat else None}
        conn = server.connect(db)
        with conn.cursor() as cur:
            before = backend_rss_kb(cur)
            cur.execute(sql)
            cur.fetchall()
            after = backend_rss_kb(cur)
        conn.close()
        res["rss_kb"][key] = {"before": before["VmRSS"], "after": after["VmRSS"], "peak": after["VmHWM"]}
    server.drop_db(db)
    return res


def report_noop_and_probes(noop, probes):
    lines = []
    if noop:
        m, md = noop["min"], noop["median"]
        lines.append("## 5. The commands a pipeline runs on every deploy, at head\n")
        lines.append("%d migration files (section 1's), all applied. Wall time of the whole process, min and "
                     "median of %d interleaved rounds; *× floor* is the min over the floor's min. "
                     "`migrate`, `plan` and `health` are answered by the compiled client `bin/pfm_deploy_fast` "
                     "(checked before the rounds); *the script alone* is `PFM_FAST_CLIENT=off`. "
                     "`scripts/deploy.sh` takes the digest of the files from its cache (the files unchanged "
                     "since it hashed them: one `find`) and, when the database holds exactly them, skips "
                     "re-sending them; *no digest cache* (`PFM_FILE_CACHE=off`, as in a fresh checkout) "
                     "hashes every file (`sha256sum`); *full load* is the same command with "
                     "`PFM_FILE_DIGEST=off`.\n"
                     % (noop["n"], noop["runs"]))
        names = [("floor", "`psql -c 'SELECT 1'` (the floor)"), ("migrate", "`scripts/deploy.sh migrate`"),
                 ("plan", "`scripts/deploy.sh plan`"), ("health", "`scripts/deploy.sh health`"),
                 ("migrate_script", "`scripts/deploy.sh migrate`, the script alone"),
                 ("health_script", "`scripts/deploy.sh health`, the script alone"),
                 ("migrate_nocache", "`scripts/deploy.sh migrate`, no digest cache"),
                 ("migrate_full", "`scripts/deploy.sh migrate`, full load"),
                 ("health_full", "`scripts/deploy.sh health`, full load"),
                 ("dbmate_up", "dbmate `up` (no-op)"), ("dbmate_status", "dbmate `status`")]
        rows = [[label, fmt_ms(m[k]), fmt_ms(md[k]), "%.2f×" % (m[k] / m["floor"])] for k, label in names if k in m]
        lines.append(table(["command", "min", "median", "× floor"], rows))
        lines.append("")
    if probes:
        t = probes["tps"]
        lines.append("## 6. Probes from new sessions under load\n")
        lines.append("`pgbench -n -C -c %d -T %d` (a new connection per call) running one statement "
                     "(`bench/probes/*.sql`) at %d applied revisions; then, in a new session, the backend's "
                     "RSS before and after one first call of it (VmRSS; *peak* is VmHWM).\n"
                     % (probes["clients"], probes["seconds"], probes["n"]))
        rows = []
        for key, sql in PROBES:
            r = probes["rss_kb"][key]
            rows.append(["`%s`" % sql, "%.0f" % t[key]["tps"], "%.0f %%" % (100 * t[key]["tps"] / t["select1"]["tps"]),
                         fmt_ms(t[key]["latency_ms"]) if t[key]["latency_ms"] else "",
                         "%.1f MB" % (r["before"] / 1024), "%.1f MB" % (r["after"] / 1024),
                         "%.1f MB" % (r["peak"] / 1024)])
        lines.append(table(["statement", "tps", "of SELECT 1", "latency", "RSS before", "RSS after", "peak"],
                           rows))
        lines.append("")
    return "\n".join(lines)


# 7. pfm_lint over N pending revisions (SPEC section 10: well under a second for 1 000)


def lint_statements(i):
    """Pending revision i of the lint bench: a new table and its index (judged "created by the
    plan"), a column with a stable default on a table with rows (the default transformed by the
    server in a subtransaction), a batched UPDATE of it (its size read from pg_class)."""
    t = "l%05d" % i
    return [
        "CREATE TABLE %s (\n    id bigserial PRIMARY KEY,\n    account_id bigint NOT NULL,\n"
        "    created_at timestamptz NOT NULL DEFAULT now()\n)" % t,
        "CREATE INDEX %s_account_id_idx ON %s (account_id)" % (t, t),
        "ALTER TABLE accounts ADD COLUMN seen_%05d timestamptz DEFAULT now()" % i,
        "UPDATE accounts SET seen_%05d = NULL WHERE id BETWEEN %d AND %d" % (i, i * 10, i * 10 + 9),
    ]


def bench_lint(server, n, runs):
    db = "bench_lint"
    server.fresh_db(db)
    conn = server.connect(db)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, name text)")
        cur.execute("INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 100000) g")
        cur.execute("ANALYZE accounts")
        for i in range(1, n + 1):
            cur.execute("SELECT pfm_register(%s, %s, %s, %s)",
                        (rev_id(i), rev_id(i - 1) if i > 1 else None, sql_body(lint_statements(i)),
                         "DROP TABLE l%05d" % i))
        cur.execute("SELECT count(*), count(*) FILTER (WHERE severity = 'error') FROM pfm_lint('heads')")
        findings, errors = cur.fetchone()
        warm = [explain_ms(cur, "SELECT count(*) FROM pfm_lint('heads')") for _ in range(runs)]
    conn.close()
    cold = cold_ms(server, db, "SELECT count(*) FROM pfm_lint('heads')", runs)
    server.drop_db(db)
    return {"n": n, "statements": n * len(lint_statements(1)), "runs": runs, "findings": findings,
            "errors": errors, "cold_ms": cold, "warm_ms": median(warm)}


def lint_report(lint):
    return "\n".join([
        "## pfm_lint over %d pending revisions" % lint["n"],
        "",
        "Each pending revision creates a table and its index, adds a column with a stable default "
        "(`DEFAULT now()`) to a 100 000-row table and updates a batch of it: %d statements, parsed by "
        "the server's parser and judged against the catalog; %d finding(s), %d error(s) (no-lock-timeout "
        "is the only rule that applies). Server-side time (EXPLAIN ANALYZE), median of %d runs:"
        % (lint["statements"], lint["findings"], lint["errors"], lint["runs"]),
        "",
        table(["first call of a session", "in an open session"], [[fmt_ms(lint["cold_ms"]), fmt_ms(lint["warm_ms"])]]),
        ""])


def machine_facts(server):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    pg = server.query("postgres", "SELECT version()")[0][0].split(" on ")[0]
    settings = dict(server.query("postgres", "SELECT name, setting FROM pg_settings WHERE name IN "
                                 "('fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'full_page_writes')"))
    alembic_version = subprocess.run([PY, "-c", "import alembic, sqlalchemy, psycopg2; "
                                      "print(alembic.__version__, sqlalchemy.__version__, "
                                      "psycopg2.__version__.split()[0])"],
                                     stdout=subprocess.PIPE, text=True).stdout.split()
    ext = server.query("postgres", "SELECT default_version FROM pg_available_extensions "
                       "WHERE name = 'pfm_migrate'")[0][0]
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu, "nproc": os.cpu_count(), "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(), "postgresql": pg, "settings": settings, "pfm_migrate": ext,
        "alembic": alembic_version[0], "sqlalchemy": alembic_version[1], "psycopg2": alembic_version[2],
        "python": platform.python_version(),
    }


def spread(xs):
    return "%.2f–%.2f" % (min(xs), max(xs))


def fmt_s(x):
    return "%.2f s" % x


def fmt_ms(x):
    return "%.2f ms" % x if x < 100 else "%.0f ms" % x


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def growth(items, key_n, key_value):
    """How much the per-item cost grows from the smallest to the largest N (1.0 = linear)."""
    per = [(i[key_n], i[key_value] / i[key_n]) for i in items]
    per.sort()
    return per[-1][1] / per[0][1], per[0][0], per[-1][0]


def summary(apply_results, nontx, head, planning, scaling, lock_wait=None):
    """SPEC section 5, target by target, from the figures below."""
    big = max(apply_results, key=lambda a: a["n"])
    ratio = big["pfm"] / big["psql"]
    lines = ["## Against SPEC §5\n"]
    lines.append("- **Apply N = %d migrations**: pfm takes %.2f× the time of `psql -1 -f` (target ≤ 1.05: %s), "
                 "%.2f× the bodies sent as one query string; Alembic takes %.2f×."
                 % (big["n"], ratio, "met" if ratio <= 1.05 else "NOT met", big["pfm"] / big["one"],
                    big["alembic"] / big["psql"]))
    if big.get("dbmate"):
        r = big["deploy"] / big["dbmate"]
        lines.append("- **One transaction per revision, N = %d (SPEC §12)**: `CALL pfm_deploy('head')` takes %.2f s, "
                     "dbmate %.2f s (it commits per migration too): %.2f× dbmate (target ≤ 1.00: %s)."
                     % (big["n"], big["deploy"], big["dbmate"], r, "met" if r <= 1.0 else "NOT met"))
    if lock_wait:
        lines.append(lock_wait_lines(lock_wait)[0])
    lines.append("- **A non-transactional statement's engine overhead (SPEC §12)**: %.3f ms per statement "
                 "handed over (target: low milliseconds: %s), after %.2f ms to start the worker once per deploy."
                 % (nontx["per_statement_ms"], "met" if nontx["per_statement_ms"] < 3 else "NOT met",
                    nontx["start_ms"]))
    first, repeat = head["noop_cold_ms"], head["noop_server_ms"]
    lines.append("- **No-op `pfm_upgrade('head')` at %d revisions**: %.1f ms server-side as the first call of a "
                 "session, %.2f ms once the backend has the catalog cached (target: a few ms: %s); "
                 "`pfm_current()` %.2f ms first call, %.2f ms cached (%s). Through a new `psql -c`: %.0f ms and "
                 "%.0f ms, where `psql -c 'SELECT 1'` takes %.0f ms; Alembic: %.0f ms (`upgrade head`) and "
                 "%.0f ms (`current`) at %d revisions."
                 % (head["n"], first, repeat, "met" if first <= 5 else "met only when cached" if repeat <= 5
                    else "NOT met", head["current_cold_ms"], head["current_server_ms"],
                    "met" if head["current_cold_ms"] <= 5 else "NOT met", head["noop_wall_ms"],
                    head["current_wall_ms"], head["select1_wall_ms"], head["alembic"][-1]["upgrade_s"] * 1000,
                    head["alembic"][-1]["current_s"] * 1000, head["alembic"][-1]["n"]))
    worst = max(p["plan_cold_ms"] for p in planning)
    shapes = []
    for shape in ("linear", "branched"):
        rows = [p for p in planning if p["shape"] == shape]
        g, lo, hi = growth(rows, "n", "plan_cold_ms")
        shapes.append("%s %.2f× per revision from %d to %d" % (shape, g, lo, hi))
    lines.append("- **Planning over %d revisions**: at most %.0f ms, first call included (target well under a "
                 "second: %s); cost per revision: %s (1.00 = linear)."
                 % (max(p["n"] for p in planning), worst, "met" if worst < 500 else "NOT met", ", ".join(shapes)))
    g_reg, lo_reg, hi_reg = growth(scaling["register"], "n", "s")
    g_app, lo_app, hi_app = growth(scaling["apply"], "n", "s")
    lines.append("- **Growth elsewhere**: registering files in one transaction costs %.2f× per file at %d files "
                 "as at %d; the engine's work per applied step costs %.2f× per step at %d steps as at %d "
                 "(1.00 = linear; section 4)."
                 % (g_reg, hi_reg, lo_reg, g_app, hi_app, lo_app))
    lines.append("")
    return "\n".join(lines)


def report(facts, apply_results, nontx, head, planning, scaling, command, total_s, lock_wait=None):
    f = facts
    s = f["settings"]
    lines = []
    lines.append("# pfm_migrate benchmark results\n")
    lines.append("Generated by `%s` on %s; the whole run took %.0f s.\n" % (command, f["date"], total_s))
    lines.append(table(["machine", ""], [
        ["CPU", "%s, %d cores (nproc)" % (f["cpu"], f["nproc"])],
        ["memory", "%.1f GiB" % f["mem_gib"]],
        ["kernel", f["kernel"]],
        ["PostgreSQL", "%s; fsync=%s, synchronous_commit=%s, shared_buffers=%s×8kB, wal_level=%s (defaults)"
         % (f["postgresql"], s.get("fsync"), s.get("synchronous_commit"), s.get("shared_buffers"),
            s.get("wal_level"))],
        ["pfm_migrate", "%s, built from commit %s" % (f["pfm_migrate"], f.get("revision", "unknown"))],
        ["Alembic", "%s (Debian python3-alembic), SQLAlchemy %s, psycopg2 %s, Python %s"
         % (f["alembic"], f["sqlalchemy"], f["psycopg2"], f["python"])],
        ["dbmate", "%s (npm package dbmate)" % f["dbmate"] if f.get("dbmate") else "not measured (not installed)"],
    ]))
    lines.append("")

    lines.append(summary(apply_results, nontx, head, planning, scaling, lock_wait))
    lines.append("## 1. Apply N migrations from an empty database\n")
    lines.append("Each migration creates a table and an index, adds a column to the previous migration's table "
                 "and inserts 100 rows (4 statements; 3 for the first). Every run starts from a fresh database "
                 "(`CREATE DATABASE ... TEMPLATE template0`) after a `CHECKPOINT`. Wall time of the client "
                 "process, median of the runs; the ratio is to `psql -1 -f` of the same bodies.\n")
    rows = []
    for a in apply_results:
        n, raw, floor = a["n"], a["raw"], a["psql"]

        def row(what, key, runs, cpu_key=None, ratio_bold=False):
            ratio = "%.2f" % (a[key] / floor)
            rows.append([n, what, "%s (%s)" % (fmt_s(a[key]), spread(raw[key])),
                         "**%s**" % ratio if ratio_bold else ratio,
                         fmt_s(a[cpu_key]) if cpu_key else "", runs])

        row("`psql -1 -f all.sql` (the floor: the bodies concatenated)", "psql", a["runs"], "psql_cpu")
        row("the bodies as one query string in one transaction (no per-statement round trip)", "one", a["runs"],
            "one_cpu")
        row("**pfm**: `SELECT count(*) FROM pfm_upgrade('head')`", "pfm", a["runs"], "pfm_cpu", True)
        row("Alembic: `alembic upgrade head` (op.execute, one file per revision)", "alembic", a["alembic_runs"])
        row("**pfm**, one transaction per revision: `CALL pfm_deploy('head')`", "deploy", a["runs"])
        if a.get("dbmate"):
            row("dbmate: `dbmate up` (one transaction per migration)", "dbmate", a["runs"])
        row("pfm: registering the N files first (`psql -1 -f r00001.sql -f r00002.sql ...`)", "register", a["runs"])
        rows.append([n, "pfm: register + upgrade", fmt_s(a["register"] + a["pfm"]),
                     "%.2f" % ((a["register"] + a["pfm"]) / floor), "", a["runs"]])
    lines.append(table(["N", "what", "median wall (min–max)", "× psql -1 -f", "backend CPU", "runs"], rows))
    lines.append("")
    lines.append("*Backend CPU* is the CPU time of the server process that ran the work (read from "
                 "`/proc/self/schedstat` by the backend itself before the commit), a steadier figure than the "
                 "wall time when other work shares the machine. Inside the pfm upgrade, the bodies themselves "
                 "(the sum of `elapsed_ms`, timed by the engine around each body) took: " + "; ".join(
                     "N=%d: %.2f s of %.2f s" % (a["n"], a["steps_ms"] / 1000, a["pfm"]) for a in apply_results)
                 + "; the rest is connection set-up, commit, and the engine: loading the catalog, planning, "
                 "parsing the bodies, and the bookkeeping per step. The engine's cost over the server's own "
                 "floor, as backend CPU (pfm minus the one-query-string run): " + "; ".join(
                     "N=%d: %+.2f s (%+.1f %%, %+.3f ms per migration)"
                     % (a["n"], a["pfm_cpu"] - a["one_cpu"], 100.0 * (a["pfm_cpu"] / a["one_cpu"] - 1),
                        1000.0 * (a["pfm_cpu"] - a["one_cpu"]) / a["n"]) for a in apply_results)
                 + " — differences of this size are within the run-to-run noise of file creation; section 4 measures "
                 "the engine's cost per step directly, with bodies that cost next to nothing.\n")

    n = nontx
    lines.append("### Non-transactional revisions: the engine's overhead\n")
    lines.append("`CALL pfm_deploy(rev)` of one revision whose body is `SELECT 1` statements, timed on an open "
                 "session (median of %d): as a non-transactional revision every statement is handed to the "
                 "background worker and runs at top level there, in its own transaction; as a transactional one "
                 "the body runs in the caller's transaction. `SELECT 1` costs next to nothing, so the difference "
                 "is the engine's.\n" % n["runs"])
    lines.append(table(["statements", "transactional", "non-transactional", "difference"], [
        [1, fmt_ms(n["tx_1"]), fmt_ms(n["nontx_1"]), fmt_ms(n["nontx_1"] - n["tx_1"])],
        [n["statements"], fmt_ms(n["tx_n"]), fmt_ms(n["nontx_n"]), fmt_ms(n["nontx_n"] - n["tx_n"])],
    ]))
    lines.append("")
    lines.append("Worker start (and the first hand-over): **%.2f ms**, once per deploy (one worker serves every "
                 "non-transactional revision of a `pfm_deploy`); each further "
                 "statement: **%.3f ms** over running it in a transaction. For scale, `psql -f` of the same %d "
                 "statements at top level (one round trip and one transaction each) takes %s in all.\n"
                 % (n["start_ms"], n["per_statement_ms"], n["statements"], fmt_ms(n["psql_n"])))

    if lock_wait:
        lines.append(lock_wait_lines(lock_wait)[1])

    lines.append("## 2. \"Anything to do?\" at head\n")
    h = head
    lines.append("%d revisions registered and applied (tiny bodies). Server-side times are EXPLAIN ANALYZE's "
                 "execution time: *first call* is the first statement of a new session (module already loaded "
                 "with `LOAD`, so the catalog is read; median of %d sessions), *repeat* the same call again in "
                 "one session (the backend's cached catalog state; median of %d). *Round trip* is the repeated "
                 "call as the client sees it on an open connection; *psql -c* the wall time of a whole new "
                 "`psql -c` process: fork, connection, backend start, module load, call (median of %d).\n"
                 % (h["n"], h["wall_runs"], h["session_runs"], h["wall_runs"]))
    rows = []
    for key, call in (("noop", "`SELECT count(*) FROM pfm_upgrade('head')` (no-op)"),
                      ("current", "`SELECT pfm_current()`"), ("status", "`SELECT * FROM pfm_status()`")):
        rows.append(["pfm", h["n"], call, fmt_ms(h[key + "_cold_ms"]), fmt_ms(h[key + "_server_ms"]),
                     fmt_ms(h[key + "_session_ms"]), fmt_ms(h[key + "_wall_ms"])])
    rows.append(["(floor)", "", "`psql -c 'SELECT 1'`", "", "", "", fmt_ms(h["select1_wall_ms"])])
    for a in h["alembic"]:
        rows.append(["Alembic", a["n"], "`alembic upgrade head` (no-op; median of %d)" % a["runs"], "", "", "",
                     fmt_ms(a["upgrade_s"] * 1000)])
        rows.append(["Alembic", a["n"], "`alembic current` (median of %d)" % a["current_runs"], "", "", "",
                     fmt_ms(a["current_s"] * 1000)])
    lines.append(table(["tool", "revisions", "call", "server, first call", "server, repeat", "round trip",
                        "psql -c / CLI wall"], rows))
    lines.append("")
    lines.append("Alembic revisions were stamped (`alembic stamp head`), not applied; its scripts were "
                 "byte-compiled beforehand. Applying the %d tiny pfm revisions once with `pfm_upgrade('head')` "
                 "took %.2f s.\n" % (h["n"], h["apply_tiny_s"]))

    lines.extend(planning_lines(planning))

    lines.append(scaling_report(apply_results, scaling))
    lines.append("Reproduce: `%s` (from a clean clone, as root; it installs what is missing).\n" % command)
    return "\n".join(lines)


def scaling_report(apply_results, scaling):
    lines = ["## 4. Registering migration files, and the engine's cost per step, as N grows\n"]
    lines.append("Registering: the migration files of section 1 (one `SELECT pfm_register(...)` each, as in "
                 "`examples/pfm/migrations`) loaded into a fresh database with one `psql -1 -f ... -f ...`. "
                 "Per-step cost: N revisions with a `SELECT 1` body, bulk-loaded, then one "
                 "`pfm_upgrade('head')` (psql wall time): almost all of it is the engine's own work per step "
                 "(running the body through SPI, the `applied` and `audit` rows). A flat *per item* column "
                 "means linear growth. *Backend CPU* is the CPU time of the backend that applied (steadier than the wall time on a shared machine). *Peak RSS* is the VmHWM of the backend that applied (the highest of "
                 "the runs), *private* the same less the shared memory it had touched (RssShmem at the end: "
                 "mostly shared buffers): what the call itself held at its peak, graph included.\n")
    rows = []
    for a in apply_results or []:
        rows.append([a["n"], "register N new files (section 1)", fmt_s(a["register"]),
                     fmt_ms(a["register"] * 1000 / a["n"]), "", "", "", a["runs"]])
        rows.append([a["n"], "load the same N files again, all unchanged (no-ops; every deploy does this)",
                     fmt_s(a["reregister"]), fmt_ms(a["reregister"] * 1000 / a["n"]), "", "", "", a["runs"]])
    for r in scaling["register"]:
        rows.append([r["n"], "register N new files", "%s (%s)" % (fmt_s(r["s"]), spread(r["raw"])),
                     fmt_ms(r["s"] * 1000 / r["n"]), "", "", "", r["runs"]])
    for r in scaling["apply"]:
        rows.append([r["n"], "apply N tiny revisions: `pfm_upgrade('head')`",
                     "%s (%s)" % (fmt_s(r["s"]), spread(r["raw"])), fmt_ms(r["s"] * 1000 / r["n"]),
                     "%s (%s)" % (fmt_s(r["cpu_s"]), fmt_ms(r["cpu_s"] * 1000 / r["n"])),
                     "%.0f MB" % (r["peak_kb"] / 1024.0), "%.0f MB" % (r["private_kb"] / 1024.0), r["runs"]])
    lines.append(table(["N", "what", "median wall", "per item", "backend CPU (per item)", "peak RSS", "private",
                        "runs"], rows))
    lines.append("")
    return "\n".join(lines)


def section_lock_wait(server, args):
    lw = bench_lock_wait(server, args.work, 100 if args.quick else 1000, 2 if args.quick else 7)
    spec, text = lock_wait_lines(lw)
    return spec + "\n\n" + text + "\n" + json.dumps(lw["raw"])


def section_scaling(server, args):
    # The apply rows of section 4 (registering files is left to the full bench).
    sizes = [1000, 10000] if args.quick else [1000, 5000, 10000, 20000, 100000]
    return scaling_report(None, bench_scaling(server, args.work, [], sizes, 1 if args.quick else 3))


def section_lint(server, args):
    return lint_report(bench_lint(server, 1000, 3 if args.quick else 7))


def section_planning(server, args):
    if args.quick:
        planning = bench_planning(server, [1000, 10000], lambda n: 3)
    else:
        planning = bench_planning(server, [1000, 10000, 100000], lambda n: 7 if n <= 10000 else 5)
    return "\n".join(planning_lines(planning)) + "\n" + json.dumps(planning)


# The sections `--only` runs alone (bench/run.sh --only NAME[,NAME]), in this order.
def section_noop_probes(server, args, noop=True, probes=True):
    small = args.quick
    return report_noop_and_probes(
        bench_deploy_noop(server, args.work, 100 if small else 1000, 3 if small else 15, args.dbmate) if noop else None,
        bench_probes(server, 1000 if small else 10000, 2 if small else 10) if probes else None)


SECTIONS = {"planning": section_planning, "scaling": section_scaling, "lock_wait": section_lock_wait, "lint": section_lint,
            "noop": lambda server, args: section_noop_probes(server, args, probes=False),
            "probes": lambda server, args: section_noop_probes(server, args, noop=False)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", required=True, help="the cluster's Unix socket directory")
    ap.add_argument("--port", required=True)
    ap.add_argument("--work", required=True, help="scratch directory for the generated files")
    ap.add_argument("--out", help="write the Markdown report here (e.g. bench/RESULTS.md)")
    ap.add_argument("--json", help="write the raw figures here")
    ap.add_argument("--quick", action="store_true", help="small sizes and few runs: a smoke test of the bench")
    ap.add_argument("--command", default="bench/run.sh", help="the command shown as 'reproduce'")
    ap.add_argument("--revision", default="unknown", help="the git revision of the build measured")
    ap.add_argument("--dbmate", help="the dbmate binary (npm package dbmate); without it, no dbmate rows")
    ap.add_argument("--only", help="comma-separated sections to run alone and print (%s); no report file"
                                   % ", ".join(SECTIONS))
    args = ap.parse_args()
    if args.only:
        wanted = set(args.only.split(","))
        if not wanted <= set(SECTIONS):
            sys.exit("bench: --only takes sections among: " + ", ".join(SECTIONS))
        server = Server(args.host, args.port)
        for name in SECTIONS:
            if name in wanted:
                print(SECTIONS[name](server, args))
        return

    started = time.perf_counter()
    server = Server(args.host, args.port)
    facts = machine_facts(server)
    facts["revision"] = args.revision
    facts["dbmate"] = subprocess.run([args.dbmate, "--version"], stdout=subprocess.PIPE, text=True,
                                     check=True).stdout.strip() if args.dbmate else None
    if args.quick:
        apply_results = [bench_apply(server, args.work, 20, 2, 1, args.dbmate),
                         bench_apply(server, args.work, 100, 2, 1, args.dbmate)]
        nontx = bench_nontx(server, args.work, 20, 3)
        head = bench_at_head(server, args.work, 1000, 5, 3, 100, 1, 0)
        planning = bench_planning(server, [1000, 10000], lambda n: 3)
        scaling = bench_scaling(server, args.work, [200, 400], [1000, 2000], 1)
        lock_wait = bench_lock_wait(server, args.work, 100, 2)
        noop = bench_deploy_noop(server, args.work, 100, 3, args.dbmate)
        probes = bench_probes(server, 1000, 2)
    else:
        apply_results = [bench_apply(server, args.work, 100, 5, 5, args.dbmate),
                         bench_apply(server, args.work, 1000, 7, 3, args.dbmate)]
        nontx = bench_nontx(server, args.work, 200, 15)
        head = bench_at_head(server, args.work, 10000, 50, 20, 1000, 3, 3)
        planning = bench_planning(server, [1000, 10000, 100000], lambda n: 7 if n <= 10000 else 5)
        scaling = bench_scaling(server, args.work, [1000, 2000, 4000], [1000, 5000, 10000, 20000, 100000], 3)
        lock_wait = bench_lock_wait(server, args.work, 1000, 5)
        noop = bench_deploy_noop(server, args.work, 1000, 15, args.dbmate)
        probes = bench_probes(server, 10000, 10)
    lint = bench_lint(server, 1000, 3 if args.quick else 7)
    total = time.perf_counter() - started

    text = report(facts, apply_results, nontx, head, planning, scaling, args.command, total, lock_wait)
    text += "\n" + report_noop_and_probes(noop, probes)
    text += "\n" + lint_report(lint)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": facts, "apply": apply_results, "nontx": nontx, "at_head": head,
                       "planning": planning, "noop": noop, "probes": probes,
                       "scaling": scaling, "lock_wait": lock_wait, "lint": lint, "seconds": total}, f, indent=2,
                      default=str)


if __name__ == "__main__":
    main()
