/*
 * native_uv.c - the benchmarks' native variant on libuv (see bench.h): a
 * uv_async_t per notifier, uv_queue_work for the pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "bench.h"

const char *const nb_name = "libuv";

const char *nb_version(void) { return uv_version_string(); }

struct nb_loop {
  uv_loop_t uv;
};

struct nb_async {
  uv_async_t handle; /* first: the callback casts back */
  nb_async_cb cb;
  void *arg;
};

struct nb_work {
  uv_work_t req; /* first: the callbacks cast back */
  nb_work_cb work;
  nb_work_cb done;
  void *arg;
};

struct nb_loop *nb_loop_new(void) {
  struct nb_loop *loop = malloc(sizeof(*loop));
  if (loop == NULL || uv_loop_init(&loop->uv) != 0)
    bench_fail("uv_loop_init failed");
  return loop;
}

void nb_loop_run(struct nb_loop *loop) { uv_run(&loop->uv, UV_RUN_DEFAULT); }

void nb_loop_free(struct nb_loop *loop) {
  if (uv_loop_close(&loop->uv) != 0)
    bench_fail("uv_loop_close: handles left open");
  free(loop);
}

static void nuv_async_cb(uv_async_t *handle) {
  struct nb_async *async = (struct nb_async *)handle;
  async->cb(async, async->arg);
}

struct nb_async *nb_async_new(struct nb_loop *loop, nb_async_cb cb,
                              void *arg) {
  struct nb_async *async = malloc(sizeof(*async));
  if (async == NULL || uv_async_init(&loop->uv, &async->handle, nuv_async_cb))
    bench_fail("uv_async_init failed");
  async->cb = cb;
  async->arg = arg;
  return async;
}

void nb_async_send(struct nb_async *async) { uv_async_send(&async->handle); }

static void nuv_free_handle(uv_handle_t *handle) { free(handle); }

void nb_async_free(struct nb_async *async) {
  uv_close((uv_handle_t *)&async->handle, nuv_free_handle);
}

int nb_pool_available(void) { return 1; }

/* libuv reads UV_THREADPOOL_SIZE when its pool starts, at the first submit. */
void nb_pool_set_size(int threads) {
  char buf[16];
  snprintf(buf, sizeof(buf), "%d", threads);
  setenv("UV_THREADPOOL_SIZE", buf, 1);
}

struct nb_work *nb_work_new(struct nb_loop *loop, nb_work_cb work,
                            nb_work_cb done, void *arg) {
  struct nb_work *w = malloc(sizeof(*w));
  if (w == NULL)
    bench_fail("out of memory");
  w->req.loop = &loop->uv;
  w->work = work;
  w->done = done;
  w->arg = arg;
  return w;
}

static void nuv_work(uv_work_t *req) {
  struct nb_work *w = (struct nb_work *)req;
  w->work(w, w->arg);
}

static void nuv_done(uv_work_t *req, int status) {
  struct nb_work *w = (struct nb_work *)req;
  if (status != 0)
    bench_fail("uv_queue_work: status %d", status);
  w->done(w, w->arg);
}

void nb_work_submit(struct nb_work *w) {
  if (uv_queue_work(w->req.loop, &w->req, nuv_work, nuv_done) != 0)
    bench_fail("uv_queue_work failed");
}

void nb_work_free(struct nb_work *w) { free(w); }

static void nuv_timer_cb(uv_timer_t *timer) { (void)timer; }

static void nuv_parked_work(uv_work_t *req) {
  (void)req;
  bench_gate_wait();
}

static void nuv_parked_done(uv_work_t *req, int status) {
  (void)status;
  free(req);
}

void *nb_object_new(struct nb_loop *loop, enum nb_kind kind, long i) {
  switch (kind) {
  case NB_ASYNC: {
    uv_async_t *a = malloc(sizeof(*a));
    if (a == NULL || uv_async_init(&loop->uv, a, NULL) != 0)
      bench_fail("uv_async_init failed");
    return a;
  }
  case NB_TIMER: {
    uv_timer_t *t = malloc(sizeof(*t));
    if (t == NULL || uv_timer_init(&loop->uv, t) != 0 ||
        uv_timer_start(t, nuv_timer_cb, 3600000 + (uint64_t)i, 0) != 0)
      bench_fail("uv_timer_start failed");
    return t;
  }
  case NB_JOB: {
    uv_work_t *w = malloc(sizeof(*w));
    if (w == NULL ||
        uv_queue_work(&loop->uv, w, nuv_parked_work, nuv_parked_done) != 0)
      bench_fail("uv_queue_work failed");
    return w;
  }
  }
  return NULL;
}

void nb_object_free(struct nb_loop *loop, void *object, enum nb_kind kind) {
  (void)loop;
  if (kind != NB_JOB)
    uv_close(object, nuv_free_handle);
}
