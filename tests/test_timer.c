/*
 * test_timer.c - conformance tests for timers (T1-T6).
 *
 * Timers are started from inside a callback wherever their relative order
 * matters: seam_now() is constant there, so equal timeouts mean equal
 * deadlines. Where timers must be overdue, the loop thread busy-waits on
 * CLOCK_MONOTONIC: that is time passing, not synchronization.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/* ---- helpers local to this file ---- */

static void count_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  ++*(int *)data;
}

/* Busy-waits until ms milliseconds of CLOCK_MONOTONIC have passed. */
static void spin_ms(unsigned ms) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do
    clock_gettime(CLOCK_MONOTONIC, &b);
  while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < (long)ms * 1000000L);
}

/* A log of timer firings: each timer's data is a struct tag naming it. */
#define LOG_MAX 256

struct fire_log {
  int ids[LOG_MAX];
  int n;
};

struct tag {
  struct fire_log *log;
  int id;
};

static void log_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct tag *t = data;
  ck_assert_int_lt(t->log->n, LOG_MAX);
  t->log->ids[t->log->n++] = t->id;
}

/* ======================================================================
 * T1: timeout 0 fires in the next iteration, never inside seam_timer_start
 * ====================================================================== */

/* T1: a timeout-0 timer started outside callbacks is not run by start and fires in the next (NOWAIT) iteration, once. */
START_TEST(test_T1_zero_timeout_fires_next_iteration_not_inside_start) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct t1_chain {
  seam_timer *other;
  int a_n, b_n;
  int b_n_after_start;
  int start_r;
};

static void t1_chain_a_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t1_chain *c = data;
  c->a_n++;
  c->start_r = seam_timer_start(c->other, 0, 0);
  c->b_n_after_start = c->b_n;
}

static void t1_chain_b_cb(seam_timer *timer, void *data) {
  (void)timer;
  ((struct t1_chain *)data)->b_n++;
}

static void t1_restart_self_cb(seam_timer *timer, void *data) {
  int *n = data;
  if (++*n < 3)
    ck_assert_int_eq(seam_timer_start(timer, 0, 0), 0);
}

