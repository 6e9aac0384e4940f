#!/usr/bin/env python3
"""Convert an Alembic versions directory of raw-SQL migrations into pfm_migrate files.

    scripts/alembic_to_pfm.py alembic/versions migrations/

Every Alembic file NAME.py becomes NAME.sql in the migration file format (see
the README): `-- pfm:` headers keeping the revision, down_revision (a tuple
becomes a merge), branch_labels, depends_on and the first line of the
docstring as the message, then an upgrade and a downgrade section.
upgrade() and downgrade() may contain only op.execute(<string>) calls (a
literal, sa.text(<literal>), or a module-level string constant), `pass` and
docstrings; a downgrade() that only raises becomes an irreversible revision
(`-- pfm:downgrade irreversible`). Statements inside
`with op.get_context().autocommit_block():` (CREATE INDEX CONCURRENTLY, ALTER
TYPE ... ADD VALUE and the like) make a non-transactional revision
(`-- pfm:transactional false`, each statement at top level, deployed by
CALL pfm_deploy); a function that mixes them with statements outside the block
is refused, because pfm_migrate runs a revision in a transaction or not as a
whole: split it into two revisions.

The files are read with `ast`, never imported or executed: converting runs
none of the project's code (no database connection, no imports of the
application's models), and anything that is not plainly raw SQL is refused,
with the file and line named, instead of being guessed at. Nothing is written
unless every file converts. Exit status: 0 converted, 1 refused, 2 usage.

Python 3 standard library only.
"""

import argparse
import ast
import os
import re
import sys
import textwrap

REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# What the migration file format reads as a header or section marker (core/migration_file.hpp).
MARKER_RE = re.compile(r"^\s*--\s*pfm:(upgrade|downgrade|revision|parents|message|branch-labels|depends-on|transactional)\b")
# SQLAlchemy's text() turns "\:" into ":" (an escaped bind-parameter colon).
TEXT_COLON_ESCAPE = re.compile(r"\\:")
# An unescaped :name is a bind parameter in text(), which Alembic would have needed a value for.
BIND_PARAM = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class Refused(Exception):
    def __init__(self, node, message):
        super().__init__(message)
        self.line = getattr(node, "lineno", 1)


