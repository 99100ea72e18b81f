/*
 * test_adopt.c - conformance tests for adopted native loops (L5) with timers
 * and async notifiers. The host's loop is reached only through the native
 * shim of harness.h (th_native_*); this file includes no native header.
 *
 * "Host run" below is the host's own default run (uv_run, ev_run,
 * event_base_dispatch) called by the test, not seam_loop_run. The libevent
 * base the shim makes is not thread-aware.
 */
#include <errno.h>
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

static void count_unref_async_cb(seam_async *async, void *data) {
  ++*(int *)data;
  seam_async_unref(async);
}

static void post_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  sem_post(data);
}

static void flag_native_cb(void *arg) { ++*(int *)arg; }


static seam_loop *adopt(void *native) {
  seam_loop *loop = NULL;
  ck_assert_ptr_nonnull(native);
  ck_assert_int_eq(seam_loop_adopt(native, &loop), 0);
  ck_assert_ptr_nonnull(loop);
  ck_assert_ptr_eq(seam_loop_native(loop), native);
  return loop;
}

/* Frees the seam loop, lets the host run one more iteration (libuv completes
 * closing seam's handles there) and closes the native loop: it must close
 * cleanly, nothing of seam left on it. */
static void adopt_free(seam_loop *loop, void *native) {
  th_loop_free(loop);
  th_native_run_nowait(native);
  ck_assert_int_eq(th_native_free(native), 0);
}

/* The host's default run on this thread, on a watchdog. */
static void host_run(void *native, seam_loop *loop) { th_host_run(loop, native); }

/* ======================================================================
 * L5: adopting, and what holds the host's run
 * ====================================================================== */

/* L5/L7: adopt with a NULL native loop or out-pointer returns SEAM_EINVAL and leaves the native loop untouched. */
START_TEST(test_L5_adopt_null_arguments_return_einval) {
  void *native = th_native_new();
  seam_loop *loop = NULL;
  ck_assert_int_eq(seam_loop_adopt(NULL, &loop), SEAM_EINVAL);
  ck_assert_int_eq(seam_loop_adopt(native, NULL), SEAM_EINVAL);
  ck_assert_int_eq(th_native_free(native), 0);
}
END_TEST

/* L5: an adopted loop exposes the host's native loop; adopt/free without running leaves it closable, and it can be adopted again. */
START_TEST(test_L5_adopt_exposes_native_and_frees_cleanly) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  th_loop_free(loop);
  th_native_run_nowait(native);
  /* Adopted again once the first wrapper is gone. */
  loop = adopt(native);
  int n = 0;
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  host_run(native, loop);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_timer_free(t), 0);
  adopt_free(loop, native);
}
END_TEST

/* L5: the host's run returns when seam has nothing alive: unref'd async, never-started, stopped and unref'd active timers. */
START_TEST(test_L5_host_run_returns_when_nothing_alive) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  int n = 0;
  seam_async *a;
  seam_timer *idle, *stopped, *unrefd;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &idle), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &stopped), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &unrefd), 0);
  ck_assert_int_eq(seam_timer_start(stopped, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_stop(stopped), 0);
  ck_assert_int_eq(seam_timer_start(unrefd, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_unref(unrefd), 0);
  host_run(native, loop);
  ck_assert_int_eq(n, 0);

  /* Also after seam had work alive: a ref'd async whose callback unrefs it. */
  int m = 0;
  seam_async *b;
  ck_assert_int_eq(seam_async_new(loop, count_unref_async_cb, &m, &b), 0);
  ck_assert_int_eq(seam_async_send(b), 0);
  host_run(native, loop);
  ck_assert_int_eq(m, 1);
  /* ref/unref are a flag: two refs and one unref leave nothing alive. */
  ck_assert_int_eq(seam_async_ref(b), 0);
  ck_assert_int_eq(seam_async_ref(b), 0);
  ck_assert_int_eq(seam_async_unref(b), 0);
  host_run(native, loop);
  ck_assert_int_eq(m, 1);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_async_free(b), 0);

  ck_assert_int_eq(seam_async_free(a), 0);
  ck_assert_int_eq(seam_timer_free(idle), 0);
  ck_assert_int_eq(seam_timer_free(stopped), 0);
  ck_assert_int_eq(seam_timer_free(unrefd), 0);
  adopt_free(loop, native);
}
END_TEST