/* T1: timeout 0 started inside a callback fires in the next iteration, not the current one (also when restarting itself). */
START_TEST(test_T1_zero_timeout_from_callback_fires_next_iteration) {
  seam_loop *loop = th_loop();
  struct t1_chain c = {.start_r = -1};
  seam_timer *a, *b;
  ck_assert_int_eq(seam_timer_new(loop, t1_chain_a_cb, &c, &a), 0);
  ck_assert_int_eq(seam_timer_new(loop, t1_chain_b_cb, &c, &b), 0);
  c.other = b;
  ck_assert_int_eq(seam_timer_start(a, 0, 0), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(c.a_n, 1);
  ck_assert_int_eq(c.start_r, 0);
  ck_assert_int_eq(c.b_n_after_start, 0);
  ck_assert_int_eq(c.b_n, 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(c.b_n, 1);

  /* A timer restarting itself with 0 fires exactly once per iteration. */
  int n = 0;
  seam_timer *self;
  ck_assert_int_eq(seam_timer_new(loop, t1_restart_self_cb, &n, &self), 0);
  ck_assert_int_eq(seam_timer_start(self, 0, 0), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 3);

  ck_assert_int_eq(seam_timer_free(a), 0);
  ck_assert_int_eq(seam_timer_free(b), 0);
  ck_assert_int_eq(seam_timer_free(self), 0);
  th_loop_free(loop);
}
END_TEST

struct t1_race {
  seam_timer *timer;
  char log[8];
  int n;
  int async_calls;
};

static void t1_race_async_cb(seam_async *async, void *data) {
  struct t1_race *r = data;
  if (r->n < (int)sizeof r->log - 1)
    r->log[r->n++] = 'A';
  if (++r->async_calls == 1) {
    /* Timer first, then the self-send: the timer must win the next turn. */
    ck_assert_int_eq(seam_timer_start(r->timer, 0, 0), 0);
    ck_assert_int_eq(seam_async_send(async), 0);
  } else {
    seam_async_unref(async);
  }
}

static void t1_race_timer_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t1_race *r = data;
  if (r->n < (int)sizeof r->log - 1)
    r->log[r->n++] = 'T';
}

/* T1: a timeout-0 timer started before an async re-sends itself fires before that async's next invocation (0 is not clamped to 1 ms). */
START_TEST(test_T1_zero_timeout_beats_self_sending_async) {
  seam_loop *loop = th_loop();
  struct t1_race r = {.n = 0};
  seam_async *a;
  ck_assert_int_eq(seam_timer_new(loop, t1_race_timer_cb, &r, &r.timer), 0);
  ck_assert_int_eq(seam_async_new(loop, t1_race_async_cb, &r, &a), 0);
  ck_assert_int_eq(seam_async_send(a), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_str_eq(r.log, "ATA");
  ck_assert_int_eq(seam_async_free(a), 0);
  ck_assert_int_eq(seam_timer_free(r.timer), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * T2: equal deadlines fire in start order
 * ====================================================================== */

#define T2_N 64

struct t2_many {
  seam_timer *timers[T2_N];
  struct tag tags[T2_N];
  struct fire_log log;
  int start_order[T2_N];
};

static void t2_many_start_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t2_many *m = data;
  /* Start order differs from creation order; seam_now is constant here. */
  for (int i = 0; i < T2_N; i++)
    ck_assert_int_eq(seam_timer_start(m->timers[m->start_order[i]], 1, 0), 0);
}

/* T2: 64 timers started in one callback with the same timeout fire in start order (not creation or heap order). */
START_TEST(test_T2_equal_deadlines_fire_in_start_order) {
  seam_loop *loop = th_loop();
  struct t2_many m;
  memset(&m, 0, sizeof m);
  for (int i = 0; i < T2_N; i++) {
    m.tags[i] = (struct tag){&m.log, i};
    ck_assert_int_eq(seam_timer_new(loop, log_timer_cb, &m.tags[i], &m.timers[i]), 0);
    m.start_order[i] = (i * 37 + 11) % T2_N; /* a permutation: 37 is odd */
  }
  seam_timer *starter;
  ck_assert_int_eq(seam_timer_new(loop, t2_many_start_cb, &m, &starter), 0);
  ck_assert_int_eq(seam_timer_start(starter, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(m.log.n, T2_N);
  for (int i = 0; i < T2_N; i++)
    ck_assert_msg(m.log.ids[i] == m.start_order[i], "firing %d was timer %d, started as %d",
                  i, m.log.ids[i], m.start_order[i]);
  for (int i = 0; i < T2_N; i++)
    ck_assert_int_eq(seam_timer_free(m.timers[i]), 0);
  ck_assert_int_eq(seam_timer_free(starter), 0);
  th_loop_free(loop);
}
END_TEST

/* T2: timers started one after another before the first run with the same timeout fire in start order. */
START_TEST(test_T2_equal_timeouts_before_run_fire_in_start_order) {
  seam_loop *loop = th_loop();
  enum { N = 8 };
  static const int order[N] = {5, 2, 7, 0, 3, 6, 1, 4};
  struct fire_log log = {{0}, 0};
  struct tag tags[N];
  seam_timer *timers[N];
  for (int i = 0; i < N; i++) {
    tags[i] = (struct tag){&log, i};
    ck_assert_int_eq(seam_timer_new(loop, log_timer_cb, &tags[i], &timers[i]), 0);
  }
  for (int i = 0; i < N; i++)
    ck_assert_int_eq(seam_timer_start(timers[order[i]], 1, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(log.n, N);
  for (int i = 0; i < N; i++)
    ck_assert_int_eq(log.ids[i], order[i]);
  for (int i = 0; i < N; i++)
    ck_assert_int_eq(seam_timer_free(timers[i]), 0);
  th_loop_free(loop);
}
END_TEST

struct t2_restart {
  seam_timer *t[3];
};

static void t2_restart_start_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t2_restart *r = data;
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(seam_timer_start(r->t[i], 2, 0), 0);
  /* Restarting timer 0 with the same deadline makes it the last started. */
  ck_assert_int_eq(seam_timer_start(r->t[0], 2, 0), 0);
}

/* T2: restarting a timer with an equal deadline moves it behind the timers started before the restart. */
START_TEST(test_T2_restart_moves_timer_behind_equal_deadlines) {
  seam_loop *loop = th_loop();
  struct fire_log log = {{0}, 0};
  struct tag tags[3];
  struct t2_restart r;
  for (int i = 0; i < 3; i++) {
    tags[i] = (struct tag){&log, i};
    ck_assert_int_eq(seam_timer_new(loop, log_timer_cb, &tags[i], &r.t[i]), 0);
  }
  seam_timer *starter;
  ck_assert_int_eq(seam_timer_new(loop, t2_restart_start_cb, &r, &starter), 0);
  ck_assert_int_eq(seam_timer_start(starter, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(log.n, 3);
  ck_assert_int_eq(log.ids[0], 1);
  ck_assert_int_eq(log.ids[1], 2);
  ck_assert_int_eq(log.ids[2], 0);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(seam_timer_free(r.t[i]), 0);
  ck_assert_int_eq(seam_timer_free(starter), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * T3: a stopped or freed timer never fires; overdue timers in due order
 * ====================================================================== */

/* T3: a timer stopped (or freed) before it was due never fires, and does not keep the loop alive. */
START_TEST(test_T3_stopped_or_freed_timer_never_fires) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *stopped, *freed;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &stopped), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &freed), 0);
  ck_assert_int_eq(seam_timer_start(stopped, 0, 0), 0);
  ck_assert_int_eq(seam_timer_start(freed, 0, 0), 0);
  ck_assert_int_eq(seam_timer_stop(stopped), 0);
  ck_assert_int_eq(seam_timer_stop(stopped), 0); /* a no-op */
  ck_assert_int_eq(seam_timer_free(freed), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 0);

  /* Also when it was already overdue at the stop. */
  ck_assert_int_eq(seam_timer_start(stopped, 1, 0), 0);
  spin_ms(5);
  ck_assert_int_eq(seam_timer_stop(stopped), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_timer_free(stopped), 0);
  th_loop_free(loop);
}
END_TEST

struct t3_same {
  seam_timer *a, *b, *c, *d;
  int a_n, b_n, c_n, d_n;
};

static void t3_same_start_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t3_same *s = data;
  ck_assert_int_eq(seam_timer_start(s->a, 1, 0), 0);
  ck_assert_int_eq(seam_timer_start(s->b, 1, 0), 0);
  ck_assert_int_eq(seam_timer_start(s->c, 1, 0), 0);
  ck_assert_int_eq(seam_timer_start(s->d, 1, 0), 0);
  spin_ms(5); /* all four are overdue when the next iteration begins */
}

static void t3_same_a_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t3_same *s = data;
  s->a_n++;
  ck_assert_int_eq(seam_timer_stop(s->b), 0);
  ck_assert_int_eq(seam_timer_free(s->c), 0);
  s->c = NULL;
}

static void t3_same_b_cb(seam_timer *timer, void *data) {
  (void)timer;
  ((struct t3_same *)data)->b_n++;
}

static void t3_same_c_cb(seam_timer *timer, void *data) {
  (void)timer;
  ((struct t3_same *)data)->c_n++;
}

static void t3_same_d_cb(seam_timer *timer, void *data) {
  (void)timer;
  ((struct t3_same *)data)->d_n++;
}

/* T3: timers due in the same iteration, stopped or freed by an earlier callback of that iteration, never fire. */
START_TEST(test_T3_timer_stopped_by_earlier_callback_in_same_iteration_never_fires) {
  seam_loop *loop = th_loop();
  struct t3_same s = {0};
  seam_timer *starter;
  ck_assert_int_eq(seam_timer_new(loop, t3_same_a_cb, &s, &s.a), 0);
  ck_assert_int_eq(seam_timer_new(loop, t3_same_b_cb, &s, &s.b), 0);
  ck_assert_int_eq(seam_timer_new(loop, t3_same_c_cb, &s, &s.c), 0);
  ck_assert_int_eq(seam_timer_new(loop, t3_same_d_cb, &s, &s.d), 0);
  ck_assert_int_eq(seam_timer_new(loop, t3_same_start_cb, &s, &starter), 0);
  ck_assert_int_eq(seam_timer_start(starter, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(s.a_n, 1);
  ck_assert_int_eq(s.b_n, 0);
  ck_assert_int_eq(s.c_n, 0);
  ck_assert_int_eq(s.d_n, 1); /* the iteration went on after A */
  ck_assert_ptr_null(s.c);
  ck_assert_int_eq(seam_timer_free(s.a), 0);
  ck_assert_int_eq(seam_timer_free(s.b), 0);
  ck_assert_int_eq(seam_timer_free(s.d), 0);
  ck_assert_int_eq(seam_timer_free(starter), 0);
  th_loop_free(loop);
}
END_TEST

struct t3_overdue {
  seam_timer *t[4];
};

static void t3_overdue_start_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t3_overdue *o = data;
  /* Deadlines now+30, now+10, now+20, now+10 (seam_now is constant here). */
  ck_assert_int_eq(seam_timer_start(o->t[0], 30, 0), 0);
  ck_assert_int_eq(seam_timer_start(o->t[1], 10, 0), 0);
  ck_assert_int_eq(seam_timer_start(o->t[2], 20, 0), 0);
  ck_assert_int_eq(seam_timer_start(o->t[3], 10, 0), 0);
  spin_ms(60); /* all of them are overdue when the next iteration begins */
}

/* T3: timers that are overdue together fire in due-time order (ties in start order), not start or LIFO order. */
START_TEST(test_T3_overdue_timers_fire_in_due_time_order) {
  seam_loop *loop = th_loop();
  struct fire_log log = {{0}, 0};
  struct tag tags[4];
  struct t3_overdue o;
  for (int i = 0; i < 4; i++) {
    tags[i] = (struct tag){&log, i};
    ck_assert_int_eq(seam_timer_new(loop, log_timer_cb, &tags[i], &o.t[i]), 0);
  }
  seam_timer *starter;
  ck_assert_int_eq(seam_timer_new(loop, t3_overdue_start_cb, &o, &starter), 0);
  ck_assert_int_eq(seam_timer_start(starter, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(log.n, 4);
  ck_assert_int_eq(log.ids[0], 1);
  ck_assert_int_eq(log.ids[1], 3);
  ck_assert_int_eq(log.ids[2], 2);
  ck_assert_int_eq(log.ids[3], 0);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(seam_timer_free(o.t[i]), 0);
  ck_assert_int_eq(seam_timer_free(starter), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * T4: repeat re-arms; start on an active timer replaces its schedule
 * ====================================================================== */

#define T4_FIRINGS 5

struct t4_repeat {
  seam_loop *loop;
  uint64_t now[T4_FIRINGS];
  int n;
};

static void t4_repeat_cb(seam_timer *timer, void *data) {
  struct t4_repeat *r = data;
  r->now[r->n++] = seam_now(r->loop);
  if (r->n == T4_FIRINGS)
    ck_assert_int_eq(seam_timer_stop(timer), 0);
}

/* T4: repeat_ms > 0 re-arms after each firing, never earlier than timeout + k * repeat after the start. */
START_TEST(test_T4_repeat_rearms_after_each_firing) {
  seam_loop *loop = th_loop();
  struct t4_repeat r = {.loop = loop};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, t4_repeat_cb, &r, &t), 0);
  uint64_t t0 = seam_now(loop); /* start refreshes the clock: base >= t0 */
  ck_assert_int_eq(seam_timer_start(t, 1, 3), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(r.n, T4_FIRINGS);
  for (int k = 0; k < T4_FIRINGS; k++)
    ck_assert_msg(r.now[k] >= t0 + 1 + 3 * (uint64_t)k, "firing %d at %llu, start %llu", k,
                  (unsigned long long)r.now[k], (unsigned long long)t0);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct t4_replace {
  seam_loop *loop;
  int n;
  uint64_t fired_at;
  int oneshot_at; /* restart as one-shot at this firing */
};

static void t4_replace_cb(seam_timer *timer, void *data) {
  struct t4_replace *r = data;
  r->fired_at = seam_now(r->loop);
  if (++r->n == r->oneshot_at)
    ck_assert_int_eq(seam_timer_start(timer, 1, 0), 0);
}

/* T4: start on an active timer replaces its schedule (long -> short, short -> long, repeat -> one-shot); nothing of the old one remains. */
START_TEST(test_T4_start_on_active_timer_replaces_schedule) {
  seam_loop *loop = th_loop();
  struct t4_replace r = {.loop = loop};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, t4_replace_cb, &r, &t), 0);

  /* An hour, replaced by 1 ms: fires once, then nothing is alive. */
  ck_assert_int_eq(seam_timer_start(t, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_start(t, 1, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(r.n, 1);

  /* 0 ms, replaced by 25 ms: fires once, not before 25 ms. */
  r.n = 0;
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  uint64_t t0 = seam_now(loop);
  ck_assert_int_eq(seam_timer_start(t, 25, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(r.n, 1);
  ck_assert_uint_ge(r.fired_at, t0 + 25);

  /* A 1 ms repeat made one-shot from its second firing: three firings. */
  r.n = 0;
  r.oneshot_at = 2;
  ck_assert_int_eq(seam_timer_start(t, 1, 1), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(r.n, 3);

  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * T5: a callback may stop, restart or free its own timer
 * ====================================================================== */

struct t5 {
  int n;
  int limit;
};

static void t5_stop_self_cb(seam_timer *timer, void *data) {
  struct t5 *s = data;
  if (++s->n == s->limit)
    ck_assert_int_eq(seam_timer_stop(timer), 0);
}

/* T5: a repeating timer's callback stops its own timer: no further firing, the run ends. */
START_TEST(test_T5_callback_stops_own_timer) {
  seam_loop *loop = th_loop();
  struct t5 s = {0, 3};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, t5_stop_self_cb, &s, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 0, 1), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(s.n, 3);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

static void t5_restart_self_cb(seam_timer *timer, void *data) {
  struct t5 *s = data;
  if (++s->n < s->limit)
    ck_assert_int_eq(seam_timer_start(timer, 1, 0), 0);
}

static void t5_restart_repeat_cb(seam_timer *timer, void *data) {
  struct t5 *s = data;
  ++s->n;
  if (s->n == 2)
    ck_assert_int_eq(seam_timer_start(timer, 1, 2), 0); /* a new repeat */
  else if (s->n == s->limit)
    ck_assert_int_eq(seam_timer_stop(timer), 0);
}

/* T5: a callback restarts its own timer (one-shot restarted again and again; a repeat given a new schedule). */
START_TEST(test_T5_callback_restarts_own_timer) {
  seam_loop *loop = th_loop();
  struct t5 s = {0, 4};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, t5_restart_self_cb, &s, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 1, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(s.n, 4);
  ck_assert_int_eq(seam_timer_free(t), 0);

  struct t5 r = {0, 5};
  ck_assert_int_eq(seam_timer_new(loop, t5_restart_repeat_cb, &r, &t), 0);
  ck_assert_int_eq(seam_timer_start(t, 1, 1), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(r.n, 5);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

static void t5_free_self_cb(seam_timer *timer, void *data) {
  struct t5 *s = data;
  if (++s->n == s->limit) {
    if (s->limit == 1)
      ck_assert_int_eq(seam_timer_start(timer, 0, 0), 0); /* then freed: never fires */
    ck_assert_int_eq(seam_timer_free(timer), 0);
  }
}

/* T5: a callback frees its own timer (one-shot, repeating, just restarted): never fires again, loop frees. */
START_TEST(test_T5_callback_frees_own_timer) {
  seam_loop *loop = th_loop();
  struct t5 once = {0, 1}, rep = {0, 3};
  seam_timer *a, *b;
  ck_assert_int_eq(seam_timer_new(loop, t5_free_self_cb, &once, &a), 0);
  ck_assert_int_eq(seam_timer_new(loop, t5_free_self_cb, &rep, &b), 0);
  ck_assert_int_eq(seam_timer_start(a, 1, 0), 0);
  ck_assert_int_eq(seam_timer_start(b, 0, 1), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(once.n, 1);
  ck_assert_int_eq(rep.n, 3);
  th_loop_free(loop);
}
END_TEST

/* ======================================================================
 * T6: seam_now; unref'd timers
 * ====================================================================== */

#define T6_FIRINGS 5

struct t6_clock {
  seam_loop *loop;
  uint64_t now[T6_FIRINGS];
  int n;
  int constant;
};

static void t6_clock_cb(seam_timer *timer, void *data) {
  struct t6_clock *c = data;
  uint64_t before = seam_now(c->loop);
  spin_ms(3);
  if (seam_now(c->loop) != before)
    c->constant = 0;
  c->now[c->n++] = before;
  if (c->n == T6_FIRINGS)
    ck_assert_int_eq(seam_timer_stop(timer), 0);
  else
    ck_assert_int_eq(seam_timer_start(timer, 0, 0), 0);
}

/* T6: seam_now is constant within a callback and strictly advances from one iteration to the next. */
START_TEST(test_T6_now_monotonic_and_advances_across_iterations) {
  seam_loop *loop = th_loop();
  struct t6_clock c = {.loop = loop, .constant = 1};
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, t6_clock_cb, &c, &t), 0);
  uint64_t t0 = seam_now(loop);
  ck_assert_int_eq(seam_timer_start(t, 0, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(c.n, T6_FIRINGS);
  ck_assert(c.constant);
  ck_assert_uint_ge(c.now[0], t0);
  for (int k = 1; k < T6_FIRINGS; k++)
    ck_assert_msg(c.now[k] > c.now[k - 1], "iteration %d: now %llu after %llu", k,
                  (unsigned long long)c.now[k], (unsigned long long)c.now[k - 1]);
  ck_assert_uint_ge(seam_now(loop), c.now[T6_FIRINGS - 1]);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct t6_deadline {
  seam_loop *loop;
  seam_timer *second;
  uint64_t first_now, second_now;
};

static void t6_deadline_first_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t6_deadline *d = data;
  d->first_now = seam_now(d->loop);
  ck_assert_int_eq(seam_timer_start(d->second, 20, 0), 0);
}

static void t6_deadline_second_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t6_deadline *d = data;
  d->second_now = seam_now(d->loop);
}

/* T6: a timer never fires early on the loop's clock (20 ms from outside and from inside a callback). */
START_TEST(test_T6_timer_fires_no_earlier_than_its_deadline) {
  seam_loop *loop = th_loop();
  struct t6_deadline d = {.loop = loop};
  seam_timer *first;
  ck_assert_int_eq(seam_timer_new(loop, t6_deadline_first_cb, &d, &first), 0);
  ck_assert_int_eq(seam_timer_new(loop, t6_deadline_second_cb, &d, &d.second), 0);
  uint64_t t0 = seam_now(loop);
  ck_assert_int_eq(seam_timer_start(first, 20, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_uint_ge(d.first_now, t0 + 20);
  ck_assert_uint_ge(d.second_now, d.first_now + 20);
  ck_assert_int_eq(seam_timer_free(first), 0);
  ck_assert_int_eq(seam_timer_free(d.second), 0);
  th_loop_free(loop);
}
END_TEST

/* T6: an unref'd active timer does not keep run alive (unref before or after start): run returns 0 at once, no firing. */
START_TEST(test_T6_unrefd_timer_does_not_keep_run_alive) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *after, *before;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &after), 0);
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &before), 0);
  ck_assert_int_eq(seam_timer_start(after, 3600000, 0), 0);
  ck_assert_int_eq(seam_timer_unref(after), 0);
  ck_assert_int_eq(seam_timer_unref(before), 0);
  ck_assert_int_eq(seam_timer_start(before, 3600000, 0), 0);
  /* Unref'd state survives stop and start. */
  ck_assert_int_eq(seam_timer_stop(after), 0);
  ck_assert_int_eq(seam_timer_start(after, 3600000, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_timer_free(after), 0);
  ck_assert_int_eq(seam_timer_free(before), 0);
  th_loop_free(loop);
}
END_TEST

/* T6: timer ref/unref are idempotent: a flag, not a counter (seen through NOWAIT's alive result). */
START_TEST(test_T6_timer_ref_unref_idempotent) {
  seam_loop *loop = th_loop();
  int n = 0;
  seam_timer *t;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &n, &t), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0); /* stopped */
  ck_assert_int_eq(seam_timer_start(t, 3600000, 0), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_timer_unref(t), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_timer_unref(t), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_timer_ref(t), 0); /* one ref undoes any number of unrefs */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_timer_ref(t), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(seam_timer_unref(t), 0); /* one unref undoes any number of refs */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_timer_ref(t), 0);
  ck_assert_int_eq(seam_timer_stop(t), 0); /* ref'd but stopped: not alive */
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 0);
  ck_assert_int_eq(seam_timer_unref(t), 0); /* while stopped */
  ck_assert_int_eq(seam_timer_unref(t), 0);
  ck_assert_int_eq(seam_timer_ref(t), 0);
  ck_assert_int_eq(seam_timer_start(t, 3600000, 0), 0);
  ck_assert_int_eq(seam_loop_run(loop, SEAM_RUN_NOWAIT), 1);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(seam_timer_free(t), 0);
  th_loop_free(loop);
}
END_TEST

struct t6_keeper {
  seam_timer *keeper;
  int unrefd_n;
};

static void t6_unrefd_cb(seam_timer *timer, void *data) {
  (void)timer;
  struct t6_keeper *k = data;
  k->unrefd_n++;
  ck_assert_int_eq(seam_timer_stop(k->keeper), 0);
}

/* T6: an unref'd timer still fires while something else (a ref'd timer) keeps the loop running. */
START_TEST(test_T6_unrefd_timer_fires_while_loop_kept_alive) {
  seam_loop *loop = th_loop();
  struct t6_keeper k = {0};
  int keeper_n = 0;
  seam_timer *unrefd;
  ck_assert_int_eq(seam_timer_new(loop, count_timer_cb, &keeper_n, &k.keeper), 0);
  ck_assert_int_eq(seam_timer_new(loop, t6_unrefd_cb, &k, &unrefd), 0);
  ck_assert_int_eq(seam_timer_unref(unrefd), 0);
  ck_assert_int_eq(seam_timer_start(unrefd, 2, 0), 0);
  ck_assert_int_eq(seam_timer_start(k.keeper, 3600000, 0), 0);
  ck_assert_int_eq(th_run(loop), 0);
  ck_assert_int_eq(k.unrefd_n, 1);
  ck_assert_int_eq(keeper_n, 0);
  ck_assert_int_eq(seam_timer_free(unrefd), 0);
  ck_assert_int_eq(seam_timer_free(k.keeper), 0);
  th_loop_free(loop);
}
END_TEST

void seam_test_add_timer(Suite *s) {
  TCase *tc = th_tcase(s, "T1_zero");
  tcase_add_test(tc, test_T1_zero_timeout_fires_next_iteration_not_inside_start);
  tcase_add_test(tc, test_T1_zero_timeout_from_callback_fires_next_iteration);
  tcase_add_test(tc, test_T1_zero_timeout_beats_self_sending_async);

  tc = th_tcase(s, "T2_order");
  tcase_add_test(tc, test_T2_equal_deadlines_fire_in_start_order);
  tcase_add_test(tc, test_T2_equal_timeouts_before_run_fire_in_start_order);
  tcase_add_test(tc, test_T2_restart_moves_timer_behind_equal_deadlines);

  tc = th_tcase(s, "T3_stop");
  tcase_add_test(tc, test_T3_stopped_or_freed_timer_never_fires);
  tcase_add_test(tc, test_T3_timer_stopped_by_earlier_callback_in_same_iteration_never_fires);
  tcase_add_test(tc, test_T3_overdue_timers_fire_in_due_time_order);

  tc = th_tcase(s, "T4_schedule");
  tcase_add_test(tc, test_T4_repeat_rearms_after_each_firing);
  tcase_add_test(tc, test_T4_start_on_active_timer_replaces_schedule);

  tc = th_tcase(s, "T5_self");
  tcase_add_test(tc, test_T5_callback_stops_own_timer);
  tcase_add_test(tc, test_T5_callback_restarts_own_timer);
  tcase_add_test(tc, test_T5_callback_frees_own_timer);

  tc = th_tcase(s, "T6_clock_ref");
  tcase_add_test(tc, test_T6_now_monotonic_and_advances_across_iterations);
  tcase_add_test(tc, test_T6_timer_fires_no_earlier_than_its_deadline);
  tcase_add_test(tc, test_T6_unrefd_timer_does_not_keep_run_alive);
  tcase_add_test(tc, test_T6_timer_ref_unref_idempotent);
  tcase_add_test(tc, test_T6_unrefd_timer_fires_while_loop_kept_alive);
}
