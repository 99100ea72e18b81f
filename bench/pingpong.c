/*
 * pingpong.c - wakeup latency: a token bounces between two loops, A on the
 * main thread and B on a helper, each woken by the other's notifier, both
 * threads pinned to one CPU so that the figure is the software's cost and
 * not an idle CPU's wakeup. One round trip is A -> B -> A; WARMUP rounds
 * (at most a tenth of n) warm up, then n rounds are timed, fewer if the
 * time budget runs out first (checked every CHECK_EVERY rounds). Reports
 * "us/rt".
 *
 * Variants: seam (seam_async_send on both loops), native (the library's
 * notifier, see bench.h), raw (an eventfd per side, waited for in epoll).
 * Verified: a strict alternation, so A's callback runs exactly once per
 * round and B's once more (the start), and neither coalesces a send.
 *
 * A notifier may be freed only once no send to it is in progress, and with
 * both threads on one CPU the sender is often preempted inside its send by
 * the wakeup it caused: each side counts the sends it has completed, and
 * the side about to free its notifier waits for the other's last one.
 */
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>

#include "bench.h"
#include "seam.h"

#define WARMUP 2000
#define CHECK_EVERY 1024

struct pp {
  long warmup;
  long total; /* warm-up plus timed rounds; lowered by A before quit */
  uint64_t budget_ns;
  long a_calls; /* A's thread only */
  long b_calls; /* B's thread only */
  atomic_int quit;
  atomic_long a_sent; /* A's sends to B that have returned */
  atomic_long b_sent; /* B's sends to A that have returned */
  uint64_t t0, t1;
  sem_t ready; /* B's notifier exists */
  void *a, *b; /* the variant's notifiers (or eventfds) */
};

static void sent(atomic_long *count) {
  atomic_fetch_add_explicit(count, 1, memory_order_release);
}

static void wait_sent(atomic_long *count, long n) {
  while (atomic_load_explicit(count, memory_order_acquire) < n)
    sched_yield();
}

/* A's side of a round: returns 0 after the last one (quit is then set). */
static int on_a(struct pp *pp) {
  long calls = ++pp->a_calls;
  if (calls == pp->warmup)
    pp->t0 = bench_now_ns();
  if (calls > pp->warmup && (calls - pp->warmup) % CHECK_EVERY == 0 &&
      bench_now_ns() - pp->t0 > pp->budget_ns)
    pp->total = calls;
  if (calls < pp->total)
    return 1;
  pp->t1 = bench_now_ns();
  atomic_store_explicit(&pp->quit, 1, memory_order_release);
  wait_sent(&pp->b_sent, pp->total);
  return 0;
}

/* B's side: returns 0 when A has finished. */
static int on_b(struct pp *pp) {
  pp->b_calls++;
  if (!atomic_load_explicit(&pp->quit, memory_order_acquire))
    return 1;
  wait_sent(&pp->a_sent, pp->total);
  return 0;
}

/* ---- seam ---- */

static void seam_a_cb(seam_async *a, void *arg) {
  struct pp *pp = arg;
  int more = on_a(pp);
  seam_async_send(pp->b);
  sent(&pp->a_sent);
  if (!more)
    seam_async_free(a);
}

static void seam_b_cb(seam_async *b, void *arg) {
  struct pp *pp = arg;
  if (on_b(pp)) {
    seam_async_send(pp->a);
    sent(&pp->b_sent);
  } else {
    seam_async_free(b);
  }
}

static void *seam_helper(void *arg) {
  struct pp *pp = arg;
  seam_loop *loop;
  seam_async *b;
  bench_pin(0);
  if (seam_loop_new(&loop) != 0 || seam_async_new(loop, seam_b_cb, pp, &b))
    bench_fail("seam_loop_new/seam_async_new failed");
  pp->b = b;
  sem_post(&pp->ready);
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0 || seam_loop_free(loop))
    bench_fail("seam loop B did not end cleanly");
  return NULL;
}

