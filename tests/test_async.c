/*
 * test_async.c - conformance tests for the async notifier (A1-A9).
 *
 * Helper threads never call ck_assert (a failure there cannot unwind the
 * test): they record results in atomics that the test thread asserts after
 * joining them. An async is never freed while another thread may still be
 * inside seam_async_send on it: callbacks unref, the test frees after join.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/* ---- helpers local to this file ---- */

static void count_async_cb(seam_async *async, void *data) {
  (void)async;
  ++*(int *)data;
}

static void count_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  ++*(int *)data;
}

/* A timer callback that posts the semaphore in data: tells a helper thread
 * that the loop is running. */
static void post_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  sem_post(data);
}


/* A thread that sends to an async once and records the result. */
struct one_send {
  seam_async *async;
  atomic_int r;
};

static void *one_send_main(void *arg) {
  struct one_send *o = arg;
  atomic_store(&o->r, seam_async_send(o->async));
  return NULL;
}

/* ======================================================================
 * A1: send returns 0 from any thread, never calls back synchronously
 * ====================================================================== */

struct a1 {
  seam_async *async;
  int n;
  int depth;
  int nested;
  int n_after_self_send;
  int timer_delta;
};

static void a1_async_cb(seam_async *async, void *data) {
  struct a1 *s = data;
  if (++s->depth > 1)
    s->nested = 1;
  s->n++;
  if (s->n == 1) {
    ck_assert_int_eq(seam_async_send(async), 0);
    s->n_after_self_send = s->n;
  }
  s->depth--;
}

static void a1_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct a1 *s = data;
  int before = s->n;
  ck_assert_int_eq(seam_async_send(s->async), 0);
  s->timer_delta = s->n - before;
}

