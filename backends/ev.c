/*
 * ev.c - seam's backend on libev (see src/backend.h for the contract). The
 * wakeup is an ev_async started for the backend's whole life, the core's
 * earliest deadline is one one-shot ev_timer whose expiry only sends that
 * wakeup, and keep-alive is one extra reference on the loop. Both watchers
 * are unref'd while active, so only seam__backend_keepalive() decides whether
 * seam holds ev_run open.
 */
#include <ev.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"

struct seam__backend {
  seam_loop *loop;
  struct ev_loop *native;
  int owned;        /* native came from ev_loop_new(): ours to destroy */
  int timer_unref;  /* the ev_unref() made when the timer was started */
  int alive;        /* the ev_ref() made by seam__backend_keepalive(1) */
  ev_async wakeup;
  ev_timer timer;
};

static pthread_once_t evb_version_once = PTHREAD_ONCE_INIT;
static char evb_version_buf[32];

static void evb_version_init(void) {
  snprintf(evb_version_buf, sizeof(evb_version_buf), "%d.%d",
           ev_version_major(), ev_version_minor());
}

const char *seam__backend_name(void) { return "libev"; }

const char *seam__backend_version(void) {
  pthread_once(&evb_version_once, evb_version_init);
  return evb_version_buf;
}

/*
 * Undoes the timer's ev_unref() and stops it. Why the ref comes first and
 * unconditionally: ev_timer_stop() drops the loop's reference count only if
 * the timer is still active, while a one-shot timer that expired was already
 * stopped by libev, which dropped the count a second time before queueing our
 * callback. Either way exactly one ev_ref() restores the balance, and the stop
 * also discards an expiry that is pending but not yet delivered.
 */
static void evb_timer_disarm(struct seam__backend *be) {
  if (be->timer_unref) {
    ev_ref(be->native);
    be->timer_unref = 0;
  }
  ev_timer_stop(be->native, &be->timer);
}

static void evb_wakeup_cb(struct ev_loop *native, ev_async *w, int revents) {
  struct seam__backend *be = w->data;
  (void)native;
  (void)revents;
  seam__loop_dispatch(be->loop);
}

static void evb_timer_cb(struct ev_loop *native, ev_timer *w, int revents) {
  struct seam__backend *be = w->data;
  (void)native;
  (void)revents;
  evb_timer_disarm(be);
  seam__backend_wakeup(be);
}

int seam__backend_open(seam_loop *loop, void *native,
                       struct seam__backend **be_out) {
  struct seam__backend *be = calloc(1, sizeof(*be));
  if (be == NULL)
    return SEAM_ENOMEM;
  be->loop = loop;
  be->native = native;
  if (be->native == NULL) {
    be->native = ev_loop_new(EVFLAG_AUTO);
    if (be->native == NULL) {
      free(be);
      return SEAM_ENOMEM;
    }
    be->owned = 1;
  }
  ev_async_init(&be->wakeup, evb_wakeup_cb);
  be->wakeup.data = be;
  ev_timer_init(&be->timer, evb_timer_cb, 0., 0.);
  be->timer.data = be;

  /* Started now, not lazily: a send before ev_async_start() would be lost. */
  ev_async_start(be->native, &be->wakeup);
  ev_unref(be->native);
  *be_out = be;
  return 0;
}

void seam__backend_close(struct seam__backend *be) {
  evb_timer_disarm(be);
  ev_ref(be->native);
  ev_async_stop(be->native, &be->wakeup);
  seam__backend_keepalive(be, 0);
  if (be->owned)
    ev_loop_destroy(be->native);
  free(be);
}

void *seam__backend_native(struct seam__backend *be) { return be->native; }

int seam__backend_run(struct seam__backend *be, seam_run_mode mode) {
  int flags = 0;
  if (mode == SEAM_RUN_ONCE)
    flags = EVRUN_ONCE;
  else if (mode == SEAM_RUN_NOWAIT)
    flags = EVRUN_NOWAIT;
  return ev_run(be->native, flags) ? 1 : 0;
}

void seam__backend_stop(struct seam__backend *be) {
  ev_break(be->native, EVBREAK_ONE);
}

void seam__backend_wakeup(struct seam__backend *be) {
  ev_async_send(be->native, &be->wakeup);
}

/*
 * The timeout counts from ev_now(), the loop's cached iteration time, which is
 * stale when the core arms from outside a callback; the timer then fires early,
 * which the contract makes harmless (the core re-arms from a fresh time). We do
 * not call ev_now_update(): on an adopted loop that would move the host's clock
 * in the middle of its iteration.
 */
void seam__backend_timer(struct seam__backend *be, uint64_t timeout_ms) {
  evb_timer_disarm(be);
  if (timeout_ms == SEAM__NO_TIMEOUT)
    return;
  ev_timer_set(&be->timer, (ev_tstamp)timeout_ms / 1e3, 0.);
  ev_timer_start(be->native, &be->timer);
  ev_unref(be->native);
  be->timer_unref = 1;
}

void seam__backend_keepalive(struct seam__backend *be, int alive) {
  alive = alive != 0;
  if (alive == be->alive)
    return;
  if (alive)
    ev_ref(be->native);
  else
    ev_unref(be->native);
  be->alive = alive;
}
