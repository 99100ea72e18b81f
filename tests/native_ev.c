/*
 * native_ev.c - the conformance suite's native shim for libev (see
 * harness.h). Host timers that have not fired are kept on a list so that
 * th_native_free() releases them with their loop.
 */
#include <ev.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"

const char *const th_backend = "libev";

struct th_ev_timer {
  ev_timer w;
  struct ev_loop *native;
  void (*cb)(void *);
  void *arg;
  struct th_ev_timer *next;
};

static pthread_mutex_t th_ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct th_ev_timer *th_ev_timers;

static void th_ev_unlink(struct th_ev_timer *t) {
  pthread_mutex_lock(&th_ev_lock);
  for (struct th_ev_timer **p = &th_ev_timers; *p != NULL; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  pthread_mutex_unlock(&th_ev_lock);
}

static void th_ev_timer_cb(struct ev_loop *native, ev_timer *w, int revents) {
  struct th_ev_timer *t = (struct th_ev_timer *)w;
  void (*cb)(void *) = t->cb;
  void *arg = t->arg;
  (void)native;
  (void)revents;
  th_ev_unlink(t);
  free(t);
  cb(arg);
}

void *th_native_new(void) {
  struct ev_loop *native = ev_loop_new(EVFLAG_AUTO);
  ck_assert_ptr_nonnull(native);
  return native;
}

void th_native_run(void *native) { ev_run(native, 0); }

void th_native_run_nowait(void *native) { ev_run(native, EVRUN_NOWAIT); }

int th_native_free(void *native) {
  pthread_mutex_lock(&th_ev_lock);
  struct th_ev_timer **p = &th_ev_timers;
  while (*p != NULL) {
    struct th_ev_timer *t = *p;
    if (t->native == native) {
      *p = t->next;
      ev_timer_stop(native, &t->w);
      free(t);
    } else {
      p = &t->next;
    }
  }
  pthread_mutex_unlock(&th_ev_lock);
  ev_loop_destroy(native);
  return 0;
}

void th_native_timer(void *native, uint64_t ms, void (*cb)(void *),
                     void *arg) {
  struct th_ev_timer *t = calloc(1, sizeof(*t));
  ck_assert_ptr_nonnull(t);
  t->native = native;
  t->cb = cb;
  t->arg = arg;
  ev_timer_init(&t->w, th_ev_timer_cb, (ev_tstamp)ms / 1e3, 0.);
  ev_timer_start(native, &t->w);
  pthread_mutex_lock(&th_ev_lock);
  t->next = th_ev_timers;
  th_ev_timers = t;
  pthread_mutex_unlock(&th_ev_lock);
}
