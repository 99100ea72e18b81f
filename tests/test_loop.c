/*
 * test_loop.c - conformance tests for the loop (L1-L4, L6, L7) and the error
 * table. Everything here goes through the public API only.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/* ---- helpers local to this file ---- */

static void count_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  ++*(int *)data;
}

static void count_async_cb(seam_async *async, void *data) {
  (void)async;
  ++*(int *)data;
}


/* A timer callback that posts the semaphore in data: tells a helper thread
 * that the loop is running. */
static void post_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  sem_post(data);
}

/* ======================================================================
 * L1: run(DEFAULT) returns 0 once nothing alive remains
 * ====================================================================== */

/* L1: on a loop with nothing alive every mode returns 0 at once; ONCE does not block. */
START_TEST(test_L1_empty_loop_run_returns_0_in_every_mode) {
  seam_loop *loop = th_loop();
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_DEFAULT), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_ONCE), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_NOWAIT), 0);
  th_loop_free(loop);
}
END_TEST

/* L1: a ref'd one-shot timer holds the run until it fired, then run returns 0. */
START_TEST(test_L1_run_returns_0_after_last_timer_fired) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 5, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct l1_chain {
  seam_timer *timer;
  seam_async *async;
  int ticks;
  int asyncs;
};

static void l1_chain_timer_cb(seam_timer *timer, void *data) {
  struct l1_chain *c = data;
  if (++c->ticks == 3) {
    seam_timer_stop(timer);
    seam_async_send(c->async);
  }
}

static void l1_chain_async_cb(seam_async *async, void *data) {
  struct l1_chain *c = data;
  c->asyncs++;
  seam_async_unref(async);
}

/* L1: a ref'd async keeps the run alive until it is unref'd; a stopped repeat timer no longer does. */
START_TEST(test_L1_run_returns_0_once_last_alive_handle_goes) {
  seam_loop *loop = th_loop();
  struct l1_chain c = {0};
  ck_assert_int_eq(seam_timer_new(loop, l1_chain_timer_cb, &c, &c.timer), 0);
  ck_assert_int_eq(seam_async_new(loop, l1_chain_async_cb, &c, &c.async), 0);
  ck_assert_int_eq(seam_timer_start(c.timer, 1, 1), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(c.ticks, 3);
  ck_assert_int_eq(c.asyncs, 1);
  ck_assert_int_eq(seam_timer_free(c.timer), 0);
  ck_assert_int_eq(seam_async_free(c.async), 0);
  th_loop_free(loop);
}
END_TEST

static void free_self_async_cb(seam_async *async, void *data) {
  ++*(int *)data;
  ck_assert_int_eq(seam_async_free(async), 0);
}

/* L1: an async freed by its own callback ends the run with 0. */
START_TEST(test_L1_run_returns_0_after_async_freed_in_callback) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, free_self_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 1);
  th_loop_free(loop);
}
END_TEST