/* A1: a send from the loop thread (outside callbacks, in a timer callback, in its own callback) never runs the callback inside send. */
START_TEST(test_A1_send_never_runs_callback_synchronously) {
  seam_loop *loop = th_loop();
  struct a1 s = {.timer_delta = -1};
  ck_assert_int_eq(seam_async_new(loop, a1_async_cb, &s, &s.async), 0);
  ck_assert_int_eq(seam_async_send(s.async), 0);
  ck_assert_int_eq(s.n, 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(s.n, 1);
  ck_assert_int_eq(s.n_after_self_send, 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(s.n, 2);

  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, a1_timer_cb, &s, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(s.timer_delta, 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(s.n, 3);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(s.n, 3);
  ck_assert(!s.nested);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(s.async), 0);
  th_loop_free(loop);
}
END_TEST

/* A1: seam_async_send returns 0 from other threads and from the loop thread; the sends reach the loop. */
START_TEST(test_A1_send_returns_0_from_any_thread) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  struct one_send s[3];
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {
    s[i].async = a;
    atomic_init(&s[i].r, 1);
    t[i] = th_thread(one_send_main, &s[i]);
  }
  for (int i = 0; i < 3; i++)
    th_join(t[i]);
  ck_assert_int_eq(n, 0);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(atomic_load(&s[i].r), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A2: k sends before the next dispatch give exactly one callback
 * ====================================================================== */

/* A2: k sends from the loop thread before the first run give exactly one callback, and nothing later. */
START_TEST(test_A2_sends_before_dispatch_coalesce_into_one_callback) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

struct a2_timer {
  seam_async *async;
  int k;
};

static void a2_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct a2_timer *s = data;
  for (int i = 0; i < s->k; i++)
    ck_assert_int_eq(seam_async_send(s->async), 0);
}

/* A2: k sends from a timer callback give exactly one callback (in this iteration or the next), and nothing later. */
START_TEST(test_A2_sends_from_timer_callback_coalesce) {
  seam_loop *loop = th_loop();
  int n = 0;
  struct a2_timer s = {.k = 7};
  seam_timer *t;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &s.async), 0);
  ck_assert_int_eq(seam_timer_new(loop, a2_timer_cb, &s, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_le(n, 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(s.async), 0);
  th_loop_free(loop);
}
END_TEST

struct many_sends {
  seam_async *async;
  int k;
  atomic_int err;
};

static void *many_sends_main(void *arg) {
  struct many_sends *m = arg;
  for (int i = 0; i < m->k; i++)
    if (seam_async_send(m->async) != 0)
      atomic_store(&m->err, 1);
  return NULL;
}

/* A2: sends from other threads made before the dispatch coalesce into one callback too. */
START_TEST(test_A2_sends_from_other_threads_before_run_coalesce) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  struct many_sends m = {.async = a, .k = 100};
  pthread_t t1 = th_thread(many_sends_main, &m);
  pthread_t t2 = th_thread(many_sends_main, &m);
  th_join(t1);
  th_join(t2);
  ck_assert(!atomic_load(&m.err));
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A3: no lost wakeup
 * ====================================================================== */

#define A3_THREADS 4

struct a3 {
  seam_async *async;
  atomic_ulong counter;
  unsigned long per_thread;
  unsigned long total;
  unsigned long last;
  int went_back;
  int seen_total;
  atomic_int err;
};

static void *a3_sender_main(void *arg) {
  struct a3 *s = arg;
  for (unsigned long k = 0; k < s->per_thread; k++) {
    atomic_fetch_add_explicit(&s->counter, 1, memory_order_release);
    if (seam_async_send(s->async) != 0)
      atomic_store(&s->err, 1);
  }
  return NULL;
}

static void a3_cb(seam_async *async, void *data) {
  struct a3 *s = data;
  unsigned long v = atomic_load_explicit(&s->counter, memory_order_acquire);
  if (v < s->last)
    s->went_back = 1;
  s->last = v;
  if (v == s->total && !s->seen_total) {
    s->seen_total = 1;
    seam_async_unref(async); /* the run ends; senders may still be in send */
  }
}

/* A3: M threads each doing K (increment; send) lead, before the watchdog, to a callback that observes M*K. */
START_TEST(test_A3_no_lost_wakeup_many_senders) {
  seam_loop *loop = th_loop();
  struct a3 s = {.per_thread = th_scaled(10000)};
  s.total = s.per_thread * A3_THREADS;
  ck_assert_int_eq(seam_async_new(loop, a3_cb, &s, &s.async), 0);
  pthread_t t[A3_THREADS];
  for (int i = 0; i < A3_THREADS; i++)
    t[i] = th_thread(a3_sender_main, &s);
  ck_assert_int_eq(th_run(loop), 0);
  for (int i = 0; i < A3_THREADS; i++)
    th_join(t[i]);
  ck_assert(s.seen_total);
  ck_assert(!s.went_back);
  ck_assert(!atomic_load(&s.err));
  ck_assert_int_eq(seam_async_free(s.async), 0);
  th_loop_free(loop);
}
END_TEST

struct a3_pp {
  seam_async *async;
  atomic_uint seq;
  unsigned rounds;
  unsigned last;
  sem_t ack;
  atomic_int timed_out;
  atomic_int err;
};

static void *a3_pp_main(void *arg) {
  struct a3_pp *p = arg;
  for (unsigned i = 1; i <= p->rounds; i++) {
    atomic_store_explicit(&p->seq, i, memory_order_release);
    if (seam_async_send(p->async) != 0)
      atomic_store(&p->err, 1);
    if (th_wait(&p->ack) != 0) {
      atomic_store(&p->timed_out, 1);
      break;
    }
  }
  return NULL;
}

static void a3_pp_cb(seam_async *async, void *data) {
  struct a3_pp *p = data;
  unsigned s = atomic_load_explicit(&p->seq, memory_order_acquire);
  if (s != p->last) {
    p->last = s;
    sem_post(&p->ack);
  }
  if (s == p->rounds)
    seam_async_unref(async);
}

/* A3: ping-pong, one send per round, the next only after the callback saw it: every single wakeup arrives (none lost on the race with the callback). */
START_TEST(test_A3_no_lost_wakeup_ping_pong) {
  seam_loop *loop = th_loop();
  struct a3_pp p = {.rounds = (unsigned)th_scaled(2000)};
  sem_init(&p.ack, 0, 0);
  ck_assert_int_eq(seam_async_new(loop, a3_pp_cb, &p, &p.async), 0);
  pthread_t t = th_thread(a3_pp_main, &p);
  ck_assert_int_eq(th_run(loop), 0);
  th_join(t);
  ck_assert(!atomic_load(&p.timed_out));
  ck_assert(!atomic_load(&p.err));
  ck_assert_uint_eq(p.last, p.rounds);
  ck_assert_int_eq(seam_async_free(p.async), 0);
  sem_destroy(&p.ack);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A4: callback only on the loop thread, never concurrently with itself
 * ====================================================================== */

struct a4 {
  seam_async *async;
  pthread_t loop_thread;
  atomic_ulong counter;
  unsigned long per_thread;
  unsigned long total;
  atomic_int inside;
  atomic_int concurrent;
  atomic_int off_thread;
  atomic_int calls;
  int done;
};

static void *a4_sender_main(void *arg) {
  struct a4 *s = arg;
  for (unsigned long k = 0; k < s->per_thread; k++) {
    atomic_fetch_add_explicit(&s->counter, 1, memory_order_release);
    seam_async_send(s->async);
  }
  return NULL;
}

static void a4_cb(seam_async *async, void *data) {
  struct a4 *s = data;
  if (!pthread_equal(pthread_self(), s->loop_thread))
    atomic_store(&s->off_thread, 1);
  if (atomic_exchange(&s->inside, 1))
    atomic_store(&s->concurrent, 1);
  atomic_fetch_add(&s->calls, 1);
  for (volatile int i = 0; i < 2000; i++) /* widen the window */
    ;
  unsigned long v = atomic_load_explicit(&s->counter, memory_order_acquire);
  atomic_store(&s->inside, 0);
  if (v == s->total && !s->done) {
    s->done = 1;
    seam_async_unref(async);
  }
}

/* A4: with two threads sending, the callback runs only on the loop thread and never overlaps itself. */
START_TEST(test_A4_callback_on_loop_thread_never_concurrent) {
  seam_loop *loop = th_loop();
  struct a4 s = {.loop_thread = pthread_self(), .per_thread = th_scaled(5000)};
  s.total = 2 * s.per_thread;
  ck_assert_int_eq(seam_async_new(loop, a4_cb, &s, &s.async), 0);
  pthread_t t1 = th_thread(a4_sender_main, &s);
  pthread_t t2 = th_thread(a4_sender_main, &s);
  ck_assert_int_eq(th_run(loop), 0);
  th_join(t1);
  th_join(t2);
  ck_assert(s.done);
  ck_assert_int_gt(atomic_load(&s.calls), 0);
  ck_assert(!atomic_load(&s.off_thread));
  ck_assert(!atomic_load(&s.concurrent));
  ck_assert_int_eq(seam_async_free(s.async), 0);
  th_loop_free(loop);
}
END_TEST

struct a4_runner {
  seam_loop *loop;
  seam_async *async;
  pthread_t runner;
  pthread_t creator;
  atomic_int run_r;
  sem_t finished;
  int on_runner;
  int on_creator;
  int n;
};

static void *a4_runner_main(void *arg) {
  struct a4_runner *r = arg;
  atomic_store(&r->run_r, seam_loop_run(r->loop, SEAM_RUN_DEFAULT));
  sem_post(&r->finished);
  return NULL;
}

static void a4_runner_cb(seam_async *async, void *data) {
  struct a4_runner *r = data;
  r->n++;
  r->on_runner = pthread_equal(pthread_self(), r->runner);
  r->on_creator = pthread_equal(pthread_self(), r->creator);
  seam_async_unref(async);
}

/* A4: when another thread runs the loop, the callback runs on that thread (the loop thread moved), not the creator's. */
START_TEST(test_A4_callback_follows_loop_thread_to_runner) {
  seam_loop *loop = th_loop();
  struct a4_runner r = {.loop = loop, .creator = pthread_self()};
  atomic_init(&r.run_r, -1);
  sem_init(&r.finished, 0, 0);
  ck_assert_int_eq(seam_async_new(loop, a4_runner_cb, &r, &r.async), 0);
  r.runner = th_thread(a4_runner_main, &r);
  ck_assert_int_eq(seam_async_send(r.async), 0); /* before or during the run */
  th_sem_wait(&r.finished);
  th_join(r.runner);
  ck_assert_int_eq(atomic_load(&r.run_r), 0);
  ck_assert_int_eq(r.n, 1);
  ck_assert(r.on_runner);
  ck_assert(!r.on_creator);
  /* Take the loop back to this thread to free it. */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_async_free(r.async), 0);
  sem_destroy(&r.finished);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A5: a send from the callback gives exactly one more invocation, later
 * ====================================================================== */

struct a5_count {
  int n;
  int limit;
};

static void a5_count_cb(seam_async *async, void *data) {
  struct a5_count *c = data;
  if (++c->n < c->limit) {
    /* Two sends in the callback still give exactly one more call. */
    ck_assert_int_eq(seam_async_send(async), 0);
    ck_assert_int_eq(seam_async_send(async), 0);
  } else {
    ck_assert_int_eq(seam_async_unref(async), 0);
  }
}

/* A5: invocations = sends-from-callback rounds + 1: each send from the callback gives exactly one more call. */
START_TEST(test_A5_self_send_gives_exactly_one_more_invocation) {
  seam_loop *loop = th_loop();
  struct a5_count c = {0, 50};
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, a5_count_cb, &c, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(c.n, 50);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(c.n, 50);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* A5: the extra invocation comes in a later iteration: one NOWAIT run delivers exactly one invocation. */
START_TEST(test_A5_self_send_lands_in_later_iteration) {
  seam_loop *loop = th_loop();
  struct a5_count c = {0, 3};
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, a5_count_cb, &c, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(c.n, 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(c.n, 2);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0); /* third call unrefs */
  ck_assert_int_eq(c.n, 3);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(c.n, 3);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

struct a5_starve {
  seam_async *async;
  seam_timer *timer;
  int n;
  int fired;
  int n_at_fire;
};

static void a5_starve_async_cb(seam_async *async, void *data) {
  struct a5_starve *s = data;
  s->n++;
  ck_assert(!s->fired);
  if (s->n == 1)
    ck_assert_int_eq(seam_timer_start(s->timer, 1, 0), 0);
  ck_assert_int_eq(seam_async_send(async), 0);
}

static void a5_starve_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct a5_starve *s = data;
  s->fired = 1;
  s->n_at_fire = s->n;
  /* Stop both: the async still has its self-send pending (A8). */
  ck_assert_int_eq(seam_async_free(s->async), 0);
}

/* A5: an async that re-sends itself on every call never starves a due timer: the 1 ms timer fires and ends the run. */
START_TEST(test_A5_self_send_yields_to_timers) {
  seam_loop *loop = th_loop();
  struct a5_starve s = {0};
  ck_assert_int_eq(seam_async_new(loop, a5_starve_async_cb, &s, &s.async), 0);
  ck_assert_int_eq(seam_timer_new(loop, a5_starve_timer_cb, &s, &s.timer), 0);
  ck_assert_int_eq(seam_async_send(s.async), 0); /* its first call starts the timer */
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert(s.fired);
  ck_assert_int_ge(s.n_at_fire, 1);
  ck_assert_int_eq(s.n, s.n_at_fire);
  ck_assert_int_eq(seam_timer_free(s.timer), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A6: a send made before the loop runs is delivered by the first run
 * ====================================================================== */

/* A6: a send before the first run is delivered by the first SEAM_RUN_ONCE, which does not block. */
START_TEST(test_A6_send_before_first_run_delivered_by_run_once) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_ONCE), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* A6: a send to an unref'd async before the run is still delivered by ONCE, NOWAIT and DEFAULT, which then return 0 (libuv#276). */
START_TEST(test_A6_send_to_unrefd_async_before_run_delivered) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_ONCE), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 3);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* A6: a send from another thread right after creation, before the loop ever ran, is delivered by the first ONCE (ref'd and unref'd). */
START_TEST(test_A6_cross_thread_send_before_first_run_delivered) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  struct one_send s = {.async = a};
  atomic_init(&s.r, 1);
  th_join(th_thread(one_send_main, &s));
  ck_assert_int_eq(atomic_load(&s.r), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_ONCE), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);

  /* Same with a fresh loop and an unref'd async. */
  loop = th_loop();
  n = 0;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  s.async = a;
  atomic_store(&s.r, 1);
  th_join(th_thread(one_send_main, &s));
  ck_assert_int_eq(atomic_load(&s.r), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_ONCE), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A7: unref'd async does not keep run alive; ref/unref idempotent
 * ====================================================================== */

/* A7: an unref'd async (never sent) does not keep run alive: DEFAULT returns 0 at once, no callback. */
START_TEST(test_A7_unrefd_async_does_not_keep_run_alive) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_ONCE), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* A7: async ref/unref are idempotent: a flag, not a counter (seen through NOWAIT's alive result). */
START_TEST(test_A7_ref_unref_idempotent) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1); /* ref'd by default */
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_async_ref(a), 0); /* one ref undoes two unrefs */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_async_ref(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_async_unref(a), 0); /* one unref undoes two refs */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

