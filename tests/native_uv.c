/*
 * native_uv.c - the conformance suite's native shim for libuv (see
 * harness.h). Host timers are tagged through their data field so that
 * th_native_free() can close the ones that have not fired; every handle is
 * freed from its close callback, as libuv requires.
 */
#include <stdlib.h>
#include <uv.h>

#include "harness.h"

const char *const th_backend = "libuv";

struct th_uv_timer {
  uv_timer_t handle; /* first: a uv_handle_t * converts back */
  void (*cb)(void *);
  void *arg;
};

/* The data of every host timer: tells them apart from seam's handles. */
static char th_uv_tag;

static void th_uv_timer_closed(uv_handle_t *handle) {
  free((struct th_uv_timer *)handle);
}

static void th_uv_timer_cb(uv_timer_t *handle) {
  struct th_uv_timer *t = (struct th_uv_timer *)handle;
  uv_close((uv_handle_t *)handle, th_uv_timer_closed);
  t->cb(t->arg);
}

static void th_uv_close_timer(uv_handle_t *handle, void *arg) {
  (void)arg;
  if (handle->data == &th_uv_tag && !uv_is_closing(handle))
    uv_close(handle, th_uv_timer_closed);
}

void *th_native_new(void) {
  uv_loop_t *native = malloc(sizeof(*native));
  ck_assert_ptr_nonnull(native);
  ck_assert_int_eq(uv_loop_init(native), 0);
  return native;
}

void th_native_run(void *native) { uv_run(native, UV_RUN_DEFAULT); }

void th_native_run_nowait(void *native) { uv_run(native, UV_RUN_NOWAIT); }

int th_native_free(void *native) {
  uv_walk(native, th_uv_close_timer, NULL);
  /* Completes every pending close: the timers' and those seam_loop_free()
   * left to the host. Never DEFAULT: a leaked ref'd handle would hang it. */
  uv_run(native, UV_RUN_NOWAIT);
  int r = uv_loop_close(native);
  free(native);
  return r;
}

void th_native_timer(void *native, uint64_t ms, void (*cb)(void *),
                     void *arg) {
  struct th_uv_timer *t = malloc(sizeof(*t));
  ck_assert_ptr_nonnull(t);
  t->cb = cb;
  t->arg = arg;
  ck_assert_int_eq(uv_timer_init(native, &t->handle), 0);
  t->handle.data = &th_uv_tag;
  /* uv_timer_start() counts from the loop's cached time, which is stale
   * outside a run: refresh it so the timer does not fire ms early. */
  uv_update_time(native);
  ck_assert_int_eq(uv_timer_start(&t->handle, th_uv_timer_cb, ms, 0), 0);
}