/* L1: stopped timers, unref'd active timers and unref'd asyncs do not keep the run alive. */
START_TEST(test_L1_only_refd_active_handles_are_alive) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *never_started, *stopped, *unrefd;
  seam_async *a;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &never_started), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &stopped), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &unrefd), 0);
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_timer_start(stopped, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_stop(stopped), 0);
  ck_assert_int_eq(seam_timer_start(unrefd, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_unref(unrefd), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(th_run_mode(loop, SEAM_RUN_ONCE), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_timer_free(never_started), 0);
  ck_assert_int_eq(seam_timer_free(stopped), 0);
  ck_assert_int_eq(seam_timer_free(unrefd), 0);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * L2: runs do not nest
 * ====================================================================== */

struct nest {
  seam_loop *loop;
  int r[3];
  int calls;
};

static void nest_try_all(struct nest *n) {
  n->r[0] = seam_loop_run(n->loop, SEAM_RUN_DEFAULT);
  n->r[1] = seam_loop_run(n->loop, SEAM_RUN_ONCE);
  n->r[2] = seam_loop_run(n->loop, SEAM_RUN_NOWAIT);
  n->calls++;
}

static void nest_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  nest_try_all(data);
}

static void nest_async_cb(seam_async *async, void *data) {
  nest_try_all(data);
  seam_async_unref(async);
}

/* L2: seam_loop_run in any mode from inside a timer callback returns SEAM_EBUSY. */
START_TEST(test_L2_run_inside_timer_callback_returns_ebusy) {
  seam_loop *loop = th_loop();
  struct nest n = {.loop = loop};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, nest_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n.calls, 1);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(n.r[i], SEAM_EBUSY);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

/* L2: seam_loop_run in any mode from inside an async callback returns SEAM_EBUSY. */
START_TEST(test_L2_run_inside_async_callback_returns_ebusy) {
  seam_loop *loop = th_loop();
  struct nest n = {.loop = loop};
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, nest_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n.calls, 1);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(n.r[i], SEAM_EBUSY);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * L3: seam_loop_stop
 * ====================================================================== */

struct stopper {
  seam_loop *loop;
  int n;
  int stop_at;
  int stop_self_at;
  int stop_r;
};

static void stopper_timer_cb(seam_timer *timer, void *data) {
  struct stopper *s = data;
  s->n++;
  if (s->n == s->stop_at)
    s->stop_r = seam_loop_stop(s->loop);
  if (s->n == s->stop_self_at)
    seam_timer_stop(timer);
}

/* L3: a stop from a callback ends the run after that iteration with 1 (a repeat timer is alive); the next run goes on. */
START_TEST(test_L3_stop_from_callback_returns_1_with_alive_work) {
  seam_loop *loop = th_loop();
  struct stopper s = {.loop = loop, .stop_at = 3, .stop_self_at = 5, .stop_r = -1};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, stopper_timer_cb, &s, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 1, 1), 0);
  ck_assert_int_eq(th_run(loop), 1);
  ck_assert_int_eq(s.stop_r, 0);
  ck_assert_int_eq(s.n, 3);
  /* The stop was consumed: this run goes on until the timer stops itself. */
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(s.n, 5);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

/* L3: a stop from the last alive handle's callback ends the run with 0 (nothing alive remains). */
START_TEST(test_L3_stop_from_callback_returns_0_when_nothing_alive) {
  seam_loop *loop = th_loop();
  struct stopper s = {.loop = loop, .stop_at = 1, .stop_r = -1};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, stopper_timer_cb, &s, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(s.stop_r, 0);
  ck_assert_int_eq(s.n, 1);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct remote_stop {
  seam_loop *loop;
  sem_t running;
  atomic_int stop_r;
  atomic_int timed_out;
};

static void *remote_stop_main(void *arg) {
  struct remote_stop *rs = arg;
  if (th_wait(&rs->running) != 0) {
    atomic_store(&rs->timed_out, 1);
    return NULL;
  }
  atomic_store(&rs->stop_r, seam_loop_stop(rs->loop));
  return NULL;
}

/* L3: a stop from another thread wakes a loop blocked waiting for events; run returns 1 (a ref'd async is alive). */
START_TEST(test_L3_stop_from_other_thread_wakes_blocked_loop) {
  seam_loop *loop = th_loop();
  struct remote_stop rs = {.loop = loop};
  atomic_init(&rs.stop_r, -1);
  sem_init(&rs.running, 0, 0);
  int n = 0;
  seam_async *a;
  seam_timer *t;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_timer_new(loop, post_timer_cb, &rs.running, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  pthread_t h = th_thread(remote_stop_main, &rs);
  ck_assert_int_eq(th_run(loop), 1);
  th_join(h);
  ck_assert(!atomic_load(&rs.timed_out));
  ck_assert_int_eq(atomic_load(&rs.stop_r), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(a), 0);
  sem_destroy(&rs.running);
  th_loop_free(loop);
}
END_TEST

static void unref_at_2_async_cb(seam_async *async, void *data) {
  if (++*(int *)data == 2)
    seam_async_unref(async);
}

/* L3: a stop made while not running makes the next run return (1) after one iteration that still delivers pending work. */
START_TEST(test_L3_stop_before_run_returns_after_first_iteration) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, unref_at_2_async_cb, &n, &a), 0);
  /* Nothing pending: the iteration must not block, the async keeps it alive. */
  ck_assert_int_eq(seam_loop_stop(loop), 0);
  ck_assert_int_eq(th_run(loop), 1);
  ck_assert_int_eq(n, 0);
  /* A pending send is delivered by that first iteration. */
  ck_assert_int_eq(seam_loop_stop(loop), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 1);
  ck_assert_int_eq(n, 1);
  /* The stop was consumed: this run ends only when nothing is alive. */
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