struct l5_repeat {
  int n;
};

static void l5_repeat_cb(seam_timer *timer, void *data) {
  struct l5_repeat *r = data;
  if (++r->n == 3)
    ck_assert_int_eq(seam_timer_stop(timer), 0);
}

/* L5: the host's run does not return while a ref'd timer is active (one-shot, then a repeat that stops itself). */
START_TEST(test_L5_host_run_waits_for_refd_timer) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  int n = 0;
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 10, 0), 0);
  host_run(native, loop);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_timer_free(t), 0);

  struct l5_repeat r = {0};
  ck_assert_int_eq(seam_timer_new(loop, l5_repeat_cb, &r, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 1, 1), 0);
  host_run(native, loop);
  ck_assert_int_eq(r.n, 3);
  ck_assert_int_eq(seam_timer_free(t), 0);
  adopt_free(loop, native);
}
END_TEST

struct l5_remote {
  seam_async *async;
  sem_t running;
  pthread_t loop_thread;
  atomic_int timed_out;
  atomic_int send_r;
  int n;
  int on_loop_thread;
};

static void *l5_remote_send_main(void *arg) {
  struct l5_remote *s = arg;
  if (th_wait(&s->running) != 0) {
    atomic_store(&s->timed_out, 1);
    return NULL;
  }
  atomic_store(&s->send_r, seam_async_send(s->async));
  return NULL;
}

static void l5_remote_cb(seam_async *async, void *data) {
  struct l5_remote *s = data;
  s->n++;
  s->on_loop_thread = pthread_equal(pthread_self(), s->loop_thread);
  seam_async_unref(async);
}

/* L5: a ref'd async holds the host's run, and a send from another thread wakes the blocked host loop (libevent base not thread-aware). */
START_TEST(test_L5_host_run_waits_for_refd_async_woken_from_other_thread) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  struct l5_remote s = {.loop_thread = pthread_self()};
  atomic_init(&s.send_r, 1);
  sem_init(&s.running, 0, 0);
  seam_timer *t;
  ck_assert_int_eq(seam_async_new(loop, l5_remote_cb, &s, &s.async), 0);
  ck_assert_int_eq(seam_timer_new(loop, post_timer_cb, &s.running, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  pthread_t h = th_thread(l5_remote_send_main, &s);
  host_run(native, loop);
  th_join(h);
  ck_assert(!atomic_load(&s.timed_out));
  ck_assert_int_eq(atomic_load(&s.send_r), 0);
  ck_assert_int_eq(s.n, 1); /* the run did not return before the send */
  ck_assert(s.on_loop_thread);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(s.async), 0);
  sem_destroy(&s.running);
  adopt_free(loop, native);
}
END_TEST

/* L5: a send made on the loop thread before the host runs is delivered by the host's first iteration (ref'd async). */
START_TEST(test_L5_host_run_delivers_send_made_before_it) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  th_native_run_nowait(native);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  adopt_free(loop, native);
}
END_TEST

/* L5: under the host's own run, a send made before it to an unref'd async is
 * delivered as soon as the host iterates (here a host timer keeps it running);
 * seam cannot make a host's run iterate when nothing at all is alive. */
START_TEST(test_L5_host_run_delivers_send_to_unrefd_async_while_it_iterates) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  int n = 0, host_fired = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  th_native_timer(native, 1, flag_native_cb, &host_fired);
  host_run(native, loop);
  ck_assert_int_eq(host_fired, 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_async_free(a), 0);
  adopt_free(loop, native);
}
END_TEST

/* ======================================================================
 * L5: callbacks under the host's run behave as under seam_loop_run
 * ====================================================================== */

struct l5_host_cbs {
  seam_loop *loop;
  seam_timer *t[4];
  seam_timer *zero;
  int log[8];
  int n;
  int nested_r;
  int zero_n;
  int zero_n_after_start;
  pthread_t loop_thread;
  int off_thread;
};

struct l5_tag {
  struct l5_host_cbs *s;
  int id;
};

