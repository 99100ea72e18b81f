#!/bin/sh
# ticker.sh PROGRAM - checks examples/ticker built on one backend.
#
# PROGRAM is the ticker binary of that backend (e.g. examples/ticker-ev).
# A burst of 1,000 events must arrive as exactly "Bang: 0" .. "Bang: 999", in
# order; a paced run must show a heartbeat between events; bad arguments must
# get a one-line usage error and exit status 2. Set SEAM_EXAMPLE_WRAPPER to run
# the program under a tool, e.g. "valgrind --error-exitcode=99 -q" (every check
# expects an exact exit status, so the tool's own status is never taken for
# the program's).
set -u

prog=${1:?usage: ticker.sh PROGRAM}
name=ticker
# shellcheck source=tests/examples/common.sh
. "$(dirname "$0")/common.sh"

# A burst through a channel of capacity 64: the producer blocks on a full
# channel over and over, and the loop takes messages in batches; none may be
# lost, repeated or reordered.
run 1000 --burst
[ "$status" -eq 0 ] || fail "1000 --burst exited $status: $(cat "$scratch/err")"
head -n 1 "$scratch/out" | grep -q '^ticker on lib' ||
  fail "the first line does not name the backend: $(head -n 1 "$scratch/out")"
grep '^Bang: ' "$scratch/out" >"$scratch/bangs"
seq 0 999 | sed 's/^/Bang: /' >"$scratch/expected"
if ! cmp -s "$scratch/bangs" "$scratch/expected"; then
  fail "1000 --burst did not print exactly Bang: 0 .. Bang: 999 in order:"
  diff "$scratch/expected" "$scratch/bangs" | head -n 10 >&2
fi

# Three events 200 ms apart keep the loop running for at least 600 ms, so
# the 250 ms heartbeat timer is due before the last event arrives: it must
# have fired by then.
run 3 --interval 200
[ "$status" -eq 0 ] || fail "3 --interval 200 exited $status"
[ "$(grep -c '^Bang: ' "$scratch/out")" -eq 3 ] ||
  fail "3 --interval 200 did not print 3 Bang lines"
grep -q 'heartbeat' "$scratch/out" ||
  fail "3 --interval 200 printed no heartbeat"

run 0
[ "$status" -eq 0 ] || fail "0 exited $status"
! grep -q '^Bang: ' "$scratch/out" || fail "0 printed a Bang line"

for args in "abc" "5 6" "--interval" "--interval x" "--burst --interval 5" \
  "--bogus"; do
  # Word splitting of $args is intended: each case is a list of arguments.
  # shellcheck disable=SC2086
  run $args
  [ "$status" -eq 2 ] || fail "'$args' exited $status, not 2"
  if [ "$(wc -l <"$scratch/err")" -ne 1 ] || ! grep -q 'usage:' "$scratch/err"
  then
    fail "'$args' did not give a one-line usage error: $(cat "$scratch/err")"
  fi
done

[ "$failures" -eq 0 ] || exit 1
echo "ticker ($prog): all checks passed"