struct a7_kept {
  seam_async *async;
  seam_timer *keeper;
  sem_t running;
  int n;
  int on_loop_thread;
  pthread_t loop_thread;
  atomic_int timed_out;
  atomic_int send_r;
};

static void *a7_kept_main(void *arg) {
  struct a7_kept *k = arg;
  if (th_wait(&k->running) != 0) {
    atomic_store(&k->timed_out, 1);
    return NULL;
  }
  atomic_store(&k->send_r, seam_async_send(k->async));
  return NULL;
}

static void a7_kept_cb(seam_async *async, void *data) {
  (void)async;
  struct a7_kept *k = data;
  k->n++;
  k->on_loop_thread = pthread_equal(pthread_self(), k->loop_thread);
  ck_assert_int_eq(seam_timer_stop(k->keeper), 0);
}

/* A7: an unref'd async is still delivered (cross-thread send) while a ref'd timer keeps the loop running. */
START_TEST(test_A7_unrefd_async_delivered_while_loop_kept_alive) {
  seam_loop *loop = th_loop();
  struct a7_kept k = {.loop_thread = pthread_self()};
  atomic_init(&k.send_r, 1);
  sem_init(&k.running, 0, 0);
  int keeper_n = 0;
  seam_timer *started;
  ck_assert_int_eq(seam_async_new(loop, a7_kept_cb, &k, &k.async), 0);
  ck_assert_int_eq(seam_async_unref(k.async), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &keeper_n, &k.keeper), 0);
  ck_assert_int_eq(seam_timer_new(loop, post_timer_cb, &k.running, &started), 0);
  ck_assert_int_eq(seam_timer_start(k.keeper, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_start(started, 0, 0), 0);
  pthread_t h = th_thread(a7_kept_main, &k);
  ck_assert_int_eq(th_run(loop), 0);
  th_join(h);
  ck_assert(!atomic_load(&k.timed_out));
  ck_assert_int_eq(atomic_load(&k.send_r), 0);
  ck_assert_int_eq(k.n, 1);
  ck_assert(k.on_loop_thread);
  ck_assert_int_eq(keeper_n, 0);
  ck_assert_int_eq(seam_timer_free(started), 0);
  ck_assert_int_eq(seam_timer_free(k.keeper), 0);
  ck_assert_int_eq(seam_async_free(k.async), 0);
  sem_destroy(&k.running);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A8: after seam_async_free the callback never runs
 * ====================================================================== */

/* A8: freeing an async with sends pending (loop thread and another thread) means its callback never runs. */
START_TEST(test_A8_free_with_pending_sends_never_calls_back) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a, *b;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &b), 0);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(seam_async_send(a), 0);
  struct one_send s = {.async = b};
  atomic_init(&s.r, 1);
  th_join(th_thread(one_send_main, &s));
  ck_assert_int_eq(atomic_load(&s.r), 0);
  ck_assert_int_eq(seam_async_free(a), 0);
  ck_assert_int_eq(seam_async_free(b), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 0);
  th_loop_free(loop);
}
END_TEST

