#!/bin/sh
# Renders every graph pfm_dot_samples writes with Graphviz's dot: dot must accept the text
# without an error or a warning, and the SVG must name every revision. Fails when dot is
# missing (Debian package graphviz: apt-get install -y graphviz).
set -eu
samples=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! command -v dot >/dev/null 2>&1; then
	echo "dot_accepts: Graphviz's dot is not installed (apt-get install -y graphviz)" >&2
	exit 1
fi
"$samples" "$dir"
status=0
for f in "$dir"/*.dot; do
	name=$(basename "$f" .dot)
	if ! dot -Tsvg "$f" -o "$dir/$name.svg" 2>"$dir/$name.err" || [ -s "$dir/$name.err" ]; then
		echo "dot_accepts: dot refused $name:" >&2
		cat "$dir/$name.err" >&2
		status=1
		continue
	fi
	while read -r id; do
		if ! grep -q "<title>$id</title>" "$dir/$name.svg"; then
			echo "dot_accepts: $name.svg has no node $id" >&2
			status=1
		fi
	done <"$dir/$name.ids"
	echo "dot_accepts: $name: $(grep -c '<g id="node' "$dir/$name.svg") nodes, $(grep -c '<g id="edge' "$dir/$name.svg") edges"
done
exit $status
