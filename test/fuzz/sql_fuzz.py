#!/usr/bin/env python3
"""SQL-level fuzz of pfm_migrate (SPEC section 11): a seeded generator that calls every SQL
routine the extension owns (enumerated from pg_proc through pg_depend, so routines added
later are covered without touching this file) with random, NULL, empty, huge, unicode,
control-character, non-UTF-8-looking and injection-shaped arguments, random targets and
random graphs built through pfm_register and pfm_load, against a live server.

It fails (exit 1) on: a backend that crashed (the connection dropped, or the server log
says "terminated by signal" / "PANIC"), a server that no longer answers, SQLSTATE XX000
(each reported with the call that produced it, minimised), and a catalog that pfm_check()
finds inconsistent in a way the fuzz did not cause on purpose (drift of bodies it edited
behind the engine's back, and what its random graphs legitimately hold: several heads,
irreversible revisions, dangling parents and cycles it wrote directly into the catalog).

Connection: libpq's environment (PGHOST, PGPORT, PGUSER). Options: --seed (default:
PFM_SQL_FUZZ_SEED or random, printed), --seconds (PFM_SQL_FUZZ_SECONDS, default 60),
--calls (upper bound, default 100000), --server-log FILE (PFM_SERVER_LOG).
"""
import argparse
import os
import random
import sys
import time

import psycopg2
import psycopg2.extensions

DB_UTF8 = "pfm_sql_fuzz"
MONITOR = "pfm_sql_fuzz_monitor"  # the README's monitoring role: USAGE and SELECT on the catalog
DB_ASCII = "pfm_sql_fuzz_ascii"  # SQL_ASCII: text that is not valid UTF-8 reaches the functions
MB = 1024 * 1024

# ---- argument generators -------------------------------------------------------------------

UNICODE = ["é", "ß", "日本語", "😀", "\u202e", "\u200b", "\ufeff", "Ω≈ç√", "\u0301", "ﬁ", "\U0010ffff",
           "\ufffd", "İ", "ǅ"]
CONTROL = ["\t", "\n", "\r", "\x01", "\x1b[31m", "\x7f", "\x0b", "\x0c", "\x1f"]
INJECTION = ["'; DROP TABLE pfm_migrate.revisions; --", "x' OR '1'='1", "$$; SELECT 1; $$",
             "$q$ $q$", "\\! touch /tmp/pfm_fuzz_pwned", "\\o /tmp/pfm_fuzz_out", "); DELETE FROM pfm_migrate.applied; --",
             "\"; DROP SCHEMA pfm_migrate CASCADE; --", "%s%s%s%n", "%x%x", "{{}}", "{a,\"b\"}", "E'\\x00'",
             "' || pg_sleep(10) || '", "head'; COMMIT; --", "a\\", "\\\\", "U&'\\0000'", "/*", "*/", "--", "$1"]