struct a8_pair {
  seam_async *a[2];
  int n[2];
  int ran_after_free;
};

static void a8_pair_cb(seam_async *async, void *data) {
  struct a8_pair *p = data;
  int me = async == p->a[0] ? 0 : 1;
  if (p->a[me] == NULL)
    p->ran_after_free = 1;
  p->n[me]++;
  if (p->a[1 - me] != NULL) {
    ck_assert_int_eq(seam_async_free(p->a[1 - me]), 0);
    p->a[1 - me] = NULL;
  }
}

static void a8_timer_frees_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct a8_pair *p = data;
  for (int i = 0; i < 2; i++)
    if (p->a[i] != NULL) {
      ck_assert_int_eq(seam_async_free(p->a[i]), 0);
      p->a[i] = NULL;
    }
}

/* A8: an async freed by another callback of the same iteration while its send is pending never runs (pair freeing each other, timer freeing). */
START_TEST(test_A8_free_by_other_callback_in_same_iteration) {
  seam_loop *loop = th_loop();
  struct a8_pair p = {0};
  ck_assert_int_eq(seam_async_new(loop, a8_pair_cb, &p, &p.a[0]), 0);
  ck_assert_int_eq(seam_async_new(loop, a8_pair_cb, &p, &p.a[1]), 0);
  ck_assert_int_eq(seam_async_send(p.a[0]), 0);
  ck_assert_int_eq(seam_async_send(p.a[1]), 0);
  /* Both pending: whichever runs first frees the other, which never runs. */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(p.n[0] + p.n[1], 1);
  ck_assert(!p.ran_after_free);
  int survivor = p.a[0] != NULL ? 0 : 1;
  ck_assert_ptr_nonnull(p.a[survivor]);
  ck_assert_ptr_null(p.a[1 - survivor]);

  /* A timer callback frees the survivor while its send is pending. */
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, a8_timer_frees_cb, &p, &t), 0);
  ck_assert_int_eq(seam_async_send(p.a[survivor]), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  int before = p.n[survivor];
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_ptr_null(p.a[survivor]);
  ck_assert_int_le(p.n[survivor], before + 1); /* ran before the free, if at all */
  ck_assert(!p.ran_after_free);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

static void a8_send_then_free_self_cb(seam_async *async, void *data) {
  ++*(int *)data;
  ck_assert_int_eq(seam_async_send(async), 0);
  ck_assert_int_eq(seam_async_free(async), 0);
}

/* A8: a callback that re-sends and then frees its own async is never called again; the run ends. */
START_TEST(test_A8_callback_frees_itself_after_self_send) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, a8_send_then_free_self_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 1);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * A9: seam_async_send is async-signal-safe
 * ====================================================================== */

