#!/usr/bin/env bash
# Usage: G=/abs/path/to/built/grade tools/hostile-table.sh $PWD/testdata/scripts/cli_hostile.txtar
# Prints a table of each hostile case of the cli_hostile fixture: grade's
# exit code, wall time, leftover processes (those a run of this table
# started, wherever they went) and leftover files in grade's TMPDIR.
# Build grade first: `go run` would turn exit code 2 into 1.
set -u
G=${G:-/tmp/grade}
W=$(mktemp -d)
cd "$W"
# extract the fixture module from the txtar
python3 - "$1" <<'PY'
import sys,os
s=open(sys.argv[1]).read()
i=s.index('-- go.mod --')
parts=s[i:].split('\n-- ')
for p in parts:
    p=p.lstrip('-').lstrip()
    name,_,body=p.partition(' --\n')
    os.makedirs(os.path.dirname(name) or '.',exist_ok=True)
    open(name,'w').write(body)
PY
mkdir -p tmp bin; export TMPDIR=$W/tmp PIDS=$W/pids VICTIM=$W/testdata/scripts/02-parricide.txtar
go build -o bin/ ./exercises/... 2>/dev/null
# leftprocs: processes that one of this table's gradings started (the run's
# environment names a work directory under this table's TMPDIR), wherever
# they went; other graders on the machine do not count.
leftprocs() { n=0; for p in /proc/[0-9]*; do grep -qa FORKLORE_RUN= $p/environ 2>/dev/null && grep -qa "$W/tmp" $p/environ 2>/dev/null && n=$((n+1)); done; echo $n; }
row() {
  name=$1; shift
  s=$(date +%s.%N); "$@" >/dev/null 2>&1 & gp=$!; wait $gp; rc=$?; e=$(date +%s.%N)
  sleep 0.2
  printf '| %s | %d | %.1f s | %s | %s |\n' "$name" $rc $(echo "$e - $s" | bc) "$(leftprocs)" "$(ls -A tmp | wc -l)"
}
echo '| case | exit | wall | leftover processes | leftover files |'
echo '|---|---|---|---|---|'
row "escape (setsid sleep 60)" $G -n 2 ./exercises/01-escape
row "escape via shell ( setsid sleep & )" $G -n 2 -cmd "sh -c '(setsid sleep 60 &); echo started'" ./exercises/01-escape
row "kill -9 \$PPID" $G -n 2 -cmd "sh -c 'sleep 60 & kill -9 \$PPID; sleep 60'" ./exercises/02-parricide
( $G -n 20 -timeout 60s -cmd bin/01-escape ./exercises/04-forever >/dev/null 2>&1 & echo $! > gpid; wait $!; echo $? > grc ) &
sleep 3; s=$(date +%s.%N); kill -INT $(cat gpid); wait; e=$(date +%s.%N); sleep 0.2
printf '| %s | %d | %.1f s (after the signal) | %s | %s |\n' "SIGINT to grade" $(cat grc) $(echo "$e - $s" | bc) "$(leftprocs)" "$(ls -A tmp | wc -l)"
row "tampering with the rules of the next exercise" $G -n 1 ./exercises/05-tamper ./exercises/03-untouched
row "deleting MP_TRACE" $G -n 2 ./exercises/06-untrace
row "a crafted trace line" $G -n 2 ./exercises/07-forge
row "CR-injection and terminal escapes (GitHub mode)" env GITHUB_ACTIONS=true $G -n 1 ./exercises/08-inject
row "a 100 MB line" $G -n 1 ./exercises/09-longline
row "a 4 GiB allocation" $G -n 1 ./exercises/10-hog
row "-n 1000000" $G -n 1000000 ./exercises/03-untouched
for s in "frobnicate foo" "[bogus] run" "run\ncount 'x == 1" "run\ncount -replies 'x' == 0" "serve -k -1 hello" "run\ncount '^main' == -1"; do
  printf "$s\n" > testdata/scripts/03-untouched.txtar
  row "bad rules: $(printf "$s" | tr '\n' ';')" $G -n 1 ./exercises/03-untouched
done
rm -rf "$W"