struct same_iter {
  seam_loop *loop;
  seam_timer *a, *b;
  int a_n, b_n;
};

static void same_iter_start_cb(seam_timer *timer, void *data) {
  struct same_iter *s = data;
  (void)timer;
  /* Same deadline (seam_now is constant here): due in the same iteration. */
  seam_timer_start(s->a, 1, 0);
  seam_timer_start(s->b, 1, 0);
}

static void same_iter_a_cb(seam_timer *timer, void *data) {
  struct same_iter *s = data;
  (void)timer;
  s->a_n++;
  seam_loop_stop(s->loop);
}

static void same_iter_b_cb(seam_timer *timer, void *data) {
  (void)timer;
  ((struct same_iter *)data)->b_n++;
}

/* L3: stop lets the iteration in progress finish: a timer due together with the stopping one still fires before run returns. */
START_TEST(test_L3_stop_lets_current_iteration_finish) {
  seam_loop *loop = th_loop();
  struct same_iter s = {.loop = loop};
  int n = 0;
  seam_timer *starter;
  seam_async *keep;
  ck_assert_int_eq(seam_timer_new(loop, same_iter_start_cb, &s, &starter), 0);
  ck_assert_int_eq(seam_timer_new(loop, same_iter_a_cb, &s, &s.a), 0);
  ck_assert_int_eq(seam_timer_new(loop, same_iter_b_cb, &s, &s.b), 0);
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &keep), 0);
  ck_assert_int_eq(seam_timer_start(starter, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 1);
  ck_assert_int_eq(s.a_n, 1);
  ck_assert_int_eq(s.b_n, 1);
  ck_assert_int_eq(seam_timer_free(starter), 0);
  ck_assert_int_eq(seam_timer_free(s.a), 0);
  ck_assert_int_eq(seam_timer_free(s.b), 0);
  ck_assert_int_eq(seam_async_free(keep), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * L4: seam_loop_free is SEAM_EBUSY while anything of the loop exists
 * ====================================================================== */

/* L4: free is EBUSY while a timer exists (stopped or active), changes nothing, and is 0 once the timer is freed. */
START_TEST(test_L4_free_busy_while_timer_exists) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  /* Nothing changed: the loop and its timer still work. */
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

/* L4: free is EBUSY while an async exists (ref'd or unref'd), changes nothing, and is 0 once it is freed. */
START_TEST(test_L4_free_busy_while_async_exists) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

struct free_inside {
  seam_loop *loop;
  int free_r;
  int calls;
};

static void free_inside_cb(seam_timer *timer, void *data) {
  struct free_inside *f = data;
  f->calls++;
  ck_assert_int_eq(seam_timer_free(timer), 0);
  /* No handle is left, but the loop is running. */
  f->free_r = seam_loop_free(f->loop);
}

/* L4: free from inside a callback is EBUSY even when no handle is left (the loop is running). */
START_TEST(test_L4_free_busy_while_running) {
  seam_loop *loop = th_loop();
  struct free_inside f = {.loop = loop, .free_r = 1};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, free_inside_cb, &f, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(f.calls, 1);
  ck_assert_int_eq(f.free_r, SEAM_EBUSY);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * L6: loop-thread-only functions from another thread
 * ====================================================================== */

struct off {
  seam_loop *loop;
  seam_timer *timer;
  seam_async *async;
  seam_timer *new_timer;
  seam_async *new_async;
  int r[8];
};

static void *off_timer_idle_main(void *arg) {
  struct off *o = arg;
  o->r[0] = seam_timer_new(o->loop, count_timer_cb, NULL, &o->new_timer);
  o->r[1] = seam_timer_start(o->timer, 0, 0);
  o->r[2] = seam_timer_ref(o->timer);
  o->r[3] = seam_timer_unref(o->timer);
  o->r[4] = seam_timer_free(o->timer);
  o->r[5] = seam_timer_stop(o->timer);
  return NULL;
}

static void *off_timer_active_main(void *arg) {
  struct off *o = arg;
  o->r[0] = seam_timer_unref(o->timer);
  o->r[1] = seam_timer_stop(o->timer);
  o->r[2] = seam_timer_start(o->timer, 0, 0);
  o->r[3] = seam_timer_free(o->timer);
  return NULL;
}

/* L6: every timer function from another thread returns ETHREAD and changes nothing (no start, stop, unref or free). */
START_TEST(test_L6_timer_functions_off_thread_return_ethread) {
  seam_loop *loop = th_loop();
  int n = 0;
  struct off o = {.loop = loop};
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &o.timer), 0);

  th_join(th_thread(off_timer_idle_main, &o));
  for (int i = 0; i < 6; i++)
    ck_assert_msg(o.r[i] == SEAM_ETHREAD, "call %d returned %d", i, o.r[i]);
  /* Not started: nothing is alive and the callback never runs. */
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 0);
  /* Not freed. */
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);

  ck_assert_int_eq(seam_timer_start(o.timer, 3600000, 0), 0);
  th_join(th_thread(off_timer_active_main, &o));
  for (int i = 0; i < 4; i++)
    ck_assert_msg(o.r[i] == SEAM_ETHREAD, "call %d returned %d", i, o.r[i]);
  /* Still ref'd and active (alive), still on its one-hour schedule (the
   * remote start with timeout 0 did not replace it), still allocated. */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_timer_start(o.timer, 1, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_timer_free(o.timer), 0);
  th_loop_free(loop);
}
END_TEST

