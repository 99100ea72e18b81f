#!/bin/sh
# run.sh - runs seam's benchmarks and prints one table.
#
#   bench/run.sh [--dir DIR] [--backends 'uv ev event'] [--reps N]
#                [--only GROUP] [--keep OUTDIR] [--quick]
#
# Every configuration (benchmark x variant x backend) is one process of
# DIR/bench-X (see bench/main.c). The configurations run round-robin, REPS
# rounds (default 5, or $BENCH_REPS), so that drift of the machine hits each
# of them alike; the table gives min / median / max per row and, for seam's
# rows, the ratio of the median to the native row's and to the raw row's,
# and the target of issue 6 met or missed. A configuration that fails its
# own verification (or hangs, or crashes) is reported as BROKEN and makes
# the script exit 1.
#
# --quick runs each configuration once with a tiny size and prints only
# whether it verified: make check's smoke test, which asserts no timing.
# --only GROUP restricts the run to pingpong, async, jobs, jobs-w, chan or
# memory. --keep OUTDIR saves the raw results there.
set -u

dir=bench
backends="uv ev event"
reps=${BENCH_REPS:-5}
only=
keep=
quick=
while test $# -gt 0; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --quick) quick=1; reps=1; shift ;;
    *) echo "usage: $0 [--dir DIR] [--backends LIST] [--reps N] [--only GROUP] [--keep OUTDIR] [--quick]" >&2
       exit 2 ;;
  esac
done

# Sizes: the issue's, or tiny ones for --quick.
if test -n "$quick"; then
  n_pp=200 n_async=20000 n_jobs=2000 win=64 n_chan=20000 n_mem=1000
else
  n_pp=100000 n_async=10000000 n_jobs=1000000 win=1024 n_chan=10000000 n_mem=1000000
fi

first=
for b in $backends; do
  test -x "$dir/bench-$b" || { echo "$0: $dir/bench-$b is not built" >&2; exit 2; }
  test -n "$first" || first=$b
done
test -n "$first" || { echo "$0: no backend" >&2; exit 2; }

name() {
  case $1 in uv) echo libuv ;; ev) echo libev ;; event) echo libevent ;; esac
}

# The configurations, one per line:
#   ID|GROUP|LABEL|PROGRAM|ARGS|NATIVE-ID|RAW-ID
# A seam row names its native and raw rows for the ratios; others leave
# them empty.
configs() {
  for b in $backends; do
    echo "pp-seam-$b|pingpong|seam on $(name $b)|$b|pingpong seam -n $n_pp|pp-native-$b|pp-raw"
  done
  for b in $backends; do
    echo "pp-native-$b|pingpong|$(name $b) async|$b|pingpong native -n $n_pp||"
  done
  echo "pp-raw|pingpong|raw eventfd+epoll|$first|pingpong raw -n $n_pp||"

  for b in $backends; do
    echo "as-seam-$b|async|seam on $(name $b)|$b|async seam -n $n_async|as-native-$b|as-raw"
  done
  for b in $backends; do
    echo "as-native-$b|async|$(name $b) async|$b|async native -n $n_async||"
  done
  echo "as-raw|async|raw fence+load+xchg|$first|async raw -n $n_async||"

  # Jobs: all submitted at once, then a window kept in flight. libuv's pool
  # is the native row of every backend (libev and libevent have none).
  for w in 0 $win; do
    if test $w = 0; then g=jobs p=jb; else g=jobs-w p=jw; fi
    nat=
    case " $backends " in *" uv "*) nat=$p-native-uv ;; esac
    for b in $backends; do
      echo "$p-seam-$b|$g|seam on $(name $b)|$b|jobs seam -n $n_jobs -w $w|$nat|$p-raw"
    done
    if test -n "$nat"; then
      echo "$p-native-uv|$g|uv_queue_work, pool 4|uv|jobs native -n $n_jobs -w $w -t 4||"
      echo "$p-native-uv2|$g|uv_queue_work, pool 2|uv|jobs native -n $n_jobs -w $w -t 2||"
    fi
    echo "$p-raw|$g|raw mutex+condvar pool|$first|jobs raw -n $n_jobs -w $w||"
  done

  for b in $backends; do
    echo "ch-seam-$b|chan|seam_chan unbounded, $(name $b)|$b|chan seam -n $n_chan|ch-native-$b|ch-raw-ring"
  done
  for b in $backends; do
    echo "ch-seamb-$b|chan|seam_chan 8192 slots, $(name $b)|$b|chan seam-bounded -n $n_chan|ch-native-$b|ch-raw-ring"
  done
  for b in $backends; do
    echo "ch-native-$b|chan|mutex vector + $(name $b) async|$b|chan native -n $n_chan||"
  done
  echo "ch-raw-mutex|chan|raw mutex vector+eventfd|$first|chan raw-mutex -n $n_chan||"
  echo "ch-raw-ring|chan|raw SPSC ring+eventfd|$first|chan raw-ring -n $n_chan||"

  for b in $backends; do
    echo "mem-seam-$b|memory|seam on $(name $b)|$b|memory seam -n $n_mem|mem-native-$b|"
  done
  for b in $backends; do
    echo "mem-native-$b|memory|$(name $b)|$b|memory native -n $n_mem||"
  done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/seam-bench.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
configs | while IFS='|' read -r id group label b args nat raw; do
  test -z "$only" || test "$only" = "$group" || continue
  echo "$id|$group|$label|$b|$args|$nat|$raw"
