/*
 * main.c - the command line of bench/bench-uv, bench-ev and bench-event: one
 * configuration per process, its metrics printed only after it verified
 * itself. bench/run.sh drives it; see usage() for the arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "seam.h"

#define MAX_METRICS 8
#define WATCHDOG_S 120

static struct {
  const char *name;
  double value;
} metrics[MAX_METRICS];
static int nmetrics;

void bench_report(const char *metric, double value) {
  if (nmetrics == MAX_METRICS)
    bench_fail("too many metrics");
  metrics[nmetrics].name = metric;
  metrics[nmetrics].value = value;
  nmetrics++;
}

static const struct {
  const char *name;
  int (*run)(const struct bench_args *args);
  long n; /* the default size */
} benchmarks[] = {
    {"pingpong", bench_pingpong, 100000},
    {"async", bench_async, 10000000},
    {"jobs", bench_jobs, 1000000},
    {"chan", bench_chan, 10000000},
    {"memory", bench_memory, 1000000},
};

static int usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s info\n"
          "       %s BENCHMARK VARIANT [-n N] [-w WINDOW] [-t THREADS] "
          "[-b SECONDS]\n"
          "BENCHMARK VARIANT:\n"
          "  pingpong  seam | native | raw       us per round trip\n"
          "  async     seam | native | raw       M sends/s, sends per callback\n"
          "  jobs      seam | native | raw       M jobs/s (-w: jobs in flight,"
          " -t: pool size)\n"
          "  chan      seam | seam-bounded | native | raw-mutex | raw-ring\n"
          "  memory    seam | native             bytes per object of each kind\n"
          "-n: iterations (default: the benchmark's full size); -b: throughput\n"
          "loops stop early after this many seconds (default 1.5).\n",
          argv0, argv0);
  return 2;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "info") == 0) {
    printf("seam %s on %s %s (native variant: %s %s)\n", seam_version(),
           seam_backend(), seam_backend_version(), nb_name, nb_version());
    return 0;
  }
  if (argc < 3)
    return usage(argv[0]);
  size_t b;
  size_t nb = sizeof(benchmarks) / sizeof(benchmarks[0]);
  for (b = 0; b < nb; b++)
    if (strcmp(argv[1], benchmarks[b].name) == 0)
      break;
  if (b == nb)
    return usage(argv[0]);
  struct bench_args args = {argv[2], benchmarks[b].n, 0, 0, 1.5};
  for (int i = 3; i < argc; i += 2) {
    if (i + 1 >= argc || argv[i][0] != '-' || argv[i][2] != '\0')
      return usage(argv[0]);
    char *end;
    double v = strtod(argv[i + 1], &end);
    if (*end != '\0' || v < 0)
      return usage(argv[0]);
    switch (argv[i][1]) {
    case 'n':
      args.n = (long)v;
      break;
    case 'w':
      args.window = (long)v;
      break;
    case 't':
      args.threads = (int)v;
      break;
    case 'b':
      args.budget_s = v;
      break;
    default:
      return usage(argv[0]);
    }
  }
  if (args.n < 1)
    return usage(argv[0]);
  /* A run that hangs is broken: SIGALRM ends it with a failure status. */
  alarm(WATCHDOG_S);
  int r = benchmarks[b].run(&args);
  if (r != 0)
    return r == 2 ? usage(argv[0]) : r;
  for (int i = 0; i < nmetrics; i++)
    printf("%s %.6g\n", metrics[i].name, metrics[i].value);
  return 0;
}
