/*
 * backend.h - the contract between seam's core and one native event library.
 *
 * The core (src/) owns every semantic: handles, the timer heap, pending bits,
 * liveness counting, the thread pool, channels and error codes. A backend
 * (backends/uv.c, backends/ev.c or backends/event.c) supplies only what
 * genuinely differs between libraries: a native loop, running and stopping
 * it, one thread-safe wakeup, one timer for the core's earliest deadline, and
 * keep-alive accounting. Each backend library links exactly one backend file,
 * which defines every function declared here; no function pointers, no
 * #ifdef at the call sites.
 *
 * The wakeup's native callback calls seam__loop_dispatch(), which does all of
 * seam's work for an iteration and is safe to call when nothing is due. The
 * native timer is only a delayed wakeup: its callback calls
 * seam__backend_wakeup(), never the dispatch. So seam runs at most one pass
 * per native iteration, and whatever a pass signals (a notifier sending
 * itself, a timer started with timeout 0) runs in a later native iteration,
 * on every backend alike. Neither watcher may keep the native loop alive by
 * itself: liveness is exactly what seam__backend_keepalive() says, so that a
 * host running an adopted loop sees it return when seam has nothing alive.
 *
 * "Loop thread" below is the thread running (or about to run) the native
 * loop; the core guarantees that it makes those calls from that thread only.
 */
#ifndef SEAM_BACKEND_H
#define SEAM_BACKEND_H

#include <stdint.h>

#include "seam.h"

/* A backend's private state; each backend defines the struct. */
struct seam__backend;

/* Passed to seam__backend_timer() to disarm the native timer. */
#define SEAM__NO_TIMEOUT UINT64_MAX

/*
 * Any thread. The backend's name ("libuv", "libev" or "libevent") and the
 * native library's run-time version string. Static storage, never NULL.
 */
const char *seam__backend_name(void);
const char *seam__backend_version(void);

/*
 * Loop thread (the creating thread). Sets up seam's watchers on a native
 * loop: a fresh one owned by the backend when native is NULL, else the
 * caller's (adopted, never run, stopped or closed by the backend). The
 * watchers start unarmed and not keeping the loop alive. Native callbacks
 * pass loop to seam__loop_dispatch(). Returns 0 and sets *be, SEAM_ENOMEM, or
 * SEAM_EINVAL when the native library refuses the loop.
 */
int seam__backend_open(seam_loop *loop, void *native,
                       struct seam__backend **be);

/*
 * Loop thread, never from inside a native callback. Tears seam's watchers
 * down; closes and frees an owned native loop. On an adopted loop it may have
 * to finish asynchronously (libuv's uv_close), in which case the backend's
 * memory is released from the host's next iteration and nothing it does
 * there reaches the core. After this returns no native callback calls
 * seam__loop_dispatch() again.
 */
void seam__backend_close(struct seam__backend *be);

/* Any thread. The native loop (uv_loop_t *, struct ev_loop *, event_base *). */
void *seam__backend_native(struct seam__backend *be);

/*
 * Loop thread, not from inside a native callback. Runs the native loop in
 * the given mode (DEFAULT: until nothing is alive or seam__backend_stop();
 * ONCE: one iteration, blocking only if alive; NOWAIT: one iteration without
 * blocking). Returns 1 if the native loop still has alive watchers
 * afterwards (seam's keep-alive or the host's own), 0 if not, or a negative
 * SEAM_E* code if the native library reported an error.
 */
int seam__backend_run(struct seam__backend *be, seam_run_mode mode);

/*
 * Loop thread, from inside seam__loop_dispatch(). Makes the native run in
 * progress return once the current iteration is over.
 */
void seam__backend_stop(struct seam__backend *be);

/*
 * Any thread, async-signal-safe, lock-free. Makes the loop thread call
 * seam__loop_dispatch() soon: at once if it is blocked waiting for events,
 * else in its next iteration. Wakeups may coalesce. Must work on an adopted
 * libevent base that was not made thread-aware.
 */
void seam__backend_wakeup(struct seam__backend *be);

/*
 * Loop thread. Arms the native timer to call seam__backend_wakeup() after
 * timeout_ms (> 0) milliseconds of the native loop's clock, replacing any
 * earlier arming, or disarms it for SEAM__NO_TIMEOUT. A timer that fires
 * early is harmless: the core re-arms it after every pass.
 */
void seam__backend_timer(struct seam__backend *be, uint64_t timeout_ms);

/*
 * Loop thread. alive != 0: keep the native loop's run alive (seam has a ref'd
 * handle, a job in flight, ...); alive == 0: do not. Called only when the
 * state changes; starts at 0.
 */
void seam__backend_keepalive(struct seam__backend *be, int alive);

/*
 * Offered by the core (src/wakefd.c) to backends that wake their loop through
 * a file descriptor they watch for reading: open returns a non-blocking
 * eventfd or -1; signal (any thread, async-signal-safe, errno preserved) makes
 * it readable; drain (loop thread, before dispatching) makes it unreadable
 * again, so that a send during the pass wakes the loop anew.
 */
int seam__wakefd_open(void);
void seam__wakefd_signal(int fd);
void seam__wakefd_drain(int fd);

/*
 * Provided by the core, called by the backend on the loop thread from its
 * native wakeup callback only. Runs the due timers and everything that was
 * signalled, then re-arms the timer through seam__backend_timer().
 */
void seam__loop_dispatch(seam_loop *loop);

#endif /* SEAM_BACKEND_H */
