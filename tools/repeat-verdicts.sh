#!/usr/bin/env bash
# repeat-verdicts.sh: grade programs again and again, and count the verdicts
# that differ from the expected one (issue 10's "200 of 200" and "100 of
# 100" figures).
#
#   G=/tmp/grade P=3 tools/repeat-verdicts.sh TARGETS N LOG
#
# TARGETS has one line per program: "pass|ARGS" or "fail|ARGS", where ARGS
# are the grade arguments that grade it, run from this checkout (for
# example "pass|-solutions 06" or "fail|-submission /tmp/w/06-x 06");
# tools/verdict-targets.sh writes one for the whole course.
# Each program is graded N times, P gradings at once (default 2); each
# grading appends "expect|ARGS|exit code|seconds|load" to LOG. A grading is
# wrong when a "pass" program's grading exits with anything but 0, or a
# "fail" program's with anything but 1 (a failed exercise): exit code 2, a
# grading that could not run, is wrong either way. A wrong verdict's output
# is kept in LOG.wrong/. The summary at the end reads LOG, so a run
# can be resumed or several runs joined. It exits with 1 if any verdict
# was wrong.
set -u
G=${G:?set G to a built grader (go build -o /tmp/grade ./cmd/grade)}
P=${P:-2}
# The gradings run from the checkout's root: paths given relative to where
# this was started are made absolute first.
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
targets=$(abs "$1") n=$2 log=$(abs "$3")
case $G in */*) G=$(abs "$G") ;; esac
cd "$(dirname "$0")/.." || exit 2
one() {
	local expect=${1%%|*} args=${1#*|} s e rc out
	out=$(mktemp)
	s=$EPOCHREALTIME
	# shellcheck disable=SC2086
	"$G" $args >"$out" 2>&1
	rc=$?
	e=$EPOCHREALTIME
	# A wrong verdict keeps what the grader said, to tell which rule broke.
	if [ "$rc" != "$([ "$expect" = pass ] && echo 0 || echo 1)" ]; then
		mkdir -p "$log.wrong"
		mv "$out" "$log.wrong/$(date +%H%M%S)-$$-$RANDOM.txt"
	else
		rm -f "$out"
	fi
	awk -v e="$e" -v s="$s" -v x="$expect|$args|$rc" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
		'BEGIN { printf "%s|%.2f|%s\n", x, e - s, l }' >>"$log"
}
export -f one
export G log
for _ in $(seq "$n"); do grep -v '^#' "$targets"; done |
	xargs -d '\n' -P "$P" -I{} bash -c 'one "$@"' _ {}
awk -F'|' '
	{ k = $1 "|" $2; runs[k]++; if ($3 != ($1 == "pass" ? 0 : 1)) bad[k]++; t += $4; n++ }
	END {
		for (k in runs) { total++; if (bad[k]) { nb++; printf "WRONG %s: %d of %d\n", k, bad[k], runs[k] } }
		printf "%d programs, %d gradings, %d with a wrong verdict, mean %.2f s per grading\n", total, n, nb, t / n
		exit nb > 0
	}' "$log"
