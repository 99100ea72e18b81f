/*
 * event.c - seam's backend on libevent 2.1 (see src/backend.h for the
 * contract). The wakeup is an eventfd watched for reading, the core's earliest
 * deadline is a timer event that writes to it, and keep-alive is a timer with
 * a period so long that it never matters. The wakeup and the deadline timer
 * are marked internal, so only the keep-alive event decides whether seam
 * holds event_base_dispatch() open. Nothing here needs a thread-aware base:
 * the eventfd is all that other threads and signal handlers touch.
 */
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "backend.h"

struct seam__backend {
  seam_loop *loop;
  struct event_base *native;
  int owned;            /* native came from leb_base_new(): ours to free */
  int alive;            /* the keep-alive event is added */
  int efd;              /* eventfd written by seam__backend_wakeup() */
  struct event *wakeup; /* internal: reads efd */
  struct event *timer;  /* internal: wakes at the core's earliest deadline */
  struct event *keep;   /* counted: added while seam has work alive */
  struct event *tick;   /* counted: activated after each dispatch */
};

/* The keep-alive period; it only has to outlast any real run. */
static const struct timeval leb_keep_period = {86400, 0};

const char *seam__backend_name(void) { return "libevent"; }

const char *seam__backend_version(void) { return event_get_version(); }

/*
 * libevent 2.1 has no public way to unref an event. Its own notification and
 * signal events are flagged EVLIST_INTERNAL, which event_haveevents() and
 * EVENT_BASE_COUNT_ADDED skip: the base still polls them while something else
 * keeps it running, but they alone never hold event_base_loop() open. The
 * flag must be set before the event is first added.
 */
static void leb_internal(struct event *ev) {
  ev->ev_evcallback.evcb_flags |= EVLIST_INTERNAL;
}

/*
 * Drains the eventfd first, so that a send made during the pass wakes us
 * again, runs seam's pass, then activates the counted tick event. Why the
 * tick: EVLOOP_ONCE ends a run only after an iteration that ran a
 * non-internal callback, so an iteration in which only seam's internal events
 * fired would not end a seam or host ONCE run. The tick runs in the same
 * iteration. It is skipped after a loopbreak, which would leave it pending
 * and counted.
 */
static void leb_wakeup_cb(evutil_socket_t fd, short what, void *arg) {
  struct seam__backend *be = arg;
  (void)what;
  seam__wakefd_drain(fd);
  seam__loop_dispatch(be->loop);
  if (!event_base_got_break(be->native))
    event_active(be->tick, EV_TIMEOUT, 0);
}

/* The deadline timer is only a delayed wakeup: the pass runs in the next
 * iteration, from leb_wakeup_cb(). */
static void leb_timer_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  seam__backend_wakeup(arg);
}

static void leb_noop_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
}

/*
 * An owned base uses the precise monotonic clock: by default libevent reads
 * CLOCK_MONOTONIC_COARSE (4 ms ticks here), which would make seam's timers
 * fire that much late or early against the core's clock.
 */
static struct event_base *leb_base_new(void) {
  struct event_config *cfg = event_config_new();
  struct event_base *base = NULL;
  if (cfg != NULL) {
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
  }
  return base;
}

int seam__backend_open(seam_loop *loop, void *native,
                       struct seam__backend **be_out) {
  struct seam__backend *be = calloc(1, sizeof(*be));
  if (be == NULL)
    return SEAM_ENOMEM;
  be->loop = loop;
  be->native = native;
  be->owned = native == NULL;
  be->efd = -1;
  if (be->owned && (be->native = leb_base_new()) == NULL)
    goto fail;
  be->efd = seam__wakefd_open();
  if (be->efd < 0)
    goto fail;
  be->wakeup = event_new(be->native, be->efd, EV_READ | EV_PERSIST,
                         leb_wakeup_cb, be);
  be->timer = event_new(be->native, -1, 0, leb_timer_cb, be);
  be->keep = event_new(be->native, -1, EV_PERSIST, leb_noop_cb, NULL);
  be->tick = event_new(be->native, -1, 0, leb_noop_cb, NULL);
  if (!be->wakeup || !be->timer || !be->keep || !be->tick)
    goto fail;
  leb_internal(be->wakeup);
  leb_internal(be->timer);
  if (event_add(be->wakeup, NULL) != 0) {
    seam__backend_close(be);
    return SEAM_EINVAL;
  }
  *be_out = be;
  return 0;
fail:
  seam__backend_close(be);
  return SEAM_ENOMEM;
}

/* Also undoes a partial seam__backend_open(). */
void seam__backend_close(struct seam__backend *be) {
  struct event *evs[] = {be->wakeup, be->timer, be->keep, be->tick};
  for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
    if (evs[i] != NULL)
      event_free(evs[i]); /* also deletes it, pending or active */
  if (be->efd >= 0)
    close(be->efd);
  if (be->owned && be->native != NULL)
    event_base_free(be->native);
  free(be);
}

void *seam__backend_native(struct seam__backend *be) { return be->native; }

static int leb_alive(struct event_base *base) {
  return event_base_get_num_events(
             base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_VIRTUAL) > 0;
}

int seam__backend_run(struct seam__backend *be, seam_run_mode mode) {
  /* NOWAIT, and ONCE with nothing alive: one iteration that polls without
   * blocking, even when nothing counted is added (plain EVLOOP_NONBLOCK would
   * then return without polling, and would not stop after one iteration). */
  int flags = EVLOOP_NONBLOCK | EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY;
  if (mode == SEAM_RUN_DEFAULT)
    flags = 0;
  else if (mode == SEAM_RUN_ONCE && leb_alive(be->native))
    flags = EVLOOP_ONCE;
  int r = event_base_loop(be->native, flags);
  if (r < 0)
    return SEAM_EINVAL;
  return r == 0 && leb_alive(be->native);
}

void seam__backend_stop(struct seam__backend *be) {
  event_base_loopbreak(be->native);
}

void seam__backend_wakeup(struct seam__backend *be) {
  seam__wakefd_signal(be->efd);
}

void seam__backend_timer(struct seam__backend *be, uint64_t timeout_ms) {
  if (timeout_ms == SEAM__NO_TIMEOUT) {
    event_del(be->timer);
    return;
  }
  struct timeval tv;
  /* libevent adds tv to its clock: keep the sum far from overflowing. */
  if (timeout_ms > (uint64_t)86400 * 365 * 1000)
    timeout_ms = (uint64_t)86400 * 365 * 1000;
  tv.tv_sec = (time_t)(timeout_ms / 1000);
  tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
  event_add(be->timer, &tv); /* replaces an earlier arming */
}

void seam__backend_keepalive(struct seam__backend *be, int alive) {
  alive = alive != 0;
  if (alive == be->alive)
    return;
  if (alive)
    event_add(be->keep, &leb_keep_period);
  else
    event_del(be->keep);
  be->alive = alive;
}