/* The handler's view; set only while a test's handler is installed. */
static _Atomic(seam_async *) sig_async;
static _Atomic(sem_t *) sig_handled;

static void sig_send_handler(int sig) {
  (void)sig;
  int saved = errno;
  seam_async *a = atomic_load(&sig_async);
  if (a != NULL)
    seam_async_send(a);
  sem_t *s = atomic_load(&sig_handled);
  if (s != NULL)
    sem_post(s);
  errno = saved;
}

static void sig_install(struct sigaction *old, seam_async *a, sem_t *handled) {
  atomic_store(&sig_async, a);
  atomic_store(&sig_handled, handled);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = sig_send_handler;
  sigemptyset(&sa.sa_mask);
  ck_assert_int_eq(sigaction(SIGUSR1, &sa, old), 0);
}

static void sig_restore(const struct sigaction *old) {
  ck_assert_int_eq(sigaction(SIGUSR1, old, NULL), 0);
  atomic_store(&sig_async, NULL);
  atomic_store(&sig_handled, NULL);
}

struct a9 {
  seam_async *async;
  pthread_t loop_thread;
  sem_t running;
  sem_t delivered;
  unsigned rounds;
  int n;
  int on_loop_thread;
  atomic_int timed_out;
};

static void *a9_raiser_main(void *arg) {
  struct a9 *s = arg;
  if (th_wait(&s->running) != 0) {
    atomic_store(&s->timed_out, 1);
    return NULL;
  }
  for (unsigned i = 0; i < s->rounds; i++) {
    /* Alternate: the handler runs on the loop thread, then on this one. */
    pthread_kill(i % 2 == 0 ? s->loop_thread : pthread_self(), SIGUSR1);
    if (th_wait(&s->delivered) != 0) {
      atomic_store(&s->timed_out, 1);
      return NULL;
    }
  }
  return NULL;
}