static void *off_async_main(void *arg) {
  struct off *o = arg;
  o->r[0] = seam_async_new(o->loop, count_async_cb, NULL, &o->new_async);
  o->r[1] = seam_async_unref(o->async);
  o->r[2] = seam_async_ref(o->async);
  o->r[3] = seam_async_free(o->async);
  o->r[4] = seam_async_send(o->async);
  return NULL;
}

/* L6: async new/ref/unref/free from another thread return ETHREAD and change nothing; send works (0). */
START_TEST(test_L6_async_functions_off_thread_return_ethread) {
  seam_loop *loop = th_loop();
  int n = 0;
  struct off o = {.loop = loop};
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &o.async), 0);
  th_join(th_thread(off_async_main, &o));
  for (int i = 0; i < 4; i++)
    ck_assert_msg(o.r[i] == SEAM_ETHREAD, "call %d returned %d", i, o.r[i]);
  ck_assert_int_eq(o.r[4], 0);
  /* Still ref'd (alive) and allocated; the send is delivered. */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(seam_async_free(o.async), 0);
  th_loop_free(loop);
}
END_TEST

static void *off_loop_free_main(void *arg) {
  struct off *o = arg;
  o->r[0] = seam_loop_free(o->loop);
  return NULL;
}

/* L6: seam_loop_free from another thread returns ETHREAD and the loop still works. */
START_TEST(test_L6_loop_free_off_thread_returns_ethread) {
  seam_loop *loop = th_loop();
  struct off o = {.loop = loop};
  th_join(th_thread(off_loop_free_main, &o));
  ck_assert_int_eq(o.r[0], SEAM_ETHREAD);
  int n = 0;
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct mover {
  seam_loop *loop;
  int run_r, new_r, free_r;
};

static void *mover_main(void *arg) {
  struct mover *m = arg;
  seam_timer *t = NULL;
  m->run_r = seam_loop_run(m->loop, SEAM_RUN_NOWAIT);
  m->new_r = seam_timer_new(m->loop, count_timer_cb, NULL, &t);
  m->free_r = m->new_r == 0 ? seam_timer_free(t) : m->new_r;
  return NULL;
}

/* L6: seam_loop_run from another thread while idle moves the loop thread there; the old thread then gets ETHREAD. */
START_TEST(test_L6_run_moves_loop_thread) {
  seam_loop *loop = th_loop();
  struct mover m = {.loop = loop, .run_r = -1, .new_r = -1, .free_r = -1};
  th_join(th_thread(mover_main, &m));
  ck_assert_int_eq(m.run_r, 0);
  ck_assert_int_eq(m.new_r, 0);
  ck_assert_int_eq(m.free_r, 0);
  /* This thread is no longer the loop thread. */
  seam_timer *t = NULL;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, NULL, &t), SEAM_ETHREAD);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_ETHREAD);
  /* Running here moves it back. */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, NULL, &t), 0);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct busy_run {
  seam_loop *loop;
  seam_async *async;
  sem_t running;
  atomic_int run_r;
  atomic_int timed_out;
  int n;
  pthread_t loop_thread;
  int on_loop_thread;
};

