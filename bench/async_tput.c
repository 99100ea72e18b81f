/*
 * async_tput.c - notifier send throughput: one producer thread (on the
 * second CPU) sends n times as fast as it can to a notifier of a loop
 * running on the first; sends coalesce while one is pending. Reports
 * "Msends/s" (from the first send to the callback that sees the last) and
 * "sends/cb" (how many sends one callback absorbed).
 *
 * Variants: seam (seam_async_send), native (uv_async_send, ev_async_send or
 * event_active), raw (the machine's limit: a pending flag tested with a
 * fence and a cheap load, set with an exchange, and an eventfd written when
 * it was clear). The producer stops early once the time budget is spent and
 * reports how many sends it made.
 *
 * Verified: after its last send the producer raises a flag; a callback must
 * come that sees it, and sees the producer's count, and there can be no
 * more callbacks than sends.
 */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "bench.h"
#include "seam.h"

#define CHECK_EVERY 65536 /* sends between looks at the clock */

struct at {
  long n;
  uint64_t budget_ns;
  void *handle;
  long sent;          /* the producer's count, published by done */
  atomic_int done;    /* the producer made its last send... */
  atomic_int settled; /* ...and that send has returned */
  long calls;         /* loop thread */
  uint64_t t0, t1;
};

/*
 * The producer's loop. Each variant calls it with its own send function, a
 * constant the compiler inlines, so that the send is a direct call as in a
 * program.
 */
static inline __attribute__((always_inline)) void
produce(struct at *at, void (*send)(void *handle)) {
  void *handle = at->handle;
  long i = 0;
  bench_pin(1);
  at->t0 = bench_now_ns();
  uint64_t deadline = at->t0 + at->budget_ns;
  while (i < at->n) {
    long stop = at->n - i < CHECK_EVERY ? at->n : i + CHECK_EVERY;
    for (; i < stop; i++)
      send(handle);
    if (bench_now_ns() > deadline)
      break;
  }
  at->sent = i;
  atomic_store_explicit(&at->done, 1, memory_order_release);
  send(handle);
  atomic_store_explicit(&at->settled, 1, memory_order_release);
}

/* The callback's work: returns 1 when the run is over and the notifier may
 * be freed (no send can be in progress any more). */
static int on_call(struct at *at) {
  at->calls++;
  if (!atomic_load_explicit(&at->done, memory_order_acquire))
    return 0;
  at->t1 = bench_now_ns();
  while (!atomic_load_explicit(&at->settled, memory_order_acquire))
    sched_yield();
  return 1;
}

/* ---- seam ---- */

static void seam_cb(seam_async *async, void *arg) {
  if (on_call(arg))
    seam_async_free(async);
}

static void seam_send(void *async) { seam_async_send(async); }

static void *seam_producer(void *arg) {
  produce(arg, seam_send);
  return NULL;
}

static void run_seam(struct at *at) {
  seam_loop *loop;
  seam_async *async;
  if (seam_loop_new(&loop) != 0 || seam_async_new(loop, seam_cb, at, &async))
    bench_fail("seam_loop_new/seam_async_new failed");
  at->handle = async;
  void *producer = bench_thread(seam_producer, at);
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0 || seam_loop_free(loop))
    bench_fail("seam loop did not end cleanly");
  bench_join(producer);
}

/* ---- native ---- */

static void native_cb(struct nb_async *async, void *arg) {
  if (on_call(arg))
    nb_async_free(async);
}

static void native_send(void *async) { nb_async_send(async); }

static void *native_producer(void *arg) {
  produce(arg, native_send);
  return NULL;
}

static void run_native(struct at *at) {
  struct nb_loop *loop = nb_loop_new();
  at->handle = nb_async_new(loop, native_cb, at);
  void *producer = bench_thread(native_producer, at);
  nb_loop_run(loop);
  nb_loop_free(loop);
  bench_join(producer);
}

/* ---- raw ---- */

struct raw_async {
  atomic_int pending;
  struct bench_efd efd;
};

static void raw_send(void *handle) {
  struct raw_async *r = handle;
  bench_fence();
  if (atomic_load_explicit(&r->pending, memory_order_relaxed))
    return;
  if (atomic_exchange(&r->pending, 1))
    return;
  bench_efd_signal(&r->efd);
}

static void *raw_producer(void *arg) {
  produce(arg, raw_send);
  return NULL;
}

static void run_raw(struct at *at) {
  struct raw_async r;
  atomic_init(&r.pending, 0);
  bench_efd_open(&r.efd);
  at->handle = &r;
  void *producer = bench_thread(raw_producer, at);
  do {
    bench_efd_wait(&r.efd);
    atomic_exchange(&r.pending, 0);
  } while (!on_call(at));
  bench_join(producer);
  bench_efd_close(&r.efd);
}

int bench_async(const struct bench_args *args) {
  struct at at;
  memset(&at, 0, sizeof(at));
  at.n = args->n;
  at.budget_ns = (uint64_t)(args->budget_s * 1e9);
  atomic_init(&at.done, 0);
  atomic_init(&at.settled, 0);
  bench_pin(0);
  if (strcmp(args->variant, "seam") == 0)
    run_seam(&at);
  else if (strcmp(args->variant, "native") == 0)
    run_native(&at);
  else if (strcmp(args->variant, "raw") == 0)
    run_raw(&at);
  else
    return 2;
  if (at.sent < 1 || at.calls < 1 || at.calls > at.sent + 1 || at.t1 <= at.t0)
    bench_fail("async: %ld sends gave %ld callbacks", at.sent, at.calls);
  bench_report("Msends/s", (double)at.sent * 1e3 / (double)(at.t1 - at.t0));
  bench_report("sends/cb", (double)at.sent / (double)at.calls);
  return 0;
}