static void l5_log_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct l5_tag *tag = data;
  struct l5_host_cbs *s = tag->s;
  if (!pthread_equal(pthread_self(), s->loop_thread))
    s->off_thread = 1;
  if (s->n < 8)
    s->log[s->n++] = tag->id;
}

static void l5_starter_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct l5_host_cbs *s = data;
  /* Equal deadlines, started in the order 2, 0, 3, 1. */
  static const int order[4] = {2, 0, 3, 1};
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(seam_timer_start(s->t[order[i]], 1, 0), 0);
  s->nested_r = seam_loop_run(s->loop, SEAM_RUN_NOWAIT);
}

static void l5_zero_cb(seam_timer *timer, void *data) {
  (void)timer;
  ((struct l5_host_cbs *)data)->zero_n++;
}

static void l5_zero_starter_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct l5_host_cbs *s = data;
  ck_assert_int_eq(seam_timer_start(s->zero, 0, 0), 0);
  s->zero_n_after_start = s->zero_n;
}

/* L5: under the host's run, timers fire on the host's thread in start order, nested seam_loop_run is EBUSY, timeout 0 waits for the next host iteration. */
START_TEST(test_L5_callbacks_fire_under_host_run_as_under_seam_run) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  struct l5_host_cbs s = {.loop = loop, .loop_thread = pthread_self(), .nested_r = 1};
  struct l5_tag tags[4];
  for (int i = 0; i < 4; i++) {
    tags[i] = (struct l5_tag){&s, i};
    ck_assert_int_eq(seam_timer_new(loop, l5_log_cb, &tags[i], &s.t[i]), 0);
  }
  seam_timer *starter;
  ck_assert_int_eq(seam_timer_new(loop, l5_starter_cb, &s, &starter), 0);
  ck_assert_int_eq(seam_timer_start(starter, 0, 0), 0);
  host_run(native, loop);
  ck_assert_int_eq(s.nested_r, SEAM_EBUSY);
  ck_assert_int_eq(s.n, 4);
  ck_assert_int_eq(s.log[0], 2);
  ck_assert_int_eq(s.log[1], 0);
  ck_assert_int_eq(s.log[2], 3);
  ck_assert_int_eq(s.log[3], 1);
  ck_assert(!s.off_thread);

  /* Step the host one iteration at a time: a timeout-0 timer started in a
   * callback fires in the host's next iteration, not inside start or in the
   * iteration that started it. */
  seam_timer *zero_starter;
  ck_assert_int_eq(seam_timer_new(loop, l5_zero_cb, &s, &s.zero), 0);
  ck_assert_int_eq(seam_timer_new(loop, l5_zero_starter_cb, &s, &zero_starter), 0);
  s.zero_n_after_start = -1;
  ck_assert_int_eq(seam_timer_start(zero_starter, 0, 0), 0);
  th_native_run_nowait(native);
  ck_assert_int_eq(s.zero_n_after_start, 0);
  ck_assert_int_eq(s.zero_n, 0);
  th_native_run_nowait(native);
  ck_assert_int_eq(s.zero_n, 1);

  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(seam_timer_free(s.t[i]), 0);
  ck_assert_int_eq(seam_timer_free(starter), 0);
  ck_assert_int_eq(seam_timer_free(s.zero), 0);
  ck_assert_int_eq(seam_timer_free(zero_starter), 0);
  adopt_free(loop, native);
}
END_TEST

struct l5_starve {
  seam_async *async;
  seam_timer *timer; /* started by the async's first call, if set */
  int n;
  int fired;
  int n_at_fire;
};

static void l5_starve_async_cb(seam_async *async, void *data) {
  struct l5_starve *s = data;
  s->n++;
  ck_assert(!s->fired);
  if (s->n == 1 && s->timer != NULL)
    ck_assert_int_eq(seam_timer_start(s->timer, 1, 0), 0);
  ck_assert_int_eq(seam_async_send(async), 0);
}

static void l5_starve_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct l5_starve *s = data;
  s->fired = 1;
  s->n_at_fire = s->n;
  ck_assert_int_eq(seam_async_free(s->async), 0);
}

