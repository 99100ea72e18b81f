# shellcheck shell=sh disable=SC2154,SC2034
# common.sh - what the example checks share; sourced by them after they set
# prog (the program under test) and name (for the scratch directory).
#
# Sets wrapper (SEAM_EXAMPLE_WRAPPER: a tool to run the program under) and
# scratch (a private directory, removed on exit), and defines fail and run.

wrapper=${SEAM_EXAMPLE_WRAPPER:-}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/seam-$name.XXXXXX") || exit 99
trap 'rm -rf "$scratch"' EXIT
failures=0

# fail MESSAGE: records a failed check; the script exits 1 at its end.
fail() {
  echo "FAIL ($prog): $*" >&2
  failures=$((failures + 1))
}

# run ARGS...: runs the program, leaving stdout, stderr and status behind.
run() {
  $wrapper "$prog" "$@" >"$scratch/out" 2>"$scratch/err"
  status=$?
}