static void run_seam(struct pp *pp) {
  seam_loop *loop;
  seam_async *a;
  if (seam_loop_new(&loop) != 0 || seam_async_new(loop, seam_a_cb, pp, &a))
    bench_fail("seam_loop_new/seam_async_new failed");
  pp->a = a;
  void *helper = bench_thread(seam_helper, pp);
  sem_wait(&pp->ready);
  seam_async_send(pp->b);
  if (seam_loop_run(loop, SEAM_RUN_DEFAULT) != 0 || seam_loop_free(loop))
    bench_fail("seam loop A did not end cleanly");
  bench_join(helper);
}

/* ---- native ---- */

static void native_a_cb(struct nb_async *a, void *arg) {
  struct pp *pp = arg;
  int more = on_a(pp);
  nb_async_send(pp->b);
  sent(&pp->a_sent);
  if (!more)
    nb_async_free(a);
}

static void native_b_cb(struct nb_async *b, void *arg) {
  struct pp *pp = arg;
  if (on_b(pp)) {
    nb_async_send(pp->a);
    sent(&pp->b_sent);
  } else {
    nb_async_free(b);
  }
}

static void *native_helper(void *arg) {
  struct pp *pp = arg;
  bench_pin(0);
  struct nb_loop *loop = nb_loop_new();
  pp->b = nb_async_new(loop, native_b_cb, pp);
  sem_post(&pp->ready);
  nb_loop_run(loop);
  nb_loop_free(loop);
  return NULL;
}

static void run_native(struct pp *pp) {
  struct nb_loop *loop = nb_loop_new();
  pp->a = nb_async_new(loop, native_a_cb, pp);
  void *helper = bench_thread(native_helper, pp);
  sem_wait(&pp->ready);
  nb_async_send(pp->b);
  nb_loop_run(loop);
  nb_loop_free(loop);
  bench_join(helper);
}

/* ---- raw: eventfd + epoll ---- */

static void *raw_helper(void *arg) {
  struct pp *pp = arg;
  bench_pin(0);
  for (;;) {
    bench_efd_wait(pp->b);
    if (!on_b(pp))
      return NULL;
    bench_efd_signal(pp->a);
    sent(&pp->b_sent);
  }
}

static void run_raw(struct pp *pp) {
  struct bench_efd a, b;
  bench_efd_open(&a);
  bench_efd_open(&b);
  pp->a = &a;
  pp->b = &b;
  void *helper = bench_thread(raw_helper, pp);
  bench_efd_signal(&b);
  int more;
  do {
    bench_efd_wait(&a);
    more = on_a(pp);
    bench_efd_signal(&b);
    sent(&pp->a_sent);
  } while (more);
  bench_join(helper);
  bench_efd_close(&a);
  bench_efd_close(&b);
}

int bench_pingpong(const struct bench_args *args) {
  struct pp pp;
  memset(&pp, 0, sizeof(pp));
  pp.warmup = args->n / 10 < WARMUP ? args->n / 10 : WARMUP;
  if (pp.warmup < 1)
    pp.warmup = 1;
  pp.total = pp.warmup + args->n;
  pp.budget_ns = (uint64_t)(args->budget_s * 1e9);
  atomic_init(&pp.quit, 0);
  atomic_init(&pp.a_sent, 0);
  atomic_init(&pp.b_sent, 0);
  sem_init(&pp.ready, 0, 0);
  bench_pin(0);
  if (strcmp(args->variant, "seam") == 0)
    run_seam(&pp);
  else if (strcmp(args->variant, "native") == 0)
    run_native(&pp);
  else if (strcmp(args->variant, "raw") == 0)
    run_raw(&pp);
  else
    return 2;
  sem_destroy(&pp.ready);
  if (pp.a_calls != pp.total || pp.b_calls != pp.total + 1)
    bench_fail("pingpong: A ran %ld and B %ld callbacks, want %ld and %ld",
               pp.a_calls, pp.b_calls, pp.total, pp.total + 1);
  long timed = pp.total - pp.warmup;
  bench_report("us/rt", (double)(pp.t1 - pp.t0) / 1e3 / (double)timed);
  return 0;
}
