/*
 * harness.h - what every conformance test shares: the per-backend native shim
 * (tests/native_*.c, the only files that include a native library's header),
 * waits with watchdog timeouts, threads, and loop set-up/tear-down.
 *
 * Tests synchronize with semaphores, condition variables or pipes; sleeping
 * is only ever a watchdog (th_sem_wait gives up after TH_WATCHDOG_S seconds,
 * which fails the test instead of hanging it).
 */
#ifndef SEAM_TEST_HARNESS_H
#define SEAM_TEST_HARNESS_H

#include <check.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "seam.h"

/* Seconds a test waits for an event before failing. */
#define TH_WATCHDOG_S 20

/* ---- the native shim, one implementation per backend ---- */

/* The backend this binary was linked for: "libuv", "libev" or "libevent". */
extern const char *const th_backend;

/* A fresh native loop (uv_loop_t *, struct ev_loop *, struct event_base *).
 * The libevent one is NOT made thread-aware (no evthread_use_pthreads). */
void *th_native_new(void);

/* The host's own default run (uv_run DEFAULT, ev_run 0,
 * event_base_dispatch): returns when nothing is alive. */
void th_native_run(void *native);

/* One non-blocking host iteration (uv_run NOWAIT, ev_run EVRUN_NOWAIT,
 * event_base_loop EVLOOP_NONBLOCK). */
void th_native_run_nowait(void *native);

/* Closes and frees the native loop; returns 0 when the library closed it
 * cleanly (uv_loop_close() == 0), nonzero otherwise. */
int th_native_free(void *native);

/* Starts a one-shot native timer owned by the host that calls cb(arg) after
 * ms milliseconds; it keeps the host loop alive until it fires. The handle is
 * released by th_native_free. */
void th_native_timer(void *native, uint64_t ms, void (*cb)(void *), void *arg);

/* ---- helpers ---- */

/* Multiplier for stress-test sizes: SEAM_TEST_SCALE in percent (default 100;
 * the valgrind run sets it lower). Never returns less than 1. */
unsigned long th_scaled(unsigned long n);

/* Waits for s, failing the test after TH_WATCHDOG_S seconds. */
void th_sem_wait(sem_t *s);

/* The same for helper threads, where ck_assert must not be used: returns 0
 * when s was posted, -1 after TH_WATCHDOG_S seconds. */
int th_wait(sem_t *s);

/* Starts a joinable thread; th_join joins it. */
pthread_t th_thread(void *(*fn)(void *), void *arg);
void th_join(pthread_t t);

/* A new loop (asserts success) and its free (asserts 0: nothing leaked). */
seam_loop *th_loop(void);
void th_loop_free(seam_loop *loop);

/* Runs seam_loop_run(loop, mode) on a watchdog: a helper thread calls
 * seam_loop_stop, and the test fails, if the run has not returned within
 * TH_WATCHDOG_S seconds. Returns run's result. th_run is the DEFAULT run. */
int th_run_mode(seam_loop *loop, seam_run_mode mode);
int th_run(seam_loop *loop);

/* The host's own default run of native (th_native_run) on the same watchdog;
 * seam_loop_stop on loop ends the host's run too. */
void th_host_run(seam_loop *loop, void *native);

/* Adds a TCase with a generous timeout to s. */
TCase *th_tcase(Suite *s, const char *name);

/* Each test file registers its TCases here. */
void seam_test_add_loop(Suite *s);
void seam_test_add_timer(Suite *s);
void seam_test_add_async(Suite *s);
void seam_test_add_adopt(Suite *s);
void seam_test_add_job(Suite *s);
void seam_test_add_chan(Suite *s);

#endif
