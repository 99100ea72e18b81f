/*
 * native_ev.c - the benchmarks' native variant on libev (see bench.h): an
 * ev_async per notifier. libev has no thread pool.
 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

const char *const nb_name = "libev";

const char *nb_version(void) {
  static char buf[32];
  snprintf(buf, sizeof(buf), "%d.%d", ev_version_major(), ev_version_minor());
  return buf;
}

struct nb_loop {
  struct ev_loop *ev;
};

struct nb_async {
  ev_async w; /* first: the callback casts back */
  struct nb_loop *loop;
  nb_async_cb cb;
  void *arg;
};

struct nb_loop *nb_loop_new(void) {
  struct nb_loop *loop = malloc(sizeof(*loop));
  if (loop == NULL || (loop->ev = ev_loop_new(EVFLAG_AUTO)) == NULL)
    bench_fail("ev_loop_new failed");
  return loop;
}

void nb_loop_run(struct nb_loop *loop) { ev_run(loop->ev, 0); }

void nb_loop_free(struct nb_loop *loop) {
  ev_loop_destroy(loop->ev);
  free(loop);
}

static void nev_async_cb(struct ev_loop *ev, ev_async *w, int revents) {
  struct nb_async *async = (struct nb_async *)w;
  (void)ev;
  (void)revents;
  async->cb(async, async->arg);
}

struct nb_async *nb_async_new(struct nb_loop *loop, nb_async_cb cb,
                              void *arg) {
  struct nb_async *async = malloc(sizeof(*async));
  if (async == NULL)
    bench_fail("out of memory");
  ev_async_init(&async->w, nev_async_cb);
  async->loop = loop;
  async->cb = cb;
  async->arg = arg;
  ev_async_start(loop->ev, &async->w);
  return async;
}

void nb_async_send(struct nb_async *async) {
  ev_async_send(async->loop->ev, &async->w);
}

void nb_async_free(struct nb_async *async) {
  ev_async_stop(async->loop->ev, &async->w);
  free(async);
}

int nb_pool_available(void) { return 0; }

void nb_pool_set_size(int threads) { (void)threads; }

struct nb_work *nb_work_new(struct nb_loop *loop, nb_work_cb work,
                            nb_work_cb done, void *arg) {
  (void)loop;
  (void)work;
  (void)done;
  (void)arg;
  bench_fail("libev has no thread pool");
}

void nb_work_submit(struct nb_work *work) {
  (void)work;
  bench_fail("libev has no thread pool");
}

void nb_work_free(struct nb_work *work) { (void)work; }

static void nev_timer_cb(struct ev_loop *ev, ev_timer *w, int revents) {
  (void)ev;
  (void)w;
  (void)revents;
}

static void nev_nop_async_cb(struct ev_loop *ev, ev_async *w, int revents) {
  (void)ev;
  (void)w;
  (void)revents;
}

void *nb_object_new(struct nb_loop *loop, enum nb_kind kind, long i) {
  switch (kind) {
  case NB_ASYNC: {
    ev_async *a = malloc(sizeof(*a));
    if (a == NULL)
      bench_fail("out of memory");
    ev_async_init(a, nev_nop_async_cb);
    ev_async_start(loop->ev, a);
    return a;
  }
  case NB_TIMER: {
    ev_timer *t = malloc(sizeof(*t));
    if (t == NULL)
      bench_fail("out of memory");
    ev_timer_init(t, nev_timer_cb, 3600. + (double)i / 1e3, 0.);
    ev_timer_start(loop->ev, t);
    return t;
  }
  case NB_JOB:
    break;
  }
  return NULL;
}

void nb_object_free(struct nb_loop *loop, void *object, enum nb_kind kind) {
  if (kind == NB_ASYNC)
    ev_async_stop(loop->ev, object);
  else if (kind == NB_TIMER)
    ev_timer_stop(loop->ev, object);
  free(object);
}
