/*
 * memory.c - bytes per object: the heap in use (mallinfo2, so malloc's own
 * chunk headers and rounding count) before and after making n objects of a
 * kind, divided by n. Reports "B/KIND" for each kind the variant has.
 *
 * seam:   async, timer (started), job (queued behind a parked pool), chan
 *         (an open unbounded channel), msg-bounded (a channel of capacity
 *         n holding n messages), msg-unbounded (n messages queued on an
 *         unbounded channel);
 * native: the same kinds where the library has them, each allocated with
 *         malloc and initialised and started as a program would (see
 *         nb_object_new), and msg-unbounded for the classic pattern's
 *         vector of messages (chan.c).
 *
 * Verified: every object is made and released, queued jobs all run once
 * the pool is unparked, every queued message is delivered.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "seam.h"

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;

void bench_gate_wait(void) {
  pthread_mutex_lock(&gate_mu);
  while (!gate_open)
    pthread_cond_wait(&gate_cv, &gate_mu);
  pthread_mutex_unlock(&gate_mu);
}

static void gate_set(int open) {
  pthread_mutex_lock(&gate_mu);
  gate_open = open;
  pthread_cond_broadcast(&gate_cv);
  pthread_mutex_unlock(&gate_mu);
}

static void report(const char *metric, size_t before, size_t after, long n) {
  if (after < before)
    bench_fail("memory: the heap shrank while making %s", metric);
  bench_report(metric, (double)(after - before) / (double)n);
}

/* ---- seam ---- */

static long seam_calls; /* callbacks of jobs and channel messages */

static void nop_async(seam_async *async, void *data) {
  (void)async;
  (void)data;
}

static void nop_timer(seam_timer *timer, void *data) {
  (void)timer;
  (void)data;
}

static int parked_work(seam_job *job, void *data) {
  (void)job;
  (void)data;
  bench_gate_wait();
  return 0;
}

static void count_done(seam_job *job, int status, void *data) {
  (void)data;
  if (status != 0 || seam_job_free(job) != 0)
    bench_fail("memory: a parked job failed");
  seam_calls++;
}

static void count_msg(seam_chan *chan, void *msg, void *data) {
  (void)chan;
  (void)data;
  if (msg != NULL)
    seam_calls++;
}

static void seam_asyncs(seam_loop *loop, long n, void **objs) {
  size_t before = bench_heap_bytes();
  for (long i = 0; i < n; i++)
    if (seam_async_new(loop, nop_async, NULL, (seam_async **)&objs[i]))
      bench_fail("seam_async_new failed");
  report("B/async", before, bench_heap_bytes(), n);
  for (long i = 0; i < n; i++)
    seam_async_free(objs[i]);
}

static void seam_timers(seam_loop *loop, long n, void **objs) {
  size_t before = bench_heap_bytes();
  for (long i = 0; i < n; i++)
    if (seam_timer_new(loop, nop_timer, NULL, (seam_timer **)&objs[i]) ||
        seam_timer_start(objs[i], 3600000 + (uint64_t)i, 0))
      bench_fail("seam_timer_new/start failed");
  report("B/timer", before, bench_heap_bytes(), n);
  for (long i = 0; i < n; i++)
    seam_timer_free(objs[i]);
}

static void submit_parked(seam_loop *loop) {
  seam_job *job;
  if (seam_job_new(loop, parked_work, count_done, NULL, &job) != 0 ||
      seam_job_submit(job) != 0)
    bench_fail("seam_job_new/submit failed");
}

static void seam_jobs(seam_loop *loop, long n) {
  gate_set(0);
  submit_parked(loop); /* starts the pool outside the measurement */
  size_t before = bench_heap_bytes();
  for (long i = 0; i < n; i++)
    submit_parked(loop);
  report("B/job", before, bench_heap_bytes(), n);
  gate_set(1);
  seam_calls = 0;
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0 || seam_calls != n + 1)
    bench_fail("memory: %ld of %ld parked jobs were done", seam_calls, n + 1);
}

