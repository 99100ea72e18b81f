#!/bin/sh
# backup.sh PROGRAM - checks examples/backup built on one backend.
#
# PROGRAM is the backup binary of that backend (e.g. examples/backup-ev).
# A 20 MB sample backed up 16 pages per step must give a destination that
# passes PRAGMA integrity_check with the source's row count, while the loop's
# timer ticked; a run sent SIGINT midway must exit 130 and leave no
# destination; each bad input must get its error and a non-zero exit, leaving
# nothing behind. Needs the sqlite3 shell. Set SEAM_EXAMPLE_WRAPPER to run the
# program under a tool, e.g. "valgrind --error-exitcode=99 -q" (every check
# expects an exact exit status, so the tool's own status is never taken for
# the program's), and SEAM_TEST_SCALE=5 to make the sample 5% of 20 MB.
set -u

prog=${1:?usage: backup.sh PROGRAM}
if ! command -v sqlite3 >/dev/null 2>&1; then
  echo "SKIP ($prog): the sqlite3 shell is not installed (Debian package sqlite3)"
  exit 77
fi
name=backup
# shellcheck source=tests/examples/common.sh
. "$(dirname "$0")/common.sh"
src=$scratch/source.db
sample_mb=$((20 * ${SEAM_TEST_SCALE:-100} / 100))
[ "$sample_mb" -ge 1 ] || sample_mb=1
# no_leftovers WHAT: no temporary copy, journal or WAL file may remain.
no_leftovers() {
  for f in "$scratch"/*.partial-* "$scratch"/*-journal "$scratch"/*-wal \
    "$scratch"/*-shm; do
    if [ -e "$f" ]; then fail "$1 left $f behind"; fi
  done
}

# ---- a sample, and a complete backup of it ----

# Without a sample nothing else can be checked.
run --make-sample "$sample_mb" "$src"
if [ "$status" -ne 0 ]; then
  fail "--make-sample $sample_mb exited $status: $(cat "$scratch/err")"
  exit 1
fi
if ! rows=$(sqlite3 "$src" 'SELECT count(*) FROM notes'); then
  fail "the sample has no table notes"
  exit 1
fi

# A step of 1 ms at least makes the backup last longer than one 10 ms tick
# whatever the machine's speed, so that the tick count cannot be 0 by chance.
run "$src" "$scratch/copy.db" --pages 16 --step-delay-ms 1
[ "$status" -eq 0 ] || fail "the backup exited $status: $(cat "$scratch/err")"
head -n 1 "$scratch/out" | grep -q '^backup on lib' ||
  fail "the first line does not name the backend: $(head -n 1 "$scratch/out")"
grep -q '^copied \([0-9]*\)/\1 pages$' "$scratch/out" ||
  fail "no final progress line 'copied N/N pages'"
check=$(sqlite3 "$scratch/copy.db" 'PRAGMA integrity_check')
[ "$check" = ok ] || fail "integrity_check of the copy: $check"
copied=$(sqlite3 "$scratch/copy.db" 'SELECT count(*) FROM notes')
[ "$copied" = "$rows" ] || fail "the copy has $copied rows, the source $rows"
ticks=$(sed -n 's/^\([0-9]*\) ticks during the backup.*/\1/p' "$scratch/out")
[ "${ticks:-0}" -gt 0 ] || fail "the timer did not tick during the backup"
no_leftovers "a complete backup"
rm -f "$scratch/copy.db"

# ---- Ctrl-C midway ----

# 200 ms per step makes the backup take many seconds (a step that sleeps
# stops at once when cancelled). The program is started in the background and
# sent SIGINT once it has reported progress; the loop below only bounds that
# wait (30 s), it does not time anything. The output file is emptied first:
# the program's redirection happens in the background, and the loop must not
# read the previous run's progress meanwhile.
: >"$scratch/out"
$wrapper "$prog" "$src" "$scratch/copy.db" --pages 16 --step-delay-ms 200 \
  >"$scratch/out" 2>"$scratch/err" &
pid=$!
tries=0
until grep -q '^copied ' "$scratch/out"; do
  tries=$((tries + 1))
  if [ "$tries" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
done
kill -INT "$pid" 2>/dev/null || fail "the backup ended before SIGINT"
wait "$pid"
status=$?
# A shell reports 130 also for a process killed by SIGINT: the message shows
# that the program caught it and cleaned up.
[ "$status" -eq 130 ] || fail "after SIGINT the backup exited $status, not 130"
grep -q 'interrupted' "$scratch/err" ||
  fail "after SIGINT the backup did not report the interruption"
[ ! -e "$scratch/copy.db" ] || fail "after SIGINT the destination exists"
no_leftovers "an interrupted backup"

# ---- bad input: an error naming the problem, non-zero, nothing written ----

# bad STATUS STDERR-PATTERN ARGS...
bad() {
  expected=$1 pattern=$2
  shift 2
  run "$@"
  [ "$status" -eq "$expected" ] ||
    fail "'$*' exited $status, not $expected"
  grep -q -e "$pattern" "$scratch/err" ||
    fail "'$*' did not report '$pattern': $(cat "$scratch/err")"
  [ ! -e "$scratch/copy.db" ] || fail "'$*' created the destination"
  no_leftovers "'$*'"
}

echo "just some notes" >"$scratch/notes.txt"
mkdir "$scratch/sub"
ln -s source.db "$scratch/link.db"
ln "$src" "$scratch/hard.db"

bad 1 "cannot read source.*No such file" "$scratch/missing.db" "$scratch/copy.db"
bad 1 "not an SQLite database" "$scratch/notes.txt" "$scratch/copy.db"
bad 1 "cannot write destination.*No such file" "$src" "$scratch/nodir/copy.db"
bad 1 "same file as source" "$src" "$src"
bad 1 "same file as source" "$src" "$scratch/sub/../source.db"
bad 1 "same file as source" "$src" "$scratch/link.db"
bad 1 "same file as source" "$src" "$scratch/hard.db"
bad 1 "not a regular file" "$src" "$scratch/sub"
if [ "$(id -u)" -ne 0 ]; then
  # root may write anywhere, so only an ordinary user can see this refused.
  chmod 555 "$scratch/sub"
  bad 1 "cannot write destination.*Permission denied" "$src" "$scratch/sub/copy.db"
  chmod 755 "$scratch/sub"
fi
bad 2 "usage:" "$src"
bad 2 "usage:" "$src" "$scratch/copy.db" --pages 0
bad 2 "usage:" "$src" "$scratch/copy.db" --step-delay-ms
bad 2 "usage:" "$src" "$scratch/copy.db" --bogus
bad 2 "usage:" --make-sample 0 "$scratch/copy.db"
bad 1 "File exists" --make-sample 1 "$src"

[ "$(sqlite3 "$src" 'SELECT count(*) FROM notes')" = "$rows" ] ||
  fail "the source changed"

[ "$failures" -eq 0 ] || exit 1
echo "backup ($prog): all checks passed"