static void *busy_run_main(void *arg) {
  struct busy_run *b = arg;
  if (th_wait(&b->running) != 0) {
    atomic_store(&b->timed_out, 1);
    return NULL;
  }
  atomic_store(&b->run_r, seam_loop_run(b->loop, SEAM_RUN_NOWAIT));
  seam_async_send(b->async);
  return NULL;
}

static void busy_run_async_cb(seam_async *async, void *data) {
  struct busy_run *b = data;
  b->n++;
  b->on_loop_thread = pthread_equal(pthread_self(), b->loop_thread);
  seam_async_unref(async);
}

/* L6: seam_loop_run from another thread while the loop runs fails (EBUSY or ETHREAD) and leaves the loop thread where it was. */
START_TEST(test_L6_run_from_other_thread_while_running_fails) {
  seam_loop *loop = th_loop();
  struct busy_run b = {.loop = loop, .loop_thread = pthread_self()};
  atomic_init(&b.run_r, 1);
  sem_init(&b.running, 0, 0);
  seam_timer *t;
  ck_assert_int_eq(seam_async_new(loop, busy_run_async_cb, &b, &b.async), 0);
  ck_assert_int_eq(seam_timer_new(loop, post_timer_cb, &b.running, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  pthread_t h = th_thread(busy_run_main, &b);
  ck_assert_int_eq(th_run(loop), 0);
  th_join(h);
  ck_assert(!atomic_load(&b.timed_out));
  int r = atomic_load(&b.run_r);
  ck_assert_msg(r == SEAM_EBUSY || r == SEAM_ETHREAD, "concurrent run returned %d", r);
  ck_assert_int_eq(b.n, 1);
  ck_assert(b.on_loop_thread);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(b.async), 0);
  sem_destroy(&b.running);
  th_loop_free(loop);
}
END_TEST

struct any_thread {
  seam_loop *loop;
  void *native;
  int stop_r;
  const char *backend;
  const char *err;
  const char *name;
};

static void *any_thread_main(void *arg) {
  struct any_thread *a = arg;
  a->native = seam_loop_native(a->loop);
  (void)seam_now(a->loop);
  a->stop_r = seam_loop_stop(a->loop);
  a->backend = seam_backend();
  a->err = seam_strerror(SEAM_ETHREAD);
  a->name = seam_err_name(SEAM_ETHREAD);
  return NULL;
}

/* L6: the any-thread loop functions (native, now, stop, identity, errors) work from another thread. */
START_TEST(test_L6_any_thread_functions_work_off_thread) {
  seam_loop *loop = th_loop();
  struct any_thread a = {.loop = loop, .stop_r = -1};
  th_join(th_thread(any_thread_main, &a));
  ck_assert_ptr_nonnull(a.native);
  ck_assert_ptr_eq(a.native, seam_loop_native(loop));
  ck_assert_int_eq(a.stop_r, 0);
  ck_assert_str_eq(a.backend, seam_backend());
  ck_assert_str_eq(a.err, seam_strerror(SEAM_ETHREAD));
  ck_assert_str_eq(a.name, "SEAM_ETHREAD");
  /* The remote stop is honoured by the next run, which ends after one iteration. */
  int n = 0;
  seam_async *keep;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &keep), 0);
  ck_assert_int_eq(th_run(loop), 1);
  ck_assert_int_eq(seam_async_free(keep), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * L7: NULL handles and callbacks
 * ====================================================================== */

/* L7: every loop function given NULL returns SEAM_EINVAL (NULL / 0 for native / now) without crashing. */
START_TEST(test_L7_null_loop_arguments_return_einval) {
  seam_loop *out = NULL;
  ck_assert_int_eq(seam_loop_new(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_adopt(NULL, &out), SEAM_EINVAL);
  ck_assert_ptr_null(seam_loop_native(NULL));
  ck_assert_int_eq(seam_loop_run(NULL, SEAM_RUN_DEFAULT), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_run(NULL, SEAM_RUN_ONCE), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_run(NULL, SEAM_RUN_NOWAIT), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_stop(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_free(NULL), SEAM_EINVAL);
  ck_assert_uint_eq(seam_now(NULL), 0);
}
END_TEST

/* L7: seam_loop_run with a mode outside the enum returns SEAM_EINVAL and runs nothing. */
START_TEST(test_L7_bad_run_mode_returns_einval) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_loop_run(loop, (seam_run_mode)3), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_run(loop, (seam_run_mode)-1), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_run(loop, (seam_run_mode)INT_MAX), SEAM_EINVAL);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  th_loop_free(loop);
}
END_TEST

/* L7: every timer function given a NULL handle, callback or out-pointer returns SEAM_EINVAL and creates nothing. */
START_TEST(test_L7_null_timer_arguments_return_einval) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *t = NULL;
  ck_assert_int_eq(seam_timer_new(NULL, count_timer_cb, &n, &t), SEAM_EINVAL);
  ck_assert_int_eq(seam_timer_new(loop, NULL, &n, &t), SEAM_EINVAL);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_timer_start(NULL, 0, 0), SEAM_EINVAL);
  ck_assert_int_eq(seam_timer_stop(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_timer_ref(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_timer_unref(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_timer_free(NULL), SEAM_EINVAL);
  /* Nothing was created: the loop frees at once. */
  th_loop_free(loop);
}
END_TEST

/* L7: every async function given a NULL handle, callback or out-pointer returns SEAM_EINVAL and creates nothing. */
START_TEST(test_L7_null_async_arguments_return_einval) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_async *a = NULL;
  ck_assert_int_eq(seam_async_new(NULL, count_async_cb, &n, &a), SEAM_EINVAL);
  ck_assert_int_eq(seam_async_new(loop, NULL, &n, &a), SEAM_EINVAL);
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_async_send(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_async_ref(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_async_unref(NULL), SEAM_EINVAL);
  ck_assert_int_eq(seam_async_free(NULL), SEAM_EINVAL);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * The error table (Precise readings: distinct negative codes, distinct texts)
 * ====================================================================== */

struct err_def {
  int code;
  const char *name;
};

/* The ten codes the contract names, listed independently of the header's map. */
static const struct err_def contract_errors[] = {
    {SEAM_EINVAL, "SEAM_EINVAL"},       {SEAM_ENOMEM, "SEAM_ENOMEM"},
    {SEAM_EBUSY, "SEAM_EBUSY"},         {SEAM_ECANCELED, "SEAM_ECANCELED"},
    {SEAM_ECLOSED, "SEAM_ECLOSED"},     {SEAM_EAGAIN, "SEAM_EAGAIN"},
    {SEAM_EALREADY, "SEAM_EALREADY"},   {SEAM_ENOENT, "SEAM_ENOENT"},
    {SEAM_EDEADLK, "SEAM_EDEADLK"},     {SEAM_ETHREAD, "SEAM_ETHREAD"},
};
#define N_ERRORS (sizeof contract_errors / sizeof contract_errors[0])

/* The header's table: code and message. */
struct err_msg {
  int code;
  const char *msg;
};
static const struct err_msg header_messages[] = {
#define ERR_MSG_ROW(name, value, msg) {value, msg},
    SEAM_ERRNO_MAP(ERR_MSG_ROW)
#undef ERR_MSG_ROW
};

/* Errors: the codes are distinct negatives, named by seam_err_name, with distinct seam_strerror texts from the header's table. */
START_TEST(test_E1_codes_distinct_with_distinct_texts_and_names) {
  ck_assert_uint_eq(sizeof header_messages / sizeof header_messages[0], N_ERRORS);
  for (size_t i = 0; i < N_ERRORS; i++) {
    int code = contract_errors[i].code;
    ck_assert_int_lt(code, 0);
    ck_assert_str_eq(seam_err_name(code), contract_errors[i].name);
    const char *text = seam_strerror(code);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_gt((int)strlen(text), 0);
    ck_assert_str_ne(text, "unknown error");
    for (size_t j = 0; j < i; j++) {
      ck_assert_int_ne(code, contract_errors[j].code);
      ck_assert_str_ne(text, seam_strerror(contract_errors[j].code));
    }
  }
  for (size_t i = 0; i < N_ERRORS; i++)
    ck_assert_str_eq(seam_strerror(header_messages[i].code), header_messages[i].msg);
}
END_TEST

/* Errors: codes outside the table get "unknown error" and "SEAM_EUNKNOWN", never NULL. */
START_TEST(test_E1_unknown_codes_get_generic_text) {
  static const int unknown[] = {INT_MIN, -1, -3, -9999, -4095, -4097, INT_MAX, 12345};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    ck_assert_str_eq(seam_strerror(unknown[i]), "unknown error");
    ck_assert_str_eq(seam_err_name(unknown[i]), "SEAM_EUNKNOWN");
  }
}
END_TEST

void seam_test_add_loop(Suite *s) {
  TCase *tc = th_tcase(s, "L1_alive");
  tcase_add_test(tc, test_L1_empty_loop_run_returns_0_in_every_mode);
  tcase_add_test(tc, test_L1_run_returns_0_after_last_timer_fired);
  tcase_add_test(tc, test_L1_run_returns_0_once_last_alive_handle_goes);
  tcase_add_test(tc, test_L1_run_returns_0_after_async_freed_in_callback);
  tcase_add_test(tc, test_L1_only_refd_active_handles_are_alive);

  tc = th_tcase(s, "L2_nesting");
  tcase_add_test(tc, test_L2_run_inside_timer_callback_returns_ebusy);
  tcase_add_test(tc, test_L2_run_inside_async_callback_returns_ebusy);

  tc = th_tcase(s, "L3_stop");
  tcase_add_test(tc, test_L3_stop_from_callback_returns_1_with_alive_work);
  tcase_add_test(tc, test_L3_stop_from_callback_returns_0_when_nothing_alive);
  tcase_add_test(tc, test_L3_stop_from_other_thread_wakes_blocked_loop);
  tcase_add_test(tc, test_L3_stop_before_run_returns_after_first_iteration);
  tcase_add_test(tc, test_L3_stop_lets_current_iteration_finish);

  tc = th_tcase(s, "L4_free");
  tcase_add_test(tc, test_L4_free_busy_while_timer_exists);
  tcase_add_test(tc, test_L4_free_busy_while_async_exists);
  tcase_add_test(tc, test_L4_free_busy_while_running);

  tc = th_tcase(s, "L6_threads");
  tcase_add_test(tc, test_L6_timer_functions_off_thread_return_ethread);
  tcase_add_test(tc, test_L6_async_functions_off_thread_return_ethread);
  tcase_add_test(tc, test_L6_loop_free_off_thread_returns_ethread);
  tcase_add_test(tc, test_L6_run_moves_loop_thread);
  tcase_add_test(tc, test_L6_run_from_other_thread_while_running_fails);
  tcase_add_test(tc, test_L6_any_thread_functions_work_off_thread);

  tc = th_tcase(s, "L7_null");
  tcase_add_test(tc, test_L7_null_loop_arguments_return_einval);
  tcase_add_test(tc, test_L7_bad_run_mode_returns_einval);
  tcase_add_test(tc, test_L7_null_timer_arguments_return_einval);
  tcase_add_test(tc, test_L7_null_async_arguments_return_einval);

  tc = th_tcase(s, "errors");
  tcase_add_test(tc, test_E1_codes_distinct_with_distinct_texts_and_names);
  tcase_add_test(tc, test_E1_unknown_codes_get_generic_text);
}
