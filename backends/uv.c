/*
 * uv.c - seam's backend on libuv (see src/backend.h for the contract). The
 * wakeup is the core's eventfd (src/wakefd.c) watched by a uv_poll_t, the
 * core's earliest deadline is one one-shot uv_timer_t that writes to it, and
 * keep-alive is the poll handle's reference. The timer is unref'd for its
 * whole life, so only seam__backend_keepalive() decides whether seam holds
 * uv_run() open.
 *
 * Why not uv_async_t: in libuv 1.44 the loop spins on an async handle until
 * its sender has finished uv_async_send(), and a sender preempted by the very
 * wakeup it caused (two threads on one CPU) costs the loop a thousand spins
 * and a sched_yield per wakeup: ten times the round trip of an eventfd. The
 * core's pending bits already coalesce sends, so the descriptor is enough.
 */
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "backend.h"

struct seam__backend {
  seam_loop *loop;
  uv_loop_t *native;
  int owned;         /* native was made here: ours to close */
  int closing;       /* close callbacks that have not run yet */
  int efd;           /* the wakeup eventfd, -1 if none */
  uv_poll_t wakeup;  /* watches efd; ref'd exactly while seam keeps it alive */
  uv_timer_t timer;  /* never ref'd */
};

const char *seam__backend_name(void) { return "libuv"; }

const char *seam__backend_version(void) { return uv_version_string(); }

static int uvb_error(int err) {
  return err == UV_ENOMEM ? SEAM_ENOMEM : SEAM_EINVAL;
}

static void uvb_wakeup_cb(uv_poll_t *handle, int status, int events) {
  struct seam__backend *be = handle->data;
  (void)status;
  (void)events;
  seam__wakefd_drain(be->efd);
  seam__loop_dispatch(be->loop);
}

/* Only a delayed wakeup (see backend.h): the dispatch runs at the next poll. */
static void uvb_timer_cb(uv_timer_t *handle) {
  struct seam__backend *be = handle->data;
  seam__wakefd_signal(be->efd);
}

/* The eventfd outlives the poll handle watching it. */
static void uvb_free(struct seam__backend *be) {
  if (be->efd >= 0)
    close(be->efd);
  free(be);
}

/*
 * Why an adopted loop's backend is freed here: uv_close() only schedules the
 * close, and libuv touches the handle again when the host's next iteration
 * completes it, so the memory must outlive both handles' close callbacks.
 */
static void uvb_closed(uv_handle_t *handle) {
  struct seam__backend *be = handle->data;
  if (--be->closing == 0 && !be->owned)
    uvb_free(be);
}

/*
 * Closes whichever handles were initialised (their loop field is set, be was
 * zeroed) and releases be: an owned loop is run until both close callbacks
 * have run, then closed; an adopted one is left to its host.
 */
static void uvb_release(struct seam__backend *be) {
  uv_handle_t *handles[] = {(uv_handle_t *)&be->wakeup,
                            (uv_handle_t *)&be->timer};
  for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
    if (handles[i]->loop != NULL) {
      be->closing++;
      uv_close(handles[i], uvb_closed);
    }
  }
  if (!be->owned) {
    if (be->closing == 0)
      uvb_free(be);
    return;
  }
  /* NOWAIT, not DEFAULT: the user's own native handles must not block us. */
  while (be->closing > 0)
    uv_run(be->native, UV_RUN_NOWAIT);
  /* A loop the user left handles on cannot be freed without a dangling
   * reference from them; leaking it is the lesser evil. */
  if (uv_loop_close(be->native) == 0)
    free(be->native);
  uvb_free(be);
}

int seam__backend_open(seam_loop *loop, void *native,
                       struct seam__backend **be_out) {
  struct seam__backend *be = calloc(1, sizeof(*be));
  if (be == NULL)
    return SEAM_ENOMEM;
  be->loop = loop;
  be->native = native;
  be->efd = -1;
  if (be->native == NULL) {
    be->native = malloc(sizeof(*be->native));
    if (be->native == NULL) {
      free(be);
      return SEAM_ENOMEM;
    }
    int err = uv_loop_init(be->native);
    if (err != 0) {
      free(be->native);
      free(be);
      return uvb_error(err);
    }
    be->owned = 1;
  }
  be->wakeup.data = be;
  be->timer.data = be;
  be->efd = seam__wakefd_open();
  int err = be->efd < 0 ? UV_ENOMEM : 0;
  if (err == 0)
    err = uv_poll_init(be->native, &be->wakeup, be->efd);
  if (err == 0)
    err = uv_poll_start(&be->wakeup, UV_READABLE, uvb_wakeup_cb);
  if (err == 0)
    err = uv_timer_init(be->native, &be->timer);
  if (err != 0) {
    uvb_release(be);
    return uvb_error(err);
  }
  uv_unref((uv_handle_t *)&be->wakeup);
  uv_unref((uv_handle_t *)&be->timer);
  *be_out = be;
  return 0;
}

void seam__backend_close(struct seam__backend *be) { uvb_release(be); }

void *seam__backend_native(struct seam__backend *be) { return be->native; }

int seam__backend_run(struct seam__backend *be, seam_run_mode mode) {
  uv_run_mode uv_mode = UV_RUN_DEFAULT;
  if (mode == SEAM_RUN_ONCE)
    uv_mode = UV_RUN_ONCE;
  else if (mode == SEAM_RUN_NOWAIT)
    uv_mode = UV_RUN_NOWAIT;
  return uv_run(be->native, uv_mode) != 0;
}

void seam__backend_stop(struct seam__backend *be) { uv_stop(be->native); }

void seam__backend_wakeup(struct seam__backend *be) {
  seam__wakefd_signal(be->efd);
}

/*
 * The timeout counts from uv_now(), cached when the iteration began, so the
 * timer may fire early, which the contract makes harmless. uv_update_time()
 * is not called: on an adopted loop it would move the host's clock.
 */
void seam__backend_timer(struct seam__backend *be, uint64_t timeout_ms) {
  if (timeout_ms == SEAM__NO_TIMEOUT)
    uv_timer_stop(&be->timer);
  else
    uv_timer_start(&be->timer, uvb_timer_cb, timeout_ms, 0);
}

void seam__backend_keepalive(struct seam__backend *be, int alive) {
  if (alive)
    uv_ref((uv_handle_t *)&be->wakeup);
  else
    uv_unref((uv_handle_t *)&be->wakeup);
}
