#!/bin/sh
# Prints the headline tables of scenarios/README.md, in Markdown.
#
#   sh scenarios/headline.sh DIR
#       one row per scenario in DIR (historical.toml first, then the others
#       in alphabetical order, then DIR/readings/*.toml), with each
#       counterfactual's change from DIR/historical.toml in brackets.
#   sh scenarios/headline.sh --before-after OLD_DIR NEW_DIR
#       one row per scenario of OLD_DIR that NEW_DIR also has, each figure
#       written "old → new".
#
# SIM names the sim binary (default: `sim` on the PATH). Each scenario runs
# at its own default seed and branch count (seed 1950, 100 000 branches), so
# the output is the same on every run and every machine.
set -eu
SIM=${SIM:-sim}

# figures FILE: the scenario's own figures, as `key value` lines.
figures() {
	"$SIM" "$1" --no-base --format csv | awk -F, '
		$1=="run" && $3=="branches" { print "branches", $4 }
		$1=="outcome" && $3=="p" { print "p_" $2, $4 }
		$1=="metric" && $2=="war_months" && $3=="mean" { print "war_months", $4 }
		$1=="metric" && $2=="armistice_month" && $3=="count" { print "armistice_count", $4 }
		$1=="metric" && $2=="armistice_month" && $3=="mean" { print "armistice_month", $4 }'
}

# question FILE: the scenario's question, from its [scenario] table.
question() {
	sed -n 's/^question = "\(.*\)"$/\1/p' "$1" | head -n 1
}

# rows DIR: `name<TAB>key<TAB>value` for every scenario of DIR, in table order.
rows() {
	dir=$1
	{
		echo "$dir/historical.toml"
		for f in "$dir"/*.toml; do
			[ "$(basename "$f")" = historical.toml ] || echo "$f"
		done
		if [ -d "$dir/readings" ]; then
			for f in "$dir"/readings/*.toml; do echo "$f"; done
		fi
	} | while read -r f; do
		name=${f#"$dir"/}
		printf '%s\tquestion\t%s\n' "$name" "$(question "$f")"
		figures "$f" | while read -r k v; do printf '%s\t%s\t%s\n' "$name" "$k" "$v"; done
	done
}

OUTCOMES="no_war dprk_unifies rok_unifies armistice_divided pusan_line_partition war_under_way superpower_war"

if [ "${1:-}" = "--before-after" ]; then
	{ rows "$2" | sed 's/^/old\t/'; rows "$3" | sed 's/^/new\t/'; } | awk -F'\t' -v outcomes="$OUTCOMES" '
		{ v[$1, $2, $3] = $4; if ($1 == "old" && !seen[$2]++) order[++n] = $2; if ($1 == "new") have[$2] = 1 }
		function pct(x) { return (x == "") ? "—" : sprintf("%.1f", 100 * x) }
		function num(x) { return (x == "") ? "—" : sprintf("%.1f", x) }
		function signed(w, s) { c = v[w, s, "armistice_count"]; b = v[w, s, "branches"]; return (b == "") ? "—" : sprintf("%.1f", 100 * c / b) }
		END {
			k = split(outcomes, o, " ")
			printf "| file |"
			for (i = 1; i <= k; i++) printf " %s %% |", o[i]
			print " mean war months | armistice signed % |"
			printf "|---|"
			for (i = 1; i <= k; i++) printf "---|"
			print "---|---|"
			for (j = 1; j <= n; j++) {
				s = order[j]
				if (!have[s]) continue
				printf "| %s |", s
				for (i = 1; i <= k; i++) printf " %s → %s |", pct(v["old", s, "p_" o[i]]), pct(v["new", s, "p_" o[i]])
				printf " %s → %s |", num(v["old", s, "war_months"]), num(v["new", s, "war_months"])
				printf " %s → %s |\n", signed("old", s), signed("new", s)
			}
		}'
	exit 0
fi

rows "$1" | awk -F'\t' -v outcomes="$OUTCOMES" '
	{ v[$1, $2] = $3; if (!seen[$1]++) order[++n] = $1 }
	function cell(s, x, b, scale) {
		if (x == "") return "—"
		if (s == "historical.toml" || b == "") return sprintf("%.1f", scale * x)
		d = sprintf("%+.1f", scale * (x - b)); if (d == "-0.0") d = "+0.0"
		return sprintf("%.1f (%s)", scale * x, d)
	}
	END {
		k = split(outcomes, o, " ")
		base = "historical.toml"
		printf "| file | question |"
		for (i = 1; i <= k; i++) printf " %s %% |", o[i]
		print " mean war months | armistice signed % | mean armistice month |"
		printf "|---|---|"
		for (i = 1; i <= k; i++) printf "---|"
		print "---|---|---|"
		for (j = 1; j <= n; j++) {
			s = order[j]
			printf "| %s | %s |", s, v[s, "question"]
			for (i = 1; i <= k; i++) printf " %s |", cell(s, v[s, "p_" o[i]], v[base, "p_" o[i]], 100)
			printf " %s |", cell(s, v[s, "war_months"], v[base, "war_months"], 1)
			sig = v[s, "armistice_count"] / v[s, "branches"]
			bsig = v[base, "armistice_count"] / v[base, "branches"]
			printf " %s |", cell(s, sig, bsig, 100)
			printf " %s |\n", (v[s, "armistice_count"] > 0) ? cell(s, v[s, "armistice_month"], v[base, "armistice_month"], 1) : "n/a"
		}
	}'