static void seam_chans(seam_loop *loop, long n, void **objs) {
  size_t before = bench_heap_bytes();
  for (long i = 0; i < n; i++)
    if (seam_chan_new(loop, 0, count_msg, NULL, (seam_chan **)&objs[i]))
      bench_fail("seam_chan_new failed");
  report("B/chan", before, bench_heap_bytes(), n);
  for (long i = 0; i < n; i++)
    seam_chan_close(objs[i]);
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0)
    bench_fail("memory: channels did not finish");
}

/* n messages queued on one channel, which is bounded to n if bounded. */
static void seam_msgs(seam_loop *loop, long n, int bounded) {
  seam_chan *chan;
  size_t before = bench_heap_bytes();
  if (seam_chan_new(loop, bounded ? (size_t)n : 0, count_msg, NULL, &chan))
    bench_fail("seam_chan_new failed");
  for (long i = 0; i < n; i++)
    if (seam_chan_send(chan, (void *)(uintptr_t)(i + 1)) != 0)
      bench_fail("seam_chan_send failed");
  report(bounded ? "B/msg-bounded" : "B/msg-unbounded", before,
         bench_heap_bytes(), n);
  seam_calls = 0;
  seam_chan_close(chan);
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0 || seam_calls != n)
    bench_fail("memory: %ld of %ld messages delivered", seam_calls, n);
}

static void run_seam(long n, void **objs) {
  seam_loop *loop;
  if (seam_loop_new(&loop) != 0)
    bench_fail("seam_loop_new failed");
  seam_asyncs(loop, n, objs);
  seam_timers(loop, n, objs);
  seam_jobs(loop, n);
  seam_chans(loop, n, objs);
  seam_msgs(loop, n, 1);
  seam_msgs(loop, n, 0);
  if (seam_loop_free(loop) != 0)
    bench_fail("memory: seam_loop_free failed");
}

/* ---- native ---- */

static void native_kind(struct nb_loop *loop, enum nb_kind kind,
                        const char *metric, long n, void **objs) {
  size_t before = bench_heap_bytes();
  for (long i = 0; i < n; i++)
    objs[i] = nb_object_new(loop, kind, i);
  if (objs[0] == NULL)
    return; /* the library has no such object */
  report(metric, before, bench_heap_bytes(), n);
  for (long i = 0; i < n; i++)
    nb_object_free(loop, objs[i], kind);
  nb_loop_run(loop);
}

static void native_jobs(struct nb_loop *loop, long n) {
  if (!nb_pool_available())
    return;
  nb_pool_set_size(seam_pool_size());
  gate_set(0);
  nb_object_new(loop, NB_JOB, 0); /* starts the pool */
  size_t before = bench_heap_bytes();
  for (long i = 0; i < n; i++)
    nb_object_new(loop, NB_JOB, i);
  report("B/job", before, bench_heap_bytes(), n);
  gate_set(1);
  nb_loop_run(loop); /* each job's done frees it */
}

/* The classic pattern's queue: a vector of message words. */
static void native_msgs(long n) {
  size_t before = bench_heap_bytes();
  uintptr_t *items = NULL;
  size_t len = 0, cap = 0;
  for (long i = 0; i < n; i++) {
    if (len == cap) {
      cap = cap ? 2 * cap : 1024;
      items = realloc(items, cap * sizeof(*items));
      if (items == NULL)
        bench_fail("out of memory");
    }
    items[len++] = (uintptr_t)(i + 1);
  }
  report("B/msg-unbounded", before, bench_heap_bytes(), n);
  free(items);
}

static void run_native(long n, void **objs) {
  struct nb_loop *loop = nb_loop_new();
  native_kind(loop, NB_ASYNC, "B/async", n, objs);
  native_kind(loop, NB_TIMER, "B/timer", n, objs);
  native_jobs(loop, n);
  nb_loop_free(loop);
  native_msgs(n);
}

int bench_memory(const struct bench_args *args) {
  void **objs = malloc((size_t)args->n * sizeof(*objs));
  if (objs == NULL)
    bench_fail("out of memory");
  if (strcmp(args->variant, "seam") == 0)
    run_seam(args->n, objs);
  else if (strcmp(args->variant, "native") == 0)
    run_native(args->n, objs);
  else
    return 2;
  free(objs);
  return 0;
}