def string_value(node, constants):
    """The string an expression stands for: a literal, a module constant, or text(<literal>)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if (isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1
            and ((isinstance(node.func, ast.Attribute) and node.func.attr == "text")
                 or (isinstance(node.func, ast.Name) and node.func.id == "text"))):
        return string_value(node.args[0], constants)
    if isinstance(node, ast.JoinedStr):
        raise Refused(node, "f-string SQL is computed at run time; write the SQL out literally")
    raise Refused(node, "op.execute() argument is not a string literal")


def call_name(node):
    """'op.add_column' for op.add_column(...), 'foo' for foo(...)."""
    parts = []
    func = node.func
    while isinstance(func, (ast.Attribute, ast.Call)):
        if isinstance(func, ast.Call):
            func = func.func
            continue
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    else:
        parts.append("<expression>")
    return ".".join(reversed(parts))


def convert_function(func, constants):
    """(SQL, non_transactional, statement count) of upgrade()/downgrade(); None when it only raises."""
    statements = []
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # docstring
    if func.args.args or func.args.vararg or func.args.kwonlyargs or func.args.kwarg:
        raise Refused(func, "%s() takes arguments" % func.name)
    if func.decorator_list:
        raise Refused(func.decorator_list[0], "%s() is decorated" % func.name)
    if func.name == "downgrade" and len(body) == 1 and isinstance(body[0], ast.Raise):
        return None  # irreversible
    inside, outside = [], []  # the statements run in / out of an autocommit_block()
    count = 0  # op.execute() calls
    for stmt in body:
        in_block = isinstance(stmt, ast.With) and len(stmt.items) == 1 and is_autocommit_block(stmt.items[0])
        sql, n = convert_statements(stmt.body if in_block else [stmt], constants, func.name)
        if sql:
            statements.append(sql)
            (inside if in_block else outside).append(stmt)
            count += n
    if inside and outside:
        first = min(inside[0], outside[0], key=lambda n: n.lineno)
        raise Refused(first, "%s() runs statements both inside and outside autocommit_block(); a pfm_migrate "
                             "revision is transactional or not as a whole: split it into two revisions"
                      % func.name)
    return "\n\n".join(statements), bool(inside), count


def is_autocommit_block(item):
    """`op.get_context().autocommit_block()` as a with-item (no `as` target)."""
    call = item.context_expr
    return (item.optional_vars is None and isinstance(call, ast.Call) and not call.args and not call.keywords
            and call_name(call) == "op.get_context.autocommit_block")


def convert_statements(body, constants, function):
    """SQL of op.execute() calls, pass and ... in BODY; anything else is refused."""
    statements = []
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis:
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            name = call_name(call)
            if name == "op.execute":
                if len(call.args) != 1 or call.keywords:
                    raise Refused(call, "op.execute() with more than one argument")
                sql = string_value(call.args[0], constants)
                bind = BIND_PARAM.search(sql)
                if bind:
                    raise Refused(call, "SQL has a bind parameter ':%s' that Alembic's text() would "
                                        "need a value for; escape it as '\\:%s'" % (bind.group(1), bind.group(1)))
                sql = textwrap.dedent(TEXT_COLON_ESCAPE.sub(":", sql)).strip()
                if sql:
                    statements.append(sql if sql.endswith(";") else sql + ";")
                continue
            if name.startswith("op."):
                raise Refused(call, "%s() is not raw SQL; rewrite it as op.execute(\"...\")" % name)
            raise Refused(call, "call to %s() cannot be translated to SQL" % name)
        if isinstance(stmt, ast.With) and any(is_autocommit_block(i) for i in stmt.items):
            raise Refused(stmt, "autocommit_block() must be a statement of %s() itself, alone in its with" % function)
        raise Refused(stmt, "%s statement in %s() cannot be translated to SQL"
                      % (type(stmt).__name__, function))
    return "\n\n".join(statements), len(statements)


def identifiers(node, name, allow_many):
    """None, 'x', or ('x', 'y') / ['x', 'y'] -> list of strings (validated)."""
    if isinstance(node, ast.Constant) and node.value is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        values = [node.value]
    elif isinstance(node, (ast.Tuple, ast.List)) and allow_many:
        values = []
        for elt in node.elts:
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                raise Refused(elt, "%s must hold string literals" % name)
            values.append(elt.value)
    else:
        raise Refused(node, "%s must be a string literal%s" % (name, " or a tuple of them" if allow_many else ""))
    for v in values:
        if not REVISION_RE.match(v):
            raise Refused(node, "%s %r is not a valid revision id or label" % (name, v))
    return values


def convert_file(path, source_label):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        raise Refused(e, "syntax error: %s" % e.msg)

    found = {}
    constants = {}
    functions = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            target, value = stmt.target.id, stmt.value
        elif isinstance(stmt, ast.FunctionDef) and stmt.name in ("upgrade", "downgrade"):
            functions[stmt.name] = stmt
            continue
        else:
            continue  # imports, the docstring, helpers upgrade()/downgrade() cannot call anyway
        if target in ("revision", "down_revision", "branch_labels", "depends_on"):
            found[target] = value
        elif isinstance(value, ast.Constant) and isinstance(value.value, str):
            constants[target] = value.value

    if "revision" not in found:
        raise Refused(tree, "no `revision = '...'` assignment")
    revision = identifiers(found["revision"], "revision", False)
    if not revision:
        raise Refused(found["revision"], "revision is None")
    revision = revision[0]
    parents = identifiers(found["down_revision"], "down_revision", True) if "down_revision" in found else []
    labels = identifiers(found["branch_labels"], "branch_labels", True) if "branch_labels" in found else []
    depends = identifiers(found["depends_on"], "depends_on", True) if "depends_on" in found else []
    if "upgrade" not in functions:
        raise Refused(tree, "no upgrade() function")
    upgrade, up_nontx, up_count = convert_function(functions["upgrade"], constants)
    converted = convert_function(functions["downgrade"], constants) if "downgrade" in functions else None
    downgrade, down_nontx, down_count = converted if converted else (None, False, 0)
    nontx = up_nontx or down_nontx
    # One statement runs the same in a transaction or alone; more would lose their atomicity.
    for name, other_nontx, count in (("upgrade", up_nontx, up_count), ("downgrade", down_nontx, down_count)):
        if nontx and not other_nontx and count > 1:
            raise Refused(functions[name], "%s() runs %d statements in one transaction, but the other direction "
                                           "uses autocommit_block(); a pfm_migrate revision is transactional or "
                                           "not as a whole: put them in autocommit_block() too, or split the "
                                           "revision" % (name, count))

    doc = ast.get_docstring(tree) or ""
    message = doc.strip().splitlines()[0].strip() if doc.strip() else None

    for section, body in (("upgrade", upgrade), ("downgrade", downgrade or "")):
        for line in body.splitlines():
            if MARKER_RE.match(line):
                raise Refused(functions[section], "the %s SQL has a line that reads like a -- pfm: header or marker: %r"
                              % (section, line.strip()))
    header = ["-- %s" % (message or revision), "--",
              "-- Converted from the Alembic file %s by scripts/alembic_to_pfm.py" % source_label,
              "-- pfm:revision %s" % revision,
              "-- pfm:parents %s" % (", ".join(parents) if parents else "base")]
    if message:
        header.append("-- pfm:message %s" % message)
    if labels:
        header.append("-- pfm:branch-labels %s" % ", ".join(labels))
    if depends:
        header.append("-- pfm:depends-on %s" % ", ".join(depends))
    if nontx:
        header.append("-- pfm:transactional false")
    text = "\n".join(header) + "\n\n-- pfm:upgrade\n"
    if upgrade.strip():
        text += upgrade.strip() + "\n"
    if downgrade is None:
        text += "\n-- pfm:downgrade irreversible\n"
    else:
        text += "\n-- pfm:downgrade\n" + (downgrade.strip() + "\n" if downgrade.strip() else "")
    return revision, text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("versions_dir", help="the Alembic versions directory (e.g. alembic/versions)")
    parser.add_argument("out_dir", help="where to write the .sql files (created if missing)")
    parser.add_argument("--force", action="store_true", help="overwrite .sql files that differ")
    args = parser.parse_args(argv)

    if not os.path.isdir(args.versions_dir):
        parser.error("%s is not a directory" % args.versions_dir)
    names = sorted(n for n in os.listdir(args.versions_dir)
                   if n.endswith(".py") and n != "__init__.py" and not n.startswith("."))
    if not names:
        parser.error("no migration files (*.py) in %s" % args.versions_dir)

    errors, outputs, seen = [], [], {}
    for name in names:
        path = os.path.join(args.versions_dir, name)
        try:
            revision, text = convert_file(path, name)
        except Refused as e:
            errors.append("%s:%d: %s" % (path, e.line, e))
            continue
        except (OSError, UnicodeDecodeError) as e:
            errors.append("%s: %s" % (path, e))
            continue
        if revision in seen:
            errors.append("%s: revision %s is also defined in %s" % (path, revision, seen[revision]))
            continue
        seen[revision] = path
        out = os.path.join(args.out_dir, name[:-3] + ".sql")
        if os.path.exists(out) and not args.force:
            with open(out, encoding="utf-8") as f:
                if f.read() != text:
                    errors.append("%s: exists and differs (use --force to overwrite)" % out)
                    continue
        outputs.append((out, text))

    if errors:
        for e in errors:
            print("error: " + e, file=sys.stderr)
        print("refused: %d file(s) cannot be converted; nothing was written" % len(errors), file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    for out, text in outputs:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        print(out)
    print("converted %d revision(s) into %s" % (len(outputs), args.out_dir), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