/* L5: under the host's run a self-sending async never starves a due timer (no self-activation loop inside one host pass). */
START_TEST(test_L5_self_send_yields_to_timers_under_host_run) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  struct l5_starve s = {0};
  ck_assert_int_eq(seam_async_new(loop, l5_starve_async_cb, &s, &s.async), 0);
  ck_assert_int_eq(seam_timer_new(loop, l5_starve_timer_cb, &s, &s.timer), 0);
  ck_assert_int_eq(seam_async_send(s.async), 0); /* its first call starts the timer */
  host_run(native, loop);
  ck_assert(s.fired);
  ck_assert_int_ge(s.n_at_fire, 1);
  ck_assert_int_eq(s.n, s.n_at_fire);

  /* One host iteration runs one invocation of a self-sending async. */
  seam_async *a;
  struct l5_starve one = {0};
  ck_assert_int_eq(seam_async_new(loop, l5_starve_async_cb, &one, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  for (int steps = 1; steps <= 3; steps++) {
    th_native_run_nowait(native);
    ck_assert_int_eq(one.n, steps);
  }
  ck_assert_int_eq(seam_async_free(a), 0);
  ck_assert_int_eq(seam_timer_free(s.timer), 0);
  adopt_free(loop, native);
}
END_TEST

/* ======================================================================
 * L5: seam_loop_stop and seam_loop_free on an adopted loop
 * ====================================================================== */

struct l5_stop {
  seam_loop *loop;
  sem_t running;
  atomic_int timed_out;
  atomic_int stop_r;
};

static void *l5_stop_main(void *arg) {
  struct l5_stop *s = arg;
  if (th_wait(&s->running) != 0) {
    atomic_store(&s->timed_out, 1);
    return NULL;
  }
  atomic_store(&s->stop_r, seam_loop_stop(s->loop));
  return NULL;
}

/* L5: seam_loop_stop from another thread wakes a host run blocked in poll (seam work still alive) and makes it return. */
START_TEST(test_L5_stop_wakes_blocked_host_run) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  struct l5_stop s = {.loop = loop};
  atomic_init(&s.stop_r, 1);
  sem_init(&s.running, 0, 0);
  int n = 0;
  seam_async *keep;
  seam_timer *t;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &keep), 0);
  ck_assert_int_eq(seam_timer_new(loop, post_timer_cb, &s.running, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  pthread_t h = th_thread(l5_stop_main, &s);
  host_run(native, loop);
  th_join(h);
  ck_assert(!atomic_load(&s.timed_out));
  ck_assert_int_eq(atomic_load(&s.stop_r), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(keep), 0);
  sem_destroy(&s.running);
  adopt_free(loop, native);
}
END_TEST

/* L5: seam_loop_free neither runs nor closes the host's loop: a host timer pending at the free fires later under the host, which then closes cleanly. */
START_TEST(test_L5_free_leaves_host_loop_running_and_closable) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  int n = 0;
  seam_timer *t;
  seam_async *a;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_timer_start(t, 1, 0), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_async_unref(a), 0);
  host_run(native, loop);
  ck_assert_int_eq(n, 2);
  /* Leave seam's state armed: an active unref'd timer, a pending send. */
  ck_assert_int_eq(seam_timer_start(t, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_unref(t), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(seam_timer_free(t), 0);
  ck_assert_int_eq(seam_async_free(a), 0);

  int host_fired = 0;
  th_native_timer(native, 0, flag_native_cb, &host_fired);
  th_loop_free(loop);
  ck_assert_int_eq(host_fired, 0); /* the free did not run the host loop */
  th_native_run(native);           /* still usable; returns once its timer fired */
  ck_assert_int_eq(host_fired, 1);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(th_native_free(native), 0);
}
END_TEST

/* L4 on an adopted loop: seam_loop_free is EBUSY while a handle exists, 0 after. */
START_TEST(test_L5_free_busy_while_handle_exists_on_adopted_loop) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  int n = 0;
  seam_async *a;
  ck_assert_int_eq(seam_async_new(loop, count_async_cb, &n, &a), 0);
  ck_assert_int_eq(seam_loop_free(loop), SEAM_EBUSY);
  ck_assert_int_eq(seam_async_free(a), 0);
  adopt_free(loop, native);
}
END_TEST

