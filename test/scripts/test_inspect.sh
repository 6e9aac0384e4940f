# shellcheck shell=bash
# dev.sh show / branches / heads / history -r / graph / stamp --purge and deploy.sh current
# [--check-heads] / stamp --purge (issue 16), on the example project with two branches, a merge
# and a dependency (examples/branches/migrations). Sourced by run.sh.

DEV=$SCRIPTS/dev.sh DEPLOY=$SCRIPTS/deploy.sh
I=$WORK/inspect
mkdir -p "$I/migrations"
cp "$PFM_ROOT"/examples/branches/migrations/*.sql "$I/migrations/"
# The dev cluster test_dev.sh uses (run.sh stops it), a database of our own.
export PFM_DEV_DIR=$WORK/dev/cluster PFM_DEV_DB=pfm_inspect MIGRATIONS_DIR=$I/migrations
# shellcheck disable=SC2034 # stopped by run.sh's cleanup
DEV_STOP=$PFM_DEV_DIR/data
iq() { psql -X -At -v ON_ERROR_STOP=1 -h "$PFM_DEV_DIR/run" -U postgres -d pfm_inspect -c "$1"; }
REVISIONS=(0001 0002 0003 0004 0005 0006 a001)

run "$DEV" migrate 0003
rc_is 0 "dev migrate 0003 (the billing branch)"
run "$DEV" migrate a001
is "$RC/$(iq "SELECT pfm_current()")" "0/0003,a001" "dev migrate a001: two current heads"

# ---- show -------------------------------------------------------------------------------
run "$DEV" show 0004
rc_is 0 "dev show 0004: exit 0"
for line in "Rev: 0004" "Parent: 0002" "Also depends on: audit" "Branches into: 0005" "Branch names: search" \
	"Path: 0004_add_search_documents.sql" "Applied: no (pending)" "    Add search documents" "-- upgrade" \
	"CREATE TABLE search_documents (user_id bigint REFERENCES users, body tsvector);" "-- downgrade" \
	"DROP TABLE search_documents;"; do
	check "dev show 0004: prints '$line'" grep -qxF -- "$line" <<<"$OUT"
done
run "$DEV" show 0005
out_has "Rev: 0005 (mergepoint)" "dev show: a merge point ..."
out_has "Merges: 0003, 0004" "... and what it merges"
run "$DEV" show current
is "$(grep -c '^Rev: ' <<<"$OUT")/$(grep -c '^Applied: .* by postgres$' <<<"$OUT")" 2/2 \
	"dev show current: one block per current head, applied, by whom"
out_has "Rev: a001 (head)" "dev show current: ... a001 among them"
run "$DEV" show nope
rc_is 2 "dev show: an unknown revision fails (exit 2)"
out_has "can't locate revision identified by 'nope'" "dev show: ... with Alembic's words"
run "$DEV" show
rc_is 1 "dev show without a revision: usage (exit 1)"

# ---- branches, heads, history -r -----------------------------------------------------------
run "$DEV" branches
is "$OUT" "0002 (branchpoint), Add user preferences
  -> 0003, Add invoices
  -> 0004, Add search documents" "dev branches: the branch point and what it branches into"
run "$DEV" heads
is "$OUT" "0006 (head), Add invoice search
a001 (effective head), Create audit log" "dev heads: both heads, a001 marked as depended on"
run "$DEV" heads --resolve-dependencies
is "$OUT" "0006 (head), Add invoice search" "dev heads --resolve-dependencies: the real heads"
run "$DEV" history -r 0003:billing@head
rc_is 0 "dev history -r: exit 0"
is "$(awk 'NR > 1 { print $1 }' <<<"$OUT" | paste -sd' ')" "0006 0005 0003" \
	"dev history -r 0003:billing@head: from 0003 up to the branch's head, newest first"
check "dev history -r: pfm_history()'s table" grep -qE '^0003 +0002 +current ' <<<"$OUT"
run "$DEV" history -r 0003
rc_is 2 "dev history -r without a colon fails (exit 2) ..."
out_has "history range requires [start]:[end], [start]:, or :[end]" "... with Alembic's words"
run "$DEV" history -x 0003:
rc_is 1 "dev history with another option: usage (exit 1)"

# ---- graph ---------------------------------------------------------------------------------
run "$DEV" graph "$I/graph.svg"
rc_is 0 "dev graph FILE.svg: exit 0"
check "dev graph: dot rendered an SVG" grep -q '<svg' "$I/graph.svg"
missing=
for r in "${REVISIONS[@]}"; do grep -qF "<title>$r</title>" "$I/graph.svg" || missing+=" $r"; done
is "$missing" "" "dev graph: every revision is a node of the SVG"
run "$DEV" graph "$I/graph.png"
check "dev graph FILE.png: a PNG" bash -c "file '$I/graph.png' | grep -q 'PNG image'"
run "$DEV" graph "$I/graph.pdf"
rc_is 1 "dev graph: another format is a usage error (exit 1)"
dot_text=$("$DEV" graph 2>/dev/null)
is "$(head -1 <<<"$dot_text")" "digraph pfm_migrate {" "dev graph without FILE: the DOT alone on stdout"
check "dot accepts dev graph's DOT" bash -c 'dot -Tsvg -o /dev/null' <<<"$dot_text"
check "dot accepts pfm_graph() straight from SQL" bash -c "psql -X -At -h '$PFM_DEV_DIR/run' -U postgres -d pfm_inspect \
	-c 'SELECT pfm_graph()' | dot -Tsvg -o /dev/null"
# Every revision and edge is there (the files are registered: dev migrate loaded them).
missing=
for r in "${REVISIONS[@]}"; do grep -qE "^  \"$r\" \[label=\"${r}[ \\]" <<<"$dot_text" || missing+=" $r"; done
is "$missing" "" "pfm_graph: one node per revision, labelled with its id"
missing=
while IFS='|' read -r parent child; do
	grep -qxF "  \"$parent\" -> \"$child\";" <<<"$dot_text" || missing+=" $parent->$child"
done < <(iq "SELECT p, revision FROM pfm_migrate.revisions, unnest(down_revisions) AS p")
is "$missing" "" "pfm_graph: every parent edge, solid"
check "pfm_graph: the dependency edge (on the label audit), dashed" grep -qF '  "a001" -> "0004" [style=dashed' <<<"$dot_text"
is "$(grep -c '^  "[^@][^"]*" -> ' <<<"$dot_text")" \
	"$(iq "SELECT sum(cardinality(down_revisions) + cardinality(depends_on)) FROM pfm_migrate.revisions")" \
	"pfm_graph: no other edge between revisions"
check "pfm_graph: each branch label is a tag" grep -qF '"@label billing 0003" -> "0003"' <<<"$dot_text"
# Colours follow the state: each node is filled like the legend's entry for its state.
fill_of() { grep -E "^ *\"$1\" \[" <<<"$2" | grep -oE 'fillcolor="#[0-9a-f]{6}"' | head -1; }
colours_follow() { # DOT, then STATE:REV... ; prints the mismatches
	local text=$1 pair state rev bad=
	shift
	for pair in "$@"; do
		state=${pair%%:*} rev=${pair#*:}
		[ "$(fill_of "$rev" "$text")" = "$(fill_of "@legend $state" "$text")" ] || bad+=" $rev($state)"
	done
	printf '%s' "$bad"
}
is "$(colours_follow "$dot_text" applied:0001 applied:0002 current:0003 current:a001 pending:0004 pending:0005 pending:0006)" "" \
	"pfm_graph: applied, current and pending revisions in the legend's colours"
check "pfm_graph: the four states have four colours" test "$(for s in pending applied current drifted; do fill_of "@legend $s" "$dot_text"; done | sort -u | wc -l)" = 4
iq "UPDATE pfm_migrate.revisions SET downgrade = 'DROP TABLE users CASCADE;' WHERE revision = '0001'" >/dev/null
drifted_text=$(iq "SELECT pfm_graph()")
is "$(colours_follow "$drifted_text" drifted:0001 applied:0002 current:0003)" "" "pfm_graph: a drifted revision in the drift colour"
iq "UPDATE pfm_migrate.revisions SET downgrade = 'DROP TABLE users;' WHERE revision = '0001'" >/dev/null
run "$DEV" migrate 0004
is "$RC/$(colours_follow "$("$DEV" graph 2>/dev/null)" current:0003 applied:a001 current:0004 pending:0005)" "0/" \
	"pfm_graph: the colours move with the state (0004 applied: a001 below it, 0003 still current)"

# ---- stamp --purge -------------------------------------------------------------------------
iq "INSERT INTO pfm_migrate.applied (revision, checksum, stamped) VALUES ('phantom9', 'x', true)" >/dev/null
run "$DEV" stamp 0003
rc_is 2 "dev stamp: a phantom applied revision blocks it (exit 2) ..."
out_has "pfm_stamp(target, purge => true)" "... and the error says the way out"
audit=$(iq "SELECT count(*) FROM pfm_migrate.audit")
run "$DEV" stamp --purge 0004
rc_is 0 "dev stamp --purge 0004: exit 0"
out_has "current revision: 0004" "dev stamp --purge: prints the current revision"
is "$(iq "SELECT string_agg(revision, ',' ORDER BY revision) FROM pfm_migrate.applied")" "0001,0002,0004,a001" \
	"dev stamp --purge: exactly the target's ancestry is applied, the phantom is gone"
is "$(( $(iq "SELECT count(*) FROM pfm_migrate.audit") - audit ))" 10 \
	"dev stamp --purge: one audit row per revision forgotten (6) and marked (4)"
run "$DEV" stamp --purge
rc_is 1 "dev stamp --purge without a target: usage (exit 1)"

# ---- deploy.sh current [--check-heads], stamp --purge ----------------------------------------
newdb inspect_deploy
export DATABASE_URL
DATABASE_URL=$(url inspect_deploy)
run "$DEPLOY" current
is "$RC/$OUT" "0/base" "deploy current: base on a new database (exit 0)"
run "$DEPLOY" current --check-heads
rc_is 3 "deploy current --check-heads: not on the heads (exit 3) ..."
out_has "not on every head: 0006 a001 not applied in inspect_deploy" "... naming the heads that are not applied"
is "$(q inspect_deploy "SELECT count(*) FROM pg_extension WHERE extname = 'pfm_migrate'")" 0 "deploy current: changed nothing"
run "$DEPLOY" migrate 0003
run "$DEPLOY" current
is "$RC/$OUT" "0/0003" "deploy current: the version row, not a head of the files"
run "$DEPLOY" migrate heads
before=$(dump_of inspect_deploy)
run "$DEPLOY" current --check-heads
is "$RC/$OUT" "0/0006 (head)" "deploy current --check-heads: on every head (a001 too, which 0004 needs), exit 0"
is "$(dump_of inspect_deploy)" "$before" "deploy current: the database is byte-for-byte the same"
mig "$MIGRATIONS_DIR/0007_add_refunds.sql" 0007 0006 "Add refunds" 'CREATE TABLE refunds (id int);' 'DROP TABLE refunds;'
run "$DEPLOY" current --check-heads
rc_is 3 "deploy current --check-heads: a new migration file is a head not applied (exit 3)"
out_has "not on every head: 0007" "... named"
run "$DEPLOY" current --bad
rc_is 1 "deploy current --bad: usage (exit 1)"
q inspect_deploy "INSERT INTO pfm_migrate.applied (revision, checksum, stamped) VALUES ('preview42', 'x', true)" >/dev/null
run "$DEPLOY" stamp 0006
rc_is 2 "deploy stamp: refused while the state names a revision that does not exist (exit 2)"
run "$DEPLOY" stamp --purge 0006
rc_is 0 "deploy stamp --purge 0006: exit 0"
out_has "every applied revision forgotten first" "deploy stamp --purge: says what it did"
is "$(q inspect_deploy "SELECT count(*) FROM pfm_migrate.applied WHERE revision = 'preview42'")/$(q inspect_deploy "SELECT pfm_current()")" \
	"0/0006" "deploy stamp --purge: the phantom is forgotten, 0006 is current"
run "$DEPLOY" current --check-heads
rc_is 3 "deploy current --check-heads: 0007 is still to apply"
run "$DEPLOY" migrate heads
rc_is 0 "deploy migrate heads after the purge: applies 0007"
run "$DEPLOY" current --check-heads
is "$RC/$OUT" "0/0007 (head)" "deploy current --check-heads: at head after migrate"
run "$DEPLOY" stamp --purge
rc_is 1 "deploy stamp --purge without a target: usage (exit 1)"
unset DATABASE_URL PFM_DEV_DB PFM_DEV_DIR MIGRATIONS_DIR