done >"$work/configs"
: >"$work/results"
: >"$work/broken"
count=$(wc -l <"$work/configs")

# Round-robin: every configuration once per round.
start=$(date +%s)
round=1
while test "$round" -le "$reps"; do
  test -n "$quick" || echo "round $round of $reps ($count configurations)" >&2
  while IFS='|' read -r id group label b args nat raw; do
    # shellcheck disable=SC2086
    if "$dir/bench-$b" $args >"$work/out" 2>"$work/err" &&
       test -s "$work/out"; then
      sed "s/^/$id /" "$work/out" >>"$work/results"
    else
      echo "$id" >>"$work/broken"
      echo "BROKEN: $dir/bench-$b $args" >&2
      sed 's/^/  /' "$work/err" >&2
    fi
  done <"$work/configs"
  round=$((round + 1))
done
elapsed=$(($(date +%s) - start))
if test -n "$keep"; then
  mkdir -p "$keep" && cp "$work/configs" "$work/results" "$work/broken" "$keep/"
fi

if test -n "$quick"; then
  if test -s "$work/broken"; then
    echo "bench: $(sort -u "$work/broken" | wc -l) of $count configurations broken" >&2
    exit 1
  fi
  echo "bench: all $count configurations ran and verified themselves (tiny sizes, no timing asserted)"
  exit 0
fi

echo
echo "seam benchmarks: $reps rounds, round-robin, $elapsed s; $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
for b in $backends; do "$dir/bench-$b" info; done
echo "ratios: the seam row's median over the native (raw) row's, same metric;"
echo "for us/rt and bytes lower is better, for M.../s higher is better"
echo

# The table: awk reads the configurations, then the results.
awk -F'|' -v broken="$work/broken" '
function median(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) {       # insertion sort, n is small
    t = a[i]
    for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
    a[j + 1] = t
  }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(v) {
  if (v == "") return "-"
  return v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)
}
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.3gx", a / b) }
# The targets of issue 6, for seam rows.
function target(group, metric, v, rn,   ok, t) {
  if (metric == "us/rt") { t = "<=1.05x native"; ok = rn != "" && v / rn <= 1.05 }
  else if (metric == "Msends/s") { t = ">=180"; ok = v >= 180 }
  else if (metric == "Mjobs/s") { t = ">=10"; ok = v >= 10 }
  else if (metric == "Mmsgs/s") { t = ">=60"; ok = v >= 60 }
  else if (metric == "B/msg-bounded") { t = "<=16"; ok = v <= 16 }
  else if (metric ~ /^B\/(async|timer|job|chan)$/) { t = "<=128"; ok = v <= 128 }
  else return ""
  return t (ok ? " met" : " MISSED")
}
FILENAME == broken { bad[$1] = 1; next }
FILENAME ~ /configs$/ {
  ids[++nid] = $1; group[$1] = $2; label[$1] = $3; nat[$1] = $6; raw[$1] = $7
  next
}
{
  split($0, f, " ")
  id = f[1]; m = f[2]
  if (!((id, m) in cnt)) { metrics[id] = metrics[id] " " m }
  v[id, m, ++cnt[id, m]] = f[3]
}
END {
  for (k = 1; k <= nid; k++) {
    id = ids[k]
    n = split(metrics[id], ms, " ")
    for (i = 1; i <= n; i++) {
      m = ms[i]; c = cnt[id, m]
      delete a
      lo[id, m] = hi[id, m] = v[id, m, 1] + 0
      for (j = 1; j <= c; j++) {
        a[j] = v[id, m, j] + 0
        if (a[j] < lo[id, m]) lo[id, m] = a[j]
        if (a[j] > hi[id, m]) hi[id, m] = a[j]
      }
      med[id, m] = median(a, c)
    }
  }
  printf "%-8s %-33s %-15s %8s %8s %8s %9s %9s  %s\n", "bench", "variant", "metric", "min", "median", "max", "vs native", "vs raw", "target"
  last = ""
  for (k = 1; k <= nid; k++) {
    id = ids[k]
    if (group[id] != last && last != "") print ""
    last = group[id]
    if (id in bad) {
      printf "%-8s %-33s BROKEN (see above)\n", group[id], label[id]
      continue
    }
    n = split(metrics[id], ms, " ")
    for (i = 1; i <= n; i++) {
      m = ms[i]
      rn = nat[id] != "" && !(nat[id] in bad) && ((nat[id], m) in med) ? med[nat[id], m] : ""
      rr = raw[id] != "" && !(raw[id] in bad) && ((raw[id], m) in med) ? med[raw[id], m] : ""
      # Only libuv has a pool: its job is the native job of every backend.
      if (rn == "" && nat[id] != "" && group[id] == "memory" && (("mem-native-uv", m) in med))
        rn = med["mem-native-uv", m]
      tg = id ~ /seam/ ? target(group[id], m, med[id, m], rn) : ""
      printf "%-8s %-33s %-15s %8s %8s %8s %9s %9s  %s\n", group[id], label[id], m,
        fmt(lo[id, m]), fmt(med[id, m]), fmt(hi[id, m]),
        nat[id] != "" ? ratio(med[id, m], rn) : "", raw[id] != "" ? ratio(med[id, m], rr) : "", tg
    }
  }
}' "$work/broken" "$work/configs" "$work/results"

if test -s "$work/broken"; then
  echo "bench: $(sort -u "$work/broken" | wc -l) configurations BROKEN" >&2
  exit 1
fi
exit 0