# Byte sequences that are not valid UTF-8 (sent only to the SQL_ASCII database, raw).
NOT_UTF8 = [b"\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\xc0\xaf",
            b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"abc\x80def", b"\xfe\xfe\xff\xff"]


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.ids = []       # ids this episode registered (or tried to)
        self.labels = []

    def pick(self, seq):
        return self.r.choice(seq)

    def new_id(self):
        r = self.r.random()
        if r < 0.6 or not self.ids:
            rid = "%s%03d" % (self.pick("abcdef"), self.r.randrange(30))
        elif r < 0.8:
            rid = self.pick(["0001", "0002", "ab", "a", "1", "A.b-c_d", "x" * 64, "x" * 65, "-x", ".x",
                             "base", "head", "heads", "current", "a@b", "a:b", "a,b", "a b"])
        else:
            rid = self.weird_text(short=True)
        self.ids.append(rid)
        return rid

    def existing_id(self):
        return self.pick(self.ids) if self.ids else self.new_id()

    def label(self):
        lab = self.pick(["main", "feat", "billing", "search", "l%d" % self.r.randrange(5), "base", "head", "a@b", ""])
        self.labels.append(lab)
        return lab

    def weird_text(self, short=False):
        r = self.r.random()
        if r < 0.12:
            return ""
        if r < 0.25:
            return "".join(self.pick(UNICODE) for _ in range(self.r.randrange(1, 6)))
        if r < 0.38:
            return "a" + "".join(self.pick(CONTROL) for _ in range(self.r.randrange(1, 4))) + "b"
        if r < 0.55:
            return self.pick(INJECTION)
        if r < 0.62 and not short:
            return self.pick(["x", "ab", "日"]) * self.r.choice([70000, 300000, MB // 2])
        if r < 0.75:
            return " " * self.r.randrange(1, 5) + self.existing_id() + " " * self.r.randrange(0, 3)
        n = self.r.randrange(1, 12 if short else 80)
        return "".join(chr(self.r.choice([self.r.randrange(32, 127), self.r.randrange(0x80, 0x800),
                                          self.r.randrange(0x800, 0xd7ff)])) for _ in range(n))

    def target(self):
        """The target grammar of src/core/target.cpp, and near misses of it."""
        r = self.r.random()
        rid = self.existing_id()
        n = self.pick(["1", "2", "0", "3", "10", "2147483647", "2147483648", "99999999999999999999", "-1",
                       "+1", "", " 1", "1x"])
        lab = self.pick(self.labels) if self.labels and self.r.random() < 0.7 else self.label()
        forms = ["head", "heads", "base", rid, rid[: max(1, len(rid) // 2)], "+" + n, "-" + n, rid + "+" + n,
                 rid + "-" + n, lab + "@head", lab + "@base", lab + "@+" + n, lab + "@-" + n, rid + "@head",
                 "current", lab + "@" + rid, "@head", "@", "+", "-", "head@head", "heads+1", "base-1",
                 rid + "@" + lab + "@head", "HEAD", "Head", " head", "head ", ":", rid + ":" + rid,
                 "base:heads", ":head", rid + ":", "-1:", "heads:+1", lab + "@-1:" + rid]
        if r < 0.85:
            return self.pick(forms)
        return self.weird_text(short=True)

    def parents(self):
        r = self.r.random()
        if r < 0.3:
            return None
        if r < 0.7:
            return self.existing_id()
        if r < 0.85:
            return ",".join(self.existing_id() for _ in range(self.r.randrange(2, 4)))
        return self.pick(["", ",", "a,,b", " , ", self.new_id(), self.weird_text(short=True)])

    def body(self):
        r = self.r.random()
        t = "fz_t%d" % self.r.randrange(40)
        if r < 0.35:
            return self.pick(["CREATE TABLE IF NOT EXISTS fz.%s (id int)" % t, "SELECT 1",
                              "CREATE TABLE IF NOT EXISTS fz.%s (id int); INSERT INTO fz.%s VALUES (1)" % (t, t),
                              "DROP TABLE IF EXISTS fz.%s" % t, ""])
        if r < 0.45:
            return self.pick(["SELECT 1/0", "SELEC 1", "COMMIT", "ROLLBACK", "VACUUM", "BEGIN",
                              "CREATE INDEX CONCURRENTLY ON fz.%s (id)" % t, "DROP EXTENSION pfm_migrate",
                              "DROP SCHEMA pfm_migrate CASCADE", "DELETE FROM pfm_migrate.applied",
                              "SELECT pg_sleep(0.01)", "DO $$BEGIN RAISE EXCEPTION 'boom'; END$$",
                              "SET search_path = evil", "CREATE DATABASE fz_nope", "LISTEN x; NOTIFY x",
                              "SELECT $q$x$q$;\n\\! touch /tmp/pfm_fuzz_pwned\n", "-- only a comment",
                              "/* unterminated", "SELECT 'unterminated", "$$", ";;;;", "SELECT 1;" * 2000,
                              "CREATE TABLE IF NOT EXISTS fz.%s (id int);\nCOPY fz.%s FROM STDIN" % (t, t),
                              "PREPARE p AS SELECT 1", "DEALLOCATE ALL", "DISCARD ALL", "SAVEPOINT s",
                              "SELECT pfm_upgrade('head')", "SELECT pfm_register('nested', NULL, 'SELECT 1')",
                              "CALL pfm_deploy('head')"])
        if r < 0.5:
            return "SELECT '" + "x" * self.r.choice([MB, 3 * MB]) + "'"
        if r < 0.55:
            return "-- " + "y" * (2 * MB)
        return self.weird_text()

    def migration_file(self, rid):
        parents = self.parents() or "base"
        lines = ["-- fuzz", "-- pfm:revision %s" % rid, "-- pfm:parents %s" % parents,
                 "-- pfm:message %s" % self.weird_text(short=True).replace("\n", " ")]
        if self.r.random() < 0.2:
            lines.append("-- pfm:branch-labels %s" % self.label())
        if self.r.random() < 0.15:
            lines.append("-- pfm:depends-on %s" % self.existing_id())
        if self.r.random() < 0.1:
            lines.append("-- pfm:transactional %s" % self.pick(["false", "true", "maybe"]))
        if self.r.random() < 0.1:
            lines.append("-- pfm:%s x" % self.pick(["parent", "revison", "", "upgrade x"]))
        lines += ["", "-- pfm:upgrade", self.body(), ""]
        if self.r.random() < 0.8:
            lines += ["-- pfm:downgrade", self.body() if self.r.random() < 0.5 else "SELECT 1"]
        elif self.r.random() < 0.5:
            lines.append("-- pfm:downgrade irreversible")
        text = "\n".join(lines)
        if self.r.random() < 0.1:  # truncated, doubled or shuffled
            k = self.r.random()
            if k < 0.3:
                text = text[: self.r.randrange(len(text) + 1)]
            elif k < 0.6:
                text = text + "\n" + text
            else:
                ls = text.split("\n")
                self.r.shuffle(ls)
                text = "\n".join(ls)
        if self.r.random() < 0.05:
            text = "SELECT pfm_register(%s, NULL, 'SELECT 1');" % self.pick(["'old1'", "'old1' || 'x'", "$$a$$", "NULL"])
        return text

    def text_for(self, name):
        """A text argument, shaped by the parameter's name most of the time."""
        if self.r.random() < 0.2:
            return self.weird_text()
        if name in ("target", "revisions", "range", "head", "revision", "expected_current"):
            return self.target() if name != "revision" or self.r.random() < 0.5 else self.new_id()
        if name == "down_revision":
            return self.parents()
        if name in ("upgrade", "downgrade"):
            return self.body()
        if name == "file":
            return self.pick(["0001_x.sql", "a.sql", "", "../etc/passwd", "x" * 5000, "dir/b.sql"])
        if name == "content":
            return self.migration_file(self.new_id())
        if name == "direction":
            return self.pick(["upgrade", "downgrade", "sideways", ""])
        if name == "rev_id":
            return self.new_id()
        if name in ("branch_label",):
            return self.label()
        return self.weird_text()

    def array_for(self, name, length=None):
        if self.r.random() < 0.08:
            return None
        if length is None:
            length = self.pick([0, 1, 1, 2, 3, 5, 20])
        if name in ("branch_labels",):
            return [self.label() for _ in range(length)]
        if name == "depends_on":
            return [self.existing_id() if self.r.random() < 0.8 else self.label() for _ in range(length)]
        if name == "files":
            return ["%04d_%s.sql" % (i, self.pick(["a", "b", ""])) for i in range(length)]
        if name == "contents":
            return [self.migration_file(self.new_id()) for _ in range(length)]
        return [self.text_for(name) if self.r.random() < 0.9 else None for _ in range(length)]


# ---- the server ------------------------------------------------------------------------------

class Lost(Exception):
    """The connection dropped: a backend crashed or was terminated."""


class Server:
    def __init__(self, dbname, ascii_db):
        self.dbname = dbname
        self.ascii = ascii_db
        self.conn = None
        self.connect()

    def connect(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = psycopg2.connect(dbname=self.dbname, application_name="pfm_sql_fuzz")
        self.conn.autocommit = True  # CALL pfm_deploy needs to be outside a transaction block
        if self.ascii:
            self.conn.set_client_encoding("SQL_ASCII")
        with self.conn.cursor() as c:
            c.execute("SET statement_timeout = '20s'; SET lock_timeout = '5s'; SET client_min_messages = error;"
                      " SET search_path = public")

    def cleanup(self):
        """Back to a plain session after a call made in another context (see Fuzzer.CONTEXTS)."""
        try:
            if self.conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                self.conn.cursor().execute("ROLLBACK")
            self.conn.cursor().execute("RESET ROLE; SET statement_timeout = '20s'")
        except psycopg2.Error:
            pass

    def run(self, sql, params=None):
        """Returns (sqlstate or None, message). Raises Lost when the backend is gone."""
        try:
            with self.conn.cursor() as c:
                c.execute(sql, params)
                if c.description is not None:
                    c.fetchall()
            return None, ""
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
            if self.conn.closed or getattr(e, "pgcode", None) is None:
                raise Lost(str(e))
            return e.pgcode, str(e).strip()
        except psycopg2.Error as e:
            if self.conn.closed:
                raise Lost(str(e))
            return e.pgcode, (e.pgerror or str(e)).strip()
        except ValueError as e:  # a NUL byte psycopg2 refuses to send: the server never saw it
            return "client", str(e)


def lit(value):
    """A Python value as an SQL expression that needs no parameter (for the report)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "'%s'::float8" % ("NaN" if value != value else "Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, bytes):
        return "convert_from('\\x%s'::bytea, 'SQL_ASCII')" % value.hex()
    if isinstance(value, list):
        return "ARRAY[%s]::text[]" % ", ".join(lit(v) for v in value) if value else "'{}'::text[]"
    s = str(value)
    if len(s) > 200:
        return "repeat(%s, %d)" % (lit(s[:1]), len(s)) if s == s[:1] * len(s) else "(%s /* %d chars */)" % (
            lit(s[:120]), len(s))
    return "E'" + s.replace("\\", "\\\\").replace("'", "''").replace("\n", "\\n").replace("\r", "\\r") \
        .replace("\t", "\\t") + "'"


class Routine:
    def __init__(self, schema, name, kind, argnames, argtypes, nargs, ndefaults):
        self.schema, self.name, self.kind = schema, name, kind
        self.argnames, self.argtypes = argnames, argtypes
        self.nargs, self.ndefaults = nargs, ndefaults

    @property
    def signature(self):
        return "%s.%s(%s)" % (self.schema, self.name, ", ".join(self.argtypes))


def routines(server):
    with server.conn.cursor() as c:
        c.execute("""
            SELECT n.nspname, p.proname, p.prokind,
                   COALESCE(p.proargnames[1:p.pronargs], ARRAY[]::text[]),
                   ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM pg_catalog.unnest(p.proargtypes::oid[]) t),
                   p.pronargs, p.pronargdefaults
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_proc p ON p.oid = d.objid
              JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.deptype = 'e'
               AND d.refclassid = 'pg_catalog.pg_extension'::regclass
               AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'pfm_migrate')
               AND p.prorettype <> 'pg_catalog.trigger'::regtype
             ORDER BY 1, 2, 5""")
        rows = c.fetchall()
    return [Routine(*r) for r in rows]


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.gen = Gen(self.rng)
        self.calls = 0
        self.errors = {}       # sqlstate -> count
        self.per_routine = {}  # signature -> calls
        self.per_context = {}  # context -> calls
        self.findings = []
        self.crashes = 0
        self.edited = set()    # revisions whose bodies the fuzz edited behind the engine's back
        self.direct = False    # whether this episode wrote parents straight into the catalog

    # -- one call ------------------------------------------------------------------------
    def value_for(self, srv, name, typ):
        g, r = self.gen, self.rng
        if r.random() < 0.1:
            return None
        if typ == "text":
            if srv.ascii and r.random() < 0.3:
                return r.choice(NOT_UTF8) + (g.existing_id().encode("ascii", "replace") if r.random() < 0.5 else b"")
            return g.text_for(name)
        if typ == "text[]":
            return g.array_for(name)
        if typ == "boolean":
            return r.random() < 0.5
        if typ == "integer":
            return r.choice([0, 1, -1, 2, 3, -2, 5, 2147483647, -2147483648, r.randrange(-50, 50)])
        if typ == "double precision":
            return r.choice([0.0, -1.0, 1e308, float("nan"), float("inf"), 3.5])
        if typ == "xid":
            return r.choice([0, 1, 3, 4294967295, r.randrange(1 << 32)])
        return g.weird_text()

    def call_sql(self, srv, rt, values):
        exprs = []
        for v, t in zip(values, rt.argtypes):
            if isinstance(v, bytes):
                exprs.append("convert_from(%s::bytea, 'SQL_ASCII')" % ("'\\x" + v.hex() + "'"))
            elif v is None:
                exprs.append("NULL::%s" % t)
            else:
                exprs.append("%%s::%s" % t)
        params = [v for v in values if v is not None and not isinstance(v, bytes)]
        fn = "%s.%s" % (psycopg2.extensions.quote_ident(rt.schema, srv.conn),
                        psycopg2.extensions.quote_ident(rt.name, srv.conn))
        if rt.kind == "p":
            return "CALL %s(%s)" % (fn, ", ".join(exprs)), params
        # Counting the rows and the length of their text form makes every column's output
        # function run, without shipping (maybe non-UTF-8) text to this client.
        return ("SELECT count(*), sum(pg_catalog.length(s.r::text)) FROM (SELECT %s(%s) AS r) s"
                % (fn, ", ".join(exprs)), params)

    # How a call is made: alone (autocommit), with a statement_timeout of a few milliseconds
    # (cancelled at a random point), in a read-only transaction, twice in one transaction
    # block, or as a role with the README's monitoring grants only.
    CONTEXTS = ["plain"] * 16 + ["timeout", "readonly", "block", "monitor"]

    def invoke(self, srv, rt, values, ctx="plain"):
        sql, params = self.call_sql(srv, rt, values)
        if srv.ascii:
            # psycopg2 encodes parameters with the client encoding: keep them ASCII-safe there.
            params = [p.encode("ascii", "replace").decode("ascii") if isinstance(p, str) else
                      [x.encode("ascii", "replace").decode("ascii") if isinstance(x, str) else x for x in p]
                      if isinstance(p, list) else p for p in params]
        if ctx == "timeout":
            sql = "SET statement_timeout = '%dms'; " % (1 + len(params) % 7) + sql
        elif ctx == "readonly":
            sql = "BEGIN READ ONLY; " + sql + "; ROLLBACK"
        elif ctx == "block":
            sql, params = "BEGIN; " + sql + "; " + sql + "; COMMIT", params + params
        elif ctx == "monitor":
            sql = "SET ROLE %s; " % MONITOR + sql
        try:
            return srv.run(sql, params)
        finally:
            if ctx != "plain" and not srv.conn.closed:
                srv.cleanup()

    def describe(self, rt, values):
        return "%s %s.%s(%s)" % ("CALL" if rt.kind == "p" else "SELECT", rt.schema, rt.name,
                                 ", ".join(lit(v) for v in values))

    def minimise(self, srv, rt, values, ctx):
        """Simplifies the arguments one by one while the call still fails with XX000."""
        best = list(values)
        for i in range(len(best)):
            for simpler in (None, "", "x"):
                if best[i] == simpler:
                    continue
                trial = list(best)
                trial[i] = simpler if rt.argtypes[i] == "text" or simpler is None else best[i]
                if trial == best:
                    continue
                try:
                    state, _ = self.invoke(srv, rt, trial, ctx)
                except Lost:
                    srv.connect()
                    state = "XX000"
                if state == "XX000":
                    best = trial
                    break
            if isinstance(best[i], str) and len(best[i]) > 16:
                s = best[i]
                while len(s) > 16:
                    trial = list(best)
                    trial[i] = s[: len(s) // 2]
                    try:
                        state, _ = self.invoke(srv, rt, trial, ctx)
                    except Lost:
                        srv.connect()
                        state = "XX000"
                    if state != "XX000":
                        break
                    s = trial[i]
                    best = trial
        return best

    def call(self, srv, rt):
        values = [self.value_for(srv, n if i < len(rt.argnames) else "", t)
                  for i, (n, t) in enumerate(zip(rt.argnames + [""] * rt.nargs, rt.argtypes))]
        ctx = self.rng.choice(self.CONTEXTS)
        self.calls += 1
        self.per_routine[rt.signature] = self.per_routine.get(rt.signature, 0) + 1
        self.per_context[ctx] = self.per_context.get(ctx, 0) + 1
        try:
            state, message = self.invoke(srv, rt, values, ctx)
        except Lost as e:
            self.crashes += 1
            self.findings.append("backend lost (crash?) on %s [%s]: %s" % (self.describe(rt, values)[:2000], ctx, e))
            self.wait_for_server()
            srv.connect()
            return "a lost backend"
        key = state or "ok"
        self.errors[key] = self.errors.get(key, 0) + 1
        described = self.describe(rt, values) + " [" + ctx + "] -> " + key
        if state == "XX000":
            small = self.minimise(srv, rt, values, ctx)
            self.findings.append("XX000 %s\n    from: %s [%s]\n    minimised: %s" % (
                message.splitlines()[0] if message else "", self.describe(rt, values)[:2000], ctx,
                self.describe(rt, small)[:2000]))
        return described

    def detectors_work(self, srv, admin):
        """A positive control: an XX000 shows as such, and a backend that goes away raises Lost."""
        state, _ = srv.run("DO $$BEGIN RAISE EXCEPTION 'canary' USING ERRCODE = 'XX000'; END$$")
        victim = Server(srv.dbname, False)
        with victim.conn.cursor() as c:
            c.execute("SELECT pg_catalog.pg_backend_pid()")
            pid = c.fetchone()[0]
        with admin.cursor() as c:
            c.execute("SELECT pg_catalog.pg_terminate_backend(%s, 10000)", [pid])
        try:
            victim.run("SELECT 1")
            lost = False
        except Lost:
            lost = True
        return state == "XX000" and lost

    def wait_for_server(self):
        for _ in range(100):
            try:
                psycopg2.connect(dbname="postgres").close()
                return
            except psycopg2.Error:
                time.sleep(0.2)

    # -- episodes: a fresh catalog, then a random graph and random calls -------------------
    def reset(self, srv):
        for sql in ("DROP EXTENSION IF EXISTS pfm_migrate CASCADE", "DROP SCHEMA IF EXISTS fz CASCADE",
                    "CREATE SCHEMA fz", "CREATE EXTENSION pfm_migrate SCHEMA public",
                    "GRANT USAGE ON SCHEMA pfm_migrate TO " + MONITOR,
                    "GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO " + MONITOR):
            state, message = srv.run(sql)
            if state:
                raise SystemExit("setup failed: %s: %s" % (sql, message))
        self.gen.ids, self.gen.labels = [], []
        self.edited.clear()
        self.direct = False

    def build_graph(self, srv, by_name):
        """A random graph through pfm_register and pfm_load (most of them valid)."""
        reg = by_name.get("pfm_register")
        for _ in range(self.rng.randrange(3, 15)):
            rid = self.gen.new_id()
            parent = self.gen.existing_id() if self.gen.ids[:-1] and self.rng.random() < 0.8 else None
            srv.run("SELECT public.pfm_register(%s, %s, %s, %s, %s)",
                    [rid, parent, "CREATE TABLE IF NOT EXISTS fz.t_%s (id int)" % rid.replace(".", "_").replace("-", "_")[:40],
                     "DROP TABLE IF EXISTS fz.t_%s" % rid.replace(".", "_").replace("-", "_")[:40], "fuzz " + rid])
        if reg:
            for _ in range(self.rng.randrange(0, 4)):
                self.call(srv, reg)
        if self.rng.random() < 0.5:
            n = self.rng.randrange(1, 6)
            files = ["%04d_f.sql" % i for i in range(n)]
            contents = [self.gen.migration_file(self.gen.new_id()) for _ in range(n)]
            srv.run("SELECT count(*) FROM public.pfm_load(%s::text[], %s::text[])", [files, contents])

    def tamper(self, srv):
        """What the fuzz does on purpose behind the engine's back (pfm_check may report it)."""
        if not self.gen.ids:
            return
        rid = self.gen.existing_id()
        k = self.rng.random()
        if k < 0.5:
            srv.run("UPDATE pfm_migrate.revisions SET upgrade = upgrade || ' ' WHERE revision = %s", [rid])
            self.edited.add(rid)
        elif k < 0.75:
            srv.run("UPDATE pfm_migrate.revisions SET down_revisions = %s::text[] WHERE revision = %s",
                    [[self.gen.existing_id()], rid])
            self.direct = True
        else:
            srv.run("UPDATE pfm_migrate.revisions SET depends_on = %s::text[] WHERE revision = %s",
                    [[self.gen.existing_id()], rid])
            self.direct = True

    def consistency(self, srv):
        """pfm_check() rows not explained by what the fuzz did on purpose."""
        with srv.conn.cursor() as c:
            c.execute("SELECT severity, revision, problem FROM public.pfm_check()")
            rows = c.fetchall()
            c.execute("""SELECT (SELECT array_agg(version_num ORDER BY version_num) FROM pfm_migrate.version),
                                (SELECT count(*) FROM pfm_migrate.applied a
                                  WHERE NOT EXISTS (SELECT FROM pfm_migrate.revisions r WHERE r.revision = a.revision))""")
            _versions, orphans = c.fetchone()
        unexplained = []
        for severity, rev, problem in rows:
            if severity in ("notice", "warning") and ("has no downgrade body" in problem or "several heads" in problem
                                                      or "is partly applied" in problem):
                continue  # what a random graph holds, or a non-transactional revision that failed midway
            if "changed since it was applied" in problem and rev in self.edited:
                continue  # drift: the fuzz edited this body behind the engine's back
            if any(k in problem for k in ("names itself", "names parent", "depends on", "cycle detected",
                                          "branch label", "which is not applied")):
                # The graph's shape is the fuzz's to choose: pfm_register and pfm_load accept forward
                # references (a parent registered later, maybe never), re-registration may change
                # the parents of an applied revision, and tamper() rewrites parents directly.
                # pfm_check is there to report such graphs; they are not a broken catalog.
                continue
            if problem.startswith("pfm_migrate.version holds") and self.direct:
                continue  # tamper() rewrote parents behind the engine's back: the applied set's heads moved
            unexplained.append("%s %s: %s" % (severity, rev, problem))
        if orphans:
            unexplained.append("%d applied revisions are not registered (the fuzz deletes no catalog rows)" % orphans)
        return unexplained, len(rows)

    def server_log_findings(self):
        if not self.args.server_log or not os.path.exists(self.args.server_log):
            return []
        with open(self.args.server_log, "rb") as f:
            f.seek(self.log_start)
            tail = f.read().decode("utf-8", "replace")
        return [l for l in tail.splitlines() if "terminated by signal" in l or "PANIC" in l
                or "was terminated by exception" in l]

    def main(self):
        a = self.args
        self.log_start = os.path.getsize(a.server_log) if a.server_log and os.path.exists(a.server_log) else 0
        admin = psycopg2.connect(dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as c:
            c.execute("SET client_min_messages = warning")
            for db, enc in ((DB_UTF8, "UTF8"), (DB_ASCII, "SQL_ASCII")):
                c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % db)
                c.execute("CREATE DATABASE %s TEMPLATE template0 ENCODING '%s' LC_COLLATE 'C' LC_CTYPE 'C'" % (db, enc))
            c.execute("DROP ROLE IF EXISTS " + MONITOR)
            c.execute("CREATE ROLE " + MONITOR)
        servers = [Server(DB_UTF8, False), Server(DB_ASCII, True)]
        detectors = self.detectors_work(servers[0], admin)
        for s in servers:
            self.reset(s)
        rts = routines(servers[0])
        by_name = {r.name: r for r in rts}
        print("sql fuzz: seed %d, %ds, %d routines: %s" % (a.seed, a.seconds, len(rts),
                                                          ", ".join(r.signature for r in rts)), flush=True)
        deadline = time.time() + a.seconds
        episode = 0
        unexplained_total = []
        while time.time() < deadline and self.calls < a.calls:
            episode += 1
            srv = servers[0] if self.rng.random() < 0.75 else servers[1]
            self.reset(srv)
            self.build_graph(srv, by_name)
            for i in range(self.rng.randrange(50, 300)):
                if time.time() >= deadline or self.calls >= a.calls:
                    break
                if self.rng.random() < 0.02:
                    self.tamper(srv)
                    what = "tamper"
                else:
                    rt = self.rng.choice(rts)
                    what = self.call(srv, rt)
                if a.check_each:
                    try:
                        bad, _ = self.consistency(srv)
                    except psycopg2.Error as e:
                        bad = ["pfm_check() failed: %s" % e]
                        srv.connect()
                    if bad:
                        print("episode %d, call %d: the catalog became inconsistent after %s:\n    %s" % (
                            episode, self.calls, what[:3000], "\n    ".join(bad)), flush=True)
                        self.reset(srv)
            try:
                unexplained, nrows = self.consistency(srv)
            except psycopg2.Error as e:
                unexplained, nrows = ["pfm_check() failed: %s" % e], 0
                srv.connect()
            for u in unexplained:
                unexplained_total.append("episode %d (%s): %s" % (episode, srv.dbname, u))
        # Every routine at least a few times, whatever the dice said.
        for rt in rts:
            for srv in servers:
                for _ in range(3):
                    self.call(srv, rt)
        alive = True
        try:
            c = psycopg2.connect(dbname="postgres")
            with c.cursor() as cur:
                cur.execute("SELECT 1")
            c.close()
        except psycopg2.Error:
            alive = False
        log = self.server_log_findings()
        never = [r.signature for r in rts if self.per_routine.get(r.signature, 0) == 0]
        print("calls: %d in %d episodes; outcomes: %s" % (self.calls, episode, ", ".join(
            "%s %d" % kv for kv in sorted(self.errors.items(), key=lambda kv: -kv[1]))))
        print("per routine: " + ", ".join("%s %d" % (k, v) for k, v in sorted(self.per_routine.items())))
        print("per context: " + ", ".join("%s %d" % (k, v) for k, v in sorted(self.per_context.items())))
        checks = [
            ("the detectors catch an XX000 and a lost backend", detectors, ""),
            ("server still answers", alive, ""),
            ("no backend lost", self.crashes == 0, "%d" % self.crashes),
            ("server log has no 'terminated by signal' / PANIC", not log, "\n".join(log[:20])),
            ("no SQLSTATE XX000", not any(f.startswith("XX000") for f in self.findings),
             "\n".join(f for f in self.findings if f.startswith("XX000"))),
            ("pfm_check() holds nothing the fuzz did not cause", not unexplained_total,
             "\n".join(unexplained_total[:30])),
            ("every routine was called", not never, ", ".join(never)),
        ]
        failed = 0
        for name, ok, detail in checks:
            print(("ok - " if ok else "not ok - ") + name)
            if not ok:
                failed += 1
                for line in detail.splitlines():
                    print("    " + line)
        for f in self.findings:
            if not f.startswith("XX000"):
                print("  finding: " + f[:3000])
        print("reproduce: PFM_SQL_FUZZ_SEED=%d" % a.seed)
        print("sql fuzz: %d passed, %d failed" % (len(checks) - failed, failed))
        for s in servers:
            s.conn.close()
        with admin.cursor() as c:
            for db in (DB_UTF8, DB_ASCII):
                c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % db)
            c.execute("DROP ROLE IF EXISTS " + MONITOR)
        return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    env_seed = os.environ.get("PFM_SQL_FUZZ_SEED")
    p.add_argument("--seed", type=int, default=int(env_seed) if env_seed else random.SystemRandom().randrange(1 << 31))
    p.add_argument("--seconds", type=int, default=int(os.environ.get("PFM_SQL_FUZZ_SECONDS", "60")))
    p.add_argument("--calls", type=int, default=100000)
    p.add_argument("--server-log", default=os.environ.get("PFM_SERVER_LOG"))
    p.add_argument("--check-each", action="store_true",
                   help="run the consistency check after every call and name the call that broke it (slow)")
    sys.exit(Fuzzer(p.parse_args()).main())


if __name__ == "__main__":
    main()
