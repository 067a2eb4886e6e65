#!/usr/bin/env bash
# verdict-targets.sh DIR [EXERCISE...]: write the targets file that
# repeat-verdicts.sh reads, for every reference solution and every
# known-wrong program of the course (or of the exercises named, as 06 or
# 06-join).
#
# Each known-wrong program is its patch applied to its solution, in
# DIR/<exercise>__<name>/exercises/<exercise>/, a folder grade
# -submission grades. The targets go to standard output:
#
#   tools/verdict-targets.sh /tmp/verdicts > /tmp/targets.txt
#   G=/tmp/grade tools/repeat-verdicts.sh /tmp/targets.txt 100 /tmp/log
set -eu
mkdir -p "$1"
out=$(cd "$1" && pwd) # the targets name it from anywhere
shift
cd "$(dirname "$0")/../testdata/scripts"
for sol in */solution; do
	ex=${sol%/solution}
	if [ $# -gt 0 ]; then
		want=
		for a in "$@"; do case $ex in "$a" | "$a"-*) want=1 ;; esac; done
		[ -n "$want" ] || continue
	fi
	echo "pass|-solutions ${ex%%-*}"
	for p in "$ex"/wrong/*.patch; do
		[ -e "$p" ] || continue
		d=$out/${ex}__$(basename "$p" .patch)
		rm -rf "$d" && mkdir -p "$d/exercises"
		cp -r "$sol" "$d/exercises/$ex"
		if ! (cd "$d/exercises/$ex" && patch -s -p1 <"$OLDPWD/$p" >/dev/null); then
			echo "verdict-targets: $p does not apply to $sol: fix the patch (docs/DEVELOPMENT.md)" >&2
			exit 1
		fi
		echo "fail|-submission $d ${ex%%-*}"
	done
done