/* L5: seam_loop_run on an adopted loop also counts the host's own native watchers as alive. */
START_TEST(test_L5_seam_run_on_adopted_loop_counts_host_watchers) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  int host_fired = 0;
  th_native_timer(native, 20, flag_native_cb, &host_fired);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(host_fired, 1);
  adopt_free(loop, native);
}
END_TEST

struct l5_other {
  seam_loop *loop;
  seam_timer *second;
  void *native;
  sem_t finished;
  pthread_t cb_thread;
  int start_r;
  int first_n;
  int second_n;
};

static void l5_other_first_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct l5_other *o = data;
  o->first_n++;
  o->cb_thread = pthread_self();
  /* This thread is the loop thread now: loop-thread functions work here. */
  o->start_r = seam_timer_start(o->second, 0, 0);
}

static void l5_other_second_cb(seam_timer *timer, void *data) {
  (void)timer;
  ((struct l5_other *)data)->second_n++;
}

static void *l5_other_main(void *arg) {
  struct l5_other *o = arg;
  th_native_run(o->native);
  sem_post(&o->finished);
  return NULL;
}

/* L5: a host running the adopted loop on another thread moves the loop thread there: callbacks run there and may use loop-thread functions. */
START_TEST(test_L5_host_run_on_other_thread_moves_loop_thread) {
  void *native = th_native_new();
  seam_loop *loop = adopt(native);
  struct l5_other o = {.loop = loop, .native = native, .start_r = 1};
  sem_init(&o.finished, 0, 0);
  seam_timer *first;
  ck_assert_int_eq(seam_timer_new(loop, l5_other_first_cb, &o, &first), 0);
  ck_assert_int_eq(seam_timer_new(loop, l5_other_second_cb, &o, &o.second), 0);
  ck_assert_int_eq(seam_timer_start(first, 1, 0), 0);
  pthread_t runner = th_thread(l5_other_main, &o);
  th_sem_wait(&o.finished);
  th_join(runner);
  ck_assert_int_eq(o.first_n, 1);
  ck_assert(pthread_equal(o.cb_thread, runner));
  ck_assert_int_eq(o.start_r, 0);
  ck_assert_int_eq(o.second_n, 1);
  /* The loop thread moved: this thread has to run the loop to take it back. */
  ck_assert_int_eq(seam_timer_free(first), SEAM_ETHREAD);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_timer_free(first), 0);
  ck_assert_int_eq(seam_timer_free(o.second), 0);
  sem_destroy(&o.finished);
  adopt_free(loop, native);
}
END_TEST

void seam_test_add_adopt(Suite *s) {
  TCase *tc = th_tcase(s, "L5_adopt");
  tcase_add_test(tc, test_L5_adopt_null_arguments_return_einval);
  tcase_add_test(tc, test_L5_adopt_exposes_native_and_frees_cleanly);
  tcase_add_test(tc, test_L5_free_busy_while_handle_exists_on_adopted_loop);
  tcase_add_test(tc, test_L5_free_leaves_host_loop_running_and_closable);

  tc = th_tcase(s, "L5_host_run");
  tcase_add_test(tc, test_L5_host_run_returns_when_nothing_alive);
  tcase_add_test(tc, test_L5_host_run_waits_for_refd_timer);
  tcase_add_test(tc, test_L5_host_run_waits_for_refd_async_woken_from_other_thread);
  tcase_add_test(tc, test_L5_host_run_delivers_send_made_before_it);
  tcase_add_test(tc, test_L5_host_run_delivers_send_to_unrefd_async_while_it_iterates);
  tcase_add_test(tc, test_L5_callbacks_fire_under_host_run_as_under_seam_run);
  tcase_add_test(tc, test_L5_self_send_yields_to_timers_under_host_run);
  tcase_add_test(tc, test_L5_stop_wakes_blocked_host_run);
  tcase_add_test(tc, test_L5_seam_run_on_adopted_loop_counts_host_watchers);
  tcase_add_test(tc, test_L5_host_run_on_other_thread_moves_loop_thread);
}