static void a9_cb(seam_async *async, void *data) {
  struct a9 *s = data;
  s->n++;
  s->on_loop_thread = pthread_equal(pthread_self(), s->loop_thread);
  sem_post(&s->delivered);
  if (s->n == (int)s->rounds)
    seam_async_unref(async);
}

/* A9: sends from a SIGUSR1 handler (on the blocked loop thread and on another thread) are each delivered. */
START_TEST(test_A9_send_from_signal_handler_is_delivered) {
  seam_loop *loop = th_loop();
  struct a9 s = {.loop_thread = pthread_self(), .rounds = (unsigned)th_scaled(100)};
  if (s.rounds < 2)
    s.rounds = 2;
  sem_init(&s.running, 0, 0);
  sem_init(&s.delivered, 0, 0);
  seam_timer *t;
  ck_assert_int_eq(seam_async_new(loop, a9_cb, &s, &s.async), 0);
  ck_assert_int_eq(seam_timer_new(loop, post_timer_cb, &s.running, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  struct sigaction old;
  sig_install(&old, s.async, NULL);
  pthread_t h = th_thread(a9_raiser_main, &s);
  int r = th_run(loop);
  th_join(h);
  sig_restore(&old);
  ck_assert_int_eq(r, 0);
  ck_assert(!atomic_load(&s.timed_out));
  ck_assert_int_eq(s.n, (int)s.rounds);
  ck_assert(s.on_loop_thread);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(s.async), 0);
  sem_destroy(&s.running);
  sem_destroy(&s.delivered);
  th_loop_free(loop);
}
END_TEST

struct a9_nest {
  seam_async *async;
  pthread_t loop_thread;
  sem_t spinning;
  sem_t handled;
  unsigned rounds;
  atomic_int done;
  atomic_int timed_out;
  int calls;
};

static void *a9_nest_main(void *arg) {
  struct a9_nest *s = arg;
  if (th_wait(&s->spinning) != 0) {
    atomic_store(&s->timed_out, 1);
  } else {
    for (unsigned i = 0; i < s->rounds; i++) {
      pthread_kill(s->loop_thread, SIGUSR1);
      if (th_wait(&s->handled) != 0) {
        atomic_store(&s->timed_out, 1);
        break;
      }
    }
  }
  atomic_store(&s->done, 1);
  return NULL;
}

static void a9_nest_cb(seam_async *async, void *data) {
  struct a9_nest *s = data;
  if (++s->calls == 1) {
    sem_post(&s->spinning);
    /* Mostly inside seam_async_send when a signal arrives: the handler's
     * send interrupts a send on the same thread. */
    while (!atomic_load(&s->done))
      seam_async_send(async);
  } else {
    seam_async_unref(async);
  }
}

/* A9: a signal handler's send that interrupts a send in progress on the same thread neither deadlocks nor breaks coalescing. */
START_TEST(test_A9_signal_interrupting_send_does_not_deadlock) {
  seam_loop *loop = th_loop();
  struct a9_nest s = {.loop_thread = pthread_self(), .rounds = (unsigned)th_scaled(200)};
  sem_init(&s.spinning, 0, 0);
  sem_init(&s.handled, 0, 0);
  ck_assert_int_eq(seam_async_new(loop, a9_nest_cb, &s, &s.async), 0);
  struct sigaction old;
  sig_install(&old, s.async, &s.handled);
  pthread_t h = th_thread(a9_nest_main, &s);
  ck_assert_int_eq(seam_async_send(s.async), 0);
  int r = th_run(loop);
  th_join(h);
  sig_restore(&old);
  ck_assert_int_eq(r, 0);
  ck_assert(!atomic_load(&s.timed_out));
  /* Every send made during the first call coalesced into exactly one more. */
  ck_assert_int_eq(s.calls, 2);
  ck_assert_int_eq(seam_async_free(s.async), 0);
  sem_destroy(&s.spinning);
  sem_destroy(&s.handled);
  th_loop_free(loop);
}
END_TEST

void seam_test_add_async(Suite *s) {
  TCase *tc = th_tcase(s, "A1_send");
  tcase_add_test(tc, test_A1_send_never_runs_callback_synchronously);
  tcase_add_test(tc, test_A1_send_returns_0_from_any_thread);

  tc = th_tcase(s, "A2_coalesce");
  tcase_add_test(tc, test_A2_sends_before_dispatch_coalesce_into_one_callback);
  tcase_add_test(tc, test_A2_sends_from_timer_callback_coalesce);
  tcase_add_test(tc, test_A2_sends_from_other_threads_before_run_coalesce);

  tc = th_tcase(s, "A3_lost_wakeup");
  tcase_add_test(tc, test_A3_no_lost_wakeup_many_senders);
  tcase_add_test(tc, test_A3_no_lost_wakeup_ping_pong);

  tc = th_tcase(s, "A4_loop_thread");
  tcase_add_test(tc, test_A4_callback_on_loop_thread_never_concurrent);
  tcase_add_test(tc, test_A4_callback_follows_loop_thread_to_runner);

  tc = th_tcase(s, "A5_self_send");
  tcase_add_test(tc, test_A5_self_send_gives_exactly_one_more_invocation);
  tcase_add_test(tc, test_A5_self_send_lands_in_later_iteration);
  tcase_add_test(tc, test_A5_self_send_yields_to_timers);

  tc = th_tcase(s, "A6_before_run");
  tcase_add_test(tc, test_A6_send_before_first_run_delivered_by_run_once);
  tcase_add_test(tc, test_A6_send_to_unrefd_async_before_run_delivered);
  tcase_add_test(tc, test_A6_cross_thread_send_before_first_run_delivered);

  tc = th_tcase(s, "A7_ref");
  tcase_add_test(tc, test_A7_unrefd_async_does_not_keep_run_alive);
  tcase_add_test(tc, test_A7_ref_unref_idempotent);
  tcase_add_test(tc, test_A7_unrefd_async_delivered_while_loop_kept_alive);

  tc = th_tcase(s, "A8_free");
  tcase_add_test(tc, test_A8_free_with_pending_sends_never_calls_back);
  tcase_add_test(tc, test_A8_free_by_other_callback_in_same_iteration);
  tcase_add_test(tc, test_A8_callback_frees_itself_after_self_send);

  tc = th_tcase(s, "A9_signal");
  tcase_add_test(tc, test_A9_send_from_signal_handler_is_delivered);
  tcase_add_test(tc, test_A9_signal_interrupting_send_does_not_deadlock);
}
