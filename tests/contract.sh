#!/bin/sh
# contract.sh - keeps docs/contract.md and the conformance suite in step.
#
# Every statement in docs/contract.md ("### ID - ...") must name at least one
# test, each named test must exist in tests/*.c and carry the statement's ID
# in its name (test_ID_...), and every test of the suite must be named under
# its statement. Usage: contract.sh [SRCDIR]
set -eu
top=${1:-.}
doc="$top/docs/contract.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "ID test" for every test the document names, under the statement it names.
awk '
  /^### / { id = $2; ids[id] = 1; print id > "/dev/stderr"; next }
  id != "" {
    while (match($0, /`test_[A-Za-z0-9_]+`/)) {
      print id, substr($0, RSTART + 1, RLENGTH - 2)
      $0 = substr($0, RSTART + RLENGTH)
    }
  }
' "$doc" >"$tmp/named" 2>"$tmp/ids"
sed -n 's/^START_TEST(\(test_[A-Za-z0-9_]*\)).*/\1/p' "$top"/tests/*.c |
  sort >"$tmp/suite"

status=0
complain() { echo "contract.sh: $*" >&2; status=1; }

while read -r id; do
  grep -q "^$id " "$tmp/named" || complain "statement $id names no test"
done <"$tmp/ids"
while read -r id test; do
  grep -qx "$test" "$tmp/suite" || complain "$id names $test, which is not in the suite"
  case $test in
    "test_${id}_"*) ;;
    *) complain "$test is named under $id but does not carry that ID" ;;
  esac
done <"$tmp/named"
cut -d' ' -f2 "$tmp/named" | sort -u >"$tmp/documented"
for test in $(comm -23 "$tmp/suite" "$tmp/documented"); do
  complain "$test is not named under any statement of docs/contract.md"
done
[ "$status" -eq 0 ] &&
  echo "contract.sh: $(wc -l <"$tmp/ids") statements, $(wc -l <"$tmp/suite") tests, all named"
exit "$status"
