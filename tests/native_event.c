/*
 * native_event.c - the libevent side of the test harness (see harness.h).
 * Host timers are one-shot events kept on a list until they fire, so that
 * th_native_free() can release the ones that never did.
 */
#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"

const char *const th_backend = "libevent";

struct th_host_timer {
  struct event *ev;
  struct event_base *base;
  void (*cb)(void *);
  void *arg;
  struct th_host_timer *next;
};

static pthread_mutex_t th_timers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct th_host_timer *th_timers;

static void th_timer_unlink(struct th_host_timer *t) {
  pthread_mutex_lock(&th_timers_lock);
  struct th_host_timer **p = &th_timers;
  while (*p != NULL && *p != t)
    p = &(*p)->next;
  if (*p != NULL)
    *p = t->next;
  pthread_mutex_unlock(&th_timers_lock);
}

static void th_timer_fire(evutil_socket_t fd, short what, void *arg) {
  struct th_host_timer *t = arg;
  void (*cb)(void *) = t->cb;
  void *cb_arg = t->arg;
  (void)fd;
  (void)what;
  th_timer_unlink(t);
  event_free(t->ev);
  free(t);
  cb(cb_arg);
}

void *th_native_new(void) {
  struct event_base *base = event_base_new();
  ck_assert_ptr_nonnull(base);
  return base;
}

void th_native_run(void *native) { event_base_dispatch(native); }

/* EVLOOP_NONBLOCK alone goes on polling for as long as each pass finds
 * something ready; EVLOOP_ONCE makes it stop after one pass. */
void th_native_run_nowait(void *native) {
  event_base_loop(native, EVLOOP_NONBLOCK | EVLOOP_ONCE);
}

int th_native_free(void *native) {
  pthread_mutex_lock(&th_timers_lock);
  struct th_host_timer **p = &th_timers;
  while (*p != NULL) {
    struct th_host_timer *t = *p;
    if (t->base == native) {
      *p = t->next;
      event_free(t->ev);
      free(t);
    } else {
      p = &t->next;
    }
  }
  pthread_mutex_unlock(&th_timers_lock);
  event_base_free(native);
  return 0;
}

void th_native_timer(void *native, uint64_t ms, void (*cb)(void *),
                     void *arg) {
  struct th_host_timer *t = calloc(1, sizeof(*t));
  ck_assert_ptr_nonnull(t);
  t->ev = event_new(native, -1, 0, th_timer_fire, t);
  ck_assert_ptr_nonnull(t->ev);
  t->base = native;
  t->cb = cb;
  t->arg = arg;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  pthread_mutex_lock(&th_timers_lock);
  t->next = th_timers;
  th_timers = t;
  pthread_mutex_unlock(&th_timers_lock);
  ck_assert_int_eq(event_add(t->ev, &tv), 0);
}
